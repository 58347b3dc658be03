/*
 * Engine benchmark: run the same eBPF objects on the Hermes engine and on
 * the host kernel (BPF_PROG_TEST_RUN, XDP), check both return the same
 * value and print the time per run of each: the engine's threaded
 * interpreter (hermes_ebpf_run_code()), its reference interpreter
 * (hermes_ebpf_run()) and the host.  The last line is the worst ratio of
 * engine to host at the largest input.
 *
 * Copyright (c) 2026 The Hermes authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * usage: bench-engine PROG.bin...   (raw "xdp" section of each object)
 * then the built-in histmap program, which aggregates into a map.
 *
 * Program ABI on the engine: r1 is the device address of a read-only
 * context laid out as the kernel's struct xdp_md, whose 32-bit data and
 * data_end fields hold the device addresses of the packet, placed below
 * 4 GiB (PKT_ADDR) so they fit; the packet is a read-write region.  The
 * kernel's verifier rewrites the same ctx loads into real pointer loads,
 * so the program text is identical on both sides.
 *
 * Last, record batches: hermes_ebpf_run_batch_code() with a trivial
 * XDP_PASS program over 8 MiB of 64-byte and 4 KiB records, fixed-size
 * and length-prefixed, in ns and records per second, and beside it
 * hermes_ebpf_run_batch() (the reference interpreter) in ns per record
 * (engine only: the figure bounds what BATCH RUN can do per engine).
 * The program never reads its record, so this is the per-record overhead
 * of the batch loop, not a data rate: no MB/s column.
 */

#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hermes-ebpf.h"

#define CTX_ADDR    0x1000ull
#define PKT_ADDR    0x100000ull
#define STACK_ADDR  0x7ff00000ull

static const uint32_t sizes[] = { 64, 512, 1500, 3000 };

