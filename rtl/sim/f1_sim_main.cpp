// SPDX-License-Identifier: GPL-2.0
//
// hermes-f1-sim: the custom logic (rtl/hermes_cl.v, Verilated) as a
// process that QEMU's hermes-f1 device talks to over a Unix stream socket,
// in the messages of qemu/hw/misc/hermes-cosim-proto.h.  The device
// forwards BAR0 accesses (OCL), BAR4 accesses and its XDMA engine's
// card-side transfers (DMA_PCIS) and a card reset; the simulator answers
// each with the AXI response and sends the user interrupts the custom
// logic raises, acknowledging them as the shell does.
//
//   hermes-f1-sim --socket PATH
//
// It creates PATH, takes one connection, removes PATH and serves until the
// peer closes.  The RTL is clocked only while a request is served or the
// design says it is busy (sim_busy in hermes_cl.v), so an idle guest costs
// no CPU.  Exit status: 0 when the peer closed or on SIGTERM/SIGINT, 1 on a
// bad message or a system error, 2 when the RTL hangs an AXI handshake.
#include "Vhermes_cl.h"
#include "Vhermes_cl___024root.h"
#include "cl_axi.h"
#include "verilated.h"

#include "hermes-cosim-proto.h"

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

// Messages go on the wire as the host lays them out.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the protocol is little-endian");
static_assert(sizeof(HermesCosimMsg) == 32, "HermesCosimMsg has no padding");

#define PROG "hermes-f1-sim"

static const uint64_t LIMIT = 200000;   // cycles one AXI handshake may take
static const unsigned CHUNK = 256;      // cycles clocked between socket polls
static const unsigned RESET_CYCLES = 16;
static const uint32_t EHDEVCTL = 0x080;

// Ways out of the serving loop, caught in main().
struct PeerClosed {};
struct Stopped {};
struct Fatal {
    int status;
};

static volatile sig_atomic_t stop_signal;
static sigset_t wait_mask;              // signals unblocked while waiting

static Vhermes_cl *top;
static ClAxi *axi;
static double rtl_secs;                 // wall time spent clocking the RTL
static uint64_t n_requests, n_ocl, n_pcis_bytes;

// Payload of one request or reply, after the reply's header.
static uint8_t obuf[sizeof(HermesCosimMsg) + HERMES_COSIM_MAX_DATA];
static uint8_t ibuf[HERMES_COSIM_MAX_DATA];

[[noreturn]] static void fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    throw Fatal{ status };
}

static void on_signal(int sig)
{
    stop_signal = sig;
}

// Waits for @events on @fd, @timeout ms (-1: forever).  Signals are blocked
// except in here, so SIGTERM cannot slip in between a check and a sleep.
static bool wait_fd(int fd, short events, int timeout)
{
    struct pollfd p = { fd, events, 0 };
    struct timespec ts = { 0, 0 }, *tp = timeout < 0 ? nullptr : &ts;
    for (;;) {
        int r = ppoll(&p, 1, tp, &wait_mask);
        if (stop_signal)
            throw Stopped();
        if (r >= 0)
            return r > 0;
        if (errno != EINTR)
            fail(1, "poll: %s", strerror(errno));
    }
}

// Reads @n bytes.  EOF before the first byte of a message is the peer
// closing; within a message, a broken peer.
static void read_full(int fd, void *buf, size_t n, bool at_message)
{
    size_t got = 0;
    while (got < n) {
        wait_fd(fd, POLLIN, -1);
        ssize_t r = read(fd, (uint8_t *)buf + got, n - got);
        if (r > 0) {
            got += r;
        } else if (r == 0) {
            if (got == 0 && at_message)
                throw PeerClosed();
            fail(1, "peer closed the connection in the middle of a message");
        } else if (errno == ECONNRESET) {
            throw PeerClosed();
        } else if (errno != EINTR && errno != EAGAIN) {
            fail(1, "read: %s", strerror(errno));
        }
    }
}

static void write_full(int fd, const void *buf, size_t n)
{
    size_t put = 0;
    while (put < n) {
        wait_fd(fd, POLLOUT, -1);
        ssize_t r = write(fd, (const uint8_t *)buf + put, n - put);
        if (r > 0)
            put += r;
        else if (r < 0 && (errno == EPIPE || errno == ECONNRESET))
            throw PeerClosed();
        else if (r < 0 && errno != EINTR && errno != EAGAIN)
            fail(1, "write: %s", strerror(errno));
    }
}

static bool sim_busy()
{
    return top->rootp->hermes_cl__DOT__sim_busy;
}

