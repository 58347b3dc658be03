/*
 * Hermes eBPF engine: validator and interpreter for the Linux eBPF ISA
 * (RFC 9669, up to ISA v4).  See hermes-ebpf.h for the model.
 *
 * Copyright (c) 2026 The Hermes authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Written from the ISA specification (RFC 9669 and the kernel's
 * Documentation/bpf/standardization/instruction-set.rst).  Freestanding
 * C11: all arithmetic on program values is done on unsigned types, so no
 * program can trigger undefined behaviour in the engine.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hermes-ebpf.h"

/* Instruction classes */
#define OP_CLASS(op)    ((op) & 0x07)
#define CLS_LD          0x00
#define CLS_LDX         0x01
#define CLS_ST          0x02
#define CLS_STX         0x03
#define CLS_ALU         0x04
#define CLS_JMP         0x05
#define CLS_JMP32       0x06
#define CLS_ALU64       0x07

/* ALU and JMP: operation and source */
#define OP_CODE(op)     ((op) & 0xf0)
#define OP_SRC_X        0x08

#define ALU_ADD         0x00
#define ALU_SUB         0x10
#define ALU_MUL         0x20
#define ALU_DIV         0x30
#define ALU_OR          0x40
#define ALU_AND         0x50
#define ALU_LSH         0x60
#define ALU_RSH         0x70
#define ALU_NEG         0x80
#define ALU_MOD         0x90
#define ALU_XOR         0xa0
#define ALU_MOV         0xb0
#define ALU_ARSH        0xc0
#define ALU_END         0xd0

#define JMP_JA          0x00
#define JMP_JEQ         0x10
#define JMP_JGT         0x20
#define JMP_JGE         0x30
#define JMP_JSET        0x40
#define JMP_JNE         0x50
#define JMP_JSGT        0x60
#define JMP_JSGE        0x70
#define JMP_CALL        0x80
#define JMP_EXIT        0x90
#define JMP_JLT         0xa0
#define JMP_JLE         0xb0
#define JMP_JSLT        0xc0
#define JMP_JSLE        0xd0

/* Load and store: size and mode */
#define OP_SIZE(op)     ((op) & 0x18)
#define SZ_W            0x00
#define SZ_H            0x08
#define SZ_B            0x10
#define SZ_DW           0x18
#define OP_MODE(op)     ((op) & 0xe0)
#define MODE_IMM        0x00
#define MODE_ABS        0x20
#define MODE_IND        0x40
#define MODE_MEM        0x60
#define MODE_MEMSX      0x80
#define MODE_ATOMIC     0xc0

/* Bytes moved by a load or store with this opcode's size field. */
static inline unsigned access_bytes(uint8_t op)
{
    static const unsigned char bytes[] = {
        [SZ_W >> 3] = 4, [SZ_H >> 3] = 2, [SZ_B >> 3] = 1, [SZ_DW >> 3] = 8,
    };

    return bytes[OP_SIZE(op) >> 3];
}

/* Atomic operations (in imm) */
#define ATOMIC_FETCH    0x01
#define ATOMIC_ADD      0x00
#define ATOMIC_OR       0x40
#define ATOMIC_AND      0x50
#define ATOMIC_XOR      0xa0
#define ATOMIC_XCHG     (0xe0 | ATOMIC_FETCH)
#define ATOMIC_CMPXCHG  (0xf0 | ATOMIC_FETCH)

/* Call kinds (in src_reg) */
#define CALL_HELPER     0
#define CALL_PSEUDO     1

#define OPCODE_LDDW     (CLS_LD | MODE_IMM | SZ_DW)

#define REG_FP          10

/* Instruction fields of a 64-bit word (see the header for the encoding) */
static inline uint8_t insn_op(uint64_t w)
{
    return w & 0xff;
}

static inline unsigned insn_dst(uint64_t w)
{
    return (w >> 8) & 0x0f;
}

static inline unsigned insn_src(uint64_t w)
{
    return (w >> 12) & 0x0f;
}

static inline int16_t insn_off(uint64_t w)
{
    return (int16_t)(uint16_t)(w >> 16);
}

static inline int32_t insn_imm(uint64_t w)
{
    return (int32_t)(uint32_t)(w >> 32);
}

/* Sign extension of the low @bits bits of @v, without signed overflow */
static inline uint64_t sext(uint64_t v, unsigned bits)
{
    uint64_t m = 1ull << (bits - 1);

    if (bits < 64) {
        v &= (1ull << bits) - 1;
    }
    return (v ^ m) - m;
}

/* Arithmetic right shift without relying on signed shifts */
static inline uint64_t arsh64(uint64_t v, unsigned sh)
{
    return (v >> 63) ? ~(~v >> sh) : v >> sh;
}

static inline uint32_t arsh32(uint32_t v, unsigned sh)
{
    return (v >> 31) ? ~(~v >> sh) : v >> sh;
}

static inline bool is_neg64(uint64_t v)
{
    return v >> 63;
}

static inline uint64_t abs64(uint64_t v)
{
    return is_neg64(v) ? -v : v;
}

/* Signed division truncating toward zero; x / 0 = 0 */
static uint64_t sdiv64(uint64_t a, uint64_t b)
{
    uint64_t q;

    if (b == 0) {
        return 0;
    }
    q = abs64(a) / abs64(b);
    return (is_neg64(a) != is_neg64(b)) ? -q : q;
}

/* Signed modulo, sign of the dividend; x % 0 = x */
static uint64_t smod64(uint64_t a, uint64_t b)
{
    uint64_t r;

    if (b == 0) {
        return a;
    }
    r = abs64(a) % abs64(b);
    return is_neg64(a) ? -r : r;
}

static inline uint16_t bswap16(uint16_t v)
{
    return (uint16_t)((v >> 8) | (v << 8));
}

static inline uint32_t bswap32(uint32_t v)
{
    return ((v & 0xff) << 24) | ((v & 0xff00) << 8) |
           ((v >> 8) & 0xff00) | (v >> 24);
}

static inline uint64_t bswap64(uint64_t v)
{
    return ((uint64_t)bswap32((uint32_t)v) << 32) | bswap32(v >> 32);
}

/* Is the host little-endian?  A constant the compiler folds. */
static inline bool host_is_le(void)
{
    const uint16_t one = 1;
    uint8_t b;

    memcpy(&b, &one, 1);
    return b == 1;
}

/* Between host order and little endian (an involution) */
static inline uint32_t le32_host(uint32_t v)
{
    return host_is_le() ? v : bswap32(v);
}

static inline uint64_t le64_host(uint64_t v)
{
    return host_is_le() ? v : bswap64(v);
}

/*
 * Program memory is little-endian.  Program loads and stores have a
 * size known only at run time: byte-wise assembly, portable to any host
 * (measured faster here than a switch over the four sizes).
 */
static inline uint64_t ld_le(const uint8_t *b, unsigned size)
{
    uint64_t v = 0;
    unsigned i;

    for (i = 0; i < size; i++) {
        v |= (uint64_t)b[i] << (8 * i);
    }
    return v;
}

static inline void st_le(uint8_t *b, unsigned size, uint64_t v)
{
    unsigned i;

    for (i = 0; i < size; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
}

/*
 * Little-endian words of a constant size (map memory, the run context,
 * length prefixes and result entries): one plain (unaligned) host access,
 * byte-swapped on big-endian hosts.
 */
static inline uint32_t ld_le32(const uint8_t *b)
{
    uint32_t v;

    memcpy(&v, b, 4);
    return le32_host(v);
}

static inline uint64_t ld_le64(const uint8_t *b)
{
    uint64_t v;

    memcpy(&v, b, 8);
    return le64_host(v);
}

static inline void st_le32(uint8_t *b, uint32_t v)
{
    v = le32_host(v);
    memcpy(b, &v, 4);
}

static inline void st_le64(uint8_t *b, uint64_t v)
{
    v = le64_host(v);
    memcpy(b, &v, 8);
}

/* ------------------------------------------------------------------ */
/* Status names and capabilities                                       */

const char *hermes_ebpf_status_name(HermesEbpfStatus status)
{
    switch (status) {
    case HERMES_EBPF_OK:
        return "ok";
    case HERMES_EBPF_ERR_INVALID_INSN:
        return "invalid instruction";
    case HERMES_EBPF_ERR_BAD_JUMP:
        return "jump out of range";
    case HERMES_EBPF_ERR_BAD_LDDW:
        return "bad lddw";
    case HERMES_EBPF_ERR_BAD_REG:
        return "bad register";
    case HERMES_EBPF_ERR_NO_EXIT:
        return "no exit at end";
    case HERMES_EBPF_ERR_EMPTY:
        return "empty program";
    case HERMES_EBPF_ERR_TOO_LONG:
        return "program too long";
    case HERMES_EBPF_ERR_BAD_CONFIG:
        return "bad configuration";
    case HERMES_EBPF_ERR_BAD_MAP:
        return "bad map reference";
    case HERMES_EBPF_FAULT_LOAD:
        return "load fault";
    case HERMES_EBPF_FAULT_STORE:
        return "store fault";
    case HERMES_EBPF_FAULT_MISALIGNED:
        return "misaligned atomic";
    case HERMES_EBPF_FAULT_BUDGET:
        return "instruction budget exhausted";
    case HERMES_EBPF_FAULT_CALL_DEPTH:
        return "call depth exceeded";
    case HERMES_EBPF_FAULT_HELPER:
        return "helper error";
    case HERMES_EBPF_FAULT_ABORTED:
        return "aborted";
    }
    return "unknown status";
}

void hermes_ebpf_caps_full(HermesEbpfCaps *caps)
{
    memset(caps, 0, sizeof(*caps));
    caps->isa_version = 4;
    caps->atomics = true;
    caps->division = true;
    caps->helper_calls = true;
    caps->local_calls = true;
    caps->lddw_src_mask = 1;
    caps->max_insns = HERMES_EBPF_MAX_INSNS;
}

/* ------------------------------------------------------------------ */
/* Validation                                                          */

typedef struct MsgBuf {
    char *buf;
    size_t len;
    size_t pos;
} MsgBuf;

static void msg_str(MsgBuf *m, const char *s)
{
    if (!m->buf || m->len == 0) {
        return;
    }
    while (*s && m->pos + 1 < m->len) {
        m->buf[m->pos++] = *s++;
    }
    m->buf[m->pos] = '\0';
}

static void msg_num(MsgBuf *m, uint64_t v, bool hex)
{
    char tmp[24];
    int i = sizeof(tmp) - 1;
    unsigned base = hex ? 16 : 10;

    tmp[i] = '\0';
    do {
        tmp[--i] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v && i > 2);
    if (hex) {
        tmp[--i] = 'x';
        tmp[--i] = '0';
    }
    msg_str(m, &tmp[i]);
}

typedef struct Validator {
    const uint64_t *insns;
    uint32_t n;
    const HermesEbpfCaps *caps;
    uint32_t pc;
    MsgBuf msg;
} Validator;

static HermesEbpfStatus vfail(Validator *v, HermesEbpfStatus st,
                              const char *what)
{
    msg_str(&v->msg, "insn ");
    msg_num(&v->msg, v->pc, false);
    msg_str(&v->msg, ": ");
    msg_str(&v->msg, what);
    msg_str(&v->msg, " (opcode ");
    msg_num(&v->msg, insn_op(v->insns[v->pc]), true);
    msg_str(&v->msg, ")");
    return st;
}

/*
 * Once the first validation pass has checked that the second slot of every
 * lddw has opcode 0, an instruction with the lddw opcode is always a first
 * slot, so looking one instruction back is exact.
 */
static bool is_lddw_second_slot(const uint64_t *insns, uint32_t pc)
{
    return pc > 0 && insn_op(insns[pc - 1]) == OPCODE_LDDW;
}

static HermesEbpfStatus check_target(Validator *v, int64_t off)
{
    int64_t t = (int64_t)v->pc + 1 + off;

    if (t < 0 || t >= (int64_t)v->n) {
        return vfail(v, HERMES_EBPF_ERR_BAD_JUMP, "target out of program");
    }
    if (is_lddw_second_slot(v->insns, (uint32_t)t)) {
        return vfail(v, HERMES_EBPF_ERR_BAD_JUMP,
                     "target is the second half of lddw");
    }
    return HERMES_EBPF_OK;
}

static HermesEbpfStatus validate_alu(Validator *v, uint64_t w)
{
    uint8_t op = insn_op(w);
    bool is64 = OP_CLASS(op) == CLS_ALU64;
    bool x = op & OP_SRC_X;
    unsigned code = OP_CODE(op);
    int16_t off = insn_off(w);
    int32_t imm = insn_imm(w);
    unsigned isa = v->caps->isa_version;

    if (insn_dst(w) == REG_FP) {
        return vfail(v, HERMES_EBPF_ERR_BAD_REG, "write to read-only r10");
    }
    if (code == ALU_END) {
        if (insn_src(w) != 0 || off != 0) {
            return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                         "reserved fields set");
        }
        if (is64 && (x || isa < 4)) {
            return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                         "bswap needs ISA v4");
        }
        if (imm != 16 && imm != 32 && imm != 64) {
            return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                         "byte swap width not 16/32/64");
        }
        return HERMES_EBPF_OK;
    }
    if (code == ALU_NEG) {
        if (x || insn_src(w) != 0 || off != 0 || imm != 0) {
            return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                         "reserved fields set");
        }
        return HERMES_EBPF_OK;
    }
    if (code > ALU_END) {
        return vfail(v, HERMES_EBPF_ERR_INVALID_INSN, "unknown ALU op");
    }
    if (x ? imm != 0 : insn_src(w) != 0) {
        return vfail(v, HERMES_EBPF_ERR_INVALID_INSN, "reserved fields set");
    }
    if (code == ALU_DIV || code == ALU_MOD) {
        if (!v->caps->division) {
            return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                         "division not supported");
        }
        if (off != 0 && !(off == 1 && isa >= 4)) {
            return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                         "bad offset for div/mod");
        }
        return HERMES_EBPF_OK;
    }
    if (code == ALU_MOV && x && off != 0) {
        if (isa < 4 ||
            !(off == 8 || off == 16 || (is64 && off == 32))) {
            return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                         "bad offset for movsx");
        }
        return HERMES_EBPF_OK;
    }
    if (off != 0) {
        return vfail(v, HERMES_EBPF_ERR_INVALID_INSN, "reserved fields set");
    }
    return HERMES_EBPF_OK;
}

static HermesEbpfStatus validate_jmp(Validator *v, uint64_t w)
{
    uint8_t op = insn_op(w);
    bool is32 = OP_CLASS(op) == CLS_JMP32;
    bool x = op & OP_SRC_X;
    unsigned code = OP_CODE(op);
    int16_t off = insn_off(w);
    int32_t imm = insn_imm(w);
    unsigned isa = v->caps->isa_version;

    if (is32 && isa < 3) {
        return vfail(v, HERMES_EBPF_ERR_INVALID_INSN, "JMP32 needs ISA v3");
    }
    switch (code) {
    case JMP_JA:
        if (x || insn_dst(w) || insn_src(w)) {
            return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                         "reserved fields set");
        }
        if (is32) {
            if (isa < 4 || off != 0) {
                return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                             "gotol needs ISA v4 and off 0");
            }
            return check_target(v, imm);
        }
        if (imm != 0) {
            return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                         "reserved fields set");
        }
        return check_target(v, off);
    case JMP_CALL:
        if (x) {
            return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                         "callx (call through a register) not supported");
        }
        if (is32 || insn_dst(w) || off != 0) {
            return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                         "bad call encoding");
        }
        if (insn_src(w) == CALL_HELPER) {
            if (!v->caps->helper_calls) {
                return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                             "helper calls not supported");
            }
            return HERMES_EBPF_OK;
        }
        if (insn_src(w) == CALL_PSEUDO) {
            if (!v->caps->local_calls) {
                return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                             "bpf-to-bpf calls not supported");
            }
            return check_target(v, imm);
        }
        return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                     "unsupported call kind (kfunc?)");
    case JMP_EXIT:
        if (is32 || x || insn_dst(w) || insn_src(w) || off || imm) {
            return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                         "bad exit encoding");
        }
        return HERMES_EBPF_OK;
    case JMP_JLT:
    case JMP_JLE:
    case JMP_JSLT:
    case JMP_JSLE:
        if (isa < 2) {
            return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                         "jlt/jle/jslt/jsle need ISA v2");
        }
        /* fall through */
    case JMP_JEQ:
    case JMP_JGT:
    case JMP_JGE:
    case JMP_JSET:
    case JMP_JNE:
    case JMP_JSGT:
    case JMP_JSGE:
        if (x ? imm != 0 : insn_src(w) != 0) {
            return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                         "reserved fields set");
        }
        return check_target(v, off);
    default:
        return vfail(v, HERMES_EBPF_ERR_INVALID_INSN, "unknown jump op");
    }
}

static HermesEbpfStatus validate_mem(Validator *v, uint64_t w)
{
    uint8_t op = insn_op(w);
    unsigned mode = OP_MODE(op);
    unsigned size = OP_SIZE(op);
    int32_t imm = insn_imm(w);

    switch (OP_CLASS(op)) {
    case CLS_LD:
        if (mode == MODE_ABS || mode == MODE_IND) {
            return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                         "legacy LD_ABS/LD_IND not supported");
        }
        return vfail(v, HERMES_EBPF_ERR_INVALID_INSN, "unknown LD op");
    case CLS_LDX:
        if (insn_dst(w) == REG_FP) {
            return vfail(v, HERMES_EBPF_ERR_BAD_REG,
                         "write to read-only r10");
        }
        if (imm != 0) {
            return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                         "reserved fields set");
        }
        if (mode == MODE_MEM) {
            return HERMES_EBPF_OK;
        }
        if (mode == MODE_MEMSX && size != SZ_DW) {
            if (v->caps->isa_version < 4) {
                return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                             "sign-extending load needs ISA v4");
            }
            return HERMES_EBPF_OK;
        }
        return vfail(v, HERMES_EBPF_ERR_INVALID_INSN, "unknown LDX op");
    case CLS_ST:
        if (mode != MODE_MEM) {
            return vfail(v, HERMES_EBPF_ERR_INVALID_INSN, "unknown ST op");
        }
        if (insn_src(w) != 0) {
            return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                         "reserved fields set");
        }
        return HERMES_EBPF_OK;
    default: /* CLS_STX */
        if (mode == MODE_MEM) {
            if (imm != 0) {
                return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                             "reserved fields set");
            }
            return HERMES_EBPF_OK;
        }
        if (mode != MODE_ATOMIC || (size != SZ_W && size != SZ_DW)) {
            return vfail(v, HERMES_EBPF_ERR_INVALID_INSN, "unknown STX op");
        }
        if (!v->caps->atomics) {
            return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                         "atomics not supported");
        }
        switch (imm) {
        case ATOMIC_ADD:
            if (size == SZ_W && v->caps->isa_version < 3) {
                return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                             "32-bit atomics need ISA v3");
            }
            return HERMES_EBPF_OK;
        case ATOMIC_OR:
        case ATOMIC_AND:
        case ATOMIC_XOR:
        case ATOMIC_ADD | ATOMIC_FETCH:
        case ATOMIC_OR | ATOMIC_FETCH:
        case ATOMIC_AND | ATOMIC_FETCH:
        case ATOMIC_XOR | ATOMIC_FETCH:
        case ATOMIC_XCHG:
        case ATOMIC_CMPXCHG:
            if ((imm & ATOMIC_FETCH) && imm != ATOMIC_CMPXCHG &&
                insn_src(w) == REG_FP) {
                return vfail(v, HERMES_EBPF_ERR_BAD_REG,
                             "atomic fetch into read-only r10");
            }
            if (v->caps->isa_version < 3) {
                return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                             "this atomic op needs ISA v3");
            }
            return HERMES_EBPF_OK;
        default:
            return vfail(v, HERMES_EBPF_ERR_INVALID_INSN,
                         "unknown atomic op");
        }
    }
}

