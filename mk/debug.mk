# SPDX-License-Identifier: GPL-2.0-only
#
# The debug kernel: hermes.config plus kernel/configs/debug.config (KASAN,
# lockdep, kmemleak, debug objects), built from the same patched tree.
#
#   make kernel-debug   build/linux-debug, its modules in build/mods-debug
#   make check-kselftest-vm-debug
#                       the Hermes kselftests on the debug kernel
#
# One VM boot, three phases:
#
#  1. the core series' test_progs test (bpf:test_progs.sh: netdevsim
#     devices removed during a run), then the driver tests that do not
#     hot-unplug (drivers/hermes offload.py,
#     maps.py, cdev.py and lifetimes.py when the kselftest list has them:
#     cdev.py pins user pages, maps them for DMA and unbinds with batches
#     in flight; lifetimes.py removes a netdevsim device, uses device maps
#     and unbinds a device while long runs are in flight);
#  2. rmmod hermes, then kmemleak scans: what the driver allocated and
#     did not free shows up as a leak once the module is gone;
#  3. the hot-unplug tests, vm/hotplug.sh then drivers/hermes remove.py
#     (with hermes bound, so the first unplug also checks the driver's
#     remove path under lockdep), rmmod hermes and kmemleak scans again.
#
# net:bpf_offload.py is left out here: the normal kselftest-vm suite
# already runs it, and on this kernel it took three quarters of the run
# (26 of 34 min); test_progs covers the core's run lifetimes (what KASAN
# and lockdep have to see of the core series) in seconds.
#
# Why hot-unplug comes last: stock 6.12 pciehp takes &ctrl->reset_lock
# under pci_rescan_remove_lock in pciehp_unconfigure_device when a slot is
# emptied, while the IRQ thread ordered them the other way round, and
# lockdep reports it as a possible circular locking dependency on the
# first PCIe hot-unplug, driver or not.  Lockdep turns itself off after
# its first report, so an unplug early would blind it for everything
# after.  Hence the verdicts: "no lockdep report" covers phases 1 and 2
# strictly (no report, lockdep still on when phase 3 starts); in phase 3
# the one report accepted is exactly that one (a circular dependency
# naming pci_rescan_remove_lock, &ctrl->reset_lock and
# pciehp_unconfigure_device, no hermes_ frame), printed as TAP comments;
# any other lockdep report fails.  Three devices, so that remove.py still
# has two after hotplug.sh took one; hermes1 has 256 bytes of stack, as in
# kselftest-vm.  KASAN and kmemleak verdicts cover all phases.
#
# kmemleak does not scan by itself (DEBUG_KMEMLEAK_AUTO_SCAN=n): before the
# tests the guest scans twice and clears, so that what boot left behind is
# not blamed on them; after phases 2 and 3 it unloads hermes and scans
# twice (an object is reported once it is unreferenced, unchanged since
# the previous scan and older than 5 s).  tools/vm/run fails the run on an
# oops or a WARNING on the console, so its status 125 is accepted only
# when the command completed and the accepted pciehp report is the only
# such line.  KASAN and lockdep are matched by name on the console so that
# their case shows the report, and each case first checks that its
# checker ran.

DEBUG_KOUT := $(BUILD)/linux-debug
DEBUG_MODS := $(BUILD)/mods-debug
DEBUG_VM_TIMEOUT ?= 3600
DEBUG_VM_DEVICES := 3
DEBUG_OUT := $(BUILD)/check/kselftest-vm-debug
KMEMLEAK := /sys/kernel/debug/kmemleak
DEBUG_KSFT := $(BUILD)/kselftest/run_kselftest.sh
DEBUG_MARK := hermes-debug: hot-unplug phase starts