static double now()
{
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// The interrupts raised since the last look: acknowledged on
// sh_cl_apppf_irq_ack, then reported, as the shell does with MSI-X.
static void flush_irqs(int fd)
{
    uint16_t bits = axi->take_irqs();
    if (!bits)
        return;
    double t = now();
    axi->ack_irqs(bits);
    rtl_secs += now() - t;
    HermesCosimMsg m = {};
    m.type = HERMES_COSIM_IRQ;
    m.data = bits;
    write_full(fd, &m, sizeof(m));
}

// A card reset: rst_main_n low, then the custom logic's own reset (an
// EHDEVCTL sweep, if one was started) runs out.
static void card_reset()
{
    axi->reset(RESET_CYCLES);
    uint32_t v;
    for (uint64_t n = 0; axi->lite_read(EHDEVCTL, &v), v & 1; n++)
        if (n > LIMIT)
            throw ClAxiTimeout("EHDEVCTL reset sweep");
}

static const char *type_name(uint32_t t)
{
    switch (t) {
    case HERMES_COSIM_HELLO: return "HELLO";
    case HERMES_COSIM_OCL_READ: return "OCL_READ";
    case HERMES_COSIM_OCL_WRITE: return "OCL_WRITE";
    case HERMES_COSIM_PCIS_READ: return "PCIS_READ";
    case HERMES_COSIM_PCIS_WRITE: return "PCIS_WRITE";
    case HERMES_COSIM_RESET: return "RESET";
    case HERMES_COSIM_IRQ: return "IRQ";
    default: return "?";
    }
}

// Reads and carries out one request, then replies.
static void serve(int fd, bool *hello)
{
    HermesCosimMsg m;
    read_full(fd, &m, sizeof(m), true);
    n_requests++;

    const char *tn = type_name(m.type);
    if (m.type == HERMES_COSIM_IRQ || m.type == (HERMES_COSIM_IRQ | HERMES_COSIM_REPLY))
        fail(1, "bad message: IRQ (type 0x%" PRIx32 ") goes to the device only", m.type);
    if (m.type < HERMES_COSIM_HELLO || m.type > HERMES_COSIM_RESET)
        fail(1, "bad message: unknown request type 0x%" PRIx32, m.type);
    if (!*hello && m.type != HERMES_COSIM_HELLO)
        fail(1, "bad message: %s before HELLO", tn);
    uint32_t want_len = m.type == HERMES_COSIM_PCIS_WRITE ? m.size : 0;
    bool pcis = m.type == HERMES_COSIM_PCIS_READ || m.type == HERMES_COSIM_PCIS_WRITE;
    if (pcis && (m.size == 0 || m.size > HERMES_COSIM_MAX_DATA))
        fail(1, "bad message: %s size %" PRIu32 " (1 to %u)", tn, m.size,
             HERMES_COSIM_MAX_DATA);
    if (m.len != want_len)
        fail(1, "bad message: %s len %" PRIu32 ", expected %" PRIu32, tn, m.len, want_len);
    if (m.resp != 0)
        fail(1, "bad message: %s with resp %" PRIu32, tn, m.resp);
    if (pcis && m.addr > UINT64_MAX - m.size)
        fail(1, "bad message: %s of %" PRIu32 " bytes at 0x%" PRIx64 " wraps", tn, m.size,
             m.addr);
    if (pcis && m.data > 0x3f)
        fail(1, "bad message: %s AXI ID 0x%" PRIx64 " (6 bits)", tn, m.data);
    if ((m.type == HERMES_COSIM_OCL_READ || m.type == HERMES_COSIM_OCL_WRITE) &&
        m.addr > UINT32_MAX)
        fail(1, "bad message: %s address 0x%" PRIx64 " beyond 32 bits", tn, m.addr);
    if (m.type == HERMES_COSIM_OCL_WRITE && (m.data > UINT32_MAX || m.size == 0 || m.size > 0xf))
        fail(1, "bad message: OCL_WRITE data 0x%" PRIx64 " WSTRB 0x%" PRIx32, m.data, m.size);
    if (m.len)
        read_full(fd, ibuf, m.len, false);

    HermesCosimMsg r = {};
    r.type = m.type | HERMES_COSIM_REPLY;
    r.addr = m.addr;
    r.size = m.size;
    uint8_t *payload = obuf + sizeof(r);
    double t = now();
    switch (m.type) {
    case HERMES_COSIM_HELLO:
        if (m.addr != HERMES_COSIM_MAGIC || m.data != HERMES_COSIM_VERSION)
            fail(1, "bad message: HELLO magic 0x%" PRIx64 " version %" PRIu64
                 ", expected 0x%x version %u", m.addr, m.data, HERMES_COSIM_MAGIC,
                 HERMES_COSIM_VERSION);
        *hello = true;
        r.addr = HERMES_COSIM_MAGIC;
        r.data = HERMES_COSIM_VERSION;
        break;
    case HERMES_COSIM_OCL_READ: {
        uint32_t v = 0;
        r.resp = axi->lite_read(m.addr, &v);
        r.data = v;
        n_ocl++;
        break;
    }
    case HERMES_COSIM_OCL_WRITE:
        r.resp = axi->lite_write(m.addr, m.data, m.size);
        n_ocl++;
        break;
    case HERMES_COSIM_PCIS_READ:
        r.resp = axi->dma_read(m.addr, payload, m.size, m.data);
        r.len = m.size;
        n_pcis_bytes += m.size;
        break;
    case HERMES_COSIM_PCIS_WRITE:
        r.resp = axi->dma_write(m.addr, ibuf, m.size, m.data);
        n_pcis_bytes += m.size;
        break;
    case HERMES_COSIM_RESET:
        card_reset();
        break;
    }
    rtl_secs += now() - t;

    // An interrupt the request caused goes out before its reply.
    flush_irqs(fd);
    memcpy(obuf, &r, sizeof(r));
    write_full(fd, obuf, sizeof(r) + r.len);
}

// The listening socket: PATH is ours from its rename until we unlink it.
// It appears only once it listens (bound as PATH.tmp, then renamed), so a
// client that sees PATH never gets ECONNREFUSED.
static int listen_at(const char *path)
{
    struct sockaddr_un sa = {};
    std::string tmp = std::string(path) + ".tmp";
    sa.sun_family = AF_UNIX;
    if (tmp.size() >= sizeof(sa.sun_path))
        fail(1, "socket path too long (%zu bytes at most): %s",
             sizeof(sa.sun_path) - 5, path);
    strcpy(sa.sun_path, tmp.c_str());
    struct stat st;
    if (lstat(path, &st) == 0)
        fail(1, "%s exists; not replacing it", path);
    if (lstat(tmp.c_str(), &st) == 0)
        fail(1, "%s exists; not replacing it", tmp.c_str());
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        fail(1, "socket: %s", strerror(errno));
    if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(s);
        fail(1, "bind %s: %s", tmp.c_str(), strerror(e));
    }
    if (listen(s, 1) < 0 ||
        renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path, RENAME_NOREPLACE) < 0) {
        int e = errno;
        close(s);
        unlink(tmp.c_str());
        fail(1, "listen at %s: %s", path, strerror(e));
    }
    return s;
}

