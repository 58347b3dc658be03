#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run the bpf_conformance vectors through a plugin, one TAP line each.

usage: run-conformance.py PLUGIN VECTOR_DIR [--bench]

The expected r0 comes from each vector's "-- result" section, so the test
cannot pass unless the plugin computes it.  With --bench, prints the
plugin's cycle and instruction counts per vector instead of TAP.
"""
import glob
import os
import subprocess
import sys

# Opcodes the device does not implement, with the reason given on SKIP.
SKIP_OPS = {
    0x8d: "callx (call through a register) is not part of the Linux ISA",
    0x20: "LD_ABS", 0x28: "LD_ABS", 0x30: "LD_ABS",
    0x40: "LD_IND", 0x48: "LD_IND", 0x50: "LD_IND",
}


def parse(path):
    secs, cur = {}, None
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("-- "):
            cur = line[3:].strip()
            secs[cur] = []
        elif cur is not None:
            secs[cur].append(line)
    raw = [int(x.split("#")[0].strip(), 16) for x in secs.get("raw", []) if x.split("#")[0].strip()]
    mem = " ".join(x.strip() for x in secs.get("mem", []) if x.strip())
    res = [x.strip() for x in secs.get("result", []) if x.strip()]
    expect = int(res[0], 0) & (2**64 - 1) if res else None
    return raw, mem, expect


def skip_reason(raw):
    # Skip by opcode, but not the second slot of lddw (an immediate).
    i = 0
    while i < len(raw):
        op = raw[i] & 0xff
        if op in SKIP_OPS:
            why = SKIP_OPS[op]
            return why if op == 0x8d else \
                why + " legacy packet load: never in offloaded XDP programs"
        i += 2 if op == 0x18 else 1
    return None


def main():
    plugin, vdir = sys.argv[1], sys.argv[2]
    bench = "--bench" in sys.argv[3:]
    files = sorted(glob.glob(os.path.join(vdir, "*.data")))
    if not bench:
        print("1..%d" % len(files))
    env = dict(os.environ, HERMES_RTL_STATS="1")
    tot_c = tot_i = 0
    for n, path in enumerate(files, 1):
        name = os.path.basename(path)[:-5]
        raw, mem, expect = parse(path)
        why = skip_reason(raw)
        if why:
            if not bench:
                print("ok %d - conformance %s # SKIP %s" % (n, name, why))
            continue
        prog = " ".join("%02x" % (w >> (8 * b) & 0xff) for w in raw for b in range(8))
        args = [plugin] + ([mem] if mem else [])
        try:
            p = subprocess.run(args, input=prog, capture_output=True, text=True,
                               timeout=60, env=env)
        except subprocess.TimeoutExpired:
            print("not ok %d - conformance %s (timeout)" % (n, name))
            continue
        got = None
        if p.returncode == 0:
            try:
                got = int(p.stdout.strip(), 16)
            except ValueError:
                pass
        if bench:
            for line in p.stderr.splitlines():
                if line.startswith("cycles "):
                    f = line.split()
                    c, i = int(f[1]), int(f[3])
                    tot_c += c
                    tot_i += i
                    print("%-40s cycles %6d insns %6d CPI %.2f" % (name, c, i, c / max(i, 1)))
            continue
        if got is not None and got == expect:
            print("ok %d - conformance %s" % (n, name))
        else:
            err = p.stderr.strip().replace("\n", "; ")
            print("not ok %d - conformance %s: want %s, got %s %s" %
                  (n, name, hex(expect) if expect is not None else "?",
                   hex(got) if got is not None else "error", err))
    if bench:
        print("%-40s cycles %6d insns %6d CPI %.2f" % ("TOTAL conformance", tot_c, tot_i,
                                                       tot_c / max(tot_i, 1)))


if __name__ == "__main__":
    main()
