/*
 * Search for the 4-byte pattern "HRMS" (unaligned 32-bit loads); returns
 * its offset or 0xffffffff.
 *
 * Copyright (c) 2026 The Hermes authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "bench.h"

SEC("xdp")
int search(struct xdp_md *ctx)
{
    __u8 *data = (__u8 *)(long)ctx->data;
    __u8 *end = (__u8 *)(long)ctx->data_end;
    __u32 i;

    for (i = 0; i < BENCH_MAX_LEN; i++) {
        __u8 *p = data + i;

        if (p + 4 > end) {
            break;
        }
        /* one 32-bit compare per position keeps the verifier's jump
         * history short enough for a 3 KiB scan */
        if (*(__u32 *)p == ('H' | 'R' << 8 | 'M' << 16 | (__u32)'S' << 24)) {
            return i;
        }
    }
    return -1;
}

char _license[] SEC("license") = "GPL";
