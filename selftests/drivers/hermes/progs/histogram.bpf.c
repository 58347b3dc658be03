// SPDX-License-Identifier: GPL-2.0-only
/* Histogram of the high nibbles of the packet bytes, counted on the
 * stack and written as 16 little-endian u16 over the first 32 bytes.
 */
#include "common.h"

SEC("xdp")
int histogram(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
	__u16 bins[16];
	__u32 i, r = 0;

	__builtin_memset(bins, 0, sizeof(bins));
	for (i = 0; i < MAX_LEN; i++) {
		if (data + i + 1 > end)
			break;
		bins[(data[i] >> 4) & 15]++;
	}
	if (data + 32 > end)
		return XDP_ABORTED;
	for (i = 0; i < 16; i++) {
		((__u16 *)data)[i] = bins[i];
		r = r * 31 + bins[i];
	}
	return r;
}

char _license[] SEC("license") = "GPL";
