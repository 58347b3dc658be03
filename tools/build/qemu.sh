#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build QEMU 7.2 from Debian's source package with the Hermes device.
#
#   build/src/qemu-*  `apt-get source qemu` (Debian's patches applied)
#   build/qemu-src    git copy of it, pristine first commit; qemu/patches/series
#                     applied with `patch -p1` and every other file under
#                     qemu/ copied in at the same relative path
#   build/qemu        the build directory (x86_64-softmmu, TCG, virtfs)
#   build/firmware    links to Debian's SeaBIOS and iPXE images
set -euo pipefail
. "$(dirname "$0")/lib.sh"

QSRC=$BUILD/qemu-src
QOUT=$BUILD/qemu
OVERLAY=$TOP/qemu

fetch() {
	local dir
	dir=$(ls -d "$BUILD"/src/qemu-7.2* 2>/dev/null | head -1 || true)
	if [ -z "$dir" ]; then
		"$TOP/tools/build/deps.sh" --deb-src
		mkdir -p "$BUILD/src"
		(cd "$BUILD/src" && apt-get source -qq qemu 2>&1 | grep -v '^dpkg-source: info: applying') ||
			die "apt-get source qemu failed (is there a deb-src entry? run 'make deps')"
		dir=$(ls -d "$BUILD"/src/qemu-7.2* | head -1)
	fi
	rm -rf "$QSRC" "$QSRC.tmp"
	cp -a "$dir" "$QSRC.tmp"
	git -C "$QSRC.tmp" init -q
	git -C "$QSRC.tmp" add -A -f
	git -C "$QSRC.tmp" -c gc.auto=0 -c user.name="Hermes build" \
		-c user.email=build@hermes.invalid \
		commit -q -m "Debian qemu $(basename "$dir"), pristine"
	git -C "$QSRC.tmp" tag pristine
	mv "$QSRC.tmp" "$QSRC"
}

# Patches change shared files (Kconfig, meson.build): reapply them on a
# pristine tree only when they changed.  Plain files are synced with
# checksums so that unchanged ones keep their mtime and ninja stays warm.
overlay() {
	local want have p
	want=$(cd "$OVERLAY" 2>/dev/null && hash_of patches/series \
		$(grep -sv '^#' patches/series | sed 's|^|patches/|') || true)
	have=$(cat "$QSRC/.hermes-patches" 2>/dev/null || true)
	if [ "$want" != "$have" ]; then
		git -C "$QSRC" reset -q --hard pristine
		git -C "$QSRC" clean -qfdx
		if [ -f "$OVERLAY/patches/series" ]; then
			while read -r p; do
				case "$p" in ''|'#'*) continue ;; esac
				patch -s -p1 -d "$QSRC" < "$OVERLAY/patches/$p" ||
					die "qemu/patches/$p does not apply to $(basename "$QSRC")"
			done < "$OVERLAY/patches/series"
		fi
		echo "$want" > "$QSRC/.hermes-patches"
	fi
	[ -d "$OVERLAY" ] || return 0
	rsync -rc --exclude=/patches/ "$OVERLAY/" "$QSRC/"
}

configure() {
	[ -f "$QOUT/build.ninja" ] && return 0
	rm -rf "$QOUT"
	mkdir -p "$QOUT"
	(cd "$QOUT" && "$QSRC/configure" \
		--target-list=x86_64-softmmu \
		--without-default-features \
		--enable-tcg --enable-kvm \
		--enable-virtfs --enable-attr --enable-cap-ng \
		--enable-fdt=system \
		--disable-install-blobs --disable-docs --disable-werror \
		> "$QOUT/configure.log" 2>&1) ||
		{ tail -30 "$QOUT/configure.log"; die "QEMU configure failed (log: $QOUT/configure.log)"; }
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
	echo "qemu source: $(cat "$QSRC/VERSION") ($(git -C "$QSRC" log -1 --format=%s pristine))"
	stage "qemu: overlay qemu/" overlay
	stage "qemu: configure" configure
	stage "qemu: build qemu-system-x86_64" build
	firmware
}

mkdir -p "$BUILD"
exec 9> "$BUILD/.qemu.lock"
flock 9
main "$@"
