/*
 * Unit tests of the Hermes eBPF engine for what the conformance vectors do
 * not cover: faults and their reports, budget, call depth, abort, validator
 * rejections, helpers, atomics.  Prints TAP.
 *
 * Copyright (c) 2026 The Hermes authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hermes-ebpf.h"
#include "jit-wanted.h"

#define I(op, dst, src, off, imm) \
    ((uint64_t)(uint8_t)(op) | (uint64_t)((dst) | (src) << 4) << 8 | \
     (uint64_t)(uint16_t)(off) << 16 | (uint64_t)(uint32_t)(imm) << 32)
#define EXIT            I(0x95, 0, 0, 0, 0)
#define MOV64_IMM(d, v) I(0xb7, d, 0, 0, v)
#define MOV64_REG(d, s) I(0xbf, d, s, 0, 0)
#define ADD64_IMM(d, v) I(0x07, d, 0, 0, v)
#define LDXW(d, s, o)   I(0x61, d, s, o, 0)
#define LDXDW(d, s, o)  I(0x79, d, s, o, 0)
#define STW(d, o, v)    I(0x62, d, 0, o, v)
#define STXDW(d, s, o)  I(0x7b, d, s, o, 0)
#define JA(o)           I(0x05, 0, 0, o, 0)
#define JNE_IMM(d, v, o) I(0x55, d, 0, o, v)
#define CALL_LOCAL(o)   I(0x85, 0, 1, 0, o)
#define CALL_HELPER(id) I(0x85, 0, 0, 0, id)
#define ATOMIC64(d, s, o, aop) I(0xdb, d, s, o, aop)
#define ATOMIC32(d, s, o, aop) I(0xc3, d, s, o, aop)
#define N(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

#define MEM_ADDR   0x1000ull
#define STACK_ADDR 0x100000ull

static int test_no;
static int failures;

static void ok(int cond, const char *fmt, const char *what)
{
    test_no++;
    printf("%s %d - %s%s\n", cond ? "ok" : "not ok", test_no, fmt, what);
    if (!cond) {
        failures++;
    }
}

static void cfg_init(HermesEbpfRunConfig *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->stack_addr = STACK_ADDR;
    cfg->args[0] = MEM_ADDR;
}

/*
 * Differential runs: every program a test runs through run() or tb_run()
 * runs on the reference interpreter (hermes_ebpf_run()) and on its decoded
 * form (hermes_ebpf_run_code()), each from the same memory; the outcome
 * and every byte of memory the run could change must agree.  The tests
 * then check the decoded engine's outcome.  Off in the threaded tests,
 * whose memory other threads change (they run the decoded engine only).
 */
static bool diff_on = true;
static int diff_runs;
static int diff_bad;

/* The memory a run may change: regions, stack area, maps */
typedef struct Snap {
    uint8_t *buf;
    size_t len;
} Snap;

static size_t snap_walk(const HermesEbpfRegion *r, size_t nr,
                        const HermesEbpfRunConfig *cfg, uint8_t *buf,
                        int dir)
{
    size_t pos = 0, i;
    uint32_t ss = cfg->stack_size ? cfg->stack_size : 512;

#define SNAP_PART(ptr, n) \
    do { \
        if (dir > 0) { \
            memcpy(buf + pos, (ptr), (n)); \
        } else if (dir < 0) { \
            memcpy((ptr), buf + pos, (n)); \
        } \
        pos += (n); \
    } while (0)
    for (i = 0; i < nr; i++) {
        if (r[i].host) {
            SNAP_PART(r[i].host, r[i].len);
        }
    }
    if (cfg->stack_host) {
        SNAP_PART(cfg->stack_host, (size_t)ss * HERMES_EBPF_MAX_CALL_DEPTH);
    }
    for (i = 0; i < cfg->nmaps; i++) {
        HermesEbpfMap *m = cfg->maps[i];

        if (m) {
            SNAP_PART(m->mem, m->footprint);
            SNAP_PART(&m->count, sizeof(m->count));
            SNAP_PART(&m->free_head, sizeof(m->free_head));
        }
    }
#undef SNAP_PART
    return pos;
}

static void snap_take(Snap *sn, const HermesEbpfRegion *r, size_t nr,
                      const HermesEbpfRunConfig *cfg)
{
    sn->len = snap_walk(r, nr, cfg, NULL, 0);
    sn->buf = malloc(sn->len ? sn->len : 1);
    snap_walk(r, nr, cfg, sn->buf, 1);
}

static bool res_same(const HermesEbpfResult *a, const HermesEbpfResult *b)
{
    return a->status == b->status && a->r0 == b->r0 && a->pc == b->pc &&
           a->fault_addr == b->fault_addr && a->fault_size == b->fault_size &&
           a->insns == b->insns && a->helper_id == b->helper_id &&
           a->helper_err == b->helper_err;
}

static void diff_report(bool same, const char *what, const HermesEbpfResult *a,
                        const HermesEbpfResult *b)
{
    diff_runs++;
    if (!same) {
        diff_bad++;
        fprintf(stderr, "# %s: reference %s pc %u insns %" PRIu64
                " r0 0x%" PRIx64 ", decoded %s pc %u insns %" PRIu64
                " r0 0x%" PRIx64 "\n", what,
                hermes_ebpf_status_name(a->status), a->pc, a->insns, a->r0,
                hermes_ebpf_status_name(b->status), b->pc, b->insns, b->r0);
    }
}

static HermesEbpfCode *decode(const uint64_t *p, uint32_t n)
{
    size_t sz = hermes_ebpf_code_size(n);
    void *mem = malloc(sz ? sz : 1);
    HermesEbpfCode *code = hermes_ebpf_decode(p, n, mem, sz);

    if (!code) {
        fprintf(stderr, "# decode failed\n");
        abort();
    }
    return code;
}

/*
 * The JIT leg of every differential run: the same program decoded again
 * with native code attached (unless HERMES_EBPF_JIT=0), run from the same
 * memory, must give the reference's outcome and memory too.  A validated
 * program the JIT does not take counts as a mismatch.
 */
static int jit_runs;
static int jit_compiled;
static int jit_native;
static int jit_bad;

/*
 * The JIT leg's run of @jcode with @cfg: of a program the JIT compiled
 * (valid ones), native code unless the frame is smaller than the deepest
 * r10 offset it resolved
 */
static void jit_count(const HermesEbpfCode *jcode,
                      const HermesEbpfRunConfig *cfg)
{
    jit_compiled += hermes_ebpf_jit_attached(jcode);
    jit_native += hermes_ebpf_jit_covers(jcode, cfg);
}

static HermesEbpfCode *decode_jit(const uint64_t *p, uint32_t n)
{
    HermesEbpfCode *code = decode(p, n);
    HermesEbpfCaps caps;

    if (jit_wanted() && !hermes_ebpf_jit(code)) {
        hermes_ebpf_caps_full(&caps);
        caps.max_maps = HERMES_EBPF_MAX_MAPS;
        caps.lddw_src_mask = UINT32_MAX;
        if (hermes_ebpf_validate(p, n, &caps, NULL, NULL, 0) ==
            HERMES_EBPF_OK) {
            fprintf(stderr, "# JIT refused a valid program\n");
            jit_bad++;
        }
    }
    return code;
}

static void free_code(HermesEbpfCode *code)
{
    hermes_ebpf_code_release(code);
    free(code);
}

static void jit_report(bool same, const char *what, const HermesEbpfResult *a,
                       const HermesEbpfResult *b)
{
    jit_runs++;
    if (!same) {
        jit_bad++;
        fprintf(stderr, "# %s: reference %s pc %u insns %" PRIu64
                " r0 0x%" PRIx64 ", JIT %s pc %u insns %" PRIu64
                " r0 0x%" PRIx64 "\n", what,
                hermes_ebpf_status_name(a->status), a->pc, a->insns, a->r0,
                hermes_ebpf_status_name(b->status), b->pc, b->insns, b->r0);
    }
}

/* Both interpreters from the same memory; returns the decoded outcome */
static HermesEbpfStatus run_both(const uint64_t *p, uint32_t n,
                                 const HermesEbpfRegion *r, size_t nr,
                                 const HermesEbpfRunConfig *cfg,
                                 HermesEbpfResult *res)
{
    HermesEbpfCode *code = decode(p, n), *jcode;
    HermesEbpfResult ref, jres;
    Snap before, after, orig, thr;

    if (!diff_on) {
        hermes_ebpf_run_code(code, r, nr, cfg, res);
        free(code);
        return res->status;
    }
    jcode = decode_jit(p, n);
    snap_take(&before, r, nr, cfg);
    snap_take(&orig, r, nr, cfg);
    hermes_ebpf_run(p, n, r, nr, cfg, &ref);
    snap_take(&after, r, nr, cfg);
    snap_walk(r, nr, cfg, before.buf, -1);
    hermes_ebpf_run_code(code, r, nr, cfg, res);
    snap_walk(r, nr, cfg, before.buf, 1);
    diff_report(res_same(&ref, res) && !memcmp(before.buf, after.buf,
                                               after.len),
                "run", &ref, res);
    /* the JIT from the same memory; the threaded run's memory stays */
    snap_take(&thr, r, nr, cfg);
    snap_walk(r, nr, cfg, orig.buf, -1);
    hermes_ebpf_run_code(jcode, r, nr, cfg, &jres);
    jit_count(jcode, cfg);
    snap_walk(r, nr, cfg, orig.buf, 1);
    jit_report(res_same(&ref, &jres) && !memcmp(orig.buf, after.buf,
                                                after.len),
               "run", &ref, &jres);
    snap_walk(r, nr, cfg, thr.buf, -1);
    free(before.buf);
    free(after.buf);
    free(orig.buf);
    free(thr.buf);
    free(code);
    free_code(jcode);
    return res->status;
}

static HermesEbpfStatus run(const uint64_t *p, uint32_t n,
                            HermesEbpfRegion *r, size_t nr,
                            HermesEbpfRunConfig *cfg, HermesEbpfResult *res)
{
    HermesEbpfCaps caps;
    char msg[128];
    uint32_t bad;

    hermes_ebpf_caps_full(&caps);
    caps.max_maps = HERMES_EBPF_MAX_MAPS;
    if (hermes_ebpf_validate(p, n, &caps, &bad, msg, sizeof(msg))) {
        fprintf(stderr, "# unexpected validation failure: %s\n", msg);
        memset(res, 0, sizeof(*res));
        res->status = HERMES_EBPF_ERR_INVALID_INSN;
        return res->status;
    }
    return run_both(p, n, r, nr, cfg, res);
}

/*
 * Region layouts the decoded engine's window table must leave to the
 * reference lookup: an earlier region wrapping past 2^64 shadows a later
 * one inside it (a read-only region over a read-write one: the store
 * faults), and a region across 2^63 gets no window (its shift would be
 * 64).  run() compares both engines; the outcome is checked here too.
 */
static void test_region_windows(void)
{
    static uint8_t big[0x20000], small[0x100], mid[0x200];
    uint64_t store_hi[] = {
        I(0x18, 1, 0, 0, 0xffff8000), I(0, 0, 0, 0, 0xffffffff),
        MOV64_IMM(2, 7), STXDW(1, 2, 0), MOV64_IMM(0, 0), EXIT,
    };
    uint64_t load_mid[] = {
        I(0x18, 1, 0, 0, 0xffffff00), I(0, 0, 0, 0, 0x7fffffff),
        LDXDW(0, 1, 0x100), EXIT,
    };
    HermesEbpfRegion wrap[2] = {
        { 0xffffffffffff0000ull, sizeof(big), big, HERMES_EBPF_MEM_READ },
        { 0xffffffffffff8000ull, sizeof(small), small, HERMES_EBPF_MEM_RW },
    };
    HermesEbpfRegion across = {
        0x7fffffffffffff00ull, sizeof(mid), mid, HERMES_EBPF_MEM_READ,
    };
    HermesEbpfRunConfig cfg;
    HermesEbpfResult res;

    cfg_init(&cfg);
    run(store_hi, N(store_hi), wrap, 2, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_STORE && res.pc == 3 && !small[0],
       "regions: one wrapping past 2^64 shadows a later one inside it", "");
    mid[0x100] = 0x5a;
    cfg_init(&cfg);
    run(load_mid, N(load_mid), &across, 1, &cfg, &res);
    ok(res.status == HERMES_EBPF_OK && res.r0 == 0x5a,
       "regions: one across 2^63 is read through the reference lookup", "");
}

/*
 * The decoded engine's fast translation (live stack in locals, a table
 * of windows with per-size limits, a separate limit per direction): an
 * access of every size at offsets around each end of what it may touch,
 * loads and stores, against the bounds computed here.  run() also
 * compares every run with the reference interpreter.
 */
static const uint8_t fast_ops[4][2] = {
    { 0x71, 0x73 }, { 0x69, 0x6b }, { 0x61, 0x63 }, { 0x79, 0x7b },
};

/* One access of 1 << @k bytes at @base + @off: the status it ends with */
static HermesEbpfStatus fast_access(HermesEbpfRegion *r, size_t nr,
                                    HermesEbpfRunConfig *cfg, uint64_t base,
                                    int off, unsigned k, bool store)
{
    uint64_t prog[] = {
        I(0x18, 2, 0, 0, (uint32_t)base), I(0, 0, 0, 0, base >> 32),
        MOV64_IMM(3, 0x5a),
        store ? I(fast_ops[k][1], 2, 3, off, 0)
              : I(fast_ops[k][0], 0, 2, off, 0),
        MOV64_IMM(0, 1),
        EXIT,
    };
    HermesEbpfResult res;

    run(prog, N(prog), r, nr, cfg, &res);
    return res.status;
}

/*
 * The header's rule in plain C: the live stack [@slo, @stop), else the
 * first region holding the whole access decides.  true: allowed.
 */
static bool fast_model(const HermesEbpfRegion *r, size_t nr, uint64_t slo,
                       uint64_t stop, uint64_t addr, unsigned size,
                       bool store)
{
    size_t i;

    if (addr >= slo && addr + size <= stop && addr + size > addr) {
        return true;
    }
    for (i = 0; i < nr; i++) {
        if (addr >= r[i].addr && addr + size <= r[i].addr + r[i].len &&
            addr + size > addr) {
            return r[i].flags & (store ? HERMES_EBPF_MEM_WRITE
                                       : HERMES_EBPF_MEM_READ);
        }
    }
    return false;
}

/*
 * Offsets @lo - 9 .. @lo + 1 and @hi - 9 .. @hi + 1 from @base, every
 * size, loads and stores, against fast_model() with frame 0 live.
 */
static int fast_sweep(HermesEbpfRegion *r, size_t nr,
                      HermesEbpfRunConfig *cfg, uint64_t base, int lo,
                      int hi)
{
    uint32_t ss = cfg->stack_size ? cfg->stack_size : 512;
    uint64_t stop = cfg->stack_addr + HERMES_EBPF_MAX_CALL_DEPTH * ss;
    int bad = 0, end, off;
    unsigned k, st;

    for (end = 0; end < 2; end++) {
        for (off = (end ? hi : lo) - 9; off <= (end ? hi : lo) + 1; off++) {
            for (k = 0; k < 4; k++) {
                for (st = 0; st < 2; st++) {
                    bool fits = fast_model(r, nr, stop - ss, stop,
                                           base + off, 1 << k, st);
                    HermesEbpfStatus want = fits ? HERMES_EBPF_OK :
                                            st ? HERMES_EBPF_FAULT_STORE
                                               : HERMES_EBPF_FAULT_LOAD;

                    bad += fast_access(r, nr, cfg, base, off, k, st) != want;
                }
            }
        }
    }
    return bad;
}

static void test_fast_translate(void)
{
    static uint8_t a[40], b[64], c[24];
    static uint64_t stack[HERMES_EBPF_MAX_CALL_DEPTH * 512 / 8];
    uint64_t top = STACK_ADDR + HERMES_EBPF_MAX_CALL_DEPTH * 512;
    HermesEbpfRegion r[3] = {
        { MEM_ADDR, 37, a, HERMES_EBPF_MEM_RW },
        /* shadowed from 0x1010 on by the first: reads only past it */
        { MEM_ADDR + 0x10, sizeof(b), b, HERMES_EBPF_MEM_READ },
        { 0x2000000, 13, c, HERMES_EBPF_MEM_WRITE },
    };
    HermesEbpfRegion over = {
        /* over the whole stack area: the live stack still wins */
        STACK_ADDR - 64, HERMES_EBPF_MAX_CALL_DEPTH * 512 + 128,
        NULL, HERMES_EBPF_MEM_RW,
    };
    static uint8_t over_mem[HERMES_EBPF_MAX_CALL_DEPTH * 512 + 128];
    HermesEbpfRegion in_maps = {
        HERMES_EBPF_MAP_BASE, 16, c, HERMES_EBPF_MEM_RW,
    };
    /* a callee's frame and its caller's, through r10 and a pointer */
    uint64_t call[] = {
        STW(10, -4, 3), MOV64_REG(1, 10), CALL_LOCAL(3),
        LDXW(0, 10, -4), I(0x79, 2, 10, -520, 0), EXIT,
        STW(10, -512, 1), I(0x7b, 10, 1, -8, 0), LDXW(2, 1, -4),
        I(0x63, 1, 2, -8, 0), I(0x61, 0, 1, -8, 0), EXIT,
    };
    HermesEbpfRunConfig cfg;
    HermesEbpfResult res;
    int bad;

    cfg_init(&cfg);
    bad = fast_sweep(r, 3, &cfg, MEM_ADDR, 0, 37);
    ok(bad == 0, "fast translation: sizes 1-8 at both ends of a region,",
       " loads and stores");
    bad = fast_sweep(r, 3, &cfg, MEM_ADDR + 0x10, 27, 64);
    ok(bad == 0, "fast translation: a region shadowed by an earlier one",
       " (read-only past it), across the boundary");
    bad = fast_sweep(r, 3, &cfg, 0x2000000, 0, 13);
    ok(bad == 0, "fast translation: a write-only region", "");
    bad = fast_sweep(r, 3, &cfg, top, -512, 0);
    cfg.stack_size = 64;
    cfg.stack_host = stack;
    bad += fast_sweep(r, 3, &cfg, STACK_ADDR + 8 * 64, -64, 0);
    ok(bad == 0, "fast translation: the stack frame's bounds, 512 and 64",
       "-byte frames");

    over.host = over_mem;
    cfg_init(&cfg);
    bad = fast_sweep(&over, 1, &cfg, top, -512, 64);
    ok(bad == 0, "fast translation: a region over the stack area: the live",
       " frame, then the region above it");

    cfg_init(&cfg);
    bad = fast_sweep(&in_maps, 1, &cfg, HERMES_EBPF_MAP_BASE, 0, 16);
    ok(bad == 0, "fast translation: a region at the map base without maps",
       "");

    cfg_init(&cfg);
    run(call, N(call), r, 3, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_LOAD && res.pc == 4 &&
       res.fault_addr == top - 520,
       "fast translation: calls move the stack: callee frame and caller's,",
       " gone after the return");
}

static void test_bounds(void)
{
    uint8_t mem[16] = { 1, 2, 3, 4 };
    HermesEbpfRegion r = { MEM_ADDR, sizeof(mem), mem, HERMES_EBPF_MEM_READ };
    HermesEbpfRunConfig cfg;
    HermesEbpfResult res;
    uint64_t load_oob[] = {
        LDXW(0, 1, 0), LDXW(0, 1, 12), LDXW(0, 1, 13), EXIT,
    };
    uint64_t store_ro[] = { MOV64_IMM(0, 0), STW(1, 0, 7), EXIT };
    uint64_t below_stack[] = { STW(10, -512, 1), STW(10, -513, 1), EXIT };
    uint64_t above_stack[] = { LDXW(0, 10, -4), LDXW(0, 10, 0), EXIT };
    uint64_t wrap[] = {
        MOV64_IMM(2, -1), LDXW(0, 2, 2), EXIT,
    };
    uint64_t r10[] = { MOV64_REG(0, 10), EXIT };

    cfg_init(&cfg);
    run(load_oob, N(load_oob), &r, 1, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_LOAD && res.pc == 2 &&
       res.fault_addr == MEM_ADDR + 13 && res.fault_size == 4 &&
       res.insns == 3, "load straddling the region end faults at pc 2",
       " with its address and size");
    run(store_ro, N(store_ro), &r, 1, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_STORE && res.pc == 1 &&
       res.fault_addr == MEM_ADDR && mem[0] == 1,
       "store into a read-only region faults", " and leaves memory alone");
    run(below_stack, N(below_stack), &r, 1, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_STORE && res.pc == 1 &&
       res.fault_addr == STACK_ADDR + 8 * 512 - 513,
       "store below the current stack frame faults", "");
    run(above_stack, N(above_stack), &r, 1, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_LOAD && res.pc == 1 &&
       res.fault_addr == STACK_ADDR + 8 * 512,
       "load above the stack top faults", "");
    run(wrap, N(wrap), &r, 1, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_LOAD && res.fault_addr == 1,
       "address arithmetic wraps and is still checked", "");
    run(r10, N(r10), NULL, 0, &cfg, &res);
    ok(res.status == HERMES_EBPF_OK &&
       res.r0 == STACK_ADDR + HERMES_EBPF_MAX_CALL_DEPTH * 512,
       "r10 is the device address of the top of frame 0", "");
}

