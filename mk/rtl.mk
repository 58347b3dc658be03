# SPDX-License-Identifier: GPL-2.0
#
# RTL: the eBPF engine and the AWS F1 custom logic (rtl/), simulated with
# Verilator and Icarus Verilog, synthesised for figures with yosys.
#
#   make check-rtl-lint         Verilator -Wall lint and Icarus compile
#   make check-rtl-conformance  bpf_conformance vectors on the RTL engine
#   make check-rtl-diff         random and corpus programs, RTL vs C engine
#   make check-rtl-axi          custom logic driven through AXI like the driver
#   make bench-rtl              cycles/CPI per program, yosys cell counts
#   make hermes-f1-sim          the CL as a process for QEMU's hermes-f1

BUILD ?= $(CURDIR)/build
SHARED ?= $(abspath $(CURDIR)/../shared)
RTL_DIR ?= $(CURDIR)/rtl
RTL_OUT ?= $(BUILD)/rtl
RTL_VECTORS ?= $(SHARED)/conformance
VERILATOR ?= verilator
IVERILOG ?= iverilog
VVP ?= vvp
YOSYS ?= yosys
PYTHON3 ?= python3
# The machine is shared: build and simulate at low priority, one job.
RTL_NICE ?= nice -n 10
RTL_VFLAGS ?= --build-jobs 1 -CFLAGS -O1 -Wno-fatal
RTL_MAKE = $(MAKE) --no-print-directory -s -f $(firstword $(MAKEFILE_LIST))

RTL_ENGINE_SRCS := $(RTL_DIR)/hermes_ebpf_core.v $(RTL_DIR)/hermes_div.v
RTL_CL_SRCS := $(RTL_DIR)/hermes_cl.v $(RTL_DIR)/hermes_engine.v \
	$(RTL_DIR)/hermes_validate.v $(RTL_ENGINE_SRCS)
RTL_HARNESS := $(RTL_DIR)/sim/engine_harness.cpp $(RTL_DIR)/sim/engine_harness.h
RTL_CONF_BIN := $(RTL_OUT)/conf/rtl-conformance-plugin

CHECK_SUITES += rtl-lint rtl-conformance
.PHONY: check-rtl-lint check-rtl-conformance bench-rtl

$(RTL_CONF_BIN): $(RTL_ENGINE_SRCS) $(RTL_HARNESS) $(RTL_DIR)/sim/conformance_plugin.cpp
	@mkdir -p $(@D)
	$(RTL_NICE) $(VERILATOR) --cc --exe --build $(RTL_VFLAGS) \
		--top-module hermes_ebpf_core -Mdir $(@D) -o $(@F) \
		$(RTL_ENGINE_SRCS) $(RTL_DIR)/sim/engine_harness.cpp \
		$(RTL_DIR)/sim/conformance_plugin.cpp

# A missing simulator is a SKIP (a failure unless tools/testing/expected-skips
# lists it), a build failure a "not ok": never silent.
check-rtl-conformance:
	@mkdir -p $(RTL_OUT)
	@if ! command -v $(VERILATOR) >/dev/null; then \
		echo "1..0 # SKIP verilator not installed"; exit 0; fi; \
	if ! $(RTL_MAKE) $(RTL_CONF_BIN) >$(RTL_OUT)/conf-build.log 2>&1; then \
		echo "1..1"; \
		echo "not ok 1 - rtl-conformance: Verilator build failed ($(RTL_OUT)/conf-build.log)"; \
		exit 1; fi; \
	$(PYTHON3) $(RTL_DIR)/sim/run-conformance.py $(RTL_CONF_BIN) $(RTL_VECTORS)

