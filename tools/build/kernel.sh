#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Prepare, configure and build the Hermes VM kernel, its modules, libbpf
# and bpftool.  Every step is incremental: a warm run that finds nothing
# changed only runs kbuild, which then has nothing to do.
#
#   build/linux-src   Debian's linux-source-6.12, a git tree whose first
#                     commit is pristine, with kernel/patches/series applied
#                     by `git am` and drivers/hermes wired in
#   build/linux       kbuild output (O=)
#   build/mods        modules_install output, bind-mounted in the guest
#   build/tools       libbpf and bpftool from the same tree
#
# VARIANT=debug builds the debug kernel from the same patched tree, under
# the same lock: kernel/configs/debug.config merged after hermes.config,
# kbuild output in build/linux-debug, modules in build/mods-debug; the
# headers, libbpf and bpftool are those of the default build.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

KSRC=$BUILD/linux-src
TARBALL=/usr/src/linux-source-6.12.tar.xz
SERIES=$TOP/kernel/patches/series
FRAGMENTS=("$TOP/kernel/configs/hermes.config")
VARIANT=${VARIANT:-}
case "$VARIANT" in
"")
	KOUT=$BUILD/linux
	MODS=$BUILD/mods ;;
debug)
	KOUT=$BUILD/linux-debug
	MODS=$BUILD/mods-debug
	FRAGMENTS+=("$TOP/kernel/configs/debug.config") ;;
*)
	die "unknown VARIANT=$VARIANT (known: debug)" ;;
esac
KMAKE=(make -C "$KSRC" O="$KOUT" ARCH=x86_64 -j"$JOBS" CC="ccache gcc"
       HOSTCC="ccache gcc")

git_k() {
	git -C "$KSRC" -c gc.auto=0 -c user.name="Hermes build" \
		-c user.email=build@hermes.invalid "$@"
}

extract() {
	[ -r "$TARBALL" ] || die "$TARBALL missing: run 'make deps' (installs linux-source-6.12)"
	rm -rf "$KSRC" "$KSRC.tmp"
	mkdir -p "$KSRC.tmp"
	tar -C "$KSRC.tmp" --strip-components=1 -xf "$TARBALL"
	git -C "$KSRC.tmp" init -q
	git -C "$KSRC.tmp" add -A -f
	git -C "$KSRC.tmp" -c gc.auto=0 -c user.name="Hermes build" \
		-c user.email=build@hermes.invalid \
		commit -q -m "Debian linux-source-6.12, pristine"
	git -C "$KSRC.tmp" tag pristine
	mv "$KSRC.tmp" "$KSRC"
}

# Reset to pristine and apply the series whenever it changed.
apply_series() {
	local want have
	want=$(cd "$TOP/kernel/patches" && hash_of series $(grep -v '^#' series))
	have=$(cat "$KSRC/.hermes-series" 2>/dev/null || true)
	[ "$want" = "$have" ] && { echo "series unchanged"; return 0; }
	git_k am --abort >/dev/null 2>&1 || true
	git_k reset -q --hard pristine
	git_k clean -qfdx
	local p n=0
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		git_k am -q --whitespace=nowarn "$TOP/kernel/patches/$p" ||
			die "patch $p does not apply (git -C $KSRC am --show-current-patch)"
		n=$((n + 1))
	done < "$SERIES"
	echo "$n patches applied"
	echo "$want" > "$KSRC/.hermes-series"
}

# drivers/hermes, the UAPI header include/uapi/linux/hermes.h and the
# top-level Kconfig are symlinks into the repo, so an edit there is seen
# by the next kbuild run without copying anything; headers_install puts
# the UAPI header into build/headers with the rest for user space.
wire_hermes() {
	ln -sfn "$TOP/drivers/hermes" "$KSRC/drivers/hermes"
	ln -sfn "$TOP/include/uapi/linux/hermes.h" \
		"$KSRC/include/uapi/linux/hermes.h"
	ln -sfn "$TOP/Kconfig" "$KSRC/Kconfig.hermes"
	grep -q 'Kconfig.hermes' "$KSRC/drivers/Kconfig" ||
		sed -i '$i source "Kconfig.hermes"\n' "$KSRC/drivers/Kconfig"
	grep -q 'CONFIG_HERMES' "$KSRC/drivers/Makefile" ||
		echo 'obj-$(CONFIG_HERMES)		+= hermes/' >> "$KSRC/drivers/Makefile"
}

