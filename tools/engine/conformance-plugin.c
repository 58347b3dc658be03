/*
 * bpf_conformance plugin for the Hermes eBPF engine.
 *
 * Copyright (c) 2026 The Hermes authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Contract (see ../shared/conformance/README.md): the program arrives on
 * standard input as hex bytes, the input memory (if any) as hex bytes in
 * argv[1]; on success print r0 in hex and exit 0, otherwise print a message
 * on standard error and exit non-zero.
 *
 * Device address layout used here: the memory copy at MEM_ADDR (r1, with
 * r2 = its length; r1 = 0 when there is none), the stack at STACK_ADDR.
 * Helper 5 is the suite's "unwind" helper: it returns r1 and ends the
 * program when that value is 0.
 */

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hermes-ebpf.h"
#include "jit-wanted.h"

#define MEM_ADDR    0x10000000ull
#define STACK_ADDR  0x7ff00000ull

static int unwind_helper(void *opaque, uint32_t id, const uint64_t args[5],
                         HermesEbpfVm *vm, uint64_t *ret)
{
    (void)opaque;
    (void)vm;
    if (id != 5) {
        return -1;
    }
    *ret = args[0];
    return args[0] == 0 ? HERMES_EBPF_HELPER_STOP
                        : HERMES_EBPF_HELPER_CONTINUE;
}

/* Parse whitespace-separated hex bytes; returns byte count or -1. */
static long parse_hex(const char *s, uint8_t **out)
{
    size_t cap = strlen(s) / 2 + 8, n = 0;
    uint8_t *buf = malloc(cap);

    if (!buf) {
        return -1;
    }
    while (*s) {
        int hi, lo;

        if (isspace((unsigned char)*s)) {
            s++;
            continue;
        }
        if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1])) {
            free(buf);
            return -1;
        }
        hi = isdigit((unsigned char)s[0]) ? s[0] - '0'
                                          : (tolower(s[0]) - 'a' + 10);
        lo = isdigit((unsigned char)s[1]) ? s[1] - '0'
                                          : (tolower(s[1]) - 'a' + 10);
        buf[n++] = (uint8_t)(hi << 4 | lo);
        s += 2;
    }
    *out = buf;
    return (long)n;
}