HermesEbpfStatus hermes_ebpf_validate(const uint64_t *insns, uint32_t ninsns,
                                      const HermesEbpfCaps *caps,
                                      uint32_t *bad_pc,
                                      char *errmsg, size_t errlen)
{
    Validator v = {
        .insns = insns, .n = ninsns, .caps = caps, .pc = 0,
        .msg = { .buf = errmsg, .len = errlen, .pos = 0 },
    };
    HermesEbpfStatus st = HERMES_EBPF_OK;
    uint32_t limit;
    uint64_t last;

    if (errmsg && errlen) {
        errmsg[0] = '\0';
    }
    if (bad_pc) {
        *bad_pc = 0;
    }
    if (!caps || caps->isa_version < 1 || caps->isa_version > 4) {
        msg_str(&v.msg, "bad capability set");
        return HERMES_EBPF_ERR_BAD_CONFIG;
    }
    if (ninsns == 0 || !insns) {
        msg_str(&v.msg, "empty program");
        return HERMES_EBPF_ERR_EMPTY;
    }
    limit = caps->max_insns;
    if (limit == 0 || limit > HERMES_EBPF_MAX_INSNS) {
        limit = HERMES_EBPF_MAX_INSNS;
    }
    if (ninsns > limit) {
        msg_str(&v.msg, "program too long: ");
        msg_num(&v.msg, ninsns, false);
        msg_str(&v.msg, " > ");
        msg_num(&v.msg, limit, false);
        return HERMES_EBPF_ERR_TOO_LONG;
    }
    /* Pass 1: lddw and its second slot */
    for (v.pc = 0; v.pc < ninsns; v.pc++) {
        uint64_t w = insns[v.pc];

        if (insn_op(w) != OPCODE_LDDW) {
            continue;
        }
        if (insn_dst(w) >= REG_FP) {
            st = vfail(&v, HERMES_EBPF_ERR_BAD_REG,
                       insn_dst(w) == REG_FP ? "write to read-only r10"
                                             : "register above r10");
            goto out;
        }
        if (insn_src(w) == HERMES_EBPF_PSEUDO_MAP_IDX &&
            caps->max_maps && insn_off(w) == 0) {
            if ((uint32_t)insn_imm(w) >= caps->max_maps ||
                caps->max_maps > HERMES_EBPF_MAX_MAPS) {
                st = vfail(&v, HERMES_EBPF_ERR_BAD_MAP,
                           "lddw names a map ID beyond the device's");
                goto out;
            }
        } else if (insn_off(w) != 0 ||
                   !((caps->lddw_src_mask | 1u) & (1u << insn_src(w)))) {
            st = vfail(&v, HERMES_EBPF_ERR_BAD_LDDW,
                       "lddw with unsupported src or offset");
            goto out;
        }
        if (v.pc + 1 >= ninsns) {
            st = vfail(&v, HERMES_EBPF_ERR_BAD_LDDW,
                       "lddw without second slot");
            goto out;
        }
        if ((insns[v.pc + 1] & 0xffffffffull) != 0 ||
            (insn_src(w) == HERMES_EBPF_PSEUDO_MAP_IDX &&
             insns[v.pc + 1] != 0)) {
            v.pc++;
            st = vfail(&v, HERMES_EBPF_ERR_BAD_LDDW,
                       "lddw second slot has reserved fields set");
            goto out;
        }
        v.pc++;
    }

    /* Pass 2: every other instruction */
    for (v.pc = 0; v.pc < ninsns; v.pc++) {
        uint64_t w = insns[v.pc];
        uint8_t op = insn_op(w);

        if (op == OPCODE_LDDW || is_lddw_second_slot(insns, v.pc)) {
            continue;
        }
        if (insn_src(w) > REG_FP || insn_dst(w) > REG_FP) {
            st = vfail(&v, HERMES_EBPF_ERR_BAD_REG, "register above r10");
            goto out;
        }
        switch (OP_CLASS(op)) {
        case CLS_ALU:
        case CLS_ALU64:
            st = validate_alu(&v, w);
            break;
        case CLS_JMP:
        case CLS_JMP32:
            st = validate_jmp(&v, w);
            break;
        default:
            st = validate_mem(&v, w);
            break;
        }
        if (st != HERMES_EBPF_OK) {
            goto out;
        }
    }

    /* The program must not run off its end */
    v.pc = ninsns - 1;
    last = insns[v.pc];
    if (!(insn_op(last) == (CLS_JMP | JMP_EXIT) ||
          insn_op(last) == (CLS_JMP | JMP_JA) ||
          insn_op(last) == (CLS_JMP32 | JMP_JA)) ||
        is_lddw_second_slot(insns, v.pc)) {
        st = vfail(&v, HERMES_EBPF_ERR_NO_EXIT,
                   "last instruction is not exit or ja");
        goto out;
    }
    return HERMES_EBPF_OK;

out:
    if (bad_pc) {
        *bad_pc = v.pc;
    }
    return st;
}

/* ------------------------------------------------------------------ */
/* Device maps                                                         */

static inline uint32_t round8(uint32_t v)
{
    return (v + 7u) & ~7u;
}

static uint32_t map_nbuckets(uint32_t max_entries)
{
    uint32_t n = 2;

    while (n < max_entries) {
        n <<= 1;
    }
    return n;
}

int hermes_ebpf_map_footprint(uint32_t type, uint32_t key_size,
                              uint32_t value_size, uint32_t max_entries,
                              uint64_t *bytes)
{
    uint64_t vstride = round8(value_size), kstride = round8(key_size);
    uint64_t sum;

    if (value_size < 1 || value_size > HERMES_EBPF_MAP_MAX_VALUE ||
        max_entries < 1 || max_entries > (1u << 31) ||
        (uint64_t)max_entries * vstride > (1ull << 32)) {
        return -HERMES_EBPF_EINVAL;
    }
    switch (type) {
    case HERMES_EBPF_MAP_ARRAY:
        if (key_size != 4) {
            return -HERMES_EBPF_EINVAL;
        }
        sum = (uint64_t)max_entries * vstride;
        break;
    case HERMES_EBPF_MAP_HASH:
        if (key_size < 1 || key_size > HERMES_EBPF_MAP_MAX_KEY) {
            return -HERMES_EBPF_EINVAL;
        }
        sum = 4ull * map_nbuckets(max_entries) +
              (uint64_t)max_entries * (8 + kstride + vstride);
        break;
    default:
        return -HERMES_EBPF_EINVAL;
    }
    *bytes = (sum + 63) & ~63ull;
    return 0;
}

static int map_setup(HermesEbpfMap *map, uint32_t type, uint32_t key_size,
                     uint32_t value_size, uint32_t max_entries, void *mem)
{
    uint64_t fp;
    int rc = hermes_ebpf_map_footprint(type, key_size, value_size,
                                       max_entries, &fp);

    if (rc < 0 || !mem || ((uintptr_t)mem & 7)) {
        return -HERMES_EBPF_EINVAL;
    }
    memset(map, 0, sizeof(*map));
    map->type = type;
    map->key_size = key_size;
    map->value_size = value_size;
    map->max_entries = max_entries;
    map->kstride = round8(key_size);
    map->vstride = round8(value_size);
    map->footprint = fp;
    map->mem = mem;
    if (type == HERMES_EBPF_MAP_HASH) {
        map->nbuckets = map_nbuckets(max_entries);
        map->links = map->mem + 4ull * map->nbuckets;
        map->keys = map->links + 8ull * max_entries;
        map->values = map->keys + (uint64_t)map->kstride * max_entries;
    } else {
        map->values = map->mem;
    }
    map->free_head = HERMES_EBPF_MAP_NIL;
    return 0;
}

/* Little-endian 32-bit words of map memory */
static inline uint32_t mem_ld32(const uint8_t *p)
{
    return ld_le32(p);
}

static inline void mem_st32(uint8_t *p, uint32_t v)
{
    st_le32(p, v);
}

static inline uint8_t *map_bucket(const HermesEbpfMap *map, uint32_t b)
{
    return map->mem + 4ull * b;
}

static inline uint8_t *map_link(const HermesEbpfMap *map, uint32_t i)
{
    return map->links + 8ull * i;
}

static inline uint8_t *map_key(const HermesEbpfMap *map, uint32_t i)
{
    return map->keys + (uint64_t)map->kstride * i;
}

static inline uint8_t *map_value(const HermesEbpfMap *map, uint32_t i)
{
    return map->values + (uint64_t)map->vstride * i;
}

/* An index read from map memory: NIL unless it names an element */
static inline uint32_t map_idx(const HermesEbpfMap *map, uint32_t i)
{
    return i < map->max_entries ? i : HERMES_EBPF_MAP_NIL;
}

int hermes_ebpf_map_init(HermesEbpfMap *map, uint32_t type, uint32_t key_size,
                         uint32_t value_size, uint32_t max_entries,
                         void *mem)
{
    uint32_t i;
    int rc = map_setup(map, type, key_size, value_size, max_entries, mem);

    if (rc < 0) {
        return rc;
    }
    memset(map->mem, 0, map->footprint);
    if (type == HERMES_EBPF_MAP_HASH) {
        for (i = 0; i < map->nbuckets; i++) {
            mem_st32(map_bucket(map, i), HERMES_EBPF_MAP_NIL);
        }
        for (i = 0; i < max_entries; i++) {
            mem_st32(map_link(map, i),
                     i + 1 < max_entries ? i + 1 : HERMES_EBPF_MAP_NIL);
        }
        map->free_head = 0;
    }
    return 0;
}

int hermes_ebpf_map_attach(HermesEbpfMap *map, uint32_t type,
                           uint32_t key_size, uint32_t value_size,
                           uint32_t max_entries, void *mem,
                           uint32_t free_head, uint32_t count)
{
    int rc = map_setup(map, type, key_size, value_size, max_entries, mem);

    if (rc < 0) {
        return rc;
    }
    if (type == HERMES_EBPF_MAP_HASH) {
        if (count > max_entries ||
            (free_head != HERMES_EBPF_MAP_NIL && free_head >= max_entries)) {
            return -HERMES_EBPF_EINVAL;
        }
        map->free_head = free_head;
        map->count = count;
    }
    return 0;
}

uint32_t hermes_ebpf_map_hash(const void *key, uint32_t len)
{
    const uint8_t *b = key;
    uint32_t h = 0x811c9dc5u;
    uint32_t i;

    for (i = 0; i < len; i++) {
        h = (h ^ b[i]) * 0x01000193u;
    }
    return h;
}

/* Is HERMES_EBPF_ABORT set in the abort flag @flag (NULL: none)? */
static inline bool map_aborted(const int *flag)
{
    return flag && (__atomic_load_n(flag, __ATOMIC_RELAXED) &
                    HERMES_EBPF_ABORT);
}

/* Elements or buckets a HASH walk visits between two polls of the flag */
#define MAP_POLL_STEPS          256
/* What a walk returns when it was aborted: never an element index */
#define MAP_ABORTED             0xfffffffeu

/* Take the lock of a HASH map; false, without it, when @abort is set. */
static inline bool map_lock(HermesEbpfMap *map, const int *abort)
{
    while (__atomic_exchange_n(&map->lock, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&map->lock, __ATOMIC_RELAXED)) {
            if (map_aborted(abort)) {
                return false;
            }
        }
    }
    return true;
}

static inline void map_unlock(HermesEbpfMap *map)
{
    __atomic_store_n(&map->lock, 0, __ATOMIC_RELEASE);
}

/*
 * HASH: the element holding @key (hash @h), NIL if none, MAP_ABORTED when
 * @abort was found set (polled before the first element and then every
 * MAP_POLL_STEPS); *@prev gets the element before it in the chain (NIL
 * when it is the head).  Under the lock.  At most max_entries steps, so a
 * corrupted chain cannot loop.
 */
static uint32_t hash_find(const HermesEbpfMap *map, const uint8_t *key,
                          uint32_t h, uint32_t *prev, const int *abort)
{
    uint32_t i = map_idx(map, mem_ld32(map_bucket(map,
                                                  h & (map->nbuckets - 1))));
    uint32_t p = HERMES_EBPF_MAP_NIL, steps;

    for (steps = 0; i != HERMES_EBPF_MAP_NIL && steps < map->max_entries;
         steps++) {
        const uint8_t *l = map_link(map, i);

        if (steps % MAP_POLL_STEPS == 0 && map_aborted(abort)) {
            return MAP_ABORTED;
        }
        if (mem_ld32(l + 4) == h &&
            !memcmp(map_key(map, i), key, map->key_size)) {
            if (prev) {
                *prev = p;
            }
            return i;
        }
        p = i;
        i = map_idx(map, mem_ld32(l));
    }
    return HERMES_EBPF_MAP_NIL;
}

/* ARRAY: the index of a key, NIL when out of range */
static inline uint32_t array_index(const HermesEbpfMap *map,
                                   const uint8_t *key)
{
    return map_idx(map, mem_ld32(key));
}

/*
 * The element of @key, NIL if none, MAP_ABORTED (takes the lock for
 * HASH).
 */
static uint32_t map_find(HermesEbpfMap *map, const uint8_t *key,
                         const int *abort)
{
    uint32_t i;

    if (map->type == HERMES_EBPF_MAP_ARRAY) {
        return array_index(map, key);
    }
    if (!map_lock(map, abort)) {
        return MAP_ABORTED;
    }
    i = hash_find(map, key, hermes_ebpf_map_hash(key, map->key_size), NULL,
                  abort);
    map_unlock(map);
    return i;
}

static int map_lookup(HermesEbpfMap *map, const void *key, void *value,
                      const int *abort)
{
    uint32_t i;

    if (map->type == HERMES_EBPF_MAP_ARRAY) {
        i = array_index(map, key);
        if (i == HERMES_EBPF_MAP_NIL) {
            return -HERMES_EBPF_ENOENT;
        }
        memcpy(value, map_value(map, i), map->value_size);
        return 0;
    }
    if (!map_lock(map, abort)) {
        return -HERMES_EBPF_EINTR;
    }
    i = hash_find(map, key, hermes_ebpf_map_hash(key, map->key_size), NULL,
                  abort);
    if (i < map->max_entries) {
        memcpy(value, map_value(map, i), map->value_size);
    }
    map_unlock(map);
    return i == MAP_ABORTED ? -HERMES_EBPF_EINTR :
           i == HERMES_EBPF_MAP_NIL ? -HERMES_EBPF_ENOENT : 0;
}

/* Copy a value in; the source may overlap the destination. */
static void map_store_value(HermesEbpfMap *map, uint32_t i, const void *value)
{
    uint8_t *v = map_value(map, i);

    memmove(v, value, map->value_size);
    memset(v + map->value_size, 0, map->vstride - map->value_size);
}

static int map_update(HermesEbpfMap *map, const void *key, const void *value,
                      uint64_t flags, const int *abort)
{
    uint8_t k[HERMES_EBPF_MAP_MAX_KEY];
    uint32_t h, i, b;

    if (flags > HERMES_EBPF_EXIST) {
        return -HERMES_EBPF_EINVAL;
    }
    if (map->type == HERMES_EBPF_MAP_ARRAY) {
        i = array_index(map, key);
        if (i == HERMES_EBPF_MAP_NIL) {
            return -HERMES_EBPF_E2BIG;
        }
        if (flags == HERMES_EBPF_NOEXIST) {
            return -HERMES_EBPF_EEXIST;
        }
        map_store_value(map, i, value);
        return 0;
    }
    /* the key may live in a value of this map: take a stable copy */
    memcpy(k, key, map->key_size);
    h = hermes_ebpf_map_hash(k, map->key_size);
    if (!map_lock(map, abort)) {
        return -HERMES_EBPF_EINTR;
    }
    i = hash_find(map, k, h, NULL, abort);
    if (i == MAP_ABORTED) {
        map_unlock(map);
        return -HERMES_EBPF_EINTR;
    }
    if (i != HERMES_EBPF_MAP_NIL) {
        if (flags == HERMES_EBPF_NOEXIST) {
            map_unlock(map);
            return -HERMES_EBPF_EEXIST;
        }
        map_store_value(map, i, value);
        map_unlock(map);
        return 0;
    }
    if (flags == HERMES_EBPF_EXIST) {
        map_unlock(map);
        return -HERMES_EBPF_ENOENT;
    }
    i = map_idx(map, map->free_head);
    if (i == HERMES_EBPF_MAP_NIL) {
        map_unlock(map);
        return -HERMES_EBPF_E2BIG;
    }
    map->free_head = map_idx(map, mem_ld32(map_link(map, i)));
    memcpy(map_key(map, i), k, map->key_size);
    memset(map_key(map, i) + map->key_size, 0, map->kstride - map->key_size);
    map_store_value(map, i, value);
    b = h & (map->nbuckets - 1);
    mem_st32(map_link(map, i), mem_ld32(map_bucket(map, b)));
    mem_st32(map_link(map, i) + 4, h);
    mem_st32(map_bucket(map, b), i);
    map->count++;
    map_unlock(map);
    return 0;
}

static int map_delete(HermesEbpfMap *map, const void *key, const int *abort)
{
    uint8_t k[HERMES_EBPF_MAP_MAX_KEY];
    uint32_t h, i, prev = HERMES_EBPF_MAP_NIL, next;

    if (map->type == HERMES_EBPF_MAP_ARRAY) {
        return -HERMES_EBPF_EINVAL;
    }
    memcpy(k, key, map->key_size);
    h = hermes_ebpf_map_hash(k, map->key_size);
    if (!map_lock(map, abort)) {
        return -HERMES_EBPF_EINTR;
    }
    i = hash_find(map, k, h, &prev, abort);
    if (i == HERMES_EBPF_MAP_NIL || i == MAP_ABORTED) {
        map_unlock(map);
        return i == MAP_ABORTED ? -HERMES_EBPF_EINTR : -HERMES_EBPF_ENOENT;
    }
    next = mem_ld32(map_link(map, i));
    if (prev == HERMES_EBPF_MAP_NIL) {
        mem_st32(map_bucket(map, h & (map->nbuckets - 1)), next);
    } else {
        mem_st32(map_link(map, prev), next);
    }
    mem_st32(map_link(map, i), map->free_head);
    map->free_head = i;
    if (map->count) {
        map->count--;
    }
    map_unlock(map);
    return 0;
}

/*
 * HASH: the first element from bucket @b on, NIL if none, MAP_ABORTED.
 * Under the lock.
 */
static uint32_t hash_first_from(const HermesEbpfMap *map, uint64_t b,
                                const int *abort)
{
    uint32_t i;

    for (; b < map->nbuckets; b++) {
        if (b % MAP_POLL_STEPS == 0 && map_aborted(abort)) {
            return MAP_ABORTED;
        }
        i = map_idx(map, mem_ld32(map_bucket(map, b)));
        if (i != HERMES_EBPF_MAP_NIL) {
            return i;
        }
    }
    return HERMES_EBPF_MAP_NIL;
}

static int map_get_next_key(HermesEbpfMap *map, const void *key,
                            void *next_key, const int *abort)
{
    uint8_t k[HERMES_EBPF_MAP_MAX_KEY];
    uint32_t h, i, n;

    if (map->type == HERMES_EBPF_MAP_ARRAY) {
        i = key ? array_index(map, key) : HERMES_EBPF_MAP_NIL;
        if (i == HERMES_EBPF_MAP_NIL) {
            n = 0;
        } else if (i + 1 == map->max_entries) {
            return -HERMES_EBPF_ENOENT;
        } else {
            n = i + 1;
        }
        mem_st32(next_key, n);
        return 0;
    }
    if (key) {
        memcpy(k, key, map->key_size);
    }
    if (!map_lock(map, abort)) {
        return -HERMES_EBPF_EINTR;
    }
    n = HERMES_EBPF_MAP_NIL;
    i = HERMES_EBPF_MAP_NIL;
    if (key) {
        h = hermes_ebpf_map_hash(k, map->key_size);
        i = hash_find(map, k, h, NULL, abort);
        if (i == MAP_ABORTED) {
            n = MAP_ABORTED;
        } else if (i != HERMES_EBPF_MAP_NIL) {
            n = map_idx(map, mem_ld32(map_link(map, i)));
            if (n == HERMES_EBPF_MAP_NIL) {
                n = hash_first_from(map,
                                    (uint64_t)(h & (map->nbuckets - 1)) + 1,
                                    abort);
            }
        }
    }
    if (i == HERMES_EBPF_MAP_NIL) {
        n = hash_first_from(map, 0, abort);
    }
    if (n < map->max_entries) {
        memcpy(next_key, map_key(map, n), map->key_size);
    }
    map_unlock(map);
    return n == MAP_ABORTED ? -HERMES_EBPF_EINTR :
           n == HERMES_EBPF_MAP_NIL ? -HERMES_EBPF_ENOENT : 0;
}

int hermes_ebpf_map_lookup(HermesEbpfMap *map, const void *key, void *value)
{
    return map_lookup(map, key, value, NULL);
}

int hermes_ebpf_map_update(HermesEbpfMap *map, const void *key,
                           const void *value, uint64_t flags)
{
    return map_update(map, key, value, flags, NULL);
}

int hermes_ebpf_map_delete(HermesEbpfMap *map, const void *key)
{
    return map_delete(map, key, NULL);
}

int hermes_ebpf_map_get_next_key(HermesEbpfMap *map, const void *key,
                                 void *next_key)
{
    return map_get_next_key(map, key, next_key, NULL);
}

int hermes_ebpf_map_op(HermesEbpfMap *map, HermesEbpfMapOp op,
                       const void *key, void *value, uint64_t flags,
                       const int *abort_flag)
{
    switch (op) {
    case HERMES_EBPF_MAP_OP_LOOKUP:
        return map_lookup(map, key, value, abort_flag);
    case HERMES_EBPF_MAP_OP_UPDATE:
        return map_update(map, key, value, flags, abort_flag);
    case HERMES_EBPF_MAP_OP_DELETE:
        return map_delete(map, key, abort_flag);
    case HERMES_EBPF_MAP_OP_GET_NEXT_KEY:
        return map_get_next_key(map, key, value, abort_flag);
    default:
        return -HERMES_EBPF_EINVAL;
    }
}

/* ------------------------------------------------------------------ */
/* Execution                                                           */

typedef struct Frame {
    uint64_t saved[4];          /* r6..r9 of the caller */
    uint32_t ret_pc;
} Frame;

struct HermesEbpfVm {
    const HermesEbpfRegion *regions;
    size_t nregions;
    uint8_t *stack_host;
    uint64_t stack_addr;        /* lowest byte of the whole stack area */
    uint64_t stack_lo;          /* lowest byte of the current frame */
    uint64_t stack_top;         /* one past the top of frame 0 */
    HermesEbpfMap *const *maps;
    uint32_t nmaps;
};

/* Is [addr, addr + size) inside [base, base + len)?  Overflow-safe. */
static inline bool range_in(uint64_t addr, uint64_t size,
                            uint64_t base, uint64_t len)
{
    uint64_t off = addr - base;

    return addr >= base && off <= len && size <= len - off;
}

/*
 * A map value address: [addr, addr + size) must lie inside one value of a
 * map of the run (its value_size bytes, not the padding to vstride).
 */
static void *map_translate(const HermesEbpfVm *vm, uint64_t addr,
                           uint64_t size)
{
    uint64_t m = (addr - HERMES_EBPF_MAP_BASE) >> 32;
    uint32_t off = (uint32_t)addr, elem, byte;
    const HermesEbpfMap *map;

    if (m >= vm->nmaps || !vm->maps[m]) {
        return NULL;
    }
    map = vm->maps[m];
    elem = off / map->vstride;
    byte = off % map->vstride;
    if (elem >= map->max_entries || byte >= map->value_size ||
        size > map->value_size - byte) {
        return NULL;
    }
    return map->values + off;
}

