# SPDX-License-Identifier: GPL-2.0-only
#
# Hermes QEMU device model (qemu/hw/misc/hermes.c): its qtests
# (qemu/tests/qtest/hermes-test.c), built in QEMU's own build tree after
# the `qemu` target and run against build/qemu/qemu-system-x86_64; the
# hermes-f1 cases start the simulator of mk/rtl.mk (HERMES_F1_SIM).
#
#   make check-qtest     build and run the qtests, TAP on standard output
#   make fuzz-qemu       QEMU's generic fuzzer on the device for FUZZ_SECONDS
#                        (300), outside CI: tools/build/qemu-fuzz.sh
#
# libqtest takes the QEMU binary from QTEST_QEMU_BINARY and the target
# from its name, so the firmware directory (-L) is passed by a wrapper
# with the same name.

QTEST_BIN := $(BUILD)/qemu/tests/qtest/hermes-test
QTEST_LOG := $(BUILD)/check/qtest-build.log
QTEST_SIM_LOG := $(BUILD)/check/qtest-sim-build.log
QTEST_QEMU := $(BUILD)/qtest/qemu-system-x86_64
QTEST_TIMEOUT ?= 900

CHECK_SUITES += qtest

.PHONY: check-qtest
check-qtest: qemu
	@mkdir -p $(BUILD)/check $(dir $(QTEST_QEMU))
	@ninja -C $(BUILD)/qemu -j2 tests/qtest/hermes-test > $(QTEST_LOG) 2>&1 || \
		{ grep -B2 -A12 -m3 error $(QTEST_LOG) >&2; \
		  echo "not ok 1 - build tests/qtest/hermes-test (log: $(QTEST_LOG))"; \
		  exit 1; }
	@$(MAKE) --no-print-directory -s hermes-f1-sim > $(QTEST_SIM_LOG) 2>&1 || \
		{ tail -20 $(QTEST_SIM_LOG) >&2; \
		  echo "not ok 1 - build hermes-f1-sim (log: $(QTEST_SIM_LOG))"; \
		  exit 1; }
	@printf '#!/bin/sh\nexec %s -L %s "$$@"\n' \
		$(BUILD)/qemu/qemu-system-x86_64 $(BUILD)/firmware > $(QTEST_QEMU)
	@chmod +x $(QTEST_QEMU)
	@QTEST_QEMU_BINARY=$(QTEST_QEMU) HERMES_F1_SIM=$(RTL_F1SIM_BIN) \
		timeout $(QTEST_TIMEOUT) $(QTEST_BIN) --tap

# QEMU's generic fuzzer on the device, outside CI (tools/build/qemu-fuzz.sh):
# QEMU built with clang, libFuzzer and ASan in build/qemu-fuzz, then
# qemu-fuzz-x86_64 --fuzz-target=generic-fuzz-hermes for FUZZ_SECONDS.
FUZZ_SECONDS ?= 300

.PHONY: fuzz-qemu fuzz-qemu-build
fuzz-qemu: qemu
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tools/build/qemu-fuzz.sh run

fuzz-qemu-build: qemu
	@tools/build/qemu-fuzz.sh build
