// SPDX-License-Identifier: GPL-2.0-only
/* The packet helpers of bpf_xdp_get_buff_len(), bpf_xdp_load_bytes() and
 * bpf_xdp_store_bytes(): copy 16 bytes from the middle of the packet to
 * its start, inverted, then ask for bytes past the end (EINVAL) and at an
 * offset over 0xffff (EFAULT).  r0 holds the length and every result, so
 * host and device must agree on each.
 */
#include "common.h"

SEC("xdp")
int bytes(struct xdp_md *ctx)
{
	__u32 len = bpf_xdp_get_buff_len(ctx);
	__u8 buf[16];
	long r1, r2 = 1, r3, r4;
	int i;

	r1 = bpf_xdp_load_bytes(ctx, len / 2, buf, sizeof(buf));
	if (!r1) {
		for (i = 0; i < sizeof(buf); i++)
			buf[i] ^= 0xff;
		r2 = bpf_xdp_store_bytes(ctx, 0, buf, sizeof(buf));
	}
	r3 = bpf_xdp_load_bytes(ctx, len - 3, buf, 4);
	r4 = bpf_xdp_store_bytes(ctx, 0x10000, buf, 4);
	return len << 16 | (-r1 & 0x1f) << 11 | (-r2 & 0x1f) << 6 |
	       (-r3 & 0x1f) << 1 | (r4 == -14);
}

char _license[] SEC("license") = "GPL";
