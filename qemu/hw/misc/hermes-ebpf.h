/*
 * Hermes eBPF engine: validator and interpreter for the Linux eBPF ISA
 * (RFC 9669, up to ISA v4).
 *
 * Copyright (c) 2026 The Hermes authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * This is a freestanding C11 library with GNU extensions (computed goto,
 * __atomic builtins; GCC and clang) that uses only <stdint.h>,
 * <stdbool.h>, <stddef.h> and <string.h>, never allocates and keeps no
 * global state, so the QEMU device model, the host tools and the RTL
 * testbench all share one reference engine.
 *
 * Model
 * -----
 * A program is an array of 64-bit instruction words.  insns[i] is the
 * value whose little-endian byte representation is the i-th 8-byte
 * instruction (on a little-endian host, the instruction bytes can be used
 * directly as the array).  A wide instruction (lddw) takes two words.
 *
 * Programs see *device addresses*, never host pointers: the embedder
 * describes the memory the program may touch as regions {device address,
 * length, host pointer, permissions}, and the engine owns a stack of
 * HERMES_EBPF_MAX_CALL_DEPTH frames at a device address chosen by the
 * embedder.  Every load, store and atomic is checked to lie entirely within
 * one region (or the live part of the stack) with the right permission, so
 * a program's results are identical on the C engine and on the RTL engine.
 *
 * Alignment: plain loads and stores may be unaligned (as on x86-64 and
 * arm64 Linux, and the kernel's interpreter); atomic operations must be
 * naturally aligned, otherwise the run stops with
 * HERMES_EBPF_FAULT_MISALIGNED (the kernel verifier enforces this too).
 *
 * C++ users (the RTL testbench) include this header inside extern "C".
 *
 * Usage: call hermes_ebpf_validate() once when a program is loaded, then
 * hermes_ebpf_run() for each execution (or hermes_ebpf_decode() once and
 * hermes_ebpf_run_code() for each execution: see "Decoded programs").
 * Neither interpreter touches host memory outside the regions, the stack
 * and the program array, even for a program that did not pass validation
 * (unknown opcodes and wild jumps then stop the run with a fault);
 * validation is what gives the early, precise error and enforces the
 * capability set.
 */

#ifndef HW_MISC_HERMES_EBPF_H
#define HW_MISC_HERMES_EBPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest program accepted (instruction words, counting both lddw slots). */
#define HERMES_EBPF_MAX_INSNS           (1u << 20)
/* Frames on the engine's stack: the main program plus 7 nested calls. */
#define HERMES_EBPF_MAX_CALL_DEPTH      8
/* Bytes per stack frame unless the run config says otherwise. */
#define HERMES_EBPF_DEFAULT_STACK_SIZE  512
/* Largest stack frame accepted in a run config. */
#define HERMES_EBPF_MAX_STACK_SIZE      4096
/* Instruction budget used when the run config gives 0. */
#define HERMES_EBPF_DEFAULT_BUDGET      (1ull << 24)
/* Instructions between two polls of the abort flag (besides jumps back). */
#define HERMES_EBPF_ABORT_POLL_INTERVAL 4096
/*
 * The bit of an abort flag (HermesEbpfRunConfig.abort_flag, the flag of
 * hermes_ebpf_map_op()) that asks a run or a map operation to stop.  The
 * other bits are the embedder's: see HermesEbpfRunConfig.poll.
 */
#define HERMES_EBPF_ABORT               1

/*
 * Status of validation and of a run.  The numeric values are stable: the
 * device reports them to the driver and the RTL engine uses the same codes.
 */
typedef enum HermesEbpfStatus {
    HERMES_EBPF_OK = 0,
    /* validation (and, for the first ones, also at run time) */
    HERMES_EBPF_ERR_INVALID_INSN = 1,   /* unknown or unsupported opcode */
    HERMES_EBPF_ERR_BAD_JUMP = 2,       /* jump/call target outside program */
    HERMES_EBPF_ERR_BAD_LDDW = 3,       /* lddw second slot missing/invalid */
    HERMES_EBPF_ERR_BAD_REG = 4,        /* register > r10, or r10 written */
    HERMES_EBPF_ERR_NO_EXIT = 5,        /* last insn is not exit or jump */
    HERMES_EBPF_ERR_EMPTY = 6,          /* no instructions */
    HERMES_EBPF_ERR_TOO_LONG = 7,       /* more than caps->max_insns */
    HERMES_EBPF_ERR_BAD_CONFIG = 8,     /* bad caps / run config argument */
    HERMES_EBPF_ERR_BAD_MAP = 9,        /* lddw names a map that is absent */
    /* run-time faults */
    HERMES_EBPF_FAULT_LOAD = 16,        /* load outside readable memory */
    HERMES_EBPF_FAULT_STORE = 17,       /* store outside writable memory */
    HERMES_EBPF_FAULT_MISALIGNED = 18,  /* atomic not naturally aligned */
    HERMES_EBPF_FAULT_BUDGET = 19,      /* instruction budget exhausted */
    HERMES_EBPF_FAULT_CALL_DEPTH = 20,  /* more than MAX_CALL_DEPTH frames */
    HERMES_EBPF_FAULT_HELPER = 21,      /* helper callback returned error */
    HERMES_EBPF_FAULT_ABORTED = 22,     /* abort flag was set */
} HermesEbpfStatus;

/* Short constant name of a status ("ok", "load fault", ...). */
const char *hermes_ebpf_status_name(HermesEbpfStatus status);

