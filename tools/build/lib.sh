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