# One line of sh for the guest (tools/vm/run quotes it with printf %q).
# The console shows only warnings and errors: the guest reads its own log
# for KASAN's start-up line, which is info, and marks the start of phase 3
# on the console at warning level.
DEBUG_VM_CMD := k=$(KMEMLEAK); rc=0; \
	dmesg | grep -q "KernelAddressSanitizer initialized" && echo "kasan-initialized"; \
	{ echo scan > $$k && echo scan > $$k && echo clear > $$k; } || \
		echo "kmemleak: cannot forget the boot-time objects"; \
	unload_scan() { \
		for m in hermes netdevsim; do \
			grep -q "^$$m " /proc/modules && rmmod $$m; done; \
		sleep 6; \
		echo scan > $$k && echo scan > $$k && echo "kmemleak-scanned"; \
		sed "s/^/kmemleak-report: /" $$k; }; \
	locks() { sed -n "s/^ *debug_locks: *\([0-9]*\)/lockdep-debug-locks-$$1: \1/p" \
		/proc/lockdep_stats; }; \
	t=; for x in bpf:test_progs.sh drivers/hermes:offload.py drivers/hermes:maps.py \
		drivers/hermes:cdev.py drivers/hermes:lifetimes.py; do \
		$(DEBUG_KSFT) -l | grep -qx "$$x" && t="$$t -t $$x"; done; \
	[ -n "$$t" ] || t="-t drivers/hermes:offload.py"; \
	$(DEBUG_KSFT) $$t || rc=1; \
	unload_scan; locks unplug; \
	echo "<4>$(DEBUG_MARK)" > /dev/kmsg; \
	modprobe hermes; \
	$(DEBUG_KSFT) -t vm:hotplug.sh || rc=1; \
	$(DEBUG_KSFT) -t drivers/hermes:remove.py || rc=1; \
	unload_scan; locks end; \
	echo "debug-run-rc: $$rc"; exit $$rc

# Lockdep's own report headers, and what it prints when it gives up.
DEBUG_LOCKDEP_RE := WARNING: (possible (circular|recursive|irq lock)|inconsistent lock state|\
suspicious RCU usage|lock held when returning|held lock freed|chain_key collision|\
bad unlock balance|bad contention|Nested lock was not taken)|\
BUG: (sleeping function called|scheduling while atomic|scheduling in a non-blocking|\
assuming (atomic|non migratable)|MAX_LOCK|MAX_STACK_TRACE|looking up invalid subclass|\
key [0-9a-f]* has not been registered|spinlock |rwlock )|\
INFO: trying to register non-static key|DEBUG_LOCKS_WARN_ON|\
turning off the locking correctness validator
# What tools/vm/run calls a kernel problem on the console.
DEBUG_VM_BAD_RE := Oops|BUG:|Kernel panic|general protection fault|WARNING:|KASAN|UBSAN
DEBUG_PCIEHP_HEAD := WARNING: possible circular locking dependency detected

# make check-full builds the debug kernel and runs this after the suites
# of make check (it does not fit in CI's time: see the Makefile); alone:
# make check SUITES=kselftest-vm-debug.
FULL_SUITES += kselftest-vm-debug

.PHONY: kernel-debug check-kselftest-vm-debug
kernel-debug: deps
	@VARIANT=debug tools/build/kernel.sh