/*
 * Capability set a program is validated against.
 *
 * isa_version follows the LLVM -mcpu levels / RFC 9669 conformance groups:
 *   1: ALU/ALU64 (add..arsh, mov, neg, le/be), JMP with ja, jeq, jgt, jge,
 *      jset, jne, jsgt, jsge, call, exit, LDX/ST/STX, lddw;
 *      with @atomics: 64-bit atomic add without fetch.
 *   2: adds jlt, jle, jslt, jsle.
 *   3: adds the JMP32 class; with @atomics: 32-bit atomics, the fetch
 *      forms of add/or/and/xor, xchg and cmpxchg.
 *   4: adds sdiv/smod (off=1), movsx (off=8/16/32), sign-extending loads
 *      (BPF_MEMSX), bswap (ALU64|END) and gotol (JMP32|JA).
 * @division enables div/mod (and sdiv/smod at v4) in both widths.
 * @helper_calls enables BPF_CALL with src_reg=0 (ids are checked by the
 *   helper callback at run time); @local_calls enables BPF_PSEUDO_CALL.
 * @lddw_src_mask: bit n set allows lddw with src_reg n.  Bit 0 is implied.
 *   The run always loads the 64-bit immediate as is, so an embedder that
 *   allows e.g. BPF_PSEUDO_MAP_VALUE (2) must have rewritten the immediate
 *   into a device address before the run.
 * @max_insns: longest program, 0 means HERMES_EBPF_MAX_INSNS (also the cap).
 * @max_maps: map IDs; lddw with src_reg HERMES_EBPF_PSEUDO_MAP_IDX and a
 *   map ID below it is valid (ERR_BAD_MAP above it); 0 forbids that form
 *   (ERR_BAD_LDDW).  At most HERMES_EBPF_MAX_MAPS.
 */
typedef struct HermesEbpfCaps {
    uint8_t isa_version;
    bool atomics;
    bool division;
    bool helper_calls;
    bool local_calls;
    uint32_t lddw_src_mask;
    uint32_t max_insns;
    uint32_t max_maps;
} HermesEbpfCaps;

/*
 * Everything the engine implements: v4, atomics, division, both calls.
 * Map references (max_maps) stay 0: an embedder with maps sets them.
 */
void hermes_ebpf_caps_full(HermesEbpfCaps *caps);

/*
 * hermes_ebpf_validate: static check of a program before any run.
 * @insns, @ninsns: the program.
 * @caps: the capability set (see HermesEbpfCaps).
 * @bad_pc: if not NULL, set to the index of the offending instruction
 *   (0 when the error is not about one instruction).
 * @errmsg, @errlen: if not NULL/0, receives a NUL-terminated message such
 *   as "insn 12: unknown opcode 0x8d".
 *
 * Checks: not empty and not too long; every opcode known and allowed by
 * @caps (including reserved fields that must be zero); registers r0..r10
 * with r10 read-only; jump and call targets inside the program and not
 * into the second slot of an lddw; lddw complete; the last instruction an
 * exit or an unconditional jump.
 * This is the device's own safety check, not the kernel verifier: what the
 * ISA defines is accepted even where the verifier is stricter (division
 * by an immediate 0, shift amounts beyond the width, which are masked).
 * Returns HERMES_EBPF_OK or an HERMES_EBPF_ERR_* status.
 */
HermesEbpfStatus hermes_ebpf_validate(const uint64_t *insns, uint32_t ninsns,
                                      const HermesEbpfCaps *caps,
                                      uint32_t *bad_pc,
                                      char *errmsg, size_t errlen);

/* Region permissions. */
#define HERMES_EBPF_MEM_READ   (1u << 0)
#define HERMES_EBPF_MEM_WRITE  (1u << 1)
#define HERMES_EBPF_MEM_RW     (HERMES_EBPF_MEM_READ | HERMES_EBPF_MEM_WRITE)

/*
 * A piece of memory the program may access: device addresses
 * [addr, addr + len) map to host bytes [host, host + len).  Regions should
 * not overlap each other or the stack (the stack is looked up first, then
 * the regions in order).  For atomics to work the host pointer must have
 * the same alignment modulo 8 as the device address.
 */
typedef struct HermesEbpfRegion {
    uint64_t addr;
    uint64_t len;
    void *host;
    uint32_t flags;             /* HERMES_EBPF_MEM_* */
} HermesEbpfRegion;

/*
 * Device maps (Documentation/hermes/device.rst, "Device maps").
 *
 * A map is a descriptor (HermesEbpfMap) and map memory of
 * hermes_ebpf_map_footprint() bytes that the embedder allocates (8-byte
 * aligned) and keeps alive while any run or call may use the map.  The
 * engine lays the memory out as the specification says, so that value
 * addresses and iteration order are the same on every implementation.
 *
 * Programs name map m with lddw (src_reg HERMES_EBPF_PSEUDO_MAP_IDX,
 * imm m), which loads HERMES_EBPF_MAP_REF(m).  A run sees the maps of
 * HermesEbpfRunConfig.maps: the engine then implements the helpers
 * lookup, update and delete itself and translates value addresses
 * (HERMES_EBPF_MAP_REF(m) + i * vstride + byte, byte < value_size).
 *
 * Concurrency: any number of threads may run programs on one map and call
 * the hermes_ebpf_map_*() functions on it at the same time.  HASH changes
 * are serialised by a spinlock in the descriptor, held only inside one
 * operation (never across a callback or a wait); ARRAY operations take no
 * lock.  Value copies are not atomic with respect to program accesses;
 * atomic instructions on values use host atomics.  Indexes read from map
 * memory are checked and chain walks bounded, so even corrupted map
 * memory cannot make an operation leave the map or loop.
 *
 * Abort: a HASH chain holds up to max_entries elements, and a key chosen
 * for it walks all of them.  Map helpers in a run and hermes_ebpf_map_op()
 * poll their abort flag while they wait for the lock, before they walk a
 * chain and every 256 elements (or buckets, looking for the next key) of
 * the walk, and give up, the map unchanged, when HERMES_EBPF_ABORT is set.
 * ARRAY operations are constant-time and do not poll.
 */