check-rtl-lint:
	@mkdir -p $(RTL_OUT)
	@n=0; echo "1..4"; \
	lint() { n=$$((n + 1)); what=$$1; shift; \
		if ! command -v $$1 >/dev/null; then \
			echo "ok $$n - $$what # SKIP $$1 not installed"; \
		elif "$$@" >$(RTL_OUT)/lint-$$n.log 2>&1; then echo "ok $$n - $$what"; \
		else echo "not ok $$n - $$what ($(RTL_OUT)/lint-$$n.log)"; \
			sed 's/^/# /' $(RTL_OUT)/lint-$$n.log | head -20; fi; }; \
	lint "verilator -Wall lint: engine" $(VERILATOR) --lint-only -Wall \
		--top-module hermes_ebpf_core $(RTL_ENGINE_SRCS); \
	lint "icarus -g2005 compiles: engine" $(IVERILOG) -g2005 -Wall -Wno-timescale \
		-o $(RTL_OUT)/engine.vvp -s hermes_ebpf_core $(RTL_ENGINE_SRCS); \
	lint "verilator -Wall lint: custom logic top" $(VERILATOR) --lint-only -Wall \
		--top-module hermes_cl $(RTL_CL_SRCS); \
	lint "icarus -g2005 compiles: custom logic top" $(IVERILOG) -g2005 -Wall \
		-Wno-timescale -o $(RTL_OUT)/cl.vvp -s hermes_cl $(RTL_CL_SRCS)


# Differential test against the C reference engine, linked in as an object.
RTL_CENGINE_DIR ?= $(CURDIR)/qemu/hw/misc
RTL_DIFF_BIN := $(RTL_OUT)/diff/rtl-diff
RTL_DIFF_SEED ?= 20261121
RTL_DIFF_COUNT ?= 3000

$(RTL_OUT)/hermes-ebpf.o: $(RTL_CENGINE_DIR)/hermes-ebpf.c $(RTL_CENGINE_DIR)/hermes-ebpf.h \
		$(RTL_CENGINE_DIR)/hermes-ebpf-jit.c.inc
	@mkdir -p $(@D)
	$(RTL_NICE) $(CC) -std=gnu11 -O2 -c -I$(RTL_CENGINE_DIR) -o $@ $<

$(RTL_DIFF_BIN): $(RTL_ENGINE_SRCS) $(RTL_HARNESS) $(RTL_DIR)/sim/diff_main.cpp \
		$(RTL_DIR)/sim/progen.h $(RTL_OUT)/hermes-ebpf.o
	@mkdir -p $(@D)
	$(RTL_NICE) $(VERILATOR) --cc --exe --build $(RTL_VFLAGS) \
		--top-module hermes_ebpf_core -Mdir $(@D) -o $(@F) \
		-CFLAGS -I$(RTL_CENGINE_DIR) -LDFLAGS $(RTL_OUT)/hermes-ebpf.o \
		$(RTL_ENGINE_SRCS) $(RTL_DIR)/sim/engine_harness.cpp \
		$(RTL_DIR)/sim/diff_main.cpp

# The hardware validator against hermes_ebpf_validate().
RTL_VDIFF_BIN := $(RTL_OUT)/vdiff/rtl-validate-diff
RTL_VDIFF_COUNT ?= 10000
# programs per TAP line, as in validate_main.cpp
RTL_VDIFF_BLOCK := 500
$(RTL_VDIFF_BIN): $(RTL_DIR)/hermes_validate.v $(RTL_DIR)/sim/validate_main.cpp \
		$(RTL_DIR)/sim/progen.h $(RTL_OUT)/hermes-ebpf.o
	@mkdir -p $(@D)
	$(RTL_NICE) $(VERILATOR) --cc --exe --build $(RTL_VFLAGS) \
		--top-module hermes_validate -Mdir $(@D) -o $(@F) \
		-CFLAGS -I$(RTL_CENGINE_DIR) -LDFLAGS $(RTL_OUT)/hermes-ebpf.o \
		$(RTL_DIR)/hermes_validate.v $(RTL_DIR)/sim/validate_main.cpp

# The whole custom logic, through its AXI ports, against the C engine.
RTL_CLDIFF_BIN := $(RTL_OUT)/cldiff/rtl-cl-diff
RTL_CLDIFF_COUNT ?= 400
# programs per TAP line, as in cl_diff_main.cpp
RTL_CLDIFF_BLOCK := 50
RTL_CL_AXI := $(RTL_DIR)/sim/cl_axi.cpp $(RTL_DIR)/sim/cl_axi.h
$(RTL_CLDIFF_BIN): $(RTL_CL_SRCS) $(RTL_CL_AXI) $(RTL_DIR)/sim/cl_diff_main.cpp \
		$(RTL_DIR)/sim/progen.h $(RTL_OUT)/hermes-ebpf.o
	@mkdir -p $(@D)
	$(RTL_NICE) $(VERILATOR) --cc --exe --build $(RTL_VFLAGS) \
		--top-module hermes_cl -Mdir $(@D) -o $(@F) \
		-CFLAGS -I$(RTL_CENGINE_DIR) -LDFLAGS $(RTL_OUT)/hermes-ebpf.o \
		$(RTL_CL_SRCS) $(RTL_DIR)/sim/cl_axi.cpp $(RTL_DIR)/sim/cl_diff_main.cpp

