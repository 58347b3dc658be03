#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Hermes driver: the character device /dev/hermesN (include/uapi/linux/
hermes.h), driver level.  Device nodes and their permissions, INFO against
debugfs, the errno of every bad field of a batch (with nothing run and
nothing written), small batches through the blocking ioctl and io_uring
compared record by record with the same program run by the host kernel,
faults with their instruction, and no page left pinned.  The large
end-to-end runs are in batch.py (tools/hermes)."""

import ctypes
import errno
import mmap
import os
import random
import resource
import re
import signal
import stat
import struct
import time

from hermes_lib import (Ktap, XDP_PASS, batch_gap, bpftool, build,
                        child_errno, debugfs, have_hermes_pci, helper_gap,
                        helper_refused, ifindex, insn, load_driver,
                        load_obj, mov64_imm, obj_get, pin_path,
                        program_engines, prog_load, skip_all, start_runs,
                        test_run, unpin, exit_insn, wait_in_flight)

libc = ctypes.CDLL(None, use_errno=True)
libc.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]
libc.syscall.restype = ctypes.c_long
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                      ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]


def _ioc(d, nr, size):
    return d << 30 | size << 16 | 0xB9 << 8 | nr


# struct hermes_batch and struct hermes_info of the UAPI header
BATCH_FMT = "<IIIIQQQIIIIIIIIIIQ"
BATCH_SIZE = struct.calcsize(BATCH_FMT)
INFO_HEAD = "<II16s64sIIIIIIII"
INFO_SIZE = struct.calcsize(INFO_HEAD) + 4 * 32 * 8
IOC_INFO = _ioc(2, 0, INFO_SIZE)
IOC_BATCH = _ioc(3, 1, BATCH_SIZE)
LENPFX = 1
RESULT = 16
FAULT_BUDGET = 19
NR_IO_URING_SETUP, NR_IO_URING_ENTER, NR_IO_URING_REGISTER = 425, 426, 427

FIELDS = ("prog_fd flags record_size budget in_addr out_addr res_addr "
          "in_len out_len res_len reserved records_in records_out "
          "bytes_out fault fault_insn reserved2 duration_ns").split()


def pack_batch(**kw):
    return struct.pack(BATCH_FMT, *[kw.get(f, 0) for f in FIELDS])


def unpack_batch(raw):
    return dict(zip(FIELDS, struct.unpack(BATCH_FMT, raw)))


def ioctl(fd, req, buf):
    ret = libc.ioctl(fd, req, ctypes.addressof(buf))
    return ctypes.get_errno() if ret < 0 else 0


def info(fd):
    buf = ctypes.create_string_buffer(INFO_SIZE)
    err = ioctl(fd, IOC_INFO, buf)
    if err:
        return err, None
    v = struct.unpack_from(INFO_HEAD, buf.raw)
    n = struct.calcsize(INFO_HEAD)
    cnt = struct.unpack_from("<128Q", buf.raw, n)
    keys = ("version ifindex ifname build engines max_batch isa cmds "
            "stack_size max_insns budget_default budget_max").split()
    d = dict(zip(keys, v))
    d["ifname"] = d["ifname"].rstrip(b"\0").decode()
    d["build"] = d["build"].rstrip(b"\0").decode()
    for i, k in enumerate(("runs", "insns", "busy_ns", "errors")):
        d[k] = list(cnt[32 * i:32 * i + d["engines"]])
    return 0, d


class Bufs:
    """Input, output and result buffers of one batch, kept alive."""

    def __init__(self, data, out_len=None, res_len=None, fill=0xcc):
        self.inp = ctypes.create_string_buffer(bytes(data), max(len(data), 1))
        n = len(data) if out_len is None else out_len
        self.out = ctypes.create_string_buffer(bytes([fill]) * max(n, 1))
        self.out_len = n
        r = res_len if res_len is not None else RESULT * max(len(data), 1)
        self.res = ctypes.create_string_buffer(bytes([fill]) * max(r, 1))
        self.res_len = r
        self.in_len = len(data)

    def args(self, **kw):
        a = dict(in_addr=ctypes.addressof(self.inp),
                 out_addr=ctypes.addressof(self.out),
                 res_addr=ctypes.addressof(self.res), in_len=self.in_len,
                 out_len=self.out_len, res_len=self.res_len)
        a.update(kw)
        return a

    def untouched(self, fill=0xcc):
        return self.out.raw[:self.out_len] == bytes([fill]) * self.out_len \
            and self.res.raw[:self.res_len] == bytes([fill]) * self.res_len


def batch(fd, **kw):
    buf = ctypes.create_string_buffer(pack_batch(**kw), BATCH_SIZE)
    err = ioctl(fd, IOC_BATCH, buf)
    return err, unpack_batch(buf.raw)


def foll_pins():
    """nr_foll_pin_acquired and _released, per-CPU deltas folded in."""
    with open("/proc/sys/vm/stat_refresh", "w") as f:
        f.write("1")
    v = {}
    with open("/proc/vmstat") as f:
        for line in f:
            k, n = line.split()
            v[k] = int(n)
    return v.get("nr_foll_pin_acquired"), v.get("nr_foll_pin_released")


def caps_of(dev):
    c = debugfs(dev, "caps")
    m = re.search(r"data slots: (\d+) x (\d+) bytes", c)
    b = re.search(r"budget: (\d+) default, (\d+) max", c)
    return {"isa": int(re.search(r"isa: (0x[0-9a-f]+|0)", c).group(1), 0),
            "stack": int(re.search(r"stack: (\d+)", c).group(1)),
            "max_insns": int(re.search(r"max_insns: (\d+)", c).group(1)),
            "dslot": int(m.group(2)), "budget_def": int(b.group(1)),
            "budget_max": int(b.group(2))}


def engine_counters(dev):
    runs = {}
    for m in re.finditer(r"engine (\d+): .* runs (\d+) insns (\d+) "
                         r"errors (\d+) busy_ns (\d+)",
                         debugfs(dev, "engines")):
        runs[int(m.group(1))] = tuple(int(m.group(i)) for i in (2, 3, 4, 5))
    return runs


# --- expected results: the host kernel runs the same program ------------

def host_expect(host_fd, records, lenpfx=False):
    """Output, result table and counts the device must give, from the host
    kernel's BPF_PROG_TEST_RUN of every record."""
    out, table, kept = b"", b"", 0
    for rec in records:
        err, retval, data, _ = test_run(host_fd, rec)
        if err:
            raise OSError(err, "host test_run")
        keep = retval == XDP_PASS
        if keep:
            kept += 1
            out += (struct.pack("<I", len(data)) if lenpfx else b"") + data
        table += struct.pack("<QII", retval, len(data) if keep else 0,
                             1 if keep else 0)
    return out, table, kept


