/*
 * Common definitions for the engine benchmark programs (BPF side).
 *
 * Copyright (c) 2026 The Hermes authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The programs are XDP programs without maps or helpers, so that the same
 * object runs on the Hermes engine and through BPF_PROG_TEST_RUN on the
 * host kernel.  They read the packet bounds from struct xdp_md; on the
 * engine those are 32-bit device addresses (see bench-engine.c).
 */

#ifndef HERMES_BENCH_H
#define HERMES_BENCH_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;

struct xdp_md {
    __u32 data;
    __u32 data_end;
    __u32 data_meta;
    __u32 ingress_ifindex;
    __u32 rx_queue_index;
    __u32 egress_ifindex;
};

#define SEC(name) __attribute__((section(name), used))
#define __always_inline inline __attribute__((always_inline))

/* Largest input the benchmarks handle (host XDP test runs: ~one page). */
#define BENCH_MAX_LEN 3072

#endif
