// SPDX-License-Identifier: GPL-2.0
//
// Differential test of the hardware validator (hermes_validate.v) against
// hermes_ebpf_validate() with the RTL's capability set: the same error
// kind and the same instruction index for every program.
//
//   rtl-validate-diff SEED N [FIRST]   N programs, a TAP line per 500
//
// Programs: valid random ones from progen.h, the same with 1 to 3
// mutations (bit flips, random words, random opcodes, truncation), and
// short runs of random words.
#include "Vhermes_validate.h"
#include "progen.h"
#include "verilated.h"

extern "C" {
#include "hermes-ebpf.h"
}

#include <cinttypes>
#include <cstdio>
#include <cstring>

enum { AW = 9, WORDS = 1 << AW };

static Vhermes_validate *top;
static std::vector<uint64_t> ram(WORDS);

static void tick()
{
    top->clk = 0;
    top->eval();
    uint32_t a = top->rd_addr;
    top->clk = 1;
    top->eval();
    top->rd_data = ram[a % WORDS];
    top->eval();
}

struct Verdict {
    unsigned kind;
    uint32_t pc;
    bool timeout;
};

static Verdict rtl_validate(const std::vector<uint64_t> &p)
{
    Verdict v = { 0, 0, false };
    top->n = p.size();
    top->start = 1;
    tick();
    top->start = 0;
    // The loader writes the RAM and feeds the validator in the same cycle.
    for (size_t i = 0; i < p.size(); i++) {
        top->in_valid = 1;
        top->in_word = p[i];
        top->in_last = (i + 1 == p.size());
        ram[i] = p[i];
        tick();
    }
    top->in_valid = 0;
    top->in_last = 0;
    for (int n = 0; !top->done; n++) {
        if (n > 4 * WORDS) {
            v.timeout = true;
            return v;
        }
        tick();
    }
    v.kind = top->kind;
    v.pc = top->bad_pc;
    return v;
}

int main(int argc, char **argv)
{
    Verilated::commandArgs(1, argv);
    if (argc < 3) {
        fprintf(stderr, "usage: %s SEED N [FIRST]\n", argv[0]);
        return 2;
    }
    uint64_t seed = strtoull(argv[1], nullptr, 0);
    int count = atoi(argv[2]);
    int tap = argc > 3 ? atoi(argv[3]) : 0;

    top = new Vhermes_validate;
    top->rst_n = 0;
    for (int i = 0; i < 4; i++)
        tick();
    top->rst_n = 1;
    tick();

    HermesEbpfCaps caps;
    hermes_ebpf_caps_full(&caps);
    caps.helper_calls = false;      // the RTL implements no helpers
    caps.max_insns = WORDS;

    Gen g(seed);
    unsigned seen[256] = {};
    int failed = 0;
    const int block = 500;
    for (int b = 0; b < count; b += block) {
        int bad = 0;
        std::string first;
        for (int i = b; i < b + block && i < count; i++) {
            std::vector<uint64_t> p;
            unsigned kind = g.below(10);
            if (kind == 0) {
                unsigned n = 1 + g.below(4);
                for (unsigned k = 0; k < n; k++)
                    p.push_back(g.chance(50) ? g.u64() : ins(g.u64(), g.below(12), g.below(12), 0, 0));
            } else {
                p = g.program("v").prog;
                unsigned m = kind < 4 ? 0 : 1 + g.below(3);
                for (unsigned k = 0; k < m; k++) {
                    size_t at = g.below(p.size());
                    uint8_t cls = p[at] & 7;
                    if (g.chance(30) && (cls == 5 || cls == 6)) {
                        // Retarget a jump anywhere, lddw second halves too.
                        int64_t rel = (int64_t)g.below(p.size() + 2) - (int64_t)at - 1;
                        if ((p[at] & 0xff) == 0x06 || (p[at] & 0xff) == 0x85)
                            p[at] = (p[at] & 0xffffffffull) | (uint64_t)(uint32_t)rel << 32;
                        else
                            p[at] = (p[at] & ~(0xffffull << 16)) | (uint64_t)(uint16_t)rel << 16;
                        continue;
                    }
                    switch (g.below(5)) {
                    case 0: p[at] ^= 1ull << g.below(64); break;
                    case 1: p[at] ^= 1ull << g.below(32); break;   // fields, not imm
                    case 2: p[at] = g.u64(); break;
                    case 3: p[at] = (p[at] & ~0xffull) | (g.u64() & 0xff); break;
                    default: p.resize(1 + at); break;
                    }
                }
            }
            if (p.size() > WORDS)
                p.resize(WORDS);
            uint32_t cpc = 0;
            unsigned ck = hermes_ebpf_validate(p.data(), p.size(), &caps, &cpc, nullptr, 0);
            seen[ck & 0xff]++;
            Verdict v = rtl_validate(p);
            if (v.timeout || v.kind != ck || v.pc != cpc) {
                if (!bad++) {
                    char m[256];
                    snprintf(m, sizeof(m), "C %u at %u, RTL %u at %u%s; word there 0x%016" PRIx64,
                             ck, cpc, v.kind, v.pc, v.timeout ? " (timeout)" : "",
                             cpc < p.size() ? p[cpc] : 0);
                    first = m;
                }
            }
        }
        int last = std::min(b + block, count) - 1;
        if (bad) {
            printf("not ok %d - validator programs %d-%d (seed %" PRIu64 "): %d differ: %s\n",
                   ++tap, b, last, seed, bad, first.c_str());
            failed++;
        } else {
            printf("ok %d - validator programs %d-%d (seed %" PRIu64 ") agree with hermes_ebpf_validate\n",
                   ++tap, b, last, seed);
        }
    }
    printf("# verdicts:");
    for (unsigned i = 0; i < 256; i++)
        if (seen[i])
            printf(" %s %u;", hermes_ebpf_status_name((HermesEbpfStatus)i), seen[i]);
    printf("\n");
    top->final();
    delete top;
    return failed ? 1 : 0;
}
