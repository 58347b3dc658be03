// SPDX-License-Identifier: GPL-2.0
//
// bpf_conformance plugin running programs on the RTL engine:
//   rtl-conformance-plugin [MEM_HEX] [OPTIONS...] < PROGRAM_HEX
// prints r0 in hex and exits 0, or prints the fault on stderr and exits 1.
// With HERMES_RTL_STATS set, also prints cycles and instructions on stderr.
#include "engine_harness.h"
#include "verilated.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

static bool parse_hex_bytes(const std::string &s, std::vector<uint8_t> &out)
{
    std::istringstream in(s);
    std::string tok;
    while (in >> tok) {
        char *end;
        unsigned long v = strtoul(tok.c_str(), &end, 16);
        if (*end || tok.size() > 2 || v > 255)
            return false;
        out.push_back(v);
    }
    return true;
}

int main(int argc, char **argv)
{
    Verilated::commandArgs(1, argv);   // keep our arguments to ourselves
    std::string line, all;
    while (std::getline(std::cin, line))
        all += line + " ";
    std::vector<uint8_t> code, mem;
    if (!parse_hex_bytes(all, code) || code.empty() || code.size() % 8) {
        fprintf(stderr, "bad program: want whitespace-separated hex bytes, a multiple of 8\n");
        return 2;
    }
    // Options (anything starting with '-') are accepted and ignored.
    if (argc > 1 && argv[1][0] != '-' && !parse_hex_bytes(argv[1], mem)) {
        fprintf(stderr, "bad memory argument\n");
        return 2;
    }
    if (code.size() / 8 > RTL_IMEM_WORDS) {
        fprintf(stderr, "program too large for the engine's program RAM\n");
        return 2;
    }

    RtlConfig cfg;
    for (size_t i = 0; i < code.size(); i += 8) {
        uint64_t w = 0;
        for (int b = 7; b >= 0; b--)
            w = w << 8 | code[i + b];
        cfg.prog.push_back(w);
    }
    cfg.data.base = 0x100000000ull;    // DATA_BASE of the device
    cfg.data.bytes = mem;
    cfg.r1 = mem.empty() ? 0 : cfg.data.base;
    cfg.r2 = mem.size();
    cfg.test_helpers = true;

    RtlEngine eng;
    RtlResult r = eng.run(cfg);
    if (getenv("HERMES_RTL_STATS"))
        fprintf(stderr, "cycles %" PRIu64 " insns %" PRIu64 " stalls %" PRIu64 "\n",
                r.cycles, r.retired, r.stalls);
    if (!r.error.empty()) {
        fprintf(stderr, "harness: %s\n", r.error.c_str());
        return 3;
    }
    if (r.timeout) {
        fprintf(stderr, "engine did not finish\n");
        return 3;
    }
    if (r.fault) {
        fprintf(stderr, "fault: %s at pc %u addr 0x%" PRIx64 "\n",
                rtl_fault_name(r.fault), r.pc, r.addr);
        return 1;
    }
    printf("%" PRIx64 "\n", r.r0);
    return 0;
}