check-kselftest-vm-debug: kernel-debug qemu kselftest
	@mkdir -p $(dir $(DEBUG_OUT))
	@KERNEL=$(DEBUG_KOUT)/arch/x86/boot/bzImage MODS=$(DEBUG_MODS) \
		tools/vm/run --hermes $(DEBUG_VM_DEVICES) --hermes-prop hermes1:stack-size=256 \
		--hermes-prop hermes1:f1=on \
		--timeout $(DEBUG_VM_TIMEOUT) \
		--log $(DEBUG_OUT).console -- sh -c '$(DEBUG_VM_CMD)' | \
		tee $(DEBUG_OUT).out | \
		grep --line-buffered -v -E '^(kasan-initialized|kmemleak-|lockdep-debug-locks-|debug-run-rc:)'; \
	vmrc=$${PIPESTATUS[0]}; con=$(DEBUG_OUT).console; out=$(DEBUG_OUT).out; \
	n=0 bad=0; echo "TAP version 13"; echo "1..5"; \
	tap() { n=$$((n + 1)); if [ "$$1" = ok ]; then echo "ok $$n - $$2"; \
		else echo "not ok $$n - $$2"; bad=1; fi; }; \
	excerpt() { sed 's/^/# /' | head -$${1:-40}; }; \
	m=$$(grep -n -m1 -F '$(DEBUG_MARK)' $$con | cut -d: -f1); \
	pre=$$con.pre post=$$con.post; \
	if [ -n "$$m" ]; then head -n $$((m - 1)) $$con > $$pre; tail -n +$$m $$con > $$post; \
	else cp $$con $$pre; : > $$post; fi; \
	known= knownline=; \
	if [ "$$(grep -cE '$(DEBUG_LOCKDEP_RE)' $$post)" = 1 ] && \
	   grep -q -F '$(DEBUG_PCIEHP_HEAD)' $$post; then \
		sed -n '/$(DEBUG_PCIEHP_HEAD)/,/<\/TASK>/p' $$post > $$post.report; \
		if grep -q '(pci_rescan_remove_lock)' $$post.report && \
		   grep -q '(&ctrl->reset_lock)' $$post.report && \
		   grep -q 'pciehp_unconfigure_device' $$post.report && \
		   grep -q '</TASK>' $$post.report && \
		   ! grep -q 'hermes_' $$post.report; then \
			known=1; knownline=$$(grep -m1 -F '$(DEBUG_PCIEHP_HEAD)' $$post); \
		fi; \
	fi; \
	rc=$$(sed -n 's/^debug-run-rc: //p' $$out); \
	if [ "$$vmrc" -eq 0 ]; then tap ok "debug VM: all phases ran, no oops or WARNING"; \
	elif [ "$$vmrc" -eq 125 ] && [ "$$rc" = 0 ] && [ -n "$$known" ] && \
	     [ -z "$$(grep -E '$(DEBUG_VM_BAD_RE)' $$con | grep -v -x -F "$$knownline")" ]; then \
		tap ok "debug VM: all phases ran, no oops or WARNING but the known pciehp lockdep report"; \
	else tap fail "debug VM: tools/vm/run exited with status $$vmrc, tests $${rc:-did not finish} (console: $$con)"; \
		grep -m1 -A25 -E '$(DEBUG_VM_BAD_RE)' $$con | excerpt; fi; \
	if ! grep -qx 'kasan-initialized' $$out; then \
		tap fail "no KASAN report: KASAN did not initialise"; \
	elif grep -q 'BUG: KASAN' $$con; then \
		tap fail "no KASAN report"; grep -m1 -A40 'BUG: KASAN' $$con | excerpt; \
	else tap ok "no KASAN report"; fi; \
	if [ -z "$$m" ]; then \
		tap fail "no lockdep report before hot-unplug: the run did not get there"; \
	elif grep -qE '$(DEBUG_LOCKDEP_RE)' $$pre; then \
		tap fail "no lockdep report before hot-unplug"; \
		grep -m1 -B2 -A60 -E '$(DEBUG_LOCKDEP_RE)' $$pre | excerpt 80; \
	elif ! grep -qx 'lockdep-debug-locks-unplug: 1' $$out; then \
		tap fail "no lockdep report before hot-unplug: lockdep was off when it started"; \
	else tap ok "no lockdep report before hot-unplug"; fi; \
	if [ -n "$$known" ]; then \
		grep -v -E '^\[ *[0-9.]+\] *$$' $$post.report | excerpt 8; \
		tap ok "lockdep during hot-unplug: only the known stock 6.12 pciehp report (pci_rescan_remove_lock, then &ctrl->reset_lock in pciehp_unconfigure_device)"; \
	elif grep -qE '$(DEBUG_LOCKDEP_RE)' $$post; then \
		tap fail "lockdep during hot-unplug: a report other than the known pciehp one"; \
		grep -B2 -A60 -E '$(DEBUG_LOCKDEP_RE)' $$post | excerpt 120; \
	elif [ -n "$$m" ] && ! grep -qx 'lockdep-debug-locks-end: 1' $$out; then \
		tap fail "lockdep during hot-unplug: lockdep was off at the end of the run"; \
	elif [ -n "$$m" ]; then tap ok "lockdep during hot-unplug: no report"; \
	else tap fail "lockdep during hot-unplug: the run did not get there"; fi; \
	if [ "$$(grep -cx 'kmemleak-scanned' $$out)" != 2 ]; then \
		tap fail "no kmemleak report: $$(grep -cx 'kmemleak-scanned' $$out) of 2 scans ran"; \
		grep -m3 'kmemleak' $$con | excerpt; \
	elif grep -q '^kmemleak-report: unreferenced object' $$out; then \
		tap fail "no kmemleak report: $$(sed -n 's/^kmemleak-report: //p' $$out | sort -u | grep -c '^unreferenced object') leaks"; \
		sed -n 's/^kmemleak-report: //p' $$out | excerpt 120; \
	else tap ok "no kmemleak report"; fi; \
	[ $$bad -eq 0 ]
