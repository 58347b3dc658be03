# SPDX-License-Identifier: GPL-2.0-only
#
# The upstream series, generated from the repo (tools/patches/).
#
#   make patches        build/patches/kernel and build/patches/qemu: numbered
#                       series with cover letters, ready for git send-email
#   make patches-check  apply each series to the pristine source with git am,
#                       W=1 and sparse on what each patch touches (QEMU:
#                       build after every patch), checkpatch, kernel-doc,
#                       get_maintainer.pl lists, Sphinx (TAP, summary line)
#   make check-patches-bisect
#                       the kernel tree builds after every patch (make
#                       check-full: a kernel build and a half, cold)
#   make docs           the Sphinx builds alone: Documentation/bpf with the
#                       Hermes pages in the series' kernel tree, and QEMU's
#                       docs/specs with hermes.rst, both with -W
#   make check-series-apply
#                       how the build applies kernel/patches and qemu/patches
#                       to a Debian point release it was not made against
#                       (3-way merge, the message when a patch no longer
#                       applies), on scratch repositories; seconds
#
# The kernel and QEMU source trees of build/ are only read: the checks
# run in clones under build/patches/.

PATCHES_OUT := $(BUILD)/patches

CHECK_SUITES += series-apply patches
FULL_SUITES += patches-bisect

.PHONY: patches patches-check check-patches check-patches-bisect docs \
	check-series-apply

# Only the pristine sources are needed, not a build of them.
$(BUILD)/linux-src/.git:
	@$(MAKE) --no-print-directory kernel
$(BUILD)/qemu-src/.git:
	@$(MAKE) --no-print-directory qemu

patches: | $(BUILD)/linux-src/.git $(BUILD)/qemu-src/.git
	@tools/patches/mkseries tools/patches/kernel.groups $(PATCHES_OUT)/kernel
	@tools/patches/mkseries tools/patches/qemu.groups $(PATCHES_OUT)/qemu

# kernel: the objects each patch touches are those build/linux has.
patches-check check-patches: patches kernel
	@tools/patches/check all

check-patches-bisect: patches kernel
	@tools/patches/check bisect

docs: patches
	@tools/patches/check docs

check-series-apply:
	@tools/build/check-apply
