# SPDX-License-Identifier: GPL-2.0-only
"""Helpers of the Hermes driver selftests: KTAP output, the bpf() system
call through ctypes (so that nothing but the kernel is between the test and
the driver), bpftool, and building the BPF programs of progs/."""

import ctypes
import errno
import json
import os
import re
import signal
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def _find_repo():
    d = HERE
    while d != "/":
        if os.path.exists(os.path.join(d, "DEVELOPERS.md")):
            return d
        d = os.path.dirname(d)
    return os.getcwd()


REPO = os.environ.get("HERMES_REPO") or _find_repo()
BUILD = os.environ.get("BUILD") or os.path.join(REPO, "build")
TMP = os.environ.get("HERMES_TMP", "/tmp/hermes-selftests")
BPFFS = "/sys/fs/bpf"

BPF_MAP_CREATE = 0
BPF_PROG_LOAD = 5
BPF_OBJ_PIN = 6
BPF_OBJ_GET = 7
BPF_PROG_TEST_RUN = 10
BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4
BPF_PROG_TYPE_SCHED_CLS = 3
BPF_PROG_TYPE_XDP = 6
NR_BPF = 321  # x86_64

XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX = 0, 1, 2, 3

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class Ktap:
    """KTAP output: a plan, then one line per case."""

    def __init__(self, plan):
        self.n = 0
        self.failed = 0
        self.skipped = 0
        self.t0 = time.time()
        print("TAP version 13")
        print("1..%d" % plan, flush=True)

    def diag(self, msg):
        for line in str(msg).splitlines():
            print("# " + line, flush=True)

    def ok(self, cond, what, diag=None):
        if os.environ.get("HERMES_ST_TIME"):
            self.diag("t=%.1f" % (time.time() - self.t0))
        self.n += 1
        if cond:
            print("ok %d - %s" % (self.n, what), flush=True)
        else:
            self.failed += 1
            if diag:
                self.diag(diag)
            print("not ok %d - %s" % (self.n, what), flush=True)
        return cond

    def skip(self, what, why):
        self.n += 1
        self.skipped += 1
        print("ok %d - %s # SKIP %s" % (self.n, what, why), flush=True)

    def finish(self):
        if self.failed:
            sys.exit(1)
        sys.exit(0)


def sys_bpf(cmd, attr):
    buf = ctypes.create_string_buffer(bytes(attr), len(attr))
    ret = _libc.syscall(NR_BPF, cmd, buf, len(attr))
    err = ctypes.get_errno() if ret < 0 else 0
    return ret, err, buf.raw


def insn(code, dst=0, src=0, off=0, imm=0):
    return struct.pack("<BBhi", code, (src << 4) | dst, off, imm)


# A few encodings for hand-written programs
def mov64_imm(dst, imm):
    return insn(0xb7, dst, 0, 0, imm)


def mov64_reg(dst, src):
    return insn(0xbf, dst, src)


def ldx_w(dst, src, off):
    return insn(0x61, dst, src, off)


def call(helper):
    return insn(0x85, 0, 0, 0, helper)


def exit_insn():
    return insn(0x95)


def prog_load(insns, ifindex=0, log_size=1 << 20, log_level=1,
              prog_type=BPF_PROG_TYPE_XDP):
    """Load raw instructions as a program (XDP unless told otherwise);
    returns (fd, errno, log)."""
    if not log_level:
        log_size = 0
    code = b"".join(insns)
    cbuf = ctypes.create_string_buffer(code, len(code))
    lic = ctypes.create_string_buffer(b"GPL")
    log = ctypes.create_string_buffer(max(log_size, 1))
    attr = bytearray(144)
    struct.pack_into("<IIQQIIQ", attr, 0, prog_type,
                     len(code) // 8, ctypes.addressof(cbuf),
                     ctypes.addressof(lic), log_level, log_size,
                     ctypes.addressof(log) if log_size else 0)
    struct.pack_into("<I", attr, 64, ifindex)
    fd, err, _ = sys_bpf(BPF_PROG_LOAD, attr)
    return fd, err, log.value.decode(errors="replace")


