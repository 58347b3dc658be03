#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Compile the kernel's own XDP programs into the corpus that
# selftests/drivers/hermes/kcorpus.py runs on the host kernel and on
# Hermes (Documentation/hermes/kcorpus.rst).
#
# The corpus is every source file of the kernel tree the build extracts
# (build/linux-src) that declares an XDP program: SEC("xdp...") in
# tools/testing/selftests/bpf/progs and samples/bpf.  Each file is
# compiled the way its own Makefile would, with Debian's clang; a file
# that does not compile is kept in the list with the compiler's first
# error, so the corpus cannot shrink unnoticed.  Left out, with the
# reason written beside them:
#  - verifier_*.c: the verifier's unit tests (inline assembly probing
#    one verifier rule each), not programs anyone deploys;
#  - files that include vmlinux.h: their CO-RE relocations need the
#    running kernel's BTF, which the VM kernel does not have
#    (tools/testing/test-progs-build.sh says why).
#
# Output in build/kcorpus: obj/NAME.o and sources.tsv, one line a file:
# "path <TAB> compiled|error|excluded <TAB> detail".
set -euo pipefail
. "$(dirname "$0")/../../build/lib.sh"

KSRC=$BUILD/linux-src
OUT=$BUILD/kcorpus
SELFTESTS=$KSRC/tools/testing/selftests/bpf
SAMPLES=$KSRC/samples/bpf

[ -d "$SELFTESTS/progs" ] || die "$SELFTESTS missing: run 'make kernel' first"
[ -f "$BUILD/headers/include/linux/bpf.h" ] ||
	die "$BUILD/headers missing: run 'make kernel' first"
[ -f "$BUILD/tools/include/bpf/bpf_helper_defs.h" ] ||
	die "$BUILD/tools/include missing: run 'make kernel' first"

rm -rf "$OUT.tmp"
mkdir -p "$OUT.tmp/obj" "$OUT.tmp/include/uapi"
# samples/bpf build with the kernel's own include path: <uapi/linux/...>
# and the kernel's u32/u64 names
ln -s "$BUILD/headers/include/linux" "$OUT.tmp/include/uapi/linux"
cat > "$OUT.tmp/include/kcorpus-kernel-types.h" <<'EOF'
/* the kernel-internal type names samples/bpf take from linux/types.h */
#include <linux/types.h>
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
#define __force
EOF

CFLAGS=(-O2 -g --target=bpf -mcpu=v3 -D__TARGET_ARCH_x86 -mlittle-endian
	-isystem "$BUILD/headers/include" -I"$BUILD/tools/include"
	-idirafter "/usr/include/$(gcc -print-multiarch)"
	-Wno-compare-distinct-pointer-types)

compile() {
	local src=$1 name=$2
	shift 2
	if clang "${CFLAGS[@]}" "$@" -c "$src" -o "$OUT.tmp/obj/$name.o" \
			2> "$OUT.tmp/obj/$name.err"; then
		printf '%s\tcompiled\t%s\n' "${src#"$KSRC/"}" "obj/$name.o"
		rm -f "$OUT.tmp/obj/$name.err"
	else
		printf '%s\terror\t%s\n' "${src#"$KSRC/"}" \
			"$(grep -m1 'error:' "$OUT.tmp/obj/$name.err" |
			   sed "s|^$KSRC/||" | cut -c1-200)"
	fi
}

{
	for src in $(grep -l 'SEC("xdp' "$SELFTESTS"/progs/*.c "$SAMPLES"/*.c | sort); do
		base=$(basename "$src" .c)
		if [[ $base == verifier_* ]]; then
			printf '%s\texcluded\tverifier unit test\n' "${src#"$KSRC/"}"
		elif grep -q '"vmlinux.h"\|<vmlinux.h>' "$src"; then
			printf '%s\texcluded\tvmlinux.h: CO-RE needs kernel BTF\n' \
				"${src#"$KSRC/"}"
		elif [[ $src == "$SAMPLES"/* ]]; then
			compile "$src" "samples-$base" -I"$SAMPLES" \
				-I"$OUT.tmp/include" -include kcorpus-kernel-types.h
		else
			compile "$src" "$base" -I"$SELFTESTS" -I"$SELFTESTS/progs"
		fi
	done
} > "$OUT.tmp/sources.tsv"

rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
echo "kcorpus: $(grep -c $'\tcompiled\t' "$OUT/sources.tsv") of" \
	"$(wc -l < "$OUT/sources.tsv") files compiled in $OUT"
