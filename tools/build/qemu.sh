#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build QEMU 7.2 from Debian's source package with the Hermes device.
#
#   build/src/qemu-VERSION  Debian's source package (its patches applied),
#                     VERSION the Debian version without the epoch
#   build/qemu-src    git copy of it, tag "pristine"; qemu/patches/series
#                     applied with `git apply -3` and every other file under
#                     qemu/ copied in at the same relative path
#   build/qemu        the build directory (x86_64-softmmu, TCG, virtfs;
#                     the options are lib.sh's qemu_configure)
#   build/firmware    links to Debian's SeaBIOS and iPXE images
set -euo pipefail
. "$(dirname "$0")/lib.sh"

QSRC=$BUILD/qemu-src
QOUT=$BUILD/qemu
OVERLAY=$TOP/qemu
# The Debian qemu source qemu/patches was made against (its "index" lines
# name blobs of that tree): update it when the patches are rebased.
SERIES_BASE="qemu 1:7.2+dfsg-7+deb12u18"

# Debian's source package as apt has it now: the .dsc apt-get would
# fetch names the version, and dpkg-source unpacks it into a directory
# named after that version here, rather than the one dpkg-source would
# derive from the upstream version (qemu-7.2+dfsg today), which a new
# upstream or repack changes.
fetch() {
	local uris dsc ver dir
	"$TOP/tools/build/deps.sh" --deb-src
	mkdir -p "$BUILD/src"
	uris=$(apt-get source -qq --print-uris qemu 2>&1) ||
		die "apt-get source qemu failed (is there a deb-src entry? run 'make deps'): $uris"
	dsc=$(echo "$uris" | awk '$2 ~ /\.dsc$/ { print $2 }')
	[ "$(echo "$dsc" | grep -c .)" -eq 1 ] ||
		die "apt-get source --print-uris qemu names $(echo "$dsc" | grep -c .) .dsc files, not one: $(echo $dsc)"
	(cd "$BUILD/src" && apt-get source -qq --download-only qemu) ||
		die "apt-get source --download-only qemu failed"
	ver=$(sed -n 's/^Version: //p' "$BUILD/src/$dsc")
	[ -n "$ver" ] || die "$BUILD/src/$dsc has no Version"
	dir=$BUILD/src/qemu-${ver#*:}
	if [ ! -d "$dir" ]; then
		rm -rf "$dir.tmp"
		dpkg-source -x "$BUILD/src/$dsc" "$dir.tmp" > "$BUILD/src/dpkg-source.log" 2>&1 ||
			{ tail -20 "$BUILD/src/dpkg-source.log"; die "dpkg-source -x $dsc failed"; }
		mv "$dir.tmp" "$dir"
	fi
	rm -rf "$QSRC" "$QSRC.tmp"
	cp -a "$dir" "$QSRC.tmp"
	git -C "$QSRC.tmp" init -q
	git_b "$QSRC.tmp" add -A -f
	git_b "$QSRC.tmp" commit -q -m "Debian qemu $ver, pristine"
	git -C "$QSRC.tmp" tag pristine
	echo "qemu $ver" > "$QSRC.tmp/.git/hermes-source"
	mv "$QSRC.tmp" "$QSRC"
}

# The Debian source of build/qemu-src: recorded by fetch, or from the
# pristine commit of a tree fetched before it was.
source_of() {
	cat "$QSRC/.git/hermes-source" 2>/dev/null ||
		git -C "$QSRC" log -1 --format=%s pristine | sed 's/^Debian //; s/, pristine$//'
}

# Patches change shared files (Kconfig, meson.build): reapply them on a
# pristine tree only when they changed.  Plain files are synced with
# checksums so that unchanged ones keep their mtime and ninja stays warm.
overlay() {
	local want have p patches
	want=$(cd "$OVERLAY" 2>/dev/null && hash_of patches/series \
		$(grep -sv '^#' patches/series | sed 's|^|patches/|') || true)
	have=$(cat "$QSRC/.hermes-patches" 2>/dev/null || true)
	if [ "$want" != "$have" ]; then
		git_b "$QSRC" reset -q --hard pristine
		git_b "$QSRC" clean -qfdx
		patches=()
		if [ -f "$OVERLAY/patches/series" ]; then
			while read -r p; do
				case "$p" in ''|'#'*) continue ;; esac
				patches+=("$OVERLAY/patches/$p")
			done < "$OVERLAY/patches/series"
		fi
		[ ${#patches[@]} -eq 0 ] || apply_patches "$QSRC" "$(source_of)" \
			"$SERIES_BASE" "${patches[@]}" || exit 1
		echo "$want" > "$QSRC/.hermes-patches"
	fi
	[ -d "$OVERLAY" ] || return 0
	rsync -rc --exclude=/patches/ "$OVERLAY/" "$QSRC/"
}

configure() {
	qemu_configure "$QSRC" "$QOUT" || exit 1
}

build() {
	ninja -C "$QOUT" -j"$JOBS" qemu-system-x86_64 > "$QOUT/ninja.log" 2>&1 ||
		{ grep -B2 -A12 -m3 'error' "$QOUT/ninja.log" | head -60; die "QEMU build failed (log: $QOUT/ninja.log)"; }
	"$QOUT/qemu-system-x86_64" --version | sed -n 1p
}

# Debian's firmware, gathered where -L can find it: SeaBIOS, and the
# option ROMs that -kernel boots through (the dfsg source ships none).
firmware() {
	local f
	mkdir -p "$BUILD/firmware"
	for f in /usr/share/seabios/*.bin /usr/share/qemu/linuxboot*.bin \
		/usr/share/qemu/kvmvapic.bin /usr/share/qemu/pvh.bin; do
		[ -e "$f" ] && ln -sf "$f" "$BUILD/firmware/"
	done
	[ -e "$BUILD/firmware/bios-256k.bin" ] || die "SeaBIOS missing: apt-get install seabios"
	[ -e "$BUILD/firmware/linuxboot_dma.bin" ] ||
		die "linuxboot_dma.bin missing: apt-get install qemu-system-data"
}

main() {
	if [ ! -d "$QSRC/.git" ]; then
		stage "qemu: fetch and unpack Debian's source" fetch
	fi
	echo "qemu source: $(cat "$QSRC/VERSION") (Debian $(source_of))"
	stage "qemu: overlay qemu/" overlay
	stage "qemu: configure" configure
	stage "qemu: build qemu-system-x86_64" build
	firmware
}

mkdir -p "$BUILD"
exec 9> "$BUILD/.qemu.lock"
flock 9
main "$@"
