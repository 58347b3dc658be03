// SPDX-License-Identifier: GPL-2.0
//
// Random eBPF program generator shared by the RTL differential tests:
// programs valid by construction (checked with hermes_ebpf_validate() by
// the callers) that exercise every instruction group, with at most one
// kind of trouble each (wild access, misaligned atomic, backward jump,
// helper call, runaway recursion).
#ifndef HERMES_RTL_PROGEN_H
#define HERMES_RTL_PROGEN_H

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

static inline uint64_t ins(uint8_t op, unsigned dst, unsigned src, int16_t off, int32_t imm)
{
    return op | (uint64_t)(dst & 15) << 8 | (uint64_t)(src & 15) << 12 |
           (uint64_t)(uint16_t)off << 16 | (uint64_t)(uint32_t)imm << 32;
}

struct Case {
    std::string name;
    std::vector<uint64_t> prog;
    std::vector<uint8_t> data;
    bool test_helpers = false;
};

// ---------------------------------------------------------------------------
// Random programs.
struct Gen {
    std::mt19937_64 rng;
    explicit Gen(uint64_t seed) : rng(seed) {}
    // At most one kind of trouble per program, so that most programs run
    // to exit and their whole data slot is compared.
    enum { M_NONE, M_HELPER, M_WILD, M_BACK, M_MISALIGN, M_RECURSE } mischief = M_NONE;
    uint64_t u64() { return rng(); }
    unsigned below(unsigned n) { return rng() % n; }
    bool chance(unsigned pct) { return below(100) < pct; }

    int32_t imm()
    {
        switch (below(4)) {
        case 0: return (int32_t)below(33) - 16;
        case 1: return (int32_t)below(70);
        case 2: return (int32_t)(0x80000000u >> below(32));
        default: return (int32_t)u64();
        }
    }
    // Registers a random instruction may write: not r1 (data pointer),
    // r3 (context pointer) or r10.
    unsigned wreg()
    {
        static const unsigned r[] = { 0, 2, 4, 5, 6, 7, 8, 9 };
        return r[below(8)];
    }
    unsigned rreg() { return below(11); }

    uint64_t alu()
    {
        static const uint8_t codes[] = { 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60,
                                         0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0 };
        bool is64 = chance(50);
        uint8_t code = codes[below(14)];
        uint8_t cls = is64 ? 0x07 : 0x04;
        unsigned dst = wreg();
        if (code == 0x80)
            return ins(cls | code, dst, 0, 0, 0);
        if (code == 0xd0) {
            static const int w[] = { 16, 32, 64 };
            bool x = chance(50);
            if (is64)
                x = false;
            return ins(cls | code | (x ? 8 : 0), dst, 0, 0, w[below(3)]);
        }
        bool x = chance(50);
        int16_t off = 0;
        if ((code == 0x30 || code == 0x90) && chance(50))
            off = 1;
        if (code == 0xb0 && x && chance(40)) {
            static const int16_t o[] = { 8, 16, 32 };
            off = o[below(is64 ? 3 : 2)];
        }
        if (x)
            return ins(cls | code | 8, dst, rreg(), off, 0);
        int32_t k = imm();
        if ((code == 0x30 || code == 0x90) && chance(15))
            k = 0;
        return ins(cls | code, dst, 0, off, k);
    }

    // Base register and a window [lo, hi) of valid offsets for a size.
    void window(unsigned size, bool store, unsigned &base, int &lo, int &hi, size_t dlen)
    {
        unsigned w = below(store ? 2 : 3);
        if (w == 0) {
            base = 1; lo = 0; hi = (int)dlen - (int)size + 1;
        } else if (w == 1) {
            base = 10; lo = -512; hi = -(int)size + 1;
        } else {
            base = 3; lo = 0; hi = 64 - (int)size + 1;
        }
    }

    uint64_t mem(size_t dlen)
    {
        static const uint8_t sz[] = { 0x00, 0x08, 0x10, 0x18 };
        static const unsigned nb[] = { 4, 2, 1, 8 };
        unsigned s = below(4);
        unsigned kind = below(3);  // 0 ldx, 1 st, 2 stx
        unsigned base;
        int lo, hi;
        window(nb[s], kind != 0, base, lo, hi, dlen);
        int off = lo + (int)below(hi - lo);
        if (mischief == M_WILD && chance(10))
            off = (int)below(1200) - 600;     // probably outside
        if (kind == 0) {
            bool sx = s != 3 && chance(30);
            return ins((sx ? 0x81 : 0x61) | sz[s], wreg(), base, off, 0);
        }
        if (kind == 1)
            return ins(0x62 | sz[s], base, 0, off, imm());
        return ins(0x63 | sz[s], base, rreg(), off, 0);
    }

    uint64_t atomic(size_t dlen)
    {
        static const int32_t ops[] = { 0x00, 0x01, 0x40, 0x41, 0x50, 0x51,
                                       0xa0, 0xa1, 0xe1, 0xf1 };
        bool dw = chance(50);
        unsigned n = dw ? 8 : 4;
        unsigned base = chance(50) ? 1 : 10;
        int off = base == 1 ? (int)(below((dlen - n) / n + 1) * n)
                            : -(int)((below(512 / n) + 1) * n);
        if (mischief == M_MISALIGN && chance(30))
            off += 1 + below(n - 1);          // misaligned
        return ins(dw ? 0xdb : 0xc3, base, wreg(), off, ops[below(10)]);
    }

