// SPDX-License-Identifier: GPL-2.0-only
/* A record filter for `hermes run` (selftests batch.py, hermes bench),
 * with the same rules as tools/hermes/filter-ref.c, the plain C version
 * the tests compare it with.  By the low two bits of the first byte:
 * 0 drops the record, 1 keeps it as it is, 2 keeps it with bytes 1 to 15
 * xored with 0x5a, 3 shortens it by 1 to 32 bytes (the low five bits of
 * the second byte, plus one) with bpf_xdp_adjust_tail() and stamps 0xee
 * into its first byte; a record the helper cannot shorten (it never
 * leaves fewer than 14 bytes) is kept as it is.  Empty records are kept.
 */
#include "common.h"

SEC("xdp")
int filter(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
	int i, delta;

	if (data + 1 > end)
		return XDP_PASS;
	switch (data[0] & 3) {
	case 0:
		return XDP_DROP;
	case 1:
		return XDP_PASS;
	case 2:
		for (i = 1; i < 16; i++) {
			if (data + i + 1 > end)
				break;
			data[i] ^= 0x5a;
		}
		return XDP_PASS;
	default:
		if (data + 2 > end)
			return XDP_PASS;
		delta = (data[1] & 31) + 1;
		if (bpf_xdp_adjust_tail(ctx, -delta))
			return XDP_PASS;
		data = (void *)(long)ctx->data;
		end = (void *)(long)ctx->data_end;
		if (data + 1 > end)
			return XDP_ABORTED;
		data[0] = 0xee;
		return XDP_PASS;
	}
}

char _license[] SEC("license") = "GPL";