static uint64_t now_ns(void)
{
    struct timespec ts;

    /* CPU time of this thread: the machine is shared, wall time is noisy */
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * Engine time per run of @insns: the best of three batches of about
 * 0.1 s of engine time each.  The batch size goes to @reps, so that the
 * host side runs a comparable number of times.
 */
static void engine_run(const uint64_t *insns, uint32_t n,
                       const HermesEbpfCode *code, HermesEbpfRegion *regions,
                       HermesEbpfRunConfig *cfg, HermesEbpfResult *res)
{
    if (code) {
        hermes_ebpf_run_code(code, regions, 2, cfg, res);
    } else {
        hermes_ebpf_run(insns, n, regions, 2, cfg, res);
    }
}

/*
 * @code NULL: the reference interpreter (hermes_ebpf_run()) on @insns,
 * else the threaded interpreter on the decoded program.
 */
static uint64_t engine_ns_per_run(const uint64_t *insns, uint32_t n,
                                  const HermesEbpfCode *code,
                                  HermesEbpfRegion *regions,
                                  HermesEbpfRunConfig *cfg,
                                  HermesEbpfResult *res, uint32_t *reps)
{
    uint64_t t0, t, best = UINT64_MAX;
    uint32_t r;
    int b;

    t0 = now_ns();
    engine_run(insns, n, code, regions, cfg, res);
    t = now_ns() - t0;
    *reps = t ? (uint32_t)(100000000ull / t) : 100000;
    *reps = *reps < 10 ? 10 : *reps > 100000 ? 100000 : *reps;
    for (b = 0; b < 3; b++) {
        t0 = now_ns();
        for (r = 0; r < *reps; r++) {
            engine_run(insns, n, code, regions, cfg, res);
        }
        t = (now_ns() - t0) / *reps;
        best = t < best ? t : best;
    }
    return best;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
    return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static uint8_t *load_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    if (!f) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(n > 0 ? n : 1);
    if (!buf || fread(buf, 1, n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Deterministic input: pseudo-random bytes, or a UDP packet for "parse". */
static void make_input(const char *name, uint8_t *p, uint32_t len)
{
    uint32_t x = 0x12345678, i;

    for (i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = x >> 16;
    }
    if (strstr(name, "search") && len >= 8) {
        memcpy(p + len - 7, "HRMS", 4);   /* near the end: full scan */
    }
    if (strstr(name, "parse") && len >= 42) {
        uint32_t iplen = len - 14, udplen = iplen - 20;

        p[12] = 0x08;
        p[13] = 0x00;
        p[14] = 0x45;
        p[16] = iplen >> 8;
        p[17] = iplen & 0xff;
        p[20] = 0x40;     /* don't fragment */
        p[21] = 0;
        p[23] = 17;       /* UDP */
        p[38] = udplen >> 8;
        p[39] = udplen & 0xff;
    }
}

static int host_run(int fd, uint8_t *pkt, uint32_t len, uint32_t repeat,
                    uint32_t *retval, uint32_t *duration)
{
    union bpf_attr a;

    memset(&a, 0, sizeof(a));
    a.test.prog_fd = fd;
    a.test.data_in = (uint64_t)(uintptr_t)pkt;
    a.test.data_size_in = len;
    a.test.repeat = repeat;
    if (sys_bpf(BPF_PROG_TEST_RUN, &a) < 0) {
        return -errno;
    }
    *retval = a.test.retval;
    *duration = a.test.duration;
    return 0;
}

/*
 * histmap: a byte histogram into a 64-entry ARRAY map with atomic adds,
 * one bpf_map_lookup_elem per byte.  Hand-assembled because the map
 * reference differs: lddw src_reg 5 (map 0) on the engine,
 * BPF_PSEUDO_MAP_FD on the host.  After the same number of runs both maps
 * must hold the same counts, and those of a plain C histogram.
 */
#define HM_BINS     64
#define HM_RUNS     3
#define HM_I(op, dst, src, off, imm) \
    ((uint64_t)(op) | (uint64_t)((dst) | (src) << 4) << 8 | \
     (uint64_t)(uint16_t)(off) << 16 | (uint64_t)(uint32_t)(imm) << 32)

static void histmap_prog(uint64_t *p, int src, int32_t map)
{
    static const uint64_t text[] = {
        HM_I(0x61, 6, 1, 0, 0),         /* r6 = ctx->data */
        HM_I(0x61, 7, 1, 4, 0),         /* r7 = ctx->data_end */
        HM_I(0xb7, 8, 0, 0, 0),         /* r8 = 0 */
        HM_I(0x35, 8, 0, 18, 4096), /* loop: r8 >= max: out */
        HM_I(0xbf, 2, 6, 0, 0),
        HM_I(0x07, 2, 0, 0, 1),
        HM_I(0x2d, 2, 7, 15, 0),        /* r6 + 1 > data_end: out */
        HM_I(0x71, 3, 6, 0, 0),         /* r3 = *(u8 *)r6 */
        HM_I(0x77, 3, 0, 0, 2),
        HM_I(0x57, 3, 0, 0, HM_BINS - 1),
        HM_I(0x63, 10, 3, -4, 0),       /* key = (byte >> 2) & 63 */
        0, 0,                           /* r1 = map */
        HM_I(0xbf, 2, 10, 0, 0),
        HM_I(0x07, 2, 0, 0, -4),
        HM_I(0x85, 0, 0, 0, 1),         /* bpf_map_lookup_elem */
        HM_I(0x15, 0, 0, 2, 0),
        HM_I(0xb7, 1, 0, 0, 1),
        HM_I(0xdb, 0, 1, 0, 0),         /* lock *(u64 *)r0 += 1 */
        HM_I(0x07, 6, 0, 0, 1),
        HM_I(0x07, 8, 0, 0, 1),
        HM_I(0x05, 0, 0, -19, 0),       /* goto loop */
        HM_I(0xb7, 0, 0, 0, 2),         /* out: XDP_PASS */
        HM_I(0x95, 0, 0, 0, 0),
    };

    memcpy(p, text, sizeof(text));
    p[11] = HM_I(0x18, 1, src, 0, map);
}

#define HM_NINSNS 24

static int histmap(void)
{
    static uint64_t hm_code[(HM_NINSNS + 2) * 4 + 8];
    uint64_t eng_prog[HM_NINSNS], host_prog[HM_NINSNS];
    uint64_t want[HM_BINS], eng_v, host_v, eng_ns, *mapmem;
    uint32_t s, k, r, reps, host_ret, host_ns, ctx[6] = { 0 };
    HermesEbpfMap map, *maps[1] = { &map };
    HermesEbpfRunConfig cfg;
    HermesEbpfResult res;
    union bpf_attr a;
    int mfd, fd, failures = 0, same;

    for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        uint32_t len = sizes[s];
        uint8_t *pkt = malloc(len);
        HermesEbpfRegion regions[2] = {
            { CTX_ADDR, sizeof(ctx), ctx, HERMES_EBPF_MEM_READ },
            { PKT_ADDR, len, pkt, HERMES_EBPF_MEM_RW },
        };
        uint64_t fp;

        make_input("histmap", pkt, len);
        memset(want, 0, sizeof(want));
        for (k = 0; k < len; k++) {
            want[(pkt[k] >> 2) & (HM_BINS - 1)] += HM_RUNS;
        }

        /* engine: map 0 */
        hermes_ebpf_map_footprint(HERMES_EBPF_MAP_ARRAY, 4, 8, HM_BINS, &fp);
        mapmem = malloc(fp);
        hermes_ebpf_map_init(&map, HERMES_EBPF_MAP_ARRAY, 4, 8, HM_BINS,
                             mapmem);
        histmap_prog(eng_prog, HERMES_EBPF_PSEUDO_MAP_IDX, 0);
        ctx[0] = (uint32_t)PKT_ADDR;
        ctx[1] = (uint32_t)(PKT_ADDR + len);
        memset(&cfg, 0, sizeof(cfg));
        cfg.args[0] = CTX_ADDR;
        cfg.stack_addr = STACK_ADDR;
        cfg.budget = 1000000;
        cfg.maps = maps;
        cfg.nmaps = 1;

        /* host: an ARRAY map and the program naming it */
        memset(&a, 0, sizeof(a));
        a.map_type = BPF_MAP_TYPE_ARRAY;
        a.key_size = 4;
        a.value_size = 8;
        a.max_entries = HM_BINS;
        mfd = sys_bpf(BPF_MAP_CREATE, &a);
        fd = -1;
        if (mfd >= 0) {
            histmap_prog(host_prog, BPF_PSEUDO_MAP_FD, mfd);
            memset(&a, 0, sizeof(a));
            a.prog_type = BPF_PROG_TYPE_XDP;
            a.insns = (uint64_t)(uintptr_t)host_prog;
            a.insn_cnt = HM_NINSNS;
            a.license = (uint64_t)(uintptr_t)"GPL";
            fd = sys_bpf(BPF_PROG_LOAD, &a);
        }
        if (fd < 0) {
            printf("%-10s %6u host kernel refuses it: %s\n", "histmap", len,
                   strerror(errno));
            failures++;
        }

        /* the same runs on both sides, then the maps must agree */
        same = 1;
        for (r = 0; r < HM_RUNS; r++) {
            /* the reference first, then the decoded program */
            if (r == 0) {
                hermes_ebpf_run(eng_prog, HM_NINSNS, regions, 2, &cfg, &res);
            } else {
                hermes_ebpf_run_code(hermes_ebpf_decode(eng_prog, HM_NINSNS,
                                                        hm_code,
                                                        sizeof(hm_code)),
                                     regions, 2, &cfg, &res);
            }
            same &= res.status == HERMES_EBPF_OK && res.r0 == 2;
        }
        if (fd >= 0) {
            same &= host_run(fd, pkt, len, HM_RUNS, &host_ret, &host_ns) == 0
                    && host_ret == 2;
        }
        for (k = 0; k < HM_BINS; k++) {
            same &= hermes_ebpf_map_lookup(&map, &k, &eng_v) == 0 &&
                    eng_v == want[k];
            if (fd >= 0) {
                memset(&a, 0, sizeof(a));
                a.map_fd = mfd;
                a.key = (uint64_t)(uintptr_t)&k;
                a.value = (uint64_t)(uintptr_t)&host_v;
                same &= sys_bpf(BPF_MAP_LOOKUP_ELEM, &a) == 0 &&
                        host_v == want[k];
            }
        }

        /* timing, as for the other programs */
        eng_ns = engine_ns_per_run(eng_prog, HM_NINSNS,
                                   hermes_ebpf_decode(eng_prog, HM_NINSNS,
                                                      hm_code,
                                                      sizeof(hm_code)),
                                   regions, &cfg, &res, &reps);
        host_ns = 0;
        if (fd >= 0 && host_run(fd, pkt, len, reps * 10, &host_ret,
                                &host_ns) < 0) {
            host_ns = 0;
        }
        printf("%-10s %6u %14" PRIu64 " %12u %8.1f  map %s host and C"
               "  (%" PRIu64 " insns)\n", "histmap", len, eng_ns, host_ns,
               host_ns ? (double)eng_ns / host_ns : 0.0,
               same ? "==" : "!=", res.insns);
        failures += !same;
        if (fd >= 0) {
            close(fd);
        }
        if (mfd >= 0) {
            close(mfd);
        }
        free(mapmem);
        free(pkt);
    }
    return failures;
}

/*
 * Batch throughput: the best of three timed batches over BB_INPUT bytes of
 * input.  XDP_PASS keeps every record where it is, so the input stays
 * valid from one batch to the next and nothing is copied.
 */
#define BB_INPUT    (8u << 20)

static int batch_bench(void)
{
    static const uint64_t pass[] = {
        HM_I(0xb7, 0, 0, 0, 2),         /* r0 = XDP_PASS */
        HM_I(0x95, 0, 0, 0, 0),
    };
    static const uint32_t rsizes[] = { 64, 4096 };
    static uint64_t stack[HERMES_EBPF_MAX_CALL_DEPTH * 512 / 8];
    static uint64_t code_mem[64];
    const HermesEbpfCode *pass_code = hermes_ebpf_decode(pass, 2, code_mem,
                                                         sizeof(code_mem));
    uint32_t i, lp, k, failures = 0;

    printf("\n%-20s %6s %8s %14s %10s %14s\n", "batch (XDP_PASS)",
           "bytes", "records", "ns/record", "Mrec/s", "ref ns/record");
    for (i = 0; i < sizeof(rsizes) / sizeof(rsizes[0]); i++) {
        for (lp = 0; lp < 2; lp++) {
            uint32_t rs = rsizes[i], step = rs + (lp ? 4 : 0);
            uint32_t nrec = BB_INPUT / step, ilen = nrec * step;
            uint32_t resoff = (ilen + 7) & ~7u;
            uint32_t slot_size = resoff + 16 * nrec;
            uint8_t *slot = calloc(1, slot_size);
            HermesEbpfBatch b = {
                .slot = slot, .slot_size = slot_size, .in_len = ilen,
                .record_size = lp ? 0 : rs, .lenpfx = lp, .res_off = resoff,
                .data_base = 0x100000000ull, .ctx_base = 0x200000000ull,
            };
            HermesEbpfRunConfig cfg;
            HermesEbpfBatchResult res;
            uint64_t t0, t, best = UINT64_MAX, ref_best = UINT64_MAX;
            int rep;

            for (k = 0; lp && k < nrec; k++) {
                uint8_t *p = slot + (size_t)k * step;

                p[0] = rs;
                p[1] = rs >> 8;
            }
            memset(&cfg, 0, sizeof(cfg));
            cfg.stack_addr = 0x300000000ull;
            cfg.stack_host = stack;
            if (hermes_ebpf_batch_check(&b, &k, NULL) != HERMES_EBPF_BATCH_OK ||
                k != nrec) {
                printf("batch: bad framing\n");
                free(slot);
                return 1;
            }
            /* the decoded engine, then the reference, alternately */
            for (rep = 0; rep < 6; rep++) {
                t0 = now_ns();
                if (rep % 2) {
                    hermes_ebpf_run_batch(pass, 2, &b, &cfg, &res);
                } else {
                    hermes_ebpf_run_batch_code(pass_code, &b, &cfg, &res);
                }
                t = now_ns() - t0;
                if (rep % 2) {
                    ref_best = t < ref_best ? t : ref_best;
                } else {
                    best = t < best ? t : best;
                }
                if (res.status != HERMES_EBPF_OK ||
                    res.records_out != nrec || res.out_len != ilen) {
                    failures++;
                }
            }
            best = best ? best : 1;
            printf("%-20s %6u %8u %14.1f %10.2f %14.1f%s\n",
                   lp ? "  length-prefixed" : "  fixed-size", rs, nrec,
                   (double)best / nrec, nrec * 1e3 / best,
                   (double)ref_best / nrec,
                   failures ? "  WRONG OUTPUT" : "");
            free(slot);
        }
    }
    return failures != 0;
}

int main(int argc, char **argv)
{
    static char log[1 << 22];
    const HermesEbpfCode *code;
    HermesEbpfCode *jcode;
    void *code_mem, *jcode_mem;
    double worst = 0, iworst = 0;
    int failures = 0, i;

    printf("%-10s %6s %12s %14s %12s %12s %8s %8s  %s\n", "program", "bytes",
           "jit ns/run", "threaded ns/run", "ref ns/run", "host ns/run",
           "ratio", "i-ratio", "r0 (engine = host)");
    for (i = 1; i < argc; i++) {
        const char *base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1
                                                 : argv[i];
        char name[32];
        size_t blen;
        uint8_t *bin = load_file(argv[i], &blen);
        uint64_t *insns;
        uint32_t n, bad, s;
        HermesEbpfCaps caps;
        char msg[160];
        union bpf_attr a;
        int fd;

        snprintf(name, sizeof(name), "%.*s", (int)strcspn(base, "."), base);
        if (!bin || blen % 8 || blen == 0) {
            printf("%s: cannot read program\n", argv[i]);
            failures++;
            continue;
        }
        n = blen / 8;
        insns = malloc(n * sizeof(*insns));
        for (s = 0; s < n; s++) {
            uint64_t v = 0;
            int b;

            for (b = 7; b >= 0; b--) {
                v = v << 8 | bin[s * 8 + b];
            }
            insns[s] = v;
        }
        hermes_ebpf_caps_full(&caps);
        if (hermes_ebpf_validate(insns, n, &caps, &bad, msg, sizeof(msg))) {
            printf("%s: engine rejects it: %s\n", name, msg);
            failures++;
            continue;
        }
        code_mem = malloc(hermes_ebpf_code_size(n));
        code = hermes_ebpf_decode(insns, n, code_mem,
                                  hermes_ebpf_code_size(n));
        jcode_mem = malloc(hermes_ebpf_code_size(n));
        jcode = hermes_ebpf_decode(insns, n, jcode_mem,
                                   hermes_ebpf_code_size(n));
        if (!hermes_ebpf_jit(jcode)) {
            printf("%s: no JIT on this host; the jit column is the "
                   "threaded interpreter\n", name);
        }
        memset(&a, 0, sizeof(a));
        a.prog_type = BPF_PROG_TYPE_XDP;
        a.insns = (uint64_t)(uintptr_t)bin;   /* raw bytes, little-endian */
        a.insn_cnt = n;
        a.license = (uint64_t)(uintptr_t)"GPL";
        fd = sys_bpf(BPF_PROG_LOAD, &a);
        if (fd < 0) {
            /* again, with the verifier log, to say why */
            a.log_buf = (uint64_t)(uintptr_t)log;
            a.log_size = sizeof(log);
            a.log_level = 1;
            log[0] = '\0';
            fd = sys_bpf(BPF_PROG_LOAD, &a);
        }
        if (fd < 0) {
            size_t l = strlen(log);

            printf("%s: host kernel refuses it (%s): %s\n", name,
                   strerror(errno), l > 400 ? log + l - 400 : log);
            failures++;
        }

        for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            uint32_t len = sizes[s], ctx[6] = { 0 };
            uint8_t *pkt = malloc(len);
            HermesEbpfRegion regions[2] = {
                { CTX_ADDR, sizeof(ctx), ctx, HERMES_EBPF_MEM_READ },
                { PKT_ADDR, len, pkt, HERMES_EBPF_MEM_RW },
            };
            HermesEbpfRunConfig cfg;
            HermesEbpfResult res, ref, jres;
            uint32_t reps, host_ret = 0, host_ns = 0;
            uint64_t eng_ns, ref_ns, jit_ns;
            int hr = -1;

            make_input(name, pkt, len);
            ctx[0] = (uint32_t)PKT_ADDR;
            ctx[1] = (uint32_t)(PKT_ADDR + len);
            memset(&cfg, 0, sizeof(cfg));
            cfg.args[0] = CTX_ADDR;
            cfg.stack_addr = STACK_ADDR;
            cfg.budget = 1000000;

            hermes_ebpf_run(insns, n, regions, 2, &cfg, &ref);
            hermes_ebpf_run_code(code, regions, 2, &cfg, &res);
            hermes_ebpf_run_code(jcode, regions, 2, &cfg, &jres);
            if (ref.status != res.status || ref.r0 != res.r0 ||
                ref.insns != res.insns || ref.status != jres.status ||
                ref.r0 != jres.r0 || ref.insns != jres.insns) {
                printf("%-10s %6u decoded engine or JIT != reference\n",
                       name, len);
                failures++;
            }
            if (res.status != HERMES_EBPF_OK) {
                printf("%-10s %6u engine fault: %s at pc %u addr 0x%"
                       PRIx64 "\n", name, len,
                       hermes_ebpf_status_name(res.status), res.pc,
                       res.fault_addr);
                failures++;
                free(pkt);
                continue;
            }
            ref_ns = engine_ns_per_run(insns, n, NULL, regions, &cfg, &ref,
                                       &reps);
            eng_ns = engine_ns_per_run(insns, n, code, regions, &cfg, &res,
                                       &reps);
            jit_ns = engine_ns_per_run(insns, n, jcode, regions, &cfg, &jres,
                                       &reps);

            if (fd >= 0) {
                hr = host_run(fd, pkt, len, reps * 10, &host_ret, &host_ns);
            }
            if (hr < 0) {
                printf("%-10s %6u %12" PRIu64 " %14" PRIu64 " %12" PRIu64
                       " %12s %8s %8s  0x%08x (host: %s)\n",
                       name, len, jit_ns, eng_ns, ref_ns, "-", "-", "-",
                       (uint32_t)res.r0,
                       fd < 0 ? "not loaded" : strerror(-hr));
                failures++;
            } else {
                int same = (uint32_t)res.r0 == host_ret;

                double ratio = host_ns ? (double)jit_ns / host_ns : 0.0;
                double iratio = host_ns ? (double)eng_ns / host_ns : 0.0;

                if (s == sizeof(sizes) / sizeof(sizes[0]) - 1) {
                    worst = ratio > worst ? ratio : worst;
                    iworst = iratio > iworst ? iratio : iworst;
                }
                printf("%-10s %6u %12" PRIu64 " %14" PRIu64 " %12" PRIu64
                       " %12u %8.1f %8.1f  0x%08x %s 0x%08x  (%" PRIu64
                       " insns)\n",
                       name, len, jit_ns, eng_ns, ref_ns, host_ns, ratio,
                       iratio,
                       (uint32_t)res.r0, same ? "==" : "!=", host_ret,
                       res.insns);
                failures += !same;
            }
            free(pkt);
        }
        if (fd >= 0) {
            close(fd);
        }
        hermes_ebpf_code_release(jcode);
        free(jcode_mem);
        free(code_mem);
        free(insns);
        free(bin);
    }
    failures += histmap();
    failures += batch_bench();
    printf("bench-engine: %s\n", failures ? "MISMATCH OR FAILURE" :
           "all results agree with the host kernel");
    /*
     * The figure over the programs above at the largest input: the
     * best engine (the JIT where the host has one) against the host's JIT,
     * and the threaded interpreter.
     */
    printf("engine: worst ratio %.1f (engine/host JIT time per run), "
           "interpreter %.1f\n", worst, iworst);
    return failures != 0;
}
