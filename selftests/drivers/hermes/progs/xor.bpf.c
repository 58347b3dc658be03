// SPDX-License-Identifier: GPL-2.0-only
/* XOR every byte with a position-dependent key; XDP_TX. */
#include "common.h"

SEC("xdp")
int xor_bytes(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
	__u32 i;

	for (i = 0; i < MAX_LEN; i++) {
		if (data + i + 1 > end)
			break;
		data[i] ^= (__u8)(0x5a + i * 7);
	}
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
