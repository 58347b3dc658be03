/*
 * Ethernet/IPv4/UDP parser: checks the headers and returns a digest of
 * the flow (addresses, ports) plus the byte sum of the UDP payload, or
 * a small error code for a packet it does not accept.
 *
 * Copyright (c) 2026 The Hermes authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "bench.h"

struct ethhdr {
    __u8 dst[6];
    __u8 src[6];
    __u16 proto;
};

struct iphdr {
    __u8 ver_ihl;
    __u8 tos;
    __u16 tot_len;
    __u16 id;
    __u16 frag_off;
    __u8 ttl;
    __u8 protocol;
    __u16 check;
    __u32 saddr;
    __u32 daddr;
};

struct udphdr {
    __u16 source;
    __u16 dest;
    __u16 len;
    __u16 check;
};

static __always_inline __u16 be16(__u16 v)
{
    return __builtin_bswap16(v);
}

SEC("xdp")
int parse(struct xdp_md *ctx)
{
    __u8 *data = (__u8 *)(long)ctx->data;
    __u8 *end = (__u8 *)(long)ctx->data_end;
    struct ethhdr *eth = (void *)data;
    struct iphdr *ip;
    struct udphdr *udp;
    __u8 *pl;
    __u32 ihl, i, sum = 0, plen;

    if ((__u8 *)(eth + 1) > end) {
        return 1;
    }
    if (eth->proto != be16(0x0800)) {
        return 2;
    }
    ip = (void *)(eth + 1);
    if ((__u8 *)(ip + 1) > end) {
        return 3;
    }
    ihl = (ip->ver_ihl & 0xf) * 4;
    if ((ip->ver_ihl >> 4) != 4 || ihl < sizeof(*ip)) {
        return 4;
    }
    if (ip->protocol != 17 || (ip->frag_off & be16(0x3fff))) {
        return 5;
    }
    udp = (void *)((__u8 *)ip + ihl);
    if ((__u8 *)(udp + 1) > end) {
        return 6;
    }
    plen = be16(udp->len);
    if (plen < sizeof(*udp)) {
        return 7;
    }
    plen -= sizeof(*udp);
    pl = (__u8 *)(udp + 1);
    for (i = 0; i < BENCH_MAX_LEN; i++) {
        if (i >= plen || pl + i + 1 > end) {
            break;
        }
        sum += pl[i];
    }
    return (ip->saddr ^ ip->daddr ^ ((__u32)udp->source << 16 | udp->dest))
           + sum;
}

char _license[] SEC("license") = "GPL";
