#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Hermes driver: maps offloaded to a Hermes device.

Maps are created, read and written with unmodified bpftool and with the
bpf() system call; the expected contents come from the operations the test
made (and, for the iteration order of a hash map, from the hash function of
Documentation/hermes/device.rst).  Programs that aggregate into maps run on
Hermes with offloaded maps and on the host with host maps on the same
inputs: the host's maps are the reference.  Several processes update one
map at once, and maps outlive the driver (ENODEV)."""

import ctypes
import errno
import os
import random
import re
import struct
import time

from hermes_lib import (BPFFS, Ktap, bpftool, bpftool_json, build, debugfs,
                        have_hermes_pci, ifindex, load_driver, map_gap,
                        obj_get, parallel, pin_path, run, skip_all, sys_bpf,
                        test_run, unpin)

BPF_MAP_CREATE = 0
BPF_MAP_LOOKUP_ELEM = 1
BPF_MAP_UPDATE_ELEM = 2
BPF_MAP_DELETE_ELEM = 3
BPF_MAP_GET_NEXT_KEY = 4
BPF_MAP_TYPE_HASH = 1
BPF_MAP_TYPE_ARRAY = 2
BPF_MAP_TYPE_PERCPU_ARRAY = 6
BPF_F_NO_PREALLOC = 1
BPF_ANY, BPF_NOEXIST, BPF_EXIST = 0, 1, 2

ENOENT, EEXIST, EINVAL, ENOSPC, E2BIG, ENODEV = 2, 17, 22, 28, 7, 19


def map_create(map_type, key_size, value_size, entries, ifindex=0, flags=0):
    """BPF_MAP_CREATE; returns (fd, errno)."""
    attr = bytearray(72)
    struct.pack_into("<IIIII", attr, 0, map_type, key_size, value_size,
                     entries, flags)
    struct.pack_into("<I", attr, 44, ifindex)  # map_ifindex
    fd, err, _ = sys_bpf(BPF_MAP_CREATE, attr)
    return fd, err


def _elem(cmd, fd, key, value_size=0, value=None, flags=0, noval=False):
    kbuf = ctypes.create_string_buffer(bytes(key) if key is not None
                                       else b"\0", max(len(key or b""), 1))
    if value is not None:
        vbuf = ctypes.create_string_buffer(bytes(value), len(value))
    else:
        vbuf = ctypes.create_string_buffer(max(value_size, 1))
    attr = bytearray(32)
    struct.pack_into("<IIQQQ", attr, 0, fd, 0,
                     ctypes.addressof(kbuf) if key is not None else 0,
                     0 if noval else ctypes.addressof(vbuf), flags)
    ret, err, _ = sys_bpf(cmd, attr)
    return err if ret < 0 else 0, vbuf.raw[:value_size]


def lookup(fd, key, vsize):
    return _elem(BPF_MAP_LOOKUP_ELEM, fd, key, vsize)


def update(fd, key, value, flags=BPF_ANY):
    return _elem(BPF_MAP_UPDATE_ELEM, fd, key, value=value, flags=flags)[0]


def delete(fd, key):
    return _elem(BPF_MAP_DELETE_ELEM, fd, key, noval=True)[0]


def next_key(fd, key, ksize):
    return _elem(BPF_MAP_GET_NEXT_KEY, fd, key, ksize)


def contents(fd, ksize, vsize):
    """Every key and value, in the map's iteration order."""
    out = []
    err, k = next_key(fd, None, ksize)
    while not err and len(out) < 100000:
        e, v = lookup(fd, k, vsize)
        if not e:
            out.append((k, v))
        err, k = next_key(fd, k, ksize)
    return out, err


def u32(x):
    return struct.pack("<I", x)


def u64(x):
    return struct.pack("<Q", x)


def fnv1a(data):
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def hash_order(keys_in_insert_order, entries):
    """Iteration order of a device hash map (device.rst, "HASH layout"):
    buckets in increasing order, each chain from the latest insert."""
    nb = 2
    while nb < entries:
        nb *= 2
    buckets = {}
    for k in keys_in_insert_order:
        buckets.setdefault(fnv1a(k) & (nb - 1), []).insert(0, k)
    return [k for b in sorted(buckets) for k in buckets[b]]


