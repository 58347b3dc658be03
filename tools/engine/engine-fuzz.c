/*
 * libFuzzer target for the Hermes eBPF engine: random programs and memory
 * through hermes_ebpf_validate() and hermes_ebpf_run(), under ASan and
 * UBSan.
 *
 * Copyright (c) 2026 The Hermes authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Input: byte 0 selects the capability set, whether the run has device
 * maps (0x10: map 0 a HASH, map 1 an ARRAY, each in memory of exactly its
 * footprint; helpers 1 to 3 are then the map helpers), whether the
 * program is first "repaired" towards validity (0x40) and whether a program that fails
 * validation is run anyway (0x80; run must stay memory-safe for any input),
 * whether the single runs have an abort flag (0x20: see FuzzAbort);
 * byte 1 is the memory length L; then L bytes of memory; the rest is the
 * program, 8 bytes (little-endian) per instruction.  tools/engine/run-fuzz
 * builds the seed corpus from the conformance vectors in this form.
 *
 * Besides the sanitizers, the target checks properties the engine
 * promises: a validated program never meets an invalid instruction or a
 * jump out of the program at run time, the budget is respected, and a run
 * is deterministic: the second run is the decoded program's
 * (hermes_ebpf_run_code()), and it must give the reference's outcome,
 * memory and maps exactly, as must hermes_ebpf_run_batch_code().
 *
 * Every input is also run as a record batch (hermes_ebpf_run_batch()):
 * the memory but its byte 0 is the input of a data slot of exactly the
 * size the framing needs (byte 0 picks LENPFX or a record size, how much
 * room the result table has, and whether the framing check is skipped),
 * so that ASan sees any access outside the slot.  The batch
 * must be deterministic, respect the budget of every record, produce an
 * output that is never longer than the input, in the input's format, and
 * a result table that adds up to it.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hermes-ebpf.h"
#include "jit-wanted.h"

#define MEM_ADDR    0x1000ull
#define RO_ADDR     0x200000000ull
#define STACK_ADDR  0x7ff00000ull
#define BUDGET      4096

static const uint8_t ro_data[64] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

static int fuzz_helper(void *opaque, uint32_t id, const uint64_t args[5],
                       HermesEbpfVm *vm, uint64_t *ret)
{
    uint8_t *p;
    uint64_t i;

    (void)opaque;
    switch (id) {
    case 1: /* sum of bytes [r1, r1 + r2) */
        if (args[1] > 4096) {
            return -7;
        }
        p = hermes_ebpf_translate(vm, args[0], args[1],
                                  HERMES_EBPF_MEM_READ);
        if (!p) {
            return -14;
        }
        *ret = 0;
        for (i = 0; i < args[1]; i++) {
            *ret += p[i];
        }
        return HERMES_EBPF_HELPER_CONTINUE;
    case 2: /* memset [r1, r1 + r2) to r3 */
        if (args[1] > 4096) {
            return -7;
        }
        p = hermes_ebpf_translate(vm, args[0], args[1], HERMES_EBPF_MEM_RW);
        if (!p) {
            return -14;
        }
        memset(p, (int)args[2], args[1]);
        *ret = 0;
        return HERMES_EBPF_HELPER_CONTINUE;
    case 5: /* the conformance suite's unwind */
        *ret = args[0];
        return args[0] ? HERMES_EBPF_HELPER_CONTINUE : HERMES_EBPF_HELPER_STOP;
    default:
        return -22;
    }
}

/* The maps of a run: fresh for each run, compared after both */
typedef struct FuzzMaps {
    HermesEbpfMap map[2];
    HermesEbpfMap *ptr[2];
    uint8_t *mem[2];
    uint64_t len[2];
} FuzzMaps;

