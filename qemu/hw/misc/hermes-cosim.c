/*
 * Hermes F1 co-simulation: the device's end of the simulator connection
 *
 * Copyright (c) 2026 The Hermes authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * hermes-f1 hands each access the custom logic must see to hermes-f1-sim,
 * the Verilated rtl/hermes_cl.v in a process of its own, and waits for the
 * answer (hermes-cosim-proto.h).  A separate process keeps Verilator's C++
 * out of QEMU's build, lets the simulated clock run on another host CPU
 * while the guest runs, and turns a crash of the simulator into a dead
 * card instead of a dead QEMU.  Every wait is bounded: a simulator that
 * does not answer within HERMES_COSIM_TIMEOUT_MS is declared dead, the
 * connection closed, and the card reads as all-ones from then on, which
 * the guest's driver takes for a card that fell off the bus.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/sockets.h"
#include "qemu/timer.h"
#include "qapi/error.h"
#include "hermes-cosim.h"
#include "trace.h"

/*
 * Longest wait for one answer.  The simulator serves a request within a
 * few hundred simulated cycles, but it runs on a shared host: be generous.
 */
#define HERMES_COSIM_TIMEOUT_MS 10000

struct HermesCosim {
    int fd;                     /* -1: dead */
    char *path;
    HermesCosimIrqFn *irq;
    void *opaque;
    bool connected;             /* the handshake succeeded */
    uint32_t irq_mask;          /* requested, not yet handed to @irq */
    QEMUBH *irq_bh;
};

static void hermes_cosim_fail(HermesCosim *c, const char *why)
{
    if (c->fd < 0) {
        return;
    }
    trace_hermes_cosim_dead(why);
    /* before the handshake, realize reports the failure */
    if (c->connected) {
        error_report("hermes-f1: simulator at %s: %s; the card no longer "
                     "answers", c->path, why);
    }
    qemu_set_fd_handler(c->fd, NULL, NULL, NULL);
    close(c->fd);
    c->fd = -1;
}

/* Move @len bytes in or out before @deadline (QEMU_CLOCK_REALTIME, ms) */
static bool hermes_cosim_io(HermesCosim *c, void *buf, size_t len,
                            bool out, int64_t deadline)
{
    uint8_t *p = buf;

    while (len && c->fd >= 0) {
        GPollFD pfd = { .fd = c->fd, .events = out ? G_IO_OUT : G_IO_IN };
        int64_t left = deadline - qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
        ssize_t n;

        if (left <= 0) {
            hermes_cosim_fail(c, "no answer in time");
            return false;
        }
        if (g_poll(&pfd, 1, left) < 0 && errno != EINTR) {
            hermes_cosim_fail(c, strerror(errno));
            return false;
        }
        if (!pfd.revents) {
            continue;
        }
        n = out ? send(c->fd, p, len, MSG_NOSIGNAL) : recv(c->fd, p, len, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n <= 0) {
            hermes_cosim_fail(c, n ? strerror(errno)
                                   : "the simulator closed the connection");
            return false;
        }
        p += n;
        len -= n;
    }
    return c->fd >= 0;
}

static void hermes_cosim_irq_bh(void *opaque)
{
    HermesCosim *c = opaque;
    uint32_t mask = c->irq_mask;

    c->irq_mask = 0;
    if (mask) {
        c->irq(c->opaque, mask);
    }
}

/* One message in; interrupt requests are taken aside. */
static bool hermes_cosim_recv(HermesCosim *c, HermesCosimMsg *m,
                              int64_t deadline)
{
    if (!hermes_cosim_io(c, m, sizeof(*m), false, deadline)) {
        return false;
    }
    m->type = le32_to_cpu(m->type);
    m->len = le32_to_cpu(m->len);
    m->addr = le64_to_cpu(m->addr);
    m->data = le64_to_cpu(m->data);
    m->size = le32_to_cpu(m->size);
    m->resp = le32_to_cpu(m->resp);
    if (m->type == HERMES_COSIM_IRQ) {
        if (m->len) {
            hermes_cosim_fail(c, "an interrupt message with a payload");
            return false;
        }
        trace_hermes_cosim_irq(m->data);
        c->irq_mask |= m->data;
        qemu_bh_schedule(c->irq_bh);
    }
    return true;
}

/*
 * Interrupt requests while no transaction waits.  The main loop may have
 * seen the socket readable for a reply that a vCPU's transaction has
 * taken since: only a message that is there is read.
 */