def footprint(map_type, ksize, vsize, entries):
    """Bytes of device map memory (device.rst, "Map memory")."""
    def r(x, a):
        return (x + a - 1) // a * a
    if map_type == BPF_MAP_TYPE_ARRAY:
        return r(entries * r(vsize, 8), 64)
    nb = 2
    while nb < entries:
        nb *= 2
    return r(4 * nb + entries * (8 + r(ksize, 8) + r(vsize, 8)), 64)


def map_mem_used(dev):
    m = re.search(r"map memory: (\d+) of (\d+) bytes", debugfs(dev, "maps"))
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


def hexbytes(b):
    return [int(x, 16) for x in b]


def bpftool_dump(path):
    """bpftool map dump as [(key bytes, value bytes)] in its order."""
    js = bpftool_json("map", "dump", "pinned", path)
    if js is None:
        return None
    return [(bytes(hexbytes(e["key"])), bytes(hexbytes(e["value"])))
            for e in js]


def kernel_log():
    return run(["dmesg"])[1]


def bad_log(text):
    return [l for l in text.splitlines()
            if re.search(r"BUG:|WARNING:|Oops|KASAN|kmemleak|lockdep|"
                         r"hung_task|INFO: task", l)]


def load_with_maps(obj, name, dev=None):
    """bpftool prog load with pinmaps; returns (rc, out, {map: path})."""
    unpin(name)
    mdir = pin_path(name + "_maps")
    run(["rm", "-rf", mdir])
    args = ["prog", "load", obj, pin_path(name), "type", "xdp", "pinmaps",
            mdir]
    if dev:
        args += ["offload_dev", dev]
    rc, out = bpftool(*args)
    maps = {}
    if rc == 0:
        maps = {m: os.path.join(mdir, m) for m in os.listdir(mdir)}
    return rc, out, maps


def read_map(path, ksize, vsize):
    fd = obj_get(path)
    try:
        c, _ = contents(fd, ksize, vsize)
    finally:
        os.close(fd)
    return c


def packets(seed, n):
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        size = rnd.randrange(14, 1500)
        skew = rnd.randrange(1, 256)
        out.append(bytes(rnd.randrange(skew) for _ in range(size)))
    return out


def hist_truth(pkts, repeat=1):
    bins = [0] * 16
    for p in pkts:
        for b in p:
            bins[b >> 4] += repeat
    return bins


def hist_runner(args):
    """Run a histogram program on packets from a seed; return errors."""
    path, seed, n, repeat = args
    fd = obj_get(path)
    errs = []
    for p in packets(seed, n):
        err, ret, _, _ = test_run(fd, p, repeat=repeat)
        if err or ret != 2:
            errs.append([err, ret])
    os.close(fd)
    return errs


def update_runner(args):
    """bpf(2) updates of distinct keys of one map, from one process."""
    path, base, n = args
    fd = obj_get(path)
    errs = []
    for r in range(3):
        for k in range(base, base + n):
            e = update(fd, u32(k), u64(k * 1000 + r))
            if e:
                errs.append(e)
    os.close(fd)
    return errs