#define HERMES_EBPF_MAX_MAPS            256
#define HERMES_EBPF_MAP_BASE            0x10000000000ull    /* 2^40 */
#define HERMES_EBPF_MAP_REF(m) \
    (HERMES_EBPF_MAP_BASE + ((uint64_t)(m) << 32))
#define HERMES_EBPF_PSEUDO_MAP_IDX      5

#define HERMES_EBPF_MAP_HASH            1   /* BPF_MAP_TYPE_HASH */
#define HERMES_EBPF_MAP_ARRAY           2   /* BPF_MAP_TYPE_ARRAY */
#define HERMES_EBPF_MAP_MAX_KEY         512
#define HERMES_EBPF_MAP_MAX_VALUE       65536

/* Update flags (the kernel's) */
#define HERMES_EBPF_ANY                 0
#define HERMES_EBPF_NOEXIST             1
#define HERMES_EBPF_EXIST               2

/* Results of map operations and helpers: 0 or one of these, negated */
#define HERMES_EBPF_ENOENT              2
#define HERMES_EBPF_EINTR               4
#define HERMES_EBPF_E2BIG               7
#define HERMES_EBPF_EACCES              13
#define HERMES_EBPF_EFAULT              14
#define HERMES_EBPF_EEXIST              17
#define HERMES_EBPF_EINVAL              22

/* Helper IDs the engine implements when a run has maps */
#define HERMES_EBPF_FUNC_MAP_LOOKUP     1
#define HERMES_EBPF_FUNC_MAP_UPDATE     2
#define HERMES_EBPF_FUNC_MAP_DELETE     3

/* Index of no element (empty bucket, end of a chain or of the free list) */
#define HERMES_EBPF_MAP_NIL             0xffffffffu

typedef struct HermesEbpfMap {
    uint32_t type;
    uint32_t key_size;
    uint32_t value_size;
    uint32_t max_entries;
    uint32_t kstride;           /* key_size rounded up to 8 */
    uint32_t vstride;           /* value_size rounded up to 8 */
    uint32_t nbuckets;          /* HASH: power of two >= max(max_entries, 2) */
    uint64_t footprint;         /* bytes of @mem */
    uint8_t *mem;
    uint8_t *links;             /* HASH: {next, hash} per element */
    uint8_t *keys;              /* HASH: kstride bytes per element */
    uint8_t *values;            /* vstride bytes per element */
    /* HASH state, under @lock */
    uint32_t free_head;
    uint32_t count;
    int lock;
} HermesEbpfMap;

/*
 * hermes_ebpf_map_footprint: bytes of map memory a map needs.
 * Returns 0 and sets *@bytes, or -HERMES_EBPF_EINVAL for a type or size the
 * specification does not allow (ARRAY keys are 4 bytes; keys 1 to
 * HERMES_EBPF_MAP_MAX_KEY, values 1 to HERMES_EBPF_MAP_MAX_VALUE bytes,
 * max_entries from 1 to 2^31, max_entries * vstride at most 2^32, the
 * size of a map's window).
 */
int hermes_ebpf_map_footprint(uint32_t type, uint32_t key_size,
                              uint32_t value_size, uint32_t max_entries,
                              uint64_t *bytes);

/*
 * hermes_ebpf_map_init: set up @map on @mem (footprint bytes, 8-byte
 * aligned) as a new, empty map: HASH with no element, ARRAY all zeroes.
 * Returns 0 or -HERMES_EBPF_EINVAL (as hermes_ebpf_map_footprint()).
 */
int hermes_ebpf_map_init(HermesEbpfMap *map, uint32_t type, uint32_t key_size,
                         uint32_t value_size, uint32_t max_entries,
                         void *mem);

/*
 * hermes_ebpf_map_attach: set up @map on @mem that already holds a map of
 * these parameters (migration), with the free list head and element count
 * saved from it.  Returns 0, or -HERMES_EBPF_EINVAL when the parameters or
 * the state are impossible.
 */
int hermes_ebpf_map_attach(HermesEbpfMap *map, uint32_t type,
                           uint32_t key_size, uint32_t value_size,
                           uint32_t max_entries, void *mem,
                           uint32_t free_head, uint32_t count);

/*
 * Host operations (the device's map commands).  @key and @value are
 * key_size and value_size bytes of host memory; @next_key receives
 * key_size bytes.  Each returns 0 or a negated HERMES_EBPF_E* code, with
 * the semantics of the specification (and of the kernel's maps).
 */
int hermes_ebpf_map_lookup(HermesEbpfMap *map, const void *key, void *value);
int hermes_ebpf_map_update(HermesEbpfMap *map, const void *key,
                           const void *value, uint64_t flags);
int hermes_ebpf_map_delete(HermesEbpfMap *map, const void *key);
/* @key NULL: the first key. */
int hermes_ebpf_map_get_next_key(HermesEbpfMap *map, const void *key,
                                 void *next_key);

typedef enum HermesEbpfMapOp {
    HERMES_EBPF_MAP_OP_LOOKUP,          /* @value receives the value */
    HERMES_EBPF_MAP_OP_UPDATE,          /* @value is read, @flags used */
    HERMES_EBPF_MAP_OP_DELETE,          /* @value unused */
    HERMES_EBPF_MAP_OP_GET_NEXT_KEY,    /* @key may be NULL, @value gets it */
} HermesEbpfMapOp;