static inline void *vm_translate(const HermesEbpfVm *vm, uint64_t addr,
                                 uint64_t size, uint32_t flags)
{
    size_t i;

    if (range_in(addr, size, vm->stack_lo, vm->stack_top - vm->stack_lo)) {
        return vm->stack_host + (addr - vm->stack_addr);
    }
    if (vm->nmaps && (addr >> 40) == 1) {
        return map_translate(vm, addr, size);
    }
    for (i = 0; i < vm->nregions; i++) {
        const HermesEbpfRegion *r = &vm->regions[i];

        if (range_in(addr, size, r->addr, r->len)) {
            if ((r->flags & flags) != flags || !r->host) {
                return NULL;
            }
            return (uint8_t *)r->host + (addr - r->addr);
        }
    }
    return NULL;
}

void *hermes_ebpf_translate(HermesEbpfVm *vm, uint64_t addr, uint64_t len,
                            uint32_t flags)
{
    if (!vm) {
        return NULL;
    }
    return vm_translate(vm, addr, len, flags);
}

/*
 * Atomic read-modify-write of a little-endian 32/64-bit value.  A
 * compare-and-swap loop keeps the memory representation little-endian on
 * every host and gives one code path for all operations.
 */
static uint64_t atomic_rmw(void *p, unsigned size, int32_t aop,
                           uint64_t src, uint64_t *r0)
{
    if (size == 4) {
        uint32_t *q = p;
        uint32_t oldm = __atomic_load_n(q, __ATOMIC_RELAXED);
        uint32_t old, val, newm;

        for (;;) {
            old = le32_host(oldm);
            switch (aop & ~ATOMIC_FETCH) {
            case ATOMIC_ADD:
                val = old + (uint32_t)src;
                break;
            case ATOMIC_OR:
                val = old | (uint32_t)src;
                break;
            case ATOMIC_AND:
                val = old & (uint32_t)src;
                break;
            case ATOMIC_XOR:
                val = old ^ (uint32_t)src;
                break;
            case ATOMIC_XCHG & ~ATOMIC_FETCH:
                val = (uint32_t)src;
                break;
            default: /* cmpxchg */
                val = (old == (uint32_t)*r0) ? (uint32_t)src : old;
                break;
            }
            newm = le32_host(val);
            if (__atomic_compare_exchange_n(q, &oldm, newm, false,
                                            __ATOMIC_SEQ_CST,
                                            __ATOMIC_RELAXED)) {
                break;
            }
        }
        return old;
    } else {
        uint64_t *q = p;
        uint64_t oldm = __atomic_load_n(q, __ATOMIC_RELAXED);
        uint64_t old, val, newm;

        for (;;) {
            old = le64_host(oldm);
            switch (aop & ~ATOMIC_FETCH) {
            case ATOMIC_ADD:
                val = old + src;
                break;
            case ATOMIC_OR:
                val = old | src;
                break;
            case ATOMIC_AND:
                val = old & src;
                break;
            case ATOMIC_XOR:
                val = old ^ src;
                break;
            case ATOMIC_XCHG & ~ATOMIC_FETCH:
                val = src;
                break;
            default: /* cmpxchg */
                val = (old == *r0) ? src : old;
                break;
            }
            newm = le64_host(val);
            if (__atomic_compare_exchange_n(q, &oldm, newm, false,
                                            __ATOMIC_SEQ_CST,
                                            __ATOMIC_RELAXED)) {
                break;
            }
        }
        return old;
    }
}

/*
 * A poll point of a run: must it stop (FAULT_ABORTED)?  Any value of the
 * abort flag stops it, but with a poll callback only HERMES_EBPF_ABORT
 * does: other bits make the run call it, and it may wait there.
 */
static bool abort_poll(const HermesEbpfRunConfig *cfg, int flag)
{
    if (!cfg->poll || (flag & HERMES_EBPF_ABORT)) {
        return true;
    }
    cfg->poll(cfg->poll_opaque);
    return map_aborted(cfg->abort_flag);
}

static inline bool abort_requested(const HermesEbpfRunConfig *cfg)
{
    int flag;

    if (!cfg->abort_flag) {
        return false;
    }
    flag = __atomic_load_n(cfg->abort_flag, __ATOMIC_RELAXED);
    return flag && abort_poll(cfg, flag);
}

/* 32-bit signed division and modulo on zero-extended operands */
static inline uint32_t sdiv32(uint32_t a, uint32_t b)
{
    return (uint32_t)sdiv64(sext(a, 32), sext(b, 32));
}

static inline uint32_t smod32(uint32_t a, uint32_t b)
{
    return (uint32_t)smod64(sext(a, 32), sext(b, 32));
}

/* Signed views; conversions to signed types wrap with GCC and clang */
static inline int64_t s64(uint64_t v)
{
    return (int64_t)v;
}

static inline int32_t s32(uint32_t v)
{
    return (int32_t)v;
}

/* LDX: returns false (and fills the fault report) when out of bounds */
static inline bool do_load(const HermesEbpfVm *vm, uint64_t *reg, uint64_t w,
                           unsigned size, bool sign, HermesEbpfResult *res)
{
    uint64_t addr = reg[insn_src(w)] + (uint64_t)(int64_t)insn_off(w);
    const uint8_t *p = vm_translate(vm, addr, size, HERMES_EBPF_MEM_READ);
    uint64_t v;

    if (!p) {
        res->fault_addr = addr;
        res->fault_size = size;
        return false;
    }
    v = ld_le(p, size);
    reg[insn_dst(w)] = sign ? sext(v, size * 8) : v;
    return true;
}

/* ST and STX: returns false (and fills the fault report) when out of bounds */
static inline bool do_store(const HermesEbpfVm *vm, const uint64_t *reg,
                            uint64_t w, unsigned size, uint64_t val,
                            HermesEbpfResult *res)
{
    uint64_t addr = reg[insn_dst(w)] + (uint64_t)(int64_t)insn_off(w);
    uint8_t *p = vm_translate(vm, addr, size, HERMES_EBPF_MEM_WRITE);

    if (!p) {
        res->fault_addr = addr;
        res->fault_size = size;
        return false;
    }
    st_le(p, size, val);
    return true;
}

/* Atomic STX; returns the run status */
static HermesEbpfStatus do_atomic(const HermesEbpfVm *vm, uint64_t *reg,
                                  uint64_t w, HermesEbpfResult *res)
{
    unsigned size = OP_SIZE(insn_op(w)) == SZ_W ? 4 : 8;
    uint64_t addr = reg[insn_dst(w)] + (uint64_t)(int64_t)insn_off(w);
    int32_t aop = insn_imm(w);
    uint64_t old;
    uint8_t *p;

    switch (aop) {
    case ATOMIC_ADD:
    case ATOMIC_OR:
    case ATOMIC_AND:
    case ATOMIC_XOR:
    case ATOMIC_ADD | ATOMIC_FETCH:
    case ATOMIC_OR | ATOMIC_FETCH:
    case ATOMIC_AND | ATOMIC_FETCH:
    case ATOMIC_XOR | ATOMIC_FETCH:
    case ATOMIC_XCHG:
    case ATOMIC_CMPXCHG:
        break;
    default:
        return HERMES_EBPF_ERR_INVALID_INSN;
    }
    res->fault_addr = addr;
    res->fault_size = size;
    if (addr & (size - 1)) {
        return HERMES_EBPF_FAULT_MISALIGNED;
    }
    p = vm_translate(vm, addr, size, HERMES_EBPF_MEM_RW);
    if (!p) {
        return HERMES_EBPF_FAULT_STORE;
    }
    if ((uintptr_t)p & (size - 1)) {
        /* host backing misaligned: an embedder bug, refuse */
        return HERMES_EBPF_FAULT_MISALIGNED;
    }
    res->fault_addr = 0;
    res->fault_size = 0;
    old = atomic_rmw(p, size, aop, reg[insn_src(w)], &reg[0]);
    if (aop == ATOMIC_CMPXCHG) {
        reg[0] = old;
    } else if (aop & ATOMIC_FETCH) {
        reg[insn_src(w)] = old;
    }
    return HERMES_EBPF_OK;
}

/*
 * The map helpers: args are r1..r5, *r0 the result.  Returns OK, or the
 * fault that stops the run (with res filled in).
 */
static HermesEbpfStatus map_helper(const HermesEbpfVm *vm, uint32_t id,
                                   const uint64_t *args, uint64_t *r0,
                                   HermesEbpfResult *res, const int *abort)
{
    uint64_t ref = args[0], m = (ref - HERMES_EBPF_MAP_BASE) >> 32;
    HermesEbpfMap *map;
    const uint8_t *key, *value = NULL;
    uint32_t i;
    int rc;

    if ((ref >> 40) != 1 || (uint32_t)ref || m >= vm->nmaps ||
        !vm->maps[m]) {
        res->helper_id = id;
        res->helper_err = -HERMES_EBPF_EINVAL;
        return HERMES_EBPF_FAULT_HELPER;
    }
    map = vm->maps[m];
    key = vm_translate(vm, args[1], map->key_size, HERMES_EBPF_MEM_READ);
    if (!key) {
        res->fault_addr = args[1];
        res->helper_id = id;
        return HERMES_EBPF_FAULT_LOAD;
    }
    if (id == HERMES_EBPF_FUNC_MAP_UPDATE) {
        value = vm_translate(vm, args[2], map->value_size,
                             HERMES_EBPF_MEM_READ);
        if (!value) {
            res->fault_addr = args[2];
            res->helper_id = id;
            return HERMES_EBPF_FAULT_LOAD;
        }
    }
    switch (id) {
    case HERMES_EBPF_FUNC_MAP_LOOKUP:
        i = map_find(map, key, abort);
        if (i == MAP_ABORTED) {
            return HERMES_EBPF_FAULT_ABORTED;
        }
        *r0 = i == HERMES_EBPF_MAP_NIL ? 0 :
              ref + (uint64_t)map->vstride * i;
        return HERMES_EBPF_OK;
    case HERMES_EBPF_FUNC_MAP_UPDATE:
        rc = map_update(map, key, value, args[3], abort);
        break;
    default:
        rc = map_delete(map, key, abort);
        break;
    }
    if (rc == -HERMES_EBPF_EINTR) {
        return HERMES_EBPF_FAULT_ABORTED;
    }
    *r0 = (uint64_t)(int64_t)rc;
    return HERMES_EBPF_OK;
}

HermesEbpfStatus hermes_ebpf_run(const uint64_t *insns, uint32_t ninsns,
                                 const HermesEbpfRegion *regions,
                                 size_t nregions,
                                 const HermesEbpfRunConfig *cfg,
                                 HermesEbpfResult *res)
{
    uint64_t local_stack[HERMES_EBPF_MAX_CALL_DEPTH *
                         HERMES_EBPF_DEFAULT_STACK_SIZE / 8];
    Frame frames[HERMES_EBPF_MAX_CALL_DEPTH];
    uint64_t reg[16];
    HermesEbpfVm vm;
    HermesEbpfStatus st = HERMES_EBPF_OK;
    uint64_t budget, executed = 0;
    uint64_t stack_size, total;
    unsigned depth = 0;
    uint32_t pc = 0;

    memset(res, 0, sizeof(*res));
    if (!cfg || !insns || ninsns == 0) {
        res->status = HERMES_EBPF_ERR_BAD_CONFIG;
        return res->status;
    }
    stack_size = cfg->stack_size ? cfg->stack_size
                                 : HERMES_EBPF_DEFAULT_STACK_SIZE;
    total = stack_size * HERMES_EBPF_MAX_CALL_DEPTH;
    if (stack_size % 8 || stack_size > HERMES_EBPF_MAX_STACK_SIZE ||
        cfg->stack_addr > UINT64_MAX - total ||
        (!cfg->stack_host && stack_size > HERMES_EBPF_DEFAULT_STACK_SIZE) ||
        (nregions && !regions) || cfg->nmaps > HERMES_EBPF_MAX_MAPS ||
        (cfg->nmaps && !cfg->maps)) {
        res->status = HERMES_EBPF_ERR_BAD_CONFIG;
        return res->status;
    }
    budget = cfg->budget ? cfg->budget : HERMES_EBPF_DEFAULT_BUDGET;

    vm.regions = regions;
    vm.nregions = nregions;
    vm.maps = cfg->maps;
    vm.nmaps = cfg->nmaps;
    vm.stack_host = cfg->stack_host ? cfg->stack_host
                                    : (uint8_t *)local_stack;
    vm.stack_addr = cfg->stack_addr;
    vm.stack_top = cfg->stack_addr + total;
    vm.stack_lo = vm.stack_top - stack_size;
    memset(vm.stack_host + (vm.stack_lo - vm.stack_addr), 0, stack_size);

    memset(reg, 0, sizeof(reg));
    memcpy(&reg[1], cfg->args, sizeof(cfg->args));
    reg[REG_FP] = vm.stack_top;

    if (abort_requested(cfg)) {
        st = HERMES_EBPF_FAULT_ABORTED;
        goto out;
    }

    for (;;) {
        uint64_t w, a, b;
        uint32_t a32, b32;
        int64_t off;
        unsigned dst;
        uint8_t op;

        if (pc >= ninsns) {
            /* only reachable by an unvalidated program */
            st = HERMES_EBPF_ERR_BAD_JUMP;
            break;
        }
        if (executed >= budget) {
            st = HERMES_EBPF_FAULT_BUDGET;
            break;
        }
        executed++;
        if ((executed % HERMES_EBPF_ABORT_POLL_INTERVAL) == 0 &&
            abort_requested(cfg)) {
            st = HERMES_EBPF_FAULT_ABORTED;
            break;
        }
        w = insns[pc];
        op = insn_op(w);
        dst = insn_dst(w);
        off = insn_off(w);
        /* Operands of ALU and JMP: dst and the register or immediate */
        a = reg[dst];
        b = (op & OP_SRC_X) ? reg[insn_src(w)] : (uint64_t)(int64_t)insn_imm(w);
        a32 = (uint32_t)a;
        b32 = (uint32_t)b;

        /*
         * One dispatch per instruction.  For ALU and JMP (classes 4..7)
         * the source bit is dropped from the key: the operand is in b.
         */
        switch (op & ((op & 0x04) ? ~OP_SRC_X : 0xff)) {
        case CLS_ALU64 | ALU_ADD:
            reg[dst] = a + b;
            break;
        case CLS_ALU | ALU_ADD:
            reg[dst] = a32 + b32;
            break;
        case CLS_ALU64 | ALU_SUB:
            reg[dst] = a - b;
            break;
        case CLS_ALU | ALU_SUB:
            reg[dst] = a32 - b32;
            break;
        case CLS_ALU64 | ALU_MUL:
            reg[dst] = a * b;
            break;
        case CLS_ALU | ALU_MUL:
            reg[dst] = a32 * b32;
            break;
        case CLS_ALU64 | ALU_DIV:
            reg[dst] = off ? sdiv64(a, b) : b ? a / b : 0;
            break;
        case CLS_ALU | ALU_DIV:
            reg[dst] = off ? sdiv32(a32, b32) : b32 ? a32 / b32 : 0;
            break;
        case CLS_ALU64 | ALU_MOD:
            reg[dst] = off ? smod64(a, b) : b ? a % b : a;
            break;
        case CLS_ALU | ALU_MOD:
            reg[dst] = off ? smod32(a32, b32) : b32 ? a32 % b32 : a32;
            break;
        case CLS_ALU64 | ALU_OR:
            reg[dst] = a | b;
            break;
        case CLS_ALU | ALU_OR:
            reg[dst] = a32 | b32;
            break;
        case CLS_ALU64 | ALU_AND:
            reg[dst] = a & b;
            break;
        case CLS_ALU | ALU_AND:
            reg[dst] = a32 & b32;
            break;
        case CLS_ALU64 | ALU_XOR:
            reg[dst] = a ^ b;
            break;
        case CLS_ALU | ALU_XOR:
            reg[dst] = a32 ^ b32;
            break;
        case CLS_ALU64 | ALU_LSH:
            reg[dst] = a << (b & 63);
            break;
        case CLS_ALU | ALU_LSH:
            reg[dst] = a32 << (b32 & 31);
            break;
        case CLS_ALU64 | ALU_RSH:
            reg[dst] = a >> (b & 63);
            break;
        case CLS_ALU | ALU_RSH:
            reg[dst] = a32 >> (b32 & 31);
            break;
        case CLS_ALU64 | ALU_ARSH:
            reg[dst] = arsh64(a, b & 63);
            break;
        case CLS_ALU | ALU_ARSH:
            reg[dst] = arsh32(a32, b32 & 31);
            break;
        case CLS_ALU64 | ALU_NEG:
            reg[dst] = -a;
            break;
        case CLS_ALU | ALU_NEG:
            reg[dst] = (uint32_t)-a32;
            break;
        case CLS_ALU64 | ALU_MOV:
            /* with a register source, off 8/16/32 makes it movsx */
            reg[dst] = (op & OP_SRC_X) && off > 0 && off <= 32 ? sext(b, off)
                                                                 : b;
            break;
        case CLS_ALU | ALU_MOV:
            reg[dst] = (op & OP_SRC_X) && off > 0 && off <= 32
                       ? (uint32_t)sext(b32, off) : b32;
            break;
        case CLS_ALU | ALU_END:
            /*
             * K: to little endian (the device is little-endian): truncate;
             * X: to big endian: swap.
             */
            switch (insn_imm(w)) {
            case 16:
                reg[dst] = (op & OP_SRC_X) ? bswap16((uint16_t)a)
                                           : (uint16_t)a;
                break;
            case 32:
                reg[dst] = (op & OP_SRC_X) ? bswap32(a32) : a32;
                break;
            case 64:
                reg[dst] = (op & OP_SRC_X) ? bswap64(a) : a;
                break;
            default:
                st = HERMES_EBPF_ERR_INVALID_INSN;
                goto out;
            }
            break;
        case CLS_ALU64 | ALU_END:
            /* bswap, unconditional; only the K form exists */
            if (op & OP_SRC_X) {
                st = HERMES_EBPF_ERR_INVALID_INSN;
                goto out;
            }
            switch (insn_imm(w)) {
            case 16:
                reg[dst] = bswap16((uint16_t)a);
                break;
            case 32:
                reg[dst] = bswap32(a32);
                break;
            case 64:
                reg[dst] = bswap64(a);
                break;
            default:
                st = HERMES_EBPF_ERR_INVALID_INSN;
                goto out;
            }
            break;

        case CLS_JMP | JMP_JEQ:
            if (a == b) {
                goto jump;
            }
            break;
        case CLS_JMP32 | JMP_JEQ:
            if (a32 == b32) {
                goto jump;
            }
            break;
        case CLS_JMP | JMP_JNE:
            if (a != b) {
                goto jump;
            }
            break;
        case CLS_JMP32 | JMP_JNE:
            if (a32 != b32) {
                goto jump;
            }
            break;
        case CLS_JMP | JMP_JGT:
            if (a > b) {
                goto jump;
            }
            break;
        case CLS_JMP32 | JMP_JGT:
            if (a32 > b32) {
                goto jump;
            }
            break;
        case CLS_JMP | JMP_JGE:
            if (a >= b) {
                goto jump;
            }
            break;
        case CLS_JMP32 | JMP_JGE:
            if (a32 >= b32) {
                goto jump;
            }
            break;
        case CLS_JMP | JMP_JLT:
            if (a < b) {
                goto jump;
            }
            break;
        case CLS_JMP32 | JMP_JLT:
            if (a32 < b32) {
                goto jump;
            }
            break;
        case CLS_JMP | JMP_JLE:
            if (a <= b) {
                goto jump;
            }
            break;
        case CLS_JMP32 | JMP_JLE:
            if (a32 <= b32) {
                goto jump;
            }
            break;
        case CLS_JMP | JMP_JSET:
            if (a & b) {
                goto jump;
            }
            break;
        case CLS_JMP32 | JMP_JSET:
            if (a32 & b32) {
                goto jump;
            }
            break;
        case CLS_JMP | JMP_JSGT:
            if (s64(a) > s64(b)) {
                goto jump;
            }
            break;
        case CLS_JMP32 | JMP_JSGT:
            if (s32(a32) > s32(b32)) {
                goto jump;
            }
            break;
        case CLS_JMP | JMP_JSGE:
            if (s64(a) >= s64(b)) {
                goto jump;
            }
            break;
        case CLS_JMP32 | JMP_JSGE:
            if (s32(a32) >= s32(b32)) {
                goto jump;
            }
            break;
        case CLS_JMP | JMP_JSLT:
            if (s64(a) < s64(b)) {
                goto jump;
            }
            break;
        case CLS_JMP32 | JMP_JSLT:
            if (s32(a32) < s32(b32)) {
                goto jump;
            }
            break;
        case CLS_JMP | JMP_JSLE:
            if (s64(a) <= s64(b)) {
                goto jump;
            }
            break;
        case CLS_JMP32 | JMP_JSLE:
            if (s32(a32) <= s32(b32)) {
                goto jump;
            }
            break;
        case CLS_JMP | JMP_JA:
            goto jump;
        case CLS_JMP32 | JMP_JA:
            /* gotol: the offset is in imm */
            off = insn_imm(w);
            goto jump;

        case CLS_JMP | JMP_EXIT:
            if (depth == 0) {
                goto out;
            }
            depth--;
            memcpy(&reg[6], frames[depth].saved, sizeof(frames[0].saved));
            pc = frames[depth].ret_pc;
            vm.stack_lo += stack_size;
            reg[REG_FP] = vm.stack_lo + stack_size;
            continue;

        case CLS_JMP | JMP_CALL:
            if (insn_src(w) == CALL_PSEUDO && !(op & OP_SRC_X)) {
                if (depth + 1 >= HERMES_EBPF_MAX_CALL_DEPTH) {
                    st = HERMES_EBPF_FAULT_CALL_DEPTH;
                    goto out;
                }
                if (abort_requested(cfg)) {
                    st = HERMES_EBPF_FAULT_ABORTED;
                    goto out;
                }
                memcpy(frames[depth].saved, &reg[6], sizeof(frames[0].saved));
                frames[depth].ret_pc = pc + 1;
                depth++;
                vm.stack_lo -= stack_size;
                reg[REG_FP] = vm.stack_lo + stack_size;
                memset(vm.stack_host + (vm.stack_lo - vm.stack_addr), 0,
                       stack_size);
                pc = pc + 1 + (uint32_t)insn_imm(w);
                continue;
            }
            if (insn_src(w) == CALL_HELPER && !(op & OP_SRC_X)) {
                uint32_t id = (uint32_t)insn_imm(w);
                uint64_t ret = 0;
                int rc;

                if (vm.nmaps && id >= HERMES_EBPF_FUNC_MAP_LOOKUP &&
                    id <= HERMES_EBPF_FUNC_MAP_DELETE) {
                    st = map_helper(&vm, id, &reg[1], &reg[0], res,
                                    cfg->abort_flag);
                    if (st != HERMES_EBPF_OK) {
                        goto out;
                    }
                    /* one walk of a long hash chain is all an abort waits */
                    if (abort_requested(cfg)) {
                        st = HERMES_EBPF_FAULT_ABORTED;
                        goto out;
                    }
                    break;
                }
                rc = cfg->helper ? cfg->helper(cfg->helper_opaque, id,
                                               &reg[1], &vm, &ret)
                                 : -1;
                if (rc < 0) {
                    res->helper_id = (uint32_t)insn_imm(w);
                    res->helper_err = rc;
                    st = HERMES_EBPF_FAULT_HELPER;
                    goto out;
                }
                reg[0] = ret;
                if (rc == HERMES_EBPF_HELPER_STOP) {
                    goto out;
                }
                if (abort_requested(cfg)) {
                    st = HERMES_EBPF_FAULT_ABORTED;
                    goto out;
                }
                break;
            }
            st = HERMES_EBPF_ERR_INVALID_INSN;
            goto out;

        case CLS_LDX | MODE_MEM | SZ_B:
        case CLS_LDX | MODE_MEM | SZ_H:
        case CLS_LDX | MODE_MEM | SZ_W:
        case CLS_LDX | MODE_MEM | SZ_DW:
        case CLS_LDX | MODE_MEMSX | SZ_B:
        case CLS_LDX | MODE_MEMSX | SZ_H:
        case CLS_LDX | MODE_MEMSX | SZ_W:
            if (!do_load(&vm, reg, w, access_bytes(op),
                         OP_MODE(op) == MODE_MEMSX, res)) {
                st = HERMES_EBPF_FAULT_LOAD;
                goto out;
            }
            break;

        case CLS_ST | MODE_MEM | SZ_B:
        case CLS_STX | MODE_MEM | SZ_B:
        case CLS_ST | MODE_MEM | SZ_H:
        case CLS_STX | MODE_MEM | SZ_H:
        case CLS_ST | MODE_MEM | SZ_W:
        case CLS_STX | MODE_MEM | SZ_W:
        case CLS_ST | MODE_MEM | SZ_DW:
        case CLS_STX | MODE_MEM | SZ_DW:
            /* ST: the immediate is sign-extended to 64 bits */
            if (!do_store(&vm, reg, w, access_bytes(op),
                          OP_CLASS(op) == CLS_ST ?
                          (uint64_t)(int64_t)insn_imm(w) : reg[insn_src(w)],
                          res)) {
                st = HERMES_EBPF_FAULT_STORE;
                goto out;
            }
            break;

        case CLS_STX | MODE_ATOMIC | SZ_W:
        case CLS_STX | MODE_ATOMIC | SZ_DW:
            st = do_atomic(&vm, reg, w, res);
            if (st != HERMES_EBPF_OK) {
                goto out;
            }
            break;

        case OPCODE_LDDW:
            if (pc + 1 >= ninsns) {
                st = HERMES_EBPF_ERR_INVALID_INSN;
                goto out;
            }
            if (insn_src(w) == HERMES_EBPF_PSEUDO_MAP_IDX) {
                reg[dst] = HERMES_EBPF_MAP_REF((uint32_t)(w >> 32));
            } else {
                reg[dst] = (uint32_t)(w >> 32) |
                           (insns[pc + 1] & 0xffffffff00000000ull);
            }
            pc++;
            break;

        default:
            st = HERMES_EBPF_ERR_INVALID_INSN;
            goto out;
        }
        pc++;
        continue;

jump:
        if (off < 0 && abort_requested(cfg)) {
            st = HERMES_EBPF_FAULT_ABORTED;
            goto out;
        }
        pc = pc + 1 + (uint32_t)off;
    }

out:
    res->status = st;
    res->r0 = reg[0];
    res->pc = pc;
    res->insns = executed;
    return st;
}

