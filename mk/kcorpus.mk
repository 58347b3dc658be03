# SPDX-License-Identifier: GPL-2.0-only
#
# The kernel's own XDP programs as a test corpus (issue 18): the objects
# compiled from build/linux-src by tools/testing/kcorpus/build.sh, and
# kcorpus-run, which loads one program on the host and on Hermes and
# compares their results.  selftests/drivers/hermes/kcorpus.py runs them
# in the VM (kselftest-vm); Documentation/hermes/kcorpus.rst.
#
#   make kcorpus      build both (part of kselftest)

KC_OUT := $(BUILD)/kcorpus
KC_RUN := $(BUILD)/tools/kcorpus/kcorpus-run
KC_SRC := $(CURDIR)/tools/testing/kcorpus

.PHONY: kcorpus
kcorpus: $(KC_OUT)/sources.tsv $(KC_RUN)
kselftest: kcorpus

# the corpus follows the kernel tree: rebuilt whenever make kernel ran
$(KC_OUT)/sources.tsv: $(KC_SRC)/build.sh $(BUILD)/tools/libbpf/libbpf.a
	@. tools/build/lib.sh && stage "kcorpus: compile" $(KC_SRC)/build.sh

# the loading and its reasons are `hermes explain`'s (tools/hermes)
$(KC_RUN): $(KC_SRC)/kcorpus-run.c $(CURDIR)/tools/hermes/offload-load.c \
		$(CURDIR)/tools/hermes/offload-load.h $(BUILD)/tools/libbpf/libbpf.a
	@mkdir -p $(@D)
	ccache gcc -std=gnu11 -O2 -g -Wall -Wextra -Werror \
		-I$(CURDIR)/tools/hermes -I$(BUILD)/tools/include \
		-I$(BUILD)/headers/include -o $@ $(filter %.c,$^) \
		$(BUILD)/tools/libbpf/libbpf.a -lelf -lz