/*
 * hermes_ebpf_map_op: one of the host operations above, abortable: with
 * @abort_flag (NULL: none) found to have HERMES_EBPF_ABORT set, a HASH
 * operation returns -HERMES_EBPF_EINTR and leaves the map unchanged.
 */
int hermes_ebpf_map_op(HermesEbpfMap *map, HermesEbpfMapOp op,
                       const void *key, void *value, uint64_t flags,
                       const int *abort_flag);

/* FNV-1a, the specification's hash of a HASH map key */
uint32_t hermes_ebpf_map_hash(const void *key, uint32_t len);

/* Engine state handed to a helper so that it can access program memory. */
typedef struct HermesEbpfVm HermesEbpfVm;

/*
 * hermes_ebpf_translate: device address to host pointer, for helpers.
 * Returns the host pointer of [addr, addr + len) if that range lies in one
 * region (or the live stack) with the permissions @flags, else NULL.
 */
void *hermes_ebpf_translate(HermesEbpfVm *vm, uint64_t addr, uint64_t len,
                            uint32_t flags);

/* Helper callback return values (negative values are errors). */
#define HERMES_EBPF_HELPER_CONTINUE 0   /* r0 = *ret, go on */
#define HERMES_EBPF_HELPER_STOP     1   /* end the program now, r0 = *ret */

/*
 * A helper call (BPF_CALL, src_reg 0, imm = @id) with @args = r1..r5.
 * Set *ret and return HERMES_EBPF_HELPER_CONTINUE or _STOP, or return a
 * negative error: the run then stops with HERMES_EBPF_FAULT_HELPER and the
 * value in HermesEbpfResult.helper_err.  r1..r5 are left unchanged by the
 * engine after a helper call (the ABI makes them undefined; keeping them is
 * what the RTL does too).
 */
typedef int (*HermesEbpfHelperFn)(void *opaque, uint32_t id,
                                  const uint64_t args[5], HermesEbpfVm *vm,
                                  uint64_t *ret);

/* HermesEbpfRunConfig.poll */
typedef void (*HermesEbpfPollFn)(void *opaque);

/*
 * Per-run configuration.
 * @args: r1..r5 at entry (r0, r6..r9 start at 0).
 * @budget: maximum number of instructions executed (lddw counts as one);
 *   0 means HERMES_EBPF_DEFAULT_BUDGET.
 * @stack_addr: device address of the lowest byte of the stack area, which
 *   is HERMES_EBPF_MAX_CALL_DEPTH * stack_size bytes long.  Frame 0 (the
 *   main program) is at the top: r10 = stack_addr + MAX_CALL_DEPTH *
 *   stack_size at entry; each bpf-to-bpf call moves r10 down by stack_size.
 *   Only the live frames (the current one and its callers) are accessible.
 *   Each frame is zeroed when it is entered, so runs are deterministic.
 * @stack_size: bytes per frame, multiple of 8, at most
 *   HERMES_EBPF_MAX_STACK_SIZE; 0 means HERMES_EBPF_DEFAULT_STACK_SIZE.
 * @stack_host: host memory backing the stack area (MAX_CALL_DEPTH *
 *   stack_size bytes, 8-byte aligned), or NULL to use a buffer on the C
 *   stack of hermes_ebpf_run() (then stack_size must be at most
 *   HERMES_EBPF_DEFAULT_STACK_SIZE).
 * @helper, @helper_opaque: helper callback; NULL makes every helper call
 *   a HERMES_EBPF_FAULT_HELPER with helper_err -1.
 * @abort_flag: if not NULL, polled (relaxed atomic load) at every backward
 *   jump, every call, after every helper (map helpers included), between
 *   records of a batch and every HERMES_EBPF_ABORT_POLL_INTERVAL
 *   instructions; when non-zero the run stops with FAULT_ABORTED.  A map
 *   helper polls it too while it waits for a map's lock or walks a hash
 *   chain (HERMES_EBPF_ABORT only), so an abort waits at most for 4096
 *   instructions, one helper other than the map helpers, or 256 elements
 *   of a chain.
 * @poll, @poll_opaque: if @poll is not NULL, only HERMES_EBPF_ABORT in the
 *   abort flag stops the run; a poll point that finds other bits set calls
 *   @poll(@poll_opaque), then stops if HERMES_EBPF_ABORT is set by then
 *   and goes on otherwise.  @poll may wait: it is never called with a
 *   map's lock held (the QEMU model waits there while its VM is stopped).
 * @maps, @nmaps: the maps the run may use, indexed by map ID (NULL where
 *   the program names no map); @nmaps at most HERMES_EBPF_MAX_MAPS.  With
 *   @nmaps non-zero, helpers 1 to 3 are the engine's map helpers and the
 *   map values are accessible; a map helper whose r1 is not the reference
 *   of one of @maps stops the run with FAULT_HELPER (helper_err -EINVAL),
 *   a key or value argument that is not readable with FAULT_LOAD
 *   (fault_addr the argument, fault_size 0, helper_id set).
 */
typedef struct HermesEbpfRunConfig {
    uint64_t args[5];
    uint64_t budget;
    uint64_t stack_addr;
    uint32_t stack_size;
    void *stack_host;
    HermesEbpfHelperFn helper;
    void *helper_opaque;
    const int *abort_flag;
    HermesEbpfMap *const *maps;
    uint32_t nmaps;
    HermesEbpfPollFn poll;
    void *poll_opaque;
} HermesEbpfRunConfig;