/* ------------------------------------------------------------------ */
/* Threaded interpreter                                                */

/*
 * The decoded form of a program (hermes_ebpf_decode()): one DInsn per
 * instruction slot, in program order, plus one past the end (falling off
 * the program).  Each names its handler by address (computed goto, a GNU
 * C extension GCC and clang share), with the operands it needs already
 * extracted: constant access sizes, immediates sign-extended (shift counts
 * masked), lddw's 64-bit value, jump targets (DINSN_AT()).  A wide
 * instruction keeps its second slot decoded as an instruction of its own,
 * exactly as the reference interpreter treats a jump into it.
 *
 * Budget: @blen is the number of instructions a run executes from this
 * slot to the next control transfer (jump, call, exit, or an invalid
 * instruction) if nothing faults.  Only a control transfer enters a slot
 * other than the next one, so the run charges a whole straight-line run
 * of instructions when it enters it, and takes the instruction count of
 * a fault back from @blen of the faulting slot.  Only where the budget or
 * an abort poll (every HERMES_EBPF_ABORT_POLL_INTERVAL instructions) falls
 * inside such a run does it stop at that one instruction.
 */
typedef struct DInsn {
    const void *h;              /* handler */
    union {
        uint64_t imm;           /* operand, lddw value, ST value */
        struct {
            int32_t k;          /* compared immediate, helper ID, atomic op */
            int32_t tgt;        /* jump or call target: DINSN_AT() */
        } j;
    } u;
    uint32_t blen;
    uint8_t dst;
    uint8_t src;                /* DINSN_WIDE: lddw, two slots */
    int16_t off;                /* memory offset; movsx: source bits */
} DInsn;

#define DINSN_WIDE      0xff

/*
 * A jump target is kept as the byte offset of its slot from the jump's
 * own, so that a taken jump finds it with one add to the slot pointer,
 * not a multiply nor the program's base: a loop's back edge is on the
 * chain of loads from slot to slot (HERMES_EBPF_MAX_INSNS slots of 24
 * bytes fit in 32 bits either way).  A backward jump has tgt <= 0.
 */
#define DINSN_AT(ip, tgt) \
    ((const DInsn *)((const char *)(ip) + (tgt)))

/* The next slot of a straight-line run */
static inline const DInsn *dinsn_next(const DInsn *ip)
{
    return ip + (ip->src == DINSN_WIDE ? 2 : 1);
}

struct HermesEbpfCode {
    const uint64_t *insns;
    uint32_t ninsns;
    /* a jump or call leaves the program: only the reference can say how */
    bool ref_only;
    /* native code (hermes_ebpf_jit()), or NULL */
    struct HermesEbpfJit *jit;
    DInsn d[];
};

/*
 * Handlers.  decode_alu() and decode_jmp() add a form to the first of
 * each group of four (64K, 64X, 32K, 32X), and ends_run() takes the
 * range from H_JEQ64K to H_CALL_HELPER as the control transfers: keep
 * the order.  run_threaded() maps each to its label.
 */
enum {
    H_INVALID, H_END_OF_PROG,
    H_ADD64K, H_ADD64X, H_ADD32K, H_ADD32X,
    H_SUB64K, H_SUB64X, H_SUB32K, H_SUB32X,
    H_MUL64K, H_MUL64X, H_MUL32K, H_MUL32X,
    H_OR64K, H_OR64X, H_OR32K, H_OR32X,
    H_AND64K, H_AND64X, H_AND32K, H_AND32X,
    H_XOR64K, H_XOR64X, H_XOR32K, H_XOR32X,
    H_LSH64K, H_LSH64X, H_LSH32K, H_LSH32X,
    H_RSH64K, H_RSH64X, H_RSH32K, H_RSH32X,
    H_ARSH64K, H_ARSH64X, H_ARSH32K, H_ARSH32X,
    H_MOV64K, H_MOV64X, H_MOV32K, H_MOV32X,
    H_DIV64K, H_DIV64X, H_DIV32K, H_DIV32X,
    H_SDIV64K, H_SDIV64X, H_SDIV32K, H_SDIV32X,
    H_MOD64K, H_MOD64X, H_MOD32K, H_MOD32X,
    H_SMOD64K, H_SMOD64X, H_SMOD32K, H_SMOD32X,
    H_NEG64, H_NEG32, H_MOVSX64, H_MOVSX32,
    H_LE16, H_LE32, H_LE64, H_BSWAP16, H_BSWAP32, H_BSWAP64,
    H_JEQ64K, H_JEQ64X, H_JEQ32K, H_JEQ32X,
    H_JNE64K, H_JNE64X, H_JNE32K, H_JNE32X,
    H_JGT64K, H_JGT64X, H_JGT32K, H_JGT32X,
    H_JGE64K, H_JGE64X, H_JGE32K, H_JGE32X,
    H_JLT64K, H_JLT64X, H_JLT32K, H_JLT32X,
    H_JLE64K, H_JLE64X, H_JLE32K, H_JLE32X,
    H_JSET64K, H_JSET64X, H_JSET32K, H_JSET32X,
    H_JSGT64K, H_JSGT64X, H_JSGT32K, H_JSGT32X,
    H_JSGE64K, H_JSGE64X, H_JSGE32K, H_JSGE32X,
    H_JSLT64K, H_JSLT64X, H_JSLT32K, H_JSLT32X,
    H_JSLE64K, H_JSLE64X, H_JSLE32K, H_JSLE32X,
    H_JA, H_EXIT, H_CALL_LOCAL, H_CALL_HELPER,
    H_LDXB, H_LDXH, H_LDXW, H_LDXDW, H_LDXSB, H_LDXSH, H_LDXSW,
    H_STB, H_STH, H_STW, H_STDW, H_STXB, H_STXH, H_STXW, H_STXDW,
    H_ATOMIC_W, H_ATOMIC_DW, H_LDDW,
    /* pairs, fused by hermes_ebpf_decode(): see FUSIONS */
    H_MOV64X_ADD64K,
    H_MOV64X_ADD64X,
    H_ADD64K_JGT64X,
    H_ADD64K_JNE64K,
    H_ADD64K_JEQ64K,
    H_LDXB_ADD64X,
    H_LDXB_AND64K,
    H_LDXW_JEQ32K,
    H_ADD64X_LDXW,
    H_ADD64X_MOV64X,
    H_ADD64K_ADD64X,
    H_AND64K_MOV64X,
    H_ADD64K_JLT64X,
    H_ADD32X_JGT64K,
    H_LDXB_ADD32X,
    H_LDXW_ADD32K,
    H_ADD32K_STXW,
    H_STXW_ADD64K,
    H_MOV64X_JGT64X,
    H_LDXH_ADD64X,
    H_MOV64K_ADD64K,
    H_LDXB_ADD32X_JGT64K,
    H_ADD64K_JEQ64K_JA,
    H_LDXW_ADD32K_STXW,
    H_MOV64X_ADD64K_ADD64X,
    H_MOV64X_ADD64K_JGT64X,
    H_BOUNDS,
    H_ADD64K_JNE64K_F,
    H_ADD64K_JLT64X_F,
    H_ADD64K_JEQ64K_JA_F,
    H_LDXH_ADD64X_F,
    H_LDXW_JEQ32K_F,
    H_LDXB_ADD32X_JGT64K_F,
    H_LDXB_AND64K_F,
    H_MOV64X_ADD64K_ADD64X_F,
    H_LDXW_ADD32K_STXW_F,
    H_COUNT
};

/*
 * Fast address translation for a run: the regions that no earlier region,
 * and no map window, shadows are hashed by an aligned window of their
 * device address (the high bits pick the region); a miss falls back to
 * vm_translate(), so the answer is always the reference's.
 */
#define XLAT_SLOT_BITS  3
#define XLAT_SLOTS      (1 << XLAT_SLOT_BITS)

typedef struct XlatWin {
    uint64_t base;
    uint64_t len;               /* 0: empty slot */
    uint8_t *host;
    uint32_t flags;
} XlatWin;

/*
 * The run's own table, built from the windows above by xlat_fast_init():
 * each slot one window or the live stack, with per access size and
 * direction the number of offsets from @base at which an access fits
 * (0 when it never does: empty slot, no permission), so that one
 * unsigned compare checks both ends and the permission.  The windows of
 * regions that overlap the stack area are left out, so that a hit is
 * the reference's answer whatever the live stack is.
 */
#define XLAT_FAST_BITS  4
#define XLAT_FAST_SLOTS (1 << XLAT_FAST_BITS)

typedef struct XlatFast {
    uint64_t base;
    uint8_t *host;
    uint64_t lim[2][4];         /* [write][log2 size]: offsets that fit */
} XlatFast;

typedef struct Xlat {
    unsigned shift;
    XlatWin win[XLAT_SLOTS];
    /* xlat_fast_init() */
    unsigned fshift;
    int8_t fslot[XLAT_SLOTS];   /* slot of each window, or -1 */
    int8_t hslot;               /* slot of the largest window, or 0 */
    XlatFast fast[XLAT_FAST_SLOTS];
} Xlat;

static inline unsigned bit_length(uint64_t v)
{
    return v ? 64 - __builtin_clzll(v) : 0;
}

static inline bool spans_overlap(uint64_t a, uint64_t alast,
                                 uint64_t b, uint64_t blast)
{
    return !(alast < b || blast < a);
}

/*
 * *@first becomes the index of the window of regions[0], or -1 if it has
 * none: a batch moves that window from record to record.
 */
static void xlat_init(Xlat *x, const HermesEbpfRegion *regions,
                      size_t nregions, uint32_t nmaps, int *first)
{
    int cand[XLAT_SLOTS];
    unsigned ncand = 0, shift = 0, i, j, tries;
    size_t r, q;

    memset(x->win, 0, sizeof(x->win));
    x->shift = 0;
    *first = -1;
    for (r = 0; r < nregions && ncand < XLAT_SLOTS; r++) {
        const HermesEbpfRegion *rg = &regions[r];
        uint64_t last = rg->addr + rg->len - 1;
        /* a span reaching bit 63 would need a shift of 64: not a window */
        bool ok = rg->len && rg->host && last >= rg->addr &&
                  bit_length(rg->addr ^ last) <= 63 - XLAT_SLOT_BITS;

        if (ok && nmaps) {
            ok = !spans_overlap(rg->addr, last, HERMES_EBPF_MAP_BASE,
                                2 * HERMES_EBPF_MAP_BASE - 1);
        }
        for (q = 0; ok && q < r; q++) {
            const HermesEbpfRegion *o = &regions[q];

            if (o->len) {
                uint64_t olast = o->addr + o->len - 1;

                /* range_in() takes a region that wraps up to the top */
                if (olast < o->addr) {
                    olast = UINT64_MAX;
                }
                ok = !spans_overlap(rg->addr, last, o->addr, olast);
            }
        }
        if (ok) {
            cand[ncand++] = (int)r;
            if (bit_length(rg->addr ^ last) > shift) {
                shift = bit_length(rg->addr ^ last);
            }
        }
    }
    if (!ncand) {
        return;
    }
    /* the smallest window from there in which no two regions collide */
    for (tries = 0; tries < 8 && shift < 63; tries++, shift++) {
        unsigned used = 0;

        for (i = 0; i < ncand; i++) {
            j = (regions[cand[i]].addr >> shift) & (XLAT_SLOTS - 1);
            if (used & (1u << j)) {
                break;
            }
            used |= 1u << j;
        }
        if (i == ncand) {
            break;
        }
    }
    x->shift = shift;
    for (i = 0; i < ncand; i++) {
        const HermesEbpfRegion *rg = &regions[cand[i]];
        XlatWin *w = &x->win[(rg->addr >> shift) & (XLAT_SLOTS - 1)];

        if (!w->len) {
            w->base = rg->addr;
            w->len = rg->len;
            w->host = rg->host;
            w->flags = rg->flags;
            if (cand[i] == 0) {
                *first = (int)(w - x->win);
            }
        }
    }
}

/*
 * A fast slot covering [base, base + len) with permissions @flags; a
 * batch sets it per record, so without loops or branches
 */
static inline void xlat_fast_set(XlatFast *f, uint64_t base, uint64_t len,
                                 uint8_t *host, uint32_t flags)
{
    uint64_t rd = flags & HERMES_EBPF_MEM_READ ? UINT64_MAX : 0;
    uint64_t wr = flags & HERMES_EBPF_MEM_WRITE ? UINT64_MAX : 0;
    /* the offsets at which 1, 2, 4, 8 bytes fit: len + 1 - size, or 0 */
    uint64_t l1 = len;
    uint64_t l2 = len >= 2 ? len - 1 : 0;
    uint64_t l4 = len >= 4 ? len - 3 : 0;
    uint64_t l8 = len >= 8 ? len - 7 : 0;

    f->base = base;
    f->host = host;
    f->lim[0][0] = l1 & rd;
    f->lim[0][1] = l2 & rd;
    f->lim[0][2] = l4 & rd;
    f->lim[0][3] = l8 & rd;
    f->lim[1][0] = l1 & wr;
    f->lim[1][1] = l2 & wr;
    f->lim[1][2] = l4 & wr;
    f->lim[1][3] = l8 & wr;
}

/*
 * The fast table of @x from its windows (xlat_init()) and the stack area
 * of @vm: the smallest shift at which the windows that do not overlap
 * the stack area each get a slot of their own; without one, the windows
 * keep the slots they get in order.  The live stack is checked before
 * the table (its bounds are the run's locals); every miss goes to
 * fast_translate() and so to vm_translate().  @hslot names the slot of
 * the largest window (an XDP program's packet, a batch's record), which
 * the run checks right after the live stack, without hashing: a hit in
 * any slot is the reference's answer.
 */
static void xlat_fast_init(Xlat *x, const HermesEbpfVm *vm)
{
    uint64_t sfirst = vm->stack_addr, slast = vm->stack_top - 1;
    uint64_t base[XLAT_SLOTS], hlen = 0;
    int who[XLAT_SLOTS];
    unsigned n = 0, minshift = 0, shift, i;

    memset(x->fast, 0, sizeof(x->fast));
    x->hslot = 0;
    for (i = 0; i < XLAT_SLOTS; i++) {
        const XlatWin *w = &x->win[i];

        x->fslot[i] = -1;
        if (w->len && !spans_overlap(w->base, w->base + w->len - 1,
                                     sfirst, slast)) {
            base[n] = w->base;
            who[n++] = (int)i;
            if (bit_length(w->base ^ (w->base + w->len - 1)) > minshift) {
                minshift = bit_length(w->base ^ (w->base + w->len - 1));
            }
        }
    }
    for (shift = minshift; shift < 64; shift++) {
        uint32_t used = 0;

        for (i = 0; i < n; i++) {
            unsigned j = (base[i] >> shift) & (XLAT_FAST_SLOTS - 1);

            if (used & (1u << j)) {
                break;
            }
            used |= 1u << j;
        }
        if (i == n) {
            break;
        }
    }
    if (shift == 64) {
        shift = minshift;
    }
    x->fshift = shift;
    for (i = 0; i < n; i++) {
        unsigned j = (base[i] >> shift) & (XLAT_FAST_SLOTS - 1);
        const XlatWin *w = &x->win[who[i]];

        if (x->fast[j].lim[0][0] || x->fast[j].lim[1][0]) {
            continue;           /* taken (no collision-free shift) */
        }
        xlat_fast_set(&x->fast[j], w->base, w->len, w->host, w->flags);
        x->fslot[who[i]] = (int8_t)j;
        if (w->len > hlen) {
            hlen = w->len;
            x->hslot = (int8_t)j;
        }
    }
}

/*
 * Move window @i (a batch's record region) to [base, base + len): the
 * window must stay inside the span it had at xlat_init(), so it keeps
 * its slot.
 */
static inline void xlat_move(Xlat *x, int i, uint64_t base, uint64_t len,
                             uint8_t *host)
{
    XlatWin *w = &x->win[i];

    w->base = base;
    w->len = len;
    w->host = host;
    if (x->fslot[i] >= 0) {
        xlat_fast_set(&x->fast[x->fslot[i]], base, len, host, w->flags);
    }
}

/* The host byte of an access that fits fast slot @f, else NULL */
static inline __attribute__((always_inline))
uint8_t *fast_in(const XlatFast *f, uint64_t addr, unsigned size,
                 unsigned write)
{
    uint64_t off = addr - f->base;
    unsigned k = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;

    return off < f->lim[write][k] ? f->host + off : NULL;
}

/* The host byte of an access that fits its fast slot, else NULL */
static inline __attribute__((always_inline))
uint8_t *fast_at(const XlatFast *ft, unsigned shift, uint64_t addr,
                 unsigned size, unsigned write)
{
    return fast_in(&ft[(addr >> shift) & (XLAT_FAST_SLOTS - 1)], addr, size,
                   write);
}


/*
 * vm_translate() for an access of @size (1 to 8) bytes: the live stack
 * first, as there, then the region of the address's window, then the
 * reference lookup.
 */