def map_create(map_type, key_size, value_size, max_entries):
    attr = bytearray(72)
    struct.pack_into("<IIII", attr, 0, map_type, key_size, value_size,
                     max_entries)
    fd, err, _ = sys_bpf(BPF_MAP_CREATE, attr)
    if fd < 0:
        raise OSError(err, "BPF_MAP_CREATE: %s" % os.strerror(err))
    return fd


def ld_map_fd(dst, fd):
    """lddw dst, map (BPF_PSEUDO_MAP_FD): two instruction words."""
    return insn(0x18, dst, 1, 0, fd) + insn(0, 0, 0, 0, 0)


def obj_get(path):
    p = ctypes.create_string_buffer(path.encode())
    attr = bytearray(16)
    struct.pack_into("<Q", attr, 0, ctypes.addressof(p))
    fd, err, _ = sys_bpf(BPF_OBJ_GET, attr)
    if fd < 0:
        raise OSError(err, "BPF_OBJ_GET %s: %s" % (path, os.strerror(err)))
    return fd


def test_run(fd, data, repeat=1, out_size=None):
    """BPF_PROG_TEST_RUN: returns (errno, retval, data_out, duration)."""
    din = ctypes.create_string_buffer(bytes(data), len(data))
    size = out_size if out_size is not None else 4096
    dout = ctypes.create_string_buffer(max(size, 1))
    attr = bytearray(80)
    struct.pack_into("<IIIIQQI", attr, 0, fd, 0, len(data), size,
                     ctypes.addressof(din), ctypes.addressof(dout), repeat)
    ret, err, raw = sys_bpf(BPF_PROG_TEST_RUN, attr)
    retval, _, size_out = struct.unpack_from("<III", raw, 4)
    duration = struct.unpack_from("<I", raw, 36)[0]
    if ret < 0:
        return err, retval, None, duration
    return 0, retval, dout.raw[:size_out], duration


def parallel(func, jobs):
    """Run func(job) for every job in its own forked process (no
    multiprocessing: the VM has no /dev/shm); return the results, which
    must be JSON-serialisable, in job order."""
    procs = []
    for job in jobs:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                out = json.dumps(func(job)).encode()
                code = 0
            except Exception as e:  # report it to the parent
                out = json.dumps({"exception": repr(e)}).encode()
                code = 1
            with os.fdopen(w, "wb") as f:
                f.write(out)
            os._exit(code)
        os.close(w)
        procs.append((pid, r))
    results = []
    for pid, r in procs:
        with os.fdopen(r, "rb") as f:
            data = f.read()
        os.waitpid(pid, 0)
        results.append(json.loads(data) if data else {"exception": "died"})
    return results


def run(cmd, check=False):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    if check and p.returncode:
        raise RuntimeError("%s: %s" % (" ".join(cmd), p.stdout))
    return p.returncode, p.stdout


def bpftool(*args):
    return run(["bpftool"] + list(args))


def bpftool_json(*args):
    rc, out = run(["bpftool", "-j"] + list(args))
    if rc:
        return None
    return json.loads(out)


def hermes_netdevs():
    """Names of the Hermes network devices, by PCI device order."""
    found = []
    for name in sorted(os.listdir("/sys/class/net")):
        drv = os.path.join("/sys/class/net", name, "device", "driver")
        if os.path.basename(os.path.realpath(drv)) == "hermes":
            found.append(name)
    return found


def ifindex(name):
    with open("/sys/class/net/%s/ifindex" % name) as f:
        return int(f.read())


def debugfs(name, what):
    with open("/sys/kernel/debug/hermes/%s/%s" % (name, what)) as f:
        return f.read()


# Long runs that hold engines.  loopy.bpf.c spins for some 40000
# instructions on a record starting 0xab; LONG_RUN_REPEAT of them keep an
# engine busy until a signal (or the driver's 10-minute command limit).
LOOPY_RECORD = b"\xab" + b"\0" * 63
LONG_RUN_REPEAT = 1 << 30
LONG_RUN_START_S = 30   # for the runs to be in flight


