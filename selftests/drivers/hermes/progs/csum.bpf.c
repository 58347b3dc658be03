// SPDX-License-Identifier: GPL-2.0-only
/* Internet checksum (RFC 1071) of the packet: returned and stored over
 * the first two bytes.
 */
#include "common.h"

SEC("xdp")
int csum(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
	__u64 sum = 0;
	__u32 i;

	for (i = 0; i < MAX_LEN / 2; i++) {
		__u16 *p = (__u16 *)(data + 2 * i);

		if ((__u8 *)(p + 1) > end)
			break;
		sum += *p;
	}
	if (data + 2 * i + 1 <= end)
		sum += data[2 * i];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	if (data + 2 <= end)
		*(__u16 *)data = (__u16)~sum;
	return (__u16)~sum;
}

char _license[] SEC("license") = "GPL";