static int accept_one(int ls, const char *path)
{
    for (;;) {
        try {
            wait_fd(ls, POLLIN, -1);
        } catch (...) {
            close(ls);
            unlink(path);
            throw;
        }
        int fd = accept4(ls, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
            close(ls);
            unlink(path);
            return fd;
        }
        if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN) {
            int e = errno;
            close(ls);
            unlink(path);
            fail(1, "accept: %s", strerror(e));
        }
    }
}

static void serve_loop(int fd)
{
    bool hello = false;
    for (;;) {
        // Busy: the design runs on between requests, so only peek.
        bool busy = sim_busy();
        if (wait_fd(fd, POLLIN, busy ? 0 : -1)) {
            serve(fd, &hello);
        } else if (busy) {
            double t = now();
            for (unsigned i = 0; i < CHUNK; i++)
                axi->tick();
            rtl_secs += now() - t;
            flush_irqs(fd);
        }
    }
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: " PROG " --socket PATH\n"
            "\n"
            "Simulates the Hermes custom logic (hermes_cl, Verilated) for QEMU's\n"
            "hermes-f1 device: creates the Unix socket PATH (which must not exist),\n"
            "accepts one connection, removes PATH and serves the device's requests\n"
            "until it disconnects.\n");
}

int main(int argc, char **argv)
{
    const char *path = nullptr;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
            path = argv[++i];
        } else if (!strncmp(argv[i], "--socket=", 9)) {
            path = argv[i] + 9;
        } else {
            usage(stderr);
            return 1;
        }
    }
    if (!path || !*path) {
        usage(stderr);
        return 1;
    }

    // SIGTERM/SIGINT only interrupt a wait (ppoll); a peer gone mid-write
    // is EPIPE, not a signal.
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &wait_mask);
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGINT);
    struct sigaction sa = {};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);

    top = new Vhermes_cl;
    axi = new ClAxi(top, LIMIT);
    int status = 0;
    try {
        double t = now();
        card_reset();
        rtl_secs += now() - t;
        int ls = listen_at(path);
        int fd = accept_one(ls, path);
        try {
            serve_loop(fd);
        } catch (...) {
            close(fd);
            throw;
        }
    } catch (const PeerClosed &) {
        status = 0;
    } catch (const Stopped &) {
        status = 0;
    } catch (const Fatal &f) {
        status = f.status;
    } catch (const ClAxiTimeout &e) {
        fprintf(stderr, PROG ": %s\n", e.what());
        status = 2;
    }
    uint64_t cycles = axi->cycles();
    fprintf(stderr,
            PROG ": %" PRIu64 " cycles in %.3f s (%.0f cycles/s), %" PRIu64 " requests, %" PRIu64
                 " OCL, %" PRIu64 " PCIS bytes\n",
            cycles, rtl_secs, rtl_secs > 0 ? cycles / rtl_secs : 0.0, n_requests, n_ocl,
            n_pcis_bytes);
    top->final();
    delete axi;
    delete top;
    return status;
}