def in_flight(dev):
    return int(re.search(r"test runs in flight: (\d+)",
                         debugfs(dev, "engines")).group(1))


def program_engines(dev):
    return int(re.search(r"program engines: (\d+)",
                         debugfs(dev, "engines")).group(1))


def start_runs(path, n):
    """n children, each in one long run of the loopy.bpf.c pinned at
    path (an engine each, until SIGUSR1 ends it); they exit with its errno
    (255 when they fail before it)."""
    pids = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            err = 255
            try:
                signal.signal(signal.SIGUSR1, lambda *a: None)
                fd = obj_get(path)
                err = test_run(fd, LOOPY_RECORD, LONG_RUN_REPEAT)[0]
            finally:
                os._exit(err)
        pids.append(pid)
    return pids


def child_errno(pid):
    _, status = os.waitpid(pid, 0)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 255


def wait_in_flight(dev, n):
    """Are n test runs in flight on dev within LONG_RUN_START_S?"""
    end = time.monotonic() + LONG_RUN_START_S
    while in_flight(dev) < n and time.monotonic() < end:
        time.sleep(0.05)
    return in_flight(dev) == n


# Capability bits (drivers/hermes/hermes_abi.h, Documentation/hermes/
# device.rst): what a device reports it cannot do is skipped with the
# register and bit in the reason, never failed and never guessed.
ISA_HELPERS = 1 << 10
CMDS_BATCH = 1 << 2
CMDS_MAP = 1 << 3


def _ioc(d, nr, size):
    return d << 30 | size << 16 | 0xB9 << 8 | nr


# the head of struct hermes_info (include/uapi/linux/hermes.h)
INFO_HEAD = "<II16s64sIIIIIIII"
INFO_SIZE = struct.calcsize(INFO_HEAD) + 4 * 32 * 8


def dev_caps(dev):
    """The capabilities of netdev @dev: debugfs caps (EHCAPISA, the
    EHCAPHELPER bitmap, EHCAPSTACK, EHDSSZE) and EHCAPCMDS from the INFO
    ioctl of /dev/@dev."""
    text = debugfs(dev, "caps")
    helpers = bytes.fromhex(re.search(r"helpers: ([0-9a-f ]*)",
                                      text).group(1).replace(" ", ""))
    c = {"isa": int(re.search(r"isa: (0x[0-9a-f]+|0)", text).group(1), 0),
         "stack": int(re.search(r"stack: (\d+)", text).group(1)),
         "dslot_size": int(re.search(r"data slots: \d+ x (\d+) bytes",
                                     text).group(1)),
         "helpers": {8 * i + b for i, byte in enumerate(helpers)
                     for b in range(8) if byte >> b & 1}}
    buf = ctypes.create_string_buffer(INFO_SIZE)
    fd = os.open("/dev/" + dev, os.O_RDWR)
    try:
        if _libc.ioctl(fd, ctypes.c_ulong(_ioc(2, 0, INFO_SIZE)), buf) < 0:
            raise OSError(ctypes.get_errno(), "INFO ioctl of /dev/" + dev)
    finally:
        os.close(fd)
    c["cmds"] = struct.unpack_from(INFO_HEAD, buf.raw)[7]
    return c


def helpers_called(obj):
    """The helper ids an object's programs call (call insns, src_reg 0)."""
    rc, dis = run(["llvm-objdump", "-d", obj])
    if rc:
        raise RuntimeError("llvm-objdump -d %s: %s" % (obj, dis))
    return {int.from_bytes(bytes.fromhex(m.group(1).replace(" ", "")),
                           "little", signed=True)
            for m in re.finditer(r"^\s*\d+:\s+85 00 00 00 "
                                 r"([0-9a-f]{2} [0-9a-f]{2} [0-9a-f]{2} "
                                 r"[0-9a-f]{2})", dis, re.M)}


