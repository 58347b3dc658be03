#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Assemble an installed-kselftest tree in build/kselftest from the patched
# kernel tree's selftests (only the collections Hermes runs) and the
# repo's own selftests/, and write its kselftest-list.txt.  Run it in the
# VM as build/kselftest/run_kselftest.sh; it prints KTAP.
#
# Kernel tests taken: net:bpf_offload.py (with netdevsim).
# Repo tests taken: every executable *.sh or *.py under selftests/DIR/,
# as collection DIR.
set -euo pipefail
. "$(dirname "$0")/../build/lib.sh"

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
for s in sample_ret0 sample_map_ret0; do
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
	done < <(find "$TOP/selftests" -mindepth 2 -type f -perm -u+x \
		\( -name '*.sh' -o -name '*.py' \) | sort)
fi

rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
echo "kselftest: $(wc -l < "$OUT/kselftest-list.txt") tests in $OUT"
