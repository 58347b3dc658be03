// SPDX-License-Identifier: GPL-2.0
//
// End-to-end differential test of the custom logic: random programs go
// into hermes_cl (Verilator) the way the driver sends them -- DMA of the
// program and of the whole data slot over DMA_PCIS, a RUN command over the
// OCL AXI-Lite port, DONE polled, response and result block read, the data
// slot read back over DMA -- and through hermes_ebpf_validate() and
// hermes_ebpf_run() with the device's ABI.  Status, fault kind, pc, r0,
// instruction count, fault address and size and all 4096 bytes of the
// data slot must agree.  Programs alternate between the two engines.
//
//   rtl-cl-diff SEED N [FIRST]   N programs, a TAP line per 50
#include "Vhermes_cl.h"
#include "cl_axi.h"
#include "progen.h"
#include "verilated.h"

extern "C" {
#include "hermes-ebpf.h"
}

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <stdexcept>

// Must match the hermes_cl parameters used in mk/rtl.mk (the defaults).
static const uint64_t PSOFF = 0, PSSZE = 4096, DSOFF = 16384, DSSZE = 4096;
static const uint64_t DATA_BASE = 0x100000000ull, CTX_BASE = 0x200000000ull;
static const uint64_t STACK_BASE = 0x300000000ull;
static const uint32_t BUDGET = 4000;
static const int LIMIT = 200000;       // cycles any single wait may take

static ClAxi *axi;

static uint32_t lite_read(uint32_t a)
{
    return axi->lite_read(a);
}

static void lite_write(uint32_t a, uint32_t d)
{
    axi->lite_write(a, d);
}

// A command on engine e; returns the response words.
static void command(int e, const uint32_t req[8], uint32_t resp[4])
{
    for (int i = 0; i < 8; i++)
        lite_write(0x1000 + 48 * e + 4 * i, req[i]);
    lite_write(0x2000 + 8 * e, 1);
    for (int n = 0; !(lite_read(0x2000 + 8 * e) & 0x100); n++)
        if (n > LIMIT)
            throw std::runtime_error("command timed out: DONE never set");
    for (int i = 0; i < 4; i++)
        resp[i] = lite_read(0x1020 + 48 * e + 4 * i);
}