/*
 * Outcome of a run.
 * @status: HERMES_EBPF_OK or the fault.
 * @r0: the program's return value (on a fault, r0 at the time of it).
 * @pc: index of the faulting instruction; when OK, of the exit (or of the
 *   helper call that stopped the program); for FAULT_BUDGET and an abort
 *   polled at an instruction count, of the next instruction not executed;
 *   for ERR_BAD_JUMP (unvalidated programs only), the target out of range.
 * @fault_addr, @fault_size: device address and size of the access for
 *   load/store/misaligned faults, 0 otherwise.
 * @insns: instructions executed (the device's per-run counter).
 * @helper_id, @helper_err: for FAULT_HELPER, which helper and its error;
 *   @helper_id also for a FAULT_LOAD on a map helper's argument.
 */
typedef struct HermesEbpfResult {
    HermesEbpfStatus status;
    uint64_t r0;
    uint32_t pc;
    uint64_t fault_addr;
    uint32_t fault_size;
    uint64_t insns;
    uint32_t helper_id;
    int helper_err;
} HermesEbpfResult;

/*
 * hermes_ebpf_run: execute a validated program to its exit or to a fault.
 * @insns, @ninsns: the program (as passed to hermes_ebpf_validate()).
 * @regions, @nregions: memory the program may access besides its stack.
 * @cfg: run configuration.
 * @res: receives the outcome (always fully written).
 * Returns res->status.  Thread-safe: concurrent runs may share regions;
 * atomic instructions use host atomics, plain accesses are not atomic.
 * For a program that failed validation the outcome is deterministic but
 * unspecified (it is only guaranteed to stay within the memory above).
 */
HermesEbpfStatus hermes_ebpf_run(const uint64_t *insns, uint32_t ninsns,
                                 const HermesEbpfRegion *regions,
                                 size_t nregions,
                                 const HermesEbpfRunConfig *cfg,
                                 HermesEbpfResult *res);

/*
 * Decoded programs
 * ----------------
 * hermes_ebpf_run() is the reference interpreter: a switch over the raw
 * instruction words.  For speed, an embedder decodes a program once when
 * it latches it (after hermes_ebpf_validate()) into a form built for
 * execution, and runs that with hermes_ebpf_run_code() (and
 * hermes_ebpf_run_batch_code()): a threaded interpreter (computed goto)
 * with one handler per operation variant, constant access sizes, absolute
 * jump targets and lddw fused, that charges the budget once per
 * straight-line run of instructions and translates addresses through a
 * per-run table of aligned windows.  Its outcome is the reference's in
 * every respect (status, r0, pc, fault address and size, instruction
 * count, helper ID and error, memory and map effects, abort polls), for
 * any program, validated or not: tools/engine checks both against each
 * other on every test, vector and fuzzed program.
 *
 * hermes_ebpf_code_size: bytes of memory a decoded program of @ninsns
 *   instructions needs (0 when @ninsns is 0 or above
 *   HERMES_EBPF_MAX_INSNS): at most 24 * (ninsns + 1) plus a header, so
 *   an embedder can allocate it once for its largest program.
 * hermes_ebpf_decode: decode @insns into @mem (@size bytes, 8-byte
 *   aligned).  Returns the decoded program (at @mem), or NULL if @mem is
 *   too small or misaligned or @ninsns 0.  The decoded program refers to
 *   @insns (a program whose jumps leave it runs on the reference
 *   interpreter), so @insns must stay unchanged while it is used.  The
 *   memory holds no run state: any number of runs may use it at once.
 */
typedef struct HermesEbpfCode HermesEbpfCode;

size_t hermes_ebpf_code_size(uint32_t ninsns);
HermesEbpfCode *hermes_ebpf_decode(const uint64_t *insns, uint32_t ninsns,
                                   void *mem, size_t size);

/* hermes_ebpf_run() on a decoded program; NULL @code: ERR_BAD_CONFIG */
HermesEbpfStatus hermes_ebpf_run_code(const HermesEbpfCode *code,
                                      const HermesEbpfRegion *regions,
                                      size_t nregions,
                                      const HermesEbpfRunConfig *cfg,
                                      HermesEbpfResult *res);

/*
 * JIT
 * ---
 * On x86-64 Linux hosts with BMI2, a decoded program can also carry native
 * code: hermes_ebpf_jit() compiles it (from the instruction words, which
 * must pass hermes_ebpf_validate() with every capability; programs longer
 * than 65536 instructions are not taken), and hermes_ebpf_run_code() and
 * hermes_ebpf_run_batch_code() then run the native code, with exactly the
 * reference's outcome as above (every access checked against the
 * regions, the live stack and the maps; budget, abort polls, faults,
 * helpers, calls and counts unchanged).  A run whose stack frame is
 * smaller than the deepest r10 offset the JIT resolved (a constant, or a
 * register it proved to point into the frame) runs on the threaded
 * interpreter.  This is the one part of the engine that
 * allocates and calls the OS (malloc, mmap, mprotect, munmap): the code
 * pages are written, then made read-only and executable, never both.
 *
 * hermes_ebpf_jit: attach native code to @code (after
 *   hermes_ebpf_decode()).  true if @code now has native code; false when
 *   the host, the program or memory does not allow it (@code then keeps
 *   running on the threaded interpreter).  Not thread-safe with runs of
 *   the same @code.
 * hermes_ebpf_jit_attached: does @code carry native code?
 * hermes_ebpf_code_release: free what hermes_ebpf_jit() attached (no-op
 *   without); every embedder calls it before it frees or re-decodes the
 *   memory of @code.  hermes_ebpf_decode() does not free it.
 */
bool hermes_ebpf_jit(HermesEbpfCode *code);
bool hermes_ebpf_jit_attached(const HermesEbpfCode *code);
void hermes_ebpf_code_release(HermesEbpfCode *code);