static inline __attribute__((always_inline))
uint8_t *fast_translate(const HermesEbpfVm *vm, const Xlat *x, uint64_t addr,
                        unsigned size, uint32_t flags)
{
    uint64_t live = vm->stack_top - vm->stack_lo;
    uint64_t off = addr - vm->stack_lo;
    const XlatWin *w;

    if (off < live && size <= live - off) {
        return vm->stack_host + (addr - vm->stack_addr);
    }
    w = &x->win[(addr >> x->shift) & (XLAT_SLOTS - 1)];
    off = addr - w->base;
    if (off < w->len && size <= w->len - off) {
        return (w->flags & flags) == flags ? w->host + off : NULL;
    }
    return vm_translate(vm, addr, size, flags);
}

/* A miss of the fast table, out of line: the lookup above */
static __attribute__((noinline))
uint8_t *slow_translate(const HermesEbpfVm *vm, const Xlat *x, uint64_t addr,
                        unsigned size, uint32_t flags)
{
    return fast_translate(vm, x, addr, size, flags);
}

/* Little-endian loads and stores of a constant size */
static inline __attribute__((always_inline))
uint64_t ld_n(const uint8_t *p, unsigned size)
{
    uint8_t b8;
    uint16_t b16;
    uint32_t b32;
    uint64_t b64;

    switch (size) {
    case 1:
        memcpy(&b8, p, 1);
        return b8;
    case 2:
        memcpy(&b16, p, 2);
        return host_is_le() ? b16 : bswap16(b16);
    case 4:
        memcpy(&b32, p, 4);
        return le32_host(b32);
    default:
        memcpy(&b64, p, 8);
        return le64_host(b64);
    }
}

static inline __attribute__((always_inline))
void st_n(uint8_t *p, unsigned size, uint64_t v)
{
    uint8_t b8 = (uint8_t)v;
    uint16_t b16 = (uint16_t)v;
    uint32_t b32 = (uint32_t)v;

    switch (size) {
    case 1:
        memcpy(p, &b8, 1);
        break;
    case 2:
        b16 = host_is_le() ? b16 : bswap16(b16);
        memcpy(p, &b16, 2);
        break;
    case 4:
        b32 = le32_host(b32);
        memcpy(p, &b32, 4);
        break;
    default:
        v = le64_host(v);
        memcpy(p, &v, 8);
        break;
    }
}

/*
 * The highest instruction count a straight run entered at @cnt may reach
 * without a check: the budget, or the count before the next abort poll.
 */
static inline uint64_t run_limit(uint64_t cnt, uint64_t budget, bool polls)
{
    uint64_t poll = cnt | (HERMES_EBPF_ABORT_POLL_INTERVAL - 1);

    return polls && poll < budget ? poll : budget;
}

/*
 * Where a stretch of straight-line code that starts at @ip, entered with
 * @cnt instructions executed, must stop before it ends: at the instruction
 * that the budget does not allow or at which the abort flag is polled.
 * NULL if it runs to its end.  *@executed becomes the count at its end.
 */
static const DInsn *plan_stop(const DInsn *ip, uint64_t cnt, uint64_t budget,
                              bool polls, uint64_t *executed)
{
    uint64_t limit = run_limit(cnt, budget, polls), k;

    *executed = cnt + ip->blen;
    if (cnt + ip->blen <= limit) {
        return NULL;
    }
    for (k = limit - cnt; k; k--) {
        ip = dinsn_next(ip);
    }
    return ip;
}

/*
 * What a run needs that does not change from one run to the next of a
 * batch: the checked configuration, the memory view and its windows.
 * run_env_init() does once per batch what hermes_ebpf_run() does per run.
 */
typedef struct RunEnv {
    HermesEbpfVm vm;
    Xlat xl;
    uint64_t budget;
    uint64_t stack_size;
    bool polls;
    int first;                  /* window of regions[0], or -1 */
    /*
     * run_threaded(): the count the straight runs may reach without a
     * stop (run_limit()), here rather than in a local, which the
     * compiler would keep in registers across every dispatch
     */
    uint64_t limit;
} RunEnv;

/*
 * hermes_ebpf_run()'s checks of @cfg and its memory view; @local_stack
 * (HERMES_EBPF_MAX_CALL_DEPTH default frames) serves when @cfg has no
 * stack.  false: ERR_BAD_CONFIG.
 */
static bool run_env_init(RunEnv *e, const HermesEbpfRegion *regions,
                         size_t nregions, const HermesEbpfRunConfig *cfg,
                         uint64_t *local_stack)
{
    uint64_t stack_size, total;

    if (!cfg) {
        return false;
    }
    stack_size = cfg->stack_size ? cfg->stack_size
                                 : HERMES_EBPF_DEFAULT_STACK_SIZE;
    total = stack_size * HERMES_EBPF_MAX_CALL_DEPTH;
    if (stack_size % 8 || stack_size > HERMES_EBPF_MAX_STACK_SIZE ||
        cfg->stack_addr > UINT64_MAX - total ||
        (!cfg->stack_host && stack_size > HERMES_EBPF_DEFAULT_STACK_SIZE) ||
        (nregions && !regions) || cfg->nmaps > HERMES_EBPF_MAX_MAPS ||
        (cfg->nmaps && !cfg->maps)) {
        return false;
    }
    e->budget = cfg->budget ? cfg->budget : HERMES_EBPF_DEFAULT_BUDGET;
    e->polls = cfg->abort_flag != NULL;
    e->stack_size = stack_size;
    e->vm.regions = regions;
    e->vm.nregions = nregions;
    e->vm.maps = cfg->maps;
    e->vm.nmaps = cfg->nmaps;
    e->vm.stack_host = cfg->stack_host ? cfg->stack_host
                                       : (uint8_t *)local_stack;
    e->vm.stack_addr = cfg->stack_addr;
    e->vm.stack_top = cfg->stack_addr + total;
    e->vm.stack_lo = e->vm.stack_top - stack_size;
    xlat_init(&e->xl, regions, nregions, cfg->nmaps, &e->first);
    xlat_fast_init(&e->xl, &e->vm);
    return true;
}

static int decode_slot(const uint64_t *insns, uint32_t n, uint32_t pc,
                       DInsn *di, bool *has_target, uint32_t *target);

/*
 * One run in @e (from run_env_init(), with the same @cfg but for its
 * args): a fresh frame 0 and registers, then the decoded program.
 * With @labels, only returns the label table (for hermes_ebpf_decode()).
 */