static void test_budget(void)
{
    uint64_t loop[] = { MOV64_IMM(0, 0), ADD64_IMM(0, 1), JA(-2), EXIT };
    HermesEbpfRunConfig cfg;
    HermesEbpfResult res;

    cfg_init(&cfg);
    cfg.budget = 1001;
    run(loop, N(loop), NULL, 0, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_BUDGET && res.insns == 1001 &&
       res.r0 == 500, "budget stops an endless loop after exactly",
       " 1001 instructions");
}

static void test_calls(void)
{
    /* f(n): if n != 0 call f(n - 1); return */
    uint64_t recurse[] = {
        MOV64_IMM(1, 20), CALL_LOCAL(1), EXIT,
        JNE_IMM(1, 0, 1), EXIT, ADD64_IMM(1, -1),
        STXDW(10, 1, -8), CALL_LOCAL(-5), MOV64_IMM(0, 1), EXIT,
    };
    uint64_t saves[] = {
        MOV64_IMM(6, 66), MOV64_IMM(9, 99), STW(10, -4, 5),
        MOV64_REG(1, 10), CALL_LOCAL(9), JNE_IMM(0, 0, 6),
        CALL_LOCAL(7), JNE_IMM(0, 0, 4), JNE_IMM(6, 66, 3),
        JNE_IMM(9, 99, 2), LDXW(0, 10, -4), EXIT,
        MOV64_IMM(0, -1), EXIT,
        /* callee: reads its frame, dirties it, writes the caller's frame */
        LDXDW(0, 10, -8), STW(10, -8, 9), STW(1, -4, 7),
        MOV64_IMM(6, 0), MOV64_IMM(9, 0), EXIT,
    };
    HermesEbpfRunConfig cfg;
    HermesEbpfResult res;
    int depth;

    cfg_init(&cfg);
    run(recurse, N(recurse), NULL, 0, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_CALL_DEPTH && res.pc == 7,
       "the 8th nested bpf-to-bpf call faults at the call", "");
    for (depth = 1; depth <= 7; depth++) {
        recurse[0] = MOV64_IMM(1, depth - 1);
        run(recurse, N(recurse), NULL, 0, &cfg, &res);
        if (res.status != HERMES_EBPF_OK) {
            break;
        }
    }
    ok(depth == 8, "7 nested calls (8 frames) run", "");
    run(saves, N(saves), NULL, 0, &cfg, &res);
    ok(res.status == HERMES_EBPF_OK && res.r0 == 7,
       "calls restore r6-r9, zero the new frame, callee writes caller's",
       " stack");
}

static int tst_helper(void *opaque, uint32_t id, const uint64_t args[5],
                      HermesEbpfVm *vm, uint64_t *ret)
{
    uint8_t *p;

    (void)opaque;
    switch (id) {
    case 1: /* sum of the bytes at r1, length r2 */
        p = hermes_ebpf_translate(vm, args[0], args[1],
                                  HERMES_EBPF_MEM_READ);
        if (!p) {
            return -14;
        }
        *ret = 0;
        for (uint64_t i = 0; i < args[1]; i++) {
            *ret += p[i];
        }
        return HERMES_EBPF_HELPER_CONTINUE;
    case 2:
        *ret = 42;
        return HERMES_EBPF_HELPER_STOP;
    default:
        return -22;
    }
}

static void test_helpers(void)
{
    uint8_t mem[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    HermesEbpfRegion r = { MEM_ADDR, sizeof(mem), mem, HERMES_EBPF_MEM_READ };
    uint64_t sum[] = { MOV64_IMM(2, 8), CALL_HELPER(1), EXIT };
    uint64_t sum_oob[] = { MOV64_IMM(2, 9), CALL_HELPER(1), EXIT };
    uint64_t stop[] = { CALL_HELPER(2), MOV64_IMM(0, 1), EXIT };
    uint64_t unknown[] = { MOV64_IMM(0, 3), CALL_HELPER(77), EXIT };
    HermesEbpfRunConfig cfg;
    HermesEbpfResult res;

    cfg_init(&cfg);
    cfg.helper = tst_helper;
    run(sum, N(sum), &r, 1, &cfg, &res);
    ok(res.status == HERMES_EBPF_OK && res.r0 == 36,
       "helper translates a device address", "");
    run(sum_oob, N(sum_oob), &r, 1, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_HELPER && res.helper_err == -14 &&
       res.helper_id == 1 && res.pc == 1,
       "translate refuses a range past the region", "");
    run(stop, N(stop), &r, 1, &cfg, &res);
    ok(res.status == HERMES_EBPF_OK && res.r0 == 42 && res.insns == 1,
       "helper can stop the program with its r0", "");
    run(unknown, N(unknown), &r, 1, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_HELPER && res.helper_id == 77 &&
       res.helper_err == -22, "helper error names the helper", "");
    cfg.helper = NULL;
    run(sum, N(sum), &r, 1, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_HELPER,
       "helper call without a callback faults", "");
}

typedef struct AbortArg {
    int flag;
    HermesEbpfResult res;
} AbortArg;

static void *abort_runner(void *opaque)
{
    static const uint64_t loop[] = { ADD64_IMM(0, 1), JA(-2), EXIT };
    AbortArg *a = opaque;
    HermesEbpfRunConfig cfg;

    cfg_init(&cfg);
    cfg.budget = UINT64_MAX;
    cfg.abort_flag = &a->flag;
    hermes_ebpf_run(loop, N(loop), NULL, 0, &cfg, &a->res);
    return NULL;
}

static void test_abort(void)
{
    struct timespec ts = { 0, 50 * 1000 * 1000 };
    uint64_t prog[] = { MOV64_IMM(0, 1), EXIT };
    HermesEbpfRunConfig cfg;
    HermesEbpfResult res;
    AbortArg a = { 0 };
    pthread_t th;
    int flag = 1;

    cfg_init(&cfg);
    cfg.abort_flag = &flag;
    run(prog, N(prog), NULL, 0, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_ABORTED && res.insns == 0,
       "abort flag set before the run stops it at once", "");

    pthread_create(&th, NULL, abort_runner, &a);
    nanosleep(&ts, NULL);
    __atomic_store_n(&a.flag, 1, __ATOMIC_RELAXED);
    pthread_join(th, NULL);
    ok(a.res.status == HERMES_EBPF_FAULT_ABORTED && a.res.insns > 0,
       "abort flag set from another thread stops an endless loop", "");
}

typedef struct Reject {
    const char *what;
    uint64_t prog[4];
    uint32_t n;
    HermesEbpfStatus st;
    uint32_t pc;
    int isa;            /* 0: full caps */
} Reject;

static void test_validate(void)
{
    static const Reject cases[] = {
        { "empty program", { 0 }, 0, HERMES_EBPF_ERR_EMPTY, 0, 0 },
        { "callx", { MOV64_IMM(0, 0), I(0x8d, 1, 0, 0, 0), EXIT }, 3,
          HERMES_EBPF_ERR_INVALID_INSN, 1, 0 },
        { "unknown opcode 0xff", { I(0xff, 0, 0, 0, 0), EXIT }, 2,
          HERMES_EBPF_ERR_INVALID_INSN, 0, 0 },
        { "LD_ABS", { I(0x20, 0, 0, 0, 0), EXIT }, 2,
          HERMES_EBPF_ERR_INVALID_INSN, 0, 0 },
        { "jump past the end", { JA(1), EXIT }, 2,
          HERMES_EBPF_ERR_BAD_JUMP, 0, 0 },
        { "jump before the start", { MOV64_IMM(0, 0), JA(-3), EXIT }, 3,
          HERMES_EBPF_ERR_BAD_JUMP, 1, 0 },
        { "jump into lddw second slot",
          { JA(1), I(0x18, 1, 0, 0, 1), 0, EXIT }, 4,
          HERMES_EBPF_ERR_BAD_JUMP, 0, 0 },
        { "call into lddw second slot",
          { CALL_LOCAL(1), I(0x18, 1, 0, 0, 1), 0, EXIT }, 4,
          HERMES_EBPF_ERR_BAD_JUMP, 0, 0 },
        { "lddw without second slot", { EXIT, I(0x18, 1, 0, 0, 1) }, 2,
          HERMES_EBPF_ERR_BAD_LDDW, 1, 0 },
        { "lddw with map fd src", { I(0x18, 1, 1, 0, 1), 0, EXIT }, 3,
          HERMES_EBPF_ERR_BAD_LDDW, 0, 0 },
        { "last instruction not exit", { MOV64_IMM(0, 0) }, 1,
          HERMES_EBPF_ERR_NO_EXIT, 0, 0 },
        { "write to r10", { MOV64_IMM(10, 0), EXIT }, 2,
          HERMES_EBPF_ERR_BAD_REG, 0, 0 },
        { "register r11", { MOV64_REG(0, 11), EXIT }, 2,
          HERMES_EBPF_ERR_BAD_REG, 0, 0 },
        { "lddw into r12", { EXIT, I(0x18, 12, 0, 0, 1), 0, EXIT }, 4,
          HERMES_EBPF_ERR_BAD_REG, 1, 0 },
        { "kfunc call", { I(0x85, 0, 2, 0, 1), EXIT }, 2,
          HERMES_EBPF_ERR_INVALID_INSN, 0, 0 },
        { "JMP32 at ISA v2", { I(0x16, 0, 0, 0, 0), EXIT }, 2,
          HERMES_EBPF_ERR_INVALID_INSN, 0, 2 },
        { "jlt at ISA v1", { I(0xa5, 0, 0, 0, 0), EXIT }, 2,
          HERMES_EBPF_ERR_INVALID_INSN, 0, 1 },
        { "sdiv at ISA v3", { I(0x37, 0, 0, 1, 3), EXIT }, 2,
          HERMES_EBPF_ERR_INVALID_INSN, 0, 3 },
        { "atomic fetch-add at ISA v1", { ATOMIC64(10, 1, -8, 1), EXIT }, 2,
          HERMES_EBPF_ERR_INVALID_INSN, 0, 1 },
        { "atomic fetch into r10", { ATOMIC64(1, 10, 0, 0x01), EXIT }, 2,
          HERMES_EBPF_ERR_BAD_REG, 0, 0 },
        { "unknown atomic op", { ATOMIC64(10, 1, -8, 0x30), EXIT }, 2,
          HERMES_EBPF_ERR_INVALID_INSN, 0, 0 },
        { "movsx with offset 4", { I(0xbf, 0, 1, 4, 0), EXIT }, 2,
          HERMES_EBPF_ERR_INVALID_INSN, 0, 0 },
        { "le with width 8", { I(0xd4, 0, 0, 0, 8), EXIT }, 2,
          HERMES_EBPF_ERR_INVALID_INSN, 0, 0 },
    };
    HermesEbpfCaps caps;
    char msg[128], want[24];
    uint32_t bad;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const Reject *c = &cases[i];
        HermesEbpfStatus st;

        hermes_ebpf_caps_full(&caps);
        if (c->isa) {
            caps.isa_version = c->isa;
        }
        st = hermes_ebpf_validate(c->prog, c->n, &caps, &bad, msg,
                                  sizeof(msg));
        snprintf(want, sizeof(want), "insn %u:", c->pc);
        ok(st == c->st && bad == c->pc &&
           (c->st == HERMES_EBPF_ERR_EMPTY || strstr(msg, want)),
           "validate rejects ", c->what);
        printf("# %s\n", msg);
    }

    hermes_ebpf_caps_full(&caps);
    caps.division = false;
    {
        uint64_t p[] = { I(0x3f, 0, 1, 0, 0), EXIT };

        ok(hermes_ebpf_validate(p, 2, &caps, &bad, NULL, 0) ==
           HERMES_EBPF_ERR_INVALID_INSN, "validate rejects division",
           " when the caps lack it");
    }
    hermes_ebpf_caps_full(&caps);
    caps.max_insns = 2;
    {
        uint64_t p[] = { MOV64_IMM(0, 0), MOV64_IMM(0, 0), EXIT };

        ok(hermes_ebpf_validate(p, 3, &caps, &bad, msg, sizeof(msg)) ==
           HERMES_EBPF_ERR_TOO_LONG, "validate rejects a program over",
           " max_insns");
        caps.lddw_src_mask = 1u << 2;
        p[0] = I(0x18, 1, 2, 0, 1);
        p[1] = 0;
        caps.max_insns = 0;
        ok(hermes_ebpf_validate(p, 3, &caps, &bad, msg, sizeof(msg)) ==
           HERMES_EBPF_OK, "lddw src 2 accepted when the caps allow it", "");
    }
}

typedef struct AtomicArg {
    uint64_t *cells;
    int iters;
} AtomicArg;

static void *atomic_runner(void *opaque)
{
    static const uint64_t prog[] = {
        MOV64_IMM(2, 1), ATOMIC64(1, 2, 0, 0x00), ATOMIC32(1, 2, 8, 0x00),
        MOV64_IMM(0, 0), EXIT,
    };
    AtomicArg *a = opaque;
    HermesEbpfRegion r = { MEM_ADDR, 16, a->cells, HERMES_EBPF_MEM_RW };
    HermesEbpfRunConfig cfg;
    HermesEbpfResult res;
    int i;

    cfg_init(&cfg);
    for (i = 0; i < a->iters; i++) {
        hermes_ebpf_run(prog, N(prog), &r, 1, &cfg, &res);
    }
    return NULL;
}

static void test_atomics(void)
{
    uint64_t cells[2];
    HermesEbpfRegion r = { MEM_ADDR, sizeof(cells), cells,
                           HERMES_EBPF_MEM_RW };
    uint64_t fetch_add[] = {
        MOV64_IMM(2, 5), ATOMIC64(1, 2, 0, 0x01), MOV64_REG(0, 2), EXIT,
    };
    uint64_t fetch_or32[] = {
        MOV64_IMM(2, 0x100), ATOMIC32(1, 2, 8, 0x41), MOV64_REG(0, 2), EXIT,
    };
    uint64_t cmpxchg[] = {
        MOV64_IMM(0, 10), MOV64_IMM(2, 20), ATOMIC64(1, 2, 0, 0xf1), EXIT,
    };
    uint64_t xchg32[] = {
        I(0x18, 2, 0, 0, 0x12345678), (uint64_t)0x9abcdef0 << 32,
        ATOMIC32(1, 2, 8, 0xe1), MOV64_REG(0, 2), EXIT,
    };
    uint64_t misaligned[] = {
        MOV64_IMM(2, 1), ATOMIC64(1, 2, 4, 0x00), EXIT,
    };
    uint64_t ro[] = { MOV64_IMM(2, 1), ATOMIC32(1, 2, 0, 0x00), EXIT };
    HermesEbpfRegion rro = { MEM_ADDR, sizeof(cells), cells,
                             HERMES_EBPF_MEM_READ };
    HermesEbpfRunConfig cfg;
    HermesEbpfResult res;
    AtomicArg a = { cells, 100000 };
    pthread_t th[2];

    cfg_init(&cfg);
    cells[0] = 10;
    cells[1] = 0xffffffff00000001ull;
    run(fetch_add, N(fetch_add), &r, 1, &cfg, &res);
    ok(res.r0 == 10 && cells[0] == 15, "atomic fetch-add returns the old",
       " value and adds");
    run(fetch_or32, N(fetch_or32), &r, 1, &cfg, &res);
    ok(res.r0 == 1 && cells[1] == 0xffffffff00000101ull,
       "32-bit fetch-or returns the zero-extended old value", "");
    run(cmpxchg, N(cmpxchg), &r, 1, &cfg, &res);
    ok(res.r0 == 15 && cells[0] == 15, "cmpxchg mismatch leaves memory,",
       " r0 = old");
    cells[0] = 10;
    run(cmpxchg, N(cmpxchg), &r, 1, &cfg, &res);
    ok(res.r0 == 10 && cells[0] == 20, "cmpxchg match stores, r0 = old", "");
    run(xchg32, N(xchg32), &r, 1, &cfg, &res);
    ok(res.r0 == 0x101 && cells[1] == 0xffffffff12345678ull,
       "32-bit xchg swaps the low word only", "");
    run(misaligned, N(misaligned), &r, 1, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_MISALIGNED &&
       res.fault_addr == MEM_ADDR + 4 && res.pc == 1,
       "misaligned atomic faults with its address", "");
    run(ro, N(ro), &rro, 1, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_STORE,
       "atomic on a read-only region faults", "");

    cells[0] = 0;
    cells[1] = 0;
    pthread_create(&th[0], NULL, atomic_runner, &a);
    pthread_create(&th[1], NULL, atomic_runner, &a);
    pthread_join(th[0], NULL);
    pthread_join(th[1], NULL);
    ok(cells[0] == 200000 && cells[1] == 200000,
       "atomic adds from two threads are not lost", "");
}

static void test_config(void)
{
    uint64_t prog[] = { MOV64_IMM(0, 1), EXIT };
    HermesEbpfRunConfig cfg;
    HermesEbpfResult res;
    uint64_t big[8 * 1024 / 8];

    cfg_init(&cfg);
    cfg.stack_size = 1024;
    hermes_ebpf_run(prog, N(prog), NULL, 0, &cfg, &res);
    ok(res.status == HERMES_EBPF_ERR_BAD_CONFIG,
       "a 1 KiB frame without caller-provided stack memory is refused", "");
    cfg.stack_size = 1024;
    cfg.stack_host = big;
    hermes_ebpf_run(prog, N(prog), NULL, 0, &cfg, &res);
    ok(res.status == HERMES_EBPF_OK && res.r0 == 1,
       "a 1 KiB frame with caller-provided stack memory runs", "");
    cfg.stack_host = NULL;
    cfg.stack_size = 0;
    cfg.stack_addr = UINT64_MAX - 100;
    hermes_ebpf_run(prog, N(prog), NULL, 0, &cfg, &res);
    ok(res.status == HERMES_EBPF_ERR_BAD_CONFIG,
       "a stack wrapping the address space is refused", "");
}

/* ------------------------------------------------------------------ */
/* Device maps                                                         */

/* the first slot of a map-reference lddw: a 0 word follows it */
#define LDDW_MAP(d, m)  I(0x18, d, 5, 0, m)
#define STDW(d, o, v)   I(0x7a, d, 0, o, v)
#define MAP_REF(m)      (0x10000000000ull + ((uint64_t)(m) << 32))
#define ENOENT_ (-2)
#define E2BIG_  (-7)
#define EEXIST_ (-17)
#define EINVAL_ (-22)

/* The specification's FNV-1a, written again here from its text. */
static uint32_t spec_fnv1a(const uint8_t *k, uint32_t n)
{
    uint64_t h = 2166136261u;
    uint32_t i;

    for (i = 0; i < n; i++) {
        h = ((h ^ k[i]) * 16777619u) & 0xffffffffu;
    }
    return (uint32_t)h;
}

typedef struct TMap {
    HermesEbpfMap map;
    uint64_t *mem;
} TMap;

static int tmap_new(TMap *t, uint32_t type, uint32_t ks, uint32_t vs,
                    uint32_t max)
{
    uint64_t fp;

    memset(t, 0, sizeof(*t));
    if (hermes_ebpf_map_footprint(type, ks, vs, max, &fp)) {
        return -1;
    }
    t->mem = calloc(fp / 8, 8);
    /* garbage first: init must set up every byte it relies on */
    memset(t->mem, 0xa5, fp);
    return hermes_ebpf_map_init(&t->map, type, ks, vs, max, t->mem);
}

static void tmap_free(TMap *t)
{
    free(t->mem);
}

static void test_map_layout(void)
{
    static const struct {
        uint32_t type, ks, vs, max;
        uint64_t bytes;
    } fp[] = {
        /* ARRAY: roundup(max * vstride, 64) */
        { 2, 4, 8, 10, 128 },
        { 2, 4, 1, 1, 64 },
        { 2, 4, 12, 16, 256 },
        /* HASH: roundup(4 * nbuckets + max * (8 + kstride + vstride), 64) */
        { 1, 4, 8, 10, 320 },       /* 16 buckets: 64 + 240 = 304 */
        { 1, 1, 1, 1, 64 },         /* 2 buckets: 8 + 24 */
        { 1, 13, 20, 1000, 52096 }, /* 1024: 4096 + 1000 * 48 */
    };
    static const struct {
        uint32_t type, ks, vs, max;
    } bad[] = {
        { 0, 4, 8, 1 }, { 3, 4, 8, 1 }, { 2, 8, 8, 1 }, { 2, 4, 0, 1 },
        { 1, 0, 8, 1 }, { 1, 513, 8, 1 }, { 1, 4, 65537, 1 },
        { 1, 4, 8, 0 }, { 2, 4, 65536, 65537 },
    };
    uint64_t bytes;
    size_t k;
    int good = 1;

    for (k = 0; k < sizeof(fp) / sizeof(fp[0]); k++) {
        bytes = 0;
        if (hermes_ebpf_map_footprint(fp[k].type, fp[k].ks, fp[k].vs,
                                      fp[k].max, &bytes) ||
            bytes != fp[k].bytes) {
            fprintf(stderr, "# footprint %zu: %" PRIu64 "\n", k, bytes);
            good = 0;
        }
    }
    ok(good, "map footprints follow the specification's formulas", "");
    good = 1;
    for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        good &= hermes_ebpf_map_footprint(bad[k].type, bad[k].ks, bad[k].vs,
                                          bad[k].max, &bytes) == EINVAL_;
    }
    ok(good, "invalid map types and sizes are refused with -EINVAL", "");
    ok(hermes_ebpf_map_hash("", 0) == 0x811c9dc5u &&
       hermes_ebpf_map_hash("a", 1) == 0xe40c292cu &&
       hermes_ebpf_map_hash("foobar", 6) == 0xbf9cf968u,
       "the key hash is FNV-1a (published test vectors)", "");
}

