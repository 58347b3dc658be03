// SPDX-License-Identifier: GPL-2.0-only
/* Counts the packet bytes by value into a hash map (the first packet with
 * a value inserts its key, later ones add with an atomic), and the packets
 * and bytes seen into an array.  Returns the number of distinct values in
 * the packet that were new to the map.
 */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 256);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} totals SEC(".maps");

SEC("xdp")
int count_map(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
	__u32 i, key, n = 0, fresh = 0;
	__u64 one = 1, *v;

	for (i = 0; i < 512; i++) {
		if (data + i + 1 > end)
			break;
		key = data[i];
		v = bpf_map_lookup_elem(&counts, &key);
		if (v) {
			__sync_fetch_and_add(v, 1);
		} else if (bpf_map_update_elem(&counts, &key, &one,
					       BPF_NOEXIST) == 0) {
			fresh++;
		} else {
			/* another run inserted it meanwhile */
			v = bpf_map_lookup_elem(&counts, &key);
			if (v)
				__sync_fetch_and_add(v, 1);
		}
		n++;
	}
	key = 0;
	v = bpf_map_lookup_elem(&totals, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	key = 1;
	v = bpf_map_lookup_elem(&totals, &key);
	if (v)
		__sync_fetch_and_add(v, n);
	return fresh;
}

char _license[] SEC("license") = "GPL";
