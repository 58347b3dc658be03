// SPDX-License-Identifier: GPL-2.0
//
// AXI-Lite and AXI4 masters on hermes_cl's ports; see cl_axi.h.  Each
// handshake drives the inputs, evaluates, samples the ready/valid outputs
// and then clocks, so a transfer fires on the edge after it was seen.
#include "cl_axi.h"

#include <algorithm>

ClAxi::ClAxi(Vhermes_cl *top, uint64_t limit) : top_(top), limit_(limit)
{
}

void ClAxi::tick()
{
    top_->clk_main_a0 = 0;
    top_->eval();
    top_->clk_main_a0 = 1;
    top_->eval();
    irqs_ |= top_->cl_sh_apppf_irq_req;
    cycles_++;
}

void ClAxi::reset(unsigned cycles)
{
    top_->rst_main_n = 0;
    for (unsigned i = 0; i < cycles; i++)
        tick();
    top_->rst_main_n = 1;
    tick();
    irqs_ = 0;
}

template <typename F> void ClAxi::wait(const char *what, F done)
{
    for (uint64_t n = 0;; n++) {
        top_->eval();
        bool fire = done();
        tick();
        if (fire)
            return;
        if (n > limit_)
            throw ClAxiTimeout(what);
    }
}

unsigned ClAxi::lite_write(uint32_t addr, uint32_t data, unsigned strb)
{
    top_->sh_ocl_awaddr = addr;
    top_->sh_ocl_wdata = data;
    top_->sh_ocl_wstrb = strb;
    top_->sh_ocl_awvalid = 1;
    top_->sh_ocl_wvalid = 1;
    top_->sh_ocl_bready = 1;
    wait("OCL AW/W", [&] { return top_->ocl_sh_awready && top_->ocl_sh_wready; });
    top_->sh_ocl_awvalid = 0;
    top_->sh_ocl_wvalid = 0;
    unsigned resp = 0;
    wait("OCL B", [&] {
        resp = top_->ocl_sh_bresp;
        return top_->ocl_sh_bvalid;
    });
    top_->sh_ocl_bready = 0;
    return resp;
}

unsigned ClAxi::lite_read(uint32_t addr, uint32_t *data)
{
    top_->sh_ocl_araddr = addr;
    top_->sh_ocl_arvalid = 1;
    top_->sh_ocl_rready = 1;
    wait("OCL AR", [&] { return top_->ocl_sh_arready; });
    top_->sh_ocl_arvalid = 0;
    unsigned resp = 0;
    wait("OCL R", [&] {
        *data = top_->ocl_sh_rdata;
        resp = top_->ocl_sh_rresp;
        return top_->ocl_sh_rvalid;
    });
    top_->sh_ocl_rready = 0;
    return resp;
}

uint32_t ClAxi::lite_read(uint32_t addr)
{
    uint32_t d;
    lite_read(addr, &d);
    return d;
}

uint64_t ClAxi::read64(uint32_t addr)
{
    uint64_t lo = lite_read(addr);
    return lo | (uint64_t)lite_read(addr + 4) << 32;
}

// Beat b of a burst from @addr covers the 64-byte row (addr & ~63) + 64 * b;
// the bytes of [addr, addr + len) in it are lanes [lo, hi).
static void beat_lanes(uint64_t addr, size_t len, size_t b, unsigned *lo, unsigned *hi)
{
    uint64_t row = (addr & ~63ull) + 64 * b;
    *lo = row < addr ? (unsigned)(addr - row) : 0;
    *hi = row + 64 > addr + len ? (unsigned)(addr + len - row) : 64;
}