/*
 * Host map operations with the abort flag set (hermes_ebpf_map_op()): a
 * HASH operation that walks a chain or the buckets gives up with EINTR
 * and leaves the map, to the byte, and its output unchanged; one waiting
 * for the map's lock gives up too.  Without the flag they succeed.
 */
static void test_map_abort(void)
{
    const int aborted = HERMES_EBPF_ABORT, clear = 0;
    uint32_t k, next = 0xdeadbeef, v[2] = { 7, 8 }, out[2] = { 1, 2 };
    int good = 1, r[4];
    uint64_t fp = 0;
    uint8_t *before;
    TMap t;

    ok(tmap_new(&t, 1, 4, 8, 64) == 0 &&
       hermes_ebpf_map_footprint(1, 4, 8, 64, &fp) == 0,
       "HASH map of 64 elements created", "");
    for (k = 0; k < 64; k++) {
        good &= hermes_ebpf_map_update(&t.map, &k, v, 0) == 0;
    }
    before = malloc(fp);
    memcpy(before, t.mem, fp);
    k = 5;
    r[0] = hermes_ebpf_map_op(&t.map, HERMES_EBPF_MAP_OP_UPDATE, &k, v, 0,
                              &aborted);
    r[1] = hermes_ebpf_map_op(&t.map, HERMES_EBPF_MAP_OP_DELETE, &k, NULL, 0,
                              &aborted);
    r[2] = hermes_ebpf_map_op(&t.map, HERMES_EBPF_MAP_OP_LOOKUP, &k, out, 0,
                              &aborted);
    r[3] = hermes_ebpf_map_op(&t.map, HERMES_EBPF_MAP_OP_GET_NEXT_KEY, NULL,
                              &next, 0, &aborted);
    ok(good && r[0] == -HERMES_EBPF_EINTR && r[1] == -HERMES_EBPF_EINTR &&
       r[2] == -HERMES_EBPF_EINTR && r[3] == -HERMES_EBPF_EINTR &&
       !memcmp(before, t.mem, fp) && t.map.count == 64 && t.map.lock == 0 &&
       out[0] == 1 && next == 0xdeadbeef,
       "aborted HASH update, delete, lookup and get-next-key: EINTR, map "
       "memory, count, lock and outputs unchanged", "");

    t.map.lock = 1;     /* held by another engine that never lets go */
    r[0] = hermes_ebpf_map_op(&t.map, HERMES_EBPF_MAP_OP_LOOKUP, &k, out, 0,
                              &aborted);
    t.map.lock = 0;
    ok(r[0] == -HERMES_EBPF_EINTR, "aborted while waiting for the map's "
       "lock: EINTR", "");

    ok(hermes_ebpf_map_op(&t.map, HERMES_EBPF_MAP_OP_DELETE, &k, NULL, 0,
                          &clear) == 0 && t.map.count == 63 &&
       hermes_ebpf_map_op(&t.map, HERMES_EBPF_MAP_OP_LOOKUP, &k, out, 0,
                          NULL) == -HERMES_EBPF_ENOENT,
       "the same delete without the flag: done", "");
    free(before);
    tmap_free(&t);
}

static void test_map_hash_ops(void)
{
    TMap t;
    uint32_t k, v[3], out[3], n;
    int seen[5] = { 0 }, good = 1;

    ok(tmap_new(&t, 1, 4, 12, 4) == 0, "HASH map of 4 elements created", "");
    k = 1;
    v[0] = 10, v[1] = 11, v[2] = 12;
    ok(hermes_ebpf_map_lookup(&t.map, &k, out) == ENOENT_,
       "lookup in an empty HASH map: ENOENT", "");
    ok(hermes_ebpf_map_get_next_key(&t.map, NULL, &n) == ENOENT_,
       "first key of an empty HASH map: ENOENT", "");
    ok(hermes_ebpf_map_update(&t.map, &k, v, 2) == ENOENT_,
       "BPF_EXIST on a missing key: ENOENT", "");
    ok(hermes_ebpf_map_update(&t.map, &k, v, 3) == EINVAL_ &&
       hermes_ebpf_map_update(&t.map, &k, v, 4) == EINVAL_,
       "unknown update flags: EINVAL", "");
    ok(hermes_ebpf_map_update(&t.map, &k, v, 1) == 0 &&
       hermes_ebpf_map_lookup(&t.map, &k, out) == 0 &&
       !memcmp(out, v, 12), "BPF_NOEXIST inserts; lookup copies the value",
       "");
    v[0] = 20;
    ok(hermes_ebpf_map_update(&t.map, &k, v, 1) == EEXIST_ &&
       hermes_ebpf_map_lookup(&t.map, &k, out) == 0 && out[0] == 10,
       "BPF_NOEXIST on an existing key: EEXIST, value unchanged", "");
    ok(hermes_ebpf_map_update(&t.map, &k, v, 2) == 0 &&
       hermes_ebpf_map_lookup(&t.map, &k, out) == 0 && out[0] == 20,
       "BPF_EXIST replaces an existing value", "");
    v[0] = 30;
    ok(hermes_ebpf_map_update(&t.map, &k, v, 0) == 0 &&
       hermes_ebpf_map_lookup(&t.map, &k, out) == 0 && out[0] == 30 &&
       t.map.count == 1, "BPF_ANY replaces in place", "");

    /* fill: 4 elements, the fifth does not fit */
    for (k = 2; k <= 4; k++) {
        v[0] = 100 + k;
        good &= hermes_ebpf_map_update(&t.map, &k, v, 0) == 0;
    }
    k = 5;
    ok(good && hermes_ebpf_map_update(&t.map, &k, v, 0) == E2BIG_ &&
       hermes_ebpf_map_lookup(&t.map, &k, out) == ENOENT_,
       "a full HASH map refuses a new key with E2BIG", "");
    k = 3;
    v[0] = 33;
    ok(hermes_ebpf_map_update(&t.map, &k, v, 0) == 0 &&
       hermes_ebpf_map_update(&t.map, &k, v, 1) == EEXIST_,
       "a full HASH map still replaces an existing key", "");
    ok(hermes_ebpf_map_delete(&t.map, &k) == 0 &&
       hermes_ebpf_map_delete(&t.map, &k) == ENOENT_ &&
       hermes_ebpf_map_lookup(&t.map, &k, out) == ENOENT_,
       "delete removes the key once; then ENOENT", "");
    k = 5;
    v[0] = 55;
    ok(hermes_ebpf_map_update(&t.map, &k, v, 0) == 0 && t.map.count == 4,
       "a deleted element is reused", "");

    /* iteration visits each key once, then ENOENT */
    good = hermes_ebpf_map_get_next_key(&t.map, NULL, &n) == 0;
    for (k = 0; good && k < 4; k++) {
        good &= n >= 1 && n <= 5 && !seen[n - 1];
        if (good) {
            seen[n - 1] = 1;
        }
        if (k < 3) {
            good &= hermes_ebpf_map_get_next_key(&t.map, &n, &n) == 0;
        }
    }
    ok(good && seen[0] && seen[1] && !seen[2] && seen[3] && seen[4] &&
       hermes_ebpf_map_get_next_key(&t.map, &n, &n) == ENOENT_,
       "get_next_key walks keys 1, 2, 4, 5 once each, then ENOENT", "");
    k = 3;
    ok(hermes_ebpf_map_get_next_key(&t.map, NULL, &out[0]) == 0 &&
       hermes_ebpf_map_get_next_key(&t.map, &k, &out[1]) == 0 &&
       out[0] == out[1], "get_next_key of a missing key: the first key", "");
    tmap_free(&t);
}

/*
 * Iteration order and element indexes as the specification states them,
 * recomputed here: buckets in order, newest first in a chain, LIFO reuse.
 */