# The custom logic as a process for co-simulation with QEMU's hermes-f1
# device (qemu/hw/misc/hermes-cosim-proto.h): hermes-f1-sim --socket PATH.
# Four engines so that commands on different engines overlap.  Optimised
# (verilated.mk compiles with -Os otherwise): its speed is the device's.
RTL_F1SIM_BIN := $(RTL_OUT)/f1sim/hermes-f1-sim
RTL_F1SIM_VFLAGS ?= --build-jobs 1 -CFLAGS -O2 -Wno-fatal \
	-MAKEFLAGS OPT_FAST=-O2 -MAKEFLAGS OPT_GLOBAL=-O2
RTL_F1SIM_PARAMS ?= -GNENG=4
$(RTL_F1SIM_BIN): $(RTL_CL_SRCS) $(RTL_CL_AXI) $(RTL_DIR)/sim/f1_sim_main.cpp \
		$(RTL_CENGINE_DIR)/hermes-cosim-proto.h
	@mkdir -p $(@D)
	$(RTL_NICE) $(VERILATOR) --cc --exe --build $(RTL_F1SIM_VFLAGS) \
		--top-module hermes_cl $(RTL_F1SIM_PARAMS) -Mdir $(@D) -o $(@F) \
		-CFLAGS -I$(RTL_CENGINE_DIR) \
		$(RTL_CL_SRCS) $(RTL_DIR)/sim/cl_axi.cpp $(RTL_DIR)/sim/f1_sim_main.cpp

.PHONY: hermes-f1-sim
hermes-f1-sim: $(RTL_F1SIM_BIN)

# Five TAP documents: rtl-diff prints its plans itself, the validator and
# custom logic runs print a line per block of programs, and the smoke test
# of hermes-f1-sim (the co-simulator, driven as QEMU's device would) its own.
CHECK_SUITES += rtl-diff
.PHONY: check-rtl-diff
check-rtl-diff:
	@mkdir -p $(RTL_OUT)
	@if ! command -v $(VERILATOR) >/dev/null; then \
		echo "1..0 # SKIP verilator not installed"; exit 0; fi; \
	if ! $(RTL_MAKE) $(RTL_DIFF_BIN) >$(RTL_OUT)/diff-build.log 2>&1; then \
		echo "1..1"; echo "not ok 1 - rtl-diff: build failed ($(RTL_OUT)/diff-build.log)"; \
		exit 1; fi; \
	rc=0; \
	$(RTL_NICE) $(RTL_DIFF_BIN) corpus $(RTL_VECTORS) || rc=1; \
	$(RTL_NICE) $(RTL_DIFF_BIN) random $(RTL_DIFF_SEED) $(RTL_DIFF_COUNT) 1000 || rc=1; \
	echo "1..$$((($(RTL_VDIFF_COUNT) + $(RTL_VDIFF_BLOCK) - 1) / $(RTL_VDIFF_BLOCK)))"; \
	if ! $(RTL_MAKE) $(RTL_VDIFF_BIN) >$(RTL_OUT)/vdiff-build.log 2>&1; then \
		echo "not ok 2000 - rtl-diff: validator build failed ($(RTL_OUT)/vdiff-build.log)"; \
		exit 1; fi; \
	$(RTL_NICE) $(RTL_VDIFF_BIN) $(RTL_DIFF_SEED) $(RTL_VDIFF_COUNT) 2000 || rc=1; \
	echo "1..$$((($(RTL_CLDIFF_COUNT) + $(RTL_CLDIFF_BLOCK) - 1) / $(RTL_CLDIFF_BLOCK)))"; \
	if ! $(RTL_MAKE) $(RTL_CLDIFF_BIN) >$(RTL_OUT)/cldiff-build.log 2>&1; then \
		echo "not ok 3000 - rtl-diff: custom logic build failed ($(RTL_OUT)/cldiff-build.log)"; \
		exit 1; fi; \
	$(RTL_NICE) $(RTL_CLDIFF_BIN) $(RTL_DIFF_SEED) $(RTL_CLDIFF_COUNT) 3000 || rc=1; \
	if ! $(RTL_MAKE) $(RTL_F1SIM_BIN) >$(RTL_OUT)/f1sim-build.log 2>&1; then \
		echo "1..1"; \
		echo "not ok 4000 - rtl-diff: hermes-f1-sim build failed ($(RTL_OUT)/f1sim-build.log)"; \
		exit 1; fi; \
	$(RTL_NICE) $(PYTHON3) $(RTL_DIR)/sim/f1_sim_smoke.py $(RTL_F1SIM_BIN) 4000 || rc=1; \
	exit $$rc

