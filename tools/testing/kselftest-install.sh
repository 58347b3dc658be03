#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Assemble an installed-kselftest tree in build/kselftest from the patched
# kernel tree's selftests (only the collections Hermes runs) and the
# repo's own selftests/, and write its kselftest-list.txt.  Run it in the
# VM as build/kselftest/run_kselftest.sh; it prints KTAP.
#
# Kernel tests taken: net:bpf_offload.py (with netdevsim), and the series'
# test_progs tests, built by test-progs-build.sh and run by the repo's
# selftests/bpf/test_progs.sh.
# Repo tests taken: every test program under selftests/DIR/, as collection
# DIR: a *.sh or *.py file whose first line is "#!" (modules such as
# hermes_lib.py have none).  One committed without its run bit is still
# taken (kselftest's runner then starts it with its "#!" interpreter and
# warns), and `kselftest-install.sh --check-modes` prints a TAP case that
# fails for it, so that it neither vanishes nor passes unnoticed.
set -euo pipefail
. "$(dirname "$0")/../build/lib.sh"

# test_programs: the repo's selftest programs, one path a line, sorted.
test_programs() {
	[ -d "$TOP/selftests" ] || return 0
	find "$TOP/selftests" -mindepth 2 -type f \( -name '*.sh' -o -name '*.py' \) |
		sort | while IFS= read -r t; do
			[ "$(head -c 2 "$t")" != "#!" ] || echo "$t"
		done
}

if [ "${1:-}" = --check-modes ]; then
	echo "1..1"
	progs=$(test_programs)
	lost=$(while IFS= read -r t; do
		[ -z "$t" ] || [ -x "$t" ] || echo "${t#"$TOP/"}"; done <<< "$progs")
	if [ -z "$progs" ]; then
		echo "not ok 1 - selftests: no test program found under selftests/"
	elif [ -n "$lost" ]; then
		echo "not ok 1 - selftests: test programs without their run bit:" $lost
		echo "# fix: git update-index --chmod=+x" $lost "(and chmod +x)"
	else
		echo "ok 1 - selftests: all $(wc -l <<< "$progs") test programs have their run bit"
	fi
	exit 0
fi

KSRC=$BUILD/linux-src
KSFT=$KSRC/tools/testing/selftests
OUT=$BUILD/kselftest
CLANG_BPF=(clang -O2 -g --target=bpf -I"$BUILD/headers/include" -I"$BUILD/tools/include")

rm -rf "$OUT.tmp"
mkdir -p "$OUT.tmp/net/lib/ynl"
cp "$KSFT/run_kselftest.sh" "$OUT.tmp/"
cp -r "$KSFT/kselftest" "$OUT.tmp/"
cp "$KSFT/net/bpf_offload.py" "$KSFT/net/settings" "$OUT.tmp/net/"
cp -r "$KSFT/net/lib/py" "$OUT.tmp/net/lib/"
cp -r "$KSRC/tools/net/ynl/lib" "$OUT.tmp/net/lib/ynl/"
for s in sample_ret0 sample_map_ret0 sample_frags_ret0; do
	"${CLANG_BPF[@]}" -c "$KSFT/net/$s.bpf.c" -o "$OUT.tmp/net/$s.bpf.o"
done
echo "net:bpf_offload.py" > "$OUT.tmp/kselftest-list.txt"

if [ -d "$TOP/selftests" ]; then
	while IFS= read -r t; do
		rel=${t#"$TOP/selftests/"}
		col=$(dirname "$rel")
		mkdir -p "$OUT.tmp/$col"
		cp -r "$(dirname "$t")/." "$OUT.tmp/$col/"
		echo "$col:$(basename "$t")" >> "$OUT.tmp/kselftest-list.txt"
		[ -x "$t" ] || echo "kselftest: warning: ${t#"$TOP/"} has no run bit" \
			"(the run starts it with its #! line; check-kselftest-vm fails)" >&2
	done < <(test_programs)
fi

if [ -d "$OUT.tmp/bpf" ]; then
	[ -x "$BUILD/test_progs/test_progs" ] ||
		die "$BUILD/test_progs/test_progs missing: run tools/testing/test-progs-build.sh"
	cp "$BUILD/test_progs/test_progs" "$OUT.tmp/bpf/"
fi

rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
echo "kselftest: $(wc -l < "$OUT/kselftest-list.txt") tests in $OUT"
