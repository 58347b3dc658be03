#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Host suite hermes-tools: `hermes run --dev none` (the user-space
# fallback: host verifier, driver-style translation, the device's engine)
# against filter-ref, the same filter in plain C, on generated data; the
# outputs that must never damage an input or a previous good output; the
# command line (JSON, version, errors); libhermes's API conventions.
# TAP on standard output.  HERMES, FILTER_REF and PROGS from mk/hermes-tools.mk.
set -uo pipefail
: "${HERMES:?}" "${FILTER_REF:?}" "${PROGS:?}"
SRC=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$SRC/../.." && pwd)
HT_OUT=$(cd "$(dirname "$HERMES")" && pwd)
BUILD=$(cd "$HT_OUT/../.." && pwd)
T=$(mktemp -d /tmp/hermes-tools.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0 failed=0

. "$(dirname "$0")/../testing/tap.sh"

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
# whole records before it are processed and streamed to standard output,
# but a file output is not replaced (see the data-loss cases below)
"$FILTER_REF" gen "$T/part.in" --record 64 --bytes 6400 --seed 7
head -c 6430 /dev/zero | tail -c 30 >> "$T/part.in"
"$HERMES" run "$PROGS/filter.bpf.o" --dev none --in "$T/part.in" \
	--out - --record 64 > "$T/part.out" 2> "$T/part.log"
rc=$?
[ $rc -eq 1 ] && grep -q "record 100: the input ends after 30 of its 64 bytes" "$T/part.log"
ok $? "fixed records: a trailing partial record is an error naming record 100 (status $rc)" "$T/part.log"
head -c 6400 "$T/part.in" > "$T/part.whole"
"$FILTER_REF" filter "$T/part.whole" "$T/part.ref" --record 64 &&
cmp "$T/part.out" "$T/part.ref" >> "$T/part.log" 2>&1
ok $? "fixed records, --out -: the whole records before it are streamed" "$T/part.log"

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
# a helper it cannot run: named as bpftool names it (reject_helper.bpf.c
# calls bpf_ktime_get_boot_ns, UAPI ID 125)
"$HERMES" run "$PROGS/reject_helper.bpf.o" --dev none --in "$T/fix64.in" \
	--out "$T/helper.out" --record 64 > "$T/helper.log" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "Error: .*insn [0-9]*: call to helper bpf_ktime_get_boot_ns (125) is not supported by the user-space fallback" "$T/helper.log"
ok $? "a helper the fallback lacks: refused, the helper named (status $rc)" "$T/helper.log"

# the command line
{ "$HERMES" --help | grep -q "COMMAND := { devices | run | bench | advise | explain | help }" &&
  "$HERMES" help run | grep -q -- "-r, --record SIZE" &&
  "$HERMES" help bench | grep -q -- "--plot FILE.png"; } > "$T/help.log" 2>&1
ok $? "hermes --help, hermes help run, hermes help bench" "$T/help.log"
# every option run and devices take, as main.c declares them, in the help
python3 - "$SRC/main.c" "$HERMES" <<'EOF' > "$T/helpopts.log" 2>&1
import re, subprocess, sys
src = open(sys.argv[1]).read()
for cmd in ("run", "devices"):
    body = src[src.index("static int do_%s(" % cmd):]
    lopts = body[:body.index("{}")]
    shorts = re.search(r'getopt_long\(argc, argv, "([^"]*)"', body).group(1)
    text = subprocess.run([sys.argv[2], "help", cmd], stdout=subprocess.PIPE,
                          universal_newlines=True).stdout
    for name, c in re.findall(r'\{ "([a-z]+)", \w+, NULL, \'(.)\' \}', lopts):
        want = ("-%s, --%s" % (c, name)) if c in shorts else "--" + name
        if name == "help":
            continue
        print(cmd, want)
        assert want in text, "hermes help %s lacks %s" % (cmd, want)
EOF
ok $? "hermes help run and help devices: every option main.c declares" "$T/helpopts.log"
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
"$HERMES" bench --dev none --progs "$PROGS" --programs $CORPUS --mib 1 --runs 1 \
	--sizes 14,64,1500,3520 > "$T/bench.log" 2>&1
rc=$?
[ $rc -eq 0 ] && [ "$(grep -c "= host" "$T/bench.log")" -eq 80 ] &&
	! grep -q DIFFERS "$T/bench.log"
ok $? "hermes bench: fallback (file, in memory) = host kernel per record, 10 programs, 4 sizes (status $rc)" "$T/bench.log"

######## no lost data: outputs never damage an input or a good output

# sums FILE...: their sha256, "missing" for a missing one
sums() {
	local f
	for f in "$@"; do
		if [ -e "$f" ]; then sha256sum < "$f"; else echo missing; fi
	done
}

# others DIR KNOWN...: the names in DIR other than KNOWN (temporaries left)
others() {
	local d=$1
	shift
	(cd "$d" && ls -A) | grep -vxF -f <(printf '%s\n' "$@")
}

D=$T/dl
mkdir -p "$D"
"$FILTER_REF" gen "$D/data" --record 64 --bytes 640000 --seed 11
"$FILTER_REF" filter "$D/data" "$D/data.ref" --record 64
cp "$PROGS/filter.bpf.o" "$D/prog.o"
ln -s data "$D/data.sym"
ln "$D/data" "$D/data.hard"
before=$(sums "$D/data" "$D/prog.o")

# refused NAME WANT HERMES-ARGS...: exit 1 with the message WANT, every
# input intact, no file left behind
refused() {
	local name=$1 want=$2 rc
	shift 2
	"$HERMES" run "$D/prog.o" --dev none --record 64 "$@" \
		> "$T/$name.log" 2>&1
	rc=$?
	echo "status $rc" >> "$T/$name.log"
	[ $rc -eq 1 ] && grep -qF -- "$want" "$T/$name.log" &&
	[ "$(sums "$D/data" "$D/prog.o")" = "$before" ] &&
	! others "$D" data data.ref prog.o data.sym data.hard >> "$T/$name.log"
}

refused same "Error: --out $D/data is the input (--in $D/data): refusing to overwrite it" \
	-i "$D/data" -o "$D/data"
ok $? "--out the same file as --in: refused, the input intact" "$T/same.log"
refused sym "Error: --out $D/data.sym is the input" -i "$D/data" -o "$D/data.sym"
ok $? "--out a symbolic link to --in: refused, the input intact" "$T/sym.log"
refused hard "Error: --out $D/data.hard is the input" -i "$D/data" -o "$D/data.hard"
ok $? "--out a hard link to --in: refused, the input intact" "$T/hard.log"
refused procfd "Error: --out /proc/self/fd/7 is the input" -i "$D/data" \
	-o /proc/self/fd/7 7< "$D/data"
ok $? "--out /proc/self/fd/N open on --in: refused, the input intact" "$T/procfd.log"
refused stdin "Error: --out $D/data is the input (--in -)" -i - -o "$D/data" < "$D/data"
ok $? "--in - redirected from --out: refused, the input intact" "$T/stdin.log"
timeout 60 "$HERMES" run "$D/prog.o" --dev none -r 64 -i "$D/data" -o - \
	>> "$D/data" 2> "$T/append.log"
rc=$?
[ $rc -eq 1 ] && grep -qF "Error: --out - is the input (--in $D/data)" "$T/append.log" &&
[ "$(sums "$D/data" "$D/prog.o")" = "$before" ]
ok $? "--out - appended to --in: refused, the input intact (status $rc)" "$T/append.log"
# /dev/stdout that the shell appends to a file: the file keeps its lines
# and gets the output after them (written through, never replaced)
echo "an earlier line" > "$T/log.out"
timeout 60 "$HERMES" -q run "$D/prog.o" --dev none -r 64 -i "$D/data" \
	-o /dev/stdout >> "$T/log.out" 2> "$T/devstdout.log"
rc=$?
{ echo "an earlier line"; cat "$D/data.ref"; } | cmp - "$T/log.out" >> "$T/devstdout.log" 2>&1 &&
[ $rc -eq 0 ]
ok $? "--out /dev/stdout appended to a file: its lines kept, the output after them (status $rc)" "$T/devstdout.log"
echo "an earlier line" > "$T/err.out"
timeout 60 "$HERMES" run "$D/prog.o" --dev none -r 64 -i "$D/data" \
	-o "$T/err.out" 2>> "$T/err.out"
rc=$?
[ $rc -eq 1 ] && [ "$(head -n 1 "$T/err.out")" = "an earlier line" ] &&
grep -qF "is the file standard error goes to" "$T/err.out"
ok $? "--out the file standard error appends to: refused, its lines kept (status $rc)" "$T/err.out"
refused res "Error: --results $D/data.sym is the input" -i "$D/data" \
	-o "$D/new.out" -R "$D/data.sym"
ok $? "--results the same file as --in: refused, the input intact" "$T/res.log"
refused obj "Error: --out $D/prog.o is the program object $D/prog.o" \
	-i "$D/data" -o "$D/prog.o"
ok $? "--out the program object: refused, the object intact" "$T/obj.log"
refused resobj "Error: --results $D/prog.o is the program object" \
	-i "$D/data" -o "$D/new.out" --results "$D/prog.o"
ok $? "--results the program object: refused, the object intact" "$T/resobj.log"
refused outres "Error: --results $D/x.out is also --out $D/../dl/x.out" \
	-i "$D/data" -o "$D/../dl/x.out" -R "$D/x.out"
ok $? "--out and --results the same new file by two names: refused" "$T/outres.log"

# A previous good output survives every failed run
"$HERMES" run "$D/prog.o" --dev none -r 64 -i "$D/data" -o "$D/good" \
	-R "$D/good.res" > "$T/good.log" 2>&1 &&
cmp "$D/good" "$D/data.ref" >> "$T/good.log" 2>&1 &&
[ "$(stat -c %s "$D/good.res")" -eq 160000 ]
ok $? "short options -i -o -r -R: output = plain C filter, 16 result bytes a record" "$T/good.log"
good=$(sums "$D/good" "$D/good.res")
known=(data data.ref prog.o data.sym data.hard good good.res)

# kept NAME HERMES-ARGS...: a run that fails leaves good, good.res and
# the inputs as they were and no other file; $rc is its status
kept() {
	local name=$1
	shift
	"$HERMES" run "$@" > "$T/$name.log" 2>&1
	rc=$?
	echo "status $rc" >> "$T/$name.log"
	[ "$(sums "$D/good" "$D/good.res")" = "$good" ] &&
	[ "$(sums "$D/data" "$D/prog.o")" = "$before" ] &&
	! others "$D" "${known[@]}" >> "$T/$name.log"
}

head -c 320000 "$D/data" > "$D/data.part"
printf 'partial' >> "$D/data.part"
known+=(data.part)
kept framing "$D/prog.o" --dev none -r 64 -i "$D/data.part" -o "$D/good" -R "$D/good.res" &&
[ $rc -eq 1 ] && grep -q "the input ends after 7 of its 64 bytes" "$T/framing.log"
ok $? "a framing error (exit 1): the previous output and results intact, no temporary left" "$T/framing.log"
kept noprog "$D/missing.o" --dev none -r 64 -i "$D/data" -o "$D/good" -R "$D/good.res" &&
[ $rc -eq 1 ] && grep -q "Error: $D/missing.o: No such file or directory" "$T/noprog.log"
ok $? "a missing program: the previous output intact, no temporary left" "$T/noprog.log"
kept maps "$PROGS/count_map.bpf.o" --dev none -r 64 -i "$D/data" -o "$D/good" -R "$D/good.res" &&
[ $rc -eq 1 ] && grep -q "uses maps" "$T/maps.log"
ok $? "a program the fallback refuses: the previous output intact" "$T/maps.log"
kept noin "$D/prog.o" --dev none -r 64 -i "$D/missing.in" -o "$D/good" &&
[ $rc -eq 1 ] && grep -q "Error: $D/missing.in: No such file or directory" "$T/noin.log"
ok $? "a missing input: the previous output intact" "$T/noin.log"

# A complete run replaces the output through a symbolic link, keeping
# the link, and keeps the old file's mode; a new file gets 0644 less umask
ln -s good "$D/good.sym"
chmod 600 "$D/good"
known+=(good.sym new)
( umask 027 && "$HERMES" run "$D/prog.o" --dev none -r 64 -i "$D/data" \
	-o "$D/good.sym" -R "$D/good.res" && "$HERMES" run "$D/prog.o" \
	--dev none -r 64 -i "$D/data" -o "$D/new" ) > "$T/link.log" 2>&1 &&
[ -L "$D/good.sym" ] && cmp "$D/good" "$D/data.ref" >> "$T/link.log" 2>&1 &&
[ "$(stat -c %a "$D/good")" = 600 ] && [ "$(stat -c %a "$D/new")" = 640 ] &&
cmp "$D/new" "$D/data.ref" >> "$T/link.log" 2>&1 &&
! others "$D" "${known[@]}" >> "$T/link.log"
ok $? "through a symbolic link: the target replaced, the link kept, mode 600 kept, a new file 640 under umask 027" "$T/link.log"
chmod 644 "$D/good"
good=$(sums "$D/good" "$D/good.res")

# --out - streams to standard output as before
"$HERMES" run "$D/prog.o" --dev none -r 64 -i "$D/data" -o - \
	> "$T/stdout.out" 2> "$T/stdout.log" &&
cmp "$T/stdout.out" "$D/data.ref" >> "$T/stdout.log" 2>&1
ok $? "--out -: the records on standard output" "$T/stdout.log"

# A fault (exit 3) replaces the output with every record before it
"$FILTER_REF" gen "$D/loop" --record 100 --bytes 200000 --seed 12 --mark 1234
cp "$D/data" "$D/loop.out"
known+=(loop loop.out)
"$HERMES" run "$PROGS/loopy.bpf.o" --dev none -r 100 -b 5000 -i "$D/loop" \
	-o "$D/loop.out" > "$T/fault.log" 2>&1
rc=$?
[ $rc -eq 3 ] && head -c 123400 "$D/loop" | cmp - "$D/loop.out" >> "$T/fault.log" 2>&1 &&
! others "$D" "${known[@]}" >> "$T/fault.log"
ok $? "a fault (exit 3): the output replaced by exactly the records before it (status $rc)" "$T/fault.log"

# Ctrl-C in the middle of a run: exit 130, the input and the previous
# output and results intact, no temporary left.  The input comes through
# a pipe, copies of data with pauses, so that the run lasts until the
# signal, which comes once the output's temporary has records.
# tmp_size PID: bytes in the output's temporary (an fd of PID under $D)
tmp_size() {
	local fd l
	for fd in /proc/"$1"/fd/*; do
		l=$(readlink "$fd" 2>/dev/null) || continue
		case "$l" in
		"$D"/*deleted*|"$D"/.good.*)
			stat -L -c %s "$fd" 2>/dev/null && return ;;
		esac
	done
	echo 0
}
# sigint_run NAME NSIGNALS: start a run, signal it, wait for it
sigint_run() {
	local pid i sz=0
	(while cat "$D/data"; do sleep 0.05; done) 2>/dev/null |
		"$HERMES" run "$D/prog.o" --dev none -r 64 -Q 4 -B 65536 \
		-i - -o "$D/good" -R "$D/good.res" > "$T/$1.log" 2>&1 &
	pid=$!
	for i in $(seq 300); do
		sz=$(tmp_size $pid)
		[ "$sz" -gt 0 ] && break
		sleep 0.1
	done
	for i in $(seq "$2"); do
		kill -INT $pid
	done
	wait $pid
	rc=$?
	{ echo "output temporary: $sz bytes before the signal"
	  echo "status $rc"; } > "$T/$1.diag"
	cat "$T/$1.diag" >> "$T/$1.log"
	[ "$sz" -gt 0 ] &&
	[ "$(sums "$D/good" "$D/good.res")" = "$good" ] &&
	[ "$(sums "$D/data" "$D/prog.o")" = "$before" ] &&
	! others "$D" "${known[@]}" >> "$T/$1.log"
}
sigint_run sigint 1 && [ $rc -eq 130 ] &&
grep -q "hermes: interrupted: the outputs are left as they were" "$T/sigint.log"
ok $? "SIGINT during a run: exit 130, input, previous output and results intact, no temporary" "$T/sigint.log"
sigint_run sigint2 2 && [ $rc -eq 130 ]
ok $? "two SIGINTs: exit 130, the same" "$T/sigint2.log"

######## the command line

"$HERMES" -V > "$T/version.log" 2>&1 &&
grep -qx "hermes v[0-9][0-9.]*" "$T/version.log" &&
grep -qx "using libbpf v[0-9][0-9.]*" "$T/version.log" &&
"$HERMES" --version -j | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["version"] and d["libbpf_version"].startswith("v"), d' >> "$T/version.log" 2>&1
ok $? "hermes -V: hermes and libbpf versions; with -j as JSON" "$T/version.log"

# JSON: devices (none on the host: an empty array) and the run summary
{ [ -z "$(ls /dev/hermes[0-9]* 2>/dev/null)" ] &&
  "$HERMES" -j devices | python3 -m json.tool &&
  [ "$("$HERMES" devices -j)" = "[]" ] &&
  [ "$("$HERMES" devices)" = "no Hermes device" ]; } > "$T/jdev.log" 2>&1
ok $? "hermes -j devices: valid JSON, [] with no device" "$T/jdev.log"
"$HERMES" -p run "$D/prog.o" --dev none -r 64 -i "$D/data" -o "$T/j.out" \
	> "$T/j.json" 2> "$T/jrun.log" &&
python3 - "$T/j.json" "$D/data" "$D/data.ref" <<'EOF' >> "$T/jrun.log" 2>&1
import json, os, sys
text = open(sys.argv[1]).read()
d = json.loads(text)
assert '\n    "records_in": ' in text, "not indented"
assert d["status"] == "done" and d["device"] == "none", d
assert d["submit"] == "fallback" and d["output_written"], d
assert d["records_in"] == os.path.getsize(sys.argv[2]) // 64, d
assert d["bytes_out"] == os.path.getsize(sys.argv[3]), d
EOF
ok $? "hermes -p run: the summary as indented JSON, its counts the files'" "$T/jrun.log"
"$HERMES" run -j "$PROGS/loopy.bpf.o" --dev none -r 100 -b 5000 -i "$D/loop" \
	-o - > "$T/jf.out" 2> "$T/jf.json"
rc=$?
python3 - "$T/jf.json" <<'EOF' > "$T/jf.log" 2>&1 &&
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "fault" and d["fault"]["record"] == 1234, d
assert d["fault"]["kind"] == "instruction budget exhausted", d
EOF
[ $rc -eq 3 ] && head -c 123400 "$D/loop" | cmp - "$T/jf.out" >> "$T/jf.log" 2>&1
ok $? "hermes run -j --out -: the records on standard output, the JSON summary (a fault) on standard error" "$T/jf.log"
"$HERMES" -j run "$D/missing.o" --dev none -r 64 -i "$D/data" -o "$T/x" \
	> "$T/jerr.json" 2> "$T/jerr.log"
rc=$?
[ $rc -eq 1 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d == {"error": sys.argv[2] + ": No such file or directory"}, d' \
	"$T/jerr.json" "$D/missing.o" >> "$T/jerr.log" 2>&1
ok $? "hermes -j run with an error: {\"error\": ...} on standard output, as bpftool" "$T/jerr.log"

# A program that is not XDP: refused by its section, before any load
clang -O2 --target=bpf -c "$SRC/tests/kprobe.bpf.c" -o "$T/kprobe.bpf.o" \
	> "$T/kprobe.log" 2>&1 &&
"$HERMES" run "$T/kprobe.bpf.o" --dev none -r 64 -i "$D/data" \
	-o "$T/x" >> "$T/kprobe.log" 2>&1
rc=$?
[ $rc -eq 1 ] && [ "$(cat "$T/kprobe.log")" = \
	"Error: $T/kprobe.bpf.o: section 'kprobe/do_nanosleep' is not an XDP program" ]
ok $? "a kprobe object: exactly \"Error: PROG: section 'kprobe/do_nanosleep' is not an XDP program\" (status $rc)" "$T/kprobe.log"

# A program the verifier rejects: the reason and the verifier's log,
# none of libbpf's own messages
clang -O2 --target=bpf -c "$SRC/tests/unchecked.bpf.c" -o "$T/unchecked.bpf.o" \
	> "$T/vlog.log" 2>&1 &&
"$HERMES" run "$T/unchecked.bpf.o" --dev none -r 64 -i "$D/data" \
	-o "$T/x" >> "$T/vlog.log" 2>&1
rc=$?
[ $rc -eq 1 ] && [ "$(head -2 "$T/vlog.log")" = "Error: $T/unchecked.bpf.o: the host kernel's verifier rejects program unchecked: Permission denied
verifier log:" ] && grep -q "^invalid access to packet" "$T/vlog.log" &&
! grep -q "libbpf" "$T/vlog.log"
ok $? "a program the verifier rejects: the reason, then the verifier's log, no libbpf noise (status $rc)" "$T/vlog.log"

# The input is opened before the program is loaded: a missing input with
# a program the fallback would refuse names the input
"$HERMES" run "$PROGS/count_map.bpf.o" --dev none -r 64 -i "$D/missing.in" \
	-o "$T/x" > "$T/order.log" 2>&1
rc=$?
[ $rc -eq 1 ] && [ "$(cat "$T/order.log")" = "Error: $D/missing.in: No such file or directory" ]
ok $? "a missing input fails before the program is loaded (status $rc)" "$T/order.log"

# libbpf's errors translated, its messages only with -d
cp "$SRC/test-host.sh" "$T/notelf.o"
"$HERMES" run "$T/notelf.o" --dev none -r 64 -i "$D/data" -o "$T/x" > "$T/notelf.log" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "^Error: $T/notelf.o: cannot open the BPF object: " "$T/notelf.log" &&
! grep -q "Unknown error" "$T/notelf.log" && ! grep -q "libbpf" "$T/notelf.log"
ok $? "not an ELF object: libbpf's reason, no \"Unknown error\", no libbpf noise (status $rc)" "$T/notelf.log"
"$HERMES" -d run "$T/notelf.o" --dev none -r 64 -i "$D/data" -o "$T/x" > "$T/notelfd.log" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "^libbpf: " "$T/notelfd.log"
ok $? "with -d: libbpf's messages on standard error" "$T/notelfd.log"

# A named device that is not there says why
if grep -q '^hermes ' /proc/modules 2>/dev/null || [ -e /sys/module/hermes ]; then
	want="Error: hermes999: no such device"
else
	want="Error: hermes999: the hermes module is not loaded (modprobe hermes)"
fi
"$HERMES" run "$D/prog.o" --dev hermes999 -r 64 -i "$D/data" -o "$T/x" > "$T/nodev.log" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -qF -- "$want" "$T/nodev.log"
ok $? "--dev hermes999: \"$want\"" "$T/nodev.log"

# The progress bar (standard error a terminal) ends at 100%
script -qec "'$HERMES' run '$D/prog.o' --dev none -r 64 -i '$D/data' -o '$T/x'" \
	/dev/null > "$T/bar.log" 2>&1
tr '\r' '\n' < "$T/bar.log" | grep -q '^\[#\{30\}\] 100% 10000 records'
ok $? "the progress bar's last frame: 100%, every record" "$T/bar.log"

# -q: nothing but errors
"$HERMES" -q run "$D/prog.o" --dev none -r 64 -i "$D/data" -o "$T/x" > "$T/quiet.log" 2>&1 &&
[ ! -s "$T/quiet.log" ]
ok $? "hermes -q run: no output" "$T/quiet.log"

######## libhermes's API conventions (errno, opts->sz, res_fd 0)
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -I"$TOP/tools/lib/hermes" \
	-I"$TOP/include/uapi" -I"$BUILD/tools/include" -I"$BUILD/headers/include" \
	-o "$T/opts" "$SRC/tests/opts.c" "$HT_OUT/libhermes.a" \
	"$BUILD/tools/libbpf/libbpf.a" -luring -lelf -lz -pthread > "$T/opts.log" 2>&1 &&
"$T/opts" "$PROGS/pass.bpf.o" 2>> "$T/opts.log" | sed 's/^/# /'
ok $? "libhermes: errno, option sizes, res_fd 0 (the cases above)" "$T/opts.log"

######## hermes advise: the model's arithmetic with given figures
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$T/advise-model" \
	"$SRC/tests/advise-model.c" -lm > "$T/advise-model.log" 2>&1 &&
"$T/advise-model" >> "$T/advise-model.log" 2>&1
ok $? "hermes advise: batch sizes, the latency and bandwidth fit, the time per record (figures worked out by hand)" "$T/advise-model.log"

# hermes advise --dev none: the host's JIT and the engine's count
"$HERMES" -j advise "$PROGS/filter.bpf.o" --record 64 --dev none --mib 1 \
	--runs 1 > "$T/advise.json" 2> "$T/advise.log"
rc=$?
python3 - "$T/advise.json" <<'EOF' >> "$T/advise.log" 2>&1
import json, sys
a = json.load(open(sys.argv[1]))
f = a["figures"]
assert a["device"] == "none" and a["record"] == 64, a
assert f["host_ns_per_run"]["value"] > 0, f
assert f["insns_per_record"]["value"] == f["insns_per_record_engine"]["value"] > 0, f
model = [p for p in a["predictions"] if p["target"] == "model"][0]
assert "not_possible" in model, model
assert a["verdict"]["target"] in ("host", "f1"), a["verdict"]
EOF
py=$?
[ $rc -eq 0 ] && [ $py -eq 0 ]
ok $? "hermes -j advise --dev none: host JIT and engine figures, no model (status $rc)" "$T/advise.log"

# Records longer than the linear part of this kernel's XDP test run (3520
# bytes on x86-64): the host would run csum on part of the record, so
# bench and advise say so instead of comparing different work.
"$HERMES" bench --dev none --paths jit,fallback --programs csum \
	--sizes 3000,4096 --mib 1 --runs 1 > "$T/linear.log" 2>&1
rc=$?
[ $rc -eq 0 ] &&
grep -q "^# csum 4096: jit: .*XDP test run shows fewer than 4096 linear bytes" "$T/linear.log" &&
grep -Eq "^csum +3000 .* jit .* reference$" "$T/linear.log" &&
! grep -Eq "^csum +4096 .* jit " "$T/linear.log" &&
! grep -q "DIFFERS" "$T/linear.log"
ok $? "bench: no host row or check for records the XDP test run shows in part (status $rc)" "$T/linear.log"
"$HERMES" -j advise "$PROGS/csum.bpf.o" --record 4096 --dev none --mib 1 \
	--runs 1 > "$T/advise4k.json" 2> "$T/advise4k.log"
rc=$?
python3 - "$T/advise4k.json" <<'EOF' >> "$T/advise4k.log" 2>&1
import json, sys
a = json.load(open(sys.argv[1]))
host = [p for p in a["predictions"] if p["target"] == "host"][0]
assert "host_ns_per_run" not in a["figures"], a["figures"]
assert "fewer than 4096 linear bytes" in host["not_possible"], host
EOF
py=$?
[ $rc -eq 0 ] && [ $py -eq 0 ]
ok $? "advise --record 4096: no host figure for work the kernel shows in part (status $rc)" "$T/advise4k.log"

echo "1..$n"
[ $failed -eq 0 ]