/*
 * hermes_ebpf_jit_supported: can this host run native code at all (x86-64
 *   Linux, BMI1 and BMI2, memory that can be made executable)?  Tests
 *   leave the JIT out without it rather than fail.
 * hermes_ebpf_jit_covers: would a run of @code with @cfg run its native
 *   code (attached, and the frame at least the deepest r10 offset the JIT
 *   resolved)?  Tests count with it how many runs were native.
 */
bool hermes_ebpf_jit_supported(void);
bool hermes_ebpf_jit_covers(const HermesEbpfCode *code,
                            const HermesEbpfRunConfig *cfg);

/*
 * XDP run context and helpers
 * ---------------------------
 * The device's xdp_buff (Documentation/hermes/device.rst, "Run context"):
 * 64 bytes a program reads at a device address the embedder chooses
 * (CTX_BASE), written only by the device and by the XDP helpers.
 * The embedder exposes HermesEbpfXdp.ctx as a read-only region
 * {ctx_base, HERMES_EBPF_XDP_CTX_SIZE, ctx, HERMES_EBPF_MEM_READ} and
 * passes hermes_ebpf_xdp_helper() as the helper callback with the
 * HermesEbpfXdp as its opaque pointer.  RUN PROGRAM and BATCH RUN both
 * use it, so the helpers have one implementation.
 */
#define HERMES_EBPF_XDP_CTX_SIZE            64
#define HERMES_EBPF_FUNC_KTIME_GET_NS       5
#define HERMES_EBPF_FUNC_GET_PRANDOM_U32    7
#define HERMES_EBPF_FUNC_GET_SMP_PROC_ID    8
#define HERMES_EBPF_FUNC_CSUM_DIFF          28
#define HERMES_EBPF_FUNC_XDP_ADJUST_HEAD    44
#define HERMES_EBPF_FUNC_XDP_ADJUST_META    54
#define HERMES_EBPF_FUNC_XDP_ADJUST_TAIL    65
#define HERMES_EBPF_FUNC_XDP_GET_BUFF_LEN   188
#define HERMES_EBPF_FUNC_XDP_LOAD_BYTES     189
#define HERMES_EBPF_FUNC_XDP_STORE_BYTES    190
/* Neither helper leaves fewer bytes than an Ethernet header (ETH_HLEN) */
#define HERMES_EBPF_ETH_HLEN                14
/*
 * sizeof(struct xdp_frame) on a 64-bit kernel: the kernel keeps that
 * structure at data_hard_start, so data and data_meta stay above it
 */
#define HERMES_EBPF_XDP_FRAME_SIZE          40
/* Most metadata bytes: the kernel's skb_shared_info.meta_len is a u8 */
#define HERMES_EBPF_XDP_META_MAX            255
/* Most bytes of bpf_csum_diff(): the kernel's scratch buffer, MAX_BPF_STACK */
#define HERMES_EBPF_CSUM_DIFF_MAX           512
/* The XDP action that keeps a record in a batch (low 32 bits of r0) */
#define HERMES_EBPF_XDP_PASS                2

/* Byte offsets of the run context fields */
#define HERMES_EBPF_XDP_DATA                0x00    /* u64 */
#define HERMES_EBPF_XDP_DATA_END            0x08    /* u64 */
#define HERMES_EBPF_XDP_DATA_META           0x10    /* u64, = data at entry */
#define HERMES_EBPF_XDP_HARD_START          0x18    /* u64 */
#define HERMES_EBPF_XDP_HARD_END            0x20    /* u64 */
#define HERMES_EBPF_XDP_IFINDEX             0x28    /* u32, 0 */
#define HERMES_EBPF_XDP_RX_QUEUE            0x2c    /* u32, 0 */
#define HERMES_EBPF_XDP_ITERATION           0x30    /* u32 */

/*
 * What the device provides to helpers 5, 7 and 8: one per engine, set up
 * by the embedder and used by one run at a time (the engine's).
 * @clock_ns(@clock_opaque): bpf_ktime_get_ns(), the device clock in
 *   nanoseconds; it must never go backwards.  The QEMU model's is the
 *   guest's virtual clock (QEMU_CLOCK_VIRTUAL), the user-space fallback's
 *   the host's CLOCK_MONOTONIC.
 * @prng: state of the engine's generator behind bpf_get_prandom_u32(),
 *   any 64-bit value; the embedder seeds it (the model from QEMU's guest
 *   random source, so that -seed makes runs reproducible; the fallback
 *   with getrandom()).  Each call advances it: SplitMix64 (Steele, Lea
 *   and Flood, "Fast splittable pseudorandom number generators", 2014),
 *   r0 the high 32 bits of its output.  The values are not the host's:
 *   the kernel's generator and state are per CPU of the host.
 * @cpu: bpf_get_smp_processor_id(), the index of the engine (the
 *   device's CPU) that runs the program.
 */
typedef struct HermesEbpfXdpEnv {
    uint64_t (*clock_ns)(void *opaque);
    void *clock_opaque;
    uint64_t prng;
    uint32_t cpu;
} HermesEbpfXdpEnv;

typedef struct HermesEbpfXdp {
    /* the run context as the program sees it (little-endian fields) */
    uint64_t ctx[HERMES_EBPF_XDP_CTX_SIZE / 8];
    /* its device address: the only r1 the XDP helpers accept */
    uint64_t ctx_base;
    /*
     * The lowest address data and data_meta may take, set by
     * hermes_ebpf_xdp_init(): data_hard_start + HERMES_EBPF_XDP_FRAME_SIZE
     * as in the kernel, or data itself when the headroom is smaller.
     */
    uint64_t floor;
    /*
     * The device services of helpers 5, 7 and 8; NULL makes those three
     * a HERMES_EBPF_FAULT_HELPER (helper_err -1).
     */
    HermesEbpfXdpEnv *env;
    /*
     * Helper IDs hermes_ebpf_xdp_has_helper() does not list are passed
     * to @next (with @next_opaque); NULL makes them a
     * HERMES_EBPF_FAULT_HELPER (helper_err -1).  hermes_ebpf_xdp_init()
     * leaves @env, @next and @next_opaque as they are.
     */
    HermesEbpfHelperFn next;
    void *next_opaque;
} HermesEbpfXdp;

