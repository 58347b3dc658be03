// SPDX-License-Identifier: GPL-2.0-only
/* Context loads that the translation must find away from the entry: the
 * context travels into a bpf-to-bpf call, which reads data, data_end,
 * data_meta and rx_queue_index after bpf_xdp_adjust_head() moved the
 * data.  Used by hermes bench --programs in the tests of the user-space
 * fallback, against the host kernel.
 */
#include "common.h"

static __noinline int stamp(struct xdp_md *ctx, int k)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *meta = (void *)(long)ctx->data_meta;
	__u8 *end = (void *)(long)ctx->data_end;

	if (meta > data)
		return XDP_ABORTED;
	if (data + 2 > end)
		return XDP_PASS;
	data[1] = (__u8)(ctx->rx_queue_index + k + (end - data));
	return data[0] & 1 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int ctxcall(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;

	if (data + 1 > end)
		return XDP_PASS;
	if (bpf_xdp_adjust_head(ctx, data[0] & 7))
		return XDP_TX;
	return stamp(ctx, 3);
}

char _license[] SEC("license") = "GPL";