static void maps_new(FuzzMaps *fm)
{
    static const uint32_t param[2][4] = {
        { HERMES_EBPF_MAP_HASH, 4, 12, 4 },
        { HERMES_EBPF_MAP_ARRAY, 4, 20, 3 },
    };
    int i;

    for (i = 0; i < 2; i++) {
        if (hermes_ebpf_map_footprint(param[i][0], param[i][1], param[i][2],
                                      param[i][3], &fm->len[i]) ||
            !(fm->mem[i] = malloc(fm->len[i])) ||
            hermes_ebpf_map_init(&fm->map[i], param[i][0], param[i][1],
                                 param[i][2], param[i][3], fm->mem[i])) {
            abort();
        }
        fm->ptr[i] = &fm->map[i];
    }
}

static void maps_free(FuzzMaps *fm)
{
    free(fm->mem[0]);
    free(fm->mem[1]);
}

/*
 * The abort flag of a run (input byte 0 bit 0x20): mode 1 sets
 * HERMES_EBPF_ABORT before the run; mode 2 sets another bit, so that
 * every poll point calls fuzz_poll(), which sets HERMES_EBPF_ABORT at
 * poll @at; mode 3 the same but never aborts.  Both interpreters must
 * stop at the same place after the same polls.
 */
typedef struct FuzzAbort {
    int mode;
    int flag;
    unsigned calls;
    unsigned at;
} FuzzAbort;

static void fuzz_poll(void *opaque)
{
    FuzzAbort *ab = opaque;

    if (++ab->calls == ab->at) {
        __atomic_store_n(&ab->flag, ab->flag | HERMES_EBPF_ABORT,
                         __ATOMIC_RELAXED);
    }
}

/* Must hermes_ebpf_jit() take it? (valid with every capability) */
static bool jit_should_take(const uint64_t *insns, uint32_t n)
{
    HermesEbpfCaps caps;

    hermes_ebpf_caps_full(&caps);
    caps.max_maps = HERMES_EBPF_MAX_MAPS;
    caps.lddw_src_mask = UINT32_MAX;
    return hermes_ebpf_validate(insns, n, &caps, NULL, NULL, 0) ==
           HERMES_EBPF_OK;
}

/* Both runs left the maps alike */
static void fuzz_maps_same(const FuzzMaps *a, const FuzzMaps *b, bool maps)
{
    int i;

    for (i = 0; maps && i < 2; i++) {
        if (memcmp(a->mem[i], b->mem[i], a->len[i]) ||
            a->map[i].count != b->map[i].count ||
            a->map[i].free_head != b->map[i].free_head) {
            abort();
        }
    }
}

static void one_run(const uint64_t *insns, uint32_t n,
                    const HermesEbpfCode *code, uint8_t *mem,
                    size_t memlen, FuzzMaps *fm, FuzzAbort *ab,
                    HermesEbpfResult *res)
{
    HermesEbpfRegion regions[2] = {
        { MEM_ADDR, memlen, mem, HERMES_EBPF_MEM_RW },
        { RO_ADDR, sizeof(ro_data), (void *)ro_data, HERMES_EBPF_MEM_READ },
    };
    HermesEbpfRunConfig cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.args[0] = MEM_ADDR;
    cfg.args[1] = memlen;
    cfg.args[2] = RO_ADDR;
    cfg.budget = BUDGET;
    cfg.stack_addr = STACK_ADDR;
    cfg.helper = fuzz_helper;
    if (fm) {
        cfg.maps = fm->ptr;
        cfg.nmaps = 2;
    }
    if (ab->mode) {
        ab->flag = ab->mode == 1 ? HERMES_EBPF_ABORT : 2;
        ab->calls = 0;
        cfg.abort_flag = &ab->flag;
        if (ab->mode > 1) {
            cfg.poll = fuzz_poll;
            cfg.poll_opaque = ab;
        }
    }
    if (code) {
        hermes_ebpf_run_code(code, regions, 2, &cfg, res);
    } else {
        hermes_ebpf_run(insns, n, regions, 2, &cfg, res);
    }
}

/*
 * Make a random program more likely to pass validation, so that more of
 * the fuzzing time reaches the interpreter: registers in r0..r10, jump
 * and call targets folded into the program, an exit at the end.
 */
