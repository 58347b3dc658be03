// SPDX-License-Identifier: GPL-2.0
//
// Differential test: the same programs on the RTL engine (Verilator) and on
// the C reference engine (qemu/hw/misc/hermes-ebpf.c), which must agree on
// status, r0, faulting pc, fault address and size, helper ID, instructions
// executed and every byte of the data slot afterwards.
//
//   rtl-diff corpus DIR      bpf_conformance vectors in DIR, then the
//                            built-in XDP-style programs
//   rtl-diff bench           cycles of the corpus programs (bench-rtl)
//   rtl-diff random SEED N [FIRST]  N random programs from SEED, a TAP line
//                            per 100, numbered after FIRST
//
// Random programs are valid by construction (each is also checked with
// hermes_ebpf_validate(), a generator bug is a failure): forward branches,
// all ALU/JMP/JMP32 ops and widths, loads and stores of every size at
// random (also unaligned and out-of-window) offsets of the data slot, the
// stack and the context, atomics (sometimes misaligned), lddw, gotol,
// bpf-to-bpf calls (sometimes recursive until the depth limit), helper
// calls and the odd backward jump, which the budget ends.
#include "engine_harness.h"
#include "progen.h"
#include "verilated.h"

extern "C" {
#include "hermes-ebpf.h"
}

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

static const uint64_t DATA_BASE = 0x100000000ull;
static const uint64_t CTX_BASE = 0x200000000ull;
static const uint64_t STACK_BASE = 0x300000000ull;
static const uint32_t BUDGET = 4000;

// Run-context bytes as the device lays them out (device.rst, "Run context").
static void make_ctx(uint8_t ctx[64], size_t len)
{
    uint64_t w[8] = { DATA_BASE, DATA_BASE + len, DATA_BASE, DATA_BASE,
                      DATA_BASE + len, 0, 0, 0 };
    for (int i = 0; i < 64; i++)
        ctx[i] = w[i / 8] >> (8 * (i % 8));
}

// The conformance suite's helper 5 ("unwind"): r0 = r1, stop if 0.
static int unwind_helper(void *, uint32_t id, const uint64_t args[5],
                         HermesEbpfVm *, uint64_t *ret)
{
    if (id != 5)
        return -1;
    *ret = args[0];
    return args[0] == 0 ? HERMES_EBPF_HELPER_STOP : HERMES_EBPF_HELPER_CONTINUE;
}

static RtlEngine *rtl;
static unsigned outcome[256];   // C engine statuses seen, for coverage

// Returns "" when both engines agree, else what differs.  A program
// hermes_ebpf_validate() rejects is still run on both engines (the device
// never would, but neither engine may then leave its memory, and the C
// engine's outcome is deterministic): *invalid says why it was rejected.
static std::string compare(const Case &c, std::string *invalid)
{
    HermesEbpfCaps caps;
    hermes_ebpf_caps_full(&caps);
    char msg[160] = "";
    uint32_t bad_pc = 0;
    invalid->clear();
    if (hermes_ebpf_validate(c.prog.data(), c.prog.size(), &caps, &bad_pc,
                             msg, sizeof(msg)) != HERMES_EBPF_OK)
        *invalid = msg;

    uint8_t ctx[64];
    make_ctx(ctx, c.data.size());

    std::vector<uint8_t> cdata = c.data;
    HermesEbpfRegion regions[2] = {
        { DATA_BASE, cdata.size(), cdata.data(), HERMES_EBPF_MEM_RW },
        { CTX_BASE, 64, ctx, HERMES_EBPF_MEM_READ },
    };
    HermesEbpfRunConfig rc;
    memset(&rc, 0, sizeof(rc));
    rc.args[0] = DATA_BASE;
    rc.args[1] = c.data.size();
    rc.args[2] = CTX_BASE;
    rc.budget = BUDGET;
    rc.stack_addr = STACK_BASE;
    rc.stack_size = 512;
    if (c.test_helpers)
        rc.helper = unwind_helper;
    HermesEbpfResult cr;
    hermes_ebpf_run(c.prog.data(), c.prog.size(), regions, 2, &rc, &cr);
    outcome[cr.status & 0xff]++;

    RtlConfig cfg;
    cfg.prog = c.prog;
    cfg.r1 = DATA_BASE;
    cfg.r2 = c.data.size();
    cfg.r3 = CTX_BASE;
    cfg.data.base = DATA_BASE;
    cfg.data.bytes = c.data;
    cfg.ctx_base = CTX_BASE;
    memcpy(cfg.ctx, ctx, 64);
    cfg.stack_base = STACK_BASE;
    cfg.budget = BUDGET;
    cfg.test_helpers = c.test_helpers;
    RtlResult r = rtl->run(cfg);

    std::ostringstream d;
    if (!r.error.empty())
        d << "rtl harness: " << r.error << "; ";
    if (r.timeout)
        d << "rtl did not finish; ";
    // A helper fault's ID only; the C engine also reports the error code.
    auto cmp = [&](const char *what, uint64_t a, uint64_t b) {
        if (a != b)
            d << what << " C 0x" << std::hex << a << " RTL 0x" << b << std::dec << "; ";
    };
    cmp("status", cr.status, r.fault);
    cmp("r0", cr.r0, r.r0);
    cmp("pc", cr.pc, r.pc);
    cmp("insns", cr.insns, r.insns);
    cmp("fault_addr", cr.fault_addr, r.addr);
    cmp("fault_size", cr.fault_size, r.fsize);
    cmp("helper", cr.status == HERMES_EBPF_FAULT_HELPER ? cr.helper_id : 0, r.helper);
    if (cr.insns != r.retired)
        d << "retired counter " << r.retired << " vs insns " << cr.insns << "; ";
    for (size_t i = 0; i < cdata.size(); i++) {
        if (cdata[i] != cfg.data.bytes[i]) {
            d << "data byte " << i << " C 0x" << std::hex << +cdata[i] << " RTL 0x"
              << +cfg.data.bytes[i] << std::dec << "; ";
            break;
        }
    }
    return d.str();
}