def test_bpftool_hash(ktap, dev):
    path = os.path.join(BPFFS, "hermes_st_m")
    unpin("m")
    run(["rm", "-f", path])
    rc, out = bpftool("map", "create", path, "type", "hash", "key", "4",
                      "value", "8", "entries", "16", "name", "m",
                      "offload_dev", dev)
    info = bpftool_json("map", "show", "pinned", path) if rc == 0 else None
    ktap.ok(rc == 0 and info and info.get("dev", {}).get("ifname") == dev,
            "bpftool map create type hash ... offload_dev %s" % dev,
            out + str(info))
    keys = [u32(k) for k in (7, 1, 300, 42, 0xdeadbeef, 5)]
    vals = {k: bytes((i * 17 + j) & 0xff for j in range(8))
            for i, k in enumerate(keys)}
    ok = True
    for k in keys:
        rc, out = bpftool("map", "update", "pinned", path, "key",
                          *[str(b) for b in k], "value",
                          *[str(b) for b in vals[k]])
        ok &= rc == 0
    got = {}
    for k in keys:
        js = bpftool_json("map", "lookup", "pinned", path, "key",
                          *[str(b) for b in k])
        got[k] = bytes(hexbytes(js["value"])) if js else None
    ktap.ok(ok and got == vals,
            "bpftool map update/lookup: 6 keys read back exactly", str(got))

    dump = bpftool_dump(path)
    order = hash_order(keys, 16)
    ktap.ok(dump == [(k, vals[k]) for k in order],
            "bpftool map dump: exactly the 6 elements, in the device's "
            "bucket order", "%s\nwant keys %s" % (dump, order))
    js = bpftool_json("map", "getnext", "pinned", path, "key",
                      *[str(b) for b in order[2]])
    ktap.ok(js is not None and bytes(hexbytes(js["next_key"])) == order[3],
            "bpftool map getnext: the element after the third is the fourth")

    fd = obj_get(path)
    e1 = update(fd, keys[0], u64(1), BPF_NOEXIST)
    e2 = update(fd, u32(99), u64(1), BPF_EXIST)
    e3 = update(fd, keys[1], u64(0x1122), BPF_EXIST)
    v3 = lookup(fd, keys[1], 8)
    e4 = update(fd, u32(99), u64(5), BPF_NOEXIST)
    ktap.ok((e1, e2, e3, v3, e4) == (EEXIST, ENOENT, 0, (0, u64(0x1122)), 0),
            "update flags: NOEXIST on an existing key EEXIST, EXIST on a "
            "missing key ENOENT, EXIST on an existing key and NOEXIST on a "
            "new key succeed", str((e1, e2, e3, v3, e4)))
    rc, out = bpftool("map", "delete", "pinned", path, "key",
                      *[str(b) for b in keys[2]])
    e5 = lookup(fd, keys[2], 8)[0]
    e6 = delete(fd, keys[2])
    e7 = lookup(fd, u32(12345), 8)[0]
    left, end = contents(fd, 4, 8)
    want = {k: vals[k] for k in keys if k != keys[2]}
    want[keys[1]] = u64(0x1122)
    want[u32(99)] = u64(5)
    ktap.ok(rc == 0 and (e5, e6, e7, end) == (ENOENT, ENOENT, ENOENT,
                                              ENOENT) and
            dict(left) == want and len(left) == len(want),
            "bpftool map delete: key gone (lookup and second delete "
            "ENOENT), the others intact", str((rc, out, e5, e6, e7, left)))

    # fill it: 16 elements, then E2BIG; replacing still works when full
    for k in range(1000, 1000 + 16 - len(want)):
        update(fd, u32(k), u64(k))
    e8 = update(fd, u32(5000), u64(1))
    e9 = update(fd, keys[0], u64(77))
    e10 = update(fd, keys[0], u64(78), BPF_NOEXIST)
    n = len(contents(fd, 4, 8)[0])
    e11 = delete(fd, keys[0])
    e12 = update(fd, u32(5000), u64(1), BPF_NOEXIST)
    ktap.ok((n, e8, e9, e10, e11, e12) == (16, E2BIG, 0, EEXIST, 0, 0),
            "full hash map of 16: a new key E2BIG, an existing key is "
            "replaced (NOEXIST EEXIST), a delete makes room",
            str((n, e8, e9, e10, e11, e12)))
    os.close(fd)
    unpin("m")


def test_bpftool_array(ktap, dev):
    path = pin_path("a")
    unpin("a")
    rc, out = bpftool("map", "create", path, "type", "array", "key", "4",
                      "value", "12", "entries", "5", "name", "a",
                      "offload_dev", dev)
    zero = bytes(12)
    dump = bpftool_dump(path) if rc == 0 else None
    ktap.ok(dump == [(u32(i), zero) for i in range(5)],
            "bpftool map create type array: 5 zero elements in index order",
            out + str(dump))
    rc, out = bpftool("map", "update", "pinned", path, "key", "3", "0", "0",
                      "0", "value", *[str(i) for i in range(1, 13)])
    fd = obj_get(path)
    got = lookup(fd, u32(3), 12)
    e1 = update(fd, u32(5), zero)
    e2 = lookup(fd, u32(5), 12)[0]
    e3 = delete(fd, u32(1))
    e4 = update(fd, u32(2), zero, BPF_NOEXIST)
    n1 = next_key(fd, u32(4), 4)[0]
    n2 = next_key(fd, u32(9), 4)
    n3 = next_key(fd, u32(2), 4)
    ktap.ok(rc == 0 and got == (0, bytes(range(1, 13))) and
            (e1, e2, e3, e4, n1, n2, n3) ==
            (E2BIG, ENOENT, EINVAL, EEXIST, ENOENT, (0, u32(0)),
             (0, u32(3))),
            "array: update/lookup, index 5 of 5 E2BIG/ENOENT, delete EINVAL, "
            "NOEXIST EEXIST, next keys as the kernel's",
            str((rc, out, got, e1, e2, e3, e4, n1, n2, n3)))
    os.close(fd)
    unpin("a")