def filter_records(n, size, rnd):
    recs = []
    for i in range(n):
        r = bytearray(rnd.getrandbits(8) for _ in range(size))
        r[0] = (r[0] & ~3) | (i % 4)
        recs.append(bytes(r))
    return recs


def lenpfx(recs):
    return b"".join(struct.pack("<I", len(r)) + r for r in recs)


# --- io_uring through raw system calls ----------------------------------

class Ring:
    """A minimal io_uring: IORING_OP_URING_CMD submissions, completions."""
    OP_URING_CMD = 46
    ENTER_GETEVENTS = 1

    def __init__(self, entries):
        p = ctypes.create_string_buffer(120)
        fd = libc.syscall(NR_IO_URING_SETUP, entries, p)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "io_uring_setup")
        self.fd = fd
        (self.sq_entries, self.cq_entries, _flags, _cpu, _idle, _feat,
         _wq) = struct.unpack_from("<7I", p.raw, 0)
        sq = struct.unpack_from("<7I", p.raw, 40)   # io_sqring_offsets
        cq = struct.unpack_from("<6I", p.raw, 80)   # io_cqring_offsets
        self.sqo = dict(zip("head tail mask entries flags dropped array"
                            .split(), sq))
        self.cqo = dict(zip("head tail mask entries overflow cqes"
                            .split(), cq))
        self.sq = mmap.mmap(fd, self.sqo["array"] + 4 * self.sq_entries,
                            offset=0)
        self.cq = mmap.mmap(fd, self.cqo["cqes"] + 16 * self.cq_entries,
                            offset=0x8000000)
        self.sqes = mmap.mmap(fd, 64 * self.sq_entries, offset=0x10000000)
        self.keep = []

    def _u32(self, m, off, val=None):
        if val is None:
            return struct.unpack_from("<I", m, off)[0]
        struct.pack_into("<I", m, off, val)

    def register_buffer(self, addr, length):
        """IORING_REGISTER_BUFFERS of one buffer, index 0."""
        iov = struct.pack("<QQ", addr, length)
        self.keep.append(ctypes.create_string_buffer(iov, len(iov)))
        if libc.syscall(NR_IO_URING_REGISTER, self.fd, 0,
                        ctypes.byref(self.keep[-1]), 1) < 0:
            raise OSError(ctypes.get_errno(), "io_uring_register")

    def submit(self, dev_fd, cmd_op, cmd_addr, user_data, cmd_tail=0,
               cmd_flags=0):
        """cmd_tail: the 8 reserved bytes after the address in the
        command area; cmd_flags: sqe->uring_cmd_flags."""
        tail = self._u32(self.sq, self.sqo["tail"])
        idx = tail & self._u32(self.sq, self.sqo["mask"])
        sqe = bytearray(64)
        struct.pack_into("<BBHiII", sqe, 0, self.OP_URING_CMD, 0, 0, dev_fd,
                         cmd_op, 0)
        struct.pack_into("<I", sqe, 28, cmd_flags)
        struct.pack_into("<Q", sqe, 32, user_data)
        struct.pack_into("<QQ", sqe, 48, cmd_addr, cmd_tail)
        self.sqes[64 * idx:64 * idx + 64] = bytes(sqe)
        self._u32(self.sq, self.sqo["array"] + 4 * idx, idx)
        self._u32(self.sq, self.sqo["tail"], tail + 1)

    def enter(self, to_submit, min_complete):
        n = libc.syscall(NR_IO_URING_ENTER, self.fd, to_submit, min_complete,
                         self.ENTER_GETEVENTS if min_complete else 0, None,
                         0)
        if n < 0:
            raise OSError(ctypes.get_errno(), "io_uring_enter")
        return n

    def reap(self):
        done = []
        head = self._u32(self.cq, self.cqo["head"])
        tail = self._u32(self.cq, self.cqo["tail"])
        mask = self._u32(self.cq, self.cqo["mask"])
        while head != tail:
            off = self.cqo["cqes"] + 16 * (head & mask)
            ud, res, _ = struct.unpack_from("<QiI", self.cq, off)
            done.append((ud, res))
            head += 1
        self._u32(self.cq, self.cqo["head"], head)
        return done

    def close(self):
        for m in (self.sq, self.cq, self.sqes):
            m.close()
        os.close(self.fd)


# --- the tests -----------------------------------------------------------

def test_nodes(ktap, devs):
    bad = []
    for d in devs:
        node = "/dev/" + d
        try:
            st = os.stat(node)
        except OSError as e:
            bad.append("%s: %s" % (node, e))
            continue
        if not stat.S_ISCHR(st.st_mode) or stat.S_IMODE(st.st_mode) != 0o600 \
                or st.st_uid != 0:
            bad.append("%s: mode %o uid %d" % (node, st.st_mode, st.st_uid))
        parent = os.path.realpath("/sys/class/misc/%s/device" % d)
        want = os.path.realpath("/sys/class/net/%s/device" % d)
        if parent != want:
            bad.append("%s: parent %s, netdev's %s" % (node, parent, want))
        if "device: /dev/%s" % d not in debugfs(d, "cdev"):
            bad.append("%s: debugfs cdev says %r" % (d, debugfs(d, "cdev")))
    ktap.ok(not bad, "a node /dev/hermesN per device, char, mode 0600, "
            "root's, parent the PCI device, named in debugfs",
            "\n".join(bad))


def test_info(ktap, devs, fds):
    bad = []
    for d in devs:
        before = engine_counters(d)
        err, inf = info(fds[d])
        after = engine_counters(d)
        if err:
            bad.append("%s: INFO errno %d" % (d, err))
            continue
        c = caps_of(d)
        eng = int(re.search(r"program engines: (\d+)",
                            debugfs(d, "engines")).group(1))
        want = {"version": 2, "ifindex": ifindex(d), "ifname": d,
                "engines": eng, "max_batch": c["dslot"], "isa": c["isa"],
                "stack_size": c["stack"], "max_insns": c["max_insns"],
                "budget_default": c["budget_def"],
                "budget_max": c["budget_max"]}
        for k, v in want.items():
            if inf[k] != v:
                bad.append("%s: %s %r, want %r" % (d, k, inf[k], v))
        if inf["build"] not in debugfs(d, "engines"):
            bad.append("%s: build %r" % (d, inf["build"]))
        for e in range(eng):
            got = (inf["runs"][e], inf["insns"][e], inf["errors"][e],
                   inf["busy_ns"][e])
            if not before[e] <= got <= after[e]:
                bad.append("%s: engine %d counters %s, debugfs %s..%s" %
                           (d, e, got, before[e], after[e]))
    ktap.ok(not bad, "INFO: version, netdev, build, engines, max_batch, "
            "capabilities and engine counters equal debugfs", "\n".join(bad))


