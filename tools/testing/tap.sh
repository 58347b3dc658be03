# SPDX-License-Identifier: GPL-2.0-only
# TAP for the host test scripts; sourced, not run.  The script sets n=0
# failed=0, calls ok once per case and prints its plan "1..$n" at the end.

# ok STATUS WHAT [DIAG-FILE]: "ok N - WHAT" when STATUS is 0, else the
# last lines of DIAG-FILE as TAP comments and "not ok N - WHAT"
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		[ -n "${3:-}" ] && [ -r "$3" ] && sed 's/^/# /' "$3" | tail -n 200
		echo "not ok $n - $2"
	fi
}
