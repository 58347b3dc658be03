// SPDX-License-Identifier: GPL-2.0-only
/*
 * Not an XDP program: `hermes run` must refuse it by its section before
 * anything is loaded (tools/hermes/test-host.sh).  No headers, so that
 * the test compiles it with clang alone.
 */
#define SEC(name) __attribute__((section(name), used))

SEC("kprobe/do_nanosleep")
int probe(void *ctx)
{
	return 0;
}

char _license[] SEC("license") = "GPL";
