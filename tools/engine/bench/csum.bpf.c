/*
 * Internet checksum (RFC 1071) over the whole buffer.
 *
 * Copyright (c) 2026 The Hermes authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "bench.h"

SEC("xdp")
int csum(struct xdp_md *ctx)
{
    __u8 *data = (__u8 *)(long)ctx->data;
    __u8 *end = (__u8 *)(long)ctx->data_end;
    __u64 sum = 0;
    __u32 i;

    for (i = 0; i < BENCH_MAX_LEN / 2; i++) {
        __u16 *p = (__u16 *)(data + 2 * i);

        if ((__u8 *)(p + 1) > end) {
            break;
        }
        sum += *p;
    }
    if (data + 2 * i + 1 <= end) {
        sum += data[2 * i];     /* odd length: last byte, zero-padded */
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (__u16)~sum;
}

char _license[] SEC("license") = "GPL";