static void test_map_hash_order(void)
{
    enum { MAX = 8, NKEYS = 8 };
    TMap t;
    uint8_t keys[NKEYS] = { 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h' };
    uint8_t want[NKEYS], got[NKEYS], k, v = 0;
    int order_ok = 1, b, i, j, n = 0;
    uint64_t prog[] = {
        STW(10, -8, 'f'),
        LDDW_MAP(1, 0), 0,
        MOV64_REG(2, 10),
        ADD64_IMM(2, -8),
        CALL_HELPER(1),
        EXIT,
    };
    HermesEbpfMap *maps[1];
    HermesEbpfRunConfig cfg;
    HermesEbpfResult res;

    tmap_new(&t, 1, 1, 1, MAX);
    for (i = 0; i < NKEYS; i++) {
        hermes_ebpf_map_update(&t.map, &keys[i], &v, 0);
    }
    /* nbuckets = 8; element i holds keys[i] (free list 0, 1, ...) */
    for (b = 0; b < 8; b++) {
        for (i = NKEYS - 1; i >= 0; i--) {
            if ((spec_fnv1a(&keys[i], 1) & 7) == (uint32_t)b) {
                want[n++] = keys[i];
            }
        }
    }
    i = 0;
    if (hermes_ebpf_map_get_next_key(&t.map, NULL, &got[0]) == 0) {
        for (i = 1; i < NKEYS &&
             hermes_ebpf_map_get_next_key(&t.map, &got[i - 1], &got[i]) == 0;
             i++) {
            continue;
        }
    }
    for (j = 0; j < NKEYS; j++) {
        order_ok &= i == NKEYS && got[j] == want[j];
    }
    ok(order_ok, "HASH iteration order is the specified one", "");

    cfg_init(&cfg);
    maps[0] = &t.map;
    cfg.maps = maps;
    cfg.nmaps = 1;
    run(prog, N(prog), NULL, 0, &cfg, &res);
    ok(res.status == HERMES_EBPF_OK && res.r0 == MAP_REF(0) + 5 * 8,
       "lookup returns the value address of element 5 ('f')", "");
    k = 'c';
    hermes_ebpf_map_delete(&t.map, &k);
    k = 'f';
    hermes_ebpf_map_delete(&t.map, &k);
    k = 'z';
    hermes_ebpf_map_update(&t.map, &k, &v, 0);
    prog[0] = STW(10, -8, 'z');
    run(prog, N(prog), NULL, 0, &cfg, &res);
    ok(res.status == HERMES_EBPF_OK && res.r0 == MAP_REF(0) + 5 * 8,
       "an insert reuses the element deleted last", "");
    tmap_free(&t);
}

static void test_map_array_ops(void)
{
    TMap t;
    uint32_t k, n;
    uint64_t v, out;
    int zero = 1;

    ok(tmap_new(&t, 2, 4, 8, 3) == 0, "ARRAY map of 3 elements created", "");
    for (k = 0; k < 3; k++) {
        zero &= hermes_ebpf_map_lookup(&t.map, &k, &out) == 0 && out == 0;
    }
    ok(zero, "ARRAY elements start at zero", "");
    k = 3;
    v = 7;
    ok(hermes_ebpf_map_lookup(&t.map, &k, &out) == ENOENT_ &&
       hermes_ebpf_map_update(&t.map, &k, &v, 0) == E2BIG_,
       "ARRAY index out of range: lookup ENOENT, update E2BIG", "");
    ok(hermes_ebpf_map_update(&t.map, &k, &v, 5) == EINVAL_,
       "ARRAY bad flags: EINVAL before the index", "");
    k = 2;
    ok(hermes_ebpf_map_update(&t.map, &k, &v, 1) == EEXIST_ &&
       hermes_ebpf_map_update(&t.map, &k, &v, 2) == 0 &&
       hermes_ebpf_map_lookup(&t.map, &k, &out) == 0 && out == 7,
       "ARRAY: NOEXIST is EEXIST, EXIST updates", "");
    ok(hermes_ebpf_map_delete(&t.map, &k) == EINVAL_,
       "ARRAY delete: EINVAL", "");
    k = 1;
    ok(hermes_ebpf_map_get_next_key(&t.map, NULL, &n) == 0 && n == 0 &&
       hermes_ebpf_map_get_next_key(&t.map, &k, &n) == 0 && n == 2 &&
       hermes_ebpf_map_get_next_key(&t.map, &n, &n) == ENOENT_,
       "ARRAY get_next_key: NULL -> 0, 1 -> 2, 2 -> ENOENT", "");
    k = 9;
    ok(hermes_ebpf_map_get_next_key(&t.map, &k, &n) == 0 && n == 0,
       "ARRAY get_next_key of an index out of range: 0", "");
    tmap_free(&t);
}

/* A program that counts key r6 (from the data) in HASH map 0 */
static const uint64_t count_prog[] = {
    LDXW(6, 1, 0),              /* r6 = key */
    I(0x63, 10, 6, -4, 0),      /* *(u32 *)(r10 - 4) = r6 */
    LDDW_MAP(1, 0), 0,
    MOV64_REG(2, 10),
    ADD64_IMM(2, -4),
    CALL_HELPER(1),
    JNE_IMM(0, 0, 10),          /* found: to the atomic add */
    STDW(10, -16, 1),
    LDDW_MAP(1, 0), 0,
    MOV64_REG(2, 10),
    ADD64_IMM(2, -4),
    MOV64_REG(3, 10),
    ADD64_IMM(3, -16),
    MOV64_IMM(4, 1),            /* BPF_NOEXIST */
    CALL_HELPER(2),
    EXIT,
    MOV64_IMM(1, 1),
    ATOMIC64(0, 1, 0, 0x00),    /* lock *(u64 *)r0 += 1 */
    MOV64_IMM(0, 0),
    EXIT,
};

static void test_map_helpers(void)
{
    TMap t, a;
    uint32_t data[1], k, val12[3];
    uint64_t out, v;
    HermesEbpfRegion r = { MEM_ADDR, sizeof(data), data, HERMES_EBPF_MEM_RW };
    HermesEbpfMap *maps[2];
    HermesEbpfRunConfig cfg;
    HermesEbpfResult res;
    int i, good = 1;
    uint64_t del[] = {
        STW(10, -4, 9), LDDW_MAP(1, 0), 0, MOV64_REG(2, 10), ADD64_IMM(2, -4),
        CALL_HELPER(3), EXIT,
    };
    /* value of ARRAY map 1, index 1 (value_size 12): bytes 8..11 ok, 12 no */
    uint64_t val_rw[] = {
        STW(10, -4, 1), LDDW_MAP(1, 1), 0, MOV64_REG(2, 10), ADD64_IMM(2, -4),
        CALL_HELPER(1), STW(0, 8, 0x77), LDXW(0, 0, 8), EXIT,
    };
    uint64_t val_pad[] = {
        STW(10, -4, 1), LDDW_MAP(1, 1), 0, MOV64_REG(2, 10), ADD64_IMM(2, -4),
        CALL_HELPER(1), LDXW(0, 0, 9), EXIT,
    };
    uint64_t val_next[] = {
        STW(10, -4, 1), LDDW_MAP(1, 1), 0, MOV64_REG(2, 10), ADD64_IMM(2, -4),
        CALL_HELPER(1), LDXW(0, 0, 16), EXIT,
    };
    uint64_t bad_ref[] = {
        LDDW_MAP(1, 0), 0, ADD64_IMM(1, 8), MOV64_REG(2, 10), ADD64_IMM(2, -4),
        CALL_HELPER(1), EXIT,
    };
    uint64_t bad_key[] = {
        LDDW_MAP(1, 0), 0, MOV64_IMM(2, 64), CALL_HELPER(1), EXIT,
    };
    uint64_t bad_val[] = {
        LDDW_MAP(1, 0), 0, MOV64_REG(2, 10), ADD64_IMM(2, -4), MOV64_IMM(3, 0),
        MOV64_IMM(4, 0), CALL_HELPER(2), EXIT,
    };
    uint64_t bad_flags[] = {
        STW(10, -4, 1), STDW(10, -16, 1), LDDW_MAP(1, 0), 0, MOV64_REG(2, 10),
        ADD64_IMM(2, -4), MOV64_REG(3, 10), ADD64_IMM(3, -16),
        MOV64_IMM(4, 8), CALL_HELPER(2), EXIT,
    };
    /* the key is read from a map value: map 1 index 0 holds key 42 */
    uint64_t key_in_value[] = {
        STW(10, -4, 0), LDDW_MAP(1, 1), 0, MOV64_REG(2, 10), ADD64_IMM(2, -4),
        CALL_HELPER(1), MOV64_REG(2, 0), LDDW_MAP(1, 0), 0, CALL_HELPER(1),
        LDXDW(0, 0, 0), EXIT,
    };

    tmap_new(&t, 1, 4, 8, 16);
    tmap_new(&a, 2, 4, 12, 2);
    cfg_init(&cfg);
    maps[0] = &t.map;
    maps[1] = &a.map;
    cfg.maps = maps;
    cfg.nmaps = 2;
    for (i = 0; i < 10; i++) {
        data[0] = i % 3 == 0 ? 42 : 9;      /* 42 four times, 9 six times */
        run(count_prog, N(count_prog), &r, 1, &cfg, &res);
        good &= res.status == HERMES_EBPF_OK && res.r0 == 0;
    }
    k = 42;
    ok(good && hermes_ebpf_map_lookup(&t.map, &k, &out) == 0 && out == 4,
       "a counting program: the host reads key 42 counted 4 times", "");
    k = 9;
    ok(hermes_ebpf_map_lookup(&t.map, &k, &out) == 0 && out == 6 &&
       t.map.count == 2, "and key 9 counted 6 times, 2 keys in all", "");
    run(del, N(del), NULL, 0, &cfg, &res);
    ok(res.status == HERMES_EBPF_OK && res.r0 == 0 &&
       hermes_ebpf_map_lookup(&t.map, &k, &out) == ENOENT_,
       "bpf_map_delete_elem from a program deletes", "");
    run(del, N(del), NULL, 0, &cfg, &res);
    ok(res.status == HERMES_EBPF_OK && res.r0 == (uint64_t)ENOENT_,
       "bpf_map_delete_elem of a missing key returns -ENOENT", "");
    run(bad_flags, N(bad_flags), NULL, 0, &cfg, &res);
    ok(res.status == HERMES_EBPF_OK && res.r0 == (uint64_t)EINVAL_,
       "bpf_map_update_elem with bad flags returns -EINVAL", "");

    run(val_rw, N(val_rw), NULL, 0, &cfg, &res);
    k = 1;
    ok(res.status == HERMES_EBPF_OK && res.r0 == 0x77 &&
       hermes_ebpf_map_lookup(&a.map, &k, val12) == 0 && val12[2] == 0x77,
       "a program reads and writes the last word of a value", "");
    run(val_pad, N(val_pad), NULL, 0, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_LOAD &&
       res.fault_addr == MAP_REF(1) + 16 + 9 && res.pc == 6,
       "a load crossing the end of a value faults (padding is not",
       " the value)");
    run(val_next, N(val_next), NULL, 0, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_LOAD &&
       res.fault_addr == MAP_REF(1) + 32,
       "a load past the last element faults", "");
    run(bad_ref, N(bad_ref), NULL, 0, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_HELPER && res.helper_id == 1 &&
       res.helper_err == EINVAL_, "a map helper on a non-map r1 faults", "");
    cfg.nmaps = 1;
    run(val_rw, N(val_rw), NULL, 0, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_HELPER,
       "a map the run does not have cannot be used", "");
    cfg.nmaps = 2;
    run(bad_key, N(bad_key), NULL, 0, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_LOAD && res.fault_addr == 64 &&
       res.helper_id == 1 && res.pc == 3,
       "an unreadable key faults with its address and the helper", "");
    run(bad_val, N(bad_val), NULL, 0, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_LOAD && res.fault_addr == 0 &&
       res.helper_id == 2, "an unreadable value faults", "");

    k = 0;
    memset(data, 0, sizeof(data));
    val12[0] = 42;
    val12[1] = val12[2] = 0;
    hermes_ebpf_map_update(&a.map, &k, val12, 0);
    run(key_in_value, N(key_in_value), NULL, 0, &cfg, &res);
    k = 42;
    hermes_ebpf_map_lookup(&t.map, &k, &v);
    ok(res.status == HERMES_EBPF_OK && res.r0 == v && v == 4,
       "a key argument may be a map value", "");

    cfg.nmaps = 0;
    run(count_prog, N(count_prog), &r, 1, &cfg, &res);
    ok(res.status == HERMES_EBPF_FAULT_HELPER && res.helper_id == 1,
       "without maps, helper 1 goes to the (absent) callback", "");
    tmap_free(&t);
    tmap_free(&a);
}

static void test_map_validate(void)
{
    HermesEbpfCaps caps;
    uint32_t bad;
    uint64_t p[] = { LDDW_MAP(1, 3), 0, MOV64_IMM(0, 0), EXIT };

    hermes_ebpf_caps_full(&caps);
    caps.max_maps = 4;
    ok(hermes_ebpf_validate(p, N(p), &caps, &bad, NULL, 0) == HERMES_EBPF_OK,
       "lddw names map 3 of 4", "");
    caps.max_maps = 3;
    ok(hermes_ebpf_validate(p, N(p), &caps, &bad, NULL, 0) ==
       HERMES_EBPF_ERR_BAD_MAP && bad == 0, "map 3 of 3 is BAD_MAP", "");
    caps.max_maps = 0;
    ok(hermes_ebpf_validate(p, N(p), &caps, &bad, NULL, 0) ==
       HERMES_EBPF_ERR_BAD_LDDW, "no maps: lddw src 5 is BAD_LDDW", "");
    caps.max_maps = 4;
    p[1] = 1ull << 32;
    ok(hermes_ebpf_validate(p, N(p), &caps, &bad, NULL, 0) ==
       HERMES_EBPF_ERR_BAD_LDDW && bad == 1,
       "a map lddw with a second imm is BAD_LDDW", "");
}

/* Threads */

enum { THREADS = 4, ADDS = 100000, KEYS_PER_THREAD = 20000 };

static pthread_barrier_t map_barrier;

typedef struct MapThread {
    HermesEbpfMap *map;
    int id;
    int failures;
} MapThread;

static void *map_atomic_runner(void *opaque)
{
    MapThread *mt = opaque;
    /* r6 = &value of key 0 in map 0; ADDS times: lock *r6 += 1 (64 and 32) */
    static const uint64_t prog[] = {
        STW(10, -4, 0), LDDW_MAP(1, 0), 0, MOV64_REG(2, 10), ADD64_IMM(2, -4),
        CALL_HELPER(1), MOV64_REG(6, 0), MOV64_IMM(7, ADDS), MOV64_IMM(1, 1),
        ATOMIC64(6, 1, 0, 0x00),
        ATOMIC32(6, 1, 8, 0x00),
        ADD64_IMM(7, -1), JNE_IMM(7, 0, -4), MOV64_IMM(0, 0), EXIT,
    };
    HermesEbpfMap *maps[1] = { mt->map };
    HermesEbpfRunConfig cfg;
    HermesEbpfResult res;

    cfg_init(&cfg);
    cfg.maps = maps;
    cfg.nmaps = 1;
    pthread_barrier_wait(&map_barrier);
    run(prog, N(prog), NULL, 0, &cfg, &res);
    mt->failures += res.status != HERMES_EBPF_OK;
    return NULL;
}

/* Each thread inserts its keys, through programs and the host API */
static void *map_insert_runner(void *opaque)
{
    MapThread *mt = opaque;
    static const uint64_t prog[] = {
        LDXW(6, 1, 0), I(0x63, 10, 6, -4, 0), I(0x7b, 10, 6, -16, 0),
        LDDW_MAP(1, 0), 0, MOV64_REG(2, 10), ADD64_IMM(2, -4),
        MOV64_REG(3, 10), ADD64_IMM(3, -16), MOV64_IMM(4, 1),
        CALL_HELPER(2), EXIT,
    };
    HermesEbpfMap *maps[1] = { mt->map };
    uint32_t data[1];
    HermesEbpfRegion r = { MEM_ADDR, sizeof(data), data, HERMES_EBPF_MEM_RW };
    HermesEbpfRunConfig cfg;
    HermesEbpfResult res;
    uint64_t v;
    uint32_t k;
    int i;

    cfg_init(&cfg);
    cfg.maps = maps;
    cfg.nmaps = 1;
    pthread_barrier_wait(&map_barrier);
    for (i = 0; i < KEYS_PER_THREAD; i++) {
        k = (uint32_t)(mt->id * KEYS_PER_THREAD + i) * 2654435761u;
        if (i & 1) {
            v = k;
            mt->failures += hermes_ebpf_map_update(mt->map, &k, &v, 1) != 0;
        } else {
            data[0] = k;
            run(prog, N(prog), &r, 1, &cfg, &res);
            mt->failures += res.status != HERMES_EBPF_OK || res.r0 != 0;
        }
        /* and churn: insert and delete a private scratch key */
        k = 0x80000000u | (uint32_t)mt->id;
        v = 0;
        mt->failures += hermes_ebpf_map_update(mt->map, &k, &v, 1) != 0;
        mt->failures += hermes_ebpf_map_delete(mt->map, &k) != 0;
    }
    return NULL;
}

/*
 * Walk a HASH map's memory as the specification lays it out: every element
 * is on exactly one chain or on the free list, chains hold count elements.
 */
static int hash_consistent(const HermesEbpfMap *m)
{
    uint32_t max = m->max_entries, nb = 2, i, b, steps;
    const uint8_t *links;
    uint8_t *seen = calloc(max, 1);
    uint32_t used = 0, freed = 0;
    int good = 1;

    while (nb < max) {
        nb <<= 1;
    }
    links = m->mem + 4ull * nb;
    for (b = 0; b < nb && good; b++) {
        memcpy(&i, m->mem + 4ull * b, 4);
        for (steps = 0; i != 0xffffffffu && good; steps++) {
            good = i < max && !seen[i] && steps < max;
            if (good) {
                seen[i] = 1;
                used++;
                memcpy(&i, links + 8ull * i, 4);
            }
        }
    }
    for (i = m->free_head; i != 0xffffffffu && good;) {
        good = i < max && !seen[i];
        if (good) {
            seen[i] = 1;
            freed++;
            memcpy(&i, links + 8ull * i, 4);
        }
    }
    free(seen);
    return good && used == m->count && used + freed == max;
}

static void test_map_threads(void)
{
    TMap t;
    MapThread mt[THREADS];
    pthread_t th[THREADS];
    uint64_t val[2], v;
    uint32_t k, n;
    int i, j, failures = 0, missing = 0, wrong = 0, iter = 0;

    pthread_barrier_init(&map_barrier, NULL, THREADS);
    tmap_new(&t, 1, 4, 16, 4);
    k = 0;
    memset(val, 0, sizeof(val));
    hermes_ebpf_map_update(&t.map, &k, val, 0);
    for (i = 0; i < THREADS; i++) {
        mt[i] = (MapThread) { &t.map, i, 0 };
        pthread_create(&th[i], NULL, map_atomic_runner, &mt[i]);
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        failures += mt[i].failures;
    }
    hermes_ebpf_map_lookup(&t.map, &k, val);
    ok(!failures && val[0] == (uint64_t)THREADS * ADDS &&
       (uint32_t)val[1] == (uint32_t)THREADS * ADDS,
       "4 threads x 100000 atomic adds on one map value: exactly 400000",
       " (64- and 32-bit)");
    tmap_free(&t);

    /* room for every key plus one scratch key per thread */
    tmap_new(&t, 1, 4, 8, THREADS * KEYS_PER_THREAD + THREADS);
    for (i = 0; i < THREADS; i++) {
        mt[i] = (MapThread) { &t.map, i, 0 };
        pthread_create(&th[i], NULL, map_insert_runner, &mt[i]);
    }
    failures = 0;
    for (i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        failures += mt[i].failures;
    }
    for (i = 0; i < THREADS; i++) {
        for (j = 0; j < KEYS_PER_THREAD; j++) {
            k = (uint32_t)(i * KEYS_PER_THREAD + j) * 2654435761u;
            if (hermes_ebpf_map_lookup(&t.map, &k, &v)) {
                missing++;
            } else if (v != k) {
                wrong++;
            }
        }
    }
    if (hermes_ebpf_map_get_next_key(&t.map, NULL, &n) == 0) {
        for (iter = 1; iter <= THREADS * (KEYS_PER_THREAD + 1) &&
             hermes_ebpf_map_get_next_key(&t.map, &n, &n) == 0; iter++) {
            continue;
        }
    }
    ok(!failures && !missing && !wrong && hash_consistent(&t.map) &&
       t.map.count == THREADS * KEYS_PER_THREAD &&
       iter == THREADS * KEYS_PER_THREAD,
       "concurrent HASH inserts and deletes from 4 threads lose no key",
       "");
    pthread_barrier_destroy(&map_barrier);
    if (failures || missing || wrong || iter != THREADS * KEYS_PER_THREAD) {
        fprintf(stderr, "# failures %d missing %d wrong %d iterated %d\n",
                failures, missing, wrong, iter);
    }
    tmap_free(&t);
}

/* ------------------------------------------------------------------ */
/* Record batches (hermes_ebpf_run_batch)                              */

#define B_DATA   0x100000000ull
#define B_CTX    0x200000000ull
#define B_STACK  0x300000000ull
#define B_SLOT   65536
#define LDXB(d, s, o)   I(0x71, d, s, o, 0)
#define STB(d, o, v)    I(0x72, d, 0, o, v)
#define AND64_IMM(d, v) I(0x57, d, 0, 0, v)
#define LSH64_IMM(d, v) I(0x67, d, 0, 0, v)
#define OR64_REG(d, s)  I(0x4f, d, s, 0, 0)
#define SUB64_REG(d, s) I(0x1f, d, s, 0, 0)
#define SUB64_IMM(d, v) I(0x17, d, 0, 0, v)
#define OR64_IMM(d, v)  I(0x47, d, 0, 0, v)
#define JEQ_IMM(d, v, o) I(0x15, d, 0, o, v)
#define JNE_REG(d, s, o) I(0x5d, d, s, o, 0)

/*
 * The filter every batch test runs: r0 = action | k << 32, and on the first
 * byte b of a non-empty record: b % 4 == 0 write 'X' over it and keep,
 * 1 drop, 2 shorten to 14 bytes with adjust_tail and keep, 3 drop the 2
 * first bytes with adjust_head and keep.  An empty record is kept.
 */
static const uint64_t filter_prog[] = {
    MOV64_REG(6, 3),                    /* 0: r6 = ctx */
    MOV64_REG(7, 2),                    /* 1: r7 = len */
    MOV64_REG(9, 4),                    /* 2 */
    LSH64_IMM(9, 32),                   /* 3: r9 = k << 32 */
    JEQ_IMM(2, 0, 17),                  /* 4: empty: PASS (22) */
    LDXB(8, 1, 0),                      /* 5 */
    AND64_IMM(8, 3),                    /* 6 */
    JEQ_IMM(8, 1, 17),                  /* 7: DROP (25) */
    JEQ_IMM(8, 2, 3),                   /* 8: SHORT (12) */
    JEQ_IMM(8, 3, 7),                   /* 9: HEAD (17) */
    STB(1, 0, 'X'),                     /* 10 */
    JA(10),                             /* 11: PASS */
    MOV64_REG(1, 6),                    /* 12: SHORT */
    MOV64_IMM(2, 14),                   /* 13 */
    SUB64_REG(2, 7),                    /* 14: r2 = 14 - len */
    CALL_HELPER(65),                    /* 15 */
    JA(5),                              /* 16: PASS */
    MOV64_REG(1, 6),                    /* 17: HEAD */
    MOV64_IMM(2, 2),                    /* 18 */
    CALL_HELPER(44),                    /* 19 */
    JA(1),                              /* 20: PASS */
    EXIT,                               /* 21: (not reached) */
    MOV64_IMM(0, 2),                    /* 22: PASS */
    OR64_REG(0, 9),                     /* 23 */
    EXIT,                               /* 24 */
    MOV64_IMM(0, 1),                    /* 25: DROP */
    OR64_REG(0, 9),                     /* 26 */
    EXIT,                               /* 27 */
};

/* What filter_prog does to one record, in plain C */
static bool filter_ref(const uint8_t *in, uint32_t len, uint8_t *out,
                       uint32_t *olen)
{
    if (len == 0) {
        *olen = 0;
        return true;
    }
    memcpy(out, in, len);
    *olen = len;
    switch (in[0] & 3) {
    case 0:
        out[0] = 'X';
        return true;
    case 1:
        return false;
    case 2:
        if (len >= 14) {
            *olen = 14;
        }
        return true;
    default:
        if (len >= 16) {
            memmove(out, out + 2, len - 2);
            *olen = len - 2;
        }
        return true;
    }
}

typedef struct TBatch {
    uint8_t slot[B_SLOT] __attribute__((aligned(8)));
    uint8_t input[B_SLOT];
    uint8_t expect[B_SLOT];
    uint32_t exp_len;
    uint32_t exp_out;
    uint32_t nrec;
    uint32_t in_len;
    uint32_t rec_len[B_SLOT];
    uint32_t rec_keep[B_SLOT];
    uint32_t rec_olen[B_SLOT];
    uint64_t stack[HERMES_EBPF_MAX_CALL_DEPTH * 512 / 8];
    HermesEbpfBatch b;
    HermesEbpfRunConfig cfg;
    HermesEbpfBatchResult res;
} TBatch;

static TBatch tb;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = v;
    p[1] = v >> 8;
    p[2] = v >> 16;
    p[3] = v >> 24;
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    while (n--) {
        v = v << 8 | p[n];
    }
    return v;
}

/*
 * Build an input of @nrec records of lengths from @lens (or random up to
 * @maxlen when NULL); fixed-size records when @rsize is not 0.  Computes
 * the expected output of filter_prog with filter_ref().
 */
static void tb_build(uint32_t nrec, const uint32_t *lens, uint32_t maxlen,
                     uint32_t rsize)
{
    uint32_t k, i, off = 0, olen;

    memset(&tb.b, 0, sizeof(tb.b));
    tb.exp_len = tb.exp_out = 0;
    for (k = 0; k < nrec; k++) {
        uint32_t len = rsize ? rsize : lens ? lens[k] : rnd(maxlen + 1);

        if (!rsize) {
            put32(tb.input + off, len);
            off += 4;
        }
        for (i = 0; i < len; i++) {
            tb.input[off + i] = (uint8_t)rnd(256);
        }
        tb.rec_len[k] = len;
        tb.rec_keep[k] = filter_ref(tb.input + off, len,
                                    tb.expect + tb.exp_len + (rsize ? 0 : 4),
                                    &olen);
        tb.rec_olen[k] = tb.rec_keep[k] ? olen : 0;
        if (tb.rec_keep[k]) {
            if (!rsize) {
                put32(tb.expect + tb.exp_len, olen);
                tb.exp_len += 4;
            }
            tb.exp_len += olen;
            tb.exp_out++;
        }
        off += len;
    }
    tb.nrec = nrec;
    tb.in_len = off;
    memcpy(tb.slot, tb.input, off);
    tb.b = (HermesEbpfBatch) {
        .slot = tb.slot, .slot_size = B_SLOT, .in_len = off,
        .record_size = rsize, .lenpfx = rsize == 0,
        .res_off = (off + 7) & ~7u, .data_base = B_DATA, .ctx_base = B_CTX,
    };
    memset(&tb.cfg, 0, sizeof(tb.cfg));
    tb.cfg.stack_addr = B_STACK;
    tb.cfg.stack_host = tb.stack;
}

/* A test clock for bpf_ktime_get_ns(): each reading adds @step */
typedef struct TClock {
    uint64_t now;
    uint64_t step;
} TClock;

static uint64_t tclock_ns(void *opaque)
{
    TClock *c = opaque;

    c->now += c->step;
    return c->now;
}

/*
 * The state helpers 5, 7 and 8 change (the generator, a test clock), so
 * that each engine of a differential run starts from the same one
 */
typedef struct EnvSnap {
    HermesEbpfXdpEnv env;
    TClock clock;
} EnvSnap;

static void env_take(const HermesEbpfXdpEnv *e, EnvSnap *sn)
{
    memset(sn, 0, sizeof(*sn));
    if (e) {
        sn->env = *e;
        if (e->clock_ns == tclock_ns) {
            sn->clock = *(const TClock *)e->clock_opaque;
        }
    }
}

static void env_put(HermesEbpfXdpEnv *e, const EnvSnap *sn)
{
    if (e) {
        *e = sn->env;
        if (e->clock_ns == tclock_ns) {
            *(TClock *)e->clock_opaque = sn->clock;
        }
    }
}

static bool env_same(const HermesEbpfXdpEnv *e, const EnvSnap *sn)
{
    EnvSnap now;

    env_take(e, &now);
    return now.env.prng == sn->env.prng && now.clock.now == sn->clock.now;
}

/* hermes_ebpf_run_batch() and its decoded form, as run_both() */
static HermesEbpfStatus batch_both(const uint64_t *p, uint32_t n,
                                   const HermesEbpfBatch *b,
                                   const HermesEbpfRunConfig *cfg,
                                   HermesEbpfBatchResult *res)
{
    HermesEbpfRegion slot = { 0, b->slot ? b->slot_size : 0, b->slot, 0 };
    HermesEbpfCode *code = decode(p, n), *jcode = decode_jit(p, n);
    HermesEbpfBatchResult ref, jres;
    Snap before, after, orig, thr;
    EnvSnap env0, env_ref;
    bool same;

    snap_take(&before, &slot, 1, cfg);
    snap_take(&orig, &slot, 1, cfg);
    env_take(b->env, &env0);
    hermes_ebpf_run_batch(p, n, b, cfg, &ref);
    env_take(b->env, &env_ref);
    snap_take(&after, &slot, 1, cfg);
    snap_walk(&slot, 1, cfg, before.buf, -1);
    env_put(b->env, &env0);
    hermes_ebpf_run_batch_code(code, b, cfg, res);
    snap_walk(&slot, 1, cfg, before.buf, 1);
    same = env_same(b->env, &env_ref) &&
           ref.status == res->status && ref.check == res->check &&
           ref.bad_record == res->bad_record &&
           ref.records_done == res->records_done && ref.runs == res->runs &&
           ref.records_out == res->records_out &&
           ref.out_len == res->out_len && ref.insns == res->insns &&
           res_same(&ref.last, &res->last) &&
           !memcmp(before.buf, after.buf, after.len);
    diff_report(same, "batch", &ref.last, &res->last);
    snap_take(&thr, &slot, 1, cfg);
    snap_walk(&slot, 1, cfg, orig.buf, -1);
    env_put(b->env, &env0);
    hermes_ebpf_run_batch_code(jcode, b, cfg, &jres);
    jit_count(jcode, cfg);
    snap_walk(&slot, 1, cfg, orig.buf, 1);
    same = env_same(b->env, &env_ref) &&
           ref.status == jres.status && ref.check == jres.check &&
           ref.bad_record == jres.bad_record &&
           ref.records_done == jres.records_done && ref.runs == jres.runs &&
           ref.records_out == jres.records_out &&
           ref.out_len == jres.out_len && ref.insns == jres.insns &&
           res_same(&ref.last, &jres.last) &&
           !memcmp(orig.buf, after.buf, after.len);
    jit_report(same, "batch", &ref.last, &jres.last);
    snap_walk(&slot, 1, cfg, thr.buf, -1);
    free(before.buf);
    free(after.buf);
    free(orig.buf);
    free(thr.buf);
    free(code);
    free_code(jcode);
    return res->status;
}

static HermesEbpfStatus tb_run(const uint64_t *p, uint32_t n)
{
    HermesEbpfCaps caps;
    uint32_t bad;

    hermes_ebpf_caps_full(&caps);
    if (hermes_ebpf_validate(p, n, &caps, &bad, NULL, 0) != HERMES_EBPF_OK) {
        fprintf(stderr, "# batch program invalid at %u\n", bad);
        tb.res.status = HERMES_EBPF_ERR_INVALID_INSN;
        return tb.res.status;
    }
    return batch_both(p, n, &tb.b, &tb.cfg, &tb.res);
}

/* The table entries of records [0, @upto) against filter_ref */
static bool tb_table_ok(uint32_t upto)
{
    uint32_t k;

    for (k = 0; k < upto; k++) {
        const uint8_t *e = tb.slot + tb.b.res_off + 16 * k;

        if (get_le(e, 8) != ((uint64_t)k << 32 | (tb.rec_keep[k] ? 2 : 1)) ||
            get_le(e + 8, 4) != tb.rec_olen[k] ||
            get_le(e + 12, 4) != tb.rec_keep[k]) {
            fprintf(stderr, "# table entry %u: r0 0x%" PRIx64 " len %u "
                    "flags %u\n", k, get_le(e, 8),
                    (unsigned)get_le(e + 8, 4), (unsigned)get_le(e + 12, 4));
            return false;
        }
    }
    return true;
}

static bool tb_output_ok(void)
{
    return tb.res.out_len == tb.exp_len &&
           tb.res.records_out == tb.exp_out &&
           memcmp(tb.slot, tb.expect, tb.exp_len) == 0;
}

