// SPDX-License-Identifier: GPL-2.0-only
/* Shrink the packet to its first 64 bytes with bpf_xdp_adjust_tail() and
 * stamp the old length into the first four; returns the helper's result.
 */
#include "common.h"

SEC("xdp")
int trim(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
	__u32 len = end - data;
	int ret;

	if (len <= 64)
		return XDP_PASS;
	ret = bpf_xdp_adjust_tail(ctx, 64 - (int)len);
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + 4 > end)
		return XDP_ABORTED;
	*(__u32 *)data = len;
	return ret;
}

char _license[] SEC("license") = "GPL";