def wait_no_maps(dev):
    """Maps are freed by a work item after their last reference."""
    for _ in range(100):
        if debugfs(dev, "maps").startswith("maps: 0 of"):
            return True
        time.sleep(0.1)
    return False


def test_create_limits(ktap, dev):
    idx = int(open("/sys/class/net/%s/ifindex" % dev).read())
    wait_no_maps(dev)
    used0, total = map_mem_used(dev)
    fds = []
    want = 0
    for t, k, v, n in ((BPF_MAP_TYPE_HASH, 13, 20, 100),
                       (BPF_MAP_TYPE_ARRAY, 4, 3, 1000),
                       (BPF_MAP_TYPE_HASH, 4, 8, 1)):
        fd, err = map_create(t, k, v, n, idx)
        if fd >= 0:
            fds.append(fd)
            want += footprint(t, k, v, n)
    used1 = map_mem_used(dev)[0]
    ktap.ok(len(fds) == 3 and used1 - used0 == want,
            "map memory accounted with the device's footprint: %d bytes "
            "for 3 maps" % want, "used %s -> %s" % (used0, used1))
    # the largest array that fits, then one byte-stride more
    free = total - used1
    fd, err = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, free // 8 + 1, idx)
    fd2, err2 = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, free // 8, idx)
    ktap.ok(fd < 0 and err == ENOSPC and fd2 >= 0,
            "oversize map fails at creation with ENOSPC; one that just fits "
            "is created (%d bytes free)" % free, "errno %d/%d" % (err, err2))
    if fd2 >= 0:
        os.close(fd2)
    for f in fds:
        os.close(f)
    wait_no_maps(dev)
    ktap.ok(map_mem_used(dev)[0] == used0,
            "closing the maps gives their memory back",
            debugfs(dev, "maps"))
    log0 = kernel_log()
    e = [map_create(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 4, idx)[1],
         map_create(BPF_MAP_TYPE_HASH, 4, 8, 4, idx, BPF_F_NO_PREALLOC)[1],
         map_create(BPF_MAP_TYPE_ARRAY, 8, 8, 4, idx)[1]]
    said = kernel_log()[len(log0):]
    why = ("map type percpu_array (6) cannot be offloaded: the device does "
           "not report it in EHCAPMAPTYPES",
           "map flags 0x1 cannot be offloaded: the device has preallocated "
           "maps without flags")
    ktap.ok(e == [errno.EOPNOTSUPP, EINVAL, EINVAL] and
            all(w in said for w in why),
            "refused: percpu array (EOPNOTSUPP: the core offloads it, the "
            "device lacks it), hash without preallocation (EINVAL), array "
            "with 8-byte keys (EINVAL); the kernel log says why",
            "%s\n%s" % (e, said))


