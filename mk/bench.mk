# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: Hermes against the host kernel's BPF_PROG_TEST_RUN.
#
# The corpus of the driver selftests is compiled here on the host (clang
# is slow to start in the VM under TCG), then tools/bench/bench.py runs
# in one VM boot and prints, per program and input size, the Hermes time
# per run (device-measured and end to end) beside the guest kernel's own
# test run, and offloaded against host-only load times.  Not a check
# suite: it prints figures and fails only when Hermes and the host
# disagree on a result.

BENCH_PROGS ?= csum histogram search parse xor walk
BENCH_SRC := $(CURDIR)/selftests/drivers/hermes/progs
BENCH_OUT := $(BUILD)/bench
# aggregates into an array map: Hermes with the map offloaded vs the host
BENCH_MAP_PROGS ?= hist_map
BENCH_OBJS := $(BENCH_PROGS:%=$(BENCH_OUT)/%.bpf.o) \
	      $(BENCH_MAP_PROGS:%=$(BENCH_OUT)/%.bpf.o)
BENCH_CLANG ?= clang
BENCH_VM_TIMEOUT ?= 1800

.PHONY: bench

$(BENCH_OUT)/%.bpf.o: $(BENCH_SRC)/%.bpf.c $(BENCH_SRC)/common.h | build-all
	@mkdir -p $(@D)
	$(BENCH_CLANG) -O2 -g --target=bpf -mcpu=v3 \
		-I$(BUILD)/headers/include -I$(BUILD)/tools/include \
		-c $< -o $@

bench: build-all $(BENCH_OBJS)
	@tools/vm/run --hermes $(HERMES_VM_DEVICES) \
		--timeout $(BENCH_VM_TIMEOUT) -- tools/bench/bench.py $(BENCH_OUT) $(BENCH_PROGS)

.PHONY: bench-batch
# The figure of issue 8: Hermes in the VM against the guest kernel's
# test run per record and the user-space fallback, 4 KiB records.
BENCH_BATCH_ARGS ?= --sizes 4096 --depths 1,4,32 --mib 16
HT_BENCH_CMD = modprobe hermes; for i in $$(seq 50); do [ -e /dev/hermes0 ] && break; sleep 0.1; done; exec $(HT_OUT)/hermes bench $(BENCH_BATCH_ARGS)
bench-batch: build-all
	@mkdir -p $(BUILD)/bench
	@set -o pipefail; tools/vm/run --hermes $(HERMES_VM_DEVICES) \
		--timeout $(BENCH_VM_TIMEOUT) -- sh -c '$(HT_BENCH_CMD)' | \
		tee $(BUILD)/bench/batch.txt
	@$(HT_OUT)/hermes bench --from $(BUILD)/bench/batch.txt \
		--plot $(BUILD)/bench/batch.png