static HermesEbpfStatus run_threaded(const HermesEbpfCode *code, RunEnv *e,
                                     const HermesEbpfRunConfig *cfg,
                                     HermesEbpfResult *res,
                                     const void *const **labels)
{
    static const void *const table[H_COUNT] = {
        [H_INVALID] = &&op_INVALID,
        [H_END_OF_PROG] = &&op_END_OF_PROG,
        [H_ADD64K] = &&op_ADD64K,
        [H_ADD64X] = &&op_ADD64X,
        [H_ADD32K] = &&op_ADD32K,
        [H_ADD32X] = &&op_ADD32X,
        [H_SUB64K] = &&op_SUB64K,
        [H_SUB64X] = &&op_SUB64X,
        [H_SUB32K] = &&op_SUB32K,
        [H_SUB32X] = &&op_SUB32X,
        [H_MUL64K] = &&op_MUL64K,
        [H_MUL64X] = &&op_MUL64X,
        [H_MUL32K] = &&op_MUL32K,
        [H_MUL32X] = &&op_MUL32X,
        [H_OR64K] = &&op_OR64K,
        [H_OR64X] = &&op_OR64X,
        [H_OR32K] = &&op_OR32K,
        [H_OR32X] = &&op_OR32X,
        [H_AND64K] = &&op_AND64K,
        [H_AND64X] = &&op_AND64X,
        [H_AND32K] = &&op_AND32K,
        [H_AND32X] = &&op_AND32X,
        [H_XOR64K] = &&op_XOR64K,
        [H_XOR64X] = &&op_XOR64X,
        [H_XOR32K] = &&op_XOR32K,
        [H_XOR32X] = &&op_XOR32X,
        [H_LSH64K] = &&op_LSH64K,
        [H_LSH64X] = &&op_LSH64X,
        [H_LSH32K] = &&op_LSH32K,
        [H_LSH32X] = &&op_LSH32X,
        [H_RSH64K] = &&op_RSH64K,
        [H_RSH64X] = &&op_RSH64X,
        [H_RSH32K] = &&op_RSH32K,
        [H_RSH32X] = &&op_RSH32X,
        [H_ARSH64K] = &&op_ARSH64K,
        [H_ARSH64X] = &&op_ARSH64X,
        [H_ARSH32K] = &&op_ARSH32K,
        [H_ARSH32X] = &&op_ARSH32X,
        [H_MOV64K] = &&op_MOV64K,
        [H_MOV64X] = &&op_MOV64X,
        [H_MOV32K] = &&op_MOV32K,
        [H_MOV32X] = &&op_MOV32X,
        [H_DIV64K] = &&op_DIV64K,
        [H_DIV64X] = &&op_DIV64X,
        [H_DIV32K] = &&op_DIV32K,
        [H_DIV32X] = &&op_DIV32X,
        [H_SDIV64K] = &&op_SDIV64K,
        [H_SDIV64X] = &&op_SDIV64X,
        [H_SDIV32K] = &&op_SDIV32K,
        [H_SDIV32X] = &&op_SDIV32X,
        [H_MOD64K] = &&op_MOD64K,
        [H_MOD64X] = &&op_MOD64X,
        [H_MOD32K] = &&op_MOD32K,
        [H_MOD32X] = &&op_MOD32X,
        [H_SMOD64K] = &&op_SMOD64K,
        [H_SMOD64X] = &&op_SMOD64X,
        [H_SMOD32K] = &&op_SMOD32K,
        [H_SMOD32X] = &&op_SMOD32X,
        [H_NEG64] = &&op_NEG64,
        [H_NEG32] = &&op_NEG32,
        [H_MOVSX64] = &&op_MOVSX64,
        [H_MOVSX32] = &&op_MOVSX32,
        [H_LE16] = &&op_LE16,
        [H_LE32] = &&op_LE32,
        [H_LE64] = &&op_LE64,
        [H_BSWAP16] = &&op_BSWAP16,
        [H_BSWAP32] = &&op_BSWAP32,
        [H_BSWAP64] = &&op_BSWAP64,
        [H_JEQ64K] = &&op_JEQ64K,
        [H_JEQ64X] = &&op_JEQ64X,
        [H_JEQ32K] = &&op_JEQ32K,
        [H_JEQ32X] = &&op_JEQ32X,
        [H_JNE64K] = &&op_JNE64K,
        [H_JNE64X] = &&op_JNE64X,
        [H_JNE32K] = &&op_JNE32K,
        [H_JNE32X] = &&op_JNE32X,
        [H_JGT64K] = &&op_JGT64K,
        [H_JGT64X] = &&op_JGT64X,
        [H_JGT32K] = &&op_JGT32K,
        [H_JGT32X] = &&op_JGT32X,
        [H_JGE64K] = &&op_JGE64K,
        [H_JGE64X] = &&op_JGE64X,
        [H_JGE32K] = &&op_JGE32K,
        [H_JGE32X] = &&op_JGE32X,
        [H_JLT64K] = &&op_JLT64K,
        [H_JLT64X] = &&op_JLT64X,
        [H_JLT32K] = &&op_JLT32K,
        [H_JLT32X] = &&op_JLT32X,
        [H_JLE64K] = &&op_JLE64K,
        [H_JLE64X] = &&op_JLE64X,
        [H_JLE32K] = &&op_JLE32K,
        [H_JLE32X] = &&op_JLE32X,
        [H_JSET64K] = &&op_JSET64K,
        [H_JSET64X] = &&op_JSET64X,
        [H_JSET32K] = &&op_JSET32K,
        [H_JSET32X] = &&op_JSET32X,
        [H_JSGT64K] = &&op_JSGT64K,
        [H_JSGT64X] = &&op_JSGT64X,
        [H_JSGT32K] = &&op_JSGT32K,
        [H_JSGT32X] = &&op_JSGT32X,
        [H_JSGE64K] = &&op_JSGE64K,
        [H_JSGE64X] = &&op_JSGE64X,
        [H_JSGE32K] = &&op_JSGE32K,
        [H_JSGE32X] = &&op_JSGE32X,
        [H_JSLT64K] = &&op_JSLT64K,
        [H_JSLT64X] = &&op_JSLT64X,
        [H_JSLT32K] = &&op_JSLT32K,
        [H_JSLT32X] = &&op_JSLT32X,
        [H_JSLE64K] = &&op_JSLE64K,
        [H_JSLE64X] = &&op_JSLE64X,
        [H_JSLE32K] = &&op_JSLE32K,
        [H_JSLE32X] = &&op_JSLE32X,
        [H_JA] = &&op_JA,
        [H_EXIT] = &&op_EXIT,
        [H_CALL_LOCAL] = &&op_CALL_LOCAL,
        [H_CALL_HELPER] = &&op_CALL_HELPER,
        [H_LDXB] = &&op_LDXB,
        [H_LDXH] = &&op_LDXH,
        [H_LDXW] = &&op_LDXW,
        [H_LDXDW] = &&op_LDXDW,
        [H_LDXSB] = &&op_LDXSB,
        [H_LDXSH] = &&op_LDXSH,
        [H_LDXSW] = &&op_LDXSW,
        [H_STB] = &&op_STB,
        [H_STH] = &&op_STH,
        [H_STW] = &&op_STW,
        [H_STDW] = &&op_STDW,
        [H_STXB] = &&op_STXB,
        [H_STXH] = &&op_STXH,
        [H_STXW] = &&op_STXW,
        [H_STXDW] = &&op_STXDW,
        [H_ATOMIC_W] = &&op_ATOMIC_W,
        [H_ATOMIC_DW] = &&op_ATOMIC_DW,
        [H_LDDW] = &&op_LDDW,
        [H_MOV64X_ADD64K] = &&op_MOV64X_ADD64K,
        [H_MOV64X_ADD64X] = &&op_MOV64X_ADD64X,
        [H_ADD64K_JGT64X] = &&op_ADD64K_JGT64X,
        [H_ADD64K_JNE64K] = &&op_ADD64K_JNE64K,
        [H_ADD64K_JEQ64K] = &&op_ADD64K_JEQ64K,
        [H_LDXB_ADD64X] = &&op_LDXB_ADD64X,
        [H_LDXB_AND64K] = &&op_LDXB_AND64K,
        [H_LDXW_JEQ32K] = &&op_LDXW_JEQ32K,
        [H_ADD64X_LDXW] = &&op_ADD64X_LDXW,
        [H_ADD64X_MOV64X] = &&op_ADD64X_MOV64X,
        [H_ADD64K_ADD64X] = &&op_ADD64K_ADD64X,
        [H_AND64K_MOV64X] = &&op_AND64K_MOV64X,
        [H_ADD64K_JLT64X] = &&op_ADD64K_JLT64X,
        [H_ADD32X_JGT64K] = &&op_ADD32X_JGT64K,
        [H_LDXB_ADD32X] = &&op_LDXB_ADD32X,
        [H_LDXW_ADD32K] = &&op_LDXW_ADD32K,
        [H_ADD32K_STXW] = &&op_ADD32K_STXW,
        [H_STXW_ADD64K] = &&op_STXW_ADD64K,
        [H_MOV64X_JGT64X] = &&op_MOV64X_JGT64X,
        [H_LDXH_ADD64X] = &&op_LDXH_ADD64X,
        [H_MOV64K_ADD64K] = &&op_MOV64K_ADD64K,
        [H_LDXB_ADD32X_JGT64K] = &&op_LDXB_ADD32X_JGT64K,
        [H_ADD64K_JEQ64K_JA] = &&op_ADD64K_JEQ64K_JA,
        [H_LDXW_ADD32K_STXW] = &&op_LDXW_ADD32K_STXW,
        [H_MOV64X_ADD64K_ADD64X] = &&op_MOV64X_ADD64K_ADD64X,
        [H_MOV64X_ADD64K_JGT64X] = &&op_MOV64X_ADD64K_JGT64X,
        [H_BOUNDS] = &&op_BOUNDS,
        [H_ADD64K_JNE64K_F] = &&op_ADD64K_JNE64K_F,
        [H_ADD64K_JLT64X_F] = &&op_ADD64K_JLT64X_F,
        [H_ADD64K_JEQ64K_JA_F] = &&op_ADD64K_JEQ64K_JA_F,
        [H_LDXH_ADD64X_F] = &&op_LDXH_ADD64X_F,
        [H_LDXW_JEQ32K_F] = &&op_LDXW_JEQ32K_F,
        [H_LDXB_ADD32X_JGT64K_F] = &&op_LDXB_ADD32X_JGT64K_F,
        [H_LDXB_AND64K_F] = &&op_LDXB_AND64K_F,
        [H_MOV64X_ADD64K_ADD64X_F] = &&op_MOV64X_ADD64K_ADD64X_F,
        [H_LDXW_ADD32K_STXW_F] = &&op_LDXW_ADD32K_STXW_F,
    };
    const DInsn *ret_ip[HERMES_EBPF_MAX_CALL_DEPTH];
    uint64_t saved[HERMES_EBPF_MAX_CALL_DEPTH][4];
    uint64_t reg[16];
    HermesEbpfVm *vm;
    Xlat *xl;
    const XlatFast *ft, *hf;
    unsigned fshift;
    uint64_t s_lo, s_live;      /* the live stack */
    uint8_t *s_host;
    HermesEbpfStatus st = HERMES_EBPF_OK;
    uint64_t budget, executed, stack_size;
    int64_t left;               /* e->limit - instructions executed */
    const DInsn *d, *ip, *stop = NULL;
    DInsn step[3];              /* a slot stepped alone, then STEPPED */
    const DInsn *step_ip = NULL;
    bool polls;
    int64_t poll_max;           /* a jump back polls: tgt <= this */
    unsigned depth = 0;

    if (labels) {
        *labels = table;
        return HERMES_EBPF_OK;
    }
    memset(res, 0, sizeof(*res));
    vm = &e->vm;
    xl = &e->xl;
    ft = xl->fast;
    hf = &ft[xl->hslot];
    fshift = xl->fshift;
    budget = e->budget;
    polls = e->polls;
    poll_max = polls ? 0 : INT64_MIN;
    stack_size = e->stack_size;

    /* a fault in a call leaves its frame entered */
    vm->stack_lo = vm->stack_top - stack_size;
    memset(vm->stack_host + (vm->stack_lo - vm->stack_addr), 0, stack_size);

    s_lo = vm->stack_lo;
    s_live = vm->stack_top - vm->stack_lo;
    s_host = vm->stack_host + (vm->stack_lo - vm->stack_addr);
    /*
     * Register by register: a memset() of the array becomes a rep stos,
     * whose start-up cost is most of a short run's (a batch record's)
     */
    reg[0] = 0;
    reg[1] = cfg->args[0];
    reg[2] = cfg->args[1];
    reg[3] = cfg->args[2];
    reg[4] = cfg->args[3];
    reg[5] = cfg->args[4];
    reg[6] = 0;
    reg[7] = 0;
    reg[8] = 0;
    reg[9] = 0;
    reg[REG_FP] = vm->stack_top;
    reg[11] = 0;
    reg[12] = 0;
    reg[13] = 0;
    reg[14] = 0;
    reg[15] = 0;

    d = code->d;
    ip = d;
    e->limit = run_limit(0, budget, polls);
    left = (int64_t)e->limit;
    if (abort_requested(cfg)) {
        st = HERMES_EBPF_FAULT_ABORTED;
        goto out;
    }

/* Operands */
#define DST     reg[ip->dst]
#define SRC     reg[ip->src]
#define IMM     (ip->u.imm)
#define JK      ((uint64_t)(int64_t)ip->u.j.k)

/*
 * The second instruction of a fused pair: the slot after.  No stop
 * falls there: a run in which one falls is stepped (step:).
 */
#define SECOND() \
    do { \
        ip++; \
    } while (0)

/* Next slot of a straight-line run */
#define NEXT(n) \
    do { \
        ip += (n); \
        goto *ip->h; \
    } while (0)

/*
 * Enter the straight-line run at ip (after a control transfer): left
 * counts down to the next planned stop, so one compare and a subtract
 */
#define ENTER() \
    do { \
        if (__builtin_expect((int64_t)ip->blen > left, 0)) { \
            goto slow_enter; \
        } \
        left -= ip->blen; \
        goto *ip->h; \
    } while (0)

/* ENTER() for the slot a fused sequence goes on with */
#define ENTER_HERE() \
    do { \
        if (__builtin_expect((int64_t)ip->blen > left, 0)) { \
            goto slow_enter; \
        } \
        left -= ip->blen; \
    } while (0)

/* A taken jump: a backward one polls the abort flag */
#define TAKE() \
    do { \
        int32_t t_ = ip->u.j.tgt; \
        if (t_ <= poll_max && abort_requested(cfg)) { \
            st = HERMES_EBPF_FAULT_ABORTED; \
            goto out; \
        } \
        ip = DINSN_AT(ip, t_); \
        ENTER(); \
    } while (0)

/* ALU: a is the destination, b the source (an immediate or a register) */
#define ALU64_DO(src, e) \
    do { \
        uint64_t a = DST, b = (src); \
        DST = (e); \
    } while (0)

#define ALU64(src, e) \
    do { \
        ALU64_DO(src, e); \
        NEXT(1); \
    } while (0)

#define ALU32_DO(src, e) \
    do { \
        uint32_t a = (uint32_t)DST, b = (uint32_t)(src); \
        DST = (uint32_t)(e); \
    } while (0)

#define ALU32(src, e) \
    do { \
        ALU32_DO(src, e); \
        NEXT(1); \
    } while (0)

/* Conditional jumps: the same, and c the condition */
#define JCC64(src, c) \
    do { \
        uint64_t a = DST, b = (src); \
        if (c) { \
            TAKE(); \
        } \
        ip++; \
        ENTER(); \
    } while (0)

/*
 * A conditional jump inside a fused sequence: not taken, the run after
 * it is entered here and the sequence goes on in it
 */
#define JCC64_THEN(src, c) \
    do { \
        uint64_t a = DST, b = (src); \
        if (c) { \
            TAKE(); \
        } \
        ip++; \
        ENTER_HERE(); \
    } while (0)

#define JCC32_THEN(src, c) \
    do { \
        uint32_t a = (uint32_t)DST, b = (uint32_t)(src); \
        if (c) { \
            TAKE(); \
        } \
        ip++; \
        ENTER_HERE(); \
    } while (0)

#define JCC32(src, c) \
    do { \
        uint32_t a = (uint32_t)DST, b = (uint32_t)(src); \
        if (c) { \
            TAKE(); \
        } \
        ip++; \
        ENTER(); \
    } while (0)

/*
 * p = the host byte of an access of @size at @addr (@write 0 or 1): the
 * live stack (bounds in locals), the largest window's fast slot, the
 * fast table, the reference lookup; none: the fault @fault_st at this
 * slot
 */
#define TRANSLATE(p, addr, size, write, fault_st) \
    do { \
        uint64_t so_ = (addr) - s_lo; \
        if (so_ <= s_live - (size)) { \
            (p) = s_host + so_; \
            break; \
        } \
        (p) = fast_in(hf, (addr), (size), (write)); \
        if (__builtin_expect((p) != NULL, 1)) { \
            break; \
        } \
        (p) = fast_at(ft, fshift, (addr), (size), (write)); \
        if (__builtin_expect((p) != NULL, 1)) { \
            break; \
        } \
        (p) = slow_translate(vm, xl, (addr), (size), \
                             (write) ? HERMES_EBPF_MEM_WRITE \
                                     : HERMES_EBPF_MEM_READ); \
        if (!(p)) { \
            res->fault_addr = (addr); \
            res->fault_size = (size); \
            st = (fault_st); \
            goto fault; \
        } \
    } while (0)

/* The locals of the live stack, after a call or a return */
#define STACK_MOVED() \
    do { \
        s_lo = vm->stack_lo; \
        s_live = vm->stack_top - vm->stack_lo; \
        s_host = vm->stack_host + (vm->stack_lo - vm->stack_addr); \
    } while (0)

#define LOAD_DO(size, sign) \
    do { \
        uint64_t addr = SRC + (uint64_t)(int64_t)ip->off; \
        const uint8_t *p; \
        uint64_t v; \
        TRANSLATE(p, addr, size, 0, HERMES_EBPF_FAULT_LOAD); \
        v = ld_n(p, size); \
        DST = (sign) ? sext(v, (size) * 8) : v; \
    } while (0)

/* v = the unsigned load of @size at SRC + off (fused sequences) */
#define LOAD_V(v, size) \
    do { \
        uint64_t addr = SRC + (uint64_t)(int64_t)ip->off; \
        const uint8_t *p; \
        TRANSLATE(p, addr, size, 0, HERMES_EBPF_FAULT_LOAD); \
        (v) = ld_n(p, size); \
    } while (0)

#define LOAD(size, sign) \
    do { \
        LOAD_DO(size, sign); \
        NEXT(1); \
    } while (0)

#define STORE_DO(size, val) \
    do { \
        uint64_t addr = DST + (uint64_t)(int64_t)ip->off; \
        uint8_t *p; \
        TRANSLATE(p, addr, size, 1, HERMES_EBPF_FAULT_STORE); \
        st_n(p, size, (val)); \
    } while (0)

#define STORE(size, val) \
    do { \
        STORE_DO(size, val); \
        NEXT(1); \
    } while (0)

/* Atomics are rare enough for the reference's code, on the word decoded */
#define ATOMIC(opcode) \
    do { \
        uint64_t w = (uint64_t)(opcode) | \
                     (uint64_t)(ip->dst | ip->src << 4) << 8 | \
                     (uint64_t)(uint16_t)ip->off << 16 | \
                     (uint64_t)(uint32_t)ip->u.j.k << 32; \
        st = do_atomic(vm, reg, w, res); \
        if (st != HERMES_EBPF_OK) { \
            goto fault; \
        } \
        NEXT(1); \
    } while (0)

    ENTER();

op_ADD64K:
    ALU64(IMM, a + b);
op_ADD64X:
    ALU64(SRC, a + b);
op_ADD32K:
    ALU32(IMM, a + b);
op_ADD32X:
    ALU32(SRC, a + b);
op_SUB64K:
    ALU64(IMM, a - b);
op_SUB64X:
    ALU64(SRC, a - b);
op_SUB32K:
    ALU32(IMM, a - b);
op_SUB32X:
    ALU32(SRC, a - b);
op_MUL64K:
    ALU64(IMM, a * b);
op_MUL64X:
    ALU64(SRC, a * b);
op_MUL32K:
    ALU32(IMM, a * b);
op_MUL32X:
    ALU32(SRC, a * b);
op_OR64K:
    ALU64(IMM, a | b);
op_OR64X:
    ALU64(SRC, a | b);
op_OR32K:
    ALU32(IMM, a | b);
op_OR32X:
    ALU32(SRC, a | b);
op_AND64K:
    ALU64(IMM, a & b);
op_AND64X:
    ALU64(SRC, a & b);
op_AND32K:
    ALU32(IMM, a & b);
op_AND32X:
    ALU32(SRC, a & b);
op_XOR64K:
    ALU64(IMM, a ^ b);
op_XOR64X:
    ALU64(SRC, a ^ b);
op_XOR32K:
    ALU32(IMM, a ^ b);
op_XOR32X:
    ALU32(SRC, a ^ b);
op_LSH64K:
    ALU64(IMM, a << (b & 63));
op_LSH64X:
    ALU64(SRC, a << (b & 63));
op_LSH32K:
    ALU32(IMM, a << (b & 31));
op_LSH32X:
    ALU32(SRC, a << (b & 31));
op_RSH64K:
    ALU64(IMM, a >> (b & 63));
op_RSH64X:
    ALU64(SRC, a >> (b & 63));
op_RSH32K:
    ALU32(IMM, a >> (b & 31));
op_RSH32X:
    ALU32(SRC, a >> (b & 31));
op_ARSH64K:
    ALU64(IMM, arsh64(a, b & 63));
op_ARSH64X:
    ALU64(SRC, arsh64(a, b & 63));
op_ARSH32K:
    ALU32(IMM, arsh32(a, b & 31));
op_ARSH32X:
    ALU32(SRC, arsh32(a, b & 31));
op_DIV64K:
    ALU64(IMM, b ? a / b : 0);
op_DIV64X:
    ALU64(SRC, b ? a / b : 0);
op_DIV32K:
    ALU32(IMM, b ? a / b : 0);
op_DIV32X:
    ALU32(SRC, b ? a / b : 0);
op_SDIV64K:
    ALU64(IMM, sdiv64(a, b));
op_SDIV64X:
    ALU64(SRC, sdiv64(a, b));
op_SDIV32K:
    ALU32(IMM, sdiv32(a, b));
op_SDIV32X:
    ALU32(SRC, sdiv32(a, b));
op_MOD64K:
    ALU64(IMM, b ? a % b : a);
op_MOD64X:
    ALU64(SRC, b ? a % b : a);
op_MOD32K:
    ALU32(IMM, b ? a % b : a);
op_MOD32X:
    ALU32(SRC, b ? a % b : a);
op_SMOD64K:
    ALU64(IMM, smod64(a, b));
op_SMOD64X:
    ALU64(SRC, smod64(a, b));
op_SMOD32K:
    ALU32(IMM, smod32(a, b));
op_SMOD32X:
    ALU32(SRC, smod32(a, b));
op_MOV64K:
    DST = IMM;
    NEXT(1);
op_MOV64X:
    DST = SRC;
    NEXT(1);
op_MOV32K:
    DST = (uint32_t)IMM;
    NEXT(1);
op_MOV32X:
    DST = (uint32_t)SRC;
    NEXT(1);
op_NEG64:
    DST = -DST;
    NEXT(1);
op_NEG32:
    DST = (uint32_t)-(uint32_t)DST;
    NEXT(1);
op_MOVSX64:
    DST = sext(SRC, ip->off);
    NEXT(1);
op_MOVSX32:
    DST = (uint32_t)sext((uint32_t)SRC, ip->off);
    NEXT(1);
op_LE16:
    DST = (uint16_t)DST;
    NEXT(1);
op_LE32:
    DST = (uint32_t)DST;
    NEXT(1);
op_LE64:
    NEXT(1);
op_BSWAP16:
    DST = bswap16((uint16_t)DST);
    NEXT(1);
op_BSWAP32:
    DST = bswap32((uint32_t)DST);
    NEXT(1);
op_BSWAP64:
    DST = bswap64(DST);
    NEXT(1);
op_LDDW:
    DST = IMM;
    NEXT(2);

op_LDXB:
    LOAD(1, false);
op_LDXH:
    LOAD(2, false);
op_LDXW:
    LOAD(4, false);
op_LDXDW:
    LOAD(8, false);
op_LDXSB:
    LOAD(1, true);
op_LDXSH:
    LOAD(2, true);
op_LDXSW:
    LOAD(4, true);
op_STB:
    STORE(1, IMM);
op_STH:
    STORE(2, IMM);
op_STW:
    STORE(4, IMM);
op_STDW:
    STORE(8, IMM);
op_STXB:
    STORE(1, SRC);
op_STXH:
    STORE(2, SRC);
op_STXW:
    STORE(4, SRC);
op_STXDW:
    STORE(8, SRC);
op_ATOMIC_W:
    ATOMIC(CLS_STX | MODE_ATOMIC | SZ_W);
op_ATOMIC_DW:
    ATOMIC(CLS_STX | MODE_ATOMIC | SZ_DW);
op_JEQ64K:
    JCC64(JK, a == b);
op_JEQ64X:
    JCC64(SRC, a == b);
op_JEQ32K:
    JCC32(JK, a == b);
op_JEQ32X:
    JCC32(SRC, a == b);
op_JNE64K:
    JCC64(JK, a != b);
op_JNE64X:
    JCC64(SRC, a != b);
op_JNE32K:
    JCC32(JK, a != b);
op_JNE32X:
    JCC32(SRC, a != b);
op_JGT64K:
    JCC64(JK, a > b);
op_JGT64X:
    JCC64(SRC, a > b);
op_JGT32K:
    JCC32(JK, a > b);
op_JGT32X:
    JCC32(SRC, a > b);
op_JGE64K:
    JCC64(JK, a >= b);
op_JGE64X:
    JCC64(SRC, a >= b);
op_JGE32K:
    JCC32(JK, a >= b);
op_JGE32X:
    JCC32(SRC, a >= b);
op_JLT64K:
    JCC64(JK, a < b);
op_JLT64X:
    JCC64(SRC, a < b);
op_JLT32K:
    JCC32(JK, a < b);
op_JLT32X:
    JCC32(SRC, a < b);
op_JLE64K:
    JCC64(JK, a <= b);
op_JLE64X:
    JCC64(SRC, a <= b);
op_JLE32K:
    JCC32(JK, a <= b);
op_JLE32X:
    JCC32(SRC, a <= b);
op_JSET64K:
    JCC64(JK, a & b);
op_JSET64X:
    JCC64(SRC, a & b);
op_JSET32K:
    JCC32(JK, a & b);
op_JSET32X:
    JCC32(SRC, a & b);
op_JSGT64K:
    JCC64(JK, s64(a) > s64(b));
op_JSGT64X:
    JCC64(SRC, s64(a) > s64(b));
op_JSGT32K:
    JCC32(JK, s32(a) > s32(b));
op_JSGT32X:
    JCC32(SRC, s32(a) > s32(b));
op_JSGE64K:
    JCC64(JK, s64(a) >= s64(b));
op_JSGE64X:
    JCC64(SRC, s64(a) >= s64(b));
op_JSGE32K:
    JCC32(JK, s32(a) >= s32(b));
op_JSGE32X:
    JCC32(SRC, s32(a) >= s32(b));
op_JSLT64K:
    JCC64(JK, s64(a) < s64(b));
op_JSLT64X:
    JCC64(SRC, s64(a) < s64(b));
op_JSLT32K:
    JCC32(JK, s32(a) < s32(b));
op_JSLT32X:
    JCC32(SRC, s32(a) < s32(b));
op_JSLE64K:
    JCC64(JK, s64(a) <= s64(b));
op_JSLE64X:
    JCC64(SRC, s64(a) <= s64(b));
op_JSLE32K:
    JCC32(JK, s32(a) <= s32(b));
op_JSLE32X:
    JCC32(SRC, s32(a) <= s32(b));
op_JA:
    TAKE();

op_EXIT:
    if (depth == 0) {
        goto out;
    }
    depth--;
    memcpy(&reg[6], saved[depth], sizeof(saved[0]));
    ip = ret_ip[depth];
    vm->stack_lo += stack_size;
    STACK_MOVED();
    reg[REG_FP] = vm->stack_lo + stack_size;
    ENTER();

op_CALL_LOCAL:
    if (depth + 1 >= HERMES_EBPF_MAX_CALL_DEPTH) {
        st = HERMES_EBPF_FAULT_CALL_DEPTH;
        goto out;
    }
    if (abort_requested(cfg)) {
        st = HERMES_EBPF_FAULT_ABORTED;
        goto out;
    }
    memcpy(saved[depth], &reg[6], sizeof(saved[0]));
    ret_ip[depth] = ip + 1;
    depth++;
    vm->stack_lo -= stack_size;
    STACK_MOVED();
    reg[REG_FP] = vm->stack_lo + stack_size;
    memset(vm->stack_host + (vm->stack_lo - vm->stack_addr), 0, stack_size);
    ip = DINSN_AT(ip, ip->u.j.tgt);
    ENTER();

op_CALL_HELPER:
    {
        uint32_t id = (uint32_t)ip->u.j.k;
        uint64_t ret = 0;
        int rc;

        if (vm->nmaps && id >= HERMES_EBPF_FUNC_MAP_LOOKUP &&
            id <= HERMES_EBPF_FUNC_MAP_DELETE) {
            st = map_helper(vm, id, &reg[1], &reg[0], res, cfg->abort_flag);
            if (st != HERMES_EBPF_OK) {
                goto out;
            }
            if (abort_requested(cfg)) {
                st = HERMES_EBPF_FAULT_ABORTED;
                goto out;
            }
            ip++;
            ENTER();
        }
        rc = cfg->helper ? cfg->helper(cfg->helper_opaque, id, &reg[1], vm,
                                       &ret)
                         : -1;
        if (rc < 0) {
            res->helper_id = id;
            res->helper_err = rc;
            st = HERMES_EBPF_FAULT_HELPER;
            goto out;
        }
        reg[0] = ret;
        if (rc == HERMES_EBPF_HELPER_STOP) {
            goto out;
        }
        if (abort_requested(cfg)) {
            st = HERMES_EBPF_FAULT_ABORTED;
            goto out;
        }
        ip++;
        ENTER();
    }

/*
 * Fused pairs: both instructions in one handler, the second's operands
 * from its own slot, which a jump may still enter on its own.
 */
op_MOV64X_ADD64K:
    DST = SRC;
    SECOND();
    ALU64(IMM, a + b);
op_MOV64X_ADD64X:
    DST = SRC;
    SECOND();
    ALU64(SRC, a + b);
op_ADD64K_JGT64X:
    ALU64_DO(IMM, a + b);
    SECOND();
    JCC64(SRC, a > b);
op_ADD64K_JNE64K:
    ALU64_DO(IMM, a + b);
    SECOND();
    JCC64(JK, a != b);
op_ADD64K_JEQ64K:
    ALU64_DO(IMM, a + b);
    SECOND();
    JCC64(JK, a == b);
op_LDXB_ADD64X:
    LOAD_DO(1, false);
    SECOND();
    ALU64(SRC, a + b);
op_LDXB_AND64K:
    LOAD_DO(1, false);
    SECOND();
    ALU64(IMM, a & b);
op_LDXW_JEQ32K:
    LOAD_DO(4, false);
    SECOND();
    JCC32(JK, a == b);
op_ADD64X_LDXW:
    ALU64_DO(SRC, a + b);
    SECOND();
    LOAD(4, false);
op_ADD64X_MOV64X:
    ALU64_DO(SRC, a + b);
    SECOND();
    DST = SRC;
    NEXT(1);
op_ADD64K_ADD64X:
    ALU64_DO(IMM, a + b);
    SECOND();
    ALU64(SRC, a + b);
op_AND64K_MOV64X:
    ALU64_DO(IMM, a & b);
    SECOND();
    DST = SRC;
    NEXT(1);
op_ADD64K_JLT64X:
    ALU64_DO(IMM, a + b);
    SECOND();
    JCC64(SRC, a < b);
op_ADD32X_JGT64K:
    ALU32_DO(SRC, a + b);
    SECOND();
    JCC64(JK, a > b);
op_LDXB_ADD32X:
    LOAD_DO(1, false);
    SECOND();
    ALU32(SRC, a + b);
op_LDXW_ADD32K:
    LOAD_DO(4, false);
    SECOND();
    ALU32(IMM, a + b);
op_ADD32K_STXW:
    ALU32_DO(IMM, a + b);
    SECOND();
    STORE(4, SRC);
op_STXW_ADD64K:
    STORE_DO(4, SRC);
    SECOND();
    ALU64(IMM, a + b);
op_MOV64X_JGT64X:
    DST = SRC;
    SECOND();
    JCC64(SRC, a > b);
op_LDXH_ADD64X:
    LOAD_DO(2, false);
    SECOND();
    ALU64_DO(SRC, a + b);
    NEXT(1);
op_MOV64K_ADD64K:
    DST = IMM;
    SECOND();
    ALU64_DO(IMM, a + b);
    NEXT(1);
op_LDXB_ADD32X_JGT64K:
    LOAD_DO(1, false);
    SECOND();
    ALU32_DO(SRC, a + b);
    SECOND();
    JCC64(JK, a > b);
op_ADD64K_JEQ64K_JA:
    ALU64_DO(IMM, a + b);
    SECOND();
    JCC64_THEN(JK, a == b);
    TAKE();
op_LDXW_ADD32K_STXW:
    LOAD_DO(4, false);
    SECOND();
    ALU32_DO(IMM, a + b);
    SECOND();
    STORE_DO(4, SRC);
    NEXT(1);
op_MOV64X_ADD64K_ADD64X:
    DST = SRC;
    SECOND();
    ALU64_DO(IMM, a + b);
    SECOND();
    ALU64_DO(SRC, a + b);
    NEXT(1);
op_MOV64X_ADD64K_JGT64X:
    DST = SRC;
    SECOND();
    ALU64_DO(IMM, a + b);
    SECOND();
    JCC64(SRC, a > b);
op_BOUNDS:
    /*
     * the value flows through (fuse_flows()); the first and third slots'
     * registers are overwritten by the next slot, so only it stores them
     */
    {
        uint64_t v = SRC;

        SECOND();
        v += SRC;
        DST = v;
        SECOND();
        SECOND();
        v += IMM;
        DST = v;
        SECOND();
        if (v > SRC) {
            TAKE();
        }
        ip++;
        ENTER();
    }
op_ADD64K_JNE64K_F:
    {
        uint64_t v = DST + IMM;

        DST = v;
        SECOND();
        if (v != JK) {
            TAKE();
        }
        ip++;
        ENTER();
    }
op_ADD64K_JLT64X_F:
    {
        uint64_t v = DST + IMM;

        DST = v;
        SECOND();
        if (v < SRC) {
            TAKE();
        }
        ip++;
        ENTER();
    }
op_ADD64K_JEQ64K_JA_F:
    {
        uint64_t v = DST + IMM;

        DST = v;
        SECOND();
        if (v == JK) {
            TAKE();
        }
        ip++;
        ENTER_HERE();
        TAKE();
    }
op_LDXH_ADD64X_F:
    {
        uint64_t v;

        LOAD_V(v, 2);
        DST = v;
        SECOND();
        DST += v;
        NEXT(1);
    }
op_LDXW_JEQ32K_F:
    {
        uint64_t v;

        LOAD_V(v, 4);
        DST = v;
        SECOND();
        if ((uint32_t)v == (uint32_t)JK) {
            TAKE();
        }
        ip++;
        ENTER();
    }
op_LDXB_ADD32X_JGT64K_F:
    {
        uint64_t v;

        LOAD_V(v, 1);
        DST = v;
        SECOND();
        DST = (uint32_t)(DST + v);
        SECOND();
        JCC64(JK, a > b);
    }
op_LDXB_AND64K_F:
    {
        uint64_t v;

        LOAD_V(v, 1);
        SECOND();
        DST = v & IMM;          /* the load's register too */
        NEXT(1);
    }
op_MOV64X_ADD64K_ADD64X_F:
    /* one register: stored once, by the last slot */
    {
        uint64_t v = SRC;

        SECOND();
        v += IMM;
        SECOND();
        v += SRC;
        DST = v;
        NEXT(1);
    }
op_LDXW_ADD32K_STXW_F:
    /*
     * A counter on the live stack (read-write): where the store goes to
     * the address the load came from, it is the load's host byte
     */
    {
        uint64_t v, addr = SRC + (uint64_t)(int64_t)ip->off;
        uint64_t so = addr - s_lo;

        if (so <= s_live - 4) {
            uint8_t *p = s_host + so;

            v = (uint32_t)(ld_n(p, 4) + ip[1].u.imm);
            SECOND();
            DST = v;            /* the load's register too */
            SECOND();
            if (DST + (uint64_t)(int64_t)ip->off == addr) {
                st_n(p, 4, v);
                NEXT(1);
            }
            STORE_DO(4, v);
            NEXT(1);
        }
        LOAD_V(v, 4);
        SECOND();
        v = (uint32_t)(v + IMM);
        DST = v;                /* the load's register too */
        SECOND();
        STORE_DO(4, v);
        NEXT(1);
    }

op_INVALID:
    st = HERMES_EBPF_ERR_INVALID_INSN;
    goto fault;

op_END_OF_PROG:
    /* the reference checks the program counter before the budget */
    st = HERMES_EBPF_ERR_BAD_JUMP;
    left += ip->blen;
    goto out;

slow_enter:
    /* a straight run the budget or an abort poll cuts: find where */
    executed = e->limit - (uint64_t)left;
    e->limit = run_limit(executed, budget, polls);
    stop = plan_stop(ip, executed, budget, polls, &executed);
    left = (int64_t)(e->limit - executed);
    if (!stop) {
        goto *ip->h;
    }
    if (ip == stop) {
        goto brk;
    }
    goto step;

brk:
    /* ip is the instruction where the budget ends or the flag is polled */
    {
        uint64_t cnt = e->limit - (uint64_t)left - ip->blen;

        if (cnt >= budget) {
            left = (int64_t)(e->limit - cnt);
            st = HERMES_EBPF_FAULT_BUDGET;
            goto out;
        }
        cnt++;
        if ((cnt % HERMES_EBPF_ABORT_POLL_INTERVAL) == 0 &&
            abort_requested(cfg)) {
            left = (int64_t)(e->limit - cnt);
            st = HERMES_EBPF_FAULT_ABORTED;
            goto out;
        }
        if (ip->blen > 1) {
            uint64_t rest;

            stop = plan_stop(dinsn_next(ip), cnt, budget, polls, &rest);
            if (stop) {
                goto step;
            }
        }
        goto *ip->h;
    }

step:
    /*
     * ip is a straight-line slot before stop: its own form (never a
     * fused sequence) runs alone, on a copy, and goes on to STEPPED
     */
    {
        bool has_target;
        uint32_t target;
        int h = decode_slot(code->insns, code->ninsns, (uint32_t)(ip - d),
                            &step[0], &has_target, &target);

        step[0].h = table[h];
        step[0].blen = ip->blen;
        step[1].h = &&op_STEPPED;
        step[2].h = &&op_STEPPED;      /* after an lddw */
        step_ip = ip;
        ip = step;
        goto *ip->h;
    }

op_STEPPED:
    ip = dinsn_next(step_ip);
    step_ip = NULL;
    if (ip == stop) {
        goto brk;
    }
    goto step;

fault:
    if (step_ip) {
        ip = step_ip;           /* the slot, not its copy */
    }
    /* the instructions of the straight run after the faulting one */
    left += ip->blen - 1;

out:
    res->status = st;
    res->r0 = reg[0];
    res->pc = (uint32_t)(ip - d);
    res->insns = e->limit - (uint64_t)left;
    return st;

#undef DST
#undef SRC
#undef IMM
#undef JK
#undef NEXT
#undef SECOND
#undef ALU64_DO
#undef LOAD_DO
#undef LOAD_V
#undef ALU32_DO
#undef STORE_DO
#undef ENTER
#undef ENTER_HERE
#undef JCC64_THEN
#undef JCC32_THEN
#undef TAKE
#undef ALU64
#undef ALU32
#undef JCC64
#undef JCC32
#undef LOAD
#undef STORE
#undef ATOMIC
#undef TRANSLATE
#undef STACK_MOVED
}

