# Hermes eBPF engine: host builds of the shared engine
# (qemu/hw/misc/hermes-ebpf.[ch]), its conformance plugin, unit tests,
# fuzzer and benchmark.  Works included from the top-level Makefile or
# standalone: make -f mk/engine.mk check-engine-unit

BUILD ?= $(CURDIR)/build
SHARED ?= $(abspath $(CURDIR)/../shared)

ENGINE_DIR := $(CURDIR)/qemu/hw/misc
ENGINE_SRC := $(ENGINE_DIR)/hermes-ebpf.c
ENGINE_HDR := $(ENGINE_DIR)/hermes-ebpf.h $(ENGINE_DIR)/hermes-ebpf-jit.c.inc
ENGINE_TOOLS := $(CURDIR)/tools/engine
ENGINE_OUT := $(BUILD)/engine

ENGINE_CC ?= ccache gcc
ENGINE_CLANG ?= clang
ENGINE_CFLAGS ?= -std=gnu11 -O2 -g -Wall -Wextra -Werror
# the JIT's code dump (HERMES_EBPF_JIT_DUMP) exists in these tools only
ENGINE_DEFS := -DHERMES_EBPF_JIT_DEBUG
# Host test tools run under UBSan so that the engine stays free of
# undefined behaviour on every vector and test.
ENGINE_SAN ?= -fsanitize=undefined,address -fno-sanitize-recover=all
ENGINE_FUZZ_TIME ?= 60

CHECK_SUITES += engine-conformance engine-unit engine-fuzz

.PHONY: engine-tools check-engine check-engine-conformance check-engine-unit \
	check-engine-fuzz bench-engine

engine-tools: $(ENGINE_OUT)/conformance-plugin $(ENGINE_OUT)/engine-unit

check-engine: check-engine-conformance check-engine-unit check-engine-fuzz

$(ENGINE_OUT)/conformance-plugin: $(ENGINE_TOOLS)/conformance-plugin.c \
		$(ENGINE_SRC) $(ENGINE_HDR) $(ENGINE_TOOLS)/jit-wanted.h
	@mkdir -p $(@D)
	$(ENGINE_CC) $(ENGINE_CFLAGS) $(ENGINE_SAN) -I$(ENGINE_DIR) $(ENGINE_DEFS) \
		-o $@ $(ENGINE_TOOLS)/conformance-plugin.c $(ENGINE_SRC)

$(ENGINE_OUT)/engine-unit: $(ENGINE_TOOLS)/engine-unit.c \
		$(ENGINE_SRC) $(ENGINE_HDR) $(ENGINE_TOOLS)/jit-wanted.h
	@mkdir -p $(@D)
	$(ENGINE_CC) $(ENGINE_CFLAGS) $(ENGINE_SAN) -I$(ENGINE_DIR) $(ENGINE_DEFS) \
		-o $@ $(ENGINE_TOOLS)/engine-unit.c $(ENGINE_SRC) -lpthread

check-engine-conformance: $(ENGINE_OUT)/conformance-plugin
	@python3 $(ENGINE_TOOLS)/run-conformance $< $(SHARED)/conformance

# engine-unit prints its plan last: a crash before it is a plan failure.
check-engine-unit: $(ENGINE_OUT)/engine-unit
	@$<
# --- libFuzzer target (clang's libFuzzer, from libclang-rt-14-dev) ---
$(ENGINE_OUT)/engine-fuzz: $(ENGINE_TOOLS)/engine-fuzz.c \
		$(ENGINE_SRC) $(ENGINE_HDR) $(ENGINE_TOOLS)/jit-wanted.h
	@mkdir -p $(@D)
	$(ENGINE_CLANG) -std=gnu11 -O1 -g -Wall -Wextra -Werror \
		-fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -I$(ENGINE_DIR) $(ENGINE_DEFS) \
		-o $@ $(ENGINE_TOOLS)/engine-fuzz.c $(ENGINE_SRC)

check-engine-fuzz:
	@$(ENGINE_TOOLS)/run-fuzz $(ENGINE_OUT) $(SHARED)/conformance \
		$(ENGINE_FUZZ_TIME) "$(MAKE) -s -f $(CURDIR)/mk/engine.mk \
		BUILD=$(BUILD) $(ENGINE_OUT)/engine-fuzz"

# --- benchmark: engine vs host kernel (BPF_PROG_TEST_RUN) on the same objects
ENGINE_BENCH_PROGS := csum histogram search parse
ENGINE_BENCH_BINS := $(ENGINE_BENCH_PROGS:%=$(ENGINE_OUT)/bench/%.bin)
ENGINE_BPF_CFLAGS ?= -O2 -target bpf -mcpu=v3 -Wall -Werror

$(ENGINE_OUT)/bench/%.o: $(ENGINE_TOOLS)/bench/%.bpf.c \
		$(ENGINE_TOOLS)/bench/bench.h
	@mkdir -p $(@D)
	$(ENGINE_CLANG) $(ENGINE_BPF_CFLAGS) -c $< -o $@

# The programs use no maps or globals, so the raw xdp section is the program.
$(ENGINE_OUT)/bench/%.bin: $(ENGINE_OUT)/bench/%.o
	llvm-objcopy -O binary --only-section=xdp $< $@

$(ENGINE_OUT)/bench-engine: $(ENGINE_TOOLS)/bench/bench-engine.c \
		$(ENGINE_SRC) $(ENGINE_HDR)
	@mkdir -p $(@D)
	$(ENGINE_CC) $(ENGINE_CFLAGS) -I$(ENGINE_DIR) $(ENGINE_DEFS) -o $@ \
		$(ENGINE_TOOLS)/bench/bench-engine.c $(ENGINE_SRC)

bench-engine: $(ENGINE_OUT)/bench-engine $(ENGINE_BENCH_BINS)
	nice $(ENGINE_OUT)/bench-engine $(ENGINE_BENCH_BINS)