static void repair(uint64_t *insns, uint32_t n, bool maps)
{
    uint32_t pc;

    for (pc = 0; pc < n; pc++) {
        uint64_t w = insns[pc];
        unsigned op = w & 0xff, cls = op & 7, code = op & 0xf0;
        unsigned dst = ((w >> 8) & 0xf) % 11, src = ((w >> 12) & 0xf) % 11;
        int64_t target;

        if (pc > 0 && (insns[pc - 1] & 0xff) == 0x18) {
            continue;       /* lddw second slot */
        }
        if (op == 0x18) {
            /* with maps, half of the lddw name map 0 or 1 */
            src = maps && (src & 1) ? HERMES_EBPF_PSEUDO_MAP_IDX : 0;
            if (src) {
                w = (w & 0xffffffffull) | (w >> 33 & 1) << 32;
                if (pc + 1 < n) {
                    insns[pc + 1] = 0;
                }
            }
        }
        w = (w & ~0xff00ull) | (uint64_t)(dst | src << 4) << 8;
        if ((cls == 5 || cls == 6) && code != 0x90 &&
            !(code == 0x80 && src != 1)) {
            target = (uint16_t)(w >> 16) % n;
            if (code == 0x80 || (cls == 6 && code == 0)) {
                /* pseudo call and gotol: offset in imm */
                w = (w & 0xffffffffull) |
                    (uint64_t)(uint32_t)(target - pc - 1) << 32;
            } else {
                w = (w & ~0xffff0000ull) |
                    (uint64_t)(uint16_t)(target - pc - 1) << 16;
            }
        }
        insns[pc] = w;
    }
    if (n) {
        insns[n - 1] = 0x95;
    }
}

#define BATCH_BUDGET    256
#define DATA_BASE       0x100000000ull

static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    while (n--) {
        v = v << 8 | p[n];
    }
    return v;
}

static void batch_run(const uint64_t *insns, uint32_t n,
                      const HermesEbpfCode *code, uint8_t *slot,
                      const HermesEbpfBatch *tmpl, HermesEbpfBatchResult *res)
{
    HermesEbpfBatch b = *tmpl;
    HermesEbpfRunConfig cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.budget = BATCH_BUDGET;
    cfg.stack_addr = STACK_ADDR;
    cfg.helper = fuzz_helper;
    b.slot = slot;
    if (code) {
        hermes_ebpf_run_batch_code(code, &b, &cfg, res);
    } else {
        hermes_ebpf_run_batch(insns, n, &b, &cfg, res);
    }
}

static bool same_result(const HermesEbpfResult *a, const HermesEbpfResult *b)
{
    return a->status == b->status && a->r0 == b->r0 && a->pc == b->pc &&
           a->insns == b->insns && a->fault_addr == b->fault_addr &&
           a->fault_size == b->fault_size && a->helper_id == b->helper_id &&
           a->helper_err == b->helper_err;
}