def test_errnos(ktap, fd, dev, progs, inf):
    """Every bad field: its errno, nothing run, nothing written."""
    rnd = random.Random(8)
    recs = filter_records(8, 64, rnd)
    b = Bufs(b"".join(recs))
    good = b.args(prog_fd=progs["dev"], record_size=64)
    page = mmap.PAGESIZE
    ro = libc.mmap(None, page, mmap.PROT_READ,
                   mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
    gone = libc.mmap(None, page, mmap.PROT_READ | mmap.PROT_WRITE,
                     mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
    libc.munmap(gone, page)
    nullfd = os.open("/dev/null", os.O_RDONLY)
    big = inf["max_batch"]
    cases = [
        ("reserved != 0", dict(reserved=1), errno.EINVAL),
        ("reserved2 != 0", dict(reserved2=1), errno.EINVAL),
        ("unknown flag", dict(flags=2), errno.EINVAL),
        ("record_size 0 without LENPFX", dict(record_size=0), errno.EINVAL),
        ("record_size with LENPFX", dict(flags=LENPFX), errno.EINVAL),
        ("in_len not a multiple of record_size", dict(record_size=48),
         errno.EINVAL),
        ("out_len < in_len", dict(out_len=b.in_len - 1), errno.EINVAL),
        ("res_len without res_addr", dict(res_addr=0), errno.EINVAL),
        ("in_len > max_batch", dict(in_len=big + 64, out_len=big + 64),
         errno.EMSGSIZE),
        ("records whose result table does not fit in the slot",
         dict(in_len=big, out_len=big), errno.EMSGSIZE),
        ("unmapped input", dict(in_addr=gone), errno.EFAULT),
        ("unmapped output", dict(out_addr=gone), errno.EFAULT),
        ("read-only output", dict(out_addr=ro, out_len=page),
         errno.EFAULT),
        ("read-only results", dict(res_addr=ro, res_len=page), errno.EFAULT),
        ("kernel address", dict(in_addr=0xffff888000000000), errno.EFAULT),
        ("wrapping range", dict(in_addr=(1 << 64) - 64), errno.EFAULT),
        ("prog fd not a program", dict(prog_fd=nullfd), errno.EINVAL),
        ("prog fd closed", dict(prog_fd=4000), errno.EBADF),
        ("host program (not offloaded)", dict(prog_fd=progs["host"]),
         errno.EINVAL),
    ]
    if progs.get("other"):
        cases.append(("program offloaded to the other device",
                      dict(prog_fd=progs["other"]), errno.EINVAL))
    c0 = engine_counters(dev)
    for what, change, want in cases:
        a = dict(good)
        a.update(change)
        err, _ = batch(fd, **a)
        ktap.ok(err == want and b.untouched(),
                "batch with %s: %s, nothing written" %
                (what, errno.errorcode[want]),
                "errno %s, buffers %s" % (errno.errorcode.get(err, err),
                                          "untouched" if b.untouched()
                                          else "written"))
    unknown = ctypes.create_string_buffer(64)
    ktap.ok(ioctl(fd, _ioc(3, 9, 64), unknown) == errno.ENOTTY,
            "unknown ioctl: ENOTTY")
    c1 = engine_counters(dev)
    ktap.ok(c0 == c1, "refused batches ran nothing on the device",
            "counters %s then %s" % (c0, c1))
    os.close(nullfd)
    libc.munmap(ro, page)


def in_child(func):
    """Run func() in a forked child; return its exit code."""
    pid = os.fork()
    if pid == 0:
        code = 99
        try:
            code = func()
        finally:
            os._exit(code)
    return os.waitpid(pid, 0)[1] >> 8


def test_unprivileged(ktap, dev, fd, progs):
    node = "/dev/" + dev
    alias = "/tmp/hermes-st-cdev-alias"
    st = os.stat(node)
    try:
        os.unlink(alias)
    except FileNotFoundError:
        pass
    os.mknod(alias, 0o666 | stat.S_IFCHR, st.st_rdev)
    os.chmod(alias, 0o666)

    def open_as_nobody(path):
        def child():
            os.setgid(65534)
            os.setuid(65534)
            try:
                os.close(os.open(path, os.O_RDWR))
                return 0
            except OSError as e:
                return e.errno
        return child

    ktap.ok(in_child(open_as_nobody(node)) == errno.EACCES,
            "an unprivileged user cannot open /dev/%s (mode 0600): EACCES" %
            dev)
    ktap.ok(in_child(open_as_nobody(alias)) == errno.EPERM,
            "an unprivileged user opening a world-writable node of the "
            "device: EPERM (needs CAP_BPF and CAP_NET_ADMIN)")
    os.unlink(alias)


def check_batch(fd, prog_fd, host_fd, recs, size, lenpfx_mode=False,
                inplace=False):
    data = lenpfx(recs) if lenpfx_mode else b"".join(recs)
    b = Bufs(data)
    a = b.args(prog_fd=prog_fd, record_size=0 if lenpfx_mode else size,
               flags=LENPFX if lenpfx_mode else 0)
    if inplace:
        a["out_addr"] = a["in_addr"]
    err, r = batch(fd, **a)
    if err:
        return "errno %s" % errno.errorcode.get(err, err)
    out, table, kept = host_expect(host_fd, recs, lenpfx_mode)
    got = (b.inp if inplace else b.out).raw[:r["bytes_out"]]
    bad = []
    if (r["records_in"], r["records_out"], r["bytes_out"], r["fault"]) != \
            (len(recs), kept, len(out), 0):
        bad.append("records %d/%d bytes %d fault %d, want %d/%d %d 0" %
                   (r["records_in"], r["records_out"], r["bytes_out"],
                    r["fault"], len(recs), kept, len(out)))
    if got != out:
        bad.append("output differs from the host's")
    res = b.res.raw[:len(table)]
    for k in range(len(recs)):
        e = res[16 * k:16 * k + 16]
        h = table[16 * k:16 * k + 16]
        # filter.bpf.c returns 0 to 2: r0 is the host's 32-bit retval
        if e != h:
            bad.append("record %d: result %s, host %s" % (k, e.hex(),
                                                          h.hex()))
            break
    if b.res.raw[len(table):b.res_len] != \
            b"\xcc" * (b.res_len - len(table)):
        bad.append("result entries written past the records")
    if not r["duration_ns"]:
        bad.append("no device time")
    return "; ".join(bad) or None


def test_batches(ktap, fd, progs):
    rnd = random.Random(0x4852)
    recs = filter_records(64, 64, rnd)
    bad = check_batch(fd, progs["dev"], progs["host"], recs, 64)
    ktap.ok(not bad, "ioctl: 64 records of 64 bytes through filter.bpf.c: "
            "kept, dropped, changed and shortened records, result table "
            "and counts equal the host kernel's per record", bad)
    recs = filter_records(33, 100, rnd)
    bad = check_batch(fd, progs["dev"], progs["host"], recs, 100,
                      inplace=True)
    ktap.ok(not bad, "ioctl: output in place of the input "
            "(out_addr == in_addr) equals the host's", bad)
    recs = [r[:rnd.randrange(14, 90)] for r in filter_records(40, 90, rnd)]
    bad = check_batch(fd, progs["dev"], progs["host"], recs, 0,
                      lenpfx_mode=True)
    ktap.ok(not bad, "ioctl: 40 length-prefixed records of 14 to 89 bytes: "
            "output (with its length prefixes) and results equal the "
            "host's", bad)

    # framing: the last record claims more bytes than there are
    data = lenpfx(recs[:3]) + struct.pack("<I", 50) + b"x" * 20
    b = Bufs(data)
    c0 = engine_counters(progs["devname"])
    err, _ = batch(fd, **b.args(prog_fd=progs["dev"], flags=LENPFX))
    ktap.ok(err == errno.EINVAL and b.untouched(),
            "ioctl: length-prefixed input whose last record runs past "
            "in_len: EINVAL, nothing written",
            "errno %s" % errno.errorcode.get(err, err))
    c1 = engine_counters(progs["devname"])
    ktap.ok(sum(v[0] for v in c1.values()) ==
            sum(v[0] for v in c0.values()),
            "ioctl: no record of a badly framed batch ran")

    # no result table wanted
    recs = filter_records(16, 32, rnd)
    b = Bufs(b"".join(recs), res_len=0)
    err, r = batch(fd, **b.args(prog_fd=progs["dev"], record_size=32,
                                res_addr=0))
    out, _, kept = host_expect(progs["host"], recs)
    ktap.ok(not err and b.out.raw[:r["bytes_out"]] == out and
            r["records_out"] == kept,
            "ioctl: res_addr 0: output only, equal to the host's",
            "errno %s" % errno.errorcode.get(err, err))

    # empty batch
    b = Bufs(b"")
    err, r = batch(fd, **b.args(prog_fd=progs["dev"], record_size=64,
                                in_len=0))
    ktap.ok(not err and (r["records_in"], r["records_out"],
                         r["bytes_out"]) == (0, 0, 0),
            "ioctl: an empty batch runs nothing and reports zeros")


def test_faults(ktap, fd, progs):
    # loopy: records before the 0xab one pass; a small budget stops there
    rnd = random.Random(5)
    recs = [bytes([i]) + bytes(rnd.getrandbits(8) for _ in range(31))
            for i in range(12)]
    recs[7] = b"\xab" + recs[7][1:]
    b = Bufs(b"".join(recs))
    err, r = batch(fd, **b.args(prog_fd=progs["loopy"], record_size=32,
                                budget=5000))
    xl = xlated(progs["loopy_path"])
    ok = not err and r["fault"] == FAULT_BUDGET and r["records_in"] == 7 \
        and r["records_out"] == 7 and r["bytes_out"] == 7 * 32 and \
        b.out.raw[:7 * 32] == b"".join(recs[:7]) and \
        b.res.raw[7 * 16:8 * 16] == b"\xcc" * 16 and \
        r["fault_insn"] < len(xl)
    for k in range(7):
        ok = ok and b.res.raw[16 * k:16 * k + 16] == \
            struct.pack("<QII", XDP_PASS, 32, 1)
    ktap.ok(ok, "ioctl: a budget fault at record 7: 0 with fault BUDGET, "
            "records_in 7, the 7 records before it and their results "
            "delivered, nothing after",
            "errno %s %s" % (errno.errorcode.get(err, err), r))

    # the fault names the instruction as bpftool dump xlated shows it,
    # also after the verifier inserted its division guards before it
    err, r = batch(fd, **Bufs(b"z" * 32).args(prog_fd=progs["div"],
                                               record_size=32, budget=50))
    xl = xlated(progs["div_path"])
    at = xl[r["fault_insn"]] if r["fault_insn"] < len(xl) else "?"
    ok = not err and r["fault"] == FAULT_BUDGET and r["records_in"] == 0 \
        and re.search(r"r0 \+= 1|if r0 < 0x2710", at)
    ktap.ok(ok, "ioctl: fault_insn is the xlated index of the looping "
            "instruction, after the verifier's division guards",
            "errno %s fault %d insn %d: %r\n%s" %
            (errno.errorcode.get(err, err), r["fault"], r["fault_insn"],
             at, "\n".join(xl)))


def xlated(path):
    rc, out = bpftool("prog", "dump", "xlated", "pinned", path)
    lines = []
    for line in out.splitlines():
        m = re.match(r"\s*(\d+): \(..\) (.*)", line)
        if m:
            n = int(m.group(1))
            while len(lines) < n:
                lines.append("(lddw 2nd half)")
            lines.append(m.group(2))
    return lines


def test_uring(ktap, fd, progs, engines):
    rnd = random.Random(77)
    depth = 2 * engines + 1
    ring = Ring(32)
    jobs = []
    for k in range(depth):
        recs = filter_records(20 + k, 64, rnd)
        b = Bufs(b"".join(recs))
        cmd = ctypes.create_string_buffer(
            pack_batch(**b.args(prog_fd=progs["dev"], record_size=64)),
            BATCH_SIZE)
        jobs.append((recs, b, cmd))
        ring.submit(fd, IOC_BATCH, ctypes.addressof(cmd), k)
    ring.enter(depth, depth)
    done = ring.reap()
    while len(done) < depth:
        ring.enter(0, 1)
        done += ring.reap()
    bad = []
    for ud, res in done:
        recs, b, cmd = jobs[ud]
        r = unpack_batch(cmd.raw)
        out, table, kept = host_expect(progs["host"], recs)
        if res or r["records_in"] != len(recs) or \
                r["records_out"] != kept or \
                b.out.raw[:r["bytes_out"]] != out or \
                b.res.raw[:len(table)] != table:
            bad.append("batch %d: res %d %s" % (ud, res, r))
    ktap.ok(not bad and sorted(u for u, _ in done) == list(range(depth)),
            "io_uring: %d batches in flight complete with 0, outputs and "
            "results equal the host's" % depth, "\n".join(bad))

    # batches long enough to overlap: each engine runs one
    jobs = []
    c0 = engine_counters(progs["devname"])
    for k in range(engines):
        b, a = spin_batch(progs, 256)
        cmd = ctypes.create_string_buffer(pack_batch(**a), BATCH_SIZE)
        jobs.append((b, cmd))
        ring.submit(fd, IOC_BATCH, ctypes.addressof(cmd), k)
    ring.enter(engines, engines)
    done = ring.reap()
    while len(done) < engines:
        ring.enter(0, 1)
        done += ring.reap()
    c1 = engine_counters(progs["devname"])
    used = [e for e in c1 if c1[e][0] - c0[e][0] == 256]
    ktap.ok(all(res == 0 for _, res in done) and len(used) == engines,
            "io_uring: %d long batches in flight run one on each engine "
            "(%d engines ran 256 records)" % (engines, len(used)),
            "completions %s, runs %s -> %s" % (done, c0, c1))

    # bad input through io_uring: the errno in the completion
    b = Bufs(b"x" * 64)
    cmd = ctypes.create_string_buffer(
        pack_batch(**b.args(prog_fd=progs["dev"], record_size=64,
                            reserved=1)), BATCH_SIZE)
    good = ctypes.create_string_buffer(
        pack_batch(**b.args(prog_fd=progs["dev"], record_size=64)),
        BATCH_SIZE)
    ring.register_buffer(ctypes.addressof(b.inp), 64)
    ring.submit(fd, IOC_BATCH, ctypes.addressof(cmd), 100)
    ring.submit(fd, 0x1234, ctypes.addressof(cmd), 101)
    ring.submit(fd, IOC_BATCH, ctypes.addressof(good), 102, cmd_tail=1 << 56)
    ring.submit(fd, IOC_BATCH, ctypes.addressof(good), 103, cmd_flags=1)
    ring.enter(4, 4)
    got = dict(ring.reap())
    ktap.ok(got.get(100) == -errno.EINVAL and got.get(101) == -errno.ENOTTY
            and got.get(102) == -errno.EINVAL and
            got.get(103) == -errno.EINVAL and b.untouched(),
            "io_uring: a bad batch completes with -EINVAL, an unknown "
            "cmd_op with -ENOTTY, a reserved byte of the command or "
            "IORING_URING_CMD_FIXED with -EINVAL", "completions %s" % got)
    ring.close()


def test_kill(ktap, dev, progs):
    """A process with long batches in flight is killed: its ring goes away
    in bounded time and no page stays pinned."""
    def child():
        fd = os.open("/dev/" + dev, os.O_RDWR)
        ring = Ring(16)
        keep = []
        # 16384 spinning records: over a billion instructions a batch
        recs = [b"\xab" + b"\0" * 31] * 16384
        for k in range(12):
            b = Bufs(b"".join(recs))
            cmd = ctypes.create_string_buffer(
                pack_batch(**b.args(prog_fd=progs["loopy"],
                                    record_size=32)), BATCH_SIZE)
            keep.append((b, cmd))
            ring.submit(fd, IOC_BATCH, ctypes.addressof(cmd), k)
        ring.enter(12, 0)
        time.sleep(60)
        return 0

    pid = os.fork()
    if pid == 0:
        try:
            child()
        finally:
            os._exit(0)
    inflight = None
    for _ in range(50):
        time.sleep(0.2)
        pins = foll_pins()
        if pins[0] > pins[1]:
            inflight = pins[0] - pins[1]
            break
    t0 = time.time()
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pins = None
    for _ in range(100):
        pins = foll_pins()
        if pins[0] == pins[1]:
            break
        time.sleep(0.1)
    ktap.ok(inflight and pins[0] == pins[1] and time.time() - t0 < 10,
            "io_uring: killing a process with 12 long batches in flight "
            "(%s pages pinned) releases every pinned page within %.1f s" %
            (inflight, time.time() - t0),
            "nr_foll_pin acquired %d released %d" % pins)


MAX_BATCHES = "/sys/module/hermes/parameters/max_batches"


def fdinfo(fd):
    """The driver's lines of /proc/self/fdinfo/FD: {name: int}."""
    with open("/proc/self/fdinfo/%d" % fd) as f:
        return {k: int(v) for k, v in
                re.findall(r"^(hermes-[a-z-]+):\s+(\d+)$", f.read(), re.M)}


def cdev_counts(dev):
    c = debugfs(dev, "cdev")
    return (int(re.search(r"in flight: (\d+)", c).group(1)),
            int(re.search(r"refused busy: (\d+)", c).group(1)))


def set_max_batches(n):
    with open(MAX_BATCHES, "w") as f:
        f.write(str(n))


def wait_idle(fd, secs=30):
    """Wait until no batch of the file is in flight; seconds it took."""
    t0 = time.time()
    while fdinfo(fd).get("hermes-batches") and time.time() - t0 < secs:
        time.sleep(0.05)
    return time.time() - t0


def test_busy(ktap, dev, progs):
    """Batches in flight per open file are bounded (module parameter
    max_batches): one more gets EBUSY through io_uring and the ioctl, and
    every way a batch ends gives its place back."""
    with open(MAX_BATCHES) as f:
        default = int(f.read())
    fd = os.open("/dev/" + dev, os.O_RDWR)
    fd2 = os.open("/dev/" + dev, os.O_RDWR)
    info0 = fdinfo(fd)
    ktap.ok(default == 64 and info0 == {"hermes-batches": 0,
                                        "hermes-max-batches": 64},
            "max_batches is 64 by default, fdinfo shows it and no batch",
            "parameter %d, fdinfo %s" % (default, info0))
    bad = []
    for v in ("0", "4097", "x"):
        try:
            set_max_batches(v)
            bad.append(v)
        except OSError as e:
            if e.errno != errno.EINVAL:
                bad.append("%s: %s" % (v, e))
    ktap.ok(not bad, "max_batches refuses 0, 4097 and a non-number",
            "taken: %s" % bad)

    limit = 4
    set_max_batches(limit)
    small = Bufs(b"x" * 64)
    small_args = small.args(prog_fd=progs["dev"], record_size=64)
    try:
        # io_uring: four slow batches, then one more on the same file
        ring = Ring(16)
        keep = []
        for k in range(limit + 1):
            b, a = spin_batch(progs, 1024)
            cmd = ctypes.create_string_buffer(pack_batch(**a), BATCH_SIZE)
            keep.append((b, cmd))
            ring.submit(fd, IOC_BATCH, ctypes.addressof(cmd), k)
        busy0 = cdev_counts(dev)[1]
        ring.enter(limit + 1, 1)
        first = ring.reap()
        in_flight = fdinfo(fd)["hermes-batches"]
        dev_count = cdev_counts(dev)[0]
        e_ioctl, _ = batch(fd, **small_args)
        # in this task: the io_uring completions that come while it waits
        # for an engine run as task work, which interrupts the wait; the
        # driver restarts the call (ERESTARTSYS) instead of failing EINTR
        e_other = batch(fd2, **small_args)[0]
        busy1 = cdev_counts(dev)[1]
        ktap.ok(first == [(limit, -errno.EBUSY)] and in_flight == limit and
                dev_count == limit and e_ioctl == errno.EBUSY and
                not e_other and busy1 - busy0 == 2,
                "max_batches %d: a fifth io_uring batch completes at once "
                "with -EBUSY, an ioctl on the same file gets EBUSY, one on "
                "another file of the device runs; fdinfo and debugfs count "
                "%d in flight" % (limit, limit),
                "first completions %s, fdinfo %d, debugfs %d, ioctl %s, "
                "other file %s, refused %d" %
                (first, in_flight, dev_count,
                 errno.errorcode.get(e_ioctl, e_ioctl),
                 errno.errorcode.get(e_other, e_other), busy1 - busy0))
        done = []
        while len(done) < limit:
            ring.enter(0, 1)
            done += ring.reap()
        idle = fdinfo(fd)["hermes-batches"]
        # the places are back: four more at once all run
        for k in range(limit):
            ring.submit(fd, IOC_BATCH, ctypes.addressof(keep[k][1]),
                        10 + k)
        ring.enter(limit, limit)
        again = ring.reap()
        while len(again) < limit:
            ring.enter(0, 1)
            again += ring.reap()
        ktap.ok(sorted(done) == [(k, 0) for k in range(limit)] and
                idle == 0 and
                sorted(again) == [(10 + k, 0) for k in range(limit)] and
                fdinfo(fd)["hermes-batches"] == 0,
                "completed batches give their places back: %d more run at "
                "once, then none is in flight" % limit,
                "completions %s, then %d in flight, then %s" %
                (done, idle, again))

        # refused batches give theirs back at once
        errs = set()
        for _ in range(2 * limit):
            errs.add(batch(fd, **dict(small_args, reserved=1))[0])
        ktap.ok(errs == {errno.EINVAL} and
                fdinfo(fd)["hermes-batches"] == 0,
                "%d batches refused with EINVAL in a row: EINVAL each, no "
                "place kept" % (2 * limit),
                "errnos %s, fdinfo %s" % (errs, fdinfo(fd)))

        # cancellation: the ring goes away with four long batches
        for k in range(limit + 1):
            b, a = spin_batch(progs)
            cmd = ctypes.create_string_buffer(pack_batch(**a), BATCH_SIZE)
            keep.append((b, cmd))
            ring.submit(fd, IOC_BATCH, ctypes.addressof(cmd), 20 + k)
        ring.enter(limit + 1, 1)
        first = ring.reap()
        t0 = time.time()
        ring.close()
        dt = wait_idle(fd)
        n = fdinfo(fd)["hermes-batches"]
        ring = Ring(16)
        for k in range(limit):
            ring.submit(fd, IOC_BATCH, ctypes.addressof(keep[k][1]),
                        30 + k)
        ring.enter(limit, limit)
        again = ring.reap()
        while len(again) < limit:
            ring.enter(0, 1)
            again += ring.reap()
        ring.close()
        ktap.ok(first == [(20 + limit, -errno.EBUSY)] and n == 0 and
                dt < 10 and
                sorted(again) == [(30 + k, 0) for k in range(limit)] and
                cdev_counts(dev)[0] == 0,
                "closing a ring with %d long batches in flight cancels them "
                "and gives their places back within %.1f s: %d more run" %
                (limit, time.time() - t0, limit),
                "first %s, %d in flight after %.1f s, then %s" %
                (first, n, dt, again))
    finally:
        set_max_batches(default)
        os.close(fd)
        os.close(fd2)


def test_task_work(ktap, fd, progs, engines):
    """io_uring completions reach their task as task work, which makes
    signal_pending() true while the task sleeps in the kernel: a blocking
    batch of that task must not take it for a signal and abort."""
    if engines < 2:
        ktap.skip("task work during a blocking batch", "one program engine")
        return
    ring = Ring(4)
    short, sa = spin_batch(progs, 256)
    cmd = ctypes.create_string_buffer(pack_batch(**sa), BATCH_SIZE)
    ring.submit(fd, IOC_BATCH, ctypes.addressof(cmd), 1)
    ring.enter(1, 0)
    long_b, la = spin_batch(progs, 4096)
    t0 = time.monotonic()
    err, out = batch(fd, **la)
    dt = time.monotonic() - t0
    ring.enter(0, 1)
    done = ring.reap()
    ktap.ok(err == 0 and out["records_in"] == 4096 and done == [(1, 0)] and
            short.untouched() is False,
            "a blocking batch (%.2f s) runs to its end while an io_uring "
            "batch of the same task completes as task work" % dt,
            "ioctl %s, records %s, io_uring %s" %
            (errno.errorcode.get(err, err), out.get("records_in"), done))
    ring.close()


def spin_batch(progs, records=16384):
    """A batch of records that each spin some 100000 instructions."""
    b = Bufs((b"\xab" + b"\0" * 31) * records)
    return b, b.args(prog_fd=progs["loopy"], record_size=32)


def test_sizes(ktap, fd, progs):
    """The batch command's code carries the structure's size, so that the
    structure can grow: larger ones with zeros past ours run, the others
    are refused before anything runs."""
    got = {}
    for name, extra, tail in (("larger", 8, b"\0" * 8),
                              ("larger, non-zero tail", 8, b"\0" * 7 + b"\1"),
                              ("smaller", -8, b"")):
        b = Bufs(b"x" * 256)
        raw = pack_batch(**b.args(prog_fd=progs["dev"], record_size=64))
        raw = raw[:BATCH_SIZE + min(extra, 0)] + tail
        buf = ctypes.create_string_buffer(raw, len(raw))
        err = ioctl(fd, _ioc(3, 1, len(raw)), buf)
        out = unpack_batch(buf.raw[:BATCH_SIZE]) if extra > 0 else {}
        got[name] = (err, out.get("records_in"), b.untouched())
    ktap.ok(got["larger"] == (0, 4, False) and
            got["larger, non-zero tail"] == (errno.E2BIG, 0, True) and
            got["smaller"] == (errno.EINVAL, None, True),
            "batch structure of another size: a larger one with zeros past "
            "ours runs, a non-zero byte there E2BIG, a smaller one EINVAL",
            "%s" % got)


CAP_IPC_LOCK = 14


def drop_ipc_lock():
    """Drop CAP_IPC_LOCK from this process, so RLIMIT_MEMLOCK applies."""
    hdr = struct.pack("<Ii", 0x20080522, 0)     # _LINUX_CAPABILITY_VERSION_3
    data = ctypes.create_string_buffer(24)
    if libc.capget(hdr, data) < 0:
        raise OSError(ctypes.get_errno(), "capget")
    caps = list(struct.unpack("<6I", data.raw))
    caps[0] &= ~(1 << CAP_IPC_LOCK)             # effective
    caps[1] &= ~(1 << CAP_IPC_LOCK)             # permitted
    if libc.capset(hdr, struct.pack("<6I", *caps)) < 0:
        raise OSError(ctypes.get_errno(), "capset")


def locked_kib():
    with open("/proc/self/status") as f:
        return int(re.search(r"VmLck:\s+(\d+) kB", f.read()).group(1))


def test_memlock(ktap, fd, progs):
    """Pinned pages count against RLIMIT_MEMLOCK, and come back."""
    def child():
        drop_ipc_lock()
        resource.setrlimit(resource.RLIMIT_MEMLOCK, (64 << 10, 64 << 10))
        small = Bufs(b"x" * 4096)
        big = Bufs(b"x" * (256 << 10))
        before = locked_kib()
        e_big, _ = batch(fd, **big.args(prog_fd=progs["dev"],
                                        record_size=64))
        e_small, _ = batch(fd, **small.args(prog_fd=progs["dev"],
                                            record_size=64))
        # charged, then the output does not pin: the charge comes back
        e_fault, _ = batch(fd, **small.args(prog_fd=progs["dev"],
                                            record_size=64,
                                            out_addr=0x10000))
        after = locked_kib()
        # one byte: 0 when all is as expected, else which check failed
        return (e_big != errno.ENOMEM) | (e_small != 0) << 1 | \
            (before != after) << 2 | (not big.untouched()) << 3 | \
            (e_fault != errno.EFAULT) << 4

    pid, r = report_errno(child)
    bad = collect(pid, r)
    ktap.ok(bad == 0,
            "RLIMIT_MEMLOCK of 64 KiB without CAP_IPC_LOCK: a batch "
            "pinning 512 KiB gets ENOMEM with nothing written, a 4 KiB one "
            "runs, one whose output does not pin gets EFAULT, and VmLck is "
            "back where it was",
            "failed checks %s (bits: ENOMEM, small batch, VmLck, "
            "untouched, EFAULT)" % bad)


def report_errno(func):
    """Fork, run func() -> errno in the child; return (pid, read end)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        code = 255
        try:
            code = func()
        finally:
            os.write(w, bytes([code & 0xff]))
            os._exit(0)
    os.close(w)
    return pid, r


def collect(pid, r):
    data = os.read(r, 1)
    os.close(r)
    os.waitpid(pid, 0)
    return data[0] if data else None


def wait_pinned():
    for _ in range(100):
        time.sleep(0.1)
        pins = foll_pins()
        if pins[0] > pins[1]:
            return pins[0] - pins[1]
    return 0


def test_signal(ktap, dev, progs):
    """A signal interrupts a blocking batch: EINTR, the engine is free."""
    def child():
        signal.signal(signal.SIGUSR1, lambda *a: None)
        fd = os.open("/dev/" + dev, os.O_RDWR)
        b, a = spin_batch(progs)
        err, _ = batch(fd, **a)
        return err

    pid, r = report_errno(child)
    pinned = wait_pinned()
    t0 = time.time()
    os.kill(pid, signal.SIGUSR1)
    err = collect(pid, r)
    dt = time.time() - t0
    ktap.ok(pinned and err == errno.EINTR and dt < 5,
            "ioctl: a signal during a batch (%d pages pinned) aborts it on "
            "the device: EINTR after %.2f s" % (pinned, dt),
            "errno %s" % errno.errorcode.get(err, err))


def cdev_in_flight(dev):
    return int(re.search(r"in flight: (\d+)",
                         debugfs(dev, "cdev")).group(1))


def test_unbind(ktap, devs, progs):
    """The device goes away under open files and batches in flight."""
    dev = devs[0]
    pci = os.path.basename(os.path.realpath("/sys/class/net/%s/device" %
                                            dev))
    fd = os.open("/dev/" + dev, os.O_RDWR)
    # Every program engine runs a long test run, so that the two batches
    # are still in flight at the unbind however fast the device is: they
    # wait for an engine, pinned, and the runs end with the device.
    engines = program_engines(dev)
    runs = start_runs(progs["loopy_path"], engines)
    held = wait_in_flight(dev, engines)

    def child():
        cfd = os.open("/dev/" + dev, os.O_RDWR)
        b, a = spin_batch(progs)
        return batch(cfd, **a)[0]

    pid, r = report_errno(child)
    ring = Ring(4)
    b, a = spin_batch(progs, 8192)
    cmd = ctypes.create_string_buffer(pack_batch(**a), BATCH_SIZE)
    ring.submit(fd, IOC_BATCH, ctypes.addressof(cmd), 1)
    ring.enter(1, 0)
    for _ in range(100):
        if cdev_in_flight(dev) == 2:
            break
        time.sleep(0.1)
    both = cdev_in_flight(dev)
    pinned = wait_pinned()
    t0 = time.time()
    with open("/sys/bus/pci/drivers/hermes/unbind", "w") as f:
        f.write(pci)
    dt = time.time() - t0
    err = collect(pid, r)
    errs = [child_errno(p) for p in runs]
    ring.enter(0, 1)
    cqe = ring.reap()
    ring.close()
    ktap.ok(held and both == 2 and pinned and err == errno.ENODEV and
            cqe == [(1, -errno.ENODEV)] and
            errs == [errno.ENODEV] * engines and dt < 10,
            "unbind with an ioctl and an io_uring batch in flight behind "
            "long runs on all %d engines (%d pages pinned): batches and "
            "runs end with ENODEV, removal took %.2f s" %
            (engines, pinned, dt),
            "engines held %s, batches in flight %d, ioctl errno %s, "
            "completions %s, runs %s" %
            (held, both, errno.errorcode.get(err, err), cqe, errs))
    e1, _ = info(fd)
    e2, _ = batch(fd, **a)
    ktap.ok(not os.path.exists("/dev/" + dev) and e1 == errno.ENODEV and
            e2 == errno.ENODEV,
            "after removal: the node is gone, the open file stays valid and "
            "INFO and BATCH give ENODEV",
            "INFO %s BATCH %s" % (errno.errorcode.get(e1, e1),
                                  errno.errorcode.get(e2, e2)))
    os.close(fd)
    with open("/sys/bus/pci/drivers/hermes/bind", "w") as f:
        f.write(pci)
    for _ in range(50):
        if os.path.exists("/dev/" + dev):
            break
        time.sleep(0.1)
    fd = os.open("/dev/" + dev, os.O_RDWR)
    e3, inf = info(fd)
    os.close(fd)
    ktap.ok(not e3 and inf["ifname"] == dev,
            "bind again: /dev/%s is back and answers INFO" % dev)


def load_progs(devs, objs):
    """The programs of the batches: filter.bpf.c on the device, the host
    and the other device; when a device lacks a helper filter.bpf.c calls,
    pass.bpf.c instead (p["gap"] says why), which the refused batches of
    test_errnos() take as well: the batches that run are then skipped."""
    p = {"devname": devs[0], "gap": None}
    batch_obj = objs["filter"]
    for dev in devs[:2]:
        gap = helper_gap(dev, objs["filter"])
        if gap:
            rc, out = load_obj(objs["filter"], "cdev_dev", dev)
            unpin("cdev_dev")
            if not rc or not helper_refused(out, gap[0]):
                raise RuntimeError("%s: %s, but filter.bpf.c: bpftool "
                                   "prog load exit %d: %s"
                                   % (dev, gap[1], rc, out))
            p["gap"] = "%s (filter.bpf.c)" % gap[1]
            batch_obj = objs["pass"]
    for name, obj, dev in (("dev", batch_obj, devs[0]),
                           ("host", batch_obj, None),
                           ("loopy", objs["loopy"], devs[0]),
                           ("other", batch_obj,
                            devs[1] if len(devs) > 1 else None)):
        if name == "other" and not dev:
            continue
        rc, out = load_obj(obj, "cdev_" + name, dev)
        if rc:
            raise RuntimeError("bpftool prog load %s: %s" % (name, out))
        p[name] = obj_get(pin_path("cdev_" + name))
        p[name + "_path"] = pin_path("cdev_" + name)
    # r6 = 7; r7 = 3; r6 /= r7; r0 = 0; loop: r0 += 1; if r0 < 10000 goto
    # loop; r0 = 2; exit.  The verifier guards the division by a register.
    prog = [mov64_imm(6, 7), mov64_imm(7, 3), insn(0x3f, 6, 7),
            mov64_imm(0, 0), insn(0x07, 0, 0, 0, 1),
            insn(0xa5, 0, 0, -2, 10000), mov64_imm(0, 2), exit_insn()]
    fd, err, log = prog_load(prog, ifindex(devs[0]))
    if fd < 0:
        raise RuntimeError("div prog: %s %s" % (errno.errorcode[err], log))
    unpin("cdev_div")
    path = pin_path("cdev_div")
    from hermes_lib import BPF_OBJ_PIN, sys_bpf
    pb = ctypes.create_string_buffer(path.encode())
    attr = bytearray(16)
    struct.pack_into("<QI", attr, 0, ctypes.addressof(pb), fd)
    sys_bpf(BPF_OBJ_PIN, attr)
    p["div"] = fd
    p["div_path"] = path
    return p


# The cases after test_unprivileged() all run batches: a device without
# them skips each group once, by name, instead of its BATCH_CASES cases.
BATCH_CASES = 27
BATCH_GROUPS = ("batches through the ioctl", "faults in batches",
                "batch sizes", "memlock accounting of batches",
                "io_uring batches", "task work during a blocking batch",
                "max_batches and busy engines", "kill during a batch",
                "signal during a batch", "unbind during a batch",
                "pages pinned for batches are released")


def main():
    if not have_hermes_pci():
        skip_all("no Hermes PCI device (run with tools/vm/run --hermes 2)")
    devs = load_driver()
    if not devs:
        skip_all("the hermes driver did not bind")
    global PLAN
    pins0 = foll_pins()
    fds = {d: os.open("/dev/" + d, os.O_RDWR) for d in devs}
    fd = fds[devs[0]]
    objs = build("filter", "loopy", "pass")
    progs = load_progs(devs, objs)
    gap = batch_gap(devs[0]) or progs["gap"]
    PLAN = 52 + (1 if len(devs) > 1 else 0)
    if gap:
        PLAN += len(BATCH_GROUPS) - BATCH_CASES
    ktap = Ktap(PLAN)
    test_nodes(ktap, devs)
    test_info(ktap, devs, fds)
    _, inf = info(fd)
    test_errnos(ktap, fd, devs[0], progs, inf)
    test_unprivileged(ktap, devs[0], fd, progs)
    if gap:
        for what in BATCH_GROUPS:
            ktap.skip(what, gap)
        for name in ("dev", "host", "loopy", "other", "div"):
            unpin("cdev_" + name)
        ktap.finish()
    test_batches(ktap, fd, progs)
    test_faults(ktap, fd, progs)
    test_sizes(ktap, fd, progs)
    test_memlock(ktap, fd, progs)
    test_uring(ktap, fd, progs, inf["engines"])
    test_task_work(ktap, fd, progs, inf["engines"])
    test_busy(ktap, devs[0], progs)
    test_kill(ktap, devs[0], progs)
    test_signal(ktap, devs[0], progs)
    test_unbind(ktap, devs, progs)
    pins1 = foll_pins()
    ktap.ok(pins1[0] == pins1[1] and pins1[0] > pins0[0],
            "pages were pinned for the batches and every one is released "
            "(nr_foll_pin_acquired %d == nr_foll_pin_released %d)" % pins1)
    for name in ("dev", "host", "loopy", "other", "div"):
        unpin("cdev_" + name)
    ktap.finish()


PLAN = 0  # set by main()

if __name__ == "__main__":
    main()