static void hermes_cosim_readable(void *opaque)
{
    HermesCosim *c = opaque;
    int64_t deadline = qemu_clock_get_ms(QEMU_CLOCK_REALTIME) +
                       HERMES_COSIM_TIMEOUT_MS;
    HermesCosimMsg m;
    uint8_t byte;

    if (recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
        (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return;
    }
    if (hermes_cosim_recv(c, &m, deadline) && m.type != HERMES_COSIM_IRQ) {
        hermes_cosim_fail(c, "a reply nobody asked for");
    }
}

/*
 * Send @req and its @out_len bytes, wait for its reply and its @in_len
 * bytes of payload into @in.
 */
static bool hermes_cosim_call(HermesCosim *c, HermesCosimMsg *req,
                              const void *out, uint32_t out_len,
                              HermesCosimMsg *reply, void *in,
                              uint32_t in_len)
{
    int64_t deadline = qemu_clock_get_ms(QEMU_CLOCK_REALTIME) +
                       HERMES_COSIM_TIMEOUT_MS;
    uint32_t type = req->type;
    HermesCosimMsg m = {
        .type = cpu_to_le32(req->type),
        .len = cpu_to_le32(out_len),
        .addr = cpu_to_le64(req->addr),
        .data = cpu_to_le64(req->data),
        .size = cpu_to_le32(req->size),
    };

    if (c->fd < 0 ||
        !hermes_cosim_io(c, &m, sizeof(m), true, deadline) ||
        (out_len && !hermes_cosim_io(c, (void *)out, out_len, true,
                                     deadline))) {
        return false;
    }
    do {
        if (!hermes_cosim_recv(c, reply, deadline)) {
            return false;
        }
    } while (reply->type == HERMES_COSIM_IRQ);
    if (reply->type != (type | HERMES_COSIM_REPLY) || reply->len != in_len) {
        hermes_cosim_fail(c, "a reply that does not match the request");
        return false;
    }
    return !in_len || hermes_cosim_io(c, in, in_len, false, deadline);
}

bool hermes_cosim_alive(HermesCosim *c)
{
    return c->fd >= 0;
}

bool hermes_cosim_ocl_read(HermesCosim *c, uint32_t addr, uint32_t *val)
{
    HermesCosimMsg req = { .type = HERMES_COSIM_OCL_READ, .addr = addr };
    HermesCosimMsg reply;

    if (!hermes_cosim_call(c, &req, NULL, 0, &reply, NULL, 0)) {
        return false;
    }
    /* SLVERR or DECERR: the PCIe read completes as all-ones */
    *val = reply.resp == HERMES_COSIM_OKAY ? reply.data : UINT32_MAX;
    trace_hermes_cosim_ocl(addr, *val, reply.resp, false);
    return true;
}

bool hermes_cosim_ocl_write(HermesCosim *c, uint32_t addr, uint32_t val,
                            unsigned strb)
{
    HermesCosimMsg req = {
        .type = HERMES_COSIM_OCL_WRITE, .addr = addr, .data = val,
        .size = strb,
    };
    HermesCosimMsg reply;

    if (!hermes_cosim_call(c, &req, NULL, 0, &reply, NULL, 0)) {
        return false;
    }
    trace_hermes_cosim_ocl(addr, val, reply.resp, true);
    return true;
}

/* One DMA_PCIS transaction of @len bytes, as the simulator splits it */
static int hermes_cosim_pcis(HermesCosim *c, bool write, uint64_t addr,
                             void *buf, uint32_t len, unsigned id)
{
    HermesCosimMsg req = {
        .type = write ? HERMES_COSIM_PCIS_WRITE : HERMES_COSIM_PCIS_READ,
        .addr = addr, .size = len, .data = id,
    };
    HermesCosimMsg reply;

    assert(len && len <= HERMES_COSIM_MAX_DATA);
    if (!hermes_cosim_call(c, &req, write ? buf : NULL, write ? len : 0,
                           &reply, write ? NULL : buf, write ? 0 : len)) {
        return -1;
    }
    trace_hermes_cosim_pcis(addr, len, id, reply.resp, write);
    return reply.resp;
}

int hermes_cosim_pcis_read(HermesCosim *c, uint64_t addr, void *buf,
                           uint32_t len, unsigned id)
{
    return hermes_cosim_pcis(c, false, addr, buf, len, id);
}

int hermes_cosim_pcis_write(HermesCosim *c, uint64_t addr, const void *buf,
                            uint32_t len, unsigned id)
{
    return hermes_cosim_pcis(c, true, addr, (void *)buf, len, id);
}

bool hermes_cosim_reset(HermesCosim *c)
{
    HermesCosimMsg req = { .type = HERMES_COSIM_RESET };
    HermesCosimMsg reply;

    if (!hermes_cosim_call(c, &req, NULL, 0, &reply, NULL, 0)) {
        return false;
    }
    /* requests sent before the reply predate the reset: drop them */
    c->irq_mask = 0;
    qemu_bh_cancel(c->irq_bh);
    return true;
}

HermesCosim *hermes_cosim_connect(const char *path, HermesCosimIrqFn *irq,
                                  void *opaque, MemReentrancyGuard *guard,
                                  Error **errp)
{
    HermesCosim *c = g_new0(HermesCosim, 1);
    HermesCosimMsg req = {
        .type = HERMES_COSIM_HELLO,
        .addr = HERMES_COSIM_MAGIC,
        .data = HERMES_COSIM_VERSION,
    };
    HermesCosimMsg reply;

    c->path = g_strdup(path);
    c->irq = irq;
    c->opaque = opaque;
    c->irq_bh = qemu_bh_new_guarded(hermes_cosim_irq_bh, c, guard);
    c->fd = unix_connect(path, errp);
    if (c->fd < 0) {
        error_prepend(errp, "hermes-f1: cannot reach the simulator: ");
        goto fail;
    }
    qemu_socket_set_nonblock(c->fd);
    if (!hermes_cosim_call(c, &req, NULL, 0, &reply, NULL, 0) ||
        reply.addr != HERMES_COSIM_MAGIC ||
        reply.data != HERMES_COSIM_VERSION) {
        error_setg(errp, "hermes-f1: %s does not speak the co-simulation "
                   "protocol, version %d", path, HERMES_COSIM_VERSION);
        goto fail;
    }
    c->connected = true;
    qemu_set_fd_handler(c->fd, hermes_cosim_readable, NULL, c);
    return c;

fail:
    hermes_cosim_close(c);
    return NULL;
}

void hermes_cosim_close(HermesCosim *c)
{
    if (!c) {
        return;
    }
    if (c->fd >= 0) {
        qemu_set_fd_handler(c->fd, NULL, NULL, NULL);
        close(c->fd);
    }
    qemu_bh_delete(c->irq_bh);
    g_free(c->path);
    g_free(c);
}
