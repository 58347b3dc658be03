// SPDX-License-Identifier: GPL-2.0
#include "engine_harness.h"
#include "Vhermes_ebpf_core.h"
#include "verilated.h"

#include <cstdio>

const char *rtl_fault_name(unsigned fault)
{
    switch (fault) {
    case 0: return "ok";
    case 1: return "invalid instruction";
    case 2: return "jump out of program";
    case 16: return "load fault";
    case 17: return "store fault";
    case 18: return "misaligned atomic";
    case 19: return "instruction budget exhausted";
    case 20: return "call depth exceeded";
    case 21: return "helper fault";
    case 22: return "aborted";
    }
    return "unknown";
}

RtlEngine::RtlEngine() : stack(RTL_STACK_BYTES), imem(RTL_IMEM_WORDS)
{
    top = new Vhermes_ebpf_core;
    top->clk = 0;
    top->rst_n = 0;
    top->start = 0;
    top->dmem_gnt = 1;      // the harness memory never stalls
    top->dmem_rvalid = 0;
    top->eval();
    for (int i = 0; i < 4; i++)
        tick();
    top->rst_n = 1;
    tick();
}

RtlEngine::~RtlEngine()
{
    top->final();
    delete top;
}

// Byte lane access to one window, bytes outside it read 0 and are never
// written (the engine's strobes must not cover them anyway).
static uint8_t *lane(RtlRegion &r, uint64_t addr)
{
    if (addr < r.base || addr - r.base >= r.bytes.size())
        return nullptr;
    return &r.bytes[addr - r.base];
}

// One clock: sample what the RAMs see before the edge, clock, then present
// the RAM outputs the edge produced.
void RtlEngine::tick()
{
    top->clk = 0;
    top->eval();

    uint32_t iaddr_a = top->imem_addr_a, iaddr_b = top->imem_addr_b;
    bool req = top->dmem_req, we = top->dmem_we;
    uint64_t daddr = top->dmem_addr, wdata = top->dmem_wdata;
    unsigned strb = top->dmem_wstrb, region = top->dmem_region;

    top->clk = 1;
    top->eval();

    top->imem_rdata_a = imem[iaddr_a % RTL_IMEM_WORDS];
    top->imem_rdata_b = imem[iaddr_b % RTL_IMEM_WORDS];
    top->dmem_rvalid = 0;
    if (req && cur) {
        RtlRegion *r = region == 0 ? &cur->data : nullptr;
        uint64_t rd = 0;
        bool any = false;
        for (unsigned b = 0; b < 8; b++) {
            uint64_t a = daddr + b;
            uint8_t *p;
            if (region == 1)
                p = (a >= cur->stack_base && a - cur->stack_base < stack.size())
                        ? &stack[a - cur->stack_base] : nullptr;
            else
                p = r ? lane(*r, a) : nullptr;
            if (we && (strb >> b & 1)) {
                if (!p) {
                    char m[128];
                    snprintf(m, sizeof(m), "unchecked write to 0x%llx region %u",
                             (unsigned long long)a, region);
                    err = m;
                } else {
                    *p = wdata >> (8 * b);
                }
            }
            if (p) {
                rd |= (uint64_t)*p << (8 * b);
                any = true;
            }
        }
        if (!we) {
            if (!any) {
                char m[128];
                snprintf(m, sizeof(m), "unchecked read of 0x%llx region %u",
                         (unsigned long long)daddr, region);
                err = m;
            }
            top->dmem_rvalid = 1;
            top->dmem_rdata = rd;
        }
    }
    top->eval();
}

RtlResult RtlEngine::run(RtlConfig &cfg)
{
    RtlResult res;
    cur = &cfg;
    err.clear();
    std::fill(imem.begin(), imem.end(), 0);
    for (size_t i = 0; i < cfg.prog.size() && i < imem.size(); i++)
        imem[i] = cfg.prog[i];
    // Stale bytes, as a device's stack RAM holds from earlier runs: the
    // engine must make every frame read as zero until written.
    for (size_t i = 0; i < stack.size(); i++)
        stack[i] = (uint8_t)(0xa5 ^ (i * 37) ^ runs);
    runs++;

    top->cfg_prog_len = cfg.prog.size();
    top->cfg_r1 = cfg.r1;
    top->cfg_r2 = cfg.r2;
    top->cfg_r3 = cfg.r3;
    top->cfg_r4 = cfg.r4;
    top->cfg_data_base = cfg.data.base;
    top->cfg_data_len = cfg.data.bytes.size();
    top->cfg_data_perm = (cfg.data.readable ? 1 : 0) | (cfg.data.writable ? 2 : 0);
    top->cfg_stack_base = cfg.stack_base;
    top->cfg_ctx_base = cfg.ctx_base;
    for (int i = 0; i < 16; i++)
        top->cfg_ctx[i] = cfg.ctx[4 * i] | cfg.ctx[4 * i + 1] << 8 |
                          cfg.ctx[4 * i + 2] << 16 | (uint32_t)cfg.ctx[4 * i + 3] << 24;
    top->abort_req = 0;
    top->cfg_budget = cfg.budget;
    top->cfg_test_helpers = cfg.test_helpers;

    uint64_t c0 = top->cnt_cycles, i0 = top->cnt_insns, s0 = top->cnt_stalls;
    top->start = 1;
    tick();
    top->start = 0;
    uint64_t n = 0;
    while (!top->done) {
        if (++n > cfg.max_cycles) {
            res.timeout = true;
            break;
        }
        if (cfg.abort_at && n == cfg.abort_at)
            top->abort_req = 1;
        tick();
    }
    res.fault = top->res_fault;
    res.r0 = top->res_r0;
    res.pc = top->res_pc;
    res.addr = top->res_addr;
    res.insns = top->res_insns;
    res.fsize = top->res_fsize;
    res.helper = top->res_helper;
    top->abort_req = 0;
    res.cycles = top->cnt_cycles - c0;
    res.retired = top->cnt_insns - i0;
    res.stalls = top->cnt_stalls - s0;
    res.error = err;
    cur = nullptr;
    return res;
}
