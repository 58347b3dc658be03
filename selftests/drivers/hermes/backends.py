#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Hermes driver: each device gets the backend of its PCI identity (the
QEMU model 1de5:3000 "qemu", the AWS F1 card 1d0f:f0eb "f1"), with the
data path through the kernel's XDMA driver, its channels and the engines'
user interrupts.  The limits each backend refuses are unit-tested by
kunit.sh; QEMU's "hermes" device presents the F1 identity with f1=on
(make check gives it to hermes1)."""

import os

from hermes_lib import Ktap, debugfs, load_driver, skip_all

BACKENDS = {("0x1de5", "0x3000"): "qemu", ("0x1d0f", "0xf0eb"): "f1"}


def identity(netdev):
    d = "/sys/class/net/%s/device/" % netdev
    with open(d + "vendor") as v, open(d + "device") as p:
        return v.read().strip(), p.read().strip()


def fields(text):
    out = {}
    for line in text.splitlines():
        if ": " in line and not line.startswith("engine "):
            k, v = line.split(": ", 1)
            out[k] = v
    return out


def xdma_irqs(pci):
    """Interrupts of @pci's MSI-X vectors, by action name."""
    names = []
    with open("/proc/interrupts") as f:
        for line in f:
            if pci in line:
                names.append(line.split()[-1])
    return names


def main():
    devs = load_driver()
    if not devs:
        skip_all("no Hermes device (QEMU's -device hermes)")
    ktap = Ktap(2 * len(devs) + 1)
    kinds = set()
    for dev in devs:
        ident = identity(dev)
        want = BACKENDS.get(ident)
        kinds.add(want)
        got = fields(debugfs(dev, "engines"))
        ktap.ok(want and got.get("backend") == want and
                got.get("data path") == "xdma",
                "%s (PCI %s:%s): backend %s, data through the XDMA channels"
                % (dev, ident[0], ident[1], want), got)
        pci = os.path.basename(os.readlink("/sys/class/net/%s/device" % dev))
        irqs = xdma_irqs(pci)
        engines = int(got.get("engines", "0").split()[0])
        want_irqs = ["xdma-h2c-channel"] * 4 + ["xdma-c2h-channel"] * 4 + \
            ["hermes-%s-e%d" % (pci, i) for i in range(engines)]
        ktap.ok(irqs == want_irqs,
                "%s: MSI-X vectors 0-7 for xdma.c's channels, then one XDMA "
                "user interrupt per engine (%d)" % (dev, engines), irqs)
    if len(kinds) > 1:
        ktap.ok(kinds == {"qemu", "f1"}, "both backends present", kinds)
    else:
        ktap.skip("both backends present",
                  "one kind of device (tools/vm/run --hermes-prop hermes1:f1=on)")
    ktap.finish()


if __name__ == "__main__":
    main()