unsigned ClAxi::dma_write_burst(uint64_t addr, const uint8_t *p, size_t len, unsigned id)
{
    size_t beats = ((addr & 63) + len + 63) / 64;
    top_->sh_cl_dma_pcis_awaddr = addr;
    top_->sh_cl_dma_pcis_awlen = beats - 1;
    top_->sh_cl_dma_pcis_awsize = 6;
    top_->sh_cl_dma_pcis_awid = id;
    top_->sh_cl_dma_pcis_awvalid = 1;
    wait("DMA_PCIS AW", [&] { return top_->cl_sh_dma_pcis_awready; });
    top_->sh_cl_dma_pcis_awvalid = 0;
    for (size_t b = 0; b < beats; b++) {
        unsigned lo, hi;
        beat_lanes(addr, len, b, &lo, &hi);
        // Lane k of this beat is p[at + k]; only lanes [lo, hi) are in p.
        size_t at = 64 * b - (addr & 63);
        uint8_t row[64] = {};
        std::copy(p + (at + lo), p + (at + hi), row + lo);
        for (int w = 0; w < 16; w++)
            top_->sh_cl_dma_pcis_wdata[w] = row[4 * w] | row[4 * w + 1] << 8 |
                                            row[4 * w + 2] << 16 | (uint32_t)row[4 * w + 3] << 24;
        top_->sh_cl_dma_pcis_wstrb = (hi - lo == 64 ? ~0ull : ((1ull << (hi - lo)) - 1)) << lo;
        top_->sh_cl_dma_pcis_wlast = (b + 1 == beats);
        top_->sh_cl_dma_pcis_wvalid = 1;
        wait("DMA_PCIS W", [&] { return top_->cl_sh_dma_pcis_wready; });
    }
    top_->sh_cl_dma_pcis_wvalid = 0;
    top_->sh_cl_dma_pcis_wlast = 0;
    top_->sh_cl_dma_pcis_bready = 1;
    unsigned resp = 0;
    wait("DMA_PCIS B", [&] {
        resp = top_->cl_sh_dma_pcis_bresp;
        return top_->cl_sh_dma_pcis_bvalid;
    });
    top_->sh_cl_dma_pcis_bready = 0;
    return resp;
}

unsigned ClAxi::dma_read_burst(uint64_t addr, uint8_t *p, size_t len, unsigned id)
{
    size_t beats = ((addr & 63) + len + 63) / 64;
    top_->sh_cl_dma_pcis_araddr = addr;
    top_->sh_cl_dma_pcis_arlen = beats - 1;
    top_->sh_cl_dma_pcis_arsize = 6;
    top_->sh_cl_dma_pcis_arid = id;
    top_->sh_cl_dma_pcis_arvalid = 1;
    wait("DMA_PCIS AR", [&] { return top_->cl_sh_dma_pcis_arready; });
    top_->sh_cl_dma_pcis_arvalid = 0;
    top_->sh_cl_dma_pcis_rready = 1;
    unsigned worst = 0;
    for (size_t b = 0; b < beats; b++) {
        unsigned lo, hi;
        beat_lanes(addr, len, b, &lo, &hi);
        size_t at = 64 * b - (addr & 63);   // as in dma_write_burst
        wait("DMA_PCIS R", [&] {
            if (!top_->cl_sh_dma_pcis_rvalid)
                return false;
            for (unsigned k = lo; k < hi; k++)
                p[at + k] = top_->cl_sh_dma_pcis_rdata[k / 4] >> (8 * (k % 4));
            worst = std::max(worst, (unsigned)top_->cl_sh_dma_pcis_rresp);
            return true;
        });
    }
    top_->sh_cl_dma_pcis_rready = 0;
    return worst;
}

// AXI4 bursts must not cross a 4 KiB boundary.
unsigned ClAxi::dma_write(uint64_t addr, const uint8_t *p, size_t len, unsigned id)
{
    unsigned worst = 0;
    while (len) {
        size_t n = std::min<uint64_t>(len, 4096 - (addr & 4095));
        worst = std::max(worst, dma_write_burst(addr, p, n, id));
        addr += n;
        p += n;
        len -= n;
    }
    return worst;
}

unsigned ClAxi::dma_read(uint64_t addr, uint8_t *p, size_t len, unsigned id)
{
    unsigned worst = 0;
    while (len) {
        size_t n = std::min<uint64_t>(len, 4096 - (addr & 4095));
        worst = std::max(worst, dma_read_burst(addr, p, n, id));
        addr += n;
        p += n;
        len -= n;
    }
    return worst;
}

uint16_t ClAxi::take_irqs()
{
    uint16_t m = irqs_;
    irqs_ = 0;
    return m;
}

void ClAxi::ack_irqs(uint16_t bits)
{
    top_->sh_cl_apppf_irq_ack = bits;
    tick();
    top_->sh_cl_apppf_irq_ack = 0;
}