static void test_batch_filter(void)
{
    static const uint32_t lens[] = { 20, 0, 13, 14, 15, 16, 17, 3, 40, 1 };
    uint32_t k, round, good = 1;

    /*
     * Every case of the filter on both sides of the 14-byte minimum: the
     * first byte of record k selects action k % 4.
     */
    tb_build(N(lens), lens, 0, 0);
    {
        uint32_t off = 0, olen;

        tb.exp_len = tb.exp_out = 0;
        for (k = 0; k < N(lens); k++) {
            uint32_t j;

            for (j = 0; j < lens[k]; j++) {
                tb.input[off + 4 + j] = (uint8_t)(0x30 + 4 * j +
                                                  (j ? 0 : k % 4));
            }
            tb.rec_keep[k] = filter_ref(tb.input + off + 4, lens[k],
                                        tb.expect + tb.exp_len + 4, &olen);
            tb.rec_olen[k] = tb.rec_keep[k] ? olen : 0;
            if (tb.rec_keep[k]) {
                put32(tb.expect + tb.exp_len, olen);
                tb.exp_len += 4 + olen;
                tb.exp_out++;
            }
            off += 4 + lens[k];
        }
        memcpy(tb.slot, tb.input, off);
    }
    tb_run(filter_prog, N(filter_prog));
    ok(tb.res.status == HERMES_EBPF_OK && tb.res.records_done == N(lens) &&
       tb.res.runs == N(lens) && tb_output_ok() && tb_table_ok(N(lens)),
       "batch LENPFX: keep, drop, shorten, drop head, empty record; "
       "output and table as computed in C", "");
    /* record 2 (13 bytes, shorten) and 4 (15, head) could not shrink */
    ok(tb.rec_keep[2] && tb.rec_olen[2] == 13 && tb.rec_keep[4] &&
       tb.rec_olen[4] == 15 && tb.rec_olen[3] == 14 && tb.rec_olen[1] == 0 &&
       get_le(tb.slot + tb.b.res_off + 16 + 12, 4) == 1,
       "batch: records under 14 bytes do not shrink; an empty record is "
       "kept with length 0", "");

    for (round = 0; round < 20 && good; round++) {
        tb_build(1 + rnd(300), NULL, round < 10 ? 40 : 200, 0);
        tb_run(filter_prog, N(filter_prog));
        good = tb.res.status == HERMES_EBPF_OK &&
               tb.res.records_done == tb.nrec && tb_output_ok() &&
               tb_table_ok(tb.nrec);
    }
    ok(good, "batch LENPFX: 20 random inputs match the C filter", "");

    good = 1;
    for (round = 0; round < 20 && good; round++) {
        static const uint32_t sizes[] = { 1, 13, 14, 15, 16, 64, 100, 4096 };
        uint32_t rs = sizes[round % N(sizes)];

        tb_build(1 + rnd(rs >= 4096 ? 8 : 200), NULL, 0, rs);
        tb_run(filter_prog, N(filter_prog));
        good = tb.res.status == HERMES_EBPF_OK &&
               tb.res.records_done == tb.nrec && tb_output_ok() &&
               tb_table_ok(tb.nrec);
    }
    ok(good, "batch fixed-size (1 to 4096 bytes): 20 random inputs match "
       "the C filter", "");

    tb_build(0, NULL, 0, 0);
    tb_run(filter_prog, N(filter_prog));
    ok(tb.res.status == HERMES_EBPF_OK && tb.res.records_done == 0 &&
       tb.res.out_len == 0 && tb.res.runs == 0, "batch of no record", "");
}

static void test_batch_context(void)
{
    /* entry state: r1/r2 against the context, iteration, fresh stack */
    static const uint64_t p[] = {
        LDXDW(6, 3, 0x00),          /* data */
        JNE_REG(6, 1, 16),
        LDXDW(6, 3, 0x10),          /* data_meta */
        JNE_REG(6, 1, 14),
        LDXDW(6, 3, 0x18),          /* hard_start */
        JNE_REG(6, 1, 12),
        MOV64_REG(7, 1),
        I(0x0f, 7, 2, 0, 0),        /* r7 = r1 + r2 */
        LDXDW(6, 3, 0x08),          /* data_end */
        JNE_REG(6, 7, 8),
        LDXDW(6, 3, 0x20),          /* hard_end */
        JNE_REG(6, 7, 6),
        LDXW(6, 3, 0x30),           /* iteration */
        JNE_REG(6, 4, 4),
        LDXDW(0, 10, -8),           /* stack word from the previous record */
        STXDW(10, 3, -8),           /* leave something behind */
        OR64_IMM(0, 2),
        EXIT,
        MOV64_IMM(0, 1),
        EXIT,
    };
    static const uint64_t store_ctx[] = {
        STW(3, 0, 0),
        MOV64_IMM(0, 2),
        EXIT,
    };
    static const uint64_t other_helper[] = {
        CALL_HELPER(6),
        MOV64_IMM(0, 2),
        EXIT,
    };
    uint32_t k, good = 1;

    tb_build(50, NULL, 0, 24);
    tb_run(p, N(p));
    for (k = 0; k < 50; k++) {
        good &= get_le(tb.slot + tb.b.res_off + 16 * k, 8) == 2;
    }
    ok(tb.res.status == HERMES_EBPF_OK && good && tb.res.records_out == 50 &&
       tb.res.out_len == 50 * 24 && memcmp(tb.slot, tb.input, 50 * 24) == 0,
       "batch: r1, r2, r4 and the context describe each record; the stack "
       "starts zeroed for each record", "");

    tb_build(3, NULL, 0, 16);
    tb_run(store_ctx, N(store_ctx));
    ok(tb.res.status == HERMES_EBPF_FAULT_STORE && tb.res.records_done == 0 &&
       tb.res.last.fault_addr == B_CTX, "batch: the context is read only",
       "");
    tb_build(3, NULL, 0, 16);
    tb_run(other_helper, N(other_helper));
    ok(tb.res.status == HERMES_EBPF_FAULT_HELPER &&
       tb.res.last.helper_id == 6 && tb.res.records_done == 0 &&
       tb.res.runs == 1, "batch: helpers the engine does not implement "
       "fault", "");
}

static void test_batch_faults(void)
{
    static const uint32_t lens[] = { 20, 20, 16, 20 };
    static const uint64_t ld16[] = {
        LDXB(0, 1, 16),             /* byte 16: outside a 16-byte record */
        MOV64_IMM(0, 2),
        EXIT,
    };
    static const uint64_t ld_before[] = {
        LDXB(0, 1, -1),             /* the length prefix byte */
        MOV64_IMM(0, 2),
        EXIT,
    };
    /* loops b0 times (b0: the record's first byte), then keeps */
    static const uint64_t loop[] = {
        LDXB(6, 1, 0),
        SUB64_IMM(6, 1),
        JNE_IMM(6, 0, -2),
        MOV64_IMM(0, 2),
        EXIT,
    };
    uint32_t off, k, i;
    int flag = 1;

    tb_build(N(lens), lens, 0, 0);
    for (k = 0; k < N(lens); k++) {
        tb.rec_keep[k] = 1;
        tb.rec_olen[k] = lens[k];
    }
    tb_run(ld16, N(ld16));
    off = 4 + 20 + 4 + 20 + 4;      /* data of record 2 */
    ok(tb.res.status == HERMES_EBPF_FAULT_LOAD && tb.res.records_done == 2 &&
       tb.res.last.pc == 0 && tb.res.last.fault_addr == B_DATA + off + 16 &&
       tb.res.last.fault_size == 1 && tb.res.runs == 3 &&
       tb.res.records_out == 2 && tb.res.out_len == 48 &&
       memcmp(tb.slot, tb.input, 48) == 0,
       "batch: a load past the record faults and names record 2; records "
       "0 and 1 are complete", "");
    tb_build(N(lens), lens, 0, 0);
    tb_run(ld_before, N(ld_before));
    ok(tb.res.status == HERMES_EBPF_FAULT_LOAD && tb.res.records_done == 0 &&
       tb.res.last.fault_addr == B_DATA + 3,
       "batch: the length prefix is outside the record's window", "");

    /* budget: 40 instructions per record; record 3 needs more */
    tb_build(6, NULL, 0, 32);
    for (k = 0; k < 6; k++) {
        tb.slot[32 * k] = tb.input[32 * k] = (uint8_t)(k == 3 ? 50 : 5 + k);
    }
    tb.cfg.budget = 40;
    tb_run(loop, N(loop));
    for (k = 0, i = 1; k < 3; k++) {
        const uint8_t *e = tb.slot + tb.b.res_off + 16 * k;

        i &= get_le(e, 8) == 2 && get_le(e + 8, 4) == 32 &&
             get_le(e + 12, 4) == 1;
    }
    ok(tb.res.status == HERMES_EBPF_FAULT_BUDGET && tb.res.records_done == 3 &&
       tb.res.records_out == 3 && tb.res.out_len == 96 && i &&
       memcmp(tb.slot, tb.input, 96) == 0 &&
       tb.res.insns == 3 * 1 + (5 + 6 + 7) * 2 + 2 * 3 + 40,
       "batch: budget exhausted at record 3 leaves records 0 to 2 complete",
       "");

    tb_build(6, NULL, 0, 32);
    tb.cfg.abort_flag = &flag;
    tb_run(loop, N(loop));
    ok(tb.res.status == HERMES_EBPF_FAULT_ABORTED &&
       tb.res.records_done == 0 && tb.res.runs == 0 && tb.res.out_len == 0,
       "batch: a set abort flag stops before the first record", "");
}

/*
 * The decoded engine sets a batch up once and moves the record's window
 * from record to record: layouts where that window and the context's
 * share address bits, a context inside the input (the record shadows it
 * where they overlap), a configuration only a run rejects and a program
 * only the reference can run, each against hermes_ebpf_run_batch().
 */
static void test_batch_layouts(void)
{
    static const uint64_t p[] = {
        LDXDW(6, 3, 0x00),          /* data, through the context */
        LDXB(7, 1, 0),              /* the record's first byte */
        I(0x73, 1, 6, 1, 0),        /* stxb [r1 + 1] = r6 */
        I(0x73, 1, 7, 2, 0),        /* stxb [r1 + 2] = r7 */
        LDXB(8, 3, 0x30),           /* iteration */
        I(0x0f, 0, 8, 0, 0),        /* r0 += r8 */
        LDXB(8, 1, 23),             /* past a short record: faults */
        MOV64_IMM(0, 2),
        EXIT,
    };
    static const uint64_t wild[] = {
        LDXB(6, 1, 0),
        JEQ_IMM(6, 0x41, 100),      /* leaves the program */
        MOV64_IMM(0, 2),
        EXIT,
    };
    static const uint64_t ctxs[] = {
        B_CTX, B_DATA - 64, B_DATA + 40, B_DATA + 3, B_DATA + 0x1000,
        B_DATA ^ 0x80000000ull, 0x10000000000ull,
    };
    HermesEbpfStatus st;
    uint32_t i, good = 1;

    for (i = 0; i < N(ctxs); i++) {
        tb_build(12, NULL, 0, 24);
        tb.b.ctx_base = ctxs[i];
        st = tb_run(p, N(p));
        good &= st == HERMES_EBPF_OK && tb.res.records_done == 12;
        tb_build(12, NULL, 0, 16);
        tb.b.ctx_base = ctxs[i];
        st = tb_run(p, N(p));
        /* byte 23 is in the context for the first records of ctxs[3] */
        good &= st == HERMES_EBPF_FAULT_LOAD &&
                tb.res.records_done == (i == 3 ? 3 : 0);
    }
    ok(good, "batch: the decoded engine's record window against the "
       "reference, context below, inside and beside the input", "");

    tb_build(4, NULL, 0, 24);
    tb.cfg.stack_size = 1024;
    tb.cfg.stack_host = NULL;
    st = tb_run(p, N(p));
    ok(st == HERMES_EBPF_ERR_BAD_CONFIG && tb.res.runs == 1 &&
       tb.res.records_done == 0, "batch: a stack a run rejects fails the "
       "first record on both interpreters", "");
    tb_build(0, NULL, 0, 24);
    tb.cfg.stack_size = 1024;
    tb.cfg.stack_host = NULL;
    st = tb_run(p, N(p));
    ok(st == HERMES_EBPF_OK && tb.res.runs == 0, "batch: ... and is never "
       "seen without a record", "");

    tb_build(4, NULL, 0, 24);
    tb.slot[0] = tb.slot[24] = 0;
    tb.slot[48] = 0x41;
    st = batch_both(wild, N(wild), &tb.b, &tb.cfg, &tb.res);
    ok(st == HERMES_EBPF_ERR_BAD_JUMP && tb.res.records_done == 2,
       "batch: a jump out of the program, on the reference", "");
}

static int batch_len_helper(void *opaque, uint32_t id, const uint64_t args[5],
                            HermesEbpfVm *vm, uint64_t *ret)
{
    (void)opaque;
    (void)vm;
    if (id != 6) {
        return -1;
    }
    *ret = 2 | args[0] << 32;
    return HERMES_EBPF_HELPER_CONTINUE;
}

static void test_batch_maps_helpers(void)
{
    /* count records by first byte % 4 in an ARRAY map, keep them all */
    static const uint64_t count[] = {
        LDXB(6, 1, 0),
        AND64_IMM(6, 3),
        I(0x63, 10, 6, -4, 0),      /* *(u32 *)(r10 - 4) = r6 */
        LDDW_MAP(1, 0), 0,
        MOV64_REG(2, 10),
        ADD64_IMM(2, -4),
        CALL_HELPER(1),
        JEQ_IMM(0, 0, 2),
        MOV64_IMM(1, 1),
        ATOMIC64(0, 1, 0, 0),
        MOV64_IMM(0, 2),
        EXIT,
    };
    static const uint64_t other[] = {
        MOV64_REG(1, 2),
        CALL_HELPER(6),
        EXIT,
    };
    HermesEbpfMap *maps[1];
    HermesEbpfCaps caps;
    uint64_t want[4] = { 0 }, v;
    uint32_t k, key, good = 1, bad;
    TMap t;

    tmap_new(&t, HERMES_EBPF_MAP_ARRAY, 4, 8, 4);
    maps[0] = &t.map;
    tb_build(300, NULL, 0, 20);
    for (k = 0; k < 300; k++) {
        want[tb.input[20 * k] & 3]++;
    }
    tb.cfg.maps = maps;
    tb.cfg.nmaps = 1;
    hermes_ebpf_caps_full(&caps);
    caps.max_maps = 1;
    if (hermes_ebpf_validate(count, N(count), &caps, &bad, NULL, 0)) {
        good = 0;
    }
    hermes_ebpf_run_batch(count, N(count), &tb.b, &tb.cfg, &tb.res);
    for (key = 0; key < 4; key++) {
        good &= hermes_ebpf_map_lookup(&t.map, &key, &v) == 0 &&
                v == want[key];
    }
    ok(good && tb.res.status == HERMES_EBPF_OK &&
       tb.res.records_out == 300, "batch: records share the run's maps "
       "(a per-class count in an ARRAY map)", "");
    tmap_free(&t);

    tb_build(40, NULL, 50, 0);
    tb.cfg.helper = batch_len_helper;
    tb_run(other, N(other));
    for (k = 0; k < 40; k++) {
        good &= get_le(tb.slot + tb.b.res_off + 16 * k, 8) ==
                (2 | (uint64_t)tb.rec_len[k] << 32);
    }
    ok(good && tb.res.status == HERMES_EBPF_OK &&
       tb.res.out_len == tb.in_len && memcmp(tb.slot, tb.input,
                                              tb.in_len) == 0,
       "batch: other helper IDs go to the configuration's callback", "");
}

static void test_batch_framing(void)
{
    static const uint32_t lens[] = { 5, 6, 7 };
    uint32_t bad = 77, n = 0;
    HermesEbpfBatch b;

    tb_build(3, lens, 0, 0);
    b = tb.b;
    ok(hermes_ebpf_batch_check(&b, &n, &bad) == HERMES_EBPF_BATCH_OK &&
       n == 3, "batch check: 3 length-prefixed records", "");
    b.in_len -= 1;                  /* record 2 ends past ILEN */
    ok(hermes_ebpf_batch_check(&b, NULL, &bad) ==
       HERMES_EBPF_BATCH_BAD_RECORDS && bad == 2,
       "batch check: data past ILEN names record 2", "");
    b.in_len = 4 + 5 + 4 + 6 + 2;   /* half a prefix */
    ok(hermes_ebpf_batch_check(&b, NULL, &bad) ==
       HERMES_EBPF_BATCH_BAD_RECORDS && bad == 2,
       "batch check: a partial length prefix names record 2", "");
    b = tb.b;
    put32(tb.slot + 9, 0xfffffffc);  /* record 1's length wraps */
    ok(hermes_ebpf_batch_check(&b, NULL, &bad) ==
       HERMES_EBPF_BATCH_BAD_RECORDS && bad == 1,
       "batch check: a huge length names record 1", "");
    tb_run(filter_prog, N(filter_prog));
    ok(tb.res.status == HERMES_EBPF_ERR_BAD_CONFIG &&
       tb.res.check == HERMES_EBPF_BATCH_BAD_RECORDS &&
       tb.res.bad_record == 1 && tb.res.records_done == 1,
       "batch run without the check stops at the badly framed record", "");

    put32(tb.slot + 9, 6);
    b = tb.b;
    b.res_off = B_SLOT - 2 * 16;    /* room for 2 results */
    ok(hermes_ebpf_batch_check(&b, NULL, &bad) ==
       HERMES_EBPF_BATCH_BAD_RECORDS && bad == 2,
       "batch check: no result entry for record 2", "");

    tb_build(10, NULL, 0, 10);
    b = tb.b;
    b.in_len = 95;
    b.res_off = 96;
    ok(hermes_ebpf_batch_check(&b, NULL, &bad) ==
       HERMES_EBPF_BATCH_BAD_RECORDS && bad == 9,
       "batch check: ILEN not a multiple of RSIZE names the partial record",
       "");
    b.in_len = 100;
    b.res_off = B_SLOT - 16 * 4;
    ok(hermes_ebpf_batch_check(&b, NULL, &bad) ==
       HERMES_EBPF_BATCH_BAD_RECORDS && bad == 4,
       "batch check: more fixed records than table entries names the first "
       "without one", "");
    b.res_off = B_SLOT - 16 * 10;
    ok(hermes_ebpf_batch_check(&b, &n, &bad) == HERMES_EBPF_BATCH_OK &&
       n == 10, "batch check: a table that just fits", "");
    b.res_off = 96;
    ok(hermes_ebpf_batch_check(&b, NULL, &bad) ==
       HERMES_EBPF_BATCH_BAD_ADDRESS, "batch check: RESOFF below ILEN", "");
    b.res_off = 100 + 2;
    ok(hermes_ebpf_batch_check(&b, NULL, &bad) ==
       HERMES_EBPF_BATCH_BAD_ADDRESS, "batch check: RESOFF not a multiple "
       "of 8", "");
    b.res_off = B_SLOT + 8;
    ok(hermes_ebpf_batch_check(&b, NULL, &bad) ==
       HERMES_EBPF_BATCH_BAD_ADDRESS, "batch check: RESOFF past the slot",
       "");
    b.res_off = B_SLOT;
    ok(hermes_ebpf_batch_check(&b, NULL, &bad) ==
       HERMES_EBPF_BATCH_BAD_RECORDS && bad == 0,
       "batch check: RESOFF at the end leaves no entry", "");
    b.record_size = 0;
    ok(hermes_ebpf_batch_check(&b, NULL, &bad) ==
       HERMES_EBPF_BATCH_BAD_FIELD, "batch check: RSIZE 0", "");
    tb.b.record_size = 0;
    tb_run(filter_prog, N(filter_prog));
    ok(tb.res.status == HERMES_EBPF_ERR_BAD_CONFIG &&
       tb.res.check == HERMES_EBPF_BATCH_BAD_FIELD && tb.res.runs == 0,
       "batch run refuses RSIZE 0", "");
}

/* ------------------------------------------------------------------ */
/* The engine's XDP helpers (hermes_ebpf_xdp_helper)                   */

#define X_BASE  0x40000000ull       /* data_hard_start: byte 0 of xr.buf */
#define X_CTX   0x50000000ull
#define X_RO    0x60000000ull       /* a read-only region */
#define X_BUF   1024
#define X_HEAD  256                 /* the driver's headroom (XDP's) */
#define STXW(d, s, o)   I(0x63, d, s, o, 0)
#define XOR64_REG(d, s) I(0xaf, d, s, 0, 0)
#define ADD64_REG(d, s) I(0x0f, d, s, 0, 0)
#define JGT_REG(d, s, o) I(0x2d, d, s, o, 0)
#define EACCES_ (-13)
#define EFAULT_ (-14)

/*
 * One XDP run as the model makes it: a buffer of X_BUF bytes (hard start
 * to hard end) with the packet at @doff, @dlen bytes, the context, a
 * read-only region, the environment of helpers 5, 7 and 8 (NULL with
 * @no_env).  r1 data, r2 length, r3 context unless @args is set.
 */
typedef struct XRun {
    uint8_t buf[X_BUF] __attribute__((aligned(8)));
    uint8_t ro[64];
    uint64_t stack[HERMES_EBPF_MAX_CALL_DEPTH * 512 / 8];
    uint32_t doff, dlen;
    bool set_args;
    uint64_t args[5];
    bool no_env;
    HermesEbpfXdp xdp;
    HermesEbpfXdpEnv env;
    TClock clock;
    HermesEbpfResult res;
} XRun;

