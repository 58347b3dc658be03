# SPDX-License-Identifier: GPL-2.0-only
#
# Hermes user-space tools: libhermes (tools/lib/hermes), the `hermes`
# command (tools/hermes) and the reference filter of the tests, built
# into build/tools/hermes against the kernel tree's libbpf (make kernel),
# the repo's uapi header and the device's engine (the user-space
# fallback links qemu/hw/misc/hermes-ebpf.c).
#
#   make hermes-tools         build them (part of build-all)
#   make libhermes            the library as mk/install.mk installs it:
#                             build/tools/hermes/lib/libhermes.so.0, .a
#   make check-hermes-tools   host suite: the fallback against filter-ref
#
# Installing them: mk/install.mk; `hermes bench` tables: mk/bench.mk.

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
HT_BPF_PROGS := pass filter loopy count_map ctxcall xor csum histogram search parse trim walk \
	reject_helper

HT_LIB_SRCS := $(HT_LIB)/libhermes.c $(HT_LIB)/fallback.c
HT_LIB_HDRS := $(HT_LIB)/libhermes.h $(HT_LIB)/libhermes_internal.h \
	$(CURDIR)/include/uapi/linux/hermes.h $(HT_ENGINE)/hermes-ebpf.h
HT_TOOLS := $(HT_OUT)/hermes $(HT_OUT)/filter-ref \
	$(HT_BPF_PROGS:%=$(HT_OUT)/progs/%.bpf.o)

# The library as it is installed (mk/install.mk): libhermes.so.0 and a
# libhermes.a, both from one relocatable object of libhermes, the engine
# and libbpf compiled -fPIC (libbpf's own PIC objects, from the
# libbpf.so build of `make kernel`; 6.12's libbpf has no compat symbol
# versions, which its -DSHARED would select) in which only the functions
# of libhermes.map stay global.  So neither library exports the engine's
# hermes_ebpf_* nor libbpf, and a program may link its own libbpf beside
# either.  The `hermes` command links the objects above as before.
HERMES_VERSION := 0.1.0
HT_SONAME := libhermes.so.$(firstword $(subst ., ,$(HERMES_VERSION)))
HT_PIC := $(HT_OUT)/pic
HT_LIBBPF_PIC := $(BUILD)/tools/libbpf/sharedobjs/libbpf-in.o
HT_SHLIB := $(HT_OUT)/lib/libhermes.so.$(HERMES_VERSION)
HT_STLIB := $(HT_OUT)/lib/libhermes.a
HT_MAP := $(HT_LIB)/libhermes.map

CHECK_SUITES += hermes-tools

.PHONY: hermes-tools libhermes check-hermes-tools
build-all: hermes-tools
hermes-tools: $(HT_TOOLS) libhermes
libhermes: $(HT_SHLIB) $(HT_STLIB)

# libbpf.a and the headers come from `make kernel` (build-all runs it first)
$(BUILD)/tools/libbpf/libbpf.a:
	$(MAKE) -s kernel

$(HT_OUT)/libhermes.a: $(HT_LIB_SRCS) $(HT_LIB_HDRS) $(HT_ENGINE)/hermes-ebpf.c \
		$(HT_ENGINE)/hermes-ebpf-jit.c.inc \
		| $(BUILD)/tools/libbpf/libbpf.a
	@mkdir -p $(HT_OUT)/obj
	$(HT_CC) $(HT_CFLAGS) $(HT_CPPFLAGS) -c $(HT_LIB)/libhermes.c -o $(HT_OUT)/obj/libhermes.o
	$(HT_CC) $(HT_CFLAGS) $(HT_CPPFLAGS) -c $(HT_LIB)/fallback.c -o $(HT_OUT)/obj/fallback.o
	$(HT_CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -I$(HT_ENGINE) \
		-c $(HT_ENGINE)/hermes-ebpf.c -o $(HT_OUT)/obj/hermes-ebpf.o
	rm -f $@
	ar rcs $@ $(HT_OUT)/obj/libhermes.o $(HT_OUT)/obj/fallback.o \
		$(HT_OUT)/obj/hermes-ebpf.o

$(HT_LIBBPF_PIC): | $(BUILD)/tools/libbpf/libbpf.a
	@test -f $@ || { echo "$@: missing; libbpf's PIC objects come" \
		"from its libbpf.so, built by make kernel" >&2; exit 1; }

$(HT_PIC)/%.o: $(HT_LIB)/%.c $(HT_LIB_HDRS) | $(BUILD)/tools/libbpf/libbpf.a
	@mkdir -p $(@D)
	$(HT_CC) $(HT_CFLAGS) -fPIC $(HT_CPPFLAGS) -c $< -o $@

$(HT_PIC)/hermes-ebpf.o: $(HT_ENGINE)/hermes-ebpf.c $(HT_ENGINE)/hermes-ebpf.h \
		$(HT_ENGINE)/hermes-ebpf-jit.c.inc
	@mkdir -p $(@D)
	$(HT_CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -fPIC -I$(HT_ENGINE) \
		-c $< -o $@

$(HT_PIC)/libhermes-in.o: $(HT_LIB_SRCS:$(HT_LIB)/%.c=$(HT_PIC)/%.o) \
		$(HT_PIC)/hermes-ebpf.o $(HT_LIBBPF_PIC) $(HT_MAP)
	sed -n 's/^[[:space:]]*\(hermes_[a-z0-9_]*\);.*/\1/p' $(HT_MAP) \
		> $(HT_PIC)/exports
	ld -r -o $@.all $(filter %.o,$^)
	objcopy --keep-global-symbols=$(HT_PIC)/exports $@.all $@

$(HT_SHLIB): $(HT_PIC)/libhermes-in.o $(HT_MAP)
	@mkdir -p $(@D)
	$(HT_CC) -shared -Wl,-soname,$(HT_SONAME) -Wl,--version-script=$(HT_MAP) \
		-Wl,--no-undefined -Wl,-z,relro,-z,now -o $@ $< \
		-luring -lelf -lz -pthread
	ln -sf $(@F) $(@D)/$(HT_SONAME)
	ln -sf $(HT_SONAME) $(@D)/libhermes.so

$(HT_STLIB): $(HT_PIC)/libhermes-in.o
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $<

HT_CLI_SRCS := $(addprefix $(HT_SRC)/,main.c bench.c advise.c explain.c \
	offload-load.c)
$(HT_OUT)/hermes: $(HT_CLI_SRCS) $(wildcard $(HT_SRC)/*.h) $(HT_OUT)/libhermes.a
	$(HT_CC) $(HT_CFLAGS) $(HT_CPPFLAGS) \
		-DHERMES_VERSION='"$(HERMES_VERSION)"' -o $@ $(HT_CLI_SRCS) \
		$(HT_OUT)/libhermes.a $(HT_LDLIBS) -lm

$(HT_OUT)/filter-ref: $(HT_SRC)/filter-ref.c $(wildcard $(HT_SRC)/*.h)
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
