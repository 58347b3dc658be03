#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Smoke test of hermes-f1-sim, speaking the protocol of
qemu/hw/misc/hermes-cosim-proto.h as QEMU's hermes-f1 device does.

usage: f1_sim_smoke.py HERMES_F1_SIM [FIRST]

Prints one TAP document (its plan first); FIRST numbers the results.
"""

import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HDR = struct.Struct("<IIQQII")      # HermesCosimMsg
MAGIC, VERSION = 0x4D534348, 1
HELLO, OCL_READ, OCL_WRITE, PCIS_READ, PCIS_WRITE, RESET, IRQ = range(1, 8)
REPLY = 0x80
OKAY, SLVERR = 0, 2
NENG = 4
PLAN = 16                           # checks below, reported even when not reached

# Programs, struct bpf_insn little-endian: (opcode, regs, off, imm).
def insns(*ins):
    return b"".join(struct.pack("<BBhi", *i) for i in ins)

# *(u32 *)(r1 + 4) = 0x5eed0000 + e; r0 = 42 + e; exit
def store_prog(e):
    return insns((0x62, 0x01, 4, 0x5EED0000 + e), (0xB7, 0x00, 0, 42 + e),
                 (0x95, 0, 0, 0))

# r0 = 0; do r0 += 1 while r0 < n; exit: about 2n instructions
def loop_prog(n):
    return insns((0xB7, 0, 0, 0), (0x07, 0, 0, 1), (0xA5, 0, -2, n), (0x95, 0, 0, 0))


class Sim:
    def __init__(self, binary, path):
        self.path = path
        self.proc = subprocess.Popen([binary, "--socket", path], stderr=subprocess.PIPE)
        for _ in range(600):
            if os.path.exists(path):
                break
            if self.proc.poll() is not None:
                raise RuntimeError("simulator exited: " + self.proc.stderr.read().decode())
            time.sleep(0.05)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        for _ in range(100):
            try:
                self.sock.connect(path)
                break
            except (ConnectionRefusedError, FileNotFoundError):
                time.sleep(0.05)
        self.irqs = []              # the data of each IRQ message

    def send(self, typ, addr=0, data=0, size=0, payload=b"", len_=None):
        n = len(payload) if len_ is None else len_
        self.sock.sendall(HDR.pack(typ, n, addr, data, size, 0) + payload)

    def recv_exact(self, n):
        b = b""
        while len(b) < n:
            c = self.sock.recv(n - len(b))
            if not c:
                raise RuntimeError("simulator closed the connection")
            b += c
        return b

    def reply(self, typ):
        while True:
            t, n, addr, data, size, resp = HDR.unpack(self.recv_exact(HDR.size))
            payload = self.recv_exact(n) if n else b""
            if t == IRQ:
                self.irqs.append(data)
                continue
            if t != typ | REPLY:
                raise RuntimeError("reply type 0x%x to 0x%x" % (t, typ))
            return addr, data, resp, payload

    def call(self, typ, **kw):
        self.send(typ, **kw)
        return self.reply(typ)

    def rd(self, a):
        return self.call(OCL_READ, addr=a)[1]

    def wr(self, a, v):
        return self.call(OCL_WRITE, addr=a, data=v, size=0xF)[2]

    def pcis_write(self, a, b, axid=0):
        return self.call(PCIS_WRITE, addr=a, data=axid, size=len(b), payload=b)[2]

    def pcis_read(self, a, n, axid=0):
        _, _, resp, p = self.call(PCIS_READ, addr=a, data=axid, size=n)
        return resp, p

    def start(self, e, words):
        for i, w in enumerate(words):
            self.wr(0x1000 + 48 * e + 4 * i, w)
        self.wr(0x2000 + 8 * e, 1)

    def wait_done(self, e):
        for _ in range(10000):
            if self.rd(0x2000 + 8 * e) & 0x100:
                return [self.rd(0x1020 + 48 * e + 4 * i) for i in range(4)]
        raise RuntimeError("engine %d never DONE" % e)

    def command(self, e, words):
        self.start(e, words)
        return self.wait_done(e)

    def finish(self, sig=None):
        if sig:
            self.proc.send_signal(sig)
        else:
            self.sock.close()
        rc = self.proc.wait(timeout=60)
        err = self.proc.stderr.read().decode()
        if sig:
            self.sock.close()
        return rc, err


def main():
    binary = sys.argv[1]
    tap = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    results = []

    def check(cond, what, detail=""):
        results.append((bool(cond), what, detail))

    tmp = tempfile.mkdtemp(prefix="f1sim-")
    sock = os.path.join(tmp, "sock")
    try:
        s = Sim(binary, sock)
        addr, data, resp, _ = s.call(HELLO, addr=MAGIC, data=VERSION)
        check(addr == MAGIC and data == VERSION and not os.path.exists(sock),
              "HELLO answered, socket path removed after accept")
        ver, sig, memsz, eng = s.rd(0x000), s.rd(0x100), s.rd(0x060), s.rd(0x034) & 0xFF
        check(ver == 2 and sig == 0x534D5248 and memsz == 0x8000 and eng == NENG,
              "EHVER, capability signature, EHMEMSZ, EHENG over OCL",
              "0x%x 0x%x 0x%x %d" % (ver, sig, memsz, eng))

        # Odd sizes and addresses, across 4 KiB and beyond 64 bytes.
        ok, why = True, ""
        for a, n in ((0x4001, 1), (0x4003, 61), (0x403F, 2), (0x4FF3, 5000),
                     (0x5000 - 64, 129), (0x6010, 0x1FD0)):
            n = min(n, 0x8000 - a)
            b = bytes((a * 7 + i * 13 + 1) & 0xFF for i in range(n))
            before = s.pcis_read(a - 1, n + 2)[1]
            wresp = s.pcis_write(a, b, axid=3)
            rresp, back = s.pcis_read(a - 1, n + 2, axid=0x20)
            if wresp or rresp or back != before[:1] + b + before[-1:]:
                ok, why = False, "at 0x%x size %d: resp %d/%d" % (a, n, wresp, rresp)
                break
        check(ok, "PCIS write and read back at odd addresses and sizes", why)

        wresp = s.pcis_write(0x8000 - 8, bytes(16))
        rresp, back = s.pcis_read(0x8000 - 8, 16)
        rresp2, back2 = s.pcis_read(0, 64 * 1024)
        check(wresp == SLVERR and rresp == SLVERR and len(back) == 16 and
              rresp2 == SLVERR and len(back2) == 64 * 1024,
              "PCIS beyond the device memory answers SLVERR", "%d %d %d" % (wresp, rresp, rresp2))

        # Slots through REQUEST SLOT, a run on the last engine.
        e = NENG - 1
        ps = s.command(0, [0] * 8)[2] & 0xFF
        ds = s.command(1, [0, 0, 1, 0, 0, 0, 0, 0])[2] & 0xFF
        psoff, pssze, dsoff, dssze = s.rd(0x38), s.rd(0x3C), s.rd(0x40), s.rd(0x44)
        prog = store_prog(e)
        s.pcis_write(psoff + ps * pssze, prog)
        s.pcis_write(dsoff + ds * dssze, bytes(64))
        s.irqs.clear()
        s.start(e, [0x80 | 0x100 | 0x77 << 16, 0, ps | ds << 8, len(prog), 0, 64, 1, 1000])
        resp = s.wait_done(e)
        # The interrupt may trail the DONE seen by polling: give it a read.
        s.rd(0)
        st = resp[0] >> 16 & 0xFF
        stored = struct.unpack("<I", s.pcis_read(dsoff + ds * dssze + 4, 4)[1])[0]
        check(st == 0 and resp[2] == 42 + e and stored == 0x5EED0000 + e,
              "RUN PROGRAM on engine %d through OCL and PCIS" % e,
              "status %d r0 %d stored 0x%x" % (st, resp[2], stored))
        check(any(m & (1 << e) for m in s.irqs), "IRQ message for engine %d" % e,
              "irqs %s" % s.irqs)

        # All engines at once: the design is clocked between requests.
        loop = loop_prog(3000)
        s.pcis_write(psoff + ps * pssze, loop)
        s.irqs.clear()
        for k in range(NENG):
            s.start(k, [0x80 | 0x100 | k << 16, 0, ps | ds << 8, len(loop), 0, 64, 1, 10000])
        seen = 0
        for _ in range(200):
            if seen == (1 << NENG) - 1:
                break
            s.rd(0)
            for m in s.irqs:
                seen |= m
            time.sleep(0.01)
        r0s = [s.wait_done(k)[2] for k in range(NENG)]
        check(seen == (1 << NENG) - 1 and r0s == [3000] * NENG,
              "%d engines run concurrently, one IRQ each" % NENG,
              "irq bits 0x%x r0 %s" % (seen, r0s))

        # A card reset frees the slots (the engines' state is reset).
        s.call(RESET, data=16)
        again = s.command(0, [0] * 8)[2] & 0xFF
        check(s.rd(0) == 2 and again == 0, "RESET: device answers, slots freed",
              "slot %d" % again)

        rc, err = s.finish()
        check(rc == 0 and " cycles/s), " in err and "PCIS bytes" in err,
              "EOF: exit 0 with the figures line", "rc %d: %s" % (rc, err.strip()))
        print("# " + err.strip().splitlines()[-1] if err.strip() else "# no figures")

        s = Sim(binary, sock)
        s.call(HELLO, addr=MAGIC, data=VERSION)
        rc, err = s.finish(signal.SIGTERM)
        check(rc == 0 and "cycles/s" in err, "SIGTERM: exit 0 with the figures line",
              "rc %d" % rc)

        # Bad messages: a clear line and exit 1.
        bad = [("unknown type", dict(typ=42)),
               ("bad magic", dict(typ=HELLO, addr=1, data=VERSION)),
               ("PCIS size 0", dict(typ=PCIS_READ, size=0)),
               ("PCIS size too big", dict(typ=PCIS_READ, size=64 * 1024 + 1)),
               ("len mismatch", dict(typ=PCIS_WRITE, size=8, payload=bytes(4)))]
        for what, kw in bad:
            s = Sim(binary, sock)
            if kw["typ"] != HELLO:
                s.call(HELLO, addr=MAGIC, data=VERSION)
            s.send(**kw)
            rc = s.proc.wait(timeout=60)
            err = s.proc.stderr.read().decode()
            s.sock.close()
            check(rc == 1 and "bad message" in err, "bad message (%s): exit 1" % what,
                  "rc %d: %s" % (rc, err.strip()))

        # PATH in the way: refused, left alone.
        with open(sock, "w") as f:
            f.write("mine")
        p = subprocess.run([binary, "--socket", sock], stderr=subprocess.PIPE, timeout=60)
        with open(sock) as f:
            kept = f.read() == "mine"
        os.unlink(sock)
        check(p.returncode == 1 and kept and b"exists" in p.stderr,
              "existing socket path refused and kept")
    except Exception as ex:                 # noqa: BLE001 - reported as TAP
        check(False, "f1 sim smoke test stopped", str(ex))
    finally:
        if os.path.exists(sock):
            os.unlink(sock)
        os.rmdir(tmp)

    while len(results) < PLAN:
        check(False, "not reached")
    print("1..%d" % PLAN)
    bad = 0
    for ok, what, detail in results:
        tap += 1
        if ok:
            print("ok %d - f1sim: %s" % (tap, what))
        else:
            bad += 1
            print("not ok %d - f1sim: %s%s" % (tap, what, ": " + detail if detail else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