# The custom logic driven through its AXI ports like the driver would.
CHECK_SUITES += rtl-axi
.PHONY: check-rtl-axi
check-rtl-axi:
	@mkdir -p $(RTL_OUT)
	@if ! command -v $(IVERILOG) >/dev/null; then \
		echo "1..0 # SKIP iverilog not installed"; exit 0; fi; \
	if ! $(IVERILOG) -g2005 -Wall -Wno-timescale -o $(RTL_OUT)/axi_tb.vvp \
		-s hermes_cl_tb $(RTL_DIR)/tb/hermes_cl_tb.v $(RTL_CL_SRCS) \
		>$(RTL_OUT)/axi-build.log 2>&1; then \
		echo "not ok 1 - rtl-axi: Icarus build failed ($(RTL_OUT)/axi-build.log)"; \
		exit 1; fi; \
	$(RTL_NICE) $(VVP) -n $(RTL_OUT)/axi_tb.vvp >$(RTL_OUT)/axi.log 2>&1; \
	grep -E '^(not )?ok|^1\.\.' $(RTL_OUT)/axi.log; \
	if ! grep -q '^1\.\.' $(RTL_OUT)/axi.log; then \
		echo "not ok 99 - rtl-axi: testbench did not finish ($(RTL_OUT)/axi.log)"; exit 1; fi

# Figures: cycles per program on the RTL, and yosys cell counts.
# bench-rtl also writes the corpus programs' cycles, the table `hermes
# advise` reads its cycles per instruction from when no F1 card is
# present (tools/hermes/advise.c); the VM suite makes it for its advise
# case.  The simulation is exact: the same RTL gives the same table.
RTL_CPI := $(BUILD)/figures/rtl-cpi.txt
.PHONY: rtl-cpi
rtl-cpi: $(RTL_CPI)
$(RTL_CPI): $(RTL_DIFF_BIN)
	@mkdir -p $(@D)
	@{ echo "# RTL engine (rtl/): cycles and instructions of the rtl-diff corpus programs"; \
	  echo "# date: $$(date -u '+%Y-%m-%d %H:%M UTC')"; \
	  echo "# command: make rtl-cpi (or bench-rtl): $(RTL_DIFF_BIN) bench"; \
	  echo "# read by hermes advise: CPI = cycles / insns of the programs ending ok, clock 250 MHz"; \
	  $(RTL_DIFF_BIN) bench; } > $@.tmp && mv $@.tmp $@
check-kselftest-vm: $(RTL_CPI)

RTL_YOSYS_FAMILY ?= xcup
bench-rtl: $(RTL_CONF_BIN) $(RTL_DIFF_BIN) $(RTL_CPI)
	@echo "== RTL engine: cycles and instructions per conformance program"
	@$(PYTHON3) $(RTL_DIR)/sim/run-conformance.py $(RTL_CONF_BIN) $(RTL_VECTORS) --bench
	@echo "== RTL engine: corpus programs (also in $(RTL_CPI))"
	@$(RTL_DIFF_BIN) bench
	@echo "== yosys $(RTL_YOSYS_FAMILY) synthesis (synth_xilinx), target clock 250 MHz (clk_main_a0)"
	@RTL_DIR=$(RTL_DIR) RTL_OUT=$(RTL_OUT) YOSYS=$(YOSYS) RTL_NICE="$(RTL_NICE)" \
		FAMILY=$(RTL_YOSYS_FAMILY) $(RTL_DIR)/synth/synth.sh