// ---------------------------------------------------------------------------
// Corpus: conformance vectors and a few XDP-style programs.  Every vector
// is compared, also those outside the Linux ISA (callx, LD_ABS/LD_IND),
// which both engines must refuse in the same way.
static void read_vector(const std::string &path, Case &c)
{
    std::ifstream in(path);
    std::string line, sec;
    while (std::getline(in, line)) {
        if (line.rfind("-- ", 0) == 0) {
            sec = line.substr(3);
            continue;
        }
        std::string t = line.substr(0, line.find('#'));
        if (sec == "raw") {
            std::istringstream s(t);
            std::string tok;
            if (s >> tok)
                c.prog.push_back(strtoull(tok.c_str(), nullptr, 16));
        } else if (sec == "mem") {
            std::istringstream s(t);
            std::string tok;
            while (s >> tok)
                c.data.push_back(strtoul(tok.c_str(), nullptr, 16));
        }
    }
}

static std::vector<Case> builtin_corpus()
{
    std::vector<Case> v;
    std::mt19937_64 rng(7);
    auto data = [&](size_t n) {
        std::vector<uint8_t> d(n);
        for (auto &b : d)
            b = rng();
        return d;
    };
    // 16-bit ones'-complement sum of the data slot (an IP checksum loop).
    {
        Case c;
        c.name = "checksum loop";
        c.data = data(200);
        c.prog = {
            ins(0xb7, 0, 0, 0, 0),          // r0 = 0
            ins(0xbf, 6, 1, 0, 0),          // r6 = r1
            ins(0xbf, 7, 1, 0, 0),          // r7 = r1
            ins(0x0f, 7, 2, 0, 0),          // r7 += r2 (end)
            ins(0xbf, 8, 6, 0, 0),          // loop: r8 = r6
            ins(0x07, 8, 0, 0, 2),          // r8 += 2
            ins(0x2d, 8, 7, 4, 0),          // if r8 > r7 goto fold
            ins(0x69, 9, 6, 0, 0),          // r9 = *(u16 *)r6
            ins(0x0f, 0, 9, 0, 0),          // r0 += r9
            ins(0xbf, 6, 8, 0, 0),          // r6 = r8
            ins(0x05, 0, 0, -7, 0),         // goto loop
            ins(0xbf, 9, 0, 0, 0),          // fold: r9 = r0
            ins(0x77, 9, 0, 0, 16),         // r9 >>= 16
            ins(0x57, 0, 0, 0, 0xffff),     // r0 &= 0xffff
            ins(0x0f, 0, 9, 0, 0),          // r0 += r9
            ins(0xbf, 9, 0, 0, 0),
            ins(0x77, 9, 0, 0, 16),
            ins(0x0f, 0, 9, 0, 0),
            ins(0xa7, 0, 0, 0, 0xffff),     // r0 ^= 0xffff
            ins(0x57, 0, 0, 0, 0xffff),
            ins(0x95, 0, 0, 0, 0),
        };
        v.push_back(c);
    }
    // XDP-style: bounds check against ctx data_end, swap the MAC addresses,
    // XDP_TX (3) for IPv4, else XDP_PASS (2).
    {
        Case c;
        c.name = "xdp swap macs";
        c.data = data(64);
        c.data[12] = 0x08;
        c.data[13] = 0x00;
        c.prog = {
            ins(0x79, 6, 3, 0, 0),          // r6 = ctx->data
            ins(0x79, 7, 3, 8, 0),          // r7 = ctx->data_end
            ins(0xbf, 8, 6, 0, 0),
            ins(0x07, 8, 0, 0, 14),
            ins(0xb7, 0, 0, 0, 2),          // XDP_PASS
            ins(0x2d, 8, 7, 11, 0),         // if data + 14 > data_end: exit
            ins(0x69, 9, 6, 12, 0),         // eth type
            ins(0x55, 9, 0, 9, 0x0008),     // not IPv4: exit
            ins(0x61, 2, 6, 0, 0),          // swap dst/src MAC (4 + 2 bytes)
            ins(0x69, 4, 6, 4, 0),
            ins(0x61, 5, 6, 6, 0),
            ins(0x69, 9, 6, 10, 0),
            ins(0x63, 6, 5, 0, 0),
            ins(0x6b, 6, 9, 4, 0),
            ins(0x63, 6, 2, 6, 0),
            ins(0x6b, 6, 4, 10, 0),
            ins(0xb7, 0, 0, 0, 3),          // XDP_TX
            ins(0x95, 0, 0, 0, 0),
        };
        v.push_back(c);
    }
    // Recursive Fibonacci through bpf-to-bpf calls and the stack: fib(6)
    // nests 6 calls, within the 8 frames; fib(9) overflows them.
    for (int n : { 6, 9 }) {
        Case c;
        c.name = "fib(" + std::to_string(n) + ") by recursion";
        c.data = data(8);
        c.prog = {
            ins(0xb7, 1, 0, 0, n),          // r1 = n
            ins(0x85, 0, 1, 0, 1),          // call fib
            ins(0x95, 0, 0, 0, 0),
            ins(0xbf, 0, 1, 0, 0),          // fib: r0 = n
            ins(0xa5, 1, 0, 8, 2),          // if n < 2 return n
            ins(0x7b, 10, 1, -8, 0),        // spill n
            ins(0x07, 1, 0, 0, -1),
            ins(0x85, 0, 1, 0, -5),         // fib(n - 1)
            ins(0xbf, 6, 0, 0, 0),          // r6 = fib(n - 1)
            ins(0x79, 1, 10, -8, 0),
            ins(0x07, 1, 0, 0, -2),
            ins(0x85, 0, 1, 0, -9),         // fib(n - 2)
            ins(0x0f, 0, 6, 0, 0),
            ins(0x95, 0, 0, 0, 0),
        };
        // The return after r6 = ... relies on r6 being restored by the
        // engine at exit, which is what the ABI promises.
        v.push_back(c);
    }
    // A frame is zeroed each time it is entered: the second call must not
    // see what the first one stored.
    {
        Case c;
        c.name = "callee frame zeroed on every call";
        c.data = data(8);
        c.prog = {
            ins(0x85, 0, 1, 0, 4),          // call f
            ins(0xbf, 6, 0, 0, 0),
            ins(0x85, 0, 1, 0, 2),          // call f
            ins(0x0f, 0, 6, 0, 0),          // r0 = first + second
            ins(0x95, 0, 0, 0, 0),
            ins(0x79, 0, 10, -8, 0),        // f: r0 = *(u64 *)(r10 - 8)
            ins(0x7a, 10, 0, -8, 0x1234),   // *(u64 *)(r10 - 8) = 0x1234
            ins(0x72, 10, 0, -13, 0x55),    // *(u8 *)(r10 - 13) = 0x55
            ins(0x61, 2, 10, -16, 0),       // r2 = *(u32 *)(r10 - 16)
            ins(0x0f, 0, 2, 0, 0),
            ins(0x95, 0, 0, 0, 0),
        };
        v.push_back(c);
    }
    // Byte-wise reverse of the data slot through the stack, with atomics.
    {
        Case c;
        c.name = "reverse through stack with atomics";
        c.data = data(128);
        c.prog = {
            ins(0xb7, 6, 0, 0, 0),          // i = 0
            ins(0xbf, 7, 1, 0, 0),          // loop: r7 = data + i
            ins(0x0f, 7, 6, 0, 0),
            ins(0x71, 8, 7, 0, 0),          // r8 = data[i]
            ins(0xbf, 9, 10, 0, 0),
            ins(0x07, 9, 0, 0, -128),
            ins(0x0f, 9, 6, 0, 0),
            ins(0x73, 9, 8, 0, 0),          // stack[i] = r8
            ins(0x07, 6, 0, 0, 1),
            ins(0xa5, 6, 0, -9, 128),       // while i < 128
            ins(0xb7, 6, 0, 0, 0),
            ins(0xbf, 9, 10, 0, 0),         // loop2: r9 = stack + 127 - i
            ins(0x07, 9, 0, 0, -1),
            ins(0x1f, 9, 6, 0, 0),
            ins(0x71, 8, 9, 0, 0),
            ins(0xbf, 7, 1, 0, 0),
            ins(0x0f, 7, 6, 0, 0),
            ins(0x73, 7, 8, 0, 0),          // data[i] = stack[127 - i]
            ins(0x07, 6, 0, 0, 1),
            ins(0xa5, 6, 0, -9, 128),
            ins(0xb7, 2, 0, 0, 5),
            ins(0xdb, 1, 2, 0, 0x01),       // fetch-add 64-bit at data[0]
            ins(0xb7, 0, 0, 0, 0),
            ins(0xc3, 1, 2, 8, 0xe1),       // xchg 32-bit at data[8]
            ins(0xbf, 0, 2, 0, 0),
            ins(0x95, 0, 0, 0, 0),
        };
        v.push_back(c);
    }
    return v;
}

