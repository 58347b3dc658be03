#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Hermes driver: long device work holds off nobody.  With a long test run
in flight on every program engine of hermes0 (and one more waiting for an
engine), removing a netdevsim device, creating, using and freeing a device
map, and loading a program on hermes0 each finish within a bound far
below the runs' length; then a signal ends every run with EINTR.  Last,
unbinding the device under a long run ends the run with ENODEV within
the bound, and binding it again brings it back.

Each operation is first timed with the device idle.  With the runs in
flight it may take SLOWDOWN times as long (the engines' worker threads
then share the host's CPUs with the guest's: under TCG, three engine
threads and the vCPU on two cores) plus BOUND_S, the longest a map
command may keep the control engine (its 5 s timeout and the 1 s abort,
hermes_maps.c and hermes_dev.c): what an operation may legitimately wait
for.  The
runs do not end before the signal (2^30 iterations, up to the driver's
10-minute command limit) and are checked to be still in flight after the
operations, so an operation that waited for a run (the old design: test
runs held the BPF core's offload lock, which netdev unregistration takes
for writing under RTNL) could not pass."""

import os
import re
import signal
import time

from hermes_lib import (Ktap, build, child_errno, debugfs, have_hermes_pci,
                        ifindex, in_flight, load_driver, load_obj, map_gap,
                        modprobe, pin_path, program_engines, skip_all,
                        start_runs, unpin, wait_in_flight)
from maps import BPF_MAP_TYPE_HASH, lookup, map_create, update

EINTR, ENODEV, EOPNOTSUPP = 4, 19, 95
BOUND_S = 5 + 1
SLOWDOWN = 3
NSIM_ID = 4242


def within(t, idle):
    return t < SLOWDOWN * idle + BOUND_S


def bound_text(idle):
    return "idle %.2f s, bound %d x idle + %d s" % (idle, SLOWDOWN, BOUND_S)


def timed(func):
    start = time.monotonic()
    try:
        res = func()
    except OSError as e:
        res = e
    return time.monotonic() - start, res


def nsim_cycle():
    """Create and remove a netdevsim device; return the removal's time."""
    with open("/sys/bus/netdevsim/new_device", "w") as f:
        f.write("%d 1" % NSIM_ID)
    start = time.monotonic()
    with open("/sys/bus/netdevsim/del_device", "w") as f:
        f.write("%d" % NSIM_ID)
    return time.monotonic() - start


def bind(pci, dev):
    with open("/sys/bus/pci/drivers/hermes/bind", "w") as f:
        f.write(pci)
    for _ in range(100):
        if os.path.exists("/sys/class/net/" + dev):
            return True
        time.sleep(0.1)
    return False


def unbind_bind(pci, dev):
    with open("/sys/bus/pci/drivers/hermes/unbind", "w") as f:
        f.write(pci)
    return bind(pci, dev)


def map_cycle(idx):
    """Create a device map, update and look up an element, free it."""
    fd, err = map_create(BPF_MAP_TYPE_HASH, 4, 8, 16, idx)
    if fd < 0:
        return "create errno %d" % err
    err = update(fd, b"\1\0\0\0", b"\2" * 8)
    err2, val = lookup(fd, b"\1\0\0\0", 8)
    os.close(fd)
    if err or err2 or val != b"\2" * 8:
        return "update %d lookup %d value %r" % (err, err2, val)
    return None


def main():
    if not have_hermes_pci():
        skip_all("no Hermes PCI device (run with tools/vm/run --hermes 2)")
    devs = load_driver()
    rc, out = modprobe("netdevsim")
    if rc:
        skip_all("netdevsim: " + out.strip())
    dev = devs[0]
    engines = program_engines(dev)
    if engines == int(re.search(r"engines: (\d+) of",
                                debugfs(dev, "engines")).group(1)):
        skip_all("%s has no control engine (one engine): map commands "
                 "share it with runs" % dev)
    ktap = Ktap(8)
    pci = os.path.basename(os.path.realpath("/sys/class/net/%s/device" % dev))
    # first: it orphans what is loaded on the device
    unbind_s, _ = timed(lambda: unbind_bind(pci, dev))
    idx = ifindex(dev)
    objs = build("loopy", "pass")
    ok = load_obj(objs["loopy"], "lt_loopy", dev)[0] == 0

    # the same operations on an idle device: what they cost by themselves
    base = {"nsim": timed(nsim_cycle)[0],
            "map": timed(lambda: map_cycle(idx))[0],
            "load": timed(lambda: load_obj(objs["pass"], "lt_pass",
                                           dev)[0])[0]}
    unpin("lt_pass")

    # every program engine busy, and one more run waiting for one
    pids = start_runs(pin_path("lt_loopy"), engines + 1) if ok else []
    busy = ok and wait_in_flight(dev, engines + 1)
    ktap.ok(busy, "%d long runs in flight on %d program engines of %s"
            % (engines + 1, engines, dev))
    start = time.monotonic()

    t, res = timed(nsim_cycle)
    ktap.ok(busy and not isinstance(res, Exception) and
            within(t, base["nsim"]),
            "netdevsim device removed in %.2f s during the runs (%s)"
            % (t, bound_text(base["nsim"])), str(res))
    t, res = timed(lambda: map_cycle(idx))
    gap = map_gap(dev)
    if gap and res == "create errno %d" % EOPNOTSUPP:
        ktap.skip("device map created, used and freed during the runs", gap)
    else:
        ktap.ok(busy and res is None and within(t, base["map"]),
                "device map created, used and freed in %.2f s (%s)"
                % (t, bound_text(base["map"])), str(res))
    t, res = timed(lambda: load_obj(objs["pass"], "lt_pass", dev)[0])
    unpin("lt_pass")
    ktap.ok(busy and res == 0 and within(t, base["load"]),
            "program loaded on %s in %.2f s (%s)"
            % (dev, t, bound_text(base["load"])), str(res))

    # Only runs still going prove nothing above waited for them.
    still = in_flight(dev) if busy else 0
    elapsed = time.monotonic() - start
    ktap.ok(busy and still == engines + 1,
            "all %d runs still in flight after %.2f s of operations"
            % (still, elapsed))

    for pid in pids:
        os.kill(pid, signal.SIGUSR1)
    errs = [child_errno(pid) for pid in pids]
    after = in_flight(dev)
    ktap.ok(busy and errs == [EINTR] * len(pids) and after == 0,
            "a signal ends every run with EINTR (%s), %d left in flight"
            % (errs, after))

    # the run's own device goes: the run ends, removal does not wait for it
    base["unbind"] = unbind_s
    pids = start_runs(pin_path("lt_loopy"), 1) if ok else []
    busy = ok and wait_in_flight(dev, 1)
    t = float("inf")
    if busy:
        start = time.monotonic()
        with open("/sys/bus/pci/drivers/hermes/unbind", "w") as f:
            f.write(pci)
        t = time.monotonic() - start
    errs = [child_errno(pid) for pid in pids]
    ktap.ok(busy and errs == [ENODEV] and within(t, base["unbind"]),
            "unbinding %s under a long run took %.2f s (%s, idle with a "
            "bind), the run ended with ENODEV (%s)"
            % (dev, t, bound_text(base["unbind"]), errs))
    ktap.ok(bind(pci, dev), "bind again: %s is back" % dev)
    unpin("lt_loopy")
    ktap.finish()


if __name__ == "__main__":
    main()
