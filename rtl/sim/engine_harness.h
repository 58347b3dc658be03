// SPDX-License-Identifier: GPL-2.0
//
// Verilator harness around hermes_ebpf_core: program RAM and data memory
// modelled in C++ with the same timing as the device's block RAMs
// (registered read, one cycle), so the engine is the only thing under test.
#ifndef HERMES_ENGINE_HARNESS_H
#define HERMES_ENGINE_HARNESS_H

#include <cstdint>
#include <string>
#include <vector>

class Vhermes_ebpf_core;

struct RtlRegion {
    uint64_t base = 0;          // device address
    std::vector<uint8_t> bytes; // contents; size is the window length
    bool readable = true, writable = true;
};

struct RtlConfig {
    std::vector<uint64_t> prog;  // instruction slots
    uint64_t r1 = 0, r2 = 0, r3 = 0, r4 = 0;
    RtlRegion data;
    uint64_t ctx_base = 0x200000000ull;  // 64 read-only bytes
    uint8_t ctx[64] = {};
    uint64_t stack_base = 0x300000000ull;
    uint32_t budget = 1000000;
    bool test_helpers = false;
    uint64_t max_cycles = 50000000; // harness watchdog, far above any budget
    uint64_t abort_at = 0;          // raise abort_req at this cycle (0 never)
};

struct RtlResult {
    unsigned fault = 0;         // HermesEbpfStatus value
    unsigned fsize = 0;
    uint32_t helper = 0;
    uint64_t r0 = 0;
    uint32_t pc = 0;
    uint64_t addr = 0;
    uint32_t insns = 0;
    uint64_t cycles = 0, retired = 0, stalls = 0;  // counters' deltas
    bool timeout = false;
    std::string error;          // harness-detected protocol violation
};

enum { RTL_STACK_BYTES = 8 * 512, RTL_IMEM_WORDS = 4096 };

class RtlEngine {
public:
    RtlEngine();
    ~RtlEngine();
    // Runs one program; data and map windows are updated in place.
    RtlResult run(RtlConfig &cfg);
    std::vector<uint8_t> stack;   // last run's stack contents

private:
    void tick();
    Vhermes_ebpf_core *top;
    std::vector<uint64_t> imem;
    RtlConfig *cur = nullptr;
    bool rvalid_next = false;
    uint64_t rdata_next = 0;
    std::string err;
    unsigned runs = 0;
};

const char *rtl_fault_name(unsigned fault);

#endif