configure() {
	local want have
	want=$(hash_of "${FRAGMENTS[@]}" "$KSRC/.hermes-series")
	have=$(cat "$KOUT/.hermes-config" 2>/dev/null || true)
	[ "$want" = "$have" ] && [ -f "$KOUT/.config" ] && { echo "config unchanged"; return 0; }
	mkdir -p "$KOUT"
	"${KMAKE[@]}" -s allnoconfig
	KCONFIG_CONFIG="$KOUT/.config" "$KSRC/scripts/kconfig/merge_config.sh" \
		-m -O "$KOUT" "$KOUT/.config" "${FRAGMENTS[@]}" > "$KOUT/merge.log"
	"${KMAKE[@]}" -s olddefconfig
	# Every option the fragments ask for must survive olddefconfig: a
	# missing dependency would otherwise silently drop it.  A later
	# fragment overrides an earlier one, as in merge_config.sh.
	local line sym val got bad=0
	while IFS= read -r line; do
		sym=${line%%=*}
		val=${line#*=}
		got=$(grep -E "^$sym=|^# $sym is not set" "$KOUT/.config" || true)
		if [ "$val" = n ]; then
			case "$got" in ""|"# $sym is not set") continue ;; esac
		elif [ "$got" = "$sym=$val" ]; then
			continue
		fi
		echo "config: $sym wanted $val, got '${got:-absent}'" >&2
		bad=1
	done < <(grep -h '^CONFIG_[A-Za-z0-9_]*=' "${FRAGMENTS[@]}" |
		 awk -F= '{ last[$1] = $0; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
			  END { for (i = 0; i < n; i++) print last[order[i]] }')
	[ $bad -eq 0 ] || die "config fragments ${FRAGMENTS[*]#"$TOP/"} do not apply cleanly (see above)"
	echo "$want" > "$KOUT/.hermes-config"
}

build() {
	"${KMAKE[@]}" -s bzImage modules
	rm -rf "$MODS.tmp"
	"${KMAKE[@]}" -s INSTALL_MOD_PATH="$MODS.tmp" INSTALL_MOD_STRIP=1 \
		modules_install > /dev/null
	rm -rf "$MODS"
	mv "$MODS.tmp" "$MODS"
	[ -n "$VARIANT" ] ||
		"${KMAKE[@]}" -s INSTALL_HDR_PATH="$BUILD/headers" headers_install
	echo "kernel $(cat "$KOUT/include/config/kernel.release")"
}

tools() {
	mkdir -p "$BUILD/tools/libbpf" "$BUILD/tools/bpftool"
	make -s -C "$KSRC/tools/lib/bpf" -j"$JOBS" CC="ccache gcc" \
		OUTPUT="$BUILD/tools/libbpf/" DESTDIR="$BUILD/tools" prefix= \
		all install_headers
	make -s -C "$KSRC/tools/bpf/bpftool" -j"$JOBS" CC="ccache gcc" \
		OUTPUT="$BUILD/tools/bpftool/" > "$BUILD/tools/bpftool.log" 2>&1 ||
		{ tail -20 "$BUILD/tools/bpftool.log"; die "bpftool build failed"; }
	"$BUILD/tools/bpftool/bpftool" version > "$BUILD/tools/bpftool.version"
	head -n 1 "$BUILD/tools/bpftool.version"
}

main() {
	if [ ! -d "$KSRC/.git" ]; then
		stage "kernel: extract $(dpkg-query -W -f='linux-source-6.12 ${Version}' linux-source-6.12 2>/dev/null)" extract
	fi
	echo "kernel source: $(make -s -C "$KSRC" kernelversion) ($(dpkg-query -W -f='Debian ${Version}' linux-source-6.12 2>/dev/null))"
	stage "kernel: apply kernel/patches/series" apply_series
	wire_hermes
	local k=kernel${VARIANT:+-$VARIANT}
	stage "$k: configure" configure
	stage "$k: build bzImage and modules" build
	[ -n "$VARIANT" ] || stage "kernel: build libbpf and bpftool" tools
}

exec 9> "$BUILD/.kernel.lock"
flock 9
main "$@"
