# SPDX-License-Identifier: GPL-2.0-only
#
# The debug kernel: hermes.config plus kernel/configs/debug.config (KASAN,
# lockdep, kmemleak, debug objects), built from the same patched tree.
#
#   make kernel-debug   build/linux-debug, its modules in build/mods-debug

.PHONY: kernel-debug
kernel-debug: deps
	@VARIANT=debug tools/build/kernel.sh