static XRun xr;

/* A fresh run set-up: random packet and headroom bytes, a test clock */
static void xr_reset(uint32_t doff, uint32_t dlen)
{
    uint32_t i;

    memset(&xr, 0, sizeof(xr));
    for (i = 0; i < X_BUF; i++) {
        xr.buf[i] = (uint8_t)rnd(256);
    }
    for (i = 0; i < sizeof(xr.ro); i++) {
        xr.ro[i] = (uint8_t)(0xa0 + i);
    }
    xr.doff = doff;
    xr.dlen = dlen;
    xr.clock = (TClock) { .now = 1000000, .step = 250 };
    xr.env = (HermesEbpfXdpEnv) {
        .clock_ns = tclock_ns, .clock_opaque = &xr.clock,
        .prng = 0, .cpu = 3,
    };
}

static uint64_t xr_ctx(unsigned off)
{
    return get_le((const uint8_t *)xr.xdp.ctx + off, 8);
}

/* One engine's run from the set-up as it is now */
static void xr_leg(const uint64_t *p, uint32_t n, const HermesEbpfCode *code)
{
    uint64_t data = X_BASE + xr.doff;
    HermesEbpfRegion r[3] = {
        { X_BASE, X_BUF, xr.buf, HERMES_EBPF_MEM_RW },
        { X_CTX, HERMES_EBPF_XDP_CTX_SIZE, xr.xdp.ctx, HERMES_EBPF_MEM_READ },
        { X_RO, sizeof(xr.ro), xr.ro, HERMES_EBPF_MEM_READ },
    };
    HermesEbpfRunConfig cfg;

    hermes_ebpf_xdp_init(&xr.xdp, X_CTX, data, data + xr.dlen, X_BASE,
                         X_BASE + X_BUF, 0);
    xr.xdp.env = xr.no_env ? NULL : &xr.env;
    xr.xdp.next = NULL;
    memset(&cfg, 0, sizeof(cfg));
    if (xr.set_args) {
        memcpy(cfg.args, xr.args, sizeof(cfg.args));
    } else {
        cfg.args[0] = data;
        cfg.args[1] = xr.dlen;
        cfg.args[2] = X_CTX;
    }
    cfg.stack_addr = STACK_ADDR;
    cfg.stack_host = xr.stack;
    cfg.helper = hermes_ebpf_xdp_helper;
    cfg.helper_opaque = &xr.xdp;
    if (code) {
        hermes_ebpf_run_code(code, r, 3, &cfg, &xr.res);
        jit_count(code, &cfg);
    } else {
        hermes_ebpf_run(p, n, r, 3, &cfg, &xr.res);
    }
}

typedef struct XState {
    uint8_t buf[X_BUF];
    uint64_t ctx[HERMES_EBPF_XDP_CTX_SIZE / 8];
    EnvSnap env;
    HermesEbpfResult res;
} XState;

static void xs_take(XState *x)
{
    memcpy(x->buf, xr.buf, X_BUF);
    memcpy(x->ctx, xr.xdp.ctx, sizeof(x->ctx));
    env_take(&xr.env, &x->env);
    x->res = xr.res;
}

static bool xs_same(const XState *a, const XState *b)
{
    return res_same(&a->res, &b->res) && !memcmp(a->buf, b->buf, X_BUF) &&
           !memcmp(a->ctx, b->ctx, sizeof(a->ctx)) &&
           a->env.env.prng == b->env.env.prng &&
           a->env.clock.now == b->env.clock.now;
}

/*
 * Run @p on the reference interpreter, the threaded one and the JIT, each
 * from the same buffer, generator and clock: their outcomes, buffers,
 * contexts and environments must agree.  Leaves the reference's.
 */
static HermesEbpfStatus xrun(const uint64_t *p, uint32_t n)
{
    HermesEbpfCode *code = decode(p, n), *jcode = decode_jit(p, n);
    static XState start, ref, got;
    HermesEbpfCaps caps;
    uint32_t bad;

    hermes_ebpf_caps_full(&caps);
    if (hermes_ebpf_validate(p, n, &caps, &bad, NULL, 0) != HERMES_EBPF_OK) {
        fprintf(stderr, "# XDP program invalid at %u\n", bad);
        abort();
    }
    xs_take(&start);
    xr_leg(p, n, NULL);
    xs_take(&ref);
    memcpy(xr.buf, start.buf, X_BUF);
    env_put(&xr.env, &start.env);
    xr_leg(p, n, code);
    xs_take(&got);
    diff_report(xs_same(&ref, &got), "xdp", &ref.res, &got.res);
    memcpy(xr.buf, start.buf, X_BUF);
    env_put(&xr.env, &start.env);
    xr_leg(p, n, jcode);
    xs_take(&got);
    jit_report(xs_same(&ref, &got), "xdp", &ref.res, &got.res);
    memcpy(xr.buf, ref.buf, X_BUF);
    memcpy(xr.xdp.ctx, ref.ctx, sizeof(ref.ctx));
    env_put(&xr.env, &ref.env);
    xr.res = ref.res;
    free(code);
    free_code(jcode);
    return xr.res.status;
}

/* One helper call with r1..r5 = @a..@e: its r0 (status in xr.res) */
static uint64_t xcall(uint32_t id, uint64_t a, uint64_t b, uint64_t c,
                      uint64_t d, uint64_t e)
{
    const uint64_t p[] = { CALL_HELPER(id), EXIT };

    xr.set_args = true;
    xr.args[0] = a;
    xr.args[1] = b;
    xr.args[2] = c;
    xr.args[3] = d;
    xr.args[4] = e;
    xrun(p, N(p));
    xr.set_args = false;
    return xr.res.r0;
}

/*
 * bpf_csum_diff() from its definition: the 32-bit one's complement sum
 * (RFC 1071's, in 32-bit words: a carry out of bit 31 is added back) of
 * seed, the complement of each from word and each to word, the words as
 * the little-endian host reads them.  0 only when all of them are 0, as
 * with the kernel's carry chains.
 */
static uint32_t csum_ref(const uint8_t *from, uint32_t fsize,
                         const uint8_t *to, uint32_t tsize, uint32_t seed)
{
    uint64_t s = seed;
    uint32_t i;

    for (i = 0; i < fsize + tsize; i += 4) {
        uint32_t w = i < fsize ? ~(uint32_t)get_le(from + i, 4)
                               : (uint32_t)get_le(to + i - fsize, 4);

        s += w;
        s = (s & 0xffffffffu) + (s >> 32);
    }
    return (uint32_t)s;
}

