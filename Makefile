# SPDX-License-Identifier: GPL-2.0-only
#
# Hermes: the single entry point.
#
#   make demo     build everything, boot the VM, offload a program, show it
#   make check    build everything and run the test suites CI runs
#                 (SUITES="NAME..." for a subset; see `make list-suites`)
#   make check-full   the same, then the suites too slow for CI: the
#                 debug kernel's (KASAN, lockdep, kmemleak; a second
#                 kernel build) and the series' per-patch kernel builds
#   make deps     install missing Debian packages (tools/build/packages.txt)
#   make kernel   the VM kernel, modules, libbpf and bpftool (build/linux)
#   make qemu     QEMU 7.2 with the Hermes device (build/qemu)
#   make vm CMD="..."   run one command in the VM
#
# Every output goes under build/ (ignored by git).  Component fragments in
# mk/*.mk add their targets and register test suites with CHECK_SUITES
# (or FULL_SUITES for those only make check-full runs).

SHELL := /bin/bash
BUILD := $(CURDIR)/build
SHARED ?= $(abspath $(CURDIR)/../shared)
export BUILD SHARED

CHECK_SUITES :=
FULL_SUITES :=

.PHONY: all deps kernel qemu kselftest build-all check check-full demo vm clean help list-suites \
	check-run-suites check-kselftest-vm check-kselftest-vm-f1
all: build-all

help:
	@sed -n '3,/^$$/p' Makefile | sed 's/^# \{0,1\}//'

deps:
	@tools/build/deps.sh

kernel: deps
	@tools/build/kernel.sh

qemu: deps
	@tools/build/qemu.sh

kselftest: kernel
	@. tools/build/lib.sh && \
		stage "kselftest: build test_progs" tools/testing/test-progs-build.sh && \
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
check-kselftest-vm: kernel qemu kselftest
	@tools/testing/kselftest-install.sh --check-modes
	@tools/vm/run --hermes $(HERMES_VM_DEVICES) --hermes-prop hermes1:stack-size=256 \
		--hermes-prop hermes1:f1=on --timeout 1800 \
		-- $(BUILD)/kselftest/run_kselftest.sh

# The same Hermes selftests (and the VM's hotplug test) on two AWS F1
# cards whose custom logic is rtl/, each co-simulated by its own
# hermes-f1-sim (mk/rtl.mk).  What the RTL reports it cannot do (no
# helpers, no batch or map commands: EHCAPISA, EHCAPCMDS) is skipped with
# that register in the reason, each skip listed in expected-skips; the
# rest passes with the host kernel's results, as on the model.  The
# netdevsim collections (net, bpf) test no Hermes device: kselftest-vm
# runs them.  Both cards are F1 so that remove.py and hotplug.sh unplug
# one.  A second VM puts an F1 card beside a model device for the tests
# that compare the backends (rtl_model.py: program by program, the same
# results and instruction counts; backends.py).  About 4 minutes.
F1_PAIR_TESTS := drivers/hermes:rtl_model.py drivers/hermes:backends.py
check-kselftest-vm-f1: kernel qemu kselftest hermes-f1-sim
	@tests=$$($(BUILD)/kselftest/run_kselftest.sh -l | \
		grep -E '^(drivers/hermes|vm):' | \
		grep -vxF $(foreach t,$(F1_PAIR_TESTS),-e $(t)) | sed 's/^/-t /'); \
	if [ -z "$$tests" ]; then \
		echo "not ok 1 - kselftest-vm-f1: no drivers/hermes or vm test installed"; \
		exit 1; fi; \
	rc=0; \
	tools/vm/run --hermes-f1 2 --timeout 1800 -- \
		$(BUILD)/kselftest/run_kselftest.sh $$tests || rc=1; \
	tools/vm/run --hermes-f1 1 --hermes 2 --timeout 900 -- \
		$(BUILD)/kselftest/run_kselftest.sh \
		$(addprefix -t ,$(F1_PAIR_TESTS)) || rc=1; \
	exit $$rc

-include $(sort $(wildcard mk/*.mk))

# The order of `make check`: the quick host suites first, in the order the
# fragments registered them; then patches, a host suite that applies
# the series patch by patch (W=1 and sparse on what each one touches);
# then the VM suites, the model's and the F1 cards'.  When CI's time
# limit stops the run, what is lost is the slowest feedback.
#
# CI runs `make check` on a fresh clone and has to stay under 45 minutes
# cold (README, "Figures", measured by tools/testing/cold-ci).  The debug
# kernel is a second kernel build of its own (KASAN and lockdep reach
# every object) and does not fit in that, so its suite is in `make
# check-full`, which runs every suite of `make check` and then the
# FULL_SUITES (with patches-bisect, the per-patch kernel builds).  Run it
# before sending a change to the driver or the core patches.
CHECK_SUITES += kselftest-vm kselftest-vm-f1
CHECK_SUITES_LAST := patches kselftest-vm kselftest-vm-f1
CHECK_SUITES := $(filter-out $(CHECK_SUITES_LAST),$(CHECK_SUITES)) \
	$(foreach s,$(CHECK_SUITES_LAST),$(filter $(s),$(CHECK_SUITES)))

# SUITES="a b" runs a subset, e.g. make check SUITES=kselftest-vm
SUITES ?= $(CHECK_SUITES)
check: build-all
	@tools/testing/run-suites $(SUITES)

check-full: build-all
	@tools/testing/run-suites $(CHECK_SUITES) $(FULL_SUITES)

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
	@echo "make check-full adds: $(FULL_SUITES)"

clean:
	rm -rf $(BUILD)/linux $(BUILD)/qemu $(BUILD)/kselftest $(BUILD)/vm \
		$(BUILD)/check $(BUILD)/tools $(BUILD)/mods