/* The batch properties; aborts when one does not hold. */
static void fuzz_batch(const uint64_t *insns, uint32_t n,
                       const HermesEbpfCode *code, bool valid,
                       const uint8_t *mem, size_t memlen)
{
    HermesEbpfBatch b;
    HermesEbpfBatchResult r1, r2;
    HermesEbpfBatchCheck chk;
    uint8_t *s1, *s2, m0;
    uint32_t nrec = 0, bad, k, sum = 0, kept = 0, off = 0;
    size_t room;

    if (memlen == 0) {
        return;
    }
    m0 = *mem++;
    memlen--;
    memset(&b, 0, sizeof(b));
    b.lenpfx = m0 & 1;
    b.record_size = b.lenpfx ? 0 : 1 + (m0 >> 1) % 24;
    b.in_len = (uint32_t)memlen;
    b.res_off = (b.in_len + 7) & ~7u;
    room = (m0 & 0x40) ? (m0 >> 3) % 4 : memlen;    /* table entries */
    b.slot_size = b.res_off + 16 * (uint32_t)room;
    b.data_base = DATA_BASE;
    b.ctx_base = RO_ADDR;
    s1 = malloc(b.slot_size ? b.slot_size : 1);
    s2 = malloc(b.slot_size ? b.slot_size : 1);
    if (!s1 || !s2) {
        abort();
    }
    memset(s1, 0xa5, b.slot_size);
    memcpy(s1, mem, memlen);
    memcpy(s2, s1, b.slot_size);
    b.slot = s1;
    chk = hermes_ebpf_batch_check(&b, &nrec, &bad);
    if (chk != HERMES_EBPF_BATCH_OK &&
        chk != HERMES_EBPF_BATCH_BAD_RECORDS) {
        abort();
    }
    if (chk != HERMES_EBPF_BATCH_OK && !(m0 & 0x80)) {
        goto out;
    }
    /* the reference, then the decoded program: the same in every way */
    batch_run(insns, n, NULL, s1, &b, &r1);
    batch_run(insns, n, code, s2, &b, &r2);
    if (r1.status != r2.status || r1.records_done != r2.records_done ||
        r1.out_len != r2.out_len || r1.insns != r2.insns ||
        r1.runs != r2.runs || r1.records_out != r2.records_out ||
        r1.check != r2.check || r1.bad_record != r2.bad_record ||
        !same_result(&r1.last, &r2.last) || memcmp(s1, s2, b.slot_size)) {
        abort();
    }
    if (r1.insns > (uint64_t)BATCH_BUDGET * r1.runs ||
        r1.out_len > b.in_len || r1.records_out > r1.records_done ||
        r1.runs > r1.records_done + 1) {
        abort();
    }
    if (chk == HERMES_EBPF_BATCH_OK &&
        (r1.status == HERMES_EBPF_ERR_BAD_CONFIG ||
         (r1.status == HERMES_EBPF_OK && r1.records_done != nrec))) {
        abort();
    }
    if (valid && (r1.status == HERMES_EBPF_ERR_INVALID_INSN ||
                  r1.status == HERMES_EBPF_ERR_BAD_JUMP)) {
        abort();
    }
    /* the table adds up to the output, which has the input's format */
    for (k = 0; k < r1.records_done; k++) {
        const uint8_t *e = s1 + b.res_off + 16 * (size_t)k;
        uint32_t len = (uint32_t)get_le(e + 8, 4);
        uint32_t fl = (uint32_t)get_le(e + 12, 4);

        if (fl > 1 || (!fl && len) ||
            (fl && !b.lenpfx && len > b.record_size)) {
            abort();
        }
        if (fl && b.lenpfx) {
            if (get_le(s1 + off, 4) != len) {
                abort();
            }
            off += 4;
        }
        off += len;
        sum += len;
        kept += fl;
    }
    if (kept != r1.records_out || off != r1.out_len ||
        sum + (b.lenpfx ? 4 * kept : 0) != r1.out_len) {
        abort();
    }
out:
    free(s1);
    free(s2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    HermesEbpfCaps caps;
    HermesEbpfResult r1, r2;
    FuzzAbort ab1, ab2;
    FuzzMaps fm1, fm2;
    HermesEbpfCode *code, *jcode;
    void *code_mem, *jcode_mem;
    size_t code_size;
    HermesEbpfStatus vst;
    uint8_t *mem1, *mem2;
    uint64_t *insns;
    size_t memlen, i;
    uint32_t n, bad;
    char msg[128];
    uint8_t sel;

    if (size < 2) {
        return 0;
    }
    sel = data[0];
    memlen = data[1];
    data += 2;
    size -= 2;
    if (memlen > size) {
        memlen = size;
    }
    n = (uint32_t)((size - memlen) / 8);
    if (n > 4096) {
        return 0;
    }
    insns = malloc((n ? n : 1) * sizeof(*insns));
    /* exact-size buffers so ASan sees any overrun of the region */
    mem1 = malloc(memlen ? memlen : 1);
    mem2 = malloc(memlen ? memlen : 1);
    if (!insns || !mem1 || !mem2) {
        abort();
    }
    memcpy(mem1, data, memlen);
    memcpy(mem2, data, memlen);
    for (i = 0; i < n; i++) {
        uint64_t v = 0;
        int b;

        for (b = 7; b >= 0; b--) {
            v = v << 8 | data[memlen + i * 8 + b];
        }
        insns[i] = v;
    }

    if (sel & 0x40) {
        repair(insns, n, sel & 0x10);
    }

    hermes_ebpf_caps_full(&caps);
    caps.isa_version = 1 + (sel & 3);
    if (sel & 4) {
        caps.atomics = false;
    }
    if (sel & 8) {
        caps.division = false;
    }
    if (sel & 0x10) {
        caps.max_maps = HERMES_EBPF_MAX_MAPS;
    }
    vst = hermes_ebpf_validate(insns, n, &caps, &bad, msg, sizeof(msg));
    if (vst != HERMES_EBPF_OK && !(sel & 0x80)) {
        goto done;
    }
    if (vst != HERMES_EBPF_OK && n == 0) {
        goto done;
    }
    if (n == 0 || strlen(msg) >= sizeof(msg)) {
        abort();
    }

    code_size = hermes_ebpf_code_size(n);
    code_mem = malloc(code_size);
    code = hermes_ebpf_decode(insns, n, code_mem, code_size);
    if (!code) {
        abort();
    }
    /* the JIT, unless HERMES_EBPF_JIT=0: a valid program must be taken */
    jcode_mem = malloc(code_size);
    jcode = hermes_ebpf_decode(insns, n, jcode_mem, code_size);
    if (!jcode) {
        abort();
    }
    if (jit_wanted() && !hermes_ebpf_jit(jcode) && jit_should_take(insns, n)) {
        abort();
    }
    fuzz_batch(insns, n, code, vst == HERMES_EBPF_OK, data, memlen);
    fuzz_batch(insns, n, jcode, vst == HERMES_EBPF_OK, data, memlen);
    if (sel & 0x10) {
        maps_new(&fm1);
        maps_new(&fm2);
    }
    ab1.mode = sel & 0x20 ? 1 + (int)(memlen % 3) : 0;
    ab1.at = ab1.mode == 2 ? 1 + n % 7 : 0;
    ab2 = ab1;
    one_run(insns, n, NULL, mem1, memlen, sel & 0x10 ? &fm1 : NULL, &ab1,
            &r1);
    if (r1.insns > BUDGET) {
        abort();
    }
    if (vst == HERMES_EBPF_OK &&
        (r1.status == HERMES_EBPF_ERR_INVALID_INSN ||
         r1.status == HERMES_EBPF_ERR_BAD_JUMP ||
         r1.status == HERMES_EBPF_ERR_BAD_CONFIG)) {
        /* validation let through something the interpreter refuses */
        abort();
    }
    one_run(insns, n, code, mem2, memlen, sel & 0x10 ? &fm2 : NULL, &ab2,
            &r2);
    if (!same_result(&r1, &r2) || memcmp(mem1, mem2, memlen) != 0 ||
        ab1.calls != ab2.calls || ab1.flag != ab2.flag) {
        abort();
    }
    fuzz_maps_same(&fm1, &fm2, sel & 0x10);
    if (sel & 0x10) {
        maps_free(&fm2);
        maps_new(&fm2);
    }
    memcpy(mem2, data, memlen);
    one_run(insns, n, jcode, mem2, memlen, sel & 0x10 ? &fm2 : NULL, &ab2,
            &r2);
    if (!same_result(&r1, &r2) || memcmp(mem1, mem2, memlen) != 0 ||
        ab1.calls != ab2.calls || ab1.flag != ab2.flag) {
        abort();
    }
    if (sel & 0x10) {
        for (i = 0; i < 2; i++) {
            if (memcmp(fm1.mem[i], fm2.mem[i], fm1.len[i]) ||
                fm1.map[i].count != fm2.map[i].count ||
                fm1.map[i].free_head != fm2.map[i].free_head ||
                fm1.map[i].count > fm1.map[i].max_entries) {
                abort();
            }
        }
        maps_free(&fm1);
        maps_free(&fm2);
    }
    hermes_ebpf_code_release(jcode);
    free(jcode_mem);
    free(code_mem);
done:
    free(insns);
    free(mem1);
    free(mem2);
    return 0;
}