static void test_xdp_csum_diff(void)
{
    /* hand-computed: words little-endian, ~from then to, with the seed */
    static const struct {
        uint8_t from[12], to[12];
        uint32_t fsize, tsize, seed, want;
    } hand[] = {
        { {0}, {0}, 0, 0, 0, 0 },
        { {0}, {0}, 0, 0, 0xffffffff, 0xffffffff },
        { {0}, {0}, 0, 0, 0x12345678, 0x12345678 },
        { {0}, {1, 0, 0, 0, 2, 0, 0, 0}, 0, 8, 0, 3 },
        /* 0xffffffff + 1: the carry comes back */
        { {0}, {0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0}, 0, 8, 0, 1 },
        { {0, 0, 0, 0}, {0}, 4, 0, 0, 0xffffffff },
        { {0}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 0, 8, 0,
          0xffffffff },
        { {0}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 0, 8, 1, 1 },
        /* the same 12 bytes both ways: all ones, never 0 */
        { {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
          {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 12, 12, 0, 0xffffffff },
        /* ~0x44332211 + 0x88776655 = 0x144444443, folded 0x44444444 */
        { {0x11, 0x22, 0x33, 0x44}, {0x55, 0x66, 0x77, 0x88}, 4, 4, 0,
          0x44444444 },
        /* 4 bytes of 0x0000ffff from and to 0: 0xffff0000 */
        { {0xff, 0xff, 0, 0}, {0}, 4, 0, 0, 0xffff0000 },
    };
    static const uint32_t err_sizes[][2] = {
        { 516, 0 }, { 0, 516 }, { 256, 260 }, { 6, 0 }, { 0, 6 }, { 2, 2 },
        { 4, 1 }, { 0xfffffffc, 8 }, { 8, 0xfffffffc },
    };
    /* the stack as from, a packet word as to, through r10 */
    static const uint64_t stack_prog[] = {
        I(0x18, 6, 0, 0, 0x04030201), I(0, 0, 0, 0, 0x08070605),
        STXDW(10, 6, -16),
        I(0x18, 6, 0, 0, 0x0c0b0a09), I(0, 0, 0, 0, 0x100f0e0d),
        STXDW(10, 6, -8),
        MOV64_REG(3, 1),            /* to: the packet's first 4 bytes */
        MOV64_REG(1, 10),
        ADD64_IMM(1, -16),
        MOV64_IMM(2, 16),
        MOV64_IMM(4, 4),
        MOV64_IMM(5, 7),
        CALL_HELPER(28),
        EXIT,
    };
    uint8_t big[512], from[512], to[512];
    uint32_t i, k, good = 1, bad_err = 0;
    uint64_t r;

    xr_reset(X_HEAD, 600);
    for (i = 0; i < N(hand); i++) {
        memcpy(xr.buf, hand[i].from, sizeof(hand[i].from));
        memcpy(xr.buf + 16, hand[i].to, sizeof(hand[i].to));
        r = xcall(28, hand[i].fsize ? X_BASE : 0, hand[i].fsize,
                  hand[i].tsize ? X_BASE + 16 : 0, hand[i].tsize,
                  hand[i].seed);
        if (xr.res.status != HERMES_EBPF_OK || r != hand[i].want ||
            csum_ref(hand[i].from, hand[i].fsize, hand[i].to,
                     hand[i].tsize, hand[i].seed) != hand[i].want) {
            fprintf(stderr, "# csum_diff vector %u: 0x%" PRIx64 "\n", i, r);
            good = 0;
        }
    }
    ok(good, "bpf_csum_diff: hand-computed vectors (empty, seeds 0 and "
       "0xffffffff, carries, all-0xff data, identical data), and the "
       "reference agrees", "");

    /* every size 0 to 512 in 4s, both ways, odd seeds and patterns */
    good = 1;
    for (k = 0; k <= 512; k += 4) {
        for (i = 0; i < 3; i++) {
            uint32_t fs = i == 0 ? k : i == 1 ? 0 : (k / 8) * 4;
            uint32_t ts = i == 0 ? 0 : i == 1 ? k : k - fs;
            uint32_t seed = k % 12 == 0 ? 0 : k % 12 == 4 ? 0xffffffff
                                                           : rnd(UINT32_MAX);
            uint32_t j, pat = rnd(4);

            for (j = 0; j < 512; j++) {
                from[j] = pat == 0 ? 0xff : pat == 1 ? 0 : (uint8_t)rnd(256);
                to[j] = pat == 0 ? 0xff : pat == 1 ? 0 : (uint8_t)rnd(256);
            }
            memcpy(xr.buf, from, 512);
            memcpy(xr.buf + 512, to, 512);
            r = xcall(28, X_BASE, fs, X_BASE + 512, ts,
                      /* the high half of r5 is not the seed's */
                      (uint64_t)rnd(UINT32_MAX) << 32 | seed);
            if (xr.res.status != HERMES_EBPF_OK ||
                r != csum_ref(from, fs, to, ts, seed)) {
                fprintf(stderr, "# csum_diff %u + %u seed 0x%x: 0x%" PRIx64
                        " want 0x%x\n", fs, ts, seed, r,
                        csum_ref(from, fs, to, ts, seed));
                good = 0;
            }
        }
    }
    ok(good, "bpf_csum_diff: every size from 0 to 512 (from, to, split), "
       "random, all-0 and all-0xff data: the reference's sum", "");

    memset(big, 0xff, sizeof(big));
    memcpy(xr.buf, big, sizeof(big));
    r = xcall(28, 0, 0, X_BASE, 512, 0);
    ok(xr.res.status == HERMES_EBPF_OK && r == 0xffffffff,
       "bpf_csum_diff: 512 bytes of 0xff sum to 0xffffffff", "");
    /* the same bytes both ways add all ones: the seed stays */
    r = xcall(28, X_BASE, 256, X_BASE, 256, 0x5a5a5a5a);
    ok(xr.res.status == HERMES_EBPF_OK && r == 0x5a5a5a5a,
       "bpf_csum_diff: from 256 + to 256 = 512 bytes is taken", "");

    for (i = 0; i < N(err_sizes); i++) {
        r = xcall(28, X_BASE, err_sizes[i][0], X_BASE, err_sizes[i][1], 0);
        bad_err += xr.res.status != HERMES_EBPF_OK ||
                   r != (uint64_t)(int64_t)EINVAL_;
    }
    ok(bad_err == 0, "bpf_csum_diff: -EINVAL (64-bit) for sizes 516, "
       "256 + 260, 6, 2 + 2, 4 + 1 and two that wrap in 32 bits", "");

    r = xcall(28, 0, 0, 0, 0, 9);
    ok(xr.res.status == HERMES_EBPF_OK && r == 9,
       "bpf_csum_diff: NULL pointers with size 0 give the seed", "");
    r = xcall(28, 0x7777, 0, X_BASE + X_BUF, 0, 0);
    ok(xr.res.status == HERMES_EBPF_OK && r == 0,
       "bpf_csum_diff: pointers of size 0 are not read", "");
    xcall(28, 0, 4, X_BASE, 4, 0);
    ok(xr.res.status == HERMES_EBPF_FAULT_HELPER && xr.res.helper_id == 28 &&
       xr.res.helper_err == EFAULT_ && xr.res.pc == 0,
       "bpf_csum_diff: a NULL from of 4 bytes is a HELPER fault", "");
    xcall(28, X_BASE, 4, X_BASE + X_BUF - 4, 8, 0);
    ok(xr.res.status == HERMES_EBPF_FAULT_HELPER && xr.res.helper_id == 28,
       "bpf_csum_diff: a to past its region is a HELPER fault", "");
    memset(from, 0, sizeof(from));
    r = xcall(28, X_RO, 64, 0, 0, 0);
    ok(xr.res.status == HERMES_EBPF_OK &&
       r == csum_ref(xr.ro, 64, from, 0, 0),
       "bpf_csum_diff: read-only memory can be summed", "");

    xr_reset(X_HEAD, 64);
    {
        static const uint8_t st[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                                        12, 13, 14, 15, 16 };

        xrun(stack_prog, N(stack_prog));
        ok(xr.res.status == HERMES_EBPF_OK &&
           xr.res.r0 == csum_ref(st, 16, xr.buf + X_HEAD, 4, 7),
           "bpf_csum_diff: from the stack frame, to the packet", "");
    }
}

static void test_xdp_meta(void)
{
    /* adjust_meta(-8), write the metadata, adjust_head(r6), read it back */
    static const uint64_t move[] = {
        MOV64_REG(7, 3),
        MOV64_REG(1, 7),
        MOV64_IMM(2, -8),
        CALL_HELPER(54),
        JNE_IMM(0, 0, 13),
        LDXDW(2, 7, 0x10),          /* data_meta */
        I(0x18, 3, 0, 0, 0x55667788), I(0, 0, 0, 0, 0x11223344),
        STXDW(2, 3, 0),
        MOV64_REG(1, 7),
        MOV64_REG(2, 6),
        CALL_HELPER(44),
        JNE_IMM(0, 0, 5),
        LDXDW(2, 7, 0x10),
        LDXDW(0, 2, 0),             /* the metadata, moved */
        LDXDW(3, 7, 0x00),
        SUB64_REG(3, 2),            /* metalen: still 8 */
        ADD64_REG(0, 3),
        EXIT,
    };
    /* helper 54 with r1 the context and r2 the delta, then the length */
    static const struct {
        uint32_t doff;
        int64_t delta;
        int64_t want;
    } meta[] = {
        { X_HEAD, 0, 0 }, { X_HEAD, -4, 0 }, { X_HEAD, 1, EINVAL_ },
        { X_HEAD, -1, EACCES_ }, { X_HEAD, -2, EACCES_ },
        { X_HEAD, -3, EACCES_ },
        /* the frame's end, 40 bytes above hard start: 216 below data */
        { X_HEAD, -216, 0 }, { X_HEAD, -215, EACCES_ },
        { X_HEAD, -217, EINVAL_ }, { X_HEAD, -220, EINVAL_ },
        /* metalen 252 and 256 around the u8 limit, 255 */
        { 600, -252, 0 }, { 600, -253, EACCES_ }, { 600, -255, EACCES_ },
        { 600, -256, EACCES_ }, { 600, -560, EACCES_ },
        { 600, -561, EINVAL_ },
        /* headroom under 40 bytes: none of it can be claimed */
        { 20, 0, 0 }, { 20, -4, EINVAL_ }, { 40, -4, EINVAL_ },
        { 44, -4, 0 }, { 44, -8, EINVAL_ }, { 0, -4, EINVAL_ },
        /* deltas that wrap or are the extremes of 32 bits */
        { X_HEAD, INT32_MAX, EINVAL_ }, { X_HEAD, INT32_MIN, EINVAL_ },
        /* r2's high half is not the delta's */
        { X_HEAD, (int64_t)0x7fffffff00000000ull - 4, 0 },
    };
    static const struct {
        uint32_t doff, dlen, metalen;
        int64_t delta;
        int64_t want;
    } head[] = {
        /* the kernel's bound: 40 bytes of frame, then the metadata */
        { X_HEAD, 100, 0, -216, 0 }, { X_HEAD, 100, 0, -217, EINVAL_ },
        { X_HEAD, 100, 8, -208, 0 }, { X_HEAD, 100, 8, -209, EINVAL_ },
        { X_HEAD, 100, 0, 86, 0 }, { X_HEAD, 100, 0, 87, EINVAL_ },
        { X_HEAD, 100, 8, 86, 0 }, { X_HEAD, 100, 8, 87, EINVAL_ },
        /* less headroom than a frame: the entry data is the floor */
        { 0, 100, 0, 14, 0 }, { 0, 100, 0, -1, EINVAL_ },
        { 30, 100, 0, -1, EINVAL_ }, { 41, 100, 0, -1, 0 },
        { 41, 100, 0, -2, EINVAL_ },
    };
    static const uint64_t head_prog[] = {
        /* adjust_meta(-r7) if r7, then adjust_head(r6); r0 its result */
        MOV64_REG(8, 3),
        JEQ_IMM(7, 0, 5),
        MOV64_REG(1, 8),
        MOV64_IMM(2, 0),
        SUB64_REG(2, 7),
        CALL_HELPER(54),
        JNE_IMM(0, 0, 3),
        MOV64_REG(1, 8),
        MOV64_REG(2, 6),
        CALL_HELPER(44),
        EXIT,
    };
    uint32_t i, bad = 0;
    uint64_t r, want_meta;
    uint8_t keep[8];

    for (i = 0; i < N(meta); i++) {
        xr_reset(meta[i].doff, 100);
        r = xcall(54, X_CTX, (uint64_t)meta[i].delta, 0, 0, 0);
        want_meta = X_BASE + meta[i].doff +
                    (meta[i].want ? 0 : (int32_t)meta[i].delta);
        if (xr.res.status != HERMES_EBPF_OK ||
            r != (uint64_t)meta[i].want ||
            xr_ctx(HERMES_EBPF_XDP_DATA_META) != want_meta ||
            xr_ctx(HERMES_EBPF_XDP_DATA) != X_BASE + meta[i].doff) {
            fprintf(stderr, "# adjust_meta %u: r0 %" PRId64 " meta 0x%"
                    PRIx64 "\n", i, (int64_t)r,
                    xr_ctx(HERMES_EBPF_XDP_DATA_META));
            bad++;
        }
    }
    xr_reset(X_HEAD, 100);
    r = xcall(54, X_CTX + 8, (uint64_t)-4, 0, 0, 0);
    bad += r != (uint64_t)(int64_t)EINVAL_;
    ok(bad == 0, "bpf_xdp_adjust_meta: data_meta within [hard_start + 40, "
       "data] else -EINVAL, metalen a multiple of 4 up to 255 else -EACCES, "
       "each bound +-1; an r1 other than the context is -EINVAL", "");

    bad = 0;
    for (i = 0; i < N(head); i++) {
        uint64_t data = X_BASE + head[i].doff;

        xr_reset(head[i].doff, head[i].dlen);
        memcpy(keep, xr.buf + head[i].doff - head[i].metalen,
               head[i].metalen);
        xr.set_args = false;
        {
            uint64_t p[N(head_prog) + 2];

            p[0] = MOV64_IMM(6, (int32_t)head[i].delta);
            p[1] = MOV64_IMM(7, (int32_t)head[i].metalen);
            memcpy(p + 2, head_prog, sizeof(head_prog));
            xrun(p, N(p));
        }
        if (!head[i].want) {
            data += (int32_t)head[i].delta;
        }
        if (xr.res.status != HERMES_EBPF_OK ||
            xr.res.r0 != (uint64_t)head[i].want ||
            xr_ctx(HERMES_EBPF_XDP_DATA) != data ||
            xr_ctx(HERMES_EBPF_XDP_DATA_META) != data - head[i].metalen ||
            memcmp(xr.buf + (data - X_BASE) - head[i].metalen, keep,
                   head[i].metalen)) {
            fprintf(stderr, "# adjust_head %u: r0 %" PRId64 " data 0x%"
                    PRIx64 "\n", i, (int64_t)xr.res.r0,
                    xr_ctx(HERMES_EBPF_XDP_DATA));
            bad++;
        }
    }
    ok(bad == 0, "bpf_xdp_adjust_head: data within [hard_start + 40 + "
       "metalen, data_end - 14] as in the kernel (the entry data when the "
       "headroom is under 40 bytes), the metadata moving with it", "");

    xr_reset(X_HEAD, 100);
    xr.set_args = false;
    {
        uint64_t p[N(move) + 1];

        p[0] = MOV64_IMM(6, -100);
        memcpy(p + 1, move, sizeof(move));
        xrun(p, N(p));
        ok(xr.res.status == HERMES_EBPF_OK &&
           xr.res.r0 == 0x1122334455667788ull + 8 &&
           xr_ctx(HERMES_EBPF_XDP_DATA) == X_BASE + X_HEAD - 100 &&
           get_le(xr.buf + X_HEAD - 108, 8) == 0x1122334455667788ull,
           "metadata written through data_meta moves with "
           "bpf_xdp_adjust_head(-100) and reads back", "");
        p[0] = MOV64_IMM(6, 60);
        xr_reset(X_HEAD, 100);
        xrun(p, N(p));
        ok(xr.res.status == HERMES_EBPF_OK &&
           xr.res.r0 == 0x1122334455667788ull + 8 &&
           get_le(xr.buf + X_HEAD + 52, 8) == 0x1122334455667788ull,
           "... and with bpf_xdp_adjust_head(+60)", "");
    }
}

/* Published outputs of SplitMix64 from state 0 (high halves) */
static const uint32_t splitmix0[4] = {
    0xe220a839, 0x6e789e6a, 0x06c45d18, 0xf88bb8a8,
};

static uint64_t mono_ns(void *opaque)
{
    struct timespec ts;

    (void)opaque;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void test_xdp_env(void)
{
    /* four values of helper @id on the stack, r0 their count */
    uint64_t four[] = {
        CALL_HELPER(0), STXDW(10, 0, -8),
        CALL_HELPER(0), STXDW(10, 0, -16),
        CALL_HELPER(0), STXDW(10, 0, -24),
        CALL_HELPER(0), STXDW(10, 0, -32),
        MOV64_IMM(0, 4), EXIT,
    };
    /* two readings of the host's clock around a loop: r0 1 if in order */
    static const uint64_t mono[] = {
        CALL_HELPER(5), MOV64_REG(6, 0),
        MOV64_IMM(7, 0), ADD64_IMM(7, 1), JNE_IMM(7, 1000, -2),
        CALL_HELPER(5), MOV64_REG(7, 0),
        MOV64_IMM(0, 1), I(0xad, 7, 6, 1, 0),  /* if r7 < r6: r0 = 0 */
        EXIT,
        MOV64_IMM(0, 0), EXIT,
    };
    const uint32_t ids[3] = { 5, 7, 8 };
    uint64_t v[4];
    uint32_t i, k, good;

    xr_reset(X_HEAD, 64);
    for (k = 0; k < 4; k++) {
        four[2 * k] = CALL_HELPER(7);
    }
    xr.env.prng = 0;
    xrun(four, N(four));
    good = xr.res.status == HERMES_EBPF_OK;
    for (k = 0; k < 4; k++) {
        v[k] = xr.stack[N(xr.stack) - 1 - k];
        good &= v[k] == splitmix0[k];
    }
    ok(good, "bpf_get_prandom_u32: SplitMix64's published sequence from "
       "state 0, high halves, zero-extended", "");
    xr.env.prng = 0x123456789abcdefull;
    xrun(four, N(four));
    good = xr.res.status == HERMES_EBPF_OK &&
           xr.env.prng == 0x123456789abcdefull + 4 * 0x9e3779b97f4a7c15ull;
    for (k = 0; k < 4; k++) {
        good &= xr.stack[N(xr.stack) - 1 - k] != v[k];
        for (i = 0; i < k; i++) {
            good &= xr.stack[N(xr.stack) - 1 - k] !=
                    xr.stack[N(xr.stack) - 1 - i];
        }
    }
    ok(good, "bpf_get_prandom_u32: another seed, other values, all "
       "different; the state advances once per call", "");

    for (k = 0; k < 4; k++) {
        four[2 * k] = CALL_HELPER(5);
    }
    xr_reset(X_HEAD, 64);
    xr.clock = (TClock) { .now = 5000, .step = 7 };
    xrun(four, N(four));
    good = xr.res.status == HERMES_EBPF_OK && xr.clock.now == 5028;
    for (k = 0; k < 4; k++) {
        good &= xr.stack[N(xr.stack) - 1 - k] == 5007 + 7 * k;
    }
    ok(good, "bpf_ktime_get_ns: the embedder's clock, read once per call",
       "");
    xr.env.clock_ns = mono_ns;
    xr.env.clock_opaque = NULL;
    good = 1;
    for (k = 0; k < 20; k++) {
        xrun(mono, N(mono));
        good &= xr.res.status == HERMES_EBPF_OK && xr.res.r0 == 1;
    }
    ok(good, "bpf_ktime_get_ns on CLOCK_MONOTONIC: never decreases within "
       "a run", "");

    for (k = 0; k < 4; k++) {
        four[2 * k] = CALL_HELPER(8);
    }
    xr_reset(X_HEAD, 64);
    xr.env.cpu = 5;
    xrun(four, N(four));
    good = xr.res.status == HERMES_EBPF_OK;
    for (k = 0; k < 4; k++) {
        good &= xr.stack[N(xr.stack) - 1 - k] == 5;
    }
    ok(good, "bpf_get_smp_processor_id: the engine index the embedder set",
       "");

    good = 1;
    for (i = 0; i < 3; i++) {
        xr_reset(X_HEAD, 64);
        xr.no_env = true;
        xcall(ids[i], 0, 0, 0, 0, 0);
        good &= xr.res.status == HERMES_EBPF_FAULT_HELPER &&
                xr.res.helper_id == ids[i] && xr.res.helper_err == -1;
    }
    ok(good, "helpers 5, 7 and 8 without an environment are a HELPER fault",
       "");

    good = 1;
    for (i = 0; i < 256; i++) {
        bool want = i == 5 || i == 7 || i == 8 || i == 28 || i == 44 ||
                    i == 54 || i == 65 || (i >= 188 && i <= 190);

        good &= hermes_ebpf_xdp_has_helper(i) == want;
    }
    ok(good, "hermes_ebpf_xdp_has_helper: 5, 7, 8, 28, 44, 54, 65, 188 to "
       "190 and nothing else", "");
}

/*
 * Every new helper in one program whose arguments come from the packet:
 * csum_diff over packet bytes (sizes sometimes -EINVAL), adjust_meta by
 * up to 63 bytes (any of its results), the metadata written and read
 * back, adjust_head by -128 to 127, prandom, ktime, cpu; on random
 * packets and headrooms, the three engines must agree.
 */
static void test_xdp_mix(void)
{
    static const uint64_t mix[] = {
        MOV64_REG(6, 3),                /* ctx */
        MOV64_REG(7, 1),                /* data */
        LDXB(2, 7, 1), AND64_IMM(2, 0x3c),
        MOV64_REG(3, 7), ADD64_IMM(3, 64),
        LDXB(4, 7, 2), AND64_IMM(4, 0x3f),
        LDXW(5, 7, 4),
        MOV64_REG(1, 7),
        CALL_HELPER(28),
        MOV64_REG(8, 0),
        LDXB(3, 7, 3), AND64_IMM(3, 0x3f),
        MOV64_IMM(2, 0), SUB64_REG(2, 3),
        MOV64_REG(1, 6),
        CALL_HELPER(54),
        XOR64_REG(8, 0),
        LDXDW(2, 6, 0x10), LDXDW(3, 6, 0x00),
        MOV64_REG(4, 2), ADD64_IMM(4, 4),
        JGT_REG(4, 3, 1),
        STXW(2, 8, 0),                  /* metadata */
        LDXB(2, 7, 5), ADD64_IMM(2, -128),
        MOV64_REG(1, 6),
        CALL_HELPER(44),
        ADD64_REG(8, 0),
        CALL_HELPER(7), XOR64_REG(8, 0),
        CALL_HELPER(5), ADD64_REG(8, 0),
        CALL_HELPER(8), ADD64_REG(8, 0),
        LDXDW(2, 6, 0x10), LDXDW(3, 6, 0x00),
        MOV64_REG(4, 2), ADD64_IMM(4, 4),
        JGT_REG(4, 3, 2),
        LDXW(0, 2, 0), ADD64_REG(8, 0),
        LDXDW(4, 6, 0x08), SUB64_REG(4, 3), ADD64_REG(8, 4),
        MOV64_REG(0, 8),
        EXIT,
    };
    int bad0 = diff_bad, jbad0 = jit_bad;
    uint32_t k, ran = 0, faults = 0;

    for (k = 0; k < 400; k++) {
        xr_reset(rnd(300), 128 + rnd(200));
        xr.env.prng = rng_state;
        xrun(mix, N(mix));
        ran++;
        faults += xr.res.status != HERMES_EBPF_OK;
    }
    ok(diff_bad == bad0 && jit_bad == jbad0 && faults < ran / 2,
       "the new helpers with arguments "
       "from 400 random packets: reference, threaded and JIT agree "
       "(outcome, packet, context, generator, clock)", "");
}

/* Helpers 5, 7, 8, 54 in batches: the batch's environment, no headroom */
static void test_xdp_batch(void)
{
    static const uint64_t envp[] = {
        MOV64_REG(7, 1),
        CALL_HELPER(5), STXDW(7, 0, 0),
        CALL_HELPER(7), STXW(7, 0, 8),
        CALL_HELPER(8), STXW(7, 0, 12),
        MOV64_IMM(0, 2),
        EXIT,
    };
    /*
     * adjust_meta(-4): -EINVAL; adjust_head(+8); adjust_meta(-8): 0, the
     * metadata written; adjust_meta(-4) more: -EINVAL; r0 = 2 | the four
     * results (6 bits each) << 32
     */
    static const uint64_t metap[] = {
        MOV64_REG(6, 3),
        MOV64_IMM(8, 0),
        MOV64_REG(1, 6), MOV64_IMM(2, -4), CALL_HELPER(54),
        AND64_IMM(0, 63), LSH64_IMM(8, 6), OR64_REG(8, 0),
        MOV64_REG(1, 6), MOV64_IMM(2, 8), CALL_HELPER(44),
        AND64_IMM(0, 63), LSH64_IMM(8, 6), OR64_REG(8, 0),
        MOV64_REG(1, 6), MOV64_IMM(2, -8), CALL_HELPER(54),
        AND64_IMM(0, 63), LSH64_IMM(8, 6), OR64_REG(8, 0),
        LDXDW(2, 6, 0x10), STW(2, 0, 0x4d455441),
        MOV64_REG(1, 6), MOV64_IMM(2, -4), CALL_HELPER(54),
        AND64_IMM(0, 63), LSH64_IMM(8, 6), OR64_REG(8, 0),
        LSH64_IMM(8, 32), MOV64_IMM(0, 2), OR64_REG(0, 8),
        EXIT,
    };
    const uint64_t want_bits = (uint64_t)(42 << 18 | 0 << 12 | 0 << 6 | 42)
                               << 32 | 2;
    HermesEbpfXdpEnv env;
    TClock clk = { .now = 77, .step = 3 };
    uint64_t prng = 0;
    uint32_t k, good = 1;

    env = (HermesEbpfXdpEnv) { tclock_ns, &clk, 0, 2 };
    tb_build(30, NULL, 0, 16);
    tb.b.env = &env;
    tb_run(envp, N(envp));
    for (k = 0; k < 30; k++) {
        const uint8_t *rec = tb.slot + 16 * k;
        uint64_t z;

        prng += 0x9e3779b97f4a7c15ull;
        z = prng;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        good &= get_le(rec, 8) == 77 + 3 * (k + 1) &&
                get_le(rec + 8, 4) == (uint32_t)(z >> 32) &&
                get_le(rec + 12, 4) == 2 &&
                (k > 3 || get_le(rec + 8, 4) == splitmix0[k]);
    }
    ok(tb.res.status == HERMES_EBPF_OK && tb.res.records_out == 30 && good &&
       env.prng == prng,
       "batch: helpers 5, 7 and 8 use the batch's environment across "
       "records (clock, one generator, engine index)", "");

    tb_build(3, NULL, 0, 16);
    tb_run(envp, N(envp));
    ok(tb.res.status == HERMES_EBPF_FAULT_HELPER &&
       tb.res.last.helper_id == 5 && tb.res.last.helper_err == -1,
       "batch: without an environment helper 5 faults", "");

    tb_build(20, NULL, 0, 32);
    tb_run(metap, N(metap));
    good = 1;
    for (k = 0; k < 20; k++) {
        good &= get_le(tb.slot + tb.b.res_off + 16 * k, 8) == want_bits &&
                get_le(tb.slot + tb.b.res_off + 16 * k + 8, 4) == 24 &&
                !memcmp(tb.slot + 24 * k, tb.input + 32 * k + 8, 24);
    }
    ok(tb.res.status == HERMES_EBPF_OK && good && tb.res.out_len == 20 * 24,
       "batch: no headroom for metadata (-EINVAL) but the bytes "
       "adjust_head dropped, where it is written; the output from data", "");
}

/* ------------------------------------------------------------------ */
/* Decoded engine against the reference                                */

typedef struct PollCount {
    int *flag;
    int calls;
    int abort_at;       /* set HERMES_EBPF_ABORT on this call (0: never) */
} PollCount;

static void count_poll(void *opaque)
{
    PollCount *pc = opaque;

    if (++pc->calls == pc->abort_at) {
        __atomic_store_n(pc->flag, 3, __ATOMIC_RELAXED);
    }
}

static uint64_t diff_rng = 0x2545f4914f6cdd1dull;

static uint64_t drand64(void)
{
    diff_rng ^= diff_rng << 13;
    diff_rng ^= diff_rng >> 7;
    diff_rng ^= diff_rng << 17;
    return diff_rng;
}

/*
 * One program under one configuration on both engines, with the abort
 * flag's polls counted: the same outcome, memory and polls.
 */
static bool diff_one(const uint64_t *p, uint32_t n, uint64_t budget,
                     int abort_at, bool flag)
{
    static uint8_t mem[64] __attribute__((aligned(8)));
    static uint64_t stack[HERMES_EBPF_MAX_CALL_DEPTH * 512 / 8];
    static const uint8_t ro[16] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };
    HermesEbpfRegion r[2] = {
        { MEM_ADDR, sizeof(mem), mem, HERMES_EBPF_MEM_RW },
        { 0x200000000ull, sizeof(ro), (void *)ro, HERMES_EBPF_MEM_READ },
    };
    HermesEbpfRunConfig cfg;
    HermesEbpfResult a, b, c;
    HermesEbpfCode *code = decode(p, n), *jcode = decode_jit(p, n);
    uint8_t m0[sizeof(mem)], m1[sizeof(mem)];
    uint8_t s1[sizeof(stack)];
    int f1 = 2, f2 = 2, polls1;
    PollCount pc = { &f1, 0, abort_at };
    unsigned i;
    bool same;

    for (i = 0; i < sizeof(mem); i++) {
        mem[i] = (uint8_t)(i * 37 + 1);
    }
    memcpy(m0, mem, sizeof(mem));
    memset(stack, 0x5a, sizeof(stack));
    cfg_init(&cfg);
    cfg.args[1] = sizeof(mem);
    cfg.args[2] = 0x200000000ull;
    cfg.budget = budget;
    cfg.stack_host = stack;
    cfg.helper = tst_helper;
    if (flag) {
        cfg.abort_flag = &f1;
        cfg.poll = count_poll;
        cfg.poll_opaque = &pc;
    }
    hermes_ebpf_run(p, n, r, 2, &cfg, &a);
    polls1 = pc.calls;
    memcpy(m1, mem, sizeof(mem));
    memcpy(s1, stack, sizeof(stack));
    memcpy(mem, m0, sizeof(mem));
    memset(stack, 0x5a, sizeof(stack));
    pc.flag = &f2;
    pc.calls = 0;
    if (flag) {
        cfg.abort_flag = &f2;
    }
    hermes_ebpf_run_code(code, r, 2, &cfg, &b);
    same = res_same(&a, &b) && polls1 == pc.calls &&
           !memcmp(m1, mem, sizeof(mem)) && !memcmp(s1, stack, sizeof(stack));
    diff_report(same, "differential", &a, &b);
    memcpy(mem, m0, sizeof(mem));
    memset(stack, 0x5a, sizeof(stack));
    f2 = 2;
    pc.calls = 0;
    hermes_ebpf_run_code(jcode, r, 2, &cfg, &c);
    jit_count(jcode, &cfg);
    jit_report(res_same(&a, &c) && polls1 == pc.calls &&
               !memcmp(m1, mem, sizeof(mem)) &&
               !memcmp(s1, stack, sizeof(stack)), "differential", &a, &c);
    same &= res_same(&a, &c);
    free(code);
    free_code(jcode);
    return same;
}

/* A random instruction: mostly well-formed, sometimes any word */
static uint64_t rand_insn(uint32_t pc, uint32_t n)
{
    static const uint8_t ops[] = {
        0x07, 0x0f, 0x04, 0x0c, 0x17, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x47,
        0x4f, 0x57, 0x5f, 0x67, 0x6f, 0x77, 0x7f, 0x87, 0x97, 0x9f, 0xa7,
        0xaf, 0xb7, 0xbf, 0xb4, 0xbc, 0xc7, 0xcf, 0xd4, 0xdc, 0xd7, 0x34,
        0x3c, 0x94, 0x9c, 0x24, 0x64, 0x74, 0xc4, 0x84, 0xa4,
        0x05, 0x06, 0x15, 0x1d, 0x16, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d,
        0x55, 0x5d, 0x65, 0x6d, 0x75, 0x7d, 0xa5, 0xad, 0xb5, 0xbd, 0xc5,
        0xcd, 0xd5, 0xdd, 0x1e, 0x2e, 0x5e, 0xce, 0x85, 0x95,
        0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91, 0x62, 0x6a, 0x72, 0x7a,
        0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb, 0x18,
    };
    static const int32_t aops[] = { 0x00, 0x01, 0x40, 0x41, 0x50, 0x51,
                                    0xa0, 0xa1, 0xe1, 0xf1 };
    uint64_t r = drand64();
    uint8_t op = ops[r % sizeof(ops)];
    unsigned dst = (r >> 8) % 11, src = (r >> 12) % 11;
    int16_t off = (int16_t)((r >> 16) % 9) - 4;
    int32_t imm = (int32_t)((r >> 32) % 64) - 8;

    if ((r >> 60) == 0) {
        return drand64();                       /* any word at all */
    }
    if ((op & 7) >= 5 || (op & 7) == 6) {
        /* branch within the program, sometimes one past it */
        off = (int16_t)((int64_t)((r >> 16) % (n + 1)) - pc - 1);
        if (op == 0x85) {
            src = (r >> 40) & 1;
            imm = src ? off : 1 + (int32_t)((r >> 41) % 3);
            off = 0;
        } else if (op == 0x06) {
            imm = off;
            off = 0;
        }
    }
    if ((op & 7) <= 3 && op != 0x18) {
        /* memory: the region, the stack or the read-only data */
        src = (op & 7) == 1 ? ((r >> 44) % 3 == 0 ? 10 : 1 + (r >> 46) % 2)
                            : src;
        dst = (op & 7) >= 2 ? ((r >> 44) % 3 == 0 ? 10 : 1) : dst % 10;
        off = (int16_t)(((op & 7) >= 2 && dst == 10) ||
                        ((op & 7) == 1 && src == 10) ?
                        -8 * (int)(1 + (r >> 48) % 8) :
                        (int)((r >> 48) % 72));
        if (op == 0xc3 || op == 0xdb) {
            imm = aops[(r >> 52) % 10];
            off = (int16_t)(dst == 10 ? -8 * (int)(1 + (r >> 48) % 8)
                                      : 8 * (int)((r >> 48) % 8));
        }
    }
    if ((op & 7) == 4 || (op & 7) == 7) {
        dst %= 10;
        if ((op & 0xf0) == 0xd0) {
            imm = 16 << ((r >> 40) % 3);
        }
        if ((op & 0xf0) == 0xb0 && (op & 8) && (r >> 50) % 4 == 0) {
            off = 8 << ((r >> 52) % 3);
        }
        if (((op & 0xf0) == 0x30 || (op & 0xf0) == 0x90) &&
            (r >> 54) % 3 == 0) {
            off = 1;
        }
    }
    return I(op, dst, src, off, imm);
}

static void test_differential(void)
{
    /* a loop over the region with stack traffic, lddw and a local call */
    static const uint64_t loop[] = {
        MOV64_IMM(6, 0),
        I(0x18, 7, 0, 0, 0x1234), I(0, 0, 0, 0, 0x5678),
        I(0x71, 3, 1, 0, 0),                    /* r3 = mem[r6] (r1 moves) */
        I(0x0f, 7, 3, 0, 0),
        STXDW(10, 7, -8),
        LDXDW(4, 10, -8),
        CALL_LOCAL(6),
        ADD64_IMM(1, 1),
        ADD64_IMM(6, 1),
        I(0xa5, 6, 0, -8, 40),                  /* if r6 < 40 goto loop */
        MOV64_REG(0, 7),
        EXIT,
        I(0x27, 4, 0, 0, 3),                    /* sub: r4 *= 3 */
        MOV64_REG(0, 4),
        EXIT,
    };
    /*
     * Every pair the decoder fuses, a jump into the second slot of one and
     * a load that faults in the second slot of another (at 70 rounds)
     */
    uint64_t pairs[] = {
        MOV64_IMM(6, 0),
        MOV64_IMM(7, 0),
        MOV64_REG(2, 1), ADD64_IMM(2, 8),           /* mov64x, add64k */
        MOV64_REG(3, 6), I(0x0f, 3, 6, 0, 0),       /* mov64x, add64x */
        I(0x0f, 7, 3, 0, 0), I(0x61, 4, 1, 0, 0),   /* add64x, ldxw */
        I(0x71, 5, 1, 1, 0), I(0x0f, 7, 5, 0, 0),   /* ldxb, add64x */
        I(0x71, 5, 1, 2, 0), AND64_IMM(5, 0x0f),    /* ldxb, and64k */
        I(0x0f, 7, 5, 0, 0),
        I(0x61, 4, 1, 0, 0), I(0x16, 4, 0, 1, 0x55), /* ldxw, jeq32 */
        ADD64_IMM(7, 3), JEQ_IMM(6, 7, 1),          /* add64k, jeq */
        MOV64_REG(9, 1), ADD64_IMM(9, 1),           /* jeq lands on add */
        I(0x0f, 7, 3, 0, 0), MOV64_REG(2, 7),       /* add64x, mov64x */
        ADD64_IMM(2, 1), I(0x0f, 7, 2, 0, 0),       /* add64k, add64x */
        AND64_IMM(7, 0xffff), MOV64_REG(3, 7),      /* and64k, mov64x */
        ADD64_IMM(3, 1), I(0xad, 3, 7, 1, 0),       /* add64k, jlt */
        ADD64_IMM(7, 5),
        I(0x0c, 3, 7, 0, 0), I(0x25, 3, 0, 1, 0x10000), /* add32x, jgt */
        ADD64_IMM(7, 1),
        I(0x71, 4, 1, 3, 0), I(0x0c, 7, 4, 0, 0),   /* ldxb, add32x */
        I(0x61, 4, 1, 0, 0), I(0x04, 4, 0, 0, 9),   /* ldxw, add32k */
        I(0x04, 4, 0, 0, 1), I(0x63, 10, 4, -8, 0), /* add32k, stxw */
        I(0x63, 10, 7, -4, 0), ADD64_IMM(7, 2),     /* stxw, add64k */
        I(0x61, 5, 10, -8, 0), I(0x0f, 7, 5, 0, 0),
        ADD64_IMM(1, 1), I(0x2d, 8, 6, 1, 0),       /* add64k, jgt r8 */
        ADD64_IMM(6, 1), JNE_IMM(6, 30, -43),       /* add64k, jne */
        MOV64_REG(0, 7),
        EXIT,
    };
    /*
     * Every fused sequence of three to five slots and the flowing ones
     * (_F: registers matching) and each one's generic form (registers
     * not matching), entered in a middle slot (the bounds check from the
     * second pass on), with a store faulting in a third slot at 24 rounds
     */
    uint64_t seqs[] = {
        MOV64_IMM(6, 0), MOV64_IMM(7, 0),
        MOV64_REG(9, 1), ADD64_IMM(9, 48),
        MOV64_REG(2, 1), I(0x0f, 2, 6, 0, 0),       /* 4: bounds check */
        MOV64_REG(3, 2), ADD64_IMM(3, 8), I(0x2d, 3, 9, 1, 0),
        ADD64_IMM(7, 1),
        I(0x69, 4, 1, 2, 0), I(0x0f, 7, 4, 0, 0),   /* ldxh, add64x */
        I(0x61, 4, 1, 0, 0), I(0x16, 4, 0, 1, 0x55), /* ldxw, jeq32 */
        I(0x71, 5, 1, 3, 0), I(0x0c, 7, 5, 0, 0),   /* ldxb, add32x, jgt */
        I(0x25, 6, 0, 1, 1000),
        I(0x71, 4, 1, 5, 0), AND64_IMM(4, 0x3c),    /* ldxb, and64k */
        MOV64_REG(5, 10), ADD64_IMM(5, -64), I(0x0f, 5, 4, 0, 0),
        I(0x61, 0, 5, 0, 0), I(0x04, 0, 0, 0, 1), I(0x63, 5, 0, 0, 0),
        I(0x61, 0, 1, 36, 0), I(0x04, 0, 0, 0, 3), I(0x63, 1, 0, 44, 0),
        /* the generic forms */
        MOV64_REG(3, 1), ADD64_IMM(3, 8), I(0x2d, 3, 9, 0, 0),
        I(0x61, 4, 1, 8, 0), I(0x04, 5, 0, 0, 1), I(0x63, 10, 5, -8, 0),
        MOV64_REG(2, 6), ADD64_IMM(3, 1), I(0x0f, 2, 3, 0, 0),
        ADD64_IMM(3, 1), JEQ_IMM(2, 0x12345, 1), JA(0),
        I(0x71, 4, 1, 1, 0), I(0x0c, 5, 2, 0, 0), I(0x25, 5, 0, 0, 7),
        MOV64_IMM(2, 5), ADD64_IMM(3, 2),
        I(0x69, 4, 1, 6, 0), I(0x0f, 5, 3, 0, 0),
        MOV64_REG(2, 7), I(0x2d, 3, 9, 0, 0),
        MOV64_REG(2, 1), I(0x0f, 3, 6, 0, 0), MOV64_REG(4, 2),
        ADD64_IMM(4, 1), I(0x2d, 4, 9, 0, 0),
        ADD64_IMM(1, 1),
        ADD64_IMM(6, 1), JEQ_IMM(6, 16, 1), JA(-54), /* add64k, jeq, ja */
        ADD64_IMM(8, 1), JNE_IMM(8, 2, 2),          /* add64k, jne */
        MOV64_REG(0, 7), EXIT,
        MOV64_IMM(6, -1), MOV64_REG(1, 9), ADD64_IMM(1, -48),
        ADD64_IMM(6, 1), I(0xad, 6, 9, -61, 0),     /* add64k, jlt: 6 */
    };
    /* a byte histogram on the stack through computed pointers */
    static const uint64_t hist[] = {
        MOV64_IMM(6, 0), MOV64_IMM(0, 0),
        MOV64_REG(7, 1), I(0x0f, 7, 6, 0, 0), I(0x71, 4, 7, 0, 0),
        AND64_IMM(4, 0x3c), MOV64_REG(5, 10), ADD64_IMM(5, -64),
        I(0x0f, 5, 4, 0, 0), LDXW(8, 5, 0), I(0x04, 8, 0, 0, 1),
        I(0x63, 5, 8, 0, 0),
        JEQ_IMM(4, 8, 2), I(0x0f, 0, 4, 0, 0), JA(1), ADD64_IMM(0, 1),
        ADD64_IMM(6, 1), I(0xad, 6, 2, -16, 0),     /* jlt r6, r2 */
        LDXW(8, 10, -32), I(0x0f, 0, 8, 0, 0), EXIT,
    };
    uint64_t hist_up[N(hist)];
    /* a callee's pointers from its frame up into its caller's */
    static const uint64_t callee_ptr[] = {
        MOV64_IMM(6, 5), CALL_LOCAL(3), LDXDW(0, 10, -8),
        I(0x0f, 0, 6, 0, 0), EXIT,
        MOV64_IMM(7, 0), MOV64_REG(8, 1), I(0x0f, 8, 7, 0, 0),
        I(0x71, 4, 8, 0, 0), AND64_IMM(4, 0x1f8), MOV64_REG(5, 10),
        ADD64_IMM(5, -16), I(0x0f, 5, 4, 0, 0), STXDW(5, 4, 0),
        LDXDW(0, 5, 0), MOV64_REG(9, 10), ADD64_IMM(9, -24),
        STXDW(9, 0, 0), ADD64_IMM(7, 1), I(0xad, 7, 2, -14, 0), EXIT,
    };
    /* straight runs longer than the poll interval, in a loop */
    static uint64_t straight[5000 + 4];
    /* unvalidated: into lddw's second slot, off the end, out of range */
    static const uint64_t second_slot[] = {
        JA(1), I(0x18, 0, 0, 0, 1), I(0xb7, 0, 0, 0, 5), EXIT,
    };
    static const uint64_t off_end[] = { MOV64_IMM(0, 1), JA(0) };
    static const uint64_t fall_off[] = { MOV64_IMM(0, 1), ADD64_IMM(0, 1) };
    static const uint64_t far_jump[] = { MOV64_IMM(0, 1), JA(100), EXIT };
    static const uint64_t back_out[] = { MOV64_IMM(0, 1), JA(-5), EXIT };
    static const uint64_t bad_ops[] = {
        MOV64_IMM(0, 1), I(0xd4, 0, 0, 0, 17), I(0x8d, 0, 1, 0, 0), EXIT,
    };
    static const uint64_t lddw_end[] = { MOV64_IMM(0, 1), I(0x18, 0, 0, 0, 1) };
    static const uint64_t r10_write[] = {
        I(0xb7, 10, 0, 0, 0x1000), I(0x61, 0, 10, 4, 0),
        I(0xb7, 15, 0, 0, 3), I(0x0f, 0, 15, 0, 0), EXIT,
    };
    static const struct {
        const uint64_t *p;
        uint32_t n;
    } odd[] = {
        { second_slot, N(second_slot) }, { off_end, N(off_end) },
        { fall_off, N(fall_off) }, { far_jump, N(far_jump) },
        { back_out, N(back_out) }, { bad_ops, N(bad_ops) },
        { lddw_end, N(lddw_end) }, { r10_write, N(r10_write) },
    };
    uint64_t prog[48];
    uint32_t i, k, n;
    uint64_t b;
    int bad = 0, runs = 0;

    /* every budget through the loop, with and without a polled flag */
    for (b = 1; b <= 420; b++) {
        bad += !diff_one(loop, N(loop), b, 0, b & 1);
        runs++;
    }
    ok(bad == 0, "decoded = reference: a loop with lddw, stack and a call, "
       "at every budget from 1 to 420", "");

    bad = 0;
    for (b = 1; b <= 1400; b++) {
        bad += !diff_one(pairs, N(pairs), b, 0, b & 1);
    }
    pairs[N(pairs) - 3] = JNE_IMM(6, 70, -43);
    bad += !diff_one(pairs, N(pairs), 0, 0, true);
    bad += !diff_one(pairs, N(pairs), 3000, 1, true);
    ok(bad == 0, "decoded = reference: every fused pair, entered in its "
       "second slot and faulting there, at every budget from 1 to 1400", "");

    bad = 0;
    for (b = 1; b <= 1800; b++) {
        bad += !diff_one(seqs, N(seqs), b, 0, b & 1);
    }
    bad += !diff_one(seqs, N(seqs), 0, 0, true);
    seqs[N(seqs) - 11] = JEQ_IMM(6, 24, 1);
    bad += !diff_one(seqs, N(seqs), 0, 0, true);
    bad += !diff_one(seqs, N(seqs), 3000, 1, true);
    ok(bad == 0, "decoded = reference: every fused sequence, flowing and "
       "not, entered in a middle slot, a store faulting in a third slot, "
       "at every budget from 1 to 1800", "");

    for (i = 0; i < 5000; i++) {
        straight[i] = ADD64_IMM(0, 1);
    }
    straight[5000] = ADD64_IMM(6, 1);
    straight[5001] = JNE_IMM(6, 5, -5002);
    straight[5002] = EXIT;
    n = 5003;
    bad = 0;
    for (k = 0; k < 40; k++) {
        /* around every poll and the budget, aborting at some polls */
        b = 4096 * (1 + k / 8) + (k % 8) - 4;
        bad += !diff_one(straight, n, b, 0, true);
        bad += !diff_one(straight, n, b + 10000, (int)(k % 4), true);
        bad += !diff_one(straight, n, b, 0, false);
    }
    bad += !diff_one(straight, n, 0, 0, true);
    bad += !diff_one(straight, n, 0, 5, true);
    ok(bad == 0, "decoded = reference: straight runs across abort polls and "
       "the budget, polls counted", "");

    /*
     * A budget or poll stop inside a run steps its slots one by one up to
     * the stop: every kind of straight-line slot stepped, a fault in a
     * stepped slot (pc, count, address), at every budget
     */
    bad = 0;
    for (k = 0; k < 2; k++) {
        uint64_t stepped[] = {
            I(0x18, 2, 0, 0, (uint32_t)MEM_ADDR), I(0, 0, 0, 0, 0),
            MOV64_IMM(3, 5),
            I(0xdb, 2, 3, 8, 0x01),             /* r3 = fetch-add at +8 */
            I(0x79, 0, 2, 8, 0),                /* ldxdw */
            I(0x63, 10, 0, -4, 0),              /* stxw to the stack */
            I(0x61, 4, 10, -4, 0),              /* ldxw from it */
            I(0x0f, 0, 4, 0, 0),
            I(0x71, 5, 2, k ? 200 : 3, 0),      /* ldxb, out of bounds */
            I(0x0f, 0, 5, 0, 0),
            I(0x62, 10, 0, -16, 77),            /* stw */
            EXIT,
        };

        for (b = 1; b <= N(stepped) + 1; b++) {
            bad += !diff_one(stepped, N(stepped), b, 0, b & 1);
        }
    }
    ok(bad == 0, "decoded = reference: every kind of slot stepped up to a "
       "budget stop, and faulting there, at every budget", "");

    bad = 0;
    for (i = 0; i < N(odd); i++) {
        for (b = 1; b <= 6; b++) {
            bad += !diff_one(odd[i].p, odd[i].n, b, 0, b & 1);
        }
    }
    ok(bad == 0, "decoded = reference: unvalidated programs (lddw second "
       "slot, off the end, wild jumps, invalid ops, r10 written)", "");

    /*
     * The JIT's own paths: stack pointers the block proves in the frame
     * (direct) or not (the table), across a call that moves the stack;
     * charge chains with forward jumps taken and not at every budget;
     * the primary window's ends at every size, through constant and
     * computed bases, the read-only region and stores into it.
     */
    bad = 0;
    memcpy(hist_up, hist, sizeof(hist));
    for (b = 1; b <= 1200; b++) {
        bad += !diff_one(hist, N(hist), b, 0, b & 1);
    }
    for (b = 1; b <= 800; b++) {
        bad += !diff_one(callee_ptr, N(callee_ptr), b, 0, b & 1);
    }
    bad += !diff_one(hist, N(hist), 0, 3, true);
    hist_up[5] = AND64_IMM(4, 0x7c);    /* fp + [-64, 60]: above the top */
    for (b = 1; b <= 300; b++) {
        bad += !diff_one(hist_up, N(hist_up), b, 0, b & 1);
    }
    bad += !diff_one(callee_ptr, N(callee_ptr), 0, 2, true);
    for (k = 0; k < 2 * 80; k++) {
        static const uint8_t ldx[4] = { 0x71, 0x69, 0x61, 0x79 };
        static const uint8_t stx[4] = { 0x73, 0x6b, 0x63, 0x7b };
        int32_t o = (int32_t)(k % 80) - 8;
        unsigned sz = k / 80 ? 3 - (k % 4) : k % 4;
        uint64_t edge[] = {
            I(ldx[sz], 0, 1, o, 0), I(stx[sz], 1, 0, o, 0),
            MOV64_REG(6, 1), ADD64_IMM(6, o), I(ldx[sz], 0, 6, 0, 0),
            I(ldx[sz], 4, 3, o, 0), I(stx[sz], 3, 4, o & 15, 0), EXIT,
        };

        for (b = 1; b <= 8; b++) {
            bad += !diff_one(edge, N(edge), b, 0, b & 1);
        }
    }
    ok(bad == 0, "decoded = reference: computed stack pointers in and out "
       "of the frame, across a call, charge chains at every budget, "
       "window ends", "");

    /*
     * The JIT's second temporary, rdx, holds the primary window's host
     * base: its rare users save it (a store of r10's value through the
     * window, the frame and the table, division, the table lookup) or
     * take r10 from memory (compares): primary accesses after each.
     */
    bad = 0;
    for (k = 0; k < 2; k++) {
        uint64_t rdx[] = {
            STXDW(1, 10, 8), LDXDW(4, 1, 8), JNE_REG(4, 10, 1),
            I(0xb7, 0, 0, 0, 100), I(0xb7, 5, 0, 0, 7), LDXW(6, 1, 0),
            I(0x3f, 6, 5, 0, 0), I(0x97, 6, 0, 0, 5), LDXB(7, 1, 20),
            I(0x0f, 0, 6, 0, 0), I(0x0f, 0, 7, 0, 0), LDXB(8, 3, 2),
            I(0x73, 1, 8, 30, 0), I(0x7b, 10, 10, -16, 0),
            LDXDW(9, 10, -16), I(0x4d, 9, 10, 0, 0), LDXW(6, 1, 4),
            I(0x3f, 6, 5, 1, 0), I(0x9f, 6, 5, 1, 0), I(0x0f, 0, 6, 0, 0),
            LDXDW(2, 1, 8), I(0x1f, 2, 10, 0, 0), I(0x0f, 0, 2, 0, 0),
            LDXB(7, 1, 21), I(0x0f, 0, 7, 0, 0),
            k ? I(0x7b, 3, 10, 0, 0) : I(0x7b, 1, 10, 56, 0),
            LDXDW(7, 1, 56), I(0x0f, 0, 7, 0, 0), EXIT,
        };

        for (b = 1; b <= N(rdx) + 1; b++) {
            bad += !diff_one(rdx, N(rdx), b, 0, b & 1);
        }
    }
    ok(bad == 0, "decoded = reference: r10 stored through the window, the "
       "frame and the table, compared, division, table lookups, each "
       "followed by window accesses, at every budget", "");

    /* random programs, valid and not, at a few budgets */
    bad = 0;
    for (k = 0; k < 3000; k++) {
        n = 2 + (uint32_t)(drand64() % (N(prog) - 2));
        for (i = 0; i < n; i++) {
            prog[i] = rand_insn(i, n);
        }
        if (drand64() & 1) {
            prog[n - 1] = EXIT;
        }
        bad += !diff_one(prog, n, 1 + drand64() % 300, 0, k & 1);
        bad += !diff_one(prog, n, 1 + drand64() % 8, (int)(k % 3), true);
    }
    ok(bad == 0, "decoded = reference: 3000 random programs", "");
}

int main(void)
{
    test_bounds();
    test_region_windows();
    test_fast_translate();
    test_budget();
    test_calls();
    test_helpers();
    test_abort();
    test_validate();
    test_atomics();
    test_config();
    test_map_layout();
    test_map_hash_ops();
    test_map_abort();
    test_map_hash_order();
    test_map_array_ops();
    test_map_helpers();
    test_map_validate();
    diff_on = false;
    test_map_threads();
    diff_on = true;
    test_batch_filter();
    test_batch_context();
    test_batch_faults();
    test_batch_layouts();
    test_batch_maps_helpers();
    test_batch_framing();
    test_xdp_csum_diff();
    test_xdp_meta();
    test_xdp_env();
    test_xdp_mix();
    test_xdp_batch();
    test_differential();
    ok(diff_bad == 0 && diff_runs > 0, "decoded engine = reference on every "
       "program run above", "");
    fprintf(stderr, "# %d differential runs, %d mismatches\n", diff_runs,
            diff_bad);
    /*
     * Runs of compiled programs must be native but for the few whose
     * frame is too small on purpose: a JIT that sent every run to the
     * threaded interpreter (a resolved depth too deep, say) would
     * otherwise pass unseen.
     */
    ok(jit_bad == 0 && jit_runs == diff_runs &&
       (!jit_wanted() || (jit_compiled > 1000 &&
                          jit_native * 100 >= jit_compiled * 99)),
       jit_wanted() ?
       "JIT = reference on every program run above, 99 in 100 runs of "
       "compiled programs native" :
       "no JIT (HERMES_EBPF_JIT=0 or the host lacks it): threaded = "
       "reference again", "");
    fprintf(stderr, "# %d JIT runs, %d of compiled programs, %d native, "
            "%d mismatches\n", jit_runs, jit_compiled, jit_native, jit_bad);
    printf("1..%d\n", test_no);
    return failures != 0;
}
