#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install the Debian packages listed in tools/build/packages.txt that are
# missing, and make sure apt has a deb-src entry for `apt-get source qemu`.
#   deps.sh            both
#   deps.sh --deb-src  only the deb-src entry
set -euo pipefail
. "$(dirname "$0")/lib.sh"

LIST=$TOP/tools/build/packages.txt
SRC_LIST=/etc/apt/sources.list.d/hermes-deb-src.sources

need_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	echo "error: $1; run as root: sudo $2" >&2
	exit 1
}

have_deb_src() {
	grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/
}

deb_src() {
	have_deb_src && return 0
	need_root "no deb-src entry for 'apt-get source qemu'" "make deps"
	# Mirror the binary entries of this machine, as deb-src.
	local suite sec=
	. /etc/os-release
	suite=${VERSION_CODENAME:-bookworm}
	grep -rqs 'debian-security' /etc/apt/sources.list /etc/apt/sources.list.d/ && sec=1
	{
		printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\n'
		printf 'Suites: %s %s-updates\nComponents: main\n' "$suite" "$suite"
		printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
		if [ -n "$sec" ]; then
			printf '\nTypes: deb-src\nURIs: http://deb.debian.org/debian-security\n'
			printf 'Suites: %s-security\nComponents: main\n' "$suite"
			printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
		fi
	} > "$SRC_LIST"
	echo "added $SRC_LIST"
	apt-get update -qq
}

packages() {
	local wanted missing
	wanted=$(grep -v -e '^#' -e '^$' "$LIST" | sort -u)
	# One dpkg-query for the whole list; unknown packages print nothing.
	missing=$(comm -23 <(echo "$wanted") \
		<(dpkg-query -W -f='${Package} ${Status}\n' $wanted 2>/dev/null |
		  awk '$NF == "installed" { print $1 }' | sort -u))
	if [ -z "$missing" ]; then
		echo "all $(grep -cv -e '^#' -e '^$' "$LIST") packages present"
		return 0
	fi
	need_root "missing packages: $(echo $missing)" "apt-get install -y $(echo $missing)"
	echo "installing: $(echo $missing)"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing \
		> "$BUILD/apt.log" 2>&1 ||
		{ tail -20 "$BUILD/apt.log"; die "apt-get install failed (log: $BUILD/apt.log)"; }
}

mkdir -p "$BUILD"
case "${1:-}" in
--deb-src) deb_src ;;
*) stage "deps: Debian packages" packages; deb_src ;;
esac