/* run_threaded(), or the JIT's native code (end of the file) */
static HermesEbpfStatus run_decoded(const HermesEbpfCode *code, RunEnv *e,
                                    const HermesEbpfRunConfig *cfg,
                                    HermesEbpfResult *res);

size_t hermes_ebpf_code_size(uint32_t ninsns)
{
    if (ninsns == 0 || ninsns > HERMES_EBPF_MAX_INSNS) {
        return 0;
    }
    return sizeof(HermesEbpfCode) + ((size_t)ninsns + 1) * sizeof(DInsn);
}

/* ALU and ALU64 (classes 4 and 7): the handler, as the reference does it */
static int decode_alu(uint64_t w, DInsn *di)
{
    uint8_t op = insn_op(w);
    bool is64 = OP_CLASS(op) == CLS_ALU64, x = op & OP_SRC_X;
    int16_t off = insn_off(w);
    int32_t imm = insn_imm(w);
    int form = (is64 ? 0 : 2) + (x ? 1 : 0);    /* 64K, 64X, 32K, 32X */

    di->u.imm = (uint64_t)(int64_t)imm;
    switch (OP_CODE(op)) {
    case ALU_ADD:
        return H_ADD64K + form;
    case ALU_SUB:
        return H_SUB64K + form;
    case ALU_MUL:
        return H_MUL64K + form;
    case ALU_OR:
        return H_OR64K + form;
    case ALU_AND:
        return H_AND64K + form;
    case ALU_XOR:
        return H_XOR64K + form;
    case ALU_LSH:
        return H_LSH64K + form;
    case ALU_RSH:
        return H_RSH64K + form;
    case ALU_ARSH:
        return H_ARSH64K + form;
    case ALU_DIV:
        return (off ? H_SDIV64K : H_DIV64K) + form;
    case ALU_MOD:
        return (off ? H_SMOD64K : H_MOD64K) + form;
    case ALU_NEG:
        return is64 ? H_NEG64 : H_NEG32;
    case ALU_MOV:
        if (x && off > 0 && off <= 32) {
            return is64 ? H_MOVSX64 : H_MOVSX32;
        }
        return H_MOV64K + form;
    case ALU_END:
        if (is64 && x) {
            return H_INVALID;
        }
        switch (imm) {
        case 16:
            return is64 || x ? H_BSWAP16 : H_LE16;
        case 32:
            return is64 || x ? H_BSWAP32 : H_LE32;
        case 64:
            return is64 || x ? H_BSWAP64 : H_LE64;
        default:
            return H_INVALID;
        }
    default:
        return H_INVALID;
    }
}

/*
 * JMP and JMP32 (classes 5 and 6).  *@target is set for a jump or a call
 * into the program: the slot it names, pc + 1 + offset modulo 2^32.
 */
static int decode_jmp(uint64_t w, uint32_t pc, DInsn *di, bool *has_target,
                      uint32_t *target)
{
    static const int cond[16] = {
        [JMP_JEQ >> 4] = H_JEQ64K, [JMP_JNE >> 4] = H_JNE64K,
        [JMP_JGT >> 4] = H_JGT64K, [JMP_JGE >> 4] = H_JGE64K,
        [JMP_JLT >> 4] = H_JLT64K, [JMP_JLE >> 4] = H_JLE64K,
        [JMP_JSET >> 4] = H_JSET64K, [JMP_JSGT >> 4] = H_JSGT64K,
        [JMP_JSGE >> 4] = H_JSGE64K, [JMP_JSLT >> 4] = H_JSLT64K,
        [JMP_JSLE >> 4] = H_JSLE64K,
    };
    uint8_t op = insn_op(w);
    bool is32 = OP_CLASS(op) == CLS_JMP32, x = op & OP_SRC_X;
    unsigned code = OP_CODE(op);
    int32_t imm = insn_imm(w);

    di->u.j.k = imm;
    *has_target = true;
    switch (code) {
    case JMP_JA:
        *target = pc + 1 + (uint32_t)(is32 ? imm : insn_off(w));
        return H_JA;
    case JMP_EXIT:
        *has_target = false;
        return is32 ? H_INVALID : H_EXIT;
    case JMP_CALL:
        *has_target = false;
        if (is32 || x) {
            return H_INVALID;
        }
        if (insn_src(w) == CALL_PSEUDO) {
            *has_target = true;
            *target = pc + 1 + (uint32_t)imm;
            return H_CALL_LOCAL;
        }
        return insn_src(w) == CALL_HELPER ? H_CALL_HELPER : H_INVALID;
    default:
        if (!cond[code >> 4]) {
            *has_target = false;
            return H_INVALID;
        }
        *target = pc + 1 + (uint32_t)(int32_t)insn_off(w);
        return cond[code >> 4] + (is32 ? 2 : 0) + (x ? 1 : 0);
    }
}

/* LD, LDX, ST and STX (classes 0 to 3): the opcode names the handler */
static int decode_mem(const uint64_t *insns, uint32_t n, uint32_t pc,
                      DInsn *di)
{
    uint64_t w = insns[pc];
    int32_t imm = insn_imm(w);

    di->u.imm = (uint64_t)(int64_t)imm;
    switch (insn_op(w)) {
    case CLS_LDX | MODE_MEM | SZ_B:
        return H_LDXB;
    case CLS_LDX | MODE_MEM | SZ_H:
        return H_LDXH;
    case CLS_LDX | MODE_MEM | SZ_W:
        return H_LDXW;
    case CLS_LDX | MODE_MEM | SZ_DW:
        return H_LDXDW;
    case CLS_LDX | MODE_MEMSX | SZ_B:
        return H_LDXSB;
    case CLS_LDX | MODE_MEMSX | SZ_H:
        return H_LDXSH;
    case CLS_LDX | MODE_MEMSX | SZ_W:
        return H_LDXSW;
    case CLS_ST | MODE_MEM | SZ_B:
        return H_STB;
    case CLS_ST | MODE_MEM | SZ_H:
        return H_STH;
    case CLS_ST | MODE_MEM | SZ_W:
        return H_STW;
    case CLS_ST | MODE_MEM | SZ_DW:
        return H_STDW;
    case CLS_STX | MODE_MEM | SZ_B:
        return H_STXB;
    case CLS_STX | MODE_MEM | SZ_H:
        return H_STXH;
    case CLS_STX | MODE_MEM | SZ_W:
        return H_STXW;
    case CLS_STX | MODE_MEM | SZ_DW:
        return H_STXDW;
    case CLS_STX | MODE_ATOMIC | SZ_W:
        di->u.j.k = imm;
        return H_ATOMIC_W;
    case CLS_STX | MODE_ATOMIC | SZ_DW:
        di->u.j.k = imm;
        return H_ATOMIC_DW;
    case OPCODE_LDDW:
        if (pc + 1 >= n) {
            return H_INVALID;
        }
        if (insn_src(w) == HERMES_EBPF_PSEUDO_MAP_IDX) {
            di->u.imm = HERMES_EBPF_MAP_REF((uint32_t)imm);
        } else {
            di->u.imm = (uint32_t)imm |
                        (insns[pc + 1] & 0xffffffff00000000ull);
        }
        di->src = DINSN_WIDE;
        return H_LDDW;
    default:
        return H_INVALID;
    }
}

/* Does the straight-line run end with this handler (a control transfer)? */
/*
 * Instruction @pc of @insns in its own form (no fused sequence) into
 * @di, but for the handler, which it returns, and @di->blen
 */
static int decode_slot(const uint64_t *insns, uint32_t n, uint32_t pc,
                       DInsn *di, bool *has_target, uint32_t *target)
{
    uint64_t w = insns[pc];

    memset(di, 0, sizeof(*di));
    di->dst = insn_dst(w);
    di->src = insn_src(w);
    di->off = insn_off(w);
    if (OP_CLASS(insn_op(w)) == CLS_ALU ||
        OP_CLASS(insn_op(w)) == CLS_ALU64) {
        return decode_alu(w, di);
    }
    if (OP_CLASS(insn_op(w)) == CLS_JMP ||
        OP_CLASS(insn_op(w)) == CLS_JMP32) {
        return decode_jmp(w, pc, di, has_target, target);
    }
    return decode_mem(insns, n, pc, di);
}

static bool ends_run(int h)
{
    return h == H_INVALID || (h >= H_JEQ64K && h <= H_CALL_HELPER);
}

/* Longest fused sequence */
#define FUSE_MAX        5

/*
 * Common pairs of a straight-line run that one handler executes: the
 * compare-and-branch and move-and-add idioms of compiled loops, a load
 * with the ALU instruction that uses it, a counter update and its store
 * (the pairs bench-engine's programs execute most).
 */
static const struct {
    uint16_t fused;
    uint8_t n;
    uint16_t seq[FUSE_MAX];
} fusions[] = {
    { H_BOUNDS, 5, { H_MOV64X, H_ADD64X, H_MOV64X, H_ADD64K, H_JGT64X } },
    { H_LDXW_ADD32K_STXW_F, 3, { H_LDXW, H_ADD32K, H_STXW } },
    { H_MOV64X_ADD64K_ADD64X_F, 3, { H_MOV64X, H_ADD64K, H_ADD64X } },
    { H_LDXB_ADD32X_JGT64K_F, 3, { H_LDXB, H_ADD32X, H_JGT64K } },
    { H_ADD64K_JEQ64K_JA_F, 3, { H_ADD64K, H_JEQ64K, H_JA } },
    { H_MOV64X_ADD64K_JGT64X, 3, { H_MOV64X, H_ADD64K, H_JGT64X } },
    { H_MOV64X_ADD64K_ADD64X, 3, { H_MOV64X, H_ADD64K, H_ADD64X } },
    { H_LDXW_ADD32K_STXW, 3, { H_LDXW, H_ADD32K, H_STXW } },
    { H_ADD64K_JEQ64K_JA, 3, { H_ADD64K, H_JEQ64K, H_JA } },
    { H_LDXB_ADD32X_JGT64K, 3, { H_LDXB, H_ADD32X, H_JGT64K } },
    { H_LDXB_AND64K_F, 2, { H_LDXB, H_AND64K } },
    { H_LDXW_JEQ32K_F, 2, { H_LDXW, H_JEQ32K } },
    { H_LDXH_ADD64X_F, 2, { H_LDXH, H_ADD64X } },
    { H_ADD64K_JLT64X_F, 2, { H_ADD64K, H_JLT64X } },
    { H_ADD64K_JNE64K_F, 2, { H_ADD64K, H_JNE64K } },
    { H_MOV64X_ADD64K, 2, { H_MOV64X, H_ADD64K } },
    { H_MOV64X_ADD64X, 2, { H_MOV64X, H_ADD64X } },
    { H_ADD64K_JGT64X, 2, { H_ADD64K, H_JGT64X } },
    { H_ADD64K_JNE64K, 2, { H_ADD64K, H_JNE64K } },
    { H_ADD64K_JEQ64K, 2, { H_ADD64K, H_JEQ64K } },
    { H_LDXB_ADD64X, 2, { H_LDXB, H_ADD64X } },
    { H_LDXB_AND64K, 2, { H_LDXB, H_AND64K } },
    { H_LDXW_JEQ32K, 2, { H_LDXW, H_JEQ32K } },
    { H_ADD64X_LDXW, 2, { H_ADD64X, H_LDXW } },
    { H_ADD64X_MOV64X, 2, { H_ADD64X, H_MOV64X } },
    { H_ADD64K_ADD64X, 2, { H_ADD64K, H_ADD64X } },
    { H_AND64K_MOV64X, 2, { H_AND64K, H_MOV64X } },
    { H_ADD64K_JLT64X, 2, { H_ADD64K, H_JLT64X } },
    { H_ADD32X_JGT64K, 2, { H_ADD32X, H_JGT64K } },
    { H_LDXB_ADD32X, 2, { H_LDXB, H_ADD32X } },
    { H_LDXW_ADD32K, 2, { H_LDXW, H_ADD32K } },
    { H_ADD32K_STXW, 2, { H_ADD32K, H_STXW } },
    { H_STXW_ADD64K, 2, { H_STXW, H_ADD64K } },
    { H_MOV64K_ADD64K, 2, { H_MOV64K, H_ADD64K } },
    { H_LDXH_ADD64X, 2, { H_LDXH, H_ADD64X } },
    { H_MOV64X_JGT64X, 2, { H_MOV64X, H_JGT64X } },
};

/*
 * May slots @d hold fused sequence @f?  Some handlers keep a register's
 * value in a variable from one slot to the next: where the later slot
 * reads the register the earlier one wrote.
 */
static bool fuse_flows(int f, const DInsn *d)
{
    switch (f) {
    case H_BOUNDS:
        return d[1].dst == d[0].dst && d[1].src != d[0].dst &&
               d[2].src == d[1].dst && d[3].dst == d[2].dst &&
               d[4].dst == d[3].dst;
    case H_ADD64K_JNE64K_F:
        return d[1].dst == d[0].dst;
    case H_ADD64K_JLT64X_F:
        return d[1].dst == d[0].dst;
    case H_ADD64K_JEQ64K_JA_F:
        return d[1].dst == d[0].dst;
    case H_LDXH_ADD64X_F:
        return d[1].src == d[0].dst;
    case H_LDXW_JEQ32K_F:
        return d[1].dst == d[0].dst;
    case H_LDXB_ADD32X_JGT64K_F:
        return d[1].src == d[0].dst;
    case H_LDXB_AND64K_F:
        return d[1].dst == d[0].dst;
    case H_MOV64X_ADD64K_ADD64X_F:
        return d[1].dst == d[0].dst && d[2].dst == d[0].dst &&
               d[2].src != d[0].dst;
    case H_LDXW_ADD32K_STXW_F:
        return d[1].dst == d[0].dst && d[2].src == d[0].dst;
    default:
        return true;
    }
}

HermesEbpfCode *hermes_ebpf_decode(const uint64_t *insns, uint32_t ninsns,
                                   void *mem, size_t size)
{
    const void *const *table;
    HermesEbpfCode *code = mem;
    size_t need = hermes_ebpf_code_size(ninsns);
    uint32_t pc;

    if (!insns || !mem || !need || size < need ||
        ((uintptr_t)mem % _Alignof(HermesEbpfCode))) {
        return NULL;
    }
    run_threaded(NULL, NULL, NULL, NULL, &table);
    code->insns = insns;
    code->ninsns = ninsns;
    code->ref_only = false;
    code->jit = NULL;

    /* the slot past the end, and the runs backwards from it */
    memset(&code->d[ninsns], 0, sizeof(DInsn));
    code->d[ninsns].h = table[H_END_OF_PROG];
    for (pc = ninsns; pc-- > 0;) {
        DInsn *di = &code->d[pc];
        bool has_target = false;
        uint32_t target = 0;
        int h;

        h = decode_slot(insns, ninsns, pc, di, &has_target, &target);
        if (has_target) {
            if (target > ninsns) {
                code->ref_only = true;
                target = ninsns;
            }
            di->u.j.tgt = ((int32_t)target - (int32_t)pc) *
                          (int32_t)sizeof(DInsn);
        }
        di->h = table[h];
        di->blen = ends_run(h) ? 1 : 1 + dinsn_next(di)->blen;
    }
    /*
     * The fused sequences, the longest first; a slot keeps its own form
     * for a jump into it
     */
    for (pc = 0; pc + 1 < ninsns; pc++) {
        size_t f;

        for (f = 0; f < sizeof(fusions) / sizeof(fusions[0]); f++) {
            unsigned k, n = fusions[f].n;

            for (k = 0; k < n && pc + k < ninsns; k++) {
                if (code->d[pc + k].h != table[fusions[f].seq[k]]) {
                    break;
                }
            }
            if (k == n && fuse_flows(fusions[f].fused, &code->d[pc])) {
                code->d[pc].h = table[fusions[f].fused];
                break;
            }
        }
    }
    return code;
}

HermesEbpfStatus hermes_ebpf_run_code(const HermesEbpfCode *code,
                                      const HermesEbpfRegion *regions,
                                      size_t nregions,
                                      const HermesEbpfRunConfig *cfg,
                                      HermesEbpfResult *res)
{
    uint64_t local_stack[HERMES_EBPF_MAX_CALL_DEPTH *
                         HERMES_EBPF_DEFAULT_STACK_SIZE / 8];
    RunEnv env;

    if (code && code->ref_only) {
        return hermes_ebpf_run(code->insns, code->ninsns, regions, nregions,
                               cfg, res);
    }
    if (!code || !run_env_init(&env, regions, nregions, cfg, local_stack)) {
        memset(res, 0, sizeof(*res));
        res->status = HERMES_EBPF_ERR_BAD_CONFIG;
        return res->status;
    }
    return run_decoded(code, &env, cfg, res);
}

/* ------------------------------------------------------------------ */
/* XDP run context and helpers                                         */

static inline uint64_t xdp_get(const HermesEbpfXdp *xdp, unsigned off)
{
    return ld_le64((const uint8_t *)xdp->ctx + off);
}

static inline void xdp_set(HermesEbpfXdp *xdp, unsigned off, uint64_t v)
{
    st_le64((uint8_t *)xdp->ctx + off, v);
}

void hermes_ebpf_xdp_init(HermesEbpfXdp *xdp, uint64_t ctx_base,
                          uint64_t data, uint64_t data_end,
                          uint64_t hard_start, uint64_t hard_end,
                          uint32_t iteration)
{
    memset(xdp->ctx, 0, sizeof(xdp->ctx));
    xdp->ctx_base = ctx_base;
    /* the kernel's struct xdp_frame, where the headroom has room for it */
    xdp->floor = data >= hard_start &&
                 data - hard_start >= HERMES_EBPF_XDP_FRAME_SIZE ?
                 hard_start + HERMES_EBPF_XDP_FRAME_SIZE : data;
    xdp_set(xdp, HERMES_EBPF_XDP_DATA, data);
    xdp_set(xdp, HERMES_EBPF_XDP_DATA_END, data_end);
    xdp_set(xdp, HERMES_EBPF_XDP_DATA_META, data);
    xdp_set(xdp, HERMES_EBPF_XDP_HARD_START, hard_start);
    xdp_set(xdp, HERMES_EBPF_XDP_HARD_END, hard_end);
    st_le32((uint8_t *)xdp->ctx + HERMES_EBPF_XDP_ITERATION, iteration);
}

uint64_t hermes_ebpf_xdp_data(const HermesEbpfXdp *xdp)
{
    return xdp_get(xdp, HERMES_EBPF_XDP_DATA);
}

uint64_t hermes_ebpf_xdp_data_end(const HermesEbpfXdp *xdp)
{
    return xdp_get(xdp, HERMES_EBPF_XDP_DATA_END);
}

uint64_t hermes_ebpf_xdp_data_meta(const HermesEbpfXdp *xdp)
{
    return xdp_get(xdp, HERMES_EBPF_XDP_DATA_META);
}

