# SPDX-License-Identifier: GPL-2.0-only
#
# Benchmarks; they print figures, and fail only when two paths disagree
# on a result.
#
# make bench: Hermes against the guest kernel's BPF_PROG_TEST_RUN, in the
# VM.  The corpus of the driver selftests is compiled here on the host
# (clang is slow to start in the VM under TCG), then tools/bench/bench.py
# runs in one VM boot and prints, per program and input size, the Hermes
# time per run (device-measured and end to end) beside the guest kernel's
# own test run, and offloaded against host-only load times.
#
# make bench-batch: `hermes bench` on record streams (below).

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

# make bench-driver-ab REV=<git revision>: make bench for the driver of
# REV (built out of tree) and then the working tree's, in one VM boot
# (tools/bench/driver-ab), for a change to the driver's data path.
.PHONY: bench-driver-ab
bench-driver-ab: build-all $(BENCH_OBJS)
	@test -n "$(REV)" || { echo "bench-driver-ab: set REV=<git revision>" >&2; exit 2; }
	@BENCH_VM_TIMEOUT=$(BENCH_VM_TIMEOUT) tools/bench/driver-ab $(REV) $(BENCH_PROGS)

# make bench-batch: the same programs over the same records on the same
# footing, in one run: natively on this machine first (plain C, the
# kernel's JIT per record, the user-space fallback), then the Hermes
# device in the VM, then one table of both with every output checked
# against plain C after the clock (tools/bench/batch).  Tables in
# build/bench/batch-DATE/, the latest also in build/bench/batch.txt and
# batch.png.  BENCH_BATCH_ARGS="--sizes 64,512,1500,3520" for the whole curve
# (3520: the most the kernel's XDP test run takes linear on x86-64).
BENCH_BATCH_ARGS ?= --sizes 1500 --depths 1,4,32 --mib 16 --runs 5

.PHONY: bench-batch check-bench
bench-batch: build-all
	@HERMES_VM_DEVICES=$(HERMES_VM_DEVICES) BENCH_VM_TIMEOUT=$(BENCH_VM_TIMEOUT) \
		tools/bench/batch $(BENCH_BATCH_ARGS)

# host suite: hermes bench checks what it times, and its checks can fail
CHECK_SUITES += bench
check-bench: hermes-tools
	@HERMES=$(BUILD)/tools/hermes/hermes PROGS=$(BUILD)/tools/hermes/progs \
		tools/bench/check-bench