def test_programs(ktap, dev, objs):
    """Aggregating programs on Hermes and on the host, same inputs."""
    for prog, ksz in (("hist_map", 4), ("count_map", 4)):
        rch, outh, hmaps = load_with_maps(objs[prog], prog + "_h")
        rcd, outd, dmaps = load_with_maps(objs[prog], prog + "_d", dev)
        if rch or rcd:
            ktap.ok(False, "%s: run on Hermes and host, same maps" % prog,
                    outh + outd)
            continue
        hfd, dfd = obj_get(pin_path(prog + "_h")), obj_get(pin_path(prog + "_d"))
        rets = []
        for p in packets(len(prog), 12):
            h = test_run(hfd, p, repeat=2)
            d = test_run(dfd, p, repeat=2)
            rets.append(h[:2] == d[:2] and not h[0])
        os.close(hfd)
        os.close(dfd)
        same = all(rets)
        for name in sorted(hmaps):
            hc = read_map(hmaps[name], ksz, 8)
            dc = read_map(dmaps[name], ksz, 8)
            same &= sorted(hc) == sorted(dc) and len(hc) > 0
        # libbpf gives the maps their BTF, which the device's maps keep
        btf = [n for n in sorted(dmaps)
               if "btf_id" not in (bpftool_json("map", "show", "pinned",
                                                dmaps[n]) or {})]
        truth = not btf and "Retrying without BTF" not in outd
        if prog == "hist_map":
            bins = [struct.unpack("<Q", v)[0]
                    for _, v in read_map(dmaps["hist"], 4, 8)]
            truth &= bins == hist_truth(packets(len(prog), 12), 2)
        ktap.ok(same and truth,
                "%s: run on Hermes with offloaded maps and on the host with "
                "host maps, same returns, identical maps (%s) with their BTF"
                % (prog, ", ".join(sorted(dmaps))),
                "maps without BTF: %s\n%s" % (btf, outd))
        unpin(prog + "_h")
        unpin(prog + "_d")
        run(["rm", "-rf", pin_path(prog + "_h_maps"),
             pin_path(prog + "_d_maps")])


def test_translation(ktap, dev, objs):
    """The image names the map by its device map ID (lddw src_reg 5)."""
    rc, out, dmaps = load_with_maps(objs["hist_map"], "hist_x", dev)
    info = bpftool_json("prog", "show", "pinned", pin_path("hist_x"))
    img = os.path.join("/tmp", "hermes_st_hist_x.img")
    rc2, out2 = bpftool("prog", "dump", "jited", "pinned",
                        pin_path("hist_x"), "file", img) if rc == 0 \
        else (1, out)
    refs = []
    if rc2 == 0:
        with open(img, "rb") as f:
            code = f.read()
        for i in range(0, len(code) - 15, 8):
            op, regs, _, imm = struct.unpack_from("<BBhi", code, i)
            if op == 0x18 and regs >> 4:
                refs.append((regs >> 4, imm,
                             struct.unpack_from("<i", code, i + 12)[0]))
        os.unlink(img)
    ids = dict((int(b), int(a)) for a, b in re.findall(
        r"map (\d+): .* bpf map (\d+)", debugfs(dev, "maps")))
    want = [ids.get(m) for m in (info or {}).get("map_ids", [])]
    ktap.ok(rc2 == 0 and refs and len(want) == 1 and
            set(refs) == {(5, want[0], 0)},
            "translation: the map pointer becomes lddw src_reg 5 of the "
            "device map ID", str((out2, refs, want)))
    unpin("hist_x")
    run(["rm", "-rf", pin_path("hist_x_maps")])


def test_concurrency(ktap, dev, objs):
    idx = int(open("/sys/class/net/%s/ifindex" % dev).read())
    fd, err = map_create(BPF_MAP_TYPE_HASH, 4, 8, 256, idx)
    path = pin_path("cm")
    unpin("cm")
    attr = bytearray(16)
    p = ctypes.create_string_buffer(path.encode())
    struct.pack_into("<QI", attr, 0, ctypes.addressof(p), fd)
    sys_bpf(6, attr)  # BPF_OBJ_PIN
    os.close(fd)
    res = parallel(update_runner, [(path, 64 * j, 60) for j in range(4)])
    got = dict(read_map(path, 4, 8))
    want = {u32(k): u64(k * 1000 + 2) for j in range(4)
            for k in range(64 * j, 64 * j + 60)}
    ktap.ok(all(r == [] for r in res) and got == want,
            "4 processes update distinct keys of one hash map at once: all "
            "240 elements there with their last values", str(res)[:200])
    unpin("cm")

    rc, out, dmaps = load_with_maps(objs["hist_map"], "hist_c", dev)
    jobs = [(pin_path("hist_c"), 100 + j, 6, 5) for j in range(4)]
    res = parallel(hist_runner, jobs) if rc == 0 else [["load"]]
    bins = [struct.unpack("<Q", v)[0]
            for _, v in read_map(dmaps["hist"], 4, 8)] if rc == 0 else []
    want = [0] * 16
    for _, seed, n, rep in jobs:
        want = [a + b for a, b in zip(want, hist_truth(packets(seed, n),
                                                       rep))]
    ktap.ok(rc == 0 and all(r == [] for r in res) and bins == want,
            "4 processes run a histogram program into one device map "
            "(atomic adds): exact counts, no lost update (%d in all)"
            % sum(want), "%s\n%s\n%s" % (res, bins, want))
    unpin("hist_c")
    run(["rm", "-rf", pin_path("hist_c_maps")])


