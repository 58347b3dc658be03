#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The F1 card's RTL and the QEMU model agree, program by program.

The same object, offloaded with bpftool to a co-simulated hermes-f1 card
(build "hermes-rtl") and to a QEMU model device, gives the same errno,
return value and output bytes on every input, and executes the same
number of instructions per run (CNT_INSNS in debugfs).  The RTL's cycles
per run (CNT_CYCLES) are printed: exact for the hardware, whatever the
speed of the simulation.  Only programs without helpers: the RTL has none
(EHCAPISA bit 10)."""

import os
import re

from hermes_lib import (Ktap, build, debugfs, load_driver, load_obj, obj_get,
                        pin_path, skip_all, test_run, unpin)
from offload import fmt, inputs

PROGS = ["xor", "csum", "histogram", "search", "parse", "pass"]


def kind(dev):
    build_line = re.search(r"^build: (.*)$", debugfs(dev, "engines"), re.M)
    name = build_line.group(1) if build_line else ""
    if name == "hermes-rtl":
        return "rtl"
    if name.startswith("Hermes QEMU model"):
        return "model"
    return None


def counters(dev):
    """Sums over the engines: (runs, insns, cycles)."""
    sums = [0, 0, 0]
    for m in re.finditer(r" runs (\d+) insns (\d+) .* cycles (\d+) ",
                         debugfs(dev, "engines")):
        for i in range(3):
            sums[i] += int(m.group(i + 1))
    return sums


def one_run(fd, dev, data):
    """(result, instructions, cycles) of one test run on @dev."""
    before = counters(dev)
    res = test_run(fd, data)
    after = counters(dev)
    return res, after[1] - before[1], after[2] - before[2]


def main():
    devs = load_driver()
    rtl = [d for d in devs if kind(d) == "rtl"]
    model = [d for d in devs if kind(d) == "model"]
    if not rtl:
        skip_all("no co-simulated F1 card (build \"hermes-rtl\"): "
                 "the suite kselftest-vm-f1 runs this test")
    if not model:
        skip_all("no QEMU model device to compare %s with" % rtl[0])
    rtl, model = rtl[0], model[0]
    ins = inputs()
    objs = build(*PROGS)
    ktap = Ktap(len(PROGS))
    ktap.diag("%s (RTL) against %s (model), %d inputs each" %
              (rtl, model, len(ins)))
    for prog in PROGS:
        fds = {}
        for dev in (rtl, model):
            rc, out = load_obj(objs[prog], prog + "_" + dev, dev)
            if rc:
                ktap.ok(False, prog, "load on %s: %s" % (dev, out.strip()))
                break
            fds[dev] = obj_get(pin_path(prog + "_" + dev))
        if len(fds) < 2:
            for dev in fds:
                os.close(fds[dev])
                unpin(prog + "_" + dev)
            continue
        bad = []
        insns = cycles = 0
        for data in ins:
            r, ri, rc_ = one_run(fds[rtl], rtl, data)
            m, mi, _ = one_run(fds[model], model, data)
            if r[:3] != m[:3]:
                bad.append("input of %d bytes: rtl %s, model %s" %
                           (len(data), fmt(r), fmt(m)))
            elif ri != mi:
                bad.append("input of %d bytes: rtl %d instructions, "
                           "model %d" % (len(data), ri, mi))
            insns += ri
            cycles += rc_
        for dev in (rtl, model):
            os.close(fds[dev])
            unpin(prog + "_" + dev)
        if not bad:
            ktap.diag("%s: %d instructions, %d RTL cycles over %d runs "
                      "(CPI %.2f)" % (prog, insns, cycles, len(ins),
                                      cycles / insns if insns else 0))
        ktap.ok(not bad and cycles >= insns > 0, prog,
                "; ".join(bad[:3]) or
                "%d instructions in %d cycles" % (insns, cycles))
    ktap.finish()


if __name__ == "__main__":
    main()