def helper_gap(dev, helpers):
    """None when @dev runs every helper of @helpers (ids, or a BPF object
    whose calls are taken), else (helper, why) for the first it lacks."""
    if isinstance(helpers, str):
        helpers = helpers_called(helpers)
    c = dev_caps(dev)
    for h in sorted(helpers):
        if not c["isa"] & ISA_HELPERS:
            return h, "EHCAPISA bit 10 (HELPERS) clear: no helper %d" % h
        if h not in c["helpers"]:
            return h, "EHCAPHELPER bit %d clear: no helper %d" % (h, h)
    return None


def helper_refused(out, helper):
    """Did a load fail with the driver's line for @helper?"""
    return re.search(r"^\[hermes\] insn \d+: call to helper bpf_\w+ \(%d\) "
                     r"is not supported by the device$" % helper, out, re.M)


def batch_gap(dev):
    """None when @dev runs batches (EHCAPCMDS bit 2), else why not."""
    if dev_caps(dev)["cmds"] & CMDS_BATCH:
        return None
    return "EHCAPCMDS bit 2 (BATCH) clear: no batch command"


def map_gap(dev):
    """None when @dev has offloaded maps, else why not: EHCAPCMDS bit 3,
    or no hash nor array map in its map registers (debugfs maps then
    says "maps: 0 of 0")."""
    if not dev_caps(dev)["cmds"] & CMDS_MAP:
        return "EHCAPCMDS bit 3 (MAPS) clear: no map offload"
    if re.search(r"^maps: \d+ of 0$", debugfs(dev, "maps"), re.M):
        return ("EHCAPMAPTYPES, EHCAPMAPMAX or EHCAPMAPMEM give no hash or "
                "array map: no map offload")
    return None


def modprobe(*args):
    """tools/vm/init puts the built modules on /lib/modules."""
    return run(["modprobe"] + list(args))


def load_driver():
    if not os.path.isdir("/sys/bus/pci/drivers/hermes"):
        rc, out = modprobe("hermes")
        if rc:
            print("# modprobe hermes: " + out.strip(), flush=True)
    # the netdevs appear when probe returns
    for _ in range(50):
        if hermes_netdevs() or not have_hermes_pci():
            break
        time.sleep(0.1)
    return hermes_netdevs()


# PCI identities of Hermes devices: the QEMU model, the AWS F1 card
HERMES_PCI_IDS = {("0x1de5", "0x3000"), ("0x1d0f", "0xf0eb")}


def have_hermes_pci():
    for dev in os.listdir("/sys/bus/pci/devices"):
        p = os.path.join("/sys/bus/pci/devices", dev)
        try:
            with open(p + "/vendor") as v, open(p + "/device") as d:
                if (v.read().strip(), d.read().strip()) in HERMES_PCI_IDS:
                    return True
        except OSError:
            pass
    return False


def build(*progs, cpu="v3"):
    """Compile progs/PROG.bpf.c into TMP/PROG.bpf.o, all in one clang run
    (starting clang is what costs under TCG); return {prog: object}."""
    os.makedirs(TMP, exist_ok=True)
    srcs = [os.path.join(HERE, "progs", p + ".bpf.c") for p in progs]
    cmd = ["clang", "-O2", "-g", "--target=bpf", "-mcpu=" + cpu,
           "-I" + os.path.join(BUILD, "headers", "include"),
           "-I" + os.path.join(BUILD, "tools", "include"), "-c"] + srcs
    p = subprocess.run(cmd, cwd=TMP, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    if p.returncode:
        raise RuntimeError("clang: " + p.stdout)
    return {p: os.path.join(TMP, p + ".bpf.o") for p in progs}


def pin_path(name):
    return os.path.join(BPFFS, "hermes_st_" + name)


def unpin(name):
    try:
        os.unlink(pin_path(name))
    except FileNotFoundError:
        pass


def load_obj(obj, name, dev=None):
    """bpftool prog load; returns (rc, output)."""
    unpin(name)
    args = ["prog", "load", obj, pin_path(name), "type", "xdp"]
    if dev:
        args += ["offload_dev", dev]
    return bpftool(*args)


def skip_all(reason):
    print("TAP version 13")
    print("1..0 # SKIP %s" % reason, flush=True)
    sys.exit(4)


ERRNO = errno.errorcode