/*
 * hermes_ebpf_xdp_init: the context at entry of a run: data and data_meta
 * @data, data_end @data_end, data_hard_start @hard_start, data_hard_end
 * @hard_end (all device addresses, @hard_start <= @data <= @data_end <=
 * @hard_end), ifindex and queue 0, @iteration.
 */
void hermes_ebpf_xdp_init(HermesEbpfXdp *xdp, uint64_t ctx_base,
                          uint64_t data, uint64_t data_end,
                          uint64_t hard_start, uint64_t hard_end,
                          uint32_t iteration);

/* data and data_end of the context now (after the helpers moved them) */
uint64_t hermes_ebpf_xdp_data(const HermesEbpfXdp *xdp);
uint64_t hermes_ebpf_xdp_data_end(const HermesEbpfXdp *xdp);
/* data_meta now: data less the metadata bpf_xdp_adjust_meta() made */
uint64_t hermes_ebpf_xdp_data_meta(const HermesEbpfXdp *xdp);

/* Is helper @id one that hermes_ebpf_xdp_helper() implements? */
bool hermes_ebpf_xdp_has_helper(uint32_t id);

/*
 * hermes_ebpf_xdp_helper: a HermesEbpfHelperFn, @opaque a HermesEbpfXdp.
 * The kernel's (6.12) semantics; offsets and deltas are the low 32 bits
 * of r2, signed, sizes the low 32 bits of their register; errors are
 * negative in r0 (64 bits); an r1 other than ctx_base gives -EINVAL.
 * 5 bpf_ktime_get_ns(): r0 = env->clock_ns(env->clock_opaque).
 * 7 bpf_get_prandom_u32(): r0 = the next value of env->prng (32 bits).
 * 8 bpf_get_smp_processor_id(): r0 = env->cpu.
 * 28 bpf_csum_diff(from, from_size, to, to_size, seed): -EINVAL if a size
 *    is not a multiple of 4 or from_size + to_size is over
 *    HERMES_EBPF_CSUM_DIFF_MAX; else the 32-bit one's complement sum x86-64's
 *    csum_partial() gives of the words ~from then to with the low 32 bits
 *    of seed (zero-extended).  from and to may be anything with a size of
 *    0; otherwise memory the program may not read is a HELPER fault.
 * 44 bpf_xdp_adjust_head(ctx, delta): data += delta if the result stays
 *    within [floor + metalen, data_end - 14], the metadata moving with
 *    it (memmove, data_meta += delta); r0 0, else -EINVAL.
 * 54 bpf_xdp_adjust_meta(ctx, delta): data_meta += delta if the result
 *    stays within [floor, data] (else -EINVAL) and leaves a metadata
 *    length data - data_meta that is a multiple of 4 and at most
 *    HERMES_EBPF_XDP_META_MAX (else -EACCES); r0 0.
 * 65 bpf_xdp_adjust_tail(ctx, delta): data_end += delta if the result
 *    stays within [data + 14, data_hard_end]; r0 0, else -EINVAL.
 * 188 bpf_xdp_get_buff_len(ctx): data_end - data.
 * 189, 190 bpf_xdp_load_bytes(), bpf_xdp_store_bytes(): see device.rst.
 * Other IDs: see HermesEbpfXdp.next.
 */
int hermes_ebpf_xdp_helper(void *opaque, uint32_t id, const uint64_t args[5],
                           HermesEbpfVm *vm, uint64_t *ret);

/*
 * Record batches
 * --------------
 * BATCH RUN (Documentation/hermes/device.rst, "Record batches"): one run
 * of an XDP program per record of a data slot, the kept records compacted
 * to the start of the slot and a 16-byte result per record.  The same code
 * serves the QEMU model and a user-space library without a device.
 *
 * The caller provides the slot memory, a run configuration (stack, budget
 * per record, maps, abort flag; its args are ignored) and a validated
 * program.  Order: hermes_ebpf_batch_check() (framing, nothing written),
 * hermes_ebpf_validate(), then hermes_ebpf_run_batch().
 *
 * Per record k the engine builds the run itself: r1 = data = data_base +
 * offset of the record's first data byte, r2 its length, r3 ctx_base, r4
 * and iteration k; data_hard_start/data_hard_end the record's bounds (no
 * headroom, no tailroom); the only data the program can access is the
 * record's bytes (read/write) and the context (read only), plus its stack
 * frames (each zeroed on entry: stack_size bytes per record, not the whole
 * stack area) and the maps of the configuration.  The helpers
 * hermes_ebpf_xdp_has_helper() lists are the engine's
 * (hermes_ebpf_xdp_helper(), with @env as HermesEbpfXdp.env), 1 to 3 the
 * map helpers when cfg->nmaps is non-zero, other IDs go to cfg->helper
 * (NULL: FAULT_HELPER).  With data_hard_start at data, bpf_xdp_adjust_head
 * can only drop bytes and bpf_xdp_adjust_meta only claim bytes it dropped.
 * Nothing is allocated, nothing but the slot, the stack area, map values
 * and env->prng is written.
 */