bool hermes_ebpf_xdp_has_helper(uint32_t id)
{
    switch (id) {
    case HERMES_EBPF_FUNC_KTIME_GET_NS:
    case HERMES_EBPF_FUNC_GET_PRANDOM_U32:
    case HERMES_EBPF_FUNC_GET_SMP_PROC_ID:
    case HERMES_EBPF_FUNC_CSUM_DIFF:
    case HERMES_EBPF_FUNC_XDP_ADJUST_HEAD:
    case HERMES_EBPF_FUNC_XDP_ADJUST_META:
    case HERMES_EBPF_FUNC_XDP_ADJUST_TAIL:
    case HERMES_EBPF_FUNC_XDP_GET_BUFF_LEN:
    case HERMES_EBPF_FUNC_XDP_LOAD_BYTES:
    case HERMES_EBPF_FUNC_XDP_STORE_BYTES:
        return true;
    default:
        return false;
    }
}

/*
 * bpf_xdp_load_bytes() and bpf_xdp_store_bytes() on the linear packet:
 * the kernel's errors (EFAULT for an offset or length over 0xffff, EINVAL
 * past the end), and a HELPER fault when the buffer is not memory the
 * program may read or write.
 */
static int xdp_copy_bytes(HermesEbpfXdp *xdp, bool store,
                          const uint64_t args[5], HermesEbpfVm *vm,
                          uint64_t *ret)
{
    uint64_t data = xdp_get(xdp, HERMES_EBPF_XDP_DATA);
    uint64_t end = xdp_get(xdp, HERMES_EBPF_XDP_DATA_END);
    uint32_t off = (uint32_t)args[1], len = (uint32_t)args[3];
    uint8_t *pkt, *buf;

    if (args[0] != xdp->ctx_base) {
        *ret = -(uint64_t)HERMES_EBPF_EINVAL;
        return HERMES_EBPF_HELPER_CONTINUE;
    }
    if (off > 0xffff || len > 0xffff) {
        *ret = -(uint64_t)HERMES_EBPF_EFAULT;
        return HERMES_EBPF_HELPER_CONTINUE;
    }
    if ((uint64_t)off + len > end - data) {
        *ret = -(uint64_t)HERMES_EBPF_EINVAL;
        return HERMES_EBPF_HELPER_CONTINUE;
    }
    *ret = 0;
    if (!len) {
        return HERMES_EBPF_HELPER_CONTINUE;
    }
    pkt = vm_translate(vm, data + off, len,
                       store ? HERMES_EBPF_MEM_WRITE : HERMES_EBPF_MEM_READ);
    buf = vm_translate(vm, args[2], len,
                       store ? HERMES_EBPF_MEM_READ : HERMES_EBPF_MEM_WRITE);
    if (!pkt || !buf) {
        return -HERMES_EBPF_EFAULT;
    }
    if (store) {
        memmove(pkt, buf, len);
    } else {
        memmove(buf, pkt, len);
    }
    return HERMES_EBPF_HELPER_CONTINUE;
}

/*
 * The 32-bit one's complement sum x86-64's csum_partial() returns for the
 * @len bytes at @buf and @seed: 8-byte little-endian chunks (the last one
 * zero-padded) added to @seed in 64 bits with end-around carry, then the
 * two halves added with end-around carry.  Both additions give 0 only
 * when everything added is 0, as the kernel's carry chains do, so even
 * the representation of zero (0 or all ones) is the kernel's.
 */
static uint32_t csum_partial64(const uint8_t *buf, uint32_t len,
                               uint32_t seed)
{
    uint64_t sum = seed, v;
    uint32_t i, k;

    for (i = 0; i < len; i += 8) {
        if (len - i >= 8) {
            v = ld_le64(buf + i);
        } else {
            v = 0;
            for (k = 0; k < len - i; k++) {
                v |= (uint64_t)buf[i + k] << (8 * k);
            }
        }
        sum += v;
        sum += sum < v;
    }
    v = (sum >> 32) + (uint32_t)sum;
    return (uint32_t)(v + (v >> 32));
}

/*
 * bpf_csum_diff(): the kernel puts the complemented "from" words and the
 * "to" words in a scratch buffer of MAX_BPF_STACK bytes and sums it with
 * csum_partial(); so does the device.
 */
static int xdp_csum_diff(const uint64_t args[5], HermesEbpfVm *vm,
                         uint64_t *ret)
{
    uint32_t from_size = (uint32_t)args[1], to_size = (uint32_t)args[3];
    uint8_t diff[HERMES_EBPF_CSUM_DIFF_MAX];
    const uint8_t *from = NULL, *to = NULL;
    uint32_t i;

    /* in 64 bits: two sizes whose sum wraps to a small one stay -EINVAL */
    if ((from_size | to_size) % 4 ||
        (uint64_t)from_size + to_size > HERMES_EBPF_CSUM_DIFF_MAX) {
        *ret = -(uint64_t)HERMES_EBPF_EINVAL;
        return HERMES_EBPF_HELPER_CONTINUE;
    }
    if (from_size) {
        from = vm_translate(vm, args[0], from_size, HERMES_EBPF_MEM_READ);
    }
    if (to_size) {
        to = vm_translate(vm, args[2], to_size, HERMES_EBPF_MEM_READ);
    }
    if ((from_size && !from) || (to_size && !to)) {
        return -HERMES_EBPF_EFAULT;
    }
    for (i = 0; i < from_size; i++) {
        diff[i] = ~from[i];
    }
    if (to_size) {
        memcpy(diff + from_size, to, to_size);
    }
    *ret = csum_partial64(diff, from_size + to_size, (uint32_t)args[4]);
    return HERMES_EBPF_HELPER_CONTINUE;
}

/*
 * bpf_get_prandom_u32(): one step of SplitMix64 (Steele, Lea and Flood,
 * OOPSLA 2014): a Weyl sequence of the golden ratio, then a mix.
 */
static uint32_t xdp_prandom(HermesEbpfXdpEnv *env)
{
    uint64_t z;

    env->prng += 0x9e3779b97f4a7c15ull;
    z = env->prng;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (uint32_t)(z >> 32);
}

/*
 * bpf_xdp_adjust_head(): the kernel keeps the metadata in front of data,
 * so it moves with it, and data stays metalen bytes above the floor.
 */
static int xdp_adjust_head(HermesEbpfXdp *xdp, const uint64_t args[5],
                           HermesEbpfVm *vm, uint64_t *ret)
{
    uint64_t delta = (uint64_t)(int64_t)(int32_t)(uint32_t)args[1];
    uint64_t data = xdp_get(xdp, HERMES_EBPF_XDP_DATA);
    uint64_t end = xdp_get(xdp, HERMES_EBPF_XDP_DATA_END);
    uint64_t meta = xdp_get(xdp, HERMES_EBPF_XDP_DATA_META);
    uint64_t metalen = data - meta, v = data + delta;
    uint8_t *src, *dst;

    *ret = -(uint64_t)HERMES_EBPF_EINVAL;
    if (args[0] != xdp->ctx_base ||
        (is_neg64(delta) ? v > data : v < data) ||
        v < xdp->floor || v - xdp->floor < metalen ||
        end < HERMES_EBPF_ETH_HLEN || v > end - HERMES_EBPF_ETH_HLEN) {
        return HERMES_EBPF_HELPER_CONTINUE;
    }
    if (metalen) {
        src = vm_translate(vm, meta, metalen, HERMES_EBPF_MEM_READ);
        dst = vm_translate(vm, meta + delta, metalen, HERMES_EBPF_MEM_WRITE);
        if (!src || !dst) {
            return -HERMES_EBPF_EFAULT;
        }
        memmove(dst, src, metalen);
    }
    xdp_set(xdp, HERMES_EBPF_XDP_DATA_META, meta + delta);
    xdp_set(xdp, HERMES_EBPF_XDP_DATA, v);
    *ret = 0;
    return HERMES_EBPF_HELPER_CONTINUE;
}

/* bpf_xdp_adjust_meta(): the kernel's bounds, then its length rule */
static int xdp_adjust_meta(HermesEbpfXdp *xdp, const uint64_t args[5],
                           uint64_t *ret)
{
    uint64_t delta = (uint64_t)(int64_t)(int32_t)(uint32_t)args[1];
    uint64_t data = xdp_get(xdp, HERMES_EBPF_XDP_DATA);
    uint64_t meta = xdp_get(xdp, HERMES_EBPF_XDP_DATA_META);
    uint64_t v = meta + delta;

    if (args[0] != xdp->ctx_base ||
        (is_neg64(delta) ? v > meta : v < meta) ||
        v < xdp->floor || v > data) {
        *ret = -(uint64_t)HERMES_EBPF_EINVAL;
    } else if ((data - v) % 4 || data - v > HERMES_EBPF_XDP_META_MAX) {
        *ret = -(uint64_t)HERMES_EBPF_EACCES;
    } else {
        xdp_set(xdp, HERMES_EBPF_XDP_DATA_META, v);
        *ret = 0;
    }
    return HERMES_EBPF_HELPER_CONTINUE;
}

int hermes_ebpf_xdp_helper(void *opaque, uint32_t id, const uint64_t args[5],
                           HermesEbpfVm *vm, uint64_t *ret)
{
    HermesEbpfXdp *xdp = opaque;
    uint64_t delta = (uint64_t)(int64_t)(int32_t)(uint32_t)args[1];
    uint64_t data = xdp_get(xdp, HERMES_EBPF_XDP_DATA);
    uint64_t end = xdp_get(xdp, HERMES_EBPF_XDP_DATA_END);
    uint64_t v;

    switch (id) {
    case HERMES_EBPF_FUNC_KTIME_GET_NS:
    case HERMES_EBPF_FUNC_GET_PRANDOM_U32:
    case HERMES_EBPF_FUNC_GET_SMP_PROC_ID:
        if (!xdp->env) {
            return -1;
        }
        *ret = id == HERMES_EBPF_FUNC_KTIME_GET_NS ?
               xdp->env->clock_ns(xdp->env->clock_opaque) :
               id == HERMES_EBPF_FUNC_GET_PRANDOM_U32 ? xdp_prandom(xdp->env) :
               xdp->env->cpu;
        return HERMES_EBPF_HELPER_CONTINUE;
    case HERMES_EBPF_FUNC_CSUM_DIFF:
        return xdp_csum_diff(args, vm, ret);
    case HERMES_EBPF_FUNC_XDP_ADJUST_HEAD:
        return xdp_adjust_head(xdp, args, vm, ret);
    case HERMES_EBPF_FUNC_XDP_ADJUST_META:
        return xdp_adjust_meta(xdp, args, ret);
    case HERMES_EBPF_FUNC_XDP_ADJUST_TAIL:
        v = end + delta;
        if (args[0] != xdp->ctx_base ||
            data > UINT64_MAX - HERMES_EBPF_ETH_HLEN ||
            v < data + HERMES_EBPF_ETH_HLEN ||
            v > xdp_get(xdp, HERMES_EBPF_XDP_HARD_END) ||
            (is_neg64(delta) ? v > end : v < end)) {
            *ret = -(uint64_t)HERMES_EBPF_EINVAL;
        } else {
            xdp_set(xdp, HERMES_EBPF_XDP_DATA_END, v);
            *ret = 0;
        }
        return HERMES_EBPF_HELPER_CONTINUE;
    case HERMES_EBPF_FUNC_XDP_GET_BUFF_LEN:
        /* the packet is linear: no fragments */
        *ret = args[0] == xdp->ctx_base ? end - data
                                        : -(uint64_t)HERMES_EBPF_EINVAL;
        return HERMES_EBPF_HELPER_CONTINUE;
    case HERMES_EBPF_FUNC_XDP_LOAD_BYTES:
    case HERMES_EBPF_FUNC_XDP_STORE_BYTES:
        return xdp_copy_bytes(xdp, id == HERMES_EBPF_FUNC_XDP_STORE_BYTES,
                              args, vm, ret);
    default:
        return xdp->next ? xdp->next(xdp->next_opaque, id, args, vm, ret)
                         : -1;
    }
}

/* ------------------------------------------------------------------ */
/* Record batches                                                      */

/* The checks of the request fields (device: INVALID_FIELD, _ADDRESS) */
static HermesEbpfBatchCheck batch_check_fields(const HermesEbpfBatch *b)
{
    if (!b || !b->slot || (!b->lenpfx && b->record_size == 0)) {
        return HERMES_EBPF_BATCH_BAD_FIELD;
    }
    if (b->in_len > b->slot_size || b->res_off > b->slot_size ||
        b->res_off < b->in_len || b->res_off % 8 ||
        b->data_base > UINT64_MAX - b->slot_size) {
        return HERMES_EBPF_BATCH_BAD_ADDRESS;
    }
    return HERMES_EBPF_BATCH_OK;
}

/*
 * Record @k starting at input offset @off: its data offset and length, or
 * false when its framing is bad (prefix or data past in_len, or no room
 * left in the result table for it).
 */
static inline bool batch_record(const HermesEbpfBatch *b, uint32_t maxrec,
                                uint32_t k, uint32_t off,
                                uint32_t *doff, uint32_t *len)
{
    uint32_t left = b->in_len - off, l;

    if (k >= maxrec) {
        return false;
    }
    if (!b->lenpfx) {
        if (b->record_size > left) {
            return false;
        }
        *doff = off;
        *len = b->record_size;
        return true;
    }
    if (left < HERMES_EBPF_BATCH_LENPFX_SIZE) {
        return false;
    }
    /* read once: the slot may change under a run */
    l = ld_le32(b->slot + off);
    if (l > left - HERMES_EBPF_BATCH_LENPFX_SIZE) {
        return false;
    }
    *doff = off + HERMES_EBPF_BATCH_LENPFX_SIZE;
    *len = l;
    return true;
}

HermesEbpfBatchCheck hermes_ebpf_batch_check(const HermesEbpfBatch *b,
                                             uint32_t *nrecords,
                                             uint32_t *bad_record)
{
    HermesEbpfBatchCheck c = batch_check_fields(b);
    uint32_t maxrec, k = 0, off = 0, doff, len;

    if (c != HERMES_EBPF_BATCH_OK) {
        return c;
    }
    maxrec = (b->slot_size - b->res_off) / HERMES_EBPF_BATCH_ENTRY_SIZE;
    if (!b->lenpfx) {
        uint32_t n = b->in_len / b->record_size;

        if (b->in_len % b->record_size || n > maxrec) {
            if (bad_record) {
                *bad_record = n < maxrec ? n : maxrec;
            }
            return HERMES_EBPF_BATCH_BAD_RECORDS;
        }
        k = n;
    } else {
        while (off < b->in_len) {
            if (!batch_record(b, maxrec, k, off, &doff, &len)) {
                if (bad_record) {
                    *bad_record = k;
                }
                return HERMES_EBPF_BATCH_BAD_RECORDS;
            }
            off = doff + len;
            k++;
        }
    }
    if (nrecords) {
        *nrecords = k;
    }
    return HERMES_EBPF_BATCH_OK;
}

/* The record loop, on the decoded program @code or else on @insns */
static HermesEbpfStatus run_batch(const uint64_t *insns, uint32_t ninsns,
                                  const HermesEbpfCode *code,
                                  const HermesEbpfBatch *b,
                                  const HermesEbpfRunConfig *cfg,
                                  HermesEbpfBatchResult *res)
{
    uint64_t local_stack[HERMES_EBPF_MAX_CALL_DEPTH *
                         HERMES_EBPF_DEFAULT_STACK_SIZE / 8];
    HermesEbpfRegion regions[2];
    HermesEbpfRunConfig rc;
    HermesEbpfXdp xdp;
    RunEnv env;
    bool env_ok = false;
    uint32_t maxrec, k, off = 0, out = 0;

    memset(res, 0, sizeof(*res));
    res->check = batch_check_fields(b);
    if (res->check != HERMES_EBPF_BATCH_OK || !cfg) {
        res->status = HERMES_EBPF_ERR_BAD_CONFIG;
        res->last.status = res->status;
        return res->status;
    }
    maxrec = (b->slot_size - b->res_off) / HERMES_EBPF_BATCH_ENTRY_SIZE;

    /* Record region (set per record) and the read-only context */
    regions[0].flags = HERMES_EBPF_MEM_RW;
    regions[1] = (HermesEbpfRegion) {
        .addr = b->ctx_base,
        .len = HERMES_EBPF_XDP_CTX_SIZE,
        .host = xdp.ctx,
        .flags = HERMES_EBPF_MEM_READ,
    };
    xdp.env = b->env;
    xdp.next = cfg->helper;
    xdp.next_opaque = cfg->helper_opaque;
    rc = *cfg;
    rc.helper = hermes_ebpf_xdp_helper;
    rc.helper_opaque = &xdp;
    rc.args[2] = b->ctx_base;
    rc.args[4] = 0;

    /*
     * The decoded engine's set-up, once: the windows are laid out for the
     * whole input, which holds every record, and the window of the record
     * region moves from record to record.
     */
    if (code) {
        regions[0].addr = b->data_base;
        regions[0].len = b->in_len;
        regions[0].host = b->slot;
        env_ok = run_env_init(&env, regions, 2, &rc, local_stack);
    }

    for (k = 0; off < b->in_len; k++) {
        uint32_t doff, len, noff, nlen, dst;
        uint64_t data, end;
        uint8_t *ent;
        bool kept;

        if (!batch_record(b, maxrec, k, off, &doff, &len)) {
            res->status = HERMES_EBPF_ERR_BAD_CONFIG;
            res->check = HERMES_EBPF_BATCH_BAD_RECORDS;
            res->bad_record = k;
            break;
        }
        if (abort_requested(cfg)) {
            res->status = HERMES_EBPF_FAULT_ABORTED;
            memset(&res->last, 0, sizeof(res->last));
            res->last.status = HERMES_EBPF_FAULT_ABORTED;
            break;
        }
        data = b->data_base + doff;
        regions[0].addr = data;
        regions[0].len = len;
        regions[0].host = b->slot + doff;
        hermes_ebpf_xdp_init(&xdp, b->ctx_base, data, data + len, data,
                             data + len, k);
        rc.args[0] = data;
        rc.args[1] = len;
        rc.args[3] = k;

        res->runs++;
        if (code && env_ok) {
            if (env.first >= 0) {
                xlat_move(&env.xl, env.first, data, len, regions[0].host);
            }
            run_decoded(code, &env, &rc, &res->last);
        } else if (code) {
            memset(&res->last, 0, sizeof(res->last));
            res->last.status = HERMES_EBPF_ERR_BAD_CONFIG;
        } else {
            hermes_ebpf_run(insns, ninsns, regions, 2, &rc, &res->last);
        }
        res->insns += res->last.insns;
        if (res->last.status != HERMES_EBPF_OK) {
            res->status = res->last.status;
            break;
        }

        /* The helpers keep [data, data_end) inside the record */
        data = hermes_ebpf_xdp_data(&xdp);
        end = hermes_ebpf_xdp_data_end(&xdp);
        noff = (uint32_t)(data - b->data_base);
        nlen = (uint32_t)(end - data);
        kept = (uint32_t)res->last.r0 == HERMES_EBPF_XDP_PASS;
        if (kept) {
            dst = out + (b->lenpfx ? HERMES_EBPF_BATCH_LENPFX_SIZE : 0);
            if (dst != noff) {
                memmove(b->slot + dst, b->slot + noff, nlen);
            }
            if (b->lenpfx) {
                st_le32(b->slot + out, nlen);
            }
            out = dst + nlen;
            res->records_out++;
        }
        ent = b->slot + b->res_off + (uint64_t)k * HERMES_EBPF_BATCH_ENTRY_SIZE;
        st_le64(ent, res->last.r0);
        st_le32(ent + 8, kept ? nlen : 0);
        st_le32(ent + 12, kept ? HERMES_EBPF_BATCH_KEPT : 0);
        off = doff + len;
        res->records_done++;
    }
    res->out_len = out;
    return res->status;
}

HermesEbpfStatus hermes_ebpf_run_batch(const uint64_t *insns, uint32_t ninsns,
                                       const HermesEbpfBatch *b,
                                       const HermesEbpfRunConfig *cfg,
                                       HermesEbpfBatchResult *res)
{
    return run_batch(insns, ninsns, NULL, b, cfg, res);
}

HermesEbpfStatus hermes_ebpf_run_batch_code(const HermesEbpfCode *code,
                                            const HermesEbpfBatch *b,
                                            const HermesEbpfRunConfig *cfg,
                                            HermesEbpfBatchResult *res)
{
    if (!code) {
        memset(res, 0, sizeof(*res));
        res->status = HERMES_EBPF_ERR_BAD_CONFIG;
        res->last.status = res->status;
        return res->status;
    }
    if (code->ref_only) {
        return run_batch(code->insns, code->ninsns, NULL, b, cfg, res);
    }
    return run_batch(NULL, 0, code, b, cfg, res);
}

/* ------------------------------------------------------------------ */
/* JIT                                                                 */

/*
 * The engine is also built outside QEMU (tools, libhermes, RTL testbench),
 * where QEMU's HOST_X86_64 and CONFIG_LINUX do not exist: the compiler's
 * own macros say whether the JIT can be built.
 */
#if \
    defined(__x86_64__) && defined(__linux__)
#include "hermes-ebpf-jit.c.inc"
#else
bool hermes_ebpf_jit(HermesEbpfCode *code)
{
    return false;
}

bool hermes_ebpf_jit_attached(const HermesEbpfCode *code)
{
    return false;
}

void hermes_ebpf_code_release(HermesEbpfCode *code)
{
}

bool hermes_ebpf_jit_supported(void)
{
    return false;
}

bool hermes_ebpf_jit_covers(const HermesEbpfCode *code,
                            const HermesEbpfRunConfig *cfg)
{
    return false;
}

static HermesEbpfStatus run_decoded(const HermesEbpfCode *code, RunEnv *e,
                                    const HermesEbpfRunConfig *cfg,
                                    HermesEbpfResult *res)
{
    return run_threaded(code, e, cfg, res, NULL);
}
#endif
