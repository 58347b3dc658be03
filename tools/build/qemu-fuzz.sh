#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# QEMU's generic PCI fuzzer on the Hermes device (make fuzz-qemu), outside
# CI: build/qemu-src, as tools/build/qemu.sh overlays it, built with clang,
# libFuzzer and AddressSanitizer (configure --enable-fuzzing
# --enable-sanitizers; libFuzzer's runtime is libclang-rt-14-dev) into
# build/qemu-fuzz, then
#
#   qemu-fuzz-x86_64 --fuzz-target=generic-fuzz-hermes
#
# for FUZZ_SECONDS (default 300) with the corpus kept in
# build/qemu-fuzz/corpus-hermes (later runs start from it) and crashing
# inputs written to build/qemu-fuzz/crash-hermes/.  The target's
# configuration (machine, device properties, the objects fuzzed) is the
# "hermes" entry of tests/qtest/fuzz/generic_fuzz_configs.h, added by
# qemu/patches/0002.  Reproduce a crash with
#
#   build/qemu-fuzz/qemu-fuzz-x86_64 --fuzz-target=generic-fuzz-hermes FILE
#
# (QTEST_LOG=1 prints the accesses as qtest commands).  Exit status: 0, or
# libFuzzer's (non-zero when it found a crash, a leak or a timeout).
#
#   qemu-fuzz.sh build    only build
#   qemu-fuzz.sh run      build if needed, then fuzz
set -euo pipefail
. "$(dirname "$0")/lib.sh"

QSRC=$BUILD/qemu-src
FOUT=$BUILD/qemu-fuzz
FUZZ_SECONDS=${FUZZ_SECONDS:-300}

configure() {
	local opts want
	# clang for libFuzzer; tools/build/qemu.sh's options otherwise
	opts=(--cc="ccache clang" --cxx="ccache clang++"
	      --extra-cflags="-fdebug-prefix-map=$FOUT=."
	      --target-list=x86_64-softmmu --without-default-features
	      --enable-tcg --enable-fdt=system
	      --enable-fuzzing --enable-sanitizers
	      --disable-install-blobs --disable-docs --disable-werror)
	want=$(printf '%s\n' "$QSRC" "${opts[@]}" | sha256sum | cut -d' ' -f1)
	if [ -f "$FOUT/build.ninja" ] &&
		[ "$(cat "$FOUT/.hermes-configure" 2>/dev/null)" = "$want" ]; then
		return 0
	fi
	# a new configuration builds afresh; the corpus and crashes stay
	find "$FOUT" -mindepth 1 -maxdepth 1 ! -name corpus-hermes \
		! -name crash-hermes -exec rm -rf {} + 2>/dev/null || true
	mkdir -p "$FOUT"
	if ! (cd "$FOUT" && "$QSRC/configure" "${opts[@]}") > "$FOUT/configure.log" 2>&1; then
		tail -30 "$FOUT/configure.log"
		die "QEMU fuzzing configure failed (log: $FOUT/configure.log)"
	fi
	echo "$want" > "$FOUT/.hermes-configure"
}

build() {
	local datadir
	ninja -C "$FOUT" -j"$JOBS" qemu-fuzz-x86_64 > "$FOUT/ninja.log" 2>&1 ||
		{ grep -B2 -A12 -m3 'error' "$FOUT/ninja.log" | head -60
		  die "QEMU fuzzer build failed (log: $FOUT/ninja.log)"; }
	# The fuzzer's command line is the config's, without -L: SeaBIOS
	# goes where a QEMU run from its build directory looks for data.
	datadir=$(sed -n 's/^#define CONFIG_QEMU_DATADIR "\(.*\)"$/\1/p' \
		"$FOUT/config-host.h")
	[ -n "$datadir" ] || die "no CONFIG_QEMU_DATADIR in $FOUT/config-host.h"
	mkdir -p "$FOUT/qemu-bundle$datadir"
	ln -sf "$BUILD"/firmware/* "$FOUT/qemu-bundle$datadir/"
}

run() {
	local corpus=$FOUT/corpus-hermes crashes=$FOUT/crash-hermes
	mkdir -p "$corpus" "$crashes"
	echo "fuzz: generic-fuzz-hermes for $FUZZ_SECONDS s, corpus $corpus"
	# ASan: QEMU leaks at exit by design; the fuzzer's forked children
	# exit with _Exit and are not leak-checked either.  UBSan stops at
	# the first report, so that the input is kept as a crash.  The
	# device's worker threads make a replay not always take the same
	# path: replay a crash a few times.
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1} \
		"$FOUT/qemu-fuzz-x86_64" --fuzz-target=generic-fuzz-hermes \
		-max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
		-artifact_prefix="$crashes/" "$corpus"
}

[ -d "$QSRC/.git" ] || die "no $QSRC: run 'make qemu' first"
[ -e "$BUILD/firmware/bios-256k.bin" ] || die "no SeaBIOS in $BUILD/firmware: run 'make qemu' first"
command -v clang > /dev/null || die "clang missing: apt-get install clang libclang-rt-14-dev"

mkdir -p "$BUILD"
case "${1:-run}" in
build)
	stage "qemu-fuzz: configure" configure
	stage "qemu-fuzz: build qemu-fuzz-x86_64" build
	;;
run)
	stage "qemu-fuzz: configure" configure
	stage "qemu-fuzz: build qemu-fuzz-x86_64" build
	run
	;;
*)
	die "usage: $0 [build|run]"
	;;
esac
