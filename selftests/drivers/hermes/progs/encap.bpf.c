// SPDX-License-Identifier: GPL-2.0-only
/* Push a 16-byte header in front of the packet with
 * bpf_xdp_adjust_head(), fill it from the old start, and grow the tail by
 * 8 bytes; returns the sum of both helpers' results plus the new length.
 */
#include "common.h"

SEC("xdp")
int encap(struct xdp_md *ctx)
{
	__u8 *data, *end;
	__u64 len;
	__u32 i;
	int r1, r2;

	r1 = bpf_xdp_adjust_head(ctx, -16);
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + 32 > end)
		return XDP_ABORTED;
	for (i = 0; i < 16; i++)
		data[i] = data[16 + i] ^ 0xa5;
	r2 = bpf_xdp_adjust_tail(ctx, 8);
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	len = end - data;
	/* keep the pointer difference 64-bit, as the verifier wants */
	asm volatile("" : "+r"(len));
	return r1 + r2 + (int)len;
}

char _license[] SEC("license") = "GPL";
