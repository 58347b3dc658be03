/*
 * Byte histogram into the stack (64 bins of 4 byte values each), reduced
 * to a checksum-like value so the whole histogram affects the result.
 *
 * Copyright (c) 2026 The Hermes authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "bench.h"

#define BINS 64

SEC("xdp")
int histogram(struct xdp_md *ctx)
{
    __u8 *data = (__u8 *)(long)ctx->data;
    __u8 *end = (__u8 *)(long)ctx->data_end;
    __u32 bins[BINS];
    __u32 i, r = 0;

    __builtin_memset(bins, 0, sizeof(bins));
    for (i = 0; i < BENCH_MAX_LEN; i++) {
        if (data + i + 1 > end) {
            break;
        }
        bins[(data[i] >> 2) & (BINS - 1)]++;
    }
    for (i = 0; i < BINS; i++) {
        r = r * 31 + bins[i];
    }
    return r;
}

char _license[] SEC("license") = "GPL";
