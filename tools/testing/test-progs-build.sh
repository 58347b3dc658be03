#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the core series' test_progs tests (selftests/bpf, where BPF CI
# looks) into build/test_progs, with the kernel tree's own Makefile.
#
# Only the tests the series adds are built: TESTS below, their programs
# in PROGS (btf_data.c is the BTF the Makefile's last link step needs).
# The whole of test_progs is some 800 BPF objects, a build of its own far
# longer than the kernel's, and needs a newer clang than Debian 12 has.
# The kept files are mirrored into a sibling of selftests/bpf in the
# patched tree, so that every relative path of its Makefile still holds;
# rsync keeps their times, so an unchanged tree rebuilds nothing.
#
# The VM kernel has no BTF (CONFIG_DEBUG_INFO_BTF needs DWARF, which would
# double its build): the kept programs use <linux/bpf.h>, not vmlinux.h,
# so the Makefile's vmlinux.h is generated from a stub's BTF.
set -euo pipefail
. "$(dirname "$0")/../build/lib.sh"

TESTS=(offload_test_run)
PROGS=(test_offload_run btf_data)

KSELFTESTS=$BUILD/linux-src/tools/testing/selftests
SRC=$KSELFTESTS/bpf
TRIM=$KSELFTESTS/bpf-hermes
OUT=$BUILD/test_progs

[ -d "$SRC" ] || die "$SRC missing: run 'make kernel' first"
[ -f "$BUILD/headers/include/linux/bpf.h" ] ||
	die "$BUILD/headers missing: run 'make kernel' first"

filters=()
for t in "${TESTS[@]}"; do
	[ -f "$SRC/prog_tests/$t.c" ] || die "prog_tests/$t.c missing from the series"
	filters+=(--include="/prog_tests/$t.c")
done
for p in "${PROGS[@]}"; do
	[ -f "$SRC/progs/$p.c" ] || die "progs/$p.c missing from the series"
	filters+=(--include="/progs/$p.c")
done
mkdir -p "$TRIM" "$OUT"
# tests.h, the Makefile's list of tests, is kept (rebuilt only when a test
# changes) unless the list of tests changed: a test gone from it would
# still be linked
if [ "$(cat "$OUT/tests.list" 2>/dev/null)" != "${TESTS[*]}" ]; then
	rm -f "$TRIM/prog_tests/tests.h"
	echo "${TESTS[*]}" > "$OUT/tests.list"
fi
rsync -a --delete --delete-excluded --filter='P /prog_tests/tests.h' \
	"${filters[@]}" --exclude='/prog_tests/*.c' --exclude='/progs/*.c' \
	"$SRC/" "$TRIM/"

echo 'struct hermes_no_vmlinux_btf { int unused; } hermes_stub;' > "$OUT/stub-btf.c.new"
cmp -s "$OUT/stub-btf.c.new" "$OUT/stub-btf.c" 2>/dev/null &&
	rm "$OUT/stub-btf.c.new" || mv "$OUT/stub-btf.c.new" "$OUT/stub-btf.c"
[ "$OUT/stub-btf.o" -nt "$OUT/stub-btf.c" ] ||
	clang -g -O2 --target=bpf -c "$OUT/stub-btf.c" -o "$OUT/stub-btf.o"

# Emptied lists of what only left-out tests use: TRUNNER_EXTRA_FILES
# (test modules, uprobe and signing helpers; test_progs loads
# bpf_testmod.ko only if it is there), the light and linked skeletons.
# feature-llvm: the JIT disassembler, which no kept test uses, would link
# LLVM statically.  feature-clang-bpf-co-re: bpftool's own BPF skeletons
# (prog profile, pids in prog show) would need the vmlinux.h of a real
# BTF; gen skeleton, all the build uses bpftool for, does not.
# CCACHE_BASEDIR would make ccache write the dependency files' paths
# relative to the output directory, which the Makefile reads from its own.
# TRUNNER_EXTRA_FILES is the stub's source, already in $OUT: left empty,
# the Makefile's `rsync -aq $^ $(OUTPUT)/` lists the output directory
# while -j compiles into it, and fails (exit 24) on an object that
# vanished under it.
CCACHE_BASEDIR= make -C "$TRIM" -j"$JOBS" OUTPUT="$OUT" \
	VMLINUX_BTF="$OUT/stub-btf.o" \
	KHDR_INCLUDES="-isystem $BUILD/headers/include" \
	TRUNNER_EXTRA_FILES="$OUT/stub-btf.c" LSKELS= LSKELS_EXTRA= LINKED_SKELS= \
	feature-llvm=0 feature-clang-bpf-co-re=0 \
	HOSTCC="ccache gcc" CC="ccache gcc" \
	"$OUT/test_progs"
echo "test_progs: ${TESTS[*]} in $OUT/test_progs"
