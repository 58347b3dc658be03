// SPDX-License-Identifier: GPL-2.0-only
/* Walk a packet of up to WALK_CHUNKS * WALK_CHUNK bytes (2 MiB): a
 * verified program reaches only about 64 KiB past the packet start, so
 * move the start forward with bpf_xdp_adjust_head() one chunk at a time
 * and back at the end.  Every WALK_STRIDE-th byte is folded into a hash
 * (returned) and flipped with 0xa5 in place, so that the output shows
 * which bytes the device reached.
 */
#include "common.h"

#define WALK_CHUNK	32768
#define WALK_CHUNKS	64
#define WALK_STRIDE	512

SEC("xdp")
int walk(struct xdp_md *ctx)
{
	__u32 hash = 0, moved = 0, k, i;

	for (k = 0; k < WALK_CHUNKS; k++) {
		__u8 *data = (void *)(long)ctx->data;
		__u8 *end = (void *)(long)ctx->data_end;

		for (i = 0; i < WALK_CHUNK; i += WALK_STRIDE) {
			if (data + i + 1 > end)
				break;
			hash = hash * 31 + data[i];
			data[i] ^= 0xa5;
		}
		/* keep an Ethernet header's worth after the move, as the
		 * host's bpf_xdp_adjust_head() wants
		 */
		if (data + WALK_CHUNK + 14 > end)
			break;
		if (bpf_xdp_adjust_head(ctx, WALK_CHUNK))
			return XDP_ABORTED;
		moved += WALK_CHUNK;
	}
	if (moved && bpf_xdp_adjust_head(ctx, -(int)moved))
		return XDP_ABORTED;
	return hash;
}

char _license[] SEC("license") = "GPL";
