#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Hermes driver: module unload and reload with programs loaded, and
hot-unplug of a device from the QEMU monitor while programs run on it.
Programs left behind are orphaned (ENODEV), nothing oopses or leaks."""

import os
import random
import re
import time

from hermes_lib import (Ktap, REPO, build, debugfs, have_hermes_pci, load_driver,
                        load_obj, map_gap, modprobe, obj_get, parallel, pin_path, run, skip_all,
                        test_run, unpin)

ENODEV = 19


def kernel_log():
    rc, out = run(["dmesg"])
    return out


def bad_log(text):
    return [l for l in text.splitlines()
            if re.search(r"BUG:|WARNING:|Oops|KASAN|kmemleak|lockdep|"
                         r"hung_task|INFO: task", l)]


def runner(args):
    """Run until the device goes; count outcomes."""
    host_path, dev_path, seed, stop_after = args
    rnd = random.Random(seed)
    hfd, dfd = obj_get(host_path), obj_get(dev_path)
    good = wrong = 0
    errors = {}
    deadline = time.time() + stop_after
    while time.time() < deadline:
        data = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(14, 800)))
        h = test_run(hfd, data)
        d = test_run(dfd, data)
        if d[0]:
            errors[d[0]] = errors.get(d[0], 0) + 1
            if d[0] == ENODEV:
                break
        elif d[:3] == h[:3]:
            good += 1
        else:
            wrong += 1
    return good, wrong, {str(k): v for k, v in errors.items()}


def wait_gone(name, secs):
    end = time.time() + secs
    while time.time() < end:
        if not os.path.exists("/sys/class/net/" + name):
            return True
        time.sleep(0.2)
    return False


def main():
    if not have_hermes_pci():
        skip_all("no Hermes PCI device (run with tools/vm/run --hermes 2)")
    devs = load_driver()
    ktap = Ktap(11)
    log0 = kernel_log()
    csum = build("csum")["csum"]

    # module unload with programs loaded, then reload
    ok = load_obj(csum, "lc_host")[0] == 0
    ok &= load_obj(csum, "lc_dev", devs[0])[0] == 0 if devs else False
    rc, out = run(["rmmod", "hermes"])
    ktap.ok(ok and rc == 0 and not os.path.exists("/sys/class/net/" +
                                                   devs[0]),
            "rmmod hermes with an offloaded program loaded", out)
    fd = obj_get(pin_path("lc_dev"))
    err = test_run(fd, b"\x00" * 64)[0]
    os.close(fd)
    ktap.ok(err == ENODEV, "its program is orphaned: test run gives ENODEV",
            "errno %d" % err)
    devs = load_driver()
    ok = len(devs) >= 1 and load_obj(csum, "lc_dev", devs[0])[0] == 0
    if ok:
        hfd, dfd = obj_get(pin_path("lc_host")), obj_get(pin_path("lc_dev"))
        data = bytes(range(200))
        ok = test_run(hfd, data)[:3] == test_run(dfd, data)[:3]
        os.close(hfd)
        os.close(dfd)
    ktap.ok(ok, "modprobe hermes again: devices back, programs run (%s)"
            % ", ".join(devs))

    # hot-unplug of the last device while processes run programs on it
    if len(devs) < 2 or not os.environ.get("HERMES_VM_RUN"):
        for what in ("unplug during runs: runs end with ENODEV, no wrong "
                     "result", "unplugged device's netdev is gone",
                     "program of the unplugged device is orphaned",
                     "map of the unplugged device gives ENODEV",
                     "other device keeps working"):
            ktap.skip(what, "needs two devices inside tools/vm/run")
    else:
        victim = devs[-1]
        qemu_id = "hermes%d" % (len(devs) - 1)
        vgap = map_gap(victim)
        ok = load_obj(csum, "lc_victim", victim)[0] == 0
        unpin("lc_vmap")
        mrc, mout = run(["bpftool", "map", "create", pin_path("lc_vmap"),
                         "type", "hash", "key", "4", "value", "8",
                         "entries", "4", "name", "lc_vmap", "offload_dev",
                         victim])
        mrc |= run(["bpftool", "map", "update", "pinned",
                    pin_path("lc_vmap"), "key", "1", "0", "0", "0", "value",
                    "1", "0", "0", "0", "0", "0", "0", "0"])[0]
        jobs = [(pin_path("lc_host"), pin_path("lc_victim"), s, 60)
                for s in range(4)]
        pid = os.fork()
        if pid == 0:
            time.sleep(3)
            rc, out = run([os.path.join(REPO, "tools", "vm", "ctl"),
                           "unplug", qemu_id])
            print("# unplug %s: %d %s" % (qemu_id, rc, out.strip()),
                  flush=True)
            os._exit(rc)
        results = [r if isinstance(r, list) else [0, 1, {}]
                   for r in parallel(runner, jobs)]
        _, status = os.waitpid(pid, 0)
        rc = os.waitstatus_to_exitcode(status)
        out = ""
        gone = wait_gone(victim, 40)
        good = sum(r[0] for r in results)
        wrong = sum(r[1] for r in results)
        errs = {}
        for r in results:
            for k, v in r[2].items():
                errs[int(k)] = errs.get(int(k), 0) + v
        ktap.ok(ok and rc == 0 and wrong == 0 and good > 0 and
                set(errs) <= {ENODEV, 4} and errs.get(ENODEV, 0) == 4,
                "unplug during runs: %d correct runs, errors %s, no wrong "
                "result" % (good, errs), out)
        ktap.ok(gone, "unplugged device's netdev %s is gone" % victim)
        fd = obj_get(pin_path("lc_victim"))
        err = test_run(fd, b"\x00" * 64)[0]
        os.close(fd)
        ktap.ok(err == ENODEV, "program of the unplugged device is orphaned "
                "(ENODEV)", "errno %d" % err)
        mrc2, mout2 = run(["bpftool", "map", "lookup", "pinned",
                           pin_path("lc_vmap"), "key", "1", "0", "0", "0"])
        if vgap and mrc and "Operation not supported" in mout:
            ktap.skip("map of the unplugged device gives ENODEV",
                      "%s: %s" % (victim, vgap))
        else:
            ktap.ok(mrc == 0 and mrc2 and "No such device" in mout2,
                    "map of the unplugged device gives ENODEV",
                    mout + mout2)
        unpin("lc_vmap")
        hfd, dfd = obj_get(pin_path("lc_host")), obj_get(pin_path("lc_dev"))
        data = bytes(range(256)) * 3
        ktap.ok(test_run(hfd, data)[:3] == test_run(dfd, data)[:3],
                "other device %s keeps working" % devs[0])
        os.close(hfd)
        os.close(dfd)

    # the BAR4 data path (use_dma=0) gives the same results as XDMA
    rc, out = run(["rmmod", "hermes"])
    rc2, out2 = modprobe("hermes", "use_dma=0")
    devs = load_driver()
    ok = rc == 0 and rc2 == 0 and len(devs) >= 1 and \
        "data path: bar4" in debugfs(devs[0], "engines") and \
        load_obj(csum, "lc_dev", devs[0])[0] == 0
    if ok:
        hfd, dfd = obj_get(pin_path("lc_host")), obj_get(pin_path("lc_dev"))
        data = bytes(range(256)) * 5
        ok = test_run(hfd, data, 3)[:3] == test_run(dfd, data, 3)[:3]
        os.close(hfd)
        os.close(dfd)
    ktap.ok(ok, "reload with use_dma=0: BAR4 data path, same results",
            out + out2)
    rc, out = run(["rmmod", "hermes"])
    rc2, out2 = modprobe("hermes")
    devs = load_driver()
    ktap.ok(rc == 0 and rc2 == 0 and devs and
            "data path: xdma" in debugfs(devs[0], "engines"),
            "final unload and reload (XDMA data path)", out + out2)
    log1 = kernel_log()
    new = log1[len(log0):] if log1.startswith(log0[:200]) else log1
    bad = bad_log(new)
    ktap.ok(not bad, "no oops, warning or lockup in the kernel log",
            "\n".join(bad[:10]))
    for p in ("lc_host", "lc_dev", "lc_victim"):
        unpin(p)
    ktap.finish()


if __name__ == "__main__":
    main()
