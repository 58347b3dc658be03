// SPDX-License-Identifier: GPL-2.0-only
/* Keeps every record; a record whose first byte is 0xab makes it spin
 * for LOOPS iterations first (some 40000 instructions), so that a small
 * instruction budget (`hermes run --budget`) stops the batch at exactly
 * that record.  Used by selftests batch.py.
 */
#include "common.h"

#define LOOPS 20000

SEC("xdp")
int loopy(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
	__u32 i;

	if (data + 1 > end || data[0] != 0xab)
		return XDP_PASS;
	for (i = 0; i < LOOPS; i++)
		asm volatile("" : "+r"(i));	/* keep every iteration */
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
