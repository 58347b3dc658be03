# SPDX-License-Identifier: GPL-2.0-only
#
# Hermes: the single entry point.
#
#   make demo     build everything, boot the VM, offload a program, show it
#   make check    build everything and run every test suite
#                 (SUITES="NAME..." for a subset; see `make list-suites`)
#   make deps     install missing Debian packages (tools/build/packages.txt)
#   make kernel   the VM kernel, modules, libbpf and bpftool (build/linux)
#   make qemu     QEMU 7.2 with the Hermes device (build/qemu)
#   make vm CMD="..."   run one command in the VM
#
# Every output goes under build/ (ignored by git).  Component fragments in
# mk/*.mk add their targets and register test suites with CHECK_SUITES.

SHELL := /bin/bash
BUILD := $(CURDIR)/build
SHARED ?= $(abspath $(CURDIR)/../shared)
export BUILD SHARED

CHECK_SUITES :=

.PHONY: all deps kernel qemu kselftest build-all check demo vm clean help list-suites \
	check-run-suites check-kselftest-vm
all: build-all

help:
	@sed -n '3,15p' Makefile | sed 's/^# \{0,1\}//'

deps:
	@tools/build/deps.sh

kernel: deps
	@tools/build/kernel.sh

qemu: deps
	@tools/build/qemu.sh

kselftest: kernel
	@. tools/build/lib.sh && \
		stage "kselftest: install" tools/testing/kselftest-install.sh

build-all: kernel qemu kselftest

# The test harness's own test: tools/testing/run-suites and tap-count on
# made-up TAP logs and suites.
CHECK_SUITES += run-suites
check-run-suites:
	@tools/testing/test-run-suites

# The VM's kselftests: bpf_offload.py against netdevsim, then the repo's
# own selftests/ collections; first, on the host, a case that fails for
# a test program committed without its run bit.
HERMES_VM_DEVICES ?= 2
check-kselftest-vm:
	@tools/testing/kselftest-install.sh --check-modes
	@tools/vm/run --hermes $(HERMES_VM_DEVICES) --hermes-prop hermes1:stack-size=256 --timeout 1800 \
		-- $(BUILD)/kselftest/run_kselftest.sh

-include $(sort $(wildcard mk/*.mk))

# The order of `make check`: the quick host suites first, in the order the
# fragments registered them; then patches, a host suite that builds the
# kernel once per patch (minutes; it needs no VM, and the VM suites after
# it reuse nothing it builds); then the VM suites, the debug kernel (the
# longest build) last.  When CI's time limit stops the run, what is lost
# is the slowest feedback.
CHECK_SUITES += kselftest-vm
CHECK_SUITES_LAST := patches kselftest-vm kselftest-vm-debug
CHECK_SUITES := $(filter-out $(CHECK_SUITES_LAST),$(CHECK_SUITES)) \
	$(foreach s,$(CHECK_SUITES_LAST),$(filter $(s),$(CHECK_SUITES)))

# SUITES="a b" runs a subset, e.g. make check SUITES=kselftest-vm
SUITES ?= $(CHECK_SUITES)
check: build-all
	@tools/testing/run-suites $(SUITES)

DEMO_PROG := selftests/drivers/hermes/progs/xor.bpf.c
demo: build-all
	@mkdir -p $(BUILD)/demo
	@clang -O2 -g --target=bpf -mcpu=v3 -I$(BUILD)/headers/include \
		-I$(BUILD)/tools/include -c $(DEMO_PROG) -o $(BUILD)/demo/xor.bpf.o
	@tools/vm/run --hermes $(HERMES_VM_DEVICES) -- tools/demo.sh $(BUILD)/demo/xor.bpf.o

vm: build-all
	@tools/vm/run --hermes $(HERMES_VM_DEVICES) -- sh -c '$(CMD)'

list-suites:
	@echo $(CHECK_SUITES)

clean:
	rm -rf $(BUILD)/linux $(BUILD)/qemu $(BUILD)/kselftest $(BUILD)/vm \
		$(BUILD)/check $(BUILD)/tools $(BUILD)/mods