// Programs for bench-rtl only: where the cycles go.
static std::vector<Case> bench_programs()
{
    std::vector<Case> v = builtin_corpus();
    // ALU and branches only: the one-per-cycle case.
    Case a;
    a.name = "alu/branch loop (xorshift, 200 iterations)";
    a.data.resize(8);
    a.prog = {
        ins(0xb7, 6, 0, 0, 200),
        ins(0x18, 0, 0, 0, 0x12345678), ins(0, 0, 0, 0, 0x9abcdef),
        ins(0xbf, 2, 0, 0, 0),          // loop: xorshift64 on r0
        ins(0x67, 2, 0, 0, 13),
        ins(0xaf, 0, 2, 0, 0),
        ins(0xbf, 2, 0, 0, 0),
        ins(0x77, 2, 0, 0, 7),
        ins(0xaf, 0, 2, 0, 0),
        ins(0xbf, 2, 0, 0, 0),
        ins(0x67, 2, 0, 0, 17),
        ins(0xaf, 0, 2, 0, 0),
        ins(0x07, 6, 0, 0, -1),
        ins(0x55, 6, 0, -11, 0),        // while (--r6)
        ins(0x95, 0, 0, 0, 0),
    };
    v.push_back(a);
    // Division-heavy: 50 64-bit and 50 32-bit divisions.
    Case d;
    d.name = "division loop (50 x div64 + mod32)";
    d.data.resize(8);
    d.prog = {
        ins(0xb7, 6, 0, 0, 50),
        ins(0x18, 0, 0, 0, -1), ins(0, 0, 0, 0, 0x7fffffff),
        ins(0x37, 0, 0, 0, 3),          // loop: r0 /= 3
        ins(0x94, 0, 0, 0, 1000),       // w0 %= 1000
        ins(0x07, 0, 0, 0, 123456789),
        ins(0x07, 6, 0, 0, -1),
        ins(0x55, 6, 0, -5, 0),
        ins(0x95, 0, 0, 0, 0),
    };
    v.push_back(d);
    return v;
}

