#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The core series' test_progs tests (tools/testing/selftests/bpf in the
# patched tree, built by tools/testing/test-progs-build.sh and installed
# next to this script), reported as KTAP: one result per subtest, or per
# test for one without subtests.  test_progs' own output follows as
# comments; the exit status is test_progs' (4, kselftest's skip, when
# every result is a skip).
cd "$(dirname "$0")" || exit 1
TESTS=offload_test_run

if [ ! -x ./test_progs ]; then
	echo "1..1"
	echo "not ok 1 test_progs # test_progs not installed next to $0"
	exit 1
fi

log=$(mktemp)
# line-buffered: what a crash or a timeout cuts short is still in the log
stdbuf -oL ./test_progs -t "$TESTS" > "$log" 2>&1
rc=$?
# "#12/3   test/subtest:OK" and "#12     test:OK" (or FAIL, SKIP, "OK (SKIP:
# n/m)"): a test's line follows those of its subtests.  A test that
# failed outside its subtests, or a run that failed with no result
# failing (a crash), gets a result of its own.
awk -v rc=$rc '
/^#[0-9]+\/[0-9]+ +[^ ]+:(OK|FAIL|SKIP)/ {
	split($2, r, ":"); n++; res[n] = r[2]; name[n] = r[1]
	split(r[1], t, "/"); subs[t[1]]++
	if (r[2] == "FAIL") { subfail[t[1]] = 1; fails++ }
	next
}
/^#[0-9]+ +[^ ]+:(OK|FAIL|SKIP)/ {
	split($2, r, ":")
	if (!subs[r[1]] || (r[2] == "FAIL" && !subfail[r[1]])) {
		n++; res[n] = r[2]; name[n] = r[1]
		if (r[2] == "FAIL") fails++
	}
}
END {
	if (rc != 0 && !fails) { n++; res[n] = "FAIL"; name[n] = "test_progs exit " rc }
	print "1.." n
	for (i = 1; i <= n; i++) {
		if (res[i] == "OK")
			print "ok " i " " name[i]
		else if (res[i] == "SKIP")
			print "ok " i " " name[i] " # SKIP see the test_progs log"
		else
			print "not ok " i " " name[i]
		if (res[i] == "SKIP") skips++
	}
	exit (n && skips == n) ? 4 : 0
}' "$log"
all_skipped=$?
sed 's/^/# /' "$log"
rm -f "$log"
[ $rc -eq 0 ] || echo "# test_progs exited with $rc"
[ $rc -eq 0 ] && [ $all_skipped -eq 4 ] && exit 4
exit $rc
