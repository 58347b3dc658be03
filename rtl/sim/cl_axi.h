// SPDX-License-Identifier: GPL-2.0
//
// The host side of hermes_cl's AXI ports for Verilator harnesses: an
// AXI-Lite master on OCL (BAR0) and an AXI4 master on DMA_PCIS (BAR4), one
// transaction at a time, as the shell presents them.  Shared by the
// differential test (cl_diff_main.cpp) and the co-simulator
// (f1_sim_main.cpp).
#ifndef CL_AXI_H
#define CL_AXI_H

#include "Vhermes_cl.h"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

// A handshake that did not complete within the cycle limit: the RTL hangs.
struct ClAxiTimeout : std::runtime_error {
    explicit ClAxiTimeout(const std::string &what)
        : std::runtime_error("AXI " + what + " timed out") {}
};

class ClAxi {
public:
    // AXI responses (BRESP/RRESP)
    enum { OKAY = 0, EXOKAY = 1, SLVERR = 2, DECERR = 3 };

    explicit ClAxi(Vhermes_cl *top, uint64_t limit = 200000);

    // One clk_main_a0 cycle.  Latches cl_sh_apppf_irq_req, a one-cycle
    // pulse, so a caller that looks between transactions misses none.
    void tick();
    // rst_main_n low for @cycles, then high for one cycle.
    void reset(unsigned cycles);

    // OCL AXI-Lite; the return value is BRESP/RRESP.
    unsigned lite_write(uint32_t addr, uint32_t data, unsigned strb = 0xf);
    unsigned lite_read(uint32_t addr, uint32_t *data);
    uint32_t lite_read(uint32_t addr);      // ignores RRESP
    uint64_t read64(uint32_t addr);         // two reads, low word first

    // DMA_PCIS AXI4 of @len bytes at any byte address: bursts of 64-byte
    // beats split at 4 KiB boundaries, WSTRB for partial beats.  Returns
    // the worst BRESP/RRESP of the bursts.
    unsigned dma_write(uint64_t addr, const uint8_t *p, size_t len, unsigned id = 3);
    unsigned dma_read(uint64_t addr, uint8_t *p, size_t len, unsigned id = 5);

    // The interrupt bits requested since the last call.
    uint16_t take_irqs();
    // sh_cl_apppf_irq_ack high for one cycle for @bits.
    void ack_irqs(uint16_t bits);

    uint64_t cycles() const { return cycles_; }
    Vhermes_cl *top() const { return top_; }

private:
    template <typename F> void wait(const char *what, F done);
    unsigned dma_write_burst(uint64_t addr, const uint8_t *p, size_t len, unsigned id);
    unsigned dma_read_burst(uint64_t addr, uint8_t *p, size_t len, unsigned id);

    Vhermes_cl *top_;
    uint64_t limit_;        // cycles any one handshake may take
    uint64_t cycles_ = 0;
    uint16_t irqs_ = 0;
};

#endif
