#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Prepare, configure and build the Hermes VM kernel, its modules, libbpf
# and bpftool.  Every step is incremental: a warm run that finds nothing
# changed only runs kbuild, which then has nothing to do.
#
#   build/linux-src   Debian's linux-source-6.12, a git tree whose tag
#                     "pristine" is the unpatched source, with
#                     kernel/patches/series applied by `git am -3` and
#                     drivers/hermes wired in
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
# The linux-source-6.12 the series was made against (its "index" lines
# name blobs of that tree): update it when the series is rebased.
SERIES_BASE="linux-source-6.12 6.12.118-1~deb12u1"
# The one installed, and the one build/linux-src's pristine was made from.
SOURCE="linux-source-6.12 $(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)"
SOURCE_STAMP=$KSRC/.git/hermes-source
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

extract() {
	[ -r "$TARBALL" ] || die "$TARBALL missing: run 'make deps' (installs linux-source-6.12)"
	rm -rf "$KSRC" "$KSRC.tmp"
	mkdir -p "$KSRC.tmp"
	tar -C "$KSRC.tmp" --strip-components=1 -xf "$TARBALL"
	git -C "$KSRC.tmp" init -q
	git_b "$KSRC.tmp" add -A -f
	git_b "$KSRC.tmp" commit -q -m "Debian $SOURCE, pristine"
	git -C "$KSRC.tmp" tag pristine
	echo "$SOURCE" > "$KSRC.tmp/.git/hermes-source"
	mv "$KSRC.tmp" "$KSRC"
}

# Debian moved linux-source-6.12 to another point release: import it as
# a new pristine commit on top of the old one rather than starting over.
# The blobs the series was made against stay in the repository, so that
# `git am -3` can merge where a patch no longer applies as it is, and
# the next reset rewrites only the files that changed, so kbuild
# rebuilds only what depends on them.
update() {
	[ -r "$TARBALL" ] || die "$TARBALL missing: run 'make deps' (installs linux-source-6.12)"
	local new=$KSRC.new idx=$KSRC/.git/hermes-import.index tree commit
	rm -rf "$new" "$idx"
	mkdir -p "$new"
	tar -C "$new" --strip-components=1 -xf "$TARBALL"
	(cd "$new" && GIT_DIR=$KSRC/.git GIT_WORK_TREE=$new GIT_INDEX_FILE=$idx \
		git add -A -f) || die "cannot import $TARBALL into $KSRC"
	tree=$(GIT_INDEX_FILE=$idx git_b "$KSRC" write-tree)
	rm -rf "$new" "$idx"
	if [ "$tree" != "$(git_b "$KSRC" rev-parse 'pristine^{tree}')" ]; then
		commit=$(git_b "$KSRC" commit-tree -p pristine \
			-m "Debian $SOURCE, pristine" "$tree")
		git_b "$KSRC" tag -f pristine "$commit" > /dev/null
		rm -f "$KSRC/.hermes-series"
	fi
	echo "$SOURCE" > "$SOURCE_STAMP"
}

# Reset to pristine and apply the series whenever it or pristine changed;
# on a patch that does not apply, stop with the tree at pristine.
apply_series() {
	local want have p patches=()
	want="$(cd "$TOP/kernel/patches" && hash_of series $(grep -v '^#' series))
$(git_b "$KSRC" rev-parse pristine)"
	have=$(cat "$KSRC/.hermes-series" 2>/dev/null || true)
	# A stamp of one line predates the second: its pristine is the tree's.
	[ "$(echo "$have" | wc -l)" -eq 1 ] && have="$have
$(git_b "$KSRC" rev-parse pristine)"
	[ "$want" = "$have" ] && { echo "series unchanged"; return 0; }
	git_b "$KSRC" am --abort > /dev/null 2>&1 || true
	git_b "$KSRC" reset -q --hard pristine
	git_b "$KSRC" clean -qfdx
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		patches+=("$TOP/kernel/patches/$p")
	done < "$SERIES"
	apply_patches "$KSRC" "$SOURCE" "$SERIES_BASE" "${patches[@]}" || exit 1
	if [ "$SOURCE" = "$SERIES_BASE" ]; then
		echo "${#patches[@]} patches applied"
	else
		echo "${#patches[@]} patches applied to $SOURCE (made against $SERIES_BASE)"
	fi
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
		stage "kernel: extract $SOURCE" extract
	elif [ "$(cat "$SOURCE_STAMP" 2>/dev/null)" != "$SOURCE" ]; then
		stage "kernel: import $SOURCE over $(cat "$SOURCE_STAMP" 2>/dev/null ||
			echo "the source of $KSRC")" update
	fi
	echo "kernel source: $(make -s -C "$KSRC" kernelversion) (Debian $SOURCE)"
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
