#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Host suite hermes-tools: `hermes run --dev none` (the user-space
# fallback: host verifier, driver-style translation, the device's engine)
# against filter-ref, the same filter in plain C, on generated data.
# TAP on standard output.  HERMES, FILTER_REF and PROGS from mk/hermes-tools.mk.
set -uo pipefail
: "${HERMES:?}" "${FILTER_REF:?}" "${PROGS:?}"
T=$(mktemp -d /tmp/hermes-tools.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0 failed=0

ok() {	# ok COND-STATUS WHAT [DIAG-FILE]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		[ -n "${3:-}" ] && [ -r "$3" ] && sed 's/^/# /' "$3"
		echo "not ok $n - $2"
	fi
}

# same_as_ref NAME RECORD GEN-ARGS [RUN-ARGS]: filter both ways, compare
same_as_ref() {
	local name=$1 rec=$2 gen=$3
	shift 3
	"$FILTER_REF" gen "$T/$name.in" --record "$rec" $gen &&
	"$FILTER_REF" filter "$T/$name.in" "$T/$name.ref" --record "$rec" &&
	"$HERMES" run "$PROGS/filter.bpf.o" --dev none --in "$T/$name.in" \
		--out "$T/$name.out" --record "$rec" --results "$T/$name.res" \
		"$@" > "$T/$name.log" 2>&1 &&
	cmp "$T/$name.out" "$T/$name.ref" >> "$T/$name.log" 2>&1
}

# check_results NAME RECORD: the result table against filter-ref's truth:
# one entry per record, r0 XDP_PASS exactly for the kept ones, lengths
# summing to the output, and every kind of record present
check_results() {
	python3 - "$T/$1.in" "$T/$1.res" "$T/$1.ref" "$2" <<'EOF' >> "$T/$1.log" 2>&1
import struct, sys
data = open(sys.argv[1], "rb").read()
res = open(sys.argv[2], "rb").read()
ref = open(sys.argv[3], "rb").read()
rec = sys.argv[4]
recs = []
if rec == "lenpfx":
    off = 0
    while off < len(data):
        (l,) = struct.unpack_from("<I", data, off)
        recs.append(data[off + 4:off + 4 + l])
        off += 4 + l
else:
    r = int(rec)
    recs = [data[i:i + r] for i in range(0, len(data), r)]
assert len(res) == 16 * len(recs), "%d result bytes for %d records" % (len(res), len(recs))
kinds = set()
total = 0
for k, d in enumerate(recs):
    r0, ln, fl = struct.unpack_from("<QII", res, 16 * k)
    kept = fl & 1
    assert kept == (r0 == 2), "record %d: r0 %d flags %d" % (k, r0, fl)
    want = None if d and d[0] & 3 == 0 else len(d)
    if d and d[0] & 3 == 3 and len(d) >= 2 and len(d) - ((d[1] & 31) + 1) >= 14:
        want = len(d) - ((d[1] & 31) + 1)
        kinds.add("shortened")
    kinds.add("dropped" if want is None else "kept")
    assert (want is None and not kept and ln == 0) or (kept and ln == want), \
        "record %d: kept %d len %d, want %s" % (k, kept, ln, want)
    if kept:
        total += ln + (4 if rec == "lenpfx" else 0)
assert total == len(ref), "lengths sum to %d, output %d" % (total, len(ref))
assert kinds == {"dropped", "kept", "shortened"}, kinds
EOF
}

echo "TAP version 13"
echo "1..21"

same_as_ref fix64 64 "--bytes 8000000 --seed 1"
ok $? "fixed 64-byte records: fallback output = plain C filter" "$T/fix64.log"
check_results fix64 64
ok $? "fixed 64-byte records: result table (dropped, kept, shortened)" "$T/fix64.log"

same_as_ref fix4k 4096 "--bytes 16777216 --seed 2"
ok $? "fixed 4 KiB records: fallback output = plain C filter" "$T/fix4k.log"

same_as_ref fix13 13 "--bytes 1300000 --seed 3"
ok $? "fixed 13-byte records (too short to shorten): output = plain C filter" "$T/fix13.log"

same_as_ref lpx lenpfx "--bytes 16000000 --seed 4"
ok $? "length-prefixed records 0-3000 bytes: output = plain C filter" "$T/lpx.log"
check_results lpx lenpfx
ok $? "length-prefixed records: result table" "$T/lpx.log"

same_as_ref lpxbig lenpfx "--bytes 8000000 --seed 5 --max-len 200000"
ok $? "length-prefixed records up to 200000 bytes: output = plain C filter" "$T/lpxbig.log"

same_as_ref fixsmall 100 "--bytes 3000000 --seed 6" --batch 1000
ok $? "fixed records, 1000-byte batches (many batches): same output" "$T/fixsmall.log"

for d in 1 16; do
	"$HERMES" run "$PROGS/filter.bpf.o" --dev none --in "$T/lpx.in" \
		--out "$T/lpx.d$d" --record lenpfx --depth $d --batch 65536 \
		> "$T/lpx.d$d.log" 2>&1 &&
	cmp "$T/lpx.d$d" "$T/lpx.ref" >> "$T/lpx.d$d.log" 2>&1
	ok $? "length-prefixed records, fallback at depth $d (threads), 64 KiB batches: same output" "$T/lpx.d$d.log"
done

same_as_ref lpxsmall lenpfx "--bytes 3000000 --seed 10" --batch 1000
ok $? "length-prefixed records, 1000-byte batches, records up to 3000 bytes: same output" "$T/lpxsmall.log"

# framing: a trailing partial record is an error naming the record; the
# whole records before it are processed
"$FILTER_REF" gen "$T/part.in" --record 64 --bytes 6400 --seed 7
head -c 6430 /dev/zero | tail -c 30 >> "$T/part.in"
"$HERMES" run "$PROGS/filter.bpf.o" --dev none --in "$T/part.in" \
	--out "$T/part.out" --record 64 > "$T/part.log" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "record 100: the input ends after 30 of its 64 bytes" "$T/part.log"
ok $? "fixed records: a trailing partial record is an error naming record 100 (status $rc)" "$T/part.log"
head -c 6400 "$T/part.in" > "$T/part.whole"
"$FILTER_REF" filter "$T/part.whole" "$T/part.ref" --record 64 &&
cmp "$T/part.out" "$T/part.ref" >> "$T/part.log" 2>&1
ok $? "fixed records: the whole records before it are in the output" "$T/part.log"

"$FILTER_REF" gen "$T/lpart.in" --record lenpfx --bytes 100000 --seed 8
printf '\x10\x00\x00\x00abc' >> "$T/lpart.in"
nrec=$(python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read(); o = k = 0
while o + 4 <= len(d) and o + 4 + struct.unpack_from("<I", d, o)[0] <= len(d):
    o += 4 + struct.unpack_from("<I", d, o)[0]; k += 1
print(k)' "$T/lpart.in")
"$HERMES" run "$PROGS/filter.bpf.o" --dev none --in "$T/lpart.in" \
	--out "$T/lpart.out" --record lenpfx > "$T/lpart.log" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "record $nrec: length prefix says 16 bytes, the input ends after 3" "$T/lpart.log"
ok $? "length-prefixed records: a truncated record is an error naming record $nrec" "$T/lpart.log"

# faults: loopy spins on the marked record; a small budget stops there
"$FILTER_REF" gen "$T/loop.in" --record 100 --bytes 2000000 --seed 9 --mark 12345
"$HERMES" run "$PROGS/loopy.bpf.o" --dev none --in "$T/loop.in" \
	--out "$T/loop.out" --record 100 --budget 5000 > "$T/loop.log" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q "Error: record 12345: instruction budget exhausted at instruction" "$T/loop.log"
ok $? "budget fault: exit 3, the message names record 12345 (status $rc)" "$T/loop.log"
head -c 1234500 "$T/loop.in" | cmp - "$T/loop.out" >> "$T/loop.log" 2>&1
ok $? "budget fault: the output holds exactly the records before it" "$T/loop.log"
"$HERMES" run "$PROGS/loopy.bpf.o" --dev none --in "$T/loop.in" \
	--out "$T/loop2.out" --record 100 > "$T/loop2.log" 2>&1 &&
cmp "$T/loop.in" "$T/loop2.out" >> "$T/loop2.log" 2>&1
ok $? "default budget: the marked record completes, every record kept" "$T/loop2.log"

# a program with a map: refused with a clear message
"$HERMES" run "$PROGS/count_map.bpf.o" --dev none --in "$T/fix64.in" \
	--out "$T/map.out" --record 64 > "$T/map.log" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "Error: .*uses maps, which the user-space fallback does not support" "$T/map.log"
ok $? "a program with maps: the fallback refuses it with a clear message" "$T/map.log"

# the command line
{ "$HERMES" --help | grep -q "COMMAND := { devices | run | bench | help }" &&
  "$HERMES" help run | grep -q -- "--record { SIZE | lenpfx }" &&
  "$HERMES" help bench | grep -q -- "--plot FILE.png"; } > "$T/help.log" 2>&1
ok $? "hermes --help, hermes help run, hermes help bench" "$T/help.log"
"$HERMES" run "$PROGS/filter.bpf.o" --in x > "$T/usage.log" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "Error: run needs PROG.o, --in, --out and --record" "$T/usage.log"
ok $? "hermes run without --out/--record: usage error, status 2" "$T/usage.log"

# hermes bench: the fallback, from a file and in memory in place
# (hermes_run_buffer), against the host kernel running the same objects
# once per record (BPF_PROG_TEST_RUN): the kept bytes and every record's
# XDP action; the driver selftests' corpus too (context loads, spills,
# adjust_head/tail), 14 to 3520-byte records; exit 4 if anything differs
CORPUS=pass,filter,ctxcall,xor,csum,histogram,search,parse,trim,walk
"$HERMES" bench --dev none --progs "$PROGS" --programs $CORPUS --mib 1 \
	--sizes 14,64,1500,3520 > "$T/bench.log" 2>&1
rc=$?
[ $rc -eq 0 ] && [ "$(grep -c "= host" "$T/bench.log")" -eq 80 ] &&
	! grep -q DIFFERS "$T/bench.log"
ok $? "hermes bench: fallback (file, in memory) = host kernel per record, 10 programs, 4 sizes (status $rc)" "$T/bench.log"

[ $failed -eq 0 ]