static unsigned device_status(unsigned st)
{
    if (st == 0)
        return 0;
    if (st >= 1 && st <= 7)
        return 7;           // INVALID_PROGRAM
    if (st == 19)
        return 8;           // BUDGET_EXCEEDED
    if (st == 22)
        return 9;           // ABORTED
    return 5;               // EBPF_ERROR
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

    Vhermes_cl *top = new Vhermes_cl;
    axi = new ClAxi(top, LIMIT);
    axi->reset(8);
    for (int i = 0; i < 3; i++)
        axi->tick();

    HermesEbpfCaps caps;
    hermes_ebpf_caps_full(&caps);
    caps.helper_calls = false;               // EHCAPISA: no HELPERS
    caps.max_insns = lite_read(0x110);       // EHCAPMAXINSN

    int failed = 0;
    try {
        uint32_t req[8] = {}, resp[4];
        // One program and one data slot, as a driver would hold them.
        command(0, req, resp);
        unsigned ps = resp[2] & 0xff;
        req[2] = 1;
        command(0, req, resp);
        unsigned ds = resp[2] & 0xff;
        if ((resp[0] >> 16 & 0xff) != 0)
            throw std::runtime_error("slot allocation failed");

        Gen g(seed);
        const int block = 50;
        unsigned seen[256] = {};
        for (int b = 0; b < count; b += block) {
            int bad = 0;
            std::string first;
            for (int i = b; i < b + block && i < count; i++) {
                Case c = g.program("cl");
                if (c.prog.size() > caps.max_insns)
                    c.prog.resize(caps.max_insns);
                size_t dlen = c.data.size();
                std::vector<uint8_t> slot(DSSZE);
                for (size_t k = 0; k < DSSZE; k++)
                    slot[k] = k < dlen ? c.data[k] : (uint8_t)g.u64();
                int e = i & 1;

                // C reference with the device's ABI: the window covers the
                // first dlen bytes, the program may use the whole slot.
                std::vector<uint8_t> cslot = slot;
                uint8_t ctx[64] = {};
                uint64_t cw[5] = { DATA_BASE, DATA_BASE + dlen, DATA_BASE, DATA_BASE,
                                   DATA_BASE + DSSZE };
                for (int k = 0; k < 40; k++)
                    ctx[k] = cw[k / 8] >> (8 * (k % 8));
                HermesEbpfResult cr;
                memset(&cr, 0, sizeof(cr));
                uint32_t bad_pc = 0;
                HermesEbpfStatus vs = hermes_ebpf_validate(c.prog.data(), c.prog.size(),
                                                           &caps, &bad_pc, nullptr, 0);
                if (vs != HERMES_EBPF_OK) {
                    cr.status = vs;
                    cr.pc = bad_pc;
                } else {
                    HermesEbpfRegion regions[2] = {
                        { DATA_BASE, DSSZE, cslot.data(), HERMES_EBPF_MEM_RW },
                        { CTX_BASE, 64, ctx, HERMES_EBPF_MEM_READ },
                    };
                    HermesEbpfRunConfig rc;
                    memset(&rc, 0, sizeof(rc));
                    rc.args[0] = DATA_BASE;
                    rc.args[1] = dlen;
                    rc.args[2] = CTX_BASE;
                    rc.budget = BUDGET;
                    rc.stack_addr = STACK_BASE;
                    hermes_ebpf_run(c.prog.data(), c.prog.size(), regions, 2, &rc, &cr);
                }
                seen[cr.status & 0xff]++;

                // The device.
                std::vector<uint8_t> img((c.prog.size() * 8 + 63) / 64 * 64);
                for (size_t k = 0; k < c.prog.size(); k++)
                    for (int j = 0; j < 8; j++)
                        img[8 * k + j] = c.prog[k] >> (8 * j);
                axi->dma_write(PSOFF + ps * PSSZE, img.data(), img.size());
                axi->dma_write(DSOFF + ds * DSSZE, slot.data(), DSSZE);
                uint32_t rq[8] = { 0x80u | 0x100u | (uint32_t)(i & 0xffff) << 16, 0,
                                   ps | ds << 8, (uint32_t)c.prog.size() * 8,
                                   0, (uint32_t)dlen, 1, BUDGET };
                command(e, rq, resp);
                uint32_t blk = 0x3000 + 128 * e;
                unsigned st = resp[0] >> 16 & 0xff, kind = resp[0] >> 24;
                uint64_t r0 = axi->read64(blk + 0x00), insns = axi->read64(blk + 0x08);
                uint64_t faddr = axi->read64(blk + 0x18);
                uint32_t fpc = lite_read(blk + 0x20), rfault = lite_read(blk + 0x24);
                std::vector<uint8_t> back(DSSZE);
                axi->dma_read(DSOFF + ds * DSSZE, back.data(), DSSZE);

                char m[512] = "";
                int len = 0;
                auto diff = [&](const char *what, uint64_t cv, uint64_t dv) {
                    if (cv != dv && len < 400)
                        len += snprintf(m + len, sizeof(m) - len, "%s C 0x%" PRIx64
                                        " device 0x%" PRIx64 "; ", what, cv, dv);
                };
                diff("status", device_status(cr.status), st);
                diff("fault", cr.status, kind);
                diff("fpc", cr.status ? cr.pc : 0, resp[1]);
                if (vs == HERMES_EBPF_OK) {
                    diff("RES_R0", cr.r0, r0);
                    diff("RES_FPC", cr.pc, fpc);
                    diff("RES_INSNS", cr.insns, insns);
                    diff("RES_FADDR", cr.fault_addr, faddr);
                    diff("RES_FAULT size", cr.fault_size, rfault >> 8 & 0xff);
                    if (cr.status == 0)
                        diff("response r0", cr.r0, (uint64_t)resp[3] << 32 | resp[2]);
                    for (size_t k = 0; k < DSSZE; k++)
                        if (cslot[k] != back[k]) {
                            len += snprintf(m + len, sizeof(m) - len, "byte %zu C 0x%02x device 0x%02x; ",
                                            k, cslot[k], back[k]);
                            break;
                        }
                }
                if (len && !bad++)
                    first = std::string("program ") + std::to_string(i) + " on engine " +
                            std::to_string(e) + ": " + m;
            }
            int last = std::min(b + block, count) - 1;
            if (bad) {
                printf("not ok %d - cl programs %d-%d (seed %" PRIu64 "): %d differ: %s\n",
                       ++tap, b, last, seed, bad, first.c_str());
                failed++;
            } else {
                printf("ok %d - cl programs %d-%d (seed %" PRIu64 ") through AXI match the C engine\n",
                       ++tap, b, last, seed);
            }
            fflush(stdout);
        }
        printf("# outcomes:");
        for (unsigned k = 0; k < 256; k++)
            if (seen[k])
                printf(" %s %u;", hermes_ebpf_status_name((HermesEbpfStatus)k), seen[k]);
        printf("\n");
    } catch (const std::exception &ex) {
        printf("not ok %d - cl differential test: %s\n", ++tap, ex.what());
        failed++;
    }
    top->final();
    delete axi;
    delete top;
    return failed ? 1 : 0;
}
