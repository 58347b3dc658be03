#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The driver's KUnit tests (hermes_backend_test.ko: the backend a PCI
# identity gets, the engine and memory limits each backend refuses),
# reported as KTAP: one result per KUnit case, from the suite's results
# in debugfs; the suite's own log follows as comments.
SUITE=hermes_backend
RESULTS=/sys/kernel/debug/kunit/$SUITE/results

fail() {
	echo "1..1"
	echo "not ok 1 $SUITE # $1"
	exit 1
}

if ! modprobe hermes_backend_test 2>/tmp/kunit.err; then
	fail "modprobe hermes_backend_test: $(cat /tmp/kunit.err)"
fi
[ -r "$RESULTS" ] || fail "no $RESULTS (CONFIG_KUNIT_DEBUGFS?)"

# the cases are the suite's indented "ok N name" lines
awk '
/^ +(not )?ok [0-9]+ / {
	n++
	line[n] = $0
	sub(/^ +/, "", line[n])
	sub(/ok [0-9]+ /, "ok " n " ", line[n])
	if ($1 == "not") fails++
}
END {
	if (!n) { print "1..1"; print "not ok 1 no KUnit case ran"; exit 1 }
	print "1.." n
	for (i = 1; i <= n; i++)
		print line[i]
	exit fails ? 1 : 0
}' "$RESULTS"
rc=$?
sed 's/^/# /' "$RESULTS"
# rmmod: modprobe -r would unload hermes and xdma too when unused
rmmod hermes_backend_test
exit $rc
