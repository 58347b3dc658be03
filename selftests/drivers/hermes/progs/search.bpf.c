// SPDX-License-Identifier: GPL-2.0-only
/* Offset of the last "HRMS" in the first SEARCH_LEN bytes of the packet,
 * or 0xffffffff; the number of matches goes into the first four bytes.
 * (The last, not the first: keeping a minimum would make the verifier
 * track every offset separately.)
 */
#include "common.h"

#define SEARCH_LEN 1024

SEC("xdp")
int search(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
	__u32 i, last = 0xffffffff, n = 0;

	for (i = 0; i < SEARCH_LEN; i++) {
		__u8 *p = data + i;

		if (p + 4 > end)
			break;
		if (p[0] == 'H' && p[1] == 'R' && p[2] == 'M' && p[3] == 'S') {
			last = i;
			n++;
		}
	}
	if (data + 4 <= end)
		*(__u32 *)data = n;
	return last;
}

char _license[] SEC("license") = "GPL";