    static const uint8_t *jcodes()
    {
        static const uint8_t c[] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60,
                                     0x70, 0xa0, 0xb0, 0xc0, 0xd0 };
        return c;
    }

    Case program(const std::string &name)
    {
        Case c;
        c.name = name;
        unsigned m = below(10);
        mischief = m < 5 ? M_NONE : m == 5 ? M_HELPER : m == 6 ? M_WILD :
                   m == 7 ? M_BACK : m == 8 ? M_MISALIGN : M_RECURSE;
        size_t dlen = 64 + 8 * below(25);
        c.data.resize(dlen);
        for (auto &b : c.data)
            b = u64();
        std::vector<uint64_t> &p = c.prog;
        // Prologue: random values in the scratch registers.
        for (unsigned r : { 0u, 5u, 6u, 7u, 8u, 9u }) {
            if (chance(50)) {
                uint64_t v = u64();
                p.push_back(ins(0x18, r, 0, 0, (int32_t)v));
                p.push_back(ins(0, 0, 0, 0, (int32_t)(v >> 32)));
            } else {
                p.push_back(ins(0xb7, r, 0, 0, imm()));
            }
        }
        // Body, with jump targets patched once its length is known.
        struct Fix { size_t at; int kind; };   // 0 cond/ja, 1 gotol, 2 call, 3 back
        std::vector<Fix> fix;
        std::vector<bool> second(1, false);
        unsigned n = 20 + below(100);
        bool with_func = chance(40) || mischief == M_RECURSE;
        for (unsigned i = 0; i < n; i++) {
            unsigned k = below(100);
            if (k < 40) {
                p.push_back(alu());
            } else if (k < 62) {
                p.push_back(mem(dlen));
            } else if (k < 67) {
                p.push_back(atomic(dlen));
            } else if (k < 82) {
                bool j32 = chance(40);
                uint8_t code = jcodes()[below(11)];
                fix.push_back({ p.size(), 0 });
                if (chance(50))
                    p.push_back(ins((j32 ? 0x06 : 0x05) | code | 8, rreg(), rreg(), 0, 0));
                else
                    p.push_back(ins((j32 ? 0x06 : 0x05) | code, rreg(), 0, 0, imm()));
            } else if (k < 85) {
                bool gotol = chance(50);
                fix.push_back({ p.size(), gotol ? 1 : 0 });
                p.push_back(ins(gotol ? 0x06 : 0x05, 0, 0, 0, 0));
            } else if (k < 89) {
                uint64_t v = u64();
                p.push_back(ins(0x18, wreg(), 0, 0, (int32_t)v));
                p.push_back(ins(0, 0, 0, 0, (int32_t)(v >> 32)));
            } else if (k < 93 && with_func) {
                fix.push_back({ p.size(), 2 });
                p.push_back(ins(0x85, 0, 1, 0, 0));
            } else if (k < 94 && mischief == M_HELPER) {
                p.push_back(ins(0x85, 0, 0, 0, (int32_t)below(8)));   // helper
            } else if (k < 95 && mischief == M_BACK) {
                fix.push_back({ p.size(), 3 });
                p.push_back(ins(0x05, 0, 0, 0, 0));
            } else {
                p.push_back(alu());
            }
        }
        size_t body_end = p.size();
        p.push_back(ins(0x95, 0, 0, 0, 0));
        size_t func = p.size();
        if (with_func) {
            unsigned m = 3 + below(10);
            for (unsigned i = 0; i < m; i++) {
                unsigned k = below(10);
                if (k < 6)
                    p.push_back(alu());
                else if (k < 9 || mischief != M_RECURSE)
                    p.push_back(mem(dlen));
                else
                    p.push_back(ins(0x85, 0, 1, 0, (int32_t)(func - p.size() - 1)));
            }
            p.push_back(ins(0x95, 0, 0, 0, 0));
        }
        // Which slots are lddw second halves (not valid targets).
        std::vector<bool> half(p.size(), false);
        for (size_t i = 0; i + 1 < p.size(); i++)
            if ((p[i] & 0xff) == 0x18) {
                half[i + 1] = true;
                i++;
            }
        auto target = [&](size_t from, size_t lo, size_t hi) -> int64_t {
            for (int tries = 0; tries < 20 && lo <= hi; tries++) {
                size_t t = lo + below(hi - lo + 1);
                if (!half[t])
                    return (int64_t)t - (int64_t)from - 1;
            }
            return (int64_t)body_end - (int64_t)from - 1;
        };
        for (const Fix &f : fix) {
            uint64_t &w = p[f.at];
            int64_t rel;
            switch (f.kind) {
            case 0:
                rel = target(f.at, f.at + 1, std::min(body_end, f.at + 12));
                w = (w & ~(0xffffull << 16)) | (uint64_t)(uint16_t)rel << 16;
                break;
            case 1:
                rel = target(f.at, f.at + 1, body_end);
                w = (w & 0xffffffffull) | (uint64_t)(uint32_t)rel << 32;
                break;
            case 2:
                rel = (int64_t)func - (int64_t)f.at - 1;
                w = (w & 0xffffffffull) | (uint64_t)(uint32_t)rel << 32;
                break;
            default:
                rel = target(f.at, 0, f.at);
                w = (w & ~(0xffffull << 16)) | (uint64_t)(uint16_t)rel << 16;
                break;
            }
        }
        return c;
    }
};


#endif
