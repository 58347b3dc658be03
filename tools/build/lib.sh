# SPDX-License-Identifier: GPL-2.0-only
# Shared helpers for the Hermes build scripts; sourced, not run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
JOBS=${JOBS:-$(nproc)}
# Cache hits across clones in different directories (CI clones afresh).
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$TOP}

die() {
	echo "error: $*" >&2
	exit 1
}

# stage NAME CMD...: run one build stage, print its name and elapsed time.
stage() {
	local name=$1 start rc
	shift
	start=$(date +%s.%N)
	echo "==> $name"
	"$@"
	rc=$?
	printf '<== %s: %.1f s%s\n' "$name" \
		"$(echo "$(date +%s.%N) - $start" | bc)" \
		"$([ $rc -eq 0 ] || echo " (FAILED, exit $rc)")"
	return $rc
}

# hash_of FILES...: a content hash used to decide whether a stage must rerun.
hash_of() {
	cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1
}

# git_b DIR ARGS...: git in DIR as the build's committer.
git_b() {
	local d=$1
	shift
	git -C "$d" -c gc.auto=0 -c user.name="Hermes build" \
		-c user.email=build@hermes.invalid "$@"
}

# apply_patches TREE FOUND BASE PATCH...: apply each PATCH in turn to the
# git work tree TREE, whose tag "pristine" is the unpatched source FOUND
# (e.g. "linux-source-6.12 6.12.118-1~deb12u1"); BASE is the source the
# patches were made against.  A patch in mail form (git format-patch) is
# committed with `git am -3`, a plain diff goes to the index and the work
# tree with `git apply -3`.  Both try the patch as it is first (a hunk may
# move: offsets are fine, fuzz is not), then a 3-way merge, which needs
# the blobs named on the patch's "index" lines: the repository has them
# when it holds BASE, now or as an earlier pristine (kernel.sh imports a
# new linux-source on top of the old one for that reason).
#
# On the first patch that does not apply: one message naming it, FOUND
# and BASE, with git's reason; the am is aborted and TREE reset to
# pristine with no untracked file left, so that the next run starts from
# a clean tree; status 1.
apply_patches() {
	local tree=$1 found=$2 base=$3 p log
	shift 3
	log=$(mktemp)
	for p in "$@"; do
		if [ "$(head -c 5 "$p")" = "From " ]; then
			git_b "$tree" am -3 --whitespace=nowarn "$p" > "$log" 2>&1 &&
				continue
			# am -3 keeps quiet about the hunks that did not apply
			# as they are: ask git apply, on the tree the patch met.
			git_b "$tree" am --abort > /dev/null 2>&1 || true
			git_b "$tree" apply --check "$p" >> "$log" 2>&1 || true
		else
			git_b "$tree" apply -3 --whitespace=nowarn "$p" > "$log" 2>&1 &&
				continue
		fi
		{
			echo "error: ${p#"$TOP/"} no longer applies to $found"
			if [ "$found" = "$base" ]; then
				echo "  (the version the series was made against: the patch itself is wrong)"
			else
				echo "  (the series was made against $base)"
			fi
			sed "s/^Applied patch to '\(.*\)' with conflicts\.\$/CONFLICT (content): Merge conflict in \1/" "$log" |
				grep -E '^(error|CONFLICT|fatal)' |
				grep -v -e 'Failed to merge in the changes' \
					-e 'could not build fake ancestor' \
					-e 'sha1 information is lacking' \
					-e 'lacks the necessary blob' | sed 's/^/  /' || true
			if grep -q -e 'lacks the necessary blob' \
				-e 'sha1 information is lacking' "$log"; then
				echo "  no 3-way merge: this repository lacks the files the patch was made from ($base)"
			fi
			echo "  Rebase the series on $found; $tree is back at pristine."
		} >&2
		rm -f "$log"
		git_b "$tree" am --abort > /dev/null 2>&1 || true
		git_b "$tree" reset -q --hard pristine
		git_b "$tree" clean -qfdx
		return 1
	done
	rm -f "$log"
}

# qemu_configure SRC OUT: configure the QEMU tree SRC for a build in OUT
# (both absolute), unless OUT is configured so already; OUT/configure.log
# keeps configure's output.  tools/build/qemu.sh and the QEMU builds of
# tools/patches/check share these options, so that ccache gives one the
# objects the other compiled: compilers through ccache, and debug
# information relative to OUT, without which ccache keeps the builds of
# different directories apart (it hashes the directory for -g).
qemu_configure() {
	local src=$1 out=$2 opts want
	opts=(--cc="ccache gcc" --extra-cflags="-fdebug-prefix-map=$out=."
	      --target-list=x86_64-softmmu --without-default-features
	      --enable-tcg --enable-kvm
	      --enable-virtfs --enable-attr --enable-cap-ng
	      --enable-fdt=system
	      --disable-install-blobs --disable-docs --disable-werror)
	want=$(printf '%s\n' "$src" "${opts[@]}" | sha256sum | cut -d' ' -f1)
	if [ -f "$out/build.ninja" ]; then
		# Configured before the options were recorded: kept, so that
		# a QEMU in use is not removed under its users (make clean
		# reconfigures it).
		[ -f "$out/.hermes-configure" ] || return 0
		[ "$(cat "$out/.hermes-configure")" = "$want" ] && return 0
	fi
	rm -rf "$out"
	mkdir -p "$out"
	if ! (cd "$out" && "$src/configure" "${opts[@]}") > "$out/configure.log" 2>&1; then
		tail -30 "$out/configure.log"
		echo "error: QEMU configure failed (log: $out/configure.log)" >&2
		return 1
	fi
	echo "$want" > "$out/.hermes-configure"
}
