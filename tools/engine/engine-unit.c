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
#include <string.h>
#include <time.h>

#include "hermes-ebpf.h"

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

static HermesEbpfStatus run(const uint64_t *p, uint32_t n,
                            HermesEbpfRegion *r, size_t nr,
                            HermesEbpfRunConfig *cfg, HermesEbpfResult *res)
{
    HermesEbpfCaps caps;
    char msg[128];
    uint32_t bad;

    hermes_ebpf_caps_full(&caps);
    if (hermes_ebpf_validate(p, n, &caps, &bad, msg, sizeof(msg))) {
        fprintf(stderr, "# unexpected validation failure: %s\n", msg);
        memset(res, 0, sizeof(*res));
        res->status = HERMES_EBPF_ERR_INVALID_INSN;
        return res->status;
    }
    return hermes_ebpf_run(p, n, r, nr, cfg, res);
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

int main(void)
{
    test_bounds();
    test_budget();
    test_calls();
    test_helpers();
    test_abort();
    test_validate();
    test_atomics();
    test_config();
    printf("1..%d\n", test_no);
    return failures != 0;
}
