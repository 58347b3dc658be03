// SPDX-License-Identifier: GPL-2.0-only
/* Histogram of the high nibbles of the packet bytes into an array map of
 * 16 u64 bins, with atomic adds so that concurrent runs lose no count.
 */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 16);
} hist SEC(".maps");

SEC("xdp")
int hist_map(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
	__u64 bins[16];
	__u32 i, key;
	__u64 *v;

	__builtin_memset(bins, 0, sizeof(bins));
	for (i = 0; i < MAX_LEN; i++) {
		if (data + i + 1 > end)
			break;
		bins[(data[i] >> 4) & 15]++;
	}
#pragma unroll
	for (i = 0; i < 16; i++) {
		if (!bins[i])
			continue;
		key = i;
		v = bpf_map_lookup_elem(&hist, &key);
		if (!v)
			return XDP_ABORTED;
		__sync_fetch_and_add(v, bins[i]);
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
