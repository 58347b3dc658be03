// SPDX-License-Identifier: GPL-2.0-only
/*
 * An XDP program the kernel verifier rejects: it reads the packet without
 * checking data_end.  `hermes run` must say so and print the verifier's
 * log, without libbpf's own messages (tools/hermes/test-host.sh).  No
 * headers, so that the test compiles it with clang alone.
 */
#define SEC(name) __attribute__((section(name), used))

struct xdp_md {
	unsigned int data;
	unsigned int data_end;
};

SEC("xdp")
int unchecked(struct xdp_md *ctx)
{
	unsigned char *p = (unsigned char *)(unsigned long)ctx->data;

	return p[0] == 1 ? 1 : 2;
}

char _license[] SEC("license") = "GPL";
