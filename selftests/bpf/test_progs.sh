#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The core series' test_progs tests (tools/testing/selftests/bpf in the
# patched tree, built by tools/testing/test-progs-build.sh and installed
# next to this script), reported as KTAP: one result per subtest, or per
# test for one without subtests.  test_progs' own output follows as
# comments; the exit status is test_progs'.
cd "$(dirname "$0")" || exit 1
TESTS=offload_test_run

if [ ! -x ./test_progs ]; then
	echo "1..1"
	echo "not ok 1 test_progs # test_progs not installed next to $0"
	exit 1
fi

log=$(mktemp)
./test_progs -t "$TESTS" > "$log" 2>&1
rc=$?
# "#12/3   test/subtest:OK" and "#12     test:OK" (or FAIL, SKIP, "OK (SKIP:
# n/m)"): a test's line follows those of its subtests.
awk '
/^#[0-9]+\/[0-9]+ +[^ ]+:(OK|FAIL|SKIP)/ {
	split($2, r, ":"); n++; res[n] = r[2]; name[n] = r[1]
	split(r[1], t, "/"); had_sub[t[1]] = 1
	next
}
/^#[0-9]+ +[^ ]+:(OK|FAIL|SKIP)/ {
	split($2, r, ":")
	if (!had_sub[r[1]]) { n++; res[n] = r[2]; name[n] = r[1] }
}
END {
	print "1.." n
	for (i = 1; i <= n; i++) {
		if (res[i] == "OK")
			print "ok " i " " name[i]
		else if (res[i] == "SKIP")
			print "ok " i " " name[i] " # SKIP see the test_progs log"
		else
			print "not ok " i " " name[i]
	}
}' "$log"
sed 's/^/# /' "$log"
rm -f "$log"
[ $rc -eq 0 ] || echo "# test_progs exited with $rc"
exit $rc