static char *read_all(FILE *f)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);

    while (buf) {
        size_t r = fread(buf + n, 1, cap - n - 1, f);

        n += r;
        if (r == 0) {
            break;
        }
        if (cap - n - 1 == 0) {
            char *nb = realloc(buf, cap * 2);

            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (buf) {
        buf[n] = '\0';
    }
    return buf;
}

int main(int argc, char **argv)
{
    const char *memhex = (argc > 1 && argv[1][0] != '-') ? argv[1] : "";
    char *text = read_all(stdin);
    uint8_t *code = NULL, *mem = NULL;
    uint64_t *insns;
    long ncode, nmem;
    uint32_t ninsns, bad_pc;
    HermesEbpfCaps caps;
    HermesEbpfRunConfig cfg;
    HermesEbpfRegion region;
    HermesEbpfResult res, ref;
    HermesEbpfCode *dcode;
    uint8_t *mem_ref, *mem_jit_before;
    void *code_mem;
    size_t code_size;
    char msg[160];
    uint32_t i;

    if (!text) {
        fprintf(stderr, "cannot read program\n");
        return 2;
    }
    ncode = parse_hex(text, &code);
    nmem = parse_hex(memhex, &mem);
    if (ncode < 0 || nmem < 0) {
        fprintf(stderr, "malformed hex input\n");
        return 2;
    }
    if (ncode % 8 != 0) {
        fprintf(stderr, "program length %ld is not a multiple of 8\n", ncode);
        return 2;
    }
    ninsns = (uint32_t)(ncode / 8);
    insns = calloc(ninsns ? ninsns : 1, sizeof(*insns));
    if (!insns) {
        return 2;
    }
    for (i = 0; i < ninsns; i++) {
        uint64_t v = 0;
        int b;

        for (b = 7; b >= 0; b--) {
            v = v << 8 | code[i * 8 + b];
        }
        insns[i] = v;
    }

    hermes_ebpf_caps_full(&caps);
    if (hermes_ebpf_validate(insns, ninsns, &caps, &bad_pc, msg,
                             sizeof(msg)) != HERMES_EBPF_OK) {
        fprintf(stderr, "validation failed: %s\n", msg);
        return 1;
    }

    memset(&cfg, 0, sizeof(cfg));
    cfg.args[0] = nmem ? MEM_ADDR : 0;
    cfg.args[1] = (uint64_t)nmem;
    cfg.stack_addr = STACK_ADDR;
    cfg.helper = unwind_helper;
    region.addr = MEM_ADDR;
    region.len = (uint64_t)nmem;
    region.host = mem;
    region.flags = HERMES_EBPF_MEM_RW;

    /*
     * The reference interpreter, then the decoded program from the same
     * memory: both must give the same outcome and memory.
     */
    mem_ref = malloc(nmem ? nmem : 1);
    code_size = hermes_ebpf_code_size(ninsns);
    code_mem = malloc(code_size);
    dcode = hermes_ebpf_decode(insns, ninsns, code_mem, code_size);
    if (!mem_ref || !dcode) {
        return 2;
    }
    mem_jit_before = malloc(nmem ? nmem : 1);
    if (!mem_jit_before) {
        return 2;
    }
    if (nmem) {
        memcpy(mem_ref, mem, nmem);
        memcpy(mem_jit_before, mem, nmem);
    }
    region.host = mem_ref;
    hermes_ebpf_run(insns, ninsns, &region, nmem ? 1 : 0, &cfg, &ref);
    region.host = mem;
    hermes_ebpf_run_code(dcode, &region, nmem ? 1 : 0, &cfg, &res);
    if (ref.status != res.status || ref.r0 != res.r0 || ref.pc != res.pc ||
        ref.insns != res.insns || ref.fault_addr != res.fault_addr ||
        ref.fault_size != res.fault_size || ref.helper_id != res.helper_id ||
        ref.helper_err != res.helper_err ||
        (nmem && memcmp(mem_ref, mem, nmem))) {
        fprintf(stderr, "decoded engine differs from the reference: %s pc %"
                PRIu32 " insns %" PRIu64 " r0 0x%" PRIx64 " vs %s pc %" PRIu32
                " insns %" PRIu64 " r0 0x%" PRIx64 "\n",
                hermes_ebpf_status_name(res.status), res.pc, res.insns,
                res.r0, hermes_ebpf_status_name(ref.status), ref.pc,
                ref.insns, ref.r0);
        return 1;
    }
    /* The JIT (unless HERMES_EBPF_JIT=0), from the same memory again */
    if (jit_wanted()) {
        HermesEbpfCode *jcode = hermes_ebpf_decode(insns, ninsns,
                                                   malloc(code_size),
                                                   code_size);
        HermesEbpfResult jr;

        if (!jcode || !hermes_ebpf_jit(jcode)) {
            fprintf(stderr, "JIT not available (HERMES_EBPF_JIT=0 runs "
                    "without it)\n");
            return 1;
        }
        if (nmem) {
            memcpy(mem, mem_ref, nmem);
            memcpy(mem_ref, mem_jit_before, nmem);
        }
        region.host = mem_ref;
        hermes_ebpf_run_code(jcode, &region, nmem ? 1 : 0, &cfg, &jr);
        if (ref.status != jr.status || ref.r0 != jr.r0 || ref.pc != jr.pc ||
            ref.insns != jr.insns || ref.fault_addr != jr.fault_addr ||
            ref.fault_size != jr.fault_size ||
            ref.helper_id != jr.helper_id ||
            ref.helper_err != jr.helper_err ||
            (nmem && memcmp(mem_ref, mem, nmem))) {
            fprintf(stderr, "JIT differs from the reference: %s pc %"
                    PRIu32 " insns %" PRIu64 " r0 0x%" PRIx64 " vs %s pc %"
                    PRIu32 " insns %" PRIu64 " r0 0x%" PRIx64 "\n",
                    hermes_ebpf_status_name(jr.status), jr.pc, jr.insns,
                    jr.r0, hermes_ebpf_status_name(ref.status), ref.pc,
                    ref.insns, ref.r0);
            return 1;
        }
        hermes_ebpf_code_release(jcode);
        free(jcode);
    }
    free(mem_ref);
    free(mem_jit_before);
    free(code_mem);
    if (res.status != HERMES_EBPF_OK) {
        fprintf(stderr, "run failed: %s at pc %" PRIu32
                " (address 0x%" PRIx64 ", size %" PRIu32 ")\n",
                hermes_ebpf_status_name(res.status), res.pc,
                res.fault_addr, res.fault_size);
        return 1;
    }
    printf("%" PRIx64 "\n", res.r0);
    free(insns);
    free(code);
    free(mem);
    free(text);
    return 0;
}