int main(int argc, char **argv)
{
    Verilated::commandArgs(1, argv);
    if (argc < 2 || (argc < 3 && strcmp(argv[1], "bench"))) {
        fprintf(stderr, "usage: %s corpus DIR | random SEED N [FIRST] | bench\n", argv[0]);
        return 2;
    }
    rtl = new RtlEngine;
    std::string mode = argv[1];
    int n = 0, failed = 0;
    if (mode == "bench") {
        // Cycles on the RTL; the result is still compared with the C engine.
        for (const Case &c : bench_programs()) {
            RtlConfig cfg;
            uint8_t ctx[64];
            make_ctx(ctx, c.data.size());
            cfg.prog = c.prog;
            cfg.r1 = DATA_BASE;
            cfg.r2 = c.data.size();
            cfg.r3 = CTX_BASE;
            cfg.data.base = DATA_BASE;
            cfg.data.bytes = c.data;
            memcpy(cfg.ctx, ctx, 64);
            cfg.budget = BUDGET * 10;
            RtlResult r = rtl->run(cfg);
            std::string invalid;
            std::string d = BUDGET >= r.insns ? compare(c, &invalid) : "";
            printf("%-44s cycles %6" PRIu64 " insns %6" PRIu64 " stalls %6" PRIu64
                   " CPI %.2f %s%s\n", c.name.c_str(), r.cycles, r.retired, r.stalls,
                   r.retired ? (double)r.cycles / r.retired : 0.0,
                   rtl_fault_name(r.fault), d.empty() ? "" : " (DIFFERS from C engine)");
        }
        delete rtl;
        return 0;
    }
    if (mode == "corpus") {
        std::vector<std::string> files;
        if (DIR *d = opendir(argv[2])) {
            while (struct dirent *e = readdir(d)) {
                std::string f = e->d_name;
                if (f.size() > 5 && f.substr(f.size() - 5) == ".data")
                    files.push_back(f);
            }
            closedir(d);
        }
        std::sort(files.begin(), files.end());
        std::vector<Case> cases;
        for (const std::string &f : files) {
            Case c;
            c.name = "vector " + f.substr(0, f.size() - 5);
            c.test_helpers = true;
            read_vector(std::string(argv[2]) + "/" + f, c);
            cases.push_back(c);
        }
        for (const Case &c : builtin_corpus())
            cases.push_back(c);
        if (files.empty())
            printf("1..1\nnot ok 1 - diff: no conformance vectors in %s\n", argv[2]);
        else
            printf("1..%zu\n", cases.size());
        failed += files.empty();
        // A conformance vector the validator rejects cannot run on the
        // device at all; it still must not differ, so it is compared.
        // So must a built-in program, which the validator must accept.
        for (const Case &c : cases) {
            std::string invalid;
            std::string d = compare(c, &invalid);
            bool vector = c.name.rfind("vector ", 0) == 0;
            if (!invalid.empty() && !vector)
                d = "does not validate: " + invalid + "; " + d;
            if (!d.empty()) {
                printf("not ok %d - diff %s: %s\n", ++n, c.name.c_str(), d.c_str());
                failed++;
            } else if (!invalid.empty()) {
                printf("ok %d - diff %s: rejected by the validator (%s), "
                       "both engines stop alike\n", ++n, c.name.c_str(),
                       invalid.c_str());
            } else {
                printf("ok %d - diff %s\n", ++n, c.name.c_str());
            }
        }
    } else {
        uint64_t seed = strtoull(argv[2], nullptr, 0);
        int count = argc > 3 ? atoi(argv[3]) : 1000;
        n = argc > 4 ? atoi(argv[4]) : 0;       // TAP number to continue from
        Gen g(seed);
        int block = 100;
        printf("1..%d\n", (count + block - 1) / block);
        for (int b = 0; b < count; b += block) {
            int bad = 0;
            std::string first;
            for (int i = b; i < b + block && i < count; i++) {
                Case c = g.program("random #" + std::to_string(i));
                std::string invalid;
                std::string d = compare(c, &invalid);
                if (!invalid.empty())
                    d = "generator bug, does not validate: " + invalid + "; " + d;
                if (!d.empty()) {
                    if (!bad++) {
                        first = c.name + ": " + d;
                        std::ostringstream dump;
                        for (uint64_t w : c.prog)
                            dump << std::hex << w << " ";
                        first += "\n# program: " + dump.str();
                    }
                }
            }
            if (bad) {
                printf("not ok %d - diff random programs %d-%d (seed %" PRIu64 "): %d differ\n# %s\n",
                       ++n, b, std::min(b + block, count) - 1, seed, bad, first.c_str());
                failed++;
            } else {
                printf("ok %d - diff random programs %d-%d (seed %" PRIu64 ")\n",
                       ++n, b, std::min(b + block, count) - 1, seed);
            }
        }
    }
    // Show what the programs exercised, so a generator that stopped
    // reaching some outcome is visible in the log.
    printf("# outcomes:");
    for (unsigned i = 0; i < 256; i++)
        if (outcome[i])
            printf(" %s %u;", hermes_ebpf_status_name((HermesEbpfStatus)i), outcome[i]);
    printf("\n");
    delete rtl;
    return failed ? 1 : 0;
}
