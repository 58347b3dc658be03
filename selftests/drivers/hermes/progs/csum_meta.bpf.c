// SPDX-License-Identifier: GPL-2.0-only
/* bpf_csum_diff() and bpf_xdp_adjust_meta().  Checksums of packet bytes
 * (4 to 512 bytes, from and to, seeds 0, 0xffffffff and one from the
 * packet) and of stack buffers, and the -EINVAL of a size that is not a
 * multiple of 4 and of 516 bytes, are written over the packet's first
 * bytes and folded into r0.  Then metadata: 8 bytes claimed and written,
 * moved by bpf_xdp_adjust_head(-4) (which leaves its last 4 bytes at the
 * new start of the packet), read back, the kernel's bounds probed (below
 * the frame: -EINVAL; 10 and 256 bytes: -EACCES; 252 bytes: taken) and
 * given back: a host test run returns the metadata in front of the
 * packet, an offloaded one does not, so the program ends without any.
 */
#include "common.h"

#define NSUMS 10

static __always_inline __u32 fold(__u32 h, long v)
{
	return (h ^ (__u32)v) * 0x01000193;
}

SEC("xdp")
int csum_meta(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 len = end - data, h = 0x811c9dc5, i;
	__u32 st[16], st2[8];
	long s[NSUMS] = {};
	long r[8] = {};
	__u32 *meta, *p;

	/* packet bytes, as far as the packet goes */
	if (data + 4 <= end)
		s[0] = bpf_csum_diff(NULL, 0, data, 4, 0);
	if (data + 12 <= end)
		s[1] = bpf_csum_diff(data, 8, data + 8, 4, 0xffffffff);
	if (data + 40 <= end)
		s[2] = bpf_csum_diff(NULL, 0, data, 40, *(__u32 *)(data + 4));
	if (data + 96 <= end)
		s[3] = bpf_csum_diff(data, 44, data + 44, 52, 0x12345678);
	if (data + 512 <= end)
		s[4] = bpf_csum_diff(data, 256, data + 256, 256, 0);
	if (data + 260 <= end)
		s[5] = bpf_csum_diff(data, 256, data, 260, 0);	/* 516: -EINVAL */
	if (data + 6 <= end)
		s[6] = bpf_csum_diff(data, 6, NULL, 0, 0);	/* -EINVAL */

	/* stack buffers: a pattern, all ones, the packet's first word */
	for (i = 0; i < 16; i++)
		st[i] = 0x01020304 * (i + 1) ^ len;
	for (i = 0; i < 8; i++)
		st2[i] = 0xffffffff;
	s[7] = bpf_csum_diff(st, sizeof(st), st2, sizeof(st2), 0);
	s[8] = bpf_csum_diff(st2, sizeof(st2), NULL, 0, 0xffffffff);
	if (data + 4 <= end)
		st2[3] = *(__u32 *)data;
	s[9] = bpf_csum_diff(st2, 16, st, 20, len);

	for (i = 0; i < NSUMS; i++)
		h = fold(h, s[i]);
	if (data + 4 * NSUMS <= end)
		for (i = 0; i < NSUMS; i++)
			((__u32 *)data)[i] = s[i];

	/* metadata: 8 bytes, written */
	r[0] = bpf_xdp_adjust_meta(ctx, -8);
	data = (void *)(long)ctx->data;
	meta = (void *)(long)ctx->data_meta;
	if (!r[0] && (void *)(meta + 2) <= data) {
		meta[0] = h;
		meta[1] = 0xa5a5a5a5 ^ len;
	}
	/* moved with the packet's start; its last 4 bytes now start it */
	r[1] = bpf_xdp_adjust_head(ctx, -4);
	data = (void *)(long)ctx->data;
	meta = (void *)(long)ctx->data_meta;
	if ((void *)(meta + 2) <= data)
		h = fold(h, meta[0] + meta[1]);
	r[2] = bpf_xdp_adjust_meta(ctx, -300);	/* below the frame */
	r[3] = bpf_xdp_adjust_meta(ctx, -2);	/* 10 bytes */
	r[4] = bpf_xdp_adjust_meta(ctx, 12);	/* past data */
	r[5] = bpf_xdp_adjust_meta(ctx, 8);	/* none left */

	/* 252 bytes fit skb_shared_info.meta_len, 256 do not */
	if (len >= 120 && !bpf_xdp_adjust_head(ctx, 100)) {
		r[6] = bpf_xdp_adjust_meta(ctx, -256);
		r[7] = bpf_xdp_adjust_meta(ctx, -252);
		data = (void *)(long)ctx->data;
		meta = (void *)(long)ctx->data_meta;
		p = meta + 62;
		if ((void *)(p + 1) <= data)
			h = fold(h, *p);
		bpf_xdp_adjust_meta(ctx, 252);
		bpf_xdp_adjust_head(ctx, -100);
	}

	/* whatever happened above: no metadata at exit */
	data = (void *)(long)ctx->data;
	meta = (void *)(long)ctx->data_meta;
	if ((void *)meta < data)
		bpf_xdp_adjust_meta(ctx, data - (void *)meta);

	for (i = 0; i < 8; i++)
		h = fold(h, r[i]);
	return h;
}

char _license[] SEC("license") = "GPL";
