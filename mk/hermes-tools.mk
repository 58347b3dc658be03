# SPDX-License-Identifier: GPL-2.0-only
#
# Hermes user-space tools: libhermes (tools/lib/hermes), the `hermes`
# command (tools/hermes) and the reference filter of the tests, built
# into build/tools/hermes against the kernel tree's libbpf (make kernel),
# the repo's uapi header and the device's engine (the user-space
# fallback links qemu/hw/misc/hermes-ebpf.c).
#
#   make hermes-tools         build them (part of build-all)
#   make check-hermes-tools   host suite: the fallback against filter-ref
#   make bench-batch          boot the VM, `hermes bench` on 4 KiB records
#                             (beside `make bench`; the table is kept in
#                             build/bench/batch.txt, the plot batch.png;
#                             BENCH_BATCH_ARGS="--sizes 64,512,4096" for
#                             the whole curve)

HT_OUT := $(BUILD)/tools/hermes
HT_LIB := $(CURDIR)/tools/lib/hermes
HT_SRC := $(CURDIR)/tools/hermes
HT_ENGINE := $(CURDIR)/qemu/hw/misc
HT_PROGS_SRC := $(CURDIR)/selftests/drivers/hermes/progs
HT_CC ?= ccache gcc
HT_CFLAGS ?= -std=gnu11 -O2 -g -Wall -Wextra -Werror
HT_CPPFLAGS := -I$(HT_LIB) -I$(HT_ENGINE) -I$(CURDIR)/include/uapi \
	-I$(BUILD)/tools/include -I$(BUILD)/headers/include
HT_LDLIBS := $(BUILD)/tools/libbpf/libbpf.a -luring -lelf -lz -pthread
HT_CLANG ?= clang
HT_BPF_PROGS := pass filter loopy count_map ctxcall xor csum histogram search parse trim walk

HT_LIB_SRCS := $(HT_LIB)/libhermes.c $(HT_LIB)/fallback.c
HT_LIB_HDRS := $(HT_LIB)/libhermes.h $(HT_LIB)/libhermes_internal.h \
	$(CURDIR)/include/uapi/linux/hermes.h $(HT_ENGINE)/hermes-ebpf.h
HT_TOOLS := $(HT_OUT)/hermes $(HT_OUT)/filter-ref \
	$(HT_BPF_PROGS:%=$(HT_OUT)/progs/%.bpf.o)

CHECK_SUITES += hermes-tools

.PHONY: hermes-tools check-hermes-tools bench-batch
build-all: hermes-tools
hermes-tools: $(HT_TOOLS)

# libbpf.a and the headers come from `make kernel` (build-all runs it first)
$(BUILD)/tools/libbpf/libbpf.a:
	$(MAKE) -s kernel

$(HT_OUT)/libhermes.a: $(HT_LIB_SRCS) $(HT_LIB_HDRS) $(HT_ENGINE)/hermes-ebpf.c \
		| $(BUILD)/tools/libbpf/libbpf.a
	@mkdir -p $(HT_OUT)/obj
	$(HT_CC) $(HT_CFLAGS) $(HT_CPPFLAGS) -c $(HT_LIB)/libhermes.c -o $(HT_OUT)/obj/libhermes.o
	$(HT_CC) $(HT_CFLAGS) $(HT_CPPFLAGS) -c $(HT_LIB)/fallback.c -o $(HT_OUT)/obj/fallback.o
	$(HT_CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -I$(HT_ENGINE) \
		-c $(HT_ENGINE)/hermes-ebpf.c -o $(HT_OUT)/obj/hermes-ebpf.o
	rm -f $@
	ar rcs $@ $(HT_OUT)/obj/libhermes.o $(HT_OUT)/obj/fallback.o \
		$(HT_OUT)/obj/hermes-ebpf.o

$(HT_OUT)/hermes: $(HT_SRC)/main.c $(HT_SRC)/bench.c $(HT_SRC)/hermes.h \
		$(HT_OUT)/libhermes.a
	$(HT_CC) $(HT_CFLAGS) $(HT_CPPFLAGS) -o $@ $(HT_SRC)/main.c \
		$(HT_SRC)/bench.c $(HT_OUT)/libhermes.a $(HT_LDLIBS) -lm

$(HT_OUT)/filter-ref: $(HT_SRC)/filter-ref.c
	@mkdir -p $(@D)
	$(HT_CC) $(HT_CFLAGS) -o $@ $<

$(HT_OUT)/progs/%.bpf.o: $(HT_PROGS_SRC)/%.bpf.c $(HT_PROGS_SRC)/common.h \
		| $(BUILD)/tools/libbpf/libbpf.a
	@mkdir -p $(@D)
	$(HT_CLANG) -O2 -g --target=bpf -mcpu=v3 -I$(BUILD)/headers/include \
		-I$(BUILD)/tools/include -c $< -o $@

check-hermes-tools: hermes-tools
	@HERMES=$(HT_OUT)/hermes FILTER_REF=$(HT_OUT)/filter-ref \
		PROGS=$(HT_OUT)/progs $(HT_SRC)/test-host.sh