#define HERMES_EBPF_BATCH_ENTRY_SIZE    16          /* result table entry */
#define HERMES_EBPF_BATCH_KEPT          (1u << 0)   /* entry FLAGS: kept */
#define HERMES_EBPF_BATCH_LENPFX_SIZE   4           /* length prefix bytes */

typedef struct HermesEbpfBatch {
    /* host memory of the data slot: input at 0, output compacted to 0 */
    uint8_t *slot;
    /* bytes of @slot (EHDSSZE) */
    uint32_t slot_size;
    /* ILEN: input bytes at offset 0 of the slot (0: no records) */
    uint32_t in_len;
    /* RSIZE: bytes per record without @lenpfx (at least 1); ignored with */
    uint32_t record_size;
    /* LENPFX: each record is a u32 LE length L, then L bytes */
    bool lenpfx;
    /* RESOFF: result table offset, multiple of 8, in_len..slot_size */
    uint32_t res_off;
    /* device address of slot byte 0 (DATA_BASE) */
    uint64_t data_base;
    /* device address of the 64-byte run context (CTX_BASE) */
    uint64_t ctx_base;
    /* the engine's services for helpers 5, 7 and 8 (NULL: they fault) */
    HermesEbpfXdpEnv *env;
} HermesEbpfBatch;

/* Verdict of hermes_ebpf_batch_check(), in the device's check order */
typedef enum HermesEbpfBatchCheck {
    HERMES_EBPF_BATCH_OK = 0,
    /* record_size 0 without lenpfx, or no slot (device: INVALID_FIELD) */
    HERMES_EBPF_BATCH_BAD_FIELD = 1,
    /*
     * in_len or res_off above slot_size, res_off below in_len or not a
     * multiple of 8, data_base + slot_size wraps (INVALID_ADDRESS)
     */
    HERMES_EBPF_BATCH_BAD_ADDRESS = 2,
    /* framing: *bad_record is the first bad record (INVALID_RECORDS) */
    HERMES_EBPF_BATCH_BAD_RECORDS = 3,
} HermesEbpfBatchCheck;

/*
 * hermes_ebpf_batch_check: check a batch before anything runs; reads the
 * length prefixes, writes nothing.  Framing rules: in_len a multiple of
 * record_size; no length prefix or record data past in_len; at most
 * (slot_size - res_off) / 16 records.  On HERMES_EBPF_BATCH_BAD_RECORDS,
 * *@bad_record (if not NULL) is the index of the first record that breaks
 * a rule; on OK, *@nrecords (if not NULL) is the number of records.
 */
HermesEbpfBatchCheck hermes_ebpf_batch_check(const HermesEbpfBatch *b,
                                             uint32_t *nrecords,
                                             uint32_t *bad_record);

typedef struct HermesEbpfBatchResult {
    /*
     * HERMES_EBPF_OK: every record reached exit; a fault: the one of the
     * stopping record (FAULT_ABORTED also when the abort flag was found
     * set between records); ERR_BAD_CONFIG: bad configuration, or a
     * framing error (@check) met while running: the input changed after
     * hermes_ebpf_batch_check() or it was not called.
     */
    HermesEbpfStatus status;
    /* framing verdict behind an ERR_BAD_CONFIG, else BATCH_OK */
    HermesEbpfBatchCheck check;
    /* with check BAD_RECORDS: the first badly framed record */
    uint32_t bad_record;
    /* records that reached exit; on a stop, the stopping record's index */
    uint32_t records_done;
    /* program runs started (records_done, plus 1 when a run faulted) */
    uint32_t runs;
    /* NOUT: records kept (XDP_PASS) */
    uint32_t records_out;
    /* OUTLEN: bytes of output at offset 0 (prefixes included) */
    uint32_t out_len;
    /* instructions executed, all records */
    uint64_t insns;
    /*
     * Outcome of the last record that ran (r0, pc, fault address and
     * size, helper ID and error; last.insns its own count).  On a fault,
     * last.pc is the instruction of record records_done that stopped.
     */
    HermesEbpfResult last;
} HermesEbpfBatchResult;

/*
 * hermes_ebpf_run_batch: run @insns once per record of @b, in order.
 * Record k kept (low 32 bits of r0 == XDP_PASS): its bytes from data to
 * data_end are moved to the output cursor (memmove; nothing moves when
 * they are already there), preceded with @lenpfx by their new u32 LE
 * length.  Result table entry k at res_off + 16 k: u64 r0, u32 output
 * length (0 when dropped), u32 flags (HERMES_EBPF_BATCH_KEPT), all little
 * endian.  The batch stops at the first record that does not reach exit;
 * the output and table entries of the records before it are complete, the
 * stopping record's bytes undefined.  The abort flag is also polled
 * between records.  Every record is bounds-checked as it is read, so a
 * slot that changes under the run cannot make the engine leave it.
 * @cfg: stack_addr/stack_size/stack_host, budget (per record), helper
 * (IDs other than 1-3, 44, 65), abort_flag, maps/nmaps; args ignored.
 * @res: always fully written.  Returns res->status.
 */
HermesEbpfStatus hermes_ebpf_run_batch(const uint64_t *insns, uint32_t ninsns,
                                       const HermesEbpfBatch *b,
                                       const HermesEbpfRunConfig *cfg,
                                       HermesEbpfBatchResult *res);

/* hermes_ebpf_run_batch() on a decoded program */
HermesEbpfStatus hermes_ebpf_run_batch_code(const HermesEbpfCode *code,
                                            const HermesEbpfBatch *b,
                                            const HermesEbpfRunConfig *cfg,
                                            HermesEbpfBatchResult *res);

#endif /* HW_MISC_HERMES_EBPF_H */
