#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Hermes benchmark, run inside the VM by `make bench`.

For each program of the selftest corpus and each input size: the time per
run of the program offloaded to a Hermes device (as the device measures
it, and end to end around the bpf() system call), beside the same object
run by the guest kernel's own BPF_PROG_TEST_RUN (JIT), with the ratio;
then the load time of an offloaded program against a host-only load.
r0 and the output bytes of every row are compared between Hermes and the
host; a mismatch fails the run.  When OBJDIR also holds hist_map.bpf.o, a
histogram into an array map runs with the map offloaded against the host
with a host map, and the two maps must end identical.

    bench.py OBJDIR [PROG...]   OBJDIR holds PROG.bpf.o, built on the host
                                (default programs: csum histogram search
                                parse xor walk)

Set in the guest's environment (e.g. by hand through `make vm`):
BENCH_SIZES (bytes), BENCH_TARGET_S (seconds per timed call, default
0.1), BENCH_LOADS (loads per program and kind, default 5).
"""

import ctypes
import json
import os
import platform
import random
import struct
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(TOP, "selftests", "drivers", "hermes"))
# pylint: disable=wrong-import-position
from hermes_lib import (BPF_PROG_TEST_RUN, ERRNO, NR_BPF, bpftool,  # noqa
                        have_hermes_pci, load_driver, obj_get, sys_bpf)
from offload import walk_model  # noqa

PROGS = ["csum", "histogram", "search", "parse", "xor", "walk"]
# 3520 is the largest input a host XDP test run takes in linear data on
# x86 (a page minus headroom and skb_shared_info): the largest size with
# the same result on both sides.
SIZES = [int(s) for s in os.environ.get(
    "BENCH_SIZES", "64 3520 4096 1048576").split()]
# Where the host refuses an input, it is timed as chunks of this size.
CHUNK = 4096
TARGET_S = float(os.environ.get("BENCH_TARGET_S", "0.1"))
LOADS = int(os.environ.get("BENCH_LOADS", "5"))
MAX_LINEAR = 3520
MAX_REPEAT = 100000
PIN = "/sys/fs/bpf/hermes_bench_"

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class Run:
    """One BPF_PROG_TEST_RUN request with its buffers made once, so that
    only the system call sits inside the timed region."""

    def __init__(self, fd, data):
        self.din = ctypes.create_string_buffer(bytes(data), len(data))
        self.size_out = len(data) + 4096
        self.dout = ctypes.create_string_buffer(self.size_out)
        self.attr = ctypes.create_string_buffer(80)
        self.fd = fd
        self.len = len(data)

    def __call__(self, repeat):
        """Returns (errno, retval, data_out, duration ns, wall ns)."""
        struct.pack_into("<IIIIQQII", self.attr, 0, self.fd, 0, self.len,
                         self.size_out, ctypes.addressof(self.din),
                         ctypes.addressof(self.dout), repeat, 0)
        t0 = time.perf_counter_ns()
        ret = _libc.syscall(NR_BPF, BPF_PROG_TEST_RUN, self.attr, 80)
        wall = time.perf_counter_ns() - t0
        err = ctypes.get_errno() if ret < 0 else 0
        retval, _, size_out, _, _, _, duration = struct.unpack_from(
            "<IIIQQII", self.attr.raw, 4)
        if err:
            return err, retval, None, duration, wall
        return 0, retval, self.dout.raw[:size_out], duration, wall


def calibrate(run):
    """A single run first (its result is the one compared), then the
    repeat that makes a call last about TARGET_S.  Returns (first result,
    repeat or None when the input is refused)."""
    first = run(1)
    if first[0]:
        return first, None
    repeat = 1
    wall = max(first[4], 1)
    while wall < TARGET_S * 1e9 / 4 and repeat < MAX_REPEAT:
        repeat = min(MAX_REPEAT, repeat * 10)
        res = run(repeat)
        if res[0]:
            return res, None
        wall = max(res[4], 1)
    return first, max(1, min(MAX_REPEAT, int(repeat * TARGET_S * 1e9 / wall)))


def timed(run, repeat):
    """Best of three calls with this repeat: (duration ns, wall ns per
    run), and the best wall clock of three single-run calls."""
    best = None
    for _ in range(3):
        res = run(repeat)
        if res[0]:
            raise OSError(res[0], "BPF_PROG_TEST_RUN repeat %d" % repeat)
        cur = (res[3], res[4] / repeat)
        if best is None or cur[1] < best[1]:
            best = cur
    single = min(run(1)[4] for _ in range(3))
    return best + (single,)


def make_input(size, seed):
    """Ethernet + IPv4 + UDP (to 4789, so parse rewrites the TTL and the
    checksum) then random bytes with a few "HRMS" for search."""
    rnd = random.Random(seed)
    buf = bytearray(rnd.getrandbits(8) for _ in range(min(size, 8192)))
    while len(buf) < size:
        buf += buf[:size - len(buf)]
    hdr = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00"
    hdr += struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 1, 0, 64, 17, 0,
                       b"\x0a\x00\x00\x01", b"\x0a\x00\x00\x02")
    hdr += struct.pack("!HHHH", 4000, 4789, 8, 0)
    n = min(len(hdr), size)
    buf[:n] = hdr[:n]
    for off in (50, 333, 1000):
        if off + 4 <= size:
            buf[off:off + 4] = b"HRMS"
    return bytes(buf)


def human(size):
    if size >= 1 << 20 and size % (1 << 20) == 0:
        return "%d MiB" % (size >> 20)
    if size >= 1024 and size % 1024 == 0:
        return "%d KiB" % (size >> 10)
    return "%d B" % size


def ns(v):
    if v >= 1e6:
        return "%.2f ms" % (v / 1e6)
    if v >= 1e4:
        return "%.1f us" % (v / 1e3)
    return "%d ns" % v


def ratio(a, b):
    if not b:
        return "-"
    return "%.2fx" % (a / b) if a / b >= 0.1 else "%.3fx" % (a / b)


def errname(err):
    return "%s (%d)" % (ERRNO.get(err, "?"), err)


def load(obj, name, dev=None):
    """bpftool prog load, timed; returns (rc, seconds, output)."""
    path = PIN + name
    if os.path.exists(path):
        os.unlink(path)
    args = ["prog", "load", obj, path, "type", "xdp"]
    if dev:
        args += ["offload_dev", dev]
    t0 = time.perf_counter()
    rc, out = bpftool(*args)
    return rc, time.perf_counter() - t0, out


def unpin(name):
    try:
        os.unlink(PIN + name)
    except FileNotFoundError:
        pass


def header(devs):
    with open("/proc/sys/net/core/bpf_jit_enable") as f:
        jit = f.read().strip()
    print("Hermes benchmark: everything below runs in a TCG-emulated VM "
          "(QEMU, no KVM): absolute figures are emulation figures.")
    print("  The Hermes device model's engine runs on host threads; the "
          "guest's own BPF JIT (the 'host' columns) runs emulated.")
    print("  guest kernel: %s %s" % (platform.release(), platform.version()))
    print("  bpf_jit_enable=%s, %d vCPUs, devices: %s, device: %s"
          % (jit, os.cpu_count(), " ".join(devs), devs[0]))
    print("  dev = duration BPF_PROG_TEST_RUN reports for the offloaded "
          "program (device-measured, per run);")
    print("  e2e = wall clock around the bpf() call / repeat (guest "
          "clock); host = the guest kernel's BPF_PROG_TEST_RUN, not "
          "offloaded.")
    print("  ratio = Hermes / host (below 1: Hermes faster); figures per "
          "run are the best of 3 calls with the same")
    print("  repeat on both sides (reps, sized for ~%.2f s a call); '1 call' "
          "= wall clock of one bpf() call with repeat 1." % TARGET_S)
    print("  With repeat > 1 the host's XDP test run also attaches the "
          "program to the XDP dispatcher and detaches it")
    print("  (bpf_prog_change_xdp(), code patching) on every call: that is "
          "in its e2e figure, not in its duration.\n", flush=True)


def chunked(hfd, data):
    """The host's BPF_PROG_TEST_RUN over @data as CHUNK-byte pieces, one
    call each: (sum of durations, sum of wall clocks), best of 3 passes."""
    runs = [Run(hfd, data[i:i + CHUNK]) for i in range(0, len(data), CHUNK)]
    best = None
    for _ in range(3):
        dur = wall = 0
        for run in runs:
            res = run(1)
            if res[0]:
                raise OSError(res[0], "host run of a %d-byte chunk" % CHUNK)
            dur += res[3]
            wall += res[4]
        if best is None or wall < best[1]:
            best = (dur, wall)
    return best + (len(runs),)


def check(prog, data, hfirst, dfirst):
    """How the Hermes result was checked: 'host' (identical to the host's),
    'model' (identical to walk_model()), 'diff*' (differs from the host's
    run, which saw only its linear part), None (a mismatch)."""
    if hfirst is not None and hfirst[0] == 0:
        if hfirst[1:3] == dfirst[1:3]:
            return "host"
        if len(data) > MAX_LINEAR and prog != "walk":
            return "diff*"
    if prog == "walk":
        return "model" if dfirst[1:3] == walk_model(data) else None
    if hfirst is not None and hfirst[0] == 0:
        return None
    return "-"


def bench_runs(dev):
    cols = "%-9s %-7s %10s %10s %10s %10s %8s %8s %8s %10s %10s %6s"
    print(cols % ("program", "input", "hermes", "hermes", "host", "host",
                  "reps", "ratio", "ratio", "1 call", "1 call", "check"))
    print(cols % ("", "", "dev", "e2e", "duration", "e2e", "", "dev/host",
                  "e2e", "hermes", "host", ""))
    print("-" * 120)
    bad = 0
    ran = 0
    notes = set()
    for prog in PROGS:
        hfd = obj_get(PIN + prog + "_host")
        dfd = obj_get(PIN + prog)
        for size in SIZES:
            data = make_input(size, 0x4852 + size)
            hrun, drun = Run(hfd, data), Run(dfd, data)
            hfirst, hrep = calibrate(hrun)
            dfirst, drep = calibrate(drun)
            name = "%-9s %-7s " % (prog, human(size))
            herr, derr = hfirst[0], dfirst[0]
            if derr:
                bad += 1
                print(name + "FAILED: hermes refused: %s (host: %s)" % (
                    errname(derr), errname(herr) if herr else "ran"),
                    flush=True)
                continue
            how = check(prog, data, hfirst, dfirst)
            if how is None:
                bad += 1
                print(name + "MISMATCH: %s r0 %#x, %d bytes out; hermes "
                      "r0 %#x, %d bytes out" % (
                          "model" if herr else "host",
                          walk_model(data)[0] if herr else hfirst[1],
                          len(data) if herr else len(hfirst[2]),
                          dfirst[1], len(dfirst[2])), flush=True)
                continue
            ran += 1
            if herr:
                # the host cannot take the input: the same bytes as chunks
                d = timed(drun, drep)
                cdur, cwall, n = chunked(hfd, data)
                print(cols % (prog, human(size), ns(d[0]), ns(d[1]),
                              ns(cdur) + "c", ns(cwall) + "c",
                              "%d/%dx1" % (drep, n), ratio(d[0], cdur),
                              ratio(d[2], cwall), ns(d[2]), "-", how),
                      flush=True)
                notes.add(("chunks", herr, size, n))
                continue
            if how == "diff*":
                notes.add(("frags",))
            # the same repeat on both sides: a call's fixed cost is spread
            # over as many runs on each
            rep = max(hrep, drep)
            d, h = timed(drun, rep), timed(hrun, rep)
            print(cols % (prog, human(size), ns(d[0]), ns(d[1]), ns(h[0]),
                          ns(h[1]), rep, ratio(d[0], h[0]),
                          ratio(d[1], h[1]), ns(d[2]), ns(h[2]), how),
                  flush=True)
        os.close(hfd)
        os.close(dfd)
    print("\ncheck: host = r0 and output bytes identical to the host's run; "
          "model = identical to an independent\nPython computation "
          "(walk_model() of the selftests); - = no independent result for "
          "that size;\n%d rows measured, %d failed." % (ran, bad))
    print("Every program but walk reads at most the first %d B of its input "
          "(MAX_LEN of the corpus): over\nthat size the rest is only "
          "copied, and in the 1 MiB rows each of the host's 256 chunks "
          "gets that\nwork while Hermes does it once.  walk visits the "
          "whole input (every 512th byte): its rows\ncompare equal work."
          % MAX_LINEAR)
    if ("frags",) in notes or any(n[0] == "chunks" for n in notes):
        print("Over %d B the host's XDP test run puts the rest of the "
              "input in page fragments the program\ndoes not see "
              "(diff*: results differ by design, figures are still per "
              "run of the same input)," % MAX_LINEAR)
        print("up to MAX_SKB_FRAGS pages; past that it refuses the input. "
              "Hermes takes the whole input in its data slot.")
    for note in sorted(n for n in notes if n[0] == "chunks"):
        _, err, size, n = note
        print("%s: the host refuses it (%s), so its columns (suffix c) are "
              "the same %d bytes as %d\ncalls of %d B each, repeat 1: "
              "duration and e2e summed over the calls; reps = hermes "
              "repeat/host calls;\nratio e2e = hermes '1 call' / host "
              "e2e (each side processes the input once, copies "
              "included)."
              % (human(size), errname(err), size, n, CHUNK))
    return bad, ran


MAP_PROG = "hist_map"


def map_values(path):
    """The values of an array map of u64, in index order, through bpftool."""
    rc, out = bpftool("-j", "map", "dump", "pinned", path)
    if rc:
        raise OSError(rc, "bpftool map dump %s: %s" % (path, out))
    return [int.from_bytes(bytes(int(b, 16) for b in e["value"]), "little")
            for e in json.loads(out)]


def zero_map(path, entries=16):
    """Set every u64 value of an array map to 0 with bpf(2)."""
    fd = obj_get(path)
    key = ctypes.create_string_buffer(4)
    val = ctypes.create_string_buffer(8)
    attr = bytearray(32)
    for i in range(entries):
        struct.pack_into("<I", key, 0, i)
        struct.pack_into("<IIQQQ", attr, 0, fd, 0, ctypes.addressof(key),
                         ctypes.addressof(val), 0)
        err = sys_bpf(2, attr)[1]  # BPF_MAP_UPDATE_ELEM
        if err:
            os.close(fd)
            raise OSError(err, "zeroing %s" % path)
    os.close(fd)


def bench_maps(objdir, dev):
    """The histogram into a map: offloaded with its map on Hermes against
    the host with a host map, the same runs on both sides, then the maps
    compared.  Returns (rows that disagree, rows)."""
    obj = os.path.join(objdir, MAP_PROG + ".bpf.o")
    if not os.path.exists(obj):
        return 0, 0
    paths = {}
    for kind, d in (("host", None), ("dev", dev)):
        name = MAP_PROG + "_" + kind
        mdir = PIN + name + "_maps"
        subprocess.run(["rm", "-rf", mdir])
        unpin(name)
        args = ["prog", "load", obj, PIN + name, "type", "xdp", "pinmaps",
                mdir]
        if d:
            args += ["offload_dev", d]
        rc, out = bpftool(*args)
        if rc:
            print("bench: loading %s%s failed:\n%s" % (
                obj, " onto " + d if d else "", out), file=sys.stderr)
            return 1, 0
        paths[kind] = (PIN + name, os.path.join(mdir, "hist"))
    print("\nHistogram into a map: %s.bpf.o counts the high nibbles of its "
          "input into an array map of 16 u64\n(bpf_map_lookup_elem() and "
          "an atomic add per bin); Hermes with the map offloaded beside "
          "the host\nwith a host map.  check = the two maps are identical "
          "after the same runs on both sides." % MAP_PROG)
    cols = "%-9s %-7s %10s %10s %10s %10s %8s %8s %8s %6s"
    print(cols % ("program", "input", "hermes", "hermes", "host", "host",
                  "reps", "ratio", "ratio", "check"))
    print(cols % ("", "", "dev", "e2e", "duration", "e2e", "", "dev/host",
                  "e2e", ""))
    print("-" * 100)
    hfd, dfd = obj_get(paths["host"][0]), obj_get(paths["dev"][0])
    bad = ran = 0
    try:
        for size in [s for s in SIZES if s <= MAX_LINEAR]:
            data = make_input(size, 0x4d41 + size)
            hrun, drun = Run(hfd, data), Run(dfd, data)
            hfirst, hrep = calibrate(hrun)
            dfirst, drep = calibrate(drun)
            rep = max(hrep, drep)
            if hfirst[0] or dfirst[0]:
                bad += 1
                print("%-9s %-7s FAILED: host %s, hermes %s" % (
                    MAP_PROG, human(size), errname(hfirst[0]),
                    errname(dfirst[0])), flush=True)
                continue
            # calibration ran each side its own number of times
            zero_map(paths["host"][1])
            zero_map(paths["dev"][1])
            d, h = timed(drun, rep), timed(hrun, rep)
            same = map_values(paths["host"][1]) == \
                map_values(paths["dev"][1])
            bad += not same
            ran += 1
            print(cols % (MAP_PROG, human(size), ns(d[0]), ns(d[1]),
                          ns(h[0]), ns(h[1]), rep, ratio(d[0], h[0]),
                          ratio(d[1], h[1]), "maps" if same else "DIFF"),
                  flush=True)
    finally:
        os.close(hfd)
        os.close(dfd)
        for kind in ("host", "dev"):
            unpin(MAP_PROG + "_" + kind)
            subprocess.run(["rm", "-rf", PIN + MAP_PROG + "_" + kind +
                            "_maps"])
    return bad, ran


def median(times):
    return sorted(times)[len(times) // 2]


def bench_loads(objdir, dev):
    start = []
    for _ in range(LOADS):
        t0 = time.perf_counter()
        bpftool("version")
        start.append(time.perf_counter() - t0)
    print("\nLoad time: bpftool prog load ... type xdp [offload_dev %s], "
          "wall clock, median of %d;" % (dev, LOADS))
    print("bpftool itself (`bpftool version`) takes %s here, in both "
          "columns." % ns(median(start) * 1e9))
    cols = "%-10s %12s %12s %8s %14s"
    print(cols % ("program", "offloaded", "host only", "ratio",
                  "offload adds"))
    print("-" * 60)
    failed = 0
    for prog in PROGS:
        obj = os.path.join(objdir, prog + ".bpf.o")
        times = {"dev": [], "host": []}
        for _ in range(LOADS):
            for kind, d in (("dev", dev), ("host", None)):
                rc, secs, out = load(obj, "load_" + kind, d)
                unpin("load_" + kind)
                if rc:
                    failed += 1
                    print("%s: load (%s) failed:\n%s" % (prog, kind, out))
                    break
                times[kind].append(secs)
        if len(times["dev"]) < LOADS or len(times["host"]) < LOADS:
            continue
        d = median(times["dev"]) * 1e9
        h = median(times["host"]) * 1e9
        diff = d - h
        print(cols % (prog, ns(d), ns(h), ratio(d, h),
                      ("-" if diff < 0 else "") + ns(abs(diff))), flush=True)
    return failed


def main():
    if len(sys.argv) < 2:
        print("usage: %s OBJDIR [PROG...]" % sys.argv[0], file=sys.stderr)
        return 2
    objdir = sys.argv[1]
    if sys.argv[2:]:
        PROGS[:] = sys.argv[2:]
    if not have_hermes_pci():
        print("bench: no Hermes PCI device (tools/vm/run --hermes N)",
              file=sys.stderr)
        return 1
    devs = load_driver()
    if not devs:
        print("bench: the hermes driver did not register a netdev",
              file=sys.stderr)
        return 1
    dev = devs[0]
    header(devs)
    for prog in PROGS:
        obj = os.path.join(objdir, prog + ".bpf.o")
        for name, d in ((prog + "_host", None), (prog, dev)):
            rc, _, out = load(obj, name, d)
            if rc:
                print("bench: loading %s%s failed:\n%s" % (
                    obj, " onto " + d if d else "", out), file=sys.stderr)
                return 1
    try:
        bad, ran = bench_runs(dev)
        mbad, mran = bench_maps(objdir, dev)
        bad += mbad
        ran += mran
        failed = bench_loads(objdir, dev)
    finally:
        for prog in PROGS:
            unpin(prog)
            unpin(prog + "_host")
    if bad:
        print("\nbench: FAILED: %d rows where Hermes and the host disagree"
              % bad, file=sys.stderr)
        return 1
    if not ran or failed:
        print("\nbench: FAILED: %d rows measured, %d loads failed"
              % (ran, failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