def test_removal(ktap, devs, objs):
    """Maps and their programs when the driver goes: ENODEV, no oops."""
    dev = devs[0]
    path = pin_path("rm")
    unpin("rm")
    rc, _ = bpftool("map", "create", path, "type", "hash", "key", "4",
                    "value", "8", "entries", "8", "name", "rm",
                    "offload_dev", dev)
    rc2, _, dmaps = load_with_maps(objs["hist_map"], "hist_rm", dev)
    fd = obj_get(path) if rc == 0 else -1
    ok = fd >= 0 and update(fd, u32(1), u64(2)) == 0
    log0 = kernel_log()
    rrc, out = run(["rmmod", "hermes"])
    e = [lookup(fd, u32(1), 8)[0], update(fd, u32(2), u64(1)),
         delete(fd, u32(1)), next_key(fd, None, 4)[0]] if fd >= 0 else []
    pfd = obj_get(pin_path("hist_rm")) if rc2 == 0 else -1
    e.append(test_run(pfd, bytes(64))[0] if pfd >= 0 else -1)
    ktap.ok(ok and rrc == 0 and e == [ENODEV] * 5,
            "rmmod hermes with maps in use: lookup, update, delete, next "
            "key and the program's runs give ENODEV", str((rrc, out, e)))
    if fd >= 0:
        os.close(fd)
    if pfd >= 0:
        os.close(pfd)
    unpin("rm")
    unpin("hist_rm")
    run(["rm", "-rf", pin_path("hist_rm_maps")])
    devs = load_driver()
    ok = bool(devs)
    if ok:
        rc, out = bpftool("map", "create", path, "type", "array", "key",
                          "4", "value", "8", "entries", "4", "name", "rm",
                          "offload_dev", devs[0])
        ok = rc == 0 and bpftool_dump(path) == [(u32(i), bytes(8))
                                                for i in range(4)]
        ok &= map_mem_used(devs[0])[0] == 64
        unpin("rm")
    new = kernel_log()[len(log0):]
    ktap.ok(ok and not bad_log(new),
            "modprobe hermes again: maps work, nothing leaked on the device, "
            "no warning in the kernel log", "\n".join(bad_log(new)))


def main():
    if not have_hermes_pci():
        skip_all("no Hermes PCI device (run with tools/vm/run --hermes 2)")
    devs = load_driver()
    if not devs:
        skip_all("the hermes driver did not bind")
    gap = map_gap(devs[0])
    if gap:
        # skipped only if the driver refuses what the device reports it
        # cannot do, with EOPNOTSUPP and a kernel log line that says why;
        # if it does not, the cases below say what goes wrong
        log0 = kernel_log()
        fd, err = map_create(BPF_MAP_TYPE_HASH, 4, 8, 4, ifindex(devs[0]))
        said = "maps cannot be offloaded: " in kernel_log()[len(log0):]
        if fd < 0 and err == errno.EOPNOTSUPP and said:
            skip_all("%s: %s (BPF_MAP_CREATE: %s)"
                     % (devs[0], gap, os.strerror(err)))
        if fd >= 0:
            os.close(fd)
    elif "maps: " not in debugfs(devs[0], "maps") or \
            map_mem_used(devs[0])[1] in (None, 0):
        skip_all("%s has no map support" % devs[0])
    ktap = Ktap(20)
    objs = build("hist_map", "count_map")
    test_bpftool_hash(ktap, devs[0])
    test_bpftool_array(ktap, devs[0])
    test_create_limits(ktap, devs[0])
    test_programs(ktap, devs[0], objs)
    test_translation(ktap, devs[0], objs)
    test_concurrency(ktap, devs[0], objs)
    test_removal(ktap, devs, objs)
    ktap.finish()


if __name__ == "__main__":
    main()
