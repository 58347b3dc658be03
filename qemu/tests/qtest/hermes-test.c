/*
 * QTest testcases for the Hermes eBPF offload accelerator
 *
 * Copyright (c) 2026 The Hermes authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The constants below are written from Documentation/hermes/device.rst of
 * the Hermes tree, not taken from the model, so that the tests check the
 * model against the specification.
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qapi/qmp/qdict.h"
#include "qemu/bswap.h"
#include "qemu/units.h"
#include "libqos/pci.h"
#include "libqos/pci-pc.h"
#include "libqos/libqos-malloc.h"
#include "libqos/malloc-pc.h"
#include "hw/pci/pci_regs.h"

/* BAR0 */
#define EHVER           0x000
#define EHBLD           0x004
#define EHENG           0x034
#define EHPSLOT         0x035
#define EHDSLOT         0x036
#define EHPSOFF         0x038
#define EHPSSZE         0x03c
#define EHDSOFF         0x040
#define EHDSSZE         0x044
#define EHPSOFF64       0x050
#define EHDSOFF64       0x058
#define EHMEMSZ         0x060
#define EHDEVCTL        0x080
#define EHCAPSIG        0x100
#define EHCAPISA        0x104
#define EHCAPSTACK      0x108
#define EHCAPDEPTH      0x10c
#define EHCAPMAXINSN    0x110
#define EHCAPBUDDEF     0x114
#define EHCAPBUDMAX     0x118
#define EHCAPCMDS       0x11c
#define EHCAPHELPER     0x120
#define EHCAPMAPTYPES   0x140
#define EHCAPMAPMAX     0x148
#define EHCAPMAPMEM     0x14c

#define EHCMDREQ(e)     (0x1000 + 48 * (e))
#define EHCMDRES(e)     (0x1020 + 48 * (e))
#define EHCMDCTRL(e)    (0x2000 + 8 * (e))
#define EHENGBLK(e)     (0x3000 + 128 * (e))

#define RES_R0          0x00
#define RES_INSNS       0x08
#define RES_TIME        0x10
#define RES_FADDR       0x18
#define RES_FPC         0x20
#define RES_FAULT       0x24
#define RES_DOFF        0x28
#define RES_DLEN        0x2c
#define RES_ITERS       0x30
#define RES_STATUS      0x34
#define RES_MLEN        0x38
#define CNT_RUNS        0x40
#define CNT_INSNS       0x48
#define CNT_ERRORS      0x50
#define CNT_BUSY        0x58

#define ST_SUCCESS              0x00
#define ST_NO_SPACE             0x01
#define ST_INVALID_PROG_SLOT    0x02
#define ST_INVALID_DATA_SLOT    0x03
#define ST_INVALID_ADDRESS      0x04
#define ST_EBPF_ERROR           0x05
#define ST_INVALID_OPCODE       0x06
#define ST_INVALID_PROGRAM      0x07
#define ST_BUDGET_EXCEEDED      0x08
#define ST_ABORTED              0x09
#define ST_INVALID_FIELD        0x0a
#define ST_MAP_NOENT            0x0b
#define ST_MAP_EXIST            0x0c
#define ST_MAP_FULL             0x0d
#define ST_NO_MAP_MEMORY        0x0e
#define ST_INVALID_MAP          0x0f
#define ST_INVALID_RECORDS      0x10

#define FAULT_INVALID_INSN      1
#define FAULT_LOAD              16
#define FAULT_STORE             17
#define FAULT_BUDGET            19
#define FAULT_HELPER            21
#define FAULT_ABORTED           22

#define DATA_BASE       0x100000000ULL
#define CTX_BASE        0x200000000ULL
#define STACK_BASE      0x300000000ULL
#define STACK_DEPTH     8

/* BAR2 */
#define XDMA_H2C(c)     (0x0000 + 0x100 * (c))
#define XDMA_C2H(c)     (0x1000 + 0x100 * (c))
#define XDMA_IRQ        0x2000
#define XDMA_CONFIG     0x3000
#define XDMA_H2C_SG(c)  (0x4000 + 0x100 * (c))
#define XDMA_C2H_SG(c)  (0x5000 + 0x100 * (c))
#define XDMA_COMMON     0x6000
#define XDMA_MSIX_TABLE 0x8000
#define CH_CONTROL      0x04
#define CH_CONTROL_W1C  0x0c
#define CH_STATUS       0x40
#define CH_STATUS_RC    0x44
#define CH_COMPLETED    0x48
#define CH_ALIGNMENTS   0x4c
#define SG_DESC_LO      0x80
#define SG_DESC_HI      0x84
#define CH_IE           0x90
#define SG_DESC_ADJ     0x88
#define IRQ_USER_IE     0x04
#define IRQ_USER_IE_W1S 0x08
#define IRQ_USER_IE_W1C 0x0c
#define IRQ_CHAN_IE     0x10
#define IRQ_CHAN_IE_W1S 0x14
#define IRQ_USER_REQ    0x40
#define IRQ_CHAN_REQ    0x44
#define IRQ_USER_PEND   0x48
#define IRQ_CHAN_PEND   0x4c
#define IRQ_USER_VEC    0x80
#define IRQ_CHAN_VEC    0xa0
/* CONTROL: RUN and the interrupt enables xdma.c's CHAN_CTRL_START sets */
#define CTRL_START      0x00fffe1fu

#define DMA_BUSY            (1u << 0)
#define DMA_STOPPED         (1u << 1)
#define DMA_COMPLETED       (1u << 2)
#define DMA_MAGIC_STOPPED   (1u << 4)
#define DMA_INVALID_LENGTH  (1u << 5)
#define DMA_READ_ERROR      (1u << 9)
#define DMA_WRITE_ERROR     (1u << 14)
#define DMA_DESC_ERROR      (1u << 19)
#define DMA_CHAIN_LIMIT     (1u << 20)
#define DMA_CARD_RANGE      (1u << 21)
#define DMA_ADJ_BOUNDARY    (1u << 22)
#define DESC_MAGIC          0xad4b0000u
#define DESC_STOP           (1u << 0)
#define DESC_COMPLETED      (1u << 1)
#define DESC_ADJ(n)         ((uint32_t)(n) << 8)
#define DESC_GARBAGE        0xdeadbeefdeadbee0ULL

/* AWS F1 identity (f1=on) */
#define F1_VENDOR_ID        0x1d0f
#define F1_DEVICE_ID        0xf0eb

/* eBPF instruction encoding */
#define INSN(op, dst, src, off, imm) \
    ((uint64_t)(op) | (uint64_t)(dst) << 8 | (uint64_t)(src) << 12 | \
     (uint64_t)(uint16_t)(off) << 16 | (uint64_t)(uint32_t)(imm) << 32)
#define MOV64_IMM(d, imm)   INSN(0xb7, d, 0, 0, imm)
#define MOV64_REG(d, s)     INSN(0xbf, d, s, 0, 0)
#define ADD64_IMM(d, imm)   INSN(0x07, d, 0, 0, imm)
#define ADD64_REG(d, s)     INSN(0x0f, d, s, 0, 0)
#define SUB64_REG(d, s)     INSN(0x1f, d, s, 0, 0)
#define LDXW(d, s, off)     INSN(0x61, d, s, off, 0)
#define LDXDW(d, s, off)    INSN(0x79, d, s, off, 0)
#define STXDW(d, s, off)    INSN(0x7b, d, s, off, 0)
#define STDW(d, off, imm)   INSN(0x7a, d, 0, off, imm)
#define JA(off)             INSN(0x05, 0, 0, off, 0)
#define JNE_IMM(d, imm, off) INSN(0x55, d, 0, off, imm)
#define CALL(id)            INSN(0x85, 0, 0, 0, id)
#define LDXB(d, s, off)     INSN(0x71, d, s, off, 0)
#define LSH64_IMM(d, imm)   INSN(0x67, d, 0, 0, imm)
#define OR64_REG(d, s)      INSN(0x4f, d, s, 0, 0)
#define SUB64_IMM(d, imm)   INSN(0x17, d, 0, 0, imm)
#define JEQ_IMM(d, imm, off) INSN(0x15, d, 0, off, imm)
#define EXIT()              INSN(0x95, 0, 0, 0, 0)

#define SLOT_SIZE       (1 * MiB)
#define WAIT_US         (30 * G_USEC_PER_SEC)

typedef struct Hermes {
    QTestState *qts;
    QPCIBus *bus;
    QGuestAllocator alloc;
    QPCIDevice *dev[2];
    QPCIBar bar0[2];
    QPCIBar bar2[2];
    QPCIBar bar4[2];
    uint64_t mem_size[2];
} Hermes;

typedef struct Req {
    uint8_t b[32];
} Req;

static void hermes_map(Hermes *h, int i, int slot)
{
    QPCIDevice *dev = qpci_device_find(h->bus, QPCI_DEVFN(slot, 0));

    g_assert(dev);
    h->dev[i] = dev;
    qpci_device_enable(dev);
    /* MSI-X first: it maps BAR2 itself, so reuse its mapping */
    qpci_msix_enable(dev);
    h->bar2[i] = dev->msix_table_bar;
    h->bar0[i] = qpci_iomap(dev, 0, NULL);
    h->bar4[i] = qpci_iomap(dev, 4, &h->mem_size[i]);
}

static void hermes_start_on(Hermes *h, const char *machine,
                            const char *devices)
{
    memset(h, 0, sizeof(*h));
    h->qts = qtest_initf("-machine %s -nodefaults %s", machine, devices);
    pc_alloc_init(&h->alloc, h->qts, ALLOC_NO_FLAGS);
    h->bus = qpci_new_pc(h->qts, &h->alloc);
    hermes_map(h, 0, 4);
    if (strstr(devices, "addr=05.0")) {
        hermes_map(h, 1, 5);
    }
}

static void hermes_start(Hermes *h, const char *devices)
{
    hermes_start_on(h, "pc", devices);
}

static Hermes *hermes_start_one(Hermes *h)
{
    hermes_start(h, "-device hermes,addr=04.0");
    return h;
}

static void hermes_stop(Hermes *h)
{
    int i;

    for (i = 0; i < 2; i++) {
        if (h->dev[i]) {
            qpci_msix_disable(h->dev[i]);
            g_free(h->dev[i]);
        }
    }
    qpci_free_pc(h->bus);
    alloc_destroy(&h->alloc);
    qtest_quit(h->qts);
}

static uint32_t rd32(Hermes *h, int i, uint64_t off)
{
    return qpci_io_readl(h->dev[i], h->bar0[i], off);
}

static uint64_t rd64(Hermes *h, int i, uint64_t off)
{
    return qpci_io_readq(h->dev[i], h->bar0[i], off);
}

static void wr32(Hermes *h, int i, uint64_t off, uint32_t val)
{
    qpci_io_writel(h->dev[i], h->bar0[i], off, val);
}

/* Requests */

/*
 * Reset device @i: the write only starts the reset, RESET reads 1 until
 * the running engines have stopped (within 4096 instructions or one
 * helper call each).
 */
static void dev_reset(Hermes *h, int i)
{
    gint64 t0 = g_get_monotonic_time();

    wr32(h, i, EHDEVCTL, 1);
    while (rd32(h, i, EHDEVCTL) & 1) {
        g_assert_cmpint(g_get_monotonic_time() - t0, <, 5 * G_USEC_PER_SEC);
        g_usleep(1000);
    }
}

static Req req_slot(uint8_t opc, uint16_t cid, uint8_t type, uint8_t id)
{
    Req r = { { 0 } };

    r.b[0] = opc;
    r.b[2] = cid;
    r.b[3] = cid >> 8;
    r.b[8] = type;
    r.b[9] = id;
    return r;
}

static Req req_run(uint16_t cid, uint8_t pslot, uint8_t dslot, uint32_t plen)
{
    Req r = { { 0 } };

    r.b[0] = 0x80;
    r.b[2] = cid;
    r.b[3] = cid >> 8;
    r.b[8] = pslot;
    r.b[9] = dslot;
    stl_le_p(&r.b[12], plen);
    return r;
}

static void req_window(Req *r, uint32_t doff, uint32_t dlen)
{
    r->b[1] |= 1;
    stl_le_p(&r->b[16], doff);
    stl_le_p(&r->b[20], dlen);
}

static void req_repeat_budget(Req *r, uint32_t repeat, uint32_t budget)
{
    stl_le_p(&r->b[24], repeat);
    stl_le_p(&r->b[28], budget);
}

/* The request, then @ctl to EHCMDCTRL in one write */
static void submit_ctl(Hermes *h, int i, int e, const Req *r, uint32_t ctl)
{
    int k;

    for (k = 0; k < 32; k += 4) {
        wr32(h, i, EHCMDREQ(e) + k, ldl_le_p(&r->b[k]));
    }
    wr32(h, i, EHCMDCTRL(e), ctl);
}

static void submit_on(Hermes *h, int i, int e, const Req *r)
{
    submit_ctl(h, i, e, r, 1);
}

static void wait_done_on(Hermes *h, int i, int e)
{
    gint64 end = g_get_monotonic_time() + WAIT_US;

    while (!(rd32(h, i, EHCMDCTRL(e)) & 0x100)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
    /* DONE and EXEC are never both set */
    g_assert_cmphex(rd32(h, i, EHCMDCTRL(e)) & 0xff, ==, 0);
}

/* Submit on device @i engine @e, wait, return the status; r0 in *@val. */
static uint8_t cmd_on(Hermes *h, int i, int e, const Req *r, uint64_t *val)
{
    uint16_t cid = lduw_le_p(&r->b[2]);
    uint32_t w0;

    submit_on(h, i, e, r);
    wait_done_on(h, i, e);
    w0 = rd32(h, i, EHCMDRES(e));
    g_assert_cmphex(w0 & 0xffff, ==, cid);
    g_assert_cmphex(rd32(h, i, EHENGBLK(e) + RES_STATUS), ==,
                    ((w0 >> 16) & 0xff) | (uint32_t)cid << 16);
    if (val) {
        *val = rd64(h, i, EHCMDRES(e) + 8);
    }
    return (w0 >> 16) & 0xff;
}

static uint8_t cmd(Hermes *h, const Req *r, uint64_t *val)
{
    return cmd_on(h, 0, 0, r, val);
}

static uint8_t alloc_slot_on(Hermes *h, int i, uint8_t type)
{
    Req r = req_slot(0x00, 0x1234, type, 0);
    uint64_t v;

    g_assert_cmpint(cmd_on(h, i, 0, &r, &v), ==, ST_SUCCESS);
    return v;
}

static uint8_t alloc_slot(Hermes *h, uint8_t type)
{
    return alloc_slot_on(h, 0, type);
}

static uint64_t pslot_addr(Hermes *h, int i, uint8_t slot)
{
    return rd64(h, i, EHPSOFF64) + (uint64_t)slot * rd32(h, i, EHPSSZE);
}

static uint64_t dslot_addr(Hermes *h, int i, uint8_t slot)
{
    return rd64(h, i, EHDSOFF64) + (uint64_t)slot * rd32(h, i, EHDSSZE);
}

static uint32_t load_prog_on(Hermes *h, int i, uint8_t slot,
                             const uint64_t *insns, size_t n)
{
    uint64_t base = pslot_addr(h, i, slot);
    size_t k;

    for (k = 0; k < n; k++) {
        qpci_io_writeq(h->dev[i], h->bar4[i], base + 8 * k, insns[k]);
    }
    return n * 8;
}

#define LOAD_PROG(h, slot, p) load_prog_on(h, 0, slot, p, ARRAY_SIZE(p))

static uint64_t res64(Hermes *h, int e, unsigned off)
{
    return rd64(h, 0, EHENGBLK(e) + off);
}

static uint32_t res32(Hermes *h, int e, unsigned off)
{
    return rd32(h, 0, EHENGBLK(e) + off);
}

/* Tests */

static void test_registers(void)
{
    Hermes h;
    char bld[49] = { 0 };
    int k;

    hermes_start_one(&h);
    g_assert_cmphex(qpci_config_readw(h.dev[0], PCI_VENDOR_ID), ==, 0x1de5);
    g_assert_cmphex(qpci_config_readw(h.dev[0], PCI_DEVICE_ID), ==, 0x3000);
    g_assert_cmphex(qpci_config_readb(h.dev[0], PCI_REVISION_ID), ==, 0x02);
    g_assert_cmphex(qpci_config_readw(h.dev[0], PCI_CLASS_DEVICE), ==, 0x1200);

    g_assert_cmpuint(rd32(&h, 0, EHVER), ==, 2);
    for (k = 0; k < 48; k++) {
        bld[k] = qpci_io_readb(h.dev[0], h.bar0[0], EHBLD + k);
    }
    g_assert_cmpuint(strlen(bld), >, 0);
    g_assert_cmpuint(qpci_io_readb(h.dev[0], h.bar0[0], EHENG), ==, 4);
    g_assert_cmpuint(qpci_io_readb(h.dev[0], h.bar0[0], EHPSLOT), ==, 16);
    g_assert_cmpuint(qpci_io_readb(h.dev[0], h.bar0[0], EHDSLOT), ==, 16);
    /* eid-hermes v1 layout, aligned 32-bit */
    g_assert_cmphex(rd32(&h, 0, EHPSOFF), ==, 0);
    g_assert_cmphex(rd32(&h, 0, EHPSSZE), ==, SLOT_SIZE);
    g_assert_cmphex(rd32(&h, 0, EHDSOFF), ==, 16 * SLOT_SIZE);
    g_assert_cmphex(rd32(&h, 0, EHDSSZE), ==, SLOT_SIZE);
    /* v2 aligned 64-bit copies, and 64-bit reads of 32-bit halves */
    g_assert_cmphex(rd64(&h, 0, EHPSOFF64), ==, 0);
    g_assert_cmphex(rd64(&h, 0, EHDSOFF64), ==, 16 * SLOT_SIZE);
    g_assert_cmphex(rd32(&h, 0, EHDSOFF64 + 4), ==, 0);
    g_assert_cmphex(rd64(&h, 0, EHMEMSZ), ==, 32 * SLOT_SIZE);
    g_assert_cmphex(h.mem_size[0], ==, 32 * SLOT_SIZE);

    /* capabilities */
    g_assert_cmphex(rd32(&h, 0, EHCAPSIG), ==, 0x534d5248);
    g_assert_cmphex(rd32(&h, 0, EHCAPISA), ==, 4 | 0xf00);
    g_assert_cmpuint(rd32(&h, 0, EHCAPSTACK), ==, 512);
    g_assert_cmpuint(rd32(&h, 0, EHCAPDEPTH), ==, 8);
    g_assert_cmpuint(rd32(&h, 0, EHCAPMAXINSN), ==, SLOT_SIZE / 8);
    g_assert_cmpuint(rd32(&h, 0, EHCAPBUDDEF), ==, 1u << 24);
    g_assert_cmpuint(rd32(&h, 0, EHCAPBUDMAX), ==, UINT32_MAX);
    g_assert_cmphex(rd32(&h, 0, EHCAPCMDS), ==, 0xf);
    for (k = 0; k < 8; k++) {
        /*
         * maps 1-3, ktime_get_ns 5, get_prandom_u32 7,
         * get_smp_processor_id 8, csum_diff 28, xdp_adjust_head 44,
         * _meta 54, _tail 65, packet bytes 188-190
         */
        uint32_t want = k == 0 ? 0xe | 1u << 5 | 1u << 7 | 1u << 8 |
                                 1u << 28 :
                        k == 1 ? 1u << (44 - 32) | 1u << (54 - 32) :
                        k == 2 ? 1u << (65 - 64) :
                        k == 5 ? 7u << (188 - 160) : 0;

        g_assert_cmphex(rd32(&h, 0, EHCAPHELPER + 4 * k), ==, want);
    }
    g_assert_cmphex(rd64(&h, 0, EHCAPMAPTYPES), ==, 0x6);

    /* read-only registers ignore writes */
    wr32(&h, 0, EHVER, 0xdead);
    wr32(&h, 0, EHCAPISA, 0);
    g_assert_cmpuint(rd32(&h, 0, EHVER), ==, 2);
    g_assert_cmphex(rd32(&h, 0, EHCAPISA), ==, 4 | 0xf00);

    /* engines idle, request buffer is read/write, response read-only */
    for (k = 0; k < 4; k++) {
        g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(k)), ==, 0);
        wr32(&h, 0, EHCMDREQ(k) + 28, 0xa5a50000 + k);
        g_assert_cmphex(rd32(&h, 0, EHCMDREQ(k) + 28), ==, 0xa5a50000 + k);
        wr32(&h, 0, EHCMDRES(k), 0xffffffff);
        g_assert_cmphex(rd32(&h, 0, EHCMDRES(k)), ==, 0);
    }

    /* XDMA identifiers */
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0], XDMA_H2C(1)), ==,
                    0x1fc00105);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0], XDMA_C2H(3)), ==,
                    0x1fc10305);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0], XDMA_IRQ), ==,
                    0x1fc20005);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0], XDMA_CONFIG), ==,
                    0x1fc30005);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0], XDMA_COMMON), ==,
                    0x1fc60005);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0],
                                  XDMA_H2C(0) + CH_ALIGNMENTS), ==, 0x00010140);
    g_assert_cmpuint(qpci_msix_table_size(h.dev[0]), ==, 32);
    hermes_stop(&h);
}

static void test_slots(void)
{
    Hermes h;
    Req r;
    int k;

    hermes_start_one(&h);
    for (k = 0; k < 16; k++) {
        g_assert_cmpuint(alloc_slot(&h, 0), ==, k);
    }
    r = req_slot(0x00, 7, 0, 0);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_NO_SPACE);
    g_assert_cmpuint(alloc_slot(&h, 1), ==, 0);
    g_assert_cmpuint(alloc_slot(&h, 1), ==, 1);

    /* release, then the lowest free slot comes back */
    r = req_slot(0x01, 8, 0, 5);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_SUCCESS);
    g_assert_cmpuint(alloc_slot(&h, 0), ==, 5);
    r = req_slot(0x01, 9, 1, 0);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_SUCCESS);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_DATA_SLOT);
    r = req_slot(0x01, 10, 1, 200);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_DATA_SLOT);
    r = req_slot(0x01, 11, 0, 16);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_PROG_SLOT);
    r = req_slot(0x00, 12, 7, 0);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_FIELD);
    /* reserved bytes must be zero */
    r = req_slot(0x00, 12, 1, 0);
    r.b[31] = 1;
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_FIELD);
    r = req_slot(0x01, 12, 0, 5);
    r.b[5] = 1;
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_FIELD);
    /* slot allocation is device-wide: any engine may be used */
    r = req_slot(0x00, 13, 1, 0);
    g_assert_cmpuint(cmd_on(&h, 0, 3, &r, NULL), ==, ST_SUCCESS);
    g_assert_cmphex(rd32(&h, 0, EHCMDRES(3) + 8), ==, 0);
    hermes_stop(&h);
}

/* r0 = *(u32 *)data + len */
static const uint64_t prog_sum[] = {
    LDXW(0, 1, 0),
    ADD64_REG(0, 2),
    EXIT(),
};

static void test_run(void)
{
    Hermes h;
    uint8_t ps, ds;
    uint64_t r0, data;
    uint32_t plen;
    Req r;

    hermes_start_one(&h);
    ps = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);
    plen = LOAD_PROG(&h, ps, prog_sum);
    data = dslot_addr(&h, 0, ds);
    qpci_io_writel(h.dev[0], h.bar4[0], data + 64, 0x11223344);

    /* eid-hermes form: the whole slot, r2 = slot size */
    qpci_io_writel(h.dev[0], h.bar4[0], data, 1000);
    r = req_run(0x4242, ps, ds, plen);
    g_assert_cmpuint(cmd(&h, &r, &r0), ==, ST_SUCCESS);
    g_assert_cmphex(r0, ==, 1000 + SLOT_SIZE);
    g_assert_cmphex(res64(&h, 0, RES_R0), ==, r0);
    g_assert_cmpuint(res64(&h, 0, RES_INSNS), ==, 3);
    g_assert_cmpuint(res32(&h, 0, RES_ITERS), ==, 1);
    g_assert_cmpuint(res32(&h, 0, RES_DOFF), ==, 0);
    g_assert_cmpuint(res32(&h, 0, RES_DLEN), ==, SLOT_SIZE);
    g_assert_cmpuint(res32(&h, 0, RES_FPC), ==, 2);

    /* a data window */
    r = req_run(0x4243, ps, ds, plen);
    req_window(&r, 64, 100);
    g_assert_cmpuint(cmd(&h, &r, &r0), ==, ST_SUCCESS);
    g_assert_cmphex(r0, ==, 0x11223344 + 100);

    /* -1 is a value like any other */
    {
        static const uint64_t prog_m1[] = { MOV64_IMM(0, -1), EXIT() };

        plen = LOAD_PROG(&h, ps, prog_m1);
        r = req_run(0x4244, ps, ds, plen);
        g_assert_cmpuint(cmd(&h, &r, &r0), ==, ST_SUCCESS);
        g_assert_cmphex(r0, ==, UINT64_MAX);
    }

    /* counters: 3 runs so far, 3 + 3 + 2 instructions, no error */
    g_assert_cmpuint(res64(&h, 0, CNT_RUNS), ==, 3);
    g_assert_cmpuint(res64(&h, 0, CNT_INSNS), ==, 8);
    g_assert_cmpuint(res64(&h, 0, CNT_ERRORS), ==, 0);
    g_assert_cmpuint(res64(&h, 0, CNT_BUSY), >, 0);
    g_assert_cmpuint(res64(&h, 1, CNT_RUNS), ==, 0);
    hermes_stop(&h);
}

static void test_repeat_and_helpers(void)
{
    /* data[0] += 1; return data[0] + 1000 * r4 */
    static const uint64_t prog_inc[] = {
        LDXDW(0, 1, 0),
        ADD64_IMM(0, 1),
        STXDW(1, 0, 0),
        MOV64_REG(6, 4),
        INSN(0x27, 6, 0, 0, 1000),      /* mul r6, 1000 */
        ADD64_REG(0, 6),
        EXIT(),
    };
    /* grow the head by 4, the tail by 10, return the new length */
    static const uint64_t prog_adjust[] = {
        MOV64_REG(6, 3),
        MOV64_REG(1, 3),
        MOV64_IMM(2, -4),
        CALL(44),
        JNE_IMM(0, 0, 8),
        MOV64_REG(1, 6),
        MOV64_IMM(2, 10),
        CALL(65),
        JNE_IMM(0, 0, 4),
        LDXDW(7, 6, 0),
        LDXDW(0, 6, 8),
        SUB64_REG(0, 7),
        EXIT(),
        MOV64_IMM(0, 99),
        EXIT(),
    };
    /* 8 bytes of metadata in front of the packet: RES_MLEN says so */
    static const uint64_t prog_meta[] = {
        MOV64_REG(1, 3),
        MOV64_IMM(2, -8),
        CALL(54),
        EXIT(),
    };
    /* an adjust that leaves less than an Ethernet header fails */
    static const uint64_t prog_adjust_bad[] = {
        MOV64_REG(1, 3),
        MOV64_IMM(2, 90),
        CALL(44),
        EXIT(),
    };
    Hermes h;
    uint8_t ps, ds;
    uint64_t r0, data;
    uint32_t plen;
    Req r;

    hermes_start_one(&h);
    ps = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);
    data = dslot_addr(&h, 0, ds);
    qpci_io_writeq(h.dev[0], h.bar4[0], data, 40);

    plen = LOAD_PROG(&h, ps, prog_inc);
    r = req_run(1, ps, ds, plen);
    req_repeat_budget(&r, 5, 0);
    g_assert_cmpuint(cmd(&h, &r, &r0), ==, ST_SUCCESS);
    /* stores persist across iterations; r4 is the iteration number */
    g_assert_cmpuint(r0, ==, 45 + 4000);
    g_assert_cmpuint(qpci_io_readq(h.dev[0], h.bar4[0], data), ==, 45);
    g_assert_cmpuint(res32(&h, 0, RES_ITERS), ==, 5);
    g_assert_cmpuint(res64(&h, 0, RES_INSNS), ==, 35);
    g_assert_cmpuint(res64(&h, 0, CNT_RUNS), ==, 5);
    g_assert_cmpuint(res64(&h, 0, RES_TIME), >, 0);

    plen = LOAD_PROG(&h, ps, prog_adjust);
    r = req_run(2, ps, ds, plen);
    req_window(&r, 64, 100);
    g_assert_cmpuint(cmd(&h, &r, &r0), ==, ST_SUCCESS);
    g_assert_cmpuint(r0, ==, 114);
    g_assert_cmpuint(res32(&h, 0, RES_DOFF), ==, 60);
    g_assert_cmpuint(res32(&h, 0, RES_DLEN), ==, 114);
    g_assert_cmpuint(res32(&h, 0, RES_MLEN), ==, 0);

    plen = LOAD_PROG(&h, ps, prog_meta);
    r = req_run(4, ps, ds, plen);
    req_window(&r, 64, 100);
    g_assert_cmpuint(cmd(&h, &r, &r0), ==, ST_SUCCESS);
    g_assert_cmpuint(r0, ==, 0);
    g_assert_cmpuint(res32(&h, 0, RES_DOFF), ==, 64);
    g_assert_cmpuint(res32(&h, 0, RES_MLEN), ==, 8);
    /* the next command's run starts without metadata */
    plen = LOAD_PROG(&h, ps, prog_inc);
    r = req_run(5, ps, ds, plen);
    g_assert_cmpuint(cmd(&h, &r, &r0), ==, ST_SUCCESS);
    g_assert_cmpuint(res32(&h, 0, RES_MLEN), ==, 0);

    plen = LOAD_PROG(&h, ps, prog_adjust_bad);
    r = req_run(3, ps, ds, plen);
    req_window(&r, 64, 100);
    g_assert_cmpuint(cmd(&h, &r, &r0), ==, ST_SUCCESS);
    g_assert_cmpint((int64_t)r0, ==, -22);
    g_assert_cmpuint(res32(&h, 0, RES_DOFF), ==, 64);
    g_assert_cmpuint(res32(&h, 0, RES_DLEN), ==, 100);
    hermes_stop(&h);
}

static void test_errors(void)
{
    static const uint64_t prog_load[] = {
        MOV64_IMM(2, 0),
        LDXDW(0, 2, 8),
        EXIT(),
    };
    static const uint64_t prog_store_ctx[] = {
        STDW(3, 8, 1),
        EXIT(),
    };
    static const uint64_t prog_store_past[] = {
        MOV64_IMM(0, 0),
        STXDW(1, 0, 0),     /* r1 = data + slot size - 4 */
        EXIT(),
    };
    static const uint64_t prog_invalid[] = {
        MOV64_IMM(0, 0),
        INSN(0xff, 0, 0, 0, 0),
        EXIT(),
    };
    static const uint64_t prog_helper[] = {
        CALL(1),
        EXIT(),
    };
    Hermes h;
    uint8_t ps, ds;
    uint64_t r0;
    uint32_t plen;
    Req r;

    hermes_start_one(&h);
    ps = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);
    plen = LOAD_PROG(&h, ps, prog_sum);

    /* INVALID_OPCODE */
    r = req_run(1, ps, ds, plen);
    r.b[0] = 0x46;      /* reserved map opcode */
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_OPCODE);
    r.b[0] = 0x82;      /* not an opcode */
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_OPCODE);

    /* INVALID_FIELD: reserved flag, reserved bytes, window bytes w/o flag */
    r = req_run(2, ps, ds, plen);
    r.b[1] = 0x80;
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_FIELD);
    r = req_run(2, ps, ds, plen);
    r.b[10] = 1;
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_FIELD);
    r = req_run(2, ps, ds, plen);
    r.b[16] = 1;
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_FIELD);

    /* INVALID_PROG_SLOT / INVALID_DATA_SLOT: not allocated, out of range */
    r = req_run(3, ps + 1, ds, plen);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_PROG_SLOT);
    r = req_run(3, 200, ds, plen);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_PROG_SLOT);
    r = req_run(3, ps, ds + 1, plen);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_DATA_SLOT);

    /* INVALID_ADDRESS: program length and data window */
    r = req_run(4, ps, ds, 0);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_ADDRESS);
    r = req_run(4, ps, ds, 12);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_ADDRESS);
    r = req_run(4, ps, ds, SLOT_SIZE + 8);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_ADDRESS);
    r = req_run(4, ps, ds, plen);
    req_window(&r, SLOT_SIZE - 8, 16);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_ADDRESS);
    r = req_run(4, ps, ds, plen);
    req_window(&r, 0xfffffff0, 0x20);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_ADDRESS);

    /* INVALID_PROGRAM: the fault kind and the instruction */
    plen = LOAD_PROG(&h, ps, prog_invalid);
    r = req_run(5, ps, ds, plen);
    g_assert_cmpuint(cmd(&h, &r, &r0), ==, ST_INVALID_PROGRAM);
    g_assert_cmpuint(r0, ==, 0);
    g_assert_cmpuint(rd32(&h, 0, EHCMDRES(0)) >> 24, ==, FAULT_INVALID_INSN);
    g_assert_cmpuint(rd32(&h, 0, EHCMDRES(0) + 4), ==, 1);
    g_assert_cmpuint(res32(&h, 0, RES_FPC), ==, 1);
    g_assert_cmpuint(res64(&h, 0, RES_INSNS), ==, 0);

    /* EBPF_ERROR: load outside memory, at which instruction and address */
    plen = LOAD_PROG(&h, ps, prog_load);
    r = req_run(6, ps, ds, plen);
    g_assert_cmpuint(cmd(&h, &r, &r0), ==, ST_EBPF_ERROR);
    g_assert_cmpuint(r0, ==, 0);
    g_assert_cmpuint(res32(&h, 0, RES_FAULT), ==, FAULT_LOAD | 8 << 8);
    g_assert_cmpuint(res32(&h, 0, RES_FPC), ==, 1);
    g_assert_cmphex(res64(&h, 0, RES_FADDR), ==, 8);
    g_assert_cmpuint(rd32(&h, 0, EHCMDRES(0) + 4), ==, 1);

    /* EBPF_ERROR: the run context is read-only */
    plen = LOAD_PROG(&h, ps, prog_store_ctx);
    r = req_run(7, ps, ds, plen);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_EBPF_ERROR);
    g_assert_cmpuint(res32(&h, 0, RES_FAULT), ==, FAULT_STORE | 8 << 8);
    g_assert_cmphex(res64(&h, 0, RES_FADDR), ==, CTX_BASE + 8);

    /* EBPF_ERROR: a store crossing the end of the data slot */
    plen = LOAD_PROG(&h, ps, prog_store_past);
    r = req_run(8, ps, ds, plen);
    req_window(&r, SLOT_SIZE - 4, 4);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_EBPF_ERROR);
    g_assert_cmpuint(res32(&h, 0, RES_FAULT), ==, FAULT_STORE | 8 << 8);
    g_assert_cmphex(res64(&h, 0, RES_FADDR), ==, DATA_BASE + SLOT_SIZE - 4);

    /* EBPF_ERROR: a helper the device does not have */
    plen = LOAD_PROG(&h, ps, prog_helper);
    r = req_run(9, ps, ds, plen);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_EBPF_ERROR);
    g_assert_cmpuint(res32(&h, 0, RES_FAULT), ==, FAULT_HELPER | 1 << 16);

    /* 18 commands failed; only the 4 faulting programs started a run */
    g_assert_cmpuint(res64(&h, 0, CNT_ERRORS), ==, 18);
    g_assert_cmpuint(res64(&h, 0, CNT_RUNS), ==, 4);
    hermes_stop(&h);
}

static const uint64_t prog_loop[] = {
    MOV64_IMM(0, 7),
    JA(-1),
    EXIT(),
};

/* An endless program that counts its loops in the first data word. */
static const uint64_t prog_count[] = {
    LDXDW(3, 1, 0),
    ADD64_IMM(3, 1),
    STXDW(1, 3, 0),
    JA(-4),
};

/* Wait until the counter of prog_count at BAR4 @addr exceeds @than. */
static uint64_t wait_count(Hermes *h, uint64_t addr, uint64_t than)
{
    gint64 end = g_get_monotonic_time() + WAIT_US;
    uint64_t v;

    while ((v = qpci_io_readq(h->dev[0], h->bar4[0], addr)) <= than) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
    return v;
}

static void test_budget(void)
{
    Hermes h;
    uint8_t ps, ds;
    uint64_t r0, count;
    uint32_t plen;
    Req r;

    hermes_start_one(&h);
    ps = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);
    plen = LOAD_PROG(&h, ps, prog_loop);

    r = req_run(1, ps, ds, plen);
    req_repeat_budget(&r, 3, 1000);
    g_assert_cmpuint(cmd(&h, &r, &r0), ==, ST_BUDGET_EXCEEDED);
    g_assert_cmpuint(r0, ==, 0);
    g_assert_cmpuint(res32(&h, 0, RES_FAULT) & 0xff, ==, FAULT_BUDGET);
    g_assert_cmpuint(res64(&h, 0, RES_INSNS), ==, 1000);
    g_assert_cmpuint(res64(&h, 0, RES_R0), ==, 7);
    g_assert_cmpuint(res32(&h, 0, RES_FPC), ==, 1);
    g_assert_cmpuint(res32(&h, 0, RES_ITERS), ==, 0);
    g_assert_cmpuint(res64(&h, 0, CNT_RUNS), ==, 1);

    /* the default budget ends an endless loop too */
    r = req_run(2, ps, ds, plen);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_BUDGET_EXCEEDED);
    g_assert_cmpuint(res64(&h, 0, RES_INSNS), ==, 1u << 24);

    /*
     * A long endless loop: the device answers while it runs, and the
     * budget stops it after exactly 2^28 instructions, that is 2^26
     * passes of the 4-instruction counting loop.
     */
    plen = LOAD_PROG(&h, ps, prog_count);
    r = req_run(3, ps, ds, plen);
    req_repeat_budget(&r, 1, 1u << 28);
    submit_on(&h, 0, 0, &r);
    count = wait_count(&h, dslot_addr(&h, 0, ds), 0);
    g_assert_cmpuint(rd32(&h, 0, EHVER), ==, 2);
    g_assert_cmpuint(rd32(&h, 0, EHCAPSIG), ==, 0x534d5248);
    g_assert_cmpuint(count, <=, 1u << 26);
    wait_done_on(&h, 0, 0);
    g_assert_cmpuint((rd32(&h, 0, EHCMDRES(0)) >> 16) & 0xff, ==,
                     ST_BUDGET_EXCEEDED);
    g_assert_cmpuint(res64(&h, 0, RES_INSNS), ==, 1u << 28);
    g_assert_cmpuint(qpci_io_readq(h.dev[0], h.bar4[0],
                                   dslot_addr(&h, 0, ds)), ==, 1u << 26);
    hermes_stop(&h);
}

/* An endless program: MMIO answers while it runs; abort ends it. */
static void test_abort_responsive(void)
{
    Hermes h;
    uint8_t ps, ds;
    uint32_t plen;
    Req r, r2;
    uint64_t count;
    gint64 t0;
    int k;

    hermes_start_one(&h);
    ps = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);
    plen = LOAD_PROG(&h, ps, prog_count);

    r = req_run(0x77, ps, ds, plen);
    req_repeat_budget(&r, 0, UINT32_MAX);
    submit_on(&h, 0, 0, &r);
    g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(0)) & 0xffff, ==, 0x0001);
    count = wait_count(&h, dslot_addr(&h, 0, ds), 0);

    /* registers keep answering, quickly */
    t0 = g_get_monotonic_time();
    for (k = 0; k < 200; k++) {
        g_assert_cmpuint(rd32(&h, 0, EHVER), ==, 2);
        g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(0)) & 0xff, ==, 1);
    }
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 5 * G_USEC_PER_SEC);
    /* ... while the program goes on */
    wait_count(&h, dslot_addr(&h, 0, ds), count);

    /* a second command on the busy engine is rejected, not queued */
    r2 = req_slot(0x00, 0x99, 1, 0);
    submit_on(&h, 0, 0, &r2);
    g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(0)) & 0xffffff, ==, 0x010001);

    /* another engine works meanwhile */
    g_assert_cmpuint(cmd_on(&h, 0, 1, &r2, NULL), ==, ST_SUCCESS);
    g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(0)) & 0xff, ==, 1);

    /* abort with a byte write to the ABORT byte */
    qpci_io_writeb(h.dev[0], h.bar0[0], EHCMDCTRL(0) + 3, 1);
    wait_done_on(&h, 0, 0);
    g_assert_cmphex(rd32(&h, 0, EHCMDRES(0)), ==,
                    0x77 | ST_ABORTED << 16 | FAULT_ABORTED << 24);
    g_assert_cmpuint(res32(&h, 0, RES_FAULT) & 0xff, ==, FAULT_ABORTED);
    g_assert_cmpuint(res64(&h, 0, RES_INSNS), >, 0);
    g_assert_cmpuint(res64(&h, 0, CNT_ERRORS), ==, 1);

    /* the engine is usable again; the accepted command clears REJECT */
    plen = LOAD_PROG(&h, ps, prog_sum);
    r = req_run(0x78, ps, ds, plen);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_SUCCESS);
    g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(0)), ==, 0x100);

    /*
     * EXEC and ABORT in one write: the device applies EXEC, then ABORT, so
     * the command never runs, however short.  (This checks the spec's
     * order; the race of a worker finishing between the two cannot be
     * forced from here.)
     */
    for (k = 0; k < 20; k++) {
        r = req_run(0x79, ps, ds, plen);
        submit_ctl(&h, 0, 0, &r, 0x01000001);
        wait_done_on(&h, 0, 0);
        g_assert_cmphex(rd32(&h, 0, EHCMDRES(0)), ==,
                        0x79 | ST_ABORTED << 16 | FAULT_ABORTED << 24);
        g_assert_cmpuint(res64(&h, 0, RES_INSNS), ==, 0);
    }
    g_assert_cmpuint(res64(&h, 0, CNT_ERRORS), ==, 21);

    /* DONE is cleared by a byte write of 0; ABORT when idle is harmless */
    qpci_io_writeb(h.dev[0], h.bar0[0], EHCMDCTRL(0) + 1, 0);
    qpci_io_writeb(h.dev[0], h.bar0[0], EHCMDCTRL(0) + 3, 1);
    g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(0)), ==, 0);
    hermes_stop(&h);
}

static void test_parallel(void)
{
    Hermes h;
    uint8_t ps[2], ds[4];
    uint32_t plen_loop, plen_sum;
    uint64_t r0, count[4];
    Req r;
    int e;

    hermes_start_one(&h);
    ps[0] = alloc_slot(&h, 0);
    ps[1] = alloc_slot(&h, 0);
    plen_sum = LOAD_PROG(&h, ps[1], prog_sum);
    for (e = 0; e < 4; e++) {
        ds[e] = alloc_slot(&h, 1);
        qpci_io_writel(h.dev[0], h.bar4[0], dslot_addr(&h, 0, ds[e]),
                       100 * (e + 1));
    }

    /* four endless programs at once, all making progress together */
    plen_loop = LOAD_PROG(&h, ps[0], prog_count);
    for (e = 0; e < 4; e++) {
        r = req_run(e, ps[0], ds[e], plen_loop);
        req_repeat_budget(&r, 0, UINT32_MAX);
        submit_on(&h, 0, e, &r);
    }
    for (e = 0; e < 4; e++) {
        count[e] = wait_count(&h, dslot_addr(&h, 0, ds[e]), 100 * (e + 1));
    }
    for (e = 0; e < 4; e++) {
        wait_count(&h, dslot_addr(&h, 0, ds[e]), count[e]);
        g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(e)) & 0xff, ==, 1);
    }
    for (e = 0; e < 4; e++) {
        qpci_io_writel(h.dev[0], h.bar0[0], EHCMDCTRL(e), 0x01000000);
    }
    for (e = 0; e < 4; e++) {
        wait_done_on(&h, 0, e);
        g_assert_cmpuint((rd32(&h, 0, EHCMDRES(e)) >> 16) & 0xff, ==,
                         ST_ABORTED);
        /* 4 instructions per counted loop */
        g_assert_cmpuint(res64(&h, e, CNT_INSNS), >=,
                         4 * (count[e] - 100 * (e + 1)));
        qpci_io_writeq(h.dev[0], h.bar4[0], dslot_addr(&h, 0, ds[e]),
                       100 * (e + 1));
    }

    /* then each engine computes on its own data */
    for (e = 0; e < 4; e++) {
        r = req_run(0x100 + e, ps[1], ds[e], plen_sum);
        req_window(&r, 0, 8);
        submit_on(&h, 0, e, &r);
    }
    for (e = 0; e < 4; e++) {
        wait_done_on(&h, 0, e);
        g_assert_cmphex(rd32(&h, 0, EHCMDRES(e)), ==, 0x100 + e);
        r0 = rd64(&h, 0, EHCMDRES(e) + 8);
        g_assert_cmpuint(r0, ==, 100 * (e + 1) + 8);
    }
    hermes_stop(&h);
}

static void test_msix(void)
{
    Hermes h;
    uint8_t ps, ds;
    uint32_t plen;
    Req r;

    hermes_start_one(&h);
    ps = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);
    plen = LOAD_PROG(&h, ps, prog_sum);

    /* masked vectors latch in the PBA; USER_IE gates engine vectors */
    g_assert_false(qpci_msix_pending(h.dev[0], 8 + 2));
    r = req_run(1, ps, ds, plen);
    g_assert_cmpuint(cmd_on(&h, 0, 2, &r, NULL), ==, ST_SUCCESS);
    g_assert_false(qpci_msix_pending(h.dev[0], 8 + 2));

    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_USER_IE, 1u << 2);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_USER_IE),
                    ==, 1u << 2);
    g_assert_cmpuint(cmd_on(&h, 0, 2, &r, NULL), ==, ST_SUCCESS);
    g_assert_true(qpci_msix_pending(h.dev[0], 8 + 2));
    g_assert_false(qpci_msix_pending(h.dev[0], 8 + 1));
    hermes_stop(&h);
}

/* DMA */

static void put_desc(Hermes *h, uint64_t at, uint32_t control, uint32_t len,
                     uint64_t src, uint64_t dst, uint64_t next)
{
    uint8_t d[32];

    stl_le_p(d, control);
    stl_le_p(d + 4, len);
    stq_le_p(d + 8, src);
    stq_le_p(d + 16, dst);
    stq_le_p(d + 24, next);
    qtest_memwrite(h->qts, at, d, sizeof(d));
}

/* Run the chain at @desc on channel 0 of direction @h2c; return STATUS. */
static uint32_t dma_run(Hermes *h, bool h2c, uint64_t desc, uint32_t *done)
{
    uint64_t ch = h2c ? XDMA_H2C(0) : XDMA_C2H(0);
    uint64_t sg = h2c ? XDMA_H2C_SG(0) : XDMA_C2H_SG(0);
    gint64 end = g_get_monotonic_time() + WAIT_US;
    uint32_t st;

    qpci_io_writel(h->dev[0], h->bar2[0], ch + CH_CONTROL_W1C, 1);
    qpci_io_writel(h->dev[0], h->bar2[0], sg + SG_DESC_LO, desc);
    qpci_io_writel(h->dev[0], h->bar2[0], sg + SG_DESC_HI, desc >> 32);
    qpci_io_writel(h->dev[0], h->bar2[0], ch + CH_CONTROL, 1);
    while ((st = qpci_io_readl(h->dev[0], h->bar2[0], ch + CH_STATUS)) &
           DMA_BUSY) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
    g_assert_cmphex(qpci_io_readl(h->dev[0], h->bar2[0], ch + CH_STATUS_RC),
                    ==, st);
    g_assert_cmphex(qpci_io_readl(h->dev[0], h->bar2[0], ch + CH_STATUS), ==,
                    0);
    *done = qpci_io_readl(h->dev[0], h->bar2[0], ch + CH_COMPLETED);
    return st;
}

static void test_dma(void)
{
    Hermes h;
    uint64_t desc, src, dst, card, big, big_back;
    uint8_t pattern[8192], back[8192];
    uint32_t done;
    size_t k;

    hermes_start_one(&h);
    desc = guest_alloc(&h.alloc, 4096);
    src = guest_alloc(&h.alloc, sizeof(pattern));
    dst = guest_alloc(&h.alloc, sizeof(back));
    for (k = 0; k < sizeof(pattern); k++) {
        pattern[k] = k * 7 + (k >> 8);
    }
    qtest_memwrite(h.qts, src, pattern, sizeof(pattern));
    card = dslot_addr(&h, 0, 3) + 100;

    /* H2C with a chain of two descriptors */
    put_desc(&h, desc, DESC_MAGIC, 5000, src, card, desc + 32);
    put_desc(&h, desc + 32, DESC_MAGIC | DESC_STOP, sizeof(pattern) - 5000,
             src + 5000, card + 5000, 0);
    g_assert_cmphex(dma_run(&h, true, desc, &done), ==,
                    DMA_STOPPED | DMA_COMPLETED);
    g_assert_cmpuint(done, ==, 2);
    qpci_memread(h.dev[0], h.bar4[0], card, back, sizeof(back));
    g_assert_cmpmem(back, sizeof(back), pattern, sizeof(pattern));

    /* C2H back to host memory, ended by next == 0 */
    put_desc(&h, desc + 64, DESC_MAGIC, sizeof(pattern), card, dst, 0);
    g_assert_cmphex(dma_run(&h, false, desc + 64, &done), ==,
                    DMA_STOPPED | DMA_COMPLETED);
    g_assert_cmpuint(done, ==, 1);
    memset(back, 0, sizeof(back));
    qtest_memread(h.qts, dst, back, sizeof(back));
    g_assert_cmpmem(back, sizeof(back), pattern, sizeof(pattern));

    /* one descriptor of 12 MiB, more than the model moves in one step */
    big = guest_alloc(&h.alloc, 12 * MiB);
    big_back = guest_alloc(&h.alloc, 12 * MiB);
    qtest_memset(h.qts, big, 0x3c, 12 * MiB);
    for (k = 0; k < 12; k++) {
        qtest_writeq(h.qts, big + k * MiB + 123, 0x1111111111111111ULL * k);
    }
    put_desc(&h, desc + 96, DESC_MAGIC | DESC_STOP, 12 * MiB, big, 8 * MiB, 0);
    g_assert_cmphex(dma_run(&h, true, desc + 96, &done), ==,
                    DMA_STOPPED | DMA_COMPLETED);
    g_assert_cmpuint(done, ==, 1);
    for (k = 0; k < 12; k++) {
        g_assert_cmphex(qpci_io_readq(h.dev[0], h.bar4[0],
                                      8 * MiB + k * MiB + 123), ==,
                        0x1111111111111111ULL * k);
    }
    g_assert_cmphex(qpci_io_readb(h.dev[0], h.bar4[0], 20 * MiB - 1), ==,
                    0x3c);
    g_assert_cmphex(qpci_io_readb(h.dev[0], h.bar4[0], 20 * MiB), ==, 0);
    put_desc(&h, desc + 96, DESC_MAGIC | DESC_STOP, 12 * MiB, 8 * MiB,
             big_back, 0);
    g_assert_cmphex(dma_run(&h, false, desc + 96, &done), ==,
                    DMA_STOPPED | DMA_COMPLETED);
    for (k = 0; k < 12; k++) {
        g_assert_cmphex(qtest_readq(h.qts, big_back + k * MiB + 123), ==,
                        0x1111111111111111ULL * k);
    }
    g_assert_cmphex(qtest_readb(h.qts, big_back + 12 * MiB - 1), ==, 0x3c);

    /* C2H channel 0 signals vector 4 once enabled in IE and CHAN_IE */
    g_assert_cmphex(dma_run(&h, false, desc + 64, &done), ==,
                    DMA_STOPPED | DMA_COMPLETED);
    g_assert_false(qpci_msix_pending(h.dev[0], 4));
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_C2H(0) + CH_IE, DMA_COMPLETED);
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_CHAN_IE, 1u << 4);
    g_assert_cmphex(dma_run(&h, false, desc + 64, &done), ==,
                    DMA_STOPPED | DMA_COMPLETED);
    g_assert_true(qpci_msix_pending(h.dev[0], 4));
    g_assert_false(qpci_msix_pending(h.dev[0], 0));
    hermes_stop(&h);
}

/* Start the chain at @desc on channel 0 of direction @h2c, not waiting. */
static void dma_start(Hermes *h, bool h2c, uint64_t desc)
{
    uint64_t ch = h2c ? XDMA_H2C(0) : XDMA_C2H(0);
    uint64_t sg = h2c ? XDMA_H2C_SG(0) : XDMA_C2H_SG(0);

    qpci_io_writel(h->dev[0], h->bar2[0], ch + CH_CONTROL_W1C, 1);
    qpci_io_writel(h->dev[0], h->bar2[0], sg + SG_DESC_LO, desc);
    qpci_io_writel(h->dev[0], h->bar2[0], sg + SG_DESC_HI, desc >> 32);
    qpci_io_writel(h->dev[0], h->bar2[0], ch + CH_CONTROL, 1);
}

static uint32_t dma_wait(Hermes *h, bool h2c)
{
    uint64_t ch = h2c ? XDMA_H2C(0) : XDMA_C2H(0);
    gint64 end = g_get_monotonic_time() + WAIT_US;
    uint32_t st;

    while ((st = qpci_io_readl(h->dev[0], h->bar2[0], ch + CH_STATUS)) &
           DMA_BUSY) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
    return st;
}

/*
 * A guest aims DMA at the device itself: its registers, its memory BAR
 * and its MSI-X table.  The transfers fail (the device does not reenter
 * itself) and change nothing there; clearing RUN stops a chain between
 * descriptors; a reset stops one at once; the device keeps answering.
 */
static void test_dma_hostile(void)
{
    uint64_t desc, big, card = 0;
    uint32_t st, done, vec;
    uint8_t ps, ds;
    Hermes h;
    Req r;
    int k;

    hermes_start_one(&h);
    desc = guest_alloc(&h.alloc, 4096);
    big = guest_alloc(&h.alloc, 24 * MiB);
    qtest_memset(h.qts, big, 0x5a, 24 * MiB);
    qpci_io_writel(h.dev[0], h.bar0[0], EHCMDREQ(0), 0x12345678);
    vec = qpci_io_readl(h.dev[0], h.bar2[0], XDMA_MSIX_TABLE + 8);

    /* C2H into BAR0 and into the MSI-X table, H2C out of BAR4 */
    put_desc(&h, desc, DESC_MAGIC | DESC_STOP, 64, card,
             h.bar0[0].addr + EHCMDREQ(0), 0);
    put_desc(&h, desc + 32, DESC_MAGIC | DESC_STOP, 64, card,
             h.bar2[0].addr + XDMA_MSIX_TABLE, 0);
    put_desc(&h, desc + 64, DESC_MAGIC | DESC_STOP, 64,
             h.bar4[0].addr + 4096, card, 0);
    g_assert_cmphex(dma_run(&h, false, desc, &done), ==,
                    DMA_STOPPED | DMA_WRITE_ERROR);
    g_assert_cmphex(dma_run(&h, false, desc + 32, &done), ==,
                    DMA_STOPPED | DMA_WRITE_ERROR);
    g_assert_cmphex(dma_run(&h, true, desc + 64, &done), ==,
                    DMA_STOPPED | DMA_READ_ERROR);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar0[0], EHCMDREQ(0)), ==,
                    0x12345678);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0], XDMA_MSIX_TABLE + 8),
                    ==, vec);

    /*
     * A descriptor of 8 MiB that names itself as the next one: a chain of
     * 4096 of them (the chain limit), 32 GiB, seconds of copying.
     */
    put_desc(&h, desc + 128, DESC_MAGIC, 8 * MiB, big, 0, desc + 128);

    /* RUN cleared mid-chain: the descriptor in progress completes */
    dma_start(&h, true, desc + 128);
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_H2C(0) + CH_CONTROL_W1C, 1);
    st = dma_wait(&h, true);
    done = qpci_io_readl(h.dev[0], h.bar2[0], XDMA_H2C(0) + CH_COMPLETED);
    g_assert_cmphex(st, ==, DMA_STOPPED);
    g_assert_cmpuint(done, <, 4096);

    /*
     * A reset stops a chain within the write, even while an engine runs
     * (the rest of the reset waits for the engine): nothing moves after.
     */
    ps = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);
    r = req_run(1, ps, ds, LOAD_PROG(&h, ps, prog_loop));
    req_repeat_budget(&r, 0, UINT32_MAX);
    submit_on(&h, 0, 1, &r);
    dma_start(&h, true, desc + 128);
    wr32(&h, 0, EHDEVCTL, 1);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0],
                                  XDMA_H2C(0) + CH_STATUS), ==, 0);
    dev_reset(&h, 0);
    g_assert_cmpuint(qpci_io_readl(h.dev[0], h.bar2[0],
                                   XDMA_H2C(0) + CH_COMPLETED), ==, 0);
    g_usleep(20 * 1000);
    for (k = 0; k < 8 * MiB; k += MiB) {
        g_assert_cmphex(qpci_io_readq(h.dev[0], h.bar4[0], k), ==, 0);
    }
    g_assert_cmpuint(rd32(&h, 0, EHVER), ==, 2);
    hermes_stop(&h);
}

/*
 * BAR0 answers accesses of 1, 2, 4 and 8 bytes with the bytes of its
 * 32-bit registers; BAR2's XDMA registers take only 4-byte accesses and
 * ignore the others; the last quadword of BAR4 is reachable.
 */
static void test_mmio_sizes(void)
{
    uint64_t q, last;
    Hermes h;
    int k;

    hermes_start_one(&h);
    q = (uint64_t)rd32(&h, 0, EHVER + 4) << 32 | rd32(&h, 0, EHVER);
    g_assert_cmphex(qpci_io_readq(h.dev[0], h.bar0[0], EHVER), ==, q);
    for (k = 0; k < 8; k++) {
        g_assert_cmphex(qpci_io_readb(h.dev[0], h.bar0[0], EHVER + k), ==,
                        (q >> (8 * k)) & 0xff);
    }
    for (k = 0; k < 8; k += 2) {
        g_assert_cmphex(qpci_io_readw(h.dev[0], h.bar0[0], EHVER + k), ==,
                        (q >> (8 * k)) & 0xffff);
    }
    /* request bytes written one by one read back as one word */
    for (k = 0; k < 4; k++) {
        qpci_io_writeb(h.dev[0], h.bar0[0], EHCMDREQ(1) + k, 0x10 + k);
    }
    g_assert_cmphex(rd32(&h, 0, EHCMDREQ(1)), ==, 0x13121110);

    /* XDMA: byte and word accesses are not taken */
    qpci_io_writeb(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_USER_IE, 0xff);
    qpci_io_writew(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_USER_IE, 0xffff);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0],
                                  XDMA_IRQ + IRQ_USER_IE), ==, 0);

    last = h.mem_size[0] - 8;
    qpci_io_writeq(h.dev[0], h.bar4[0], last, 0x0123456789abcdefULL);
    g_assert_cmphex(qpci_io_readq(h.dev[0], h.bar4[0], last), ==,
                    0x0123456789abcdefULL);
    g_assert_cmphex(qpci_io_readb(h.dev[0], h.bar4[0], last + 7), ==, 0x01);
    g_assert_cmpuint(rd32(&h, 0, EHVER), ==, 2);
    hermes_stop(&h);
}

static void test_dma_errors(void)
{
    Hermes h;
    uint64_t desc, buf, mem;
    uint8_t page[64], zero[64] = { 0 };
    uint32_t done;

    hermes_start_one(&h);
    mem = h.mem_size[0];
    desc = guest_alloc(&h.alloc, 4096);
    buf = guest_alloc(&h.alloc, 4096);
    memset(page, 0x5a, sizeof(page));
    qtest_memwrite(h.qts, buf, page, sizeof(page));

    /* card range past the end of BAR4: nothing moves */
    put_desc(&h, desc, DESC_MAGIC | DESC_STOP, 64, buf, mem - 32, 0);
    g_assert_cmphex(dma_run(&h, true, desc, &done), ==,
                    DMA_STOPPED | DMA_CARD_RANGE);
    g_assert_cmpuint(done, ==, 0);
    qpci_memread(h.dev[0], h.bar4[0], mem - 32, page, 32);
    g_assert_cmpmem(page, 32, zero, 32);
    put_desc(&h, desc, DESC_MAGIC | DESC_STOP, 64, ~0ULL - 16, buf, 0);
    g_assert_cmphex(dma_run(&h, false, desc, &done), ==,
                    DMA_STOPPED | DMA_CARD_RANGE);
    qtest_memread(h.qts, buf, page, sizeof(page));
    g_assert_cmphex(page[0], ==, 0x5a);

    /* the first descriptor moves, the second is refused */
    put_desc(&h, desc, DESC_MAGIC, 16, buf, 0, desc + 32);
    put_desc(&h, desc + 32, DESC_MAGIC | DESC_STOP, 16, buf, mem, 0);
    g_assert_cmphex(dma_run(&h, true, desc, &done), ==,
                    DMA_STOPPED | DMA_CARD_RANGE);
    g_assert_cmpuint(done, ==, 1);
    g_assert_cmphex(qpci_io_readb(h.dev[0], h.bar4[0], 15), ==, 0x5a);

    /* bad magic, misaligned descriptor, unreadable host memory */
    put_desc(&h, desc, 0x12340000 | DESC_STOP, 16, buf, 0, 0);
    g_assert_cmphex(dma_run(&h, true, desc, &done), ==,
                    DMA_STOPPED | DMA_MAGIC_STOPPED);
    g_assert_cmphex(dma_run(&h, true, desc + 8, &done), ==,
                    DMA_STOPPED | DMA_DESC_ERROR);
    g_assert_cmphex(dma_run(&h, true, 0xfffffffff0000000ULL, &done), ==,
                    DMA_STOPPED | DMA_DESC_ERROR);
    put_desc(&h, desc, DESC_MAGIC | DESC_STOP, 16, 0xfffffffff0000000ULL, 0, 0);
    g_assert_cmphex(dma_run(&h, true, desc, &done), ==,
                    DMA_STOPPED | DMA_READ_ERROR);

    put_desc(&h, desc, DESC_MAGIC | DESC_STOP, 0x10000000, buf, 0, 0);
    g_assert_cmphex(dma_run(&h, true, desc, &done), ==,
                    DMA_STOPPED | DMA_INVALID_LENGTH);
    put_desc(&h, desc, DESC_MAGIC | DESC_STOP, 16, 0, 0xfffffffff0000000ULL,
             0);
    g_assert_cmphex(dma_run(&h, false, desc, &done), ==,
                    DMA_STOPPED | DMA_WRITE_ERROR);

    /* a descriptor that points to itself: bounded, then stopped */
    put_desc(&h, desc, DESC_MAGIC, 8, buf, 64, desc);
    g_assert_cmphex(dma_run(&h, true, desc, &done), ==,
                    DMA_STOPPED | DMA_CHAIN_LIMIT);
    g_assert_cmpuint(done, ==, 4096);
    hermes_stop(&h);
}

/*
 * Chains the way the kernel's XDMA driver (xdma.c) builds them: blocks
 * of 32 adjacent descriptors of which only the last links to the next
 * block (Nxt_adj: the next block's descriptors after its first), a
 * garbage next pointer inside blocks, the first block's count in
 * DESC_ADJ, and at most 128 blocks (4096 descriptors) a run: the last
 * descriptor of the 128th stops, and the host starts the channel again
 * at the next block.
 */
#define XBLK            32
#define XBLK_BYTES      (XBLK * 32)
#define XDESC_LEN       16

static void xdma_chain(Hermes *h, uint64_t blocks, uint32_t n,
                       uint64_t src, uint64_t card)
{
    uint32_t nblk = DIV_ROUND_UP(n, XBLK), k;

    for (k = 0; k < n; k++) {
        uint64_t at = blocks + (k / XBLK) * XBLK_BYTES + (k % XBLK) * 32;
        bool blk_last = k % XBLK == XBLK - 1;
        uint32_t b = k / XBLK, left;
        uint32_t ctl = DESC_MAGIC;
        uint64_t next = DESC_GARBAGE;

        if (k == n - 1 || (blk_last && (b + 1) % 128 == 0)) {
            ctl |= DESC_STOP | DESC_COMPLETED;
        } else if (blk_last) {
            left = b + 2 == nblk ? (n - 1) % XBLK : XBLK - 1;
            ctl |= DESC_ADJ(left);
            next = blocks + (b + 1) * XBLK_BYTES;
        }
        put_desc(h, at, ctl, XDESC_LEN, src + k * XDESC_LEN,
                 card + k * XDESC_LEN, next);
    }
    g_assert_cmpuint(nblk, >, 0);
}

/* Start H2C channel 0 as xdma.c does, at @desc with DESC_ADJ @adj. */
static uint32_t xdma_run(Hermes *h, uint64_t desc, uint32_t adj,
                         uint32_t *done)
{
    qpci_io_writel(h->dev[0], h->bar2[0], XDMA_H2C(0) + CH_CONTROL_W1C, 1);
    qpci_io_writel(h->dev[0], h->bar2[0], XDMA_H2C_SG(0) + SG_DESC_LO, desc);
    qpci_io_writel(h->dev[0], h->bar2[0], XDMA_H2C_SG(0) + SG_DESC_HI,
                   desc >> 32);
    qpci_io_writel(h->dev[0], h->bar2[0], XDMA_H2C_SG(0) + SG_DESC_ADJ, adj);
    qpci_io_writel(h->dev[0], h->bar2[0], XDMA_H2C(0) + CH_CONTROL,
                   CTRL_START);
    dma_wait(h, true);
    *done = qpci_io_readl(h->dev[0], h->bar2[0], XDMA_H2C(0) + CH_COMPLETED);
    return qpci_io_readl(h->dev[0], h->bar2[0], XDMA_H2C(0) + CH_STATUS_RC) &
           CTRL_START;
}

static void test_dma_adjacent(void)
{
    const uint32_t n = 4096 + 40;
    uint64_t blocks, src, card;
    uint32_t bytes = n * XDESC_LEN, done, k;
    uint8_t *pattern, *back;
    Hermes h;

    hermes_start_one(&h);
    /* 130 blocks of 1 KiB: a 4 KiB aligned area, no block crosses 4 KiB */
    blocks = guest_alloc(&h.alloc, 132 * XBLK_BYTES);
    g_assert_cmphex(blocks % 4096, ==, 0);
    src = guest_alloc(&h.alloc, bytes);
    card = dslot_addr(&h, 0, 1);
    pattern = g_malloc(bytes);
    back = g_malloc(bytes);
    for (k = 0; k < bytes; k++) {
        pattern[k] = k * 13 + (k >> 9);
    }
    qtest_memwrite(h.qts, src, pattern, bytes);
    xdma_chain(&h, blocks, n, src, card);
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_H2C(0) + CH_IE, 0x80256);
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_CHAN_IE_W1S, ~0u);

    /* 128 blocks, then the rest from block 128 with its own count */
    g_assert_cmphex(xdma_run(&h, blocks, XBLK - 1, &done), ==,
                    DMA_STOPPED | DMA_COMPLETED);
    g_assert_cmpuint(done, ==, 4096);
    g_assert_true(qpci_msix_pending(h.dev[0], 0));
    g_assert_cmphex(xdma_run(&h, blocks + 128 * XBLK_BYTES, XBLK - 1,
                             &done), ==, DMA_STOPPED | DMA_COMPLETED);
    g_assert_cmpuint(done, ==, n - 4096);
    qpci_memread(h.dev[0], h.bar4[0], card, back, bytes);
    g_assert_cmpmem(back, bytes, pattern, bytes);

    /* one block of 5: DESC_ADJ alone says how many, next is garbage */
    memset(back, 0, bytes);
    qpci_memwrite(h.dev[0], h.bar4[0], card, back, bytes);
    xdma_chain(&h, blocks, 5, src, card);
    g_assert_cmphex(xdma_run(&h, blocks, 4, &done), ==,
                    DMA_STOPPED | DMA_COMPLETED);
    g_assert_cmpuint(done, ==, 5);
    qpci_memread(h.dev[0], h.bar4[0], card, back, 6 * XDESC_LEN);
    g_assert_cmpmem(back, 5 * XDESC_LEN, pattern, 5 * XDESC_LEN);
    g_assert_cmphex(back[5 * XDESC_LEN], ==, 0);

    /* a group that would cross 4 KiB moves nothing */
    g_assert_cmphex(xdma_run(&h, blocks + 4096 - 64, 2, &done), ==,
                    DMA_STOPPED | DMA_ADJ_BOUNDARY);
    g_assert_cmpuint(done, ==, 0);
    g_free(pattern);
    g_free(back);
    hermes_stop(&h);
}

/*
 * The COMPLETED flag of a descriptor that does not stop sets
 * DESC_COMPLETED and interrupts while the chain goes on; channel and
 * engine interrupts follow the vector registers; the CONTROL IE bits
 * enable as the IE mask does.
 */
static void test_irq_vectors(void)
{
    uint64_t desc, big;
    uint8_t ps, ds;
    gint64 end;
    uint32_t st;
    Hermes h;
    Req r;

    hermes_start_one(&h);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0], XDMA_IRQ) >> 16, ==,
                    0x1fc2);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0], XDMA_H2C_SG(1)) >> 16,
                    ==, 0x1fc4);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0], XDMA_C2H_SG(0)) >> 16,
                    ==, 0x1fc5);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_CHAN_VEC),
                    ==, 0x03020100);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0],
                                  XDMA_IRQ + IRQ_CHAN_VEC + 4), ==, 0x07060504);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0],
                                  XDMA_IRQ + IRQ_USER_VEC + 12), ==,
                    0x17161514);

    /* H2C 0 on vector 20; enabled by CONTROL alone */
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_CHAN_VEC, 0x03020114);
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_CHAN_IE_W1S, ~0u);
    desc = guest_alloc(&h.alloc, 4096);
    big = guest_alloc(&h.alloc, 8 * MiB);
    put_desc(&h, desc, DESC_MAGIC | DESC_COMPLETED, 16, big, 0, desc + 32);
    put_desc(&h, desc + 32, DESC_MAGIC, 8 * MiB, big, 0, desc + 32);
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_H2C_SG(0) + SG_DESC_LO, desc);
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_H2C_SG(0) + SG_DESC_HI,
                   desc >> 32);
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_H2C(0) + CH_CONTROL,
                   1 | DMA_COMPLETED);
    end = g_get_monotonic_time() + WAIT_US;
    while (!((st = qpci_io_readl(h.dev[0], h.bar2[0],
                                 XDMA_H2C(0) + CH_STATUS)) & DMA_COMPLETED)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
    g_assert_cmphex(st, ==, DMA_BUSY | DMA_COMPLETED);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0], XDMA_H2C(0) +
                                  CH_CONTROL), ==, 1 | DMA_COMPLETED);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0],
                                  XDMA_IRQ + IRQ_CHAN_PEND), ==, 1);
    g_assert_true(qpci_msix_pending(h.dev[0], 20));
    g_assert_false(qpci_msix_pending(h.dev[0], 0));
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_H2C(0) + CH_CONTROL_W1C, 1);
    g_assert_cmphex(dma_wait(&h, true), ==, DMA_STOPPED | DMA_COMPLETED);

    /* engine 1 on vector 30; USER_IE by W1S and W1C */
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_USER_VEC, 0x0b0a1e08);
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_USER_IE_W1S, 0x6);
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_USER_IE_W1C, 0x4);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_USER_IE),
                    ==, 0x2);
    ps = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);
    r = req_run(1, ps, ds, LOAD_PROG(&h, ps, prog_sum));
    g_assert_cmpuint(cmd_on(&h, 0, 1, &r, NULL), ==, ST_SUCCESS);
    g_assert_true(qpci_msix_pending(h.dev[0], 30));
    g_assert_false(qpci_msix_pending(h.dev[0], 9));
    /* engine 0 completed the slot requests, but is not enabled */
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0],
                                  XDMA_IRQ + IRQ_USER_REQ), ==, 0x3);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0],
                                  XDMA_IRQ + IRQ_USER_PEND), ==, 0x2);
    g_assert_false(qpci_msix_pending(h.dev[0], 8));

    /* a device reset returns the vectors to their reset values */
    dev_reset(&h, 0);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_USER_VEC),
                    ==, 0x0b0a0908);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_CHAN_REQ),
                    ==, 0);
    hermes_stop(&h);
}

/* The size of BAR @bar of @dev, by the PCI sizing writes */
static uint64_t bar_size(QPCIDevice *dev, int bar)
{
    uint8_t off = PCI_BASE_ADDRESS_0 + 4 * bar;
    uint32_t lo = qpci_config_readl(dev, off);
    uint64_t mask;

    qpci_config_writel(dev, off, 0xffffffff);
    mask = qpci_config_readl(dev, off) & ~0xfULL;
    qpci_config_writel(dev, off, lo);
    if (lo & PCI_BASE_ADDRESS_MEM_TYPE_64) {
        uint32_t hi = qpci_config_readl(dev, off + 4);

        qpci_config_writel(dev, off + 4, 0xffffffff);
        mask |= (uint64_t)qpci_config_readl(dev, off + 4) << 32;
        qpci_config_writel(dev, off + 4, hi);
    } else {
        mask |= 0xffffffff00000000ULL;
    }
    return ~mask + 1;
}

/*
 * The F1 identity: the application PF's IDs and BAR map; EHDEVCTL
 * RESET leaves the shell's XDMA running; BAR4 past EHMEMSZ is empty.
 */
static void test_f1(void)
{
    uint64_t desc, big, mem;
    QPCIDevice *dev;
    QDict *resp;
    uint32_t n;
    gint64 end;
    Hermes h;

    hermes_start(&h, "-device hermes,addr=04.0,f1=on,f1-window=64M");
    dev = h.dev[0];
    g_assert_cmphex(qpci_config_readw(dev, PCI_VENDOR_ID), ==, F1_VENDOR_ID);
    g_assert_cmphex(qpci_config_readw(dev, PCI_DEVICE_ID), ==, F1_DEVICE_ID);
    g_assert_cmphex(qpci_config_readw(dev, PCI_SUBSYSTEM_VENDOR_ID), ==,
                    F1_VENDOR_ID);
    g_assert_cmphex(qpci_config_readw(dev, PCI_SUBSYSTEM_ID), ==,
                    F1_DEVICE_ID);
    g_assert_cmpuint(bar_size(dev, 0), ==, 32 * MiB);
    g_assert_cmpuint(bar_size(dev, 1), ==, 2 * MiB);
    g_assert_cmpuint(bar_size(dev, 2), ==, 64 * KiB);
    g_assert_cmpuint(h.mem_size[0], ==, 64 * MiB);
    mem = rd64(&h, 0, EHMEMSZ);
    g_assert_cmpuint(mem, ==, 32 * MiB);

    /* past EHMEMSZ: reads 0, writes go nowhere */
    qpci_io_writeq(dev, h.bar4[0], mem, 0x1234);
    g_assert_cmphex(qpci_io_readq(dev, h.bar4[0], mem), ==, 0);
    g_assert_cmphex(qpci_io_readq(dev, h.bar4[0], 64 * MiB - 8), ==, 0);
    qpci_io_writeq(dev, h.bar4[0], mem - 8, 0x5678);
    g_assert_cmphex(qpci_io_readq(dev, h.bar4[0], mem - 8), ==, 0x5678);

    /* a long chain keeps running through a device reset */
    desc = guest_alloc(&h.alloc, 4096);
    big = guest_alloc(&h.alloc, 8 * MiB);
    put_desc(&h, desc, DESC_MAGIC, 8 * MiB, big, 0, desc);
    qpci_io_writel(dev, h.bar2[0], XDMA_IRQ + IRQ_USER_IE, 1);
    dma_start(&h, true, desc);
    dev_reset(&h, 0);
    g_assert_cmphex(qpci_io_readl(dev, h.bar2[0], XDMA_H2C(0) + CH_STATUS) &
                    DMA_BUSY, ==, DMA_BUSY);
    g_assert_cmphex(qpci_io_readl(dev, h.bar2[0], XDMA_IRQ + IRQ_USER_IE), ==,
                    1);
    n = qpci_io_readl(dev, h.bar2[0], XDMA_H2C(0) + CH_COMPLETED);
    end = g_get_monotonic_time() + WAIT_US;
    while (qpci_io_readl(dev, h.bar2[0], XDMA_H2C(0) + CH_COMPLETED) == n) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
    qpci_io_writel(dev, h.bar2[0], XDMA_H2C(0) + CH_CONTROL_W1C, 1);
    g_assert_cmphex(dma_wait(&h, true), ==, DMA_STOPPED);
    g_assert_cmpuint(alloc_slot(&h, 1), ==, 0);
    hermes_stop(&h);

    /* the card's 128 GiB window; an experimental one below EHMEMSZ */
    h.qts = qtest_init("-machine pc -nodefaults "
                       "-device hermes,addr=04.0,f1=on "
                       "-device hermes,addr=05.0,f1=on,x-mem-window=16M");
    h.alloc = (QGuestAllocator) { 0 };
    pc_alloc_init(&h.alloc, h.qts, ALLOC_NO_FLAGS);
    h.bus = qpci_new_pc(h.qts, &h.alloc);
    dev = qpci_device_find(h.bus, QPCI_DEVFN(4, 0));
    g_assert_cmpuint(bar_size(dev, 4), ==, 128 * GiB);
    g_free(dev);
    dev = qpci_device_find(h.bus, QPCI_DEVFN(5, 0));
    g_assert_cmpuint(bar_size(dev, 4), ==, 16 * MiB);
    g_free(dev);
    resp = qtest_qmp(h.qts, "{ 'execute': 'device_add', 'arguments': {"
                     " 'driver': 'hermes', 'id': 'bad', 'f1': true,"
                     " 'f1-window': 16777216 } }");
    g_assert_true(qdict_haskey(resp, "error"));
    qobject_unref(resp);
    qpci_free_pc(h.bus);
    alloc_destroy(&h.alloc);
    qtest_quit(h.qts);
}

static void test_reset(void)
{
    Hermes h;
    uint8_t ps, ds;
    uint32_t plen;
    Req r;

    hermes_start_one(&h);
    ps = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);
    plen = LOAD_PROG(&h, ps, prog_sum);
    r = req_run(1, ps, ds, plen);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_SUCCESS);
    plen = LOAD_PROG(&h, ps, prog_loop);
    r = req_run(2, ps, ds, plen);
    req_repeat_budget(&r, 0, UINT32_MAX);
    submit_on(&h, 0, 1, &r);
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_USER_IE, 0xf);
    g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(1)) & 0xff, ==, 1);

    dev_reset(&h, 0);

    /* the aborted run never completes; everything is at power-on state */
    g_usleep(20 * 1000);
    g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(0)), ==, 0);
    g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(1)), ==, 0);
    g_assert_cmphex(rd32(&h, 0, EHCMDRES(0)), ==, 0);
    g_assert_cmphex(rd32(&h, 0, EHCMDREQ(1)), ==, 0);
    g_assert_cmpuint(res64(&h, 0, CNT_RUNS), ==, 0);
    g_assert_cmpuint(res64(&h, 0, RES_R0), ==, 0);
    g_assert_cmpuint(res64(&h, 1, CNT_INSNS), ==, 0);
    g_assert_cmphex(qpci_io_readq(h.dev[0], h.bar4[0], pslot_addr(&h, 0, ps)),
                    ==, 0);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_USER_IE),
                    ==, 0);
    g_assert_cmpuint(alloc_slot(&h, 0), ==, 0);
    g_assert_cmpuint(alloc_slot(&h, 1), ==, 0);
    hermes_stop(&h);
}

static void test_two_devices(void)
{
    Hermes h;
    uint8_t ps[2], ds[2];
    uint32_t plen[2];
    uint64_t r0;
    Req r;
    int i;

    hermes_start(&h, "-device hermes,addr=04.0 "
                 "-device hermes,addr=05.0,engines=2,prog-slots=2,"
                 "prog-slot-size=64K,data-slots=3,data-slot-size=128K");
    g_assert_cmpuint(qpci_io_readb(h.dev[1], h.bar0[1], EHENG), ==, 2);
    g_assert_cmpuint(qpci_io_readb(h.dev[1], h.bar0[1], EHDSLOT), ==, 3);
    g_assert_cmphex(rd32(&h, 1, EHDSOFF), ==, 2 * 64 * KiB);
    g_assert_cmphex(rd64(&h, 1, EHMEMSZ), ==, 512 * KiB);
    g_assert_cmpuint(rd32(&h, 1, EHCAPMAXINSN), ==, 8 * KiB);

    for (i = 0; i < 2; i++) {
        ps[i] = alloc_slot_on(&h, i, 0);
        ds[i] = alloc_slot_on(&h, i, 1);
        plen[i] = load_prog_on(&h, i, ps[i], prog_sum, ARRAY_SIZE(prog_sum));
        qpci_io_writel(h.dev[i], h.bar4[i], dslot_addr(&h, i, ds[i]),
                       0x1000 * (i + 1));
    }
    /* both devices run at once, each on its own memory */
    for (i = 0; i < 2; i++) {
        r = req_run(i, ps[i], ds[i], plen[i]);
        submit_on(&h, i, 0, &r);
    }
    for (i = 0; i < 2; i++) {
        wait_done_on(&h, i, 0);
        r0 = rd64(&h, i, EHCMDRES(0) + 8);
        g_assert_cmphex(r0, ==, 0x1000 * (i + 1) + (i ? 128 * KiB : SLOT_SIZE));
    }
    /* a slot of one is not a slot of the other; a reset is per device */
    g_assert_cmpuint(alloc_slot_on(&h, 1, 1), ==, 1);
    dev_reset(&h, 0);
    g_assert_cmpuint(alloc_slot_on(&h, 1, 1), ==, 2);
    g_assert_cmphex(qpci_io_readl(h.dev[1], h.bar4[1], dslot_addr(&h, 1, 0)),
                    ==, 0x2000);
    g_assert_cmpuint(rd64(&h, 1, EHENGBLK(0) + CNT_RUNS), ==, 1);
    hermes_stop(&h);
}

/* A system reset aborts running programs and frees every slot. */
static void test_system_reset(void)
{
    Hermes h;
    uint8_t ps, ds;
    uint32_t plen;
    QDict *resp;
    Req r;

    hermes_start_one(&h);
    ps = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);
    plen = LOAD_PROG(&h, ps, prog_loop);
    r = req_run(1, ps, ds, plen);
    req_repeat_budget(&r, 0, UINT32_MAX);
    submit_on(&h, 0, 2, &r);
    g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(2)) & 0xff, ==, 1);

    resp = qtest_qmp(h.qts, "{ 'execute': 'system_reset' }");
    g_assert_true(qdict_haskey(resp, "return"));
    qobject_unref(resp);
    qtest_qmp_eventwait(h.qts, "RESET");

    /* the reset also cleared the BARs: map the device again */
    g_free(h.dev[0]);
    hermes_map(&h, 0, 4);
    g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(2)), ==, 0);
    g_assert_cmpuint(res64(&h, 2, CNT_RUNS), ==, 0);
    g_assert_cmpuint(alloc_slot(&h, 0), ==, 0);
    g_assert_cmpuint(alloc_slot(&h, 1), ==, 0);
    g_assert_cmphex(qpci_io_readq(h.dev[0], h.bar4[0], 0), ==, 0);
    hermes_stop(&h);
}

/* Migrate @from to @uri; return the final status ("completed", "failed"). */
/* The counter of prog_count at @addr, read twice @us apart: unchanged? */
static uint64_t count_still(Hermes *h, uint64_t addr, gulong us)
{
    uint64_t c = qpci_io_readq(h->dev[0], h->bar4[0], addr);

    g_usleep(us);
    g_assert_cmpuint(qpci_io_readq(h->dev[0], h->bar4[0], addr), ==, c);
    return c;
}

/* Start prog_count on engine @e, counting at @doff, and see it count. */
static void start_count(Hermes *h, int e, uint8_t ps, uint8_t ds,
                        uint32_t plen, uint32_t doff, uint32_t budget)
{
    Req r = req_run(0x60 + e, ps, ds, plen);

    req_window(&r, doff, 8);
    req_repeat_budget(&r, 1, budget);
    submit_on(h, 0, e, &r);
    wait_count(h, dslot_addr(h, 0, ds) + doff, 0);
}

/*
 * While the VM is stopped the engines do no work: a program pauses where
 * it is (its counter in the data slot stays put, its engine stays busy)
 * and goes on when the VM runs again, to the same end as if it never
 * paused.  A stopped VM's device still answers: ABORT, the guest's RESET
 * and a system reset end a paused program.
 */
static void test_vm_stop(void)
{
    Hermes h;
    uint8_t ps, ds;
    uint32_t plen;
    uint64_t data, c;
    Req r;

    hermes_start_one(&h);
    ps = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);
    plen = LOAD_PROG(&h, ps, prog_count);
    data = dslot_addr(&h, 0, ds);
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_USER_IE, 0x3);

    /* 2^28 instructions: 2^26 passes of the loop, then BUDGET_EXCEEDED */
    start_count(&h, 0, ps, ds, plen, 0, 1u << 28);
    qtest_qmp_assert_success(h.qts, "{ 'execute': 'stop' }");
    g_usleep(20 * 1000);
    c = count_still(&h, data, 300 * 1000);
    g_assert_cmpuint(c, <, 1u << 26);
    g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(0)) & 0xff, ==, 1);
    g_assert_cmpuint(rd32(&h, 0, EHVER), ==, 2);
    /* a command started while stopped waits too, from its first insn */
    qpci_io_writeq(h.dev[0], h.bar4[0], data + 64, 0);
    r = req_run(0x70, ps, ds, plen);
    req_window(&r, 64, 8);
    req_repeat_budget(&r, 1, 1000);
    submit_on(&h, 0, 1, &r);
    g_usleep(100 * 1000);
    g_assert_cmpuint(qpci_io_readq(h.dev[0], h.bar4[0], data + 64), ==, 0);
    g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(1)) & 0xff, ==, 1);
    qtest_qmp_assert_success(h.qts, "{ 'execute': 'cont' }");
    wait_done_on(&h, 0, 0);
    g_assert_cmpuint((rd32(&h, 0, EHCMDRES(0)) >> 16) & 0xff, ==,
                     ST_BUDGET_EXCEEDED);
    g_assert_cmpuint(res64(&h, 0, RES_INSNS), ==, 1u << 28);
    g_assert_cmpuint(qpci_io_readq(h.dev[0], h.bar4[0], data), ==, 1u << 26);
    wait_done_on(&h, 0, 1);
    g_assert_cmpuint(res64(&h, 1, RES_INSNS), ==, 1000);
    g_assert_cmpuint(qpci_io_readq(h.dev[0], h.bar4[0], data + 64), ==, 250);

    g_assert_true(qpci_msix_pending(h.dev[0], 8));
    g_assert_true(qpci_msix_pending(h.dev[0], 8 + 1));

    /* ABORT ends a paused program; its interrupt waits for the VM */
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_USER_IE, 0x4);
    start_count(&h, 2, ps, ds, plen, 128, UINT32_MAX);
    qtest_qmp_assert_success(h.qts, "{ 'execute': 'stop' }");
    g_usleep(20 * 1000);
    count_still(&h, data + 128, 100 * 1000);
    qpci_io_writeb(h.dev[0], h.bar0[0], EHCMDCTRL(2) + 3, 1);
    wait_done_on(&h, 0, 2);
    g_assert_cmphex(rd32(&h, 0, EHCMDRES(2)), ==,
                    0x62 | ST_ABORTED << 16 | FAULT_ABORTED << 24);
    g_assert_false(qpci_msix_pending(h.dev[0], 8 + 2));
    qtest_qmp_assert_success(h.qts, "{ 'execute': 'cont' }");
    g_assert_true(qpci_msix_pending(h.dev[0], 8 + 2));

    /* the guest's RESET completes with a paused program */
    start_count(&h, 1, ps, ds, plen, 192, UINT32_MAX);
    qtest_qmp_assert_success(h.qts, "{ 'execute': 'stop' }");
    dev_reset(&h, 0);
    g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(1)), ==, 0);
    qtest_qmp_assert_success(h.qts, "{ 'execute': 'cont' }");

    /* and so does a system reset */
    ps = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);
    plen = LOAD_PROG(&h, ps, prog_count);
    start_count(&h, 3, ps, ds, plen, 0, UINT32_MAX);
    qtest_qmp_assert_success(h.qts, "{ 'execute': 'stop' }");
    qtest_qmp_assert_success(h.qts, "{ 'execute': 'system_reset' }");
    qtest_qmp_eventwait(h.qts, "RESET");
    qtest_qmp_assert_success(h.qts, "{ 'execute': 'cont' }");
    g_free(h.dev[0]);
    hermes_map(&h, 0, 4);
    g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(3)), ==, 0);
    hermes_stop(&h);
}

static char *migrate(QTestState *from, const char *uri)
{
    gint64 end = g_get_monotonic_time() + WAIT_US;
    QDict *resp, *ret;
    char *status = NULL;

    resp = qtest_qmp(from, "{ 'execute': 'migrate', "
                     "'arguments': { 'uri': %s } }", uri);
    g_assert_true(qdict_haskey(resp, "return"));
    qobject_unref(resp);
    for (;;) {
        const char *st;

        resp = qtest_qmp(from, "{ 'execute': 'query-migrate' }");
        ret = qdict_get_qdict(resp, "return");
        st = qdict_get_try_str(ret, "status");
        if (st && (!strcmp(st, "completed") || !strcmp(st, "failed"))) {
            status = g_strdup(st);
        }
        qobject_unref(resp);
        if (status) {
            return status;
        }
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(10 * 1000);
    }
}

/* PCI Express */

#define PCI_EXP_FLAGS_VERS      0x000f
#define PCI_EXP_FLAGS_TYPE      0x00f0
#define PCI_EXP_TYPE_ENDPOINT   0x0
#define PCI_EXP_TYPE_RC_END     0x9

/* The Device/Port Type of @dev's PCI Express capability, -1 without one */
static int pcie_port_type(QPCIDevice *dev)
{
    uint8_t pos = qpci_find_capability(dev, PCI_CAP_ID_EXP, 0);
    uint16_t flags;

    if (!pos) {
        return -1;
    }
    flags = qpci_config_readw(dev, pos + PCI_EXP_FLAGS);
    g_assert_cmphex(flags & PCI_EXP_FLAGS_VERS, ==, 2);
    return (flags & PCI_EXP_FLAGS_TYPE) >> 4;
}

/*
 * On q35's root bus the device is an integrated endpoint, behind a root
 * port an endpoint, and on the PCI bus of pc conventional PCI; MSI-X
 * and the device work the same in every case, and a PCI Express device
 * migrates with its configuration space.
 */
static void test_pcie(void)
{
    g_autofree char *sock = g_strdup_printf("%s/hermes-pcie-%d.sock",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("unix:%s", sock);
    g_autofree char *st = NULL;
    Hermes h, d = { 0 };
    QPCIDevice *port, *dev;
    uint8_t ps, ds;
    uint32_t plen;
    uint64_t r0;
    Req r;

    hermes_start(&h, "-device hermes,addr=04.0");
    g_assert_cmpint(pcie_port_type(h.dev[0]), ==, -1);
    g_assert_cmpuint(qpci_find_capability(h.dev[0], PCI_CAP_ID_MSIX, 0), !=,
                     0);
    hermes_stop(&h);

    hermes_start_on(&h, "q35", "-device hermes,addr=04.0");
    g_assert_cmpint(pcie_port_type(h.dev[0]), ==, PCI_EXP_TYPE_RC_END);
    g_assert_cmpuint(qpci_find_capability(h.dev[0], PCI_CAP_ID_MSIX, 0), !=,
                     0);
    ps = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);
    plen = LOAD_PROG(&h, ps, prog_sum);
    qpci_io_writel(h.dev[0], h.bar4[0], dslot_addr(&h, 0, ds), 5);
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_USER_IE, 1);
    r = req_run(1, ps, ds, plen);
    req_window(&r, 0, 10);
    g_assert_cmpuint(cmd(&h, &r, &r0), ==, ST_SUCCESS);
    g_assert_cmpuint(r0, ==, 15);
    g_assert_true(qpci_msix_pending(h.dev[0], 8));

    d.qts = qtest_initf("-machine q35 -nodefaults -device hermes,addr=04.0 "
                        "-incoming %s", uri);
    st = migrate(h.qts, uri);
    g_assert_cmpstr(st, ==, "completed");
    qtest_qmp_eventwait(d.qts, "RESUME");
    d.bus = qpci_new_pc(d.qts, NULL);
    d.dev[0] = qpci_device_find(d.bus, QPCI_DEVFN(4, 0));
    g_assert(d.dev[0]);
    g_assert_cmpint(pcie_port_type(d.dev[0]), ==, PCI_EXP_TYPE_RC_END);
    d.bar0[0] = h.bar0[0];
    d.bar2[0] = h.bar2[0];
    d.bar4[0] = h.bar4[0];
    r = req_run(2, ps, ds, plen);
    req_window(&r, 0, 20);
    g_assert_cmpuint(cmd_on(&d, 0, 0, &r, &r0), ==, ST_SUCCESS);
    g_assert_cmpuint(r0, ==, 25);
    g_free(d.dev[0]);
    qpci_free_pc(d.bus);
    qtest_quit(d.qts);
    hermes_stop(&h);
    unlink(sock);

    /* behind a root port: give the port its bus numbers, as firmware does */
    d.qts = qtest_init("-machine q35 -nodefaults "
                       "-device pcie-root-port,id=rp0,chassis=1,addr=04.0 "
                       "-device hermes,bus=rp0");
    d.bus = qpci_new_pc(d.qts, NULL);
    port = qpci_device_find(d.bus, QPCI_DEVFN(4, 0));
    g_assert(port);
    qpci_config_writeb(port, PCI_SECONDARY_BUS, 1);
    qpci_config_writeb(port, PCI_SUBORDINATE_BUS, 1);
    dev = qpci_device_find(d.bus, 1 << 8 | QPCI_DEVFN(0, 0));
    g_assert(dev);
    g_assert_cmphex(qpci_config_readw(dev, PCI_VENDOR_ID), ==, 0x1de5);
    g_assert_cmpint(pcie_port_type(dev), ==, PCI_EXP_TYPE_ENDPOINT);
    g_free(dev);
    g_free(port);
    qpci_free_pc(d.bus);
    qtest_quit(d.qts);
}

/* Device maps */

#define MAP_HASH        1
#define MAP_ARRAY       2
#define MAP_BASE        0x10000000000ULL
#define FAULT_BAD_MAP   9
/* lddw naming map m: the second word of the pair is 0 */
#define LDDW_MAP(d, m)  INSN(0x18, d, 5, 0, m)
#define STXW(d, s, off) INSN(0x63, d, s, off, 0)
#define ATOMIC_ADD64(d, s, off) INSN(0xdb, d, s, off, 0)

static Req req_map_create(uint16_t cid, uint8_t type, uint32_t ks,
                          uint32_t vs, uint32_t max)
{
    Req r = { { 0 } };

    r.b[0] = 0x40;
    stw_le_p(&r.b[2], cid);
    r.b[8] = type;
    stl_le_p(&r.b[12], ks);
    stl_le_p(&r.b[16], vs);
    stl_le_p(&r.b[20], max);
    return r;
}

static Req req_map(uint8_t opc, uint8_t flags, uint32_t id, uint8_t dslot,
                   uint32_t koff, uint32_t voff)
{
    Req r = { { 0 } };

    r.b[0] = opc;
    r.b[1] = flags;
    stw_le_p(&r.b[2], 0x4000 | opc);
    stl_le_p(&r.b[8], id);
    r.b[12] = dslot;
    stl_le_p(&r.b[16], koff);
    stl_le_p(&r.b[20], voff);
    return r;
}

/* MAP CREATE; returns the status, the ID and footprint in *id, *fp */
static uint8_t map_create(Hermes *h, uint8_t type, uint32_t ks, uint32_t vs,
                          uint32_t max, uint32_t *id, uint32_t *fp)
{
    Req r = req_map_create(0x4040, type, ks, vs, max);
    uint64_t v = 0;
    uint8_t st = cmd(h, &r, &v);

    if (id) {
        *id = v;
    }
    if (fp) {
        *fp = v >> 32;
    }
    return st;
}

static uint8_t map_op(Hermes *h, uint8_t opc, uint8_t flags, uint32_t id,
                      uint8_t ds, uint32_t koff, uint32_t voff)
{
    Req r = req_map(opc, flags, id, ds, koff, voff);
    uint64_t v = 1;
    uint8_t st = cmd(h, &r, &v);

    /* a map command runs no program: only RES_STATUS in the block */
    g_assert_cmphex(v, ==, 0);
    g_assert_cmphex(rd32(h, 0, EHCMDRES(0)) >> 24, ==, 0);
    g_assert_cmpuint(res64(h, 0, RES_INSNS), ==, 0);
    return st;
}

static void dwr32(Hermes *h, uint8_t ds, uint32_t off, uint32_t v)
{
    qpci_io_writel(h->dev[0], h->bar4[0], dslot_addr(h, 0, ds) + off, v);
}

static void dwr64(Hermes *h, uint8_t ds, uint32_t off, uint64_t v)
{
    qpci_io_writeq(h->dev[0], h->bar4[0], dslot_addr(h, 0, ds) + off, v);
}

static uint32_t drd32(Hermes *h, uint8_t ds, uint32_t off)
{
    return qpci_io_readl(h->dev[0], h->bar4[0], dslot_addr(h, 0, ds) + off);
}

static uint64_t drd64(Hermes *h, uint8_t ds, uint32_t off)
{
    return qpci_io_readq(h->dev[0], h->bar4[0], dslot_addr(h, 0, ds) + off);
}

/* Key (u32) at 0, value at 64, output at 128 */
static uint8_t hupdate(Hermes *h, uint32_t id, uint8_t ds, uint32_t key,
                       uint64_t val, uint8_t flags)
{
    dwr32(h, ds, 0, key);
    dwr64(h, ds, 64, val);
    return map_op(h, 0x43, flags, id, ds, 0, 64);
}

static uint8_t hlookup(Hermes *h, uint32_t id, uint8_t ds, uint32_t key,
                       uint64_t *val)
{
    uint8_t st;

    dwr32(h, ds, 0, key);
    dwr64(h, ds, 128, 0xdeadbeefdeadbeefULL);
    st = map_op(h, 0x42, 0, id, ds, 0, 128);
    *val = drd64(h, ds, 128);
    return st;
}

/*
 * Migration carries slots, device memory, registers and counters; a
 * program that never ends completes as aborted when the device is saved.
 */
static void test_migrate(void)
{
    g_autofree char *sock = g_strdup_printf("%s/hermes-mig-%d.sock",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("unix:%s", sock);
    g_autofree char *st = NULL;
    Hermes h, d = { 0 };
    uint8_t ps, ps_count, ds;
    uint32_t plen, plen_count, mid;
    uint64_t r0, data, v;
    Req r;

    hermes_start_one(&h);
    ps = alloc_slot(&h, 0);
    ps_count = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);
    plen = LOAD_PROG(&h, ps, prog_sum);
    plen_count = LOAD_PROG(&h, ps_count, prog_count);
    data = dslot_addr(&h, 0, ds);
    /* maps 0 (freed: a hole) and 1, with two keys, one deleted */
    g_assert_cmpuint(map_create(&h, MAP_ARRAY, 4, 8, 1, NULL, NULL), ==,
                     ST_SUCCESS);
    g_assert_cmpuint(map_create(&h, MAP_HASH, 4, 8, 8, &mid, NULL), ==,
                     ST_SUCCESS);
    g_assert_cmpuint(map_op(&h, 0x41, 0, 0, 0, 0, 0), ==, ST_SUCCESS);
    g_assert_cmpuint(hupdate(&h, mid, ds, 7, 0x7777, 0), ==, ST_SUCCESS);
    g_assert_cmpuint(hupdate(&h, mid, ds, 8, 0x8888, 0), ==, ST_SUCCESS);
    dwr32(&h, ds, 0, 8);
    g_assert_cmpuint(map_op(&h, 0x44, 0, mid, ds, 0, 0), ==, ST_SUCCESS);
    qpci_io_writel(h.dev[0], h.bar4[0], data + 64, 0x1234);
    r = req_run(0x55, ps, ds, plen);
    req_window(&r, 64, 8);
    g_assert_cmpuint(cmd(&h, &r, &r0), ==, ST_SUCCESS);
    g_assert_cmphex(r0, ==, 0x1234 + 8);
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_USER_IE, 0x7);

    /*
     * A run that never ends does not hold off migration: it completes as
     * aborted when the device is saved, and its interrupt waits for the
     * VM to run again (here: the source, after a migration to nowhere).
     */
    r = req_run(0x56, ps_count, ds, plen_count);
    req_window(&r, 128, 8);
    req_repeat_budget(&r, 0, UINT32_MAX);
    submit_on(&h, 0, 1, &r);
    wait_count(&h, data + 128, 0);
    g_assert_false(qpci_msix_pending(h.dev[0], 8 + 1));
    st = migrate(h.qts, "exec:cat > /dev/null");
    g_assert_cmpstr(st, ==, "completed");
    g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(1)), ==, 0x100);
    g_assert_cmphex(rd32(&h, 0, EHCMDRES(1)), ==,
                    0x56 | ST_ABORTED << 16 | FAULT_ABORTED << 24);
    g_assert_false(qpci_msix_pending(h.dev[0], 8 + 1));
    qobject_unref(qtest_qmp(h.qts, "{ 'execute': 'cont' }"));
    g_assert_true(qpci_msix_pending(h.dev[0], 8 + 1));
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_USER_IE, 0x5);
    /* a moved vector travels in a subsection of its own */
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_CHAN_VEC + 4,
                   0x07060518);

    /* then it goes through */
    d.qts = qtest_initf("-machine pc -nodefaults -device hermes,addr=04.0 "
                        "-incoming %s", uri);
    g_free(st);
    st = migrate(h.qts, uri);
    g_assert_cmpstr(st, ==, "completed");
    qtest_qmp_eventwait(d.qts, "RESUME");

    /* same BARs on the destination: the PCI state came with the VM */
    d.bus = qpci_new_pc(d.qts, NULL);
    d.dev[0] = qpci_device_find(d.bus, QPCI_DEVFN(4, 0));
    g_assert(d.dev[0]);
    d.bar0[0] = h.bar0[0];
    d.bar2[0] = h.bar2[0];
    d.bar4[0] = h.bar4[0];
    g_assert_cmphex(rd32(&d, 0, EHCMDRES(0)), ==, 0x55);
    g_assert_cmphex(rd32(&d, 0, EHCMDCTRL(0)), ==, 0x100);
    g_assert_cmpuint(rd64(&d, 0, EHENGBLK(0) + CNT_RUNS), ==, 1);
    g_assert_cmpuint(rd64(&d, 0, EHENGBLK(1) + CNT_ERRORS), ==, 1);
    g_assert_cmphex(qpci_io_readl(d.dev[0], d.bar2[0],
                                  XDMA_IRQ + IRQ_USER_IE), ==, 0x5);
    g_assert_cmphex(qpci_io_readl(d.dev[0], d.bar2[0],
                                  XDMA_IRQ + IRQ_CHAN_VEC + 4), ==, 0x07060518);
    g_assert_cmpuint(alloc_slot_on(&d, 0, 0), ==, 2);
    g_assert_cmpuint(alloc_slot_on(&d, 0, 1), ==, 1);
    r = req_run(0x57, ps, ds, plen);
    req_window(&r, 64, 8);
    g_assert_cmpuint(cmd_on(&d, 0, 0, &r, &r0), ==, ST_SUCCESS);
    g_assert_cmphex(r0, ==, 0x1234 + 8);
    g_assert_cmpuint(rd64(&d, 0, EHENGBLK(0) + CNT_RUNS), ==, 2);

    /* the maps came along: contents, free ID, free element, memory */
    g_assert_cmpuint(hlookup(&d, mid, ds, 7, &v), ==, ST_SUCCESS);
    g_assert_cmphex(v, ==, 0x7777);
    g_assert_cmpuint(hlookup(&d, mid, ds, 8, &v), ==, ST_MAP_NOENT);
    g_assert_cmpuint(map_op(&d, 0x45, 1, mid, ds, 0, 256), ==, ST_SUCCESS);
    g_assert_cmpuint(drd32(&d, ds, 256), ==, 7);
    g_assert_cmpuint(hupdate(&d, mid, ds, 9, 0x9999, 1), ==, ST_SUCCESS);
    g_assert_cmpuint(map_create(&d, MAP_ARRAY, 4, 8, 1, &mid, NULL), ==,
                     ST_SUCCESS);
    g_assert_cmpuint(mid, ==, 0);
    g_assert_cmpuint(map_create(&d, MAP_ARRAY, 4, 8, 4 * MiB / 8, NULL,
                                NULL), ==, ST_NO_MAP_MEMORY);

    g_free(d.dev[0]);
    qpci_free_pc(d.bus);
    qtest_quit(d.qts);
    hermes_stop(&h);
    unlink(sock);
}

/*
 * Migration stream fuzzing: the state of a device with a HASH map is
 * saved once, then loaded again and again with a few random bytes of the
 * device's own state (registers, DMA channels, engines, map state)
 * changed.  The destination must refuse the stream (exit status 1) or
 * run with a device that answers registers and commands; it must never
 * crash.  The seed is fixed and printed, so a failure reproduces.
 */
#define FUZZ_ROUNDS     24
#define FUZZ_SEED       0x4865726dU
/* a small device: the stream loads in milliseconds */
#define FUZZ_DEV        "-device hermes,addr=04.0,prog-slots=2,data-slots=2," \
                        "prog-slot-size=64K,data-slot-size=64K"
/* QEMU exits at once on a stream it refuses; a good one loads in ms */
#define FUZZ_REFUSE_US  (2 * G_USEC_PER_SEC)

/*
 * Load the stream at @in into a new destination; return whether it ran.
 * A refused stream makes QEMU exit, so the destination is only asked
 * over QMP once it has outlived FUZZ_REFUSE_US, by then done loading.
 */
static bool fuzz_load(const char *in, Hermes *src, GRand *rnd)
{
    Hermes d = { 0 };
    gint64 t0;
    bool ran = true;

    d.qts = qtest_initf("-machine pc -nodefaults " FUZZ_DEV
                        " -incoming defer");
    qtest_qmp_send(d.qts, "{ 'execute': 'migrate-incoming', "
                   "'arguments': { 'uri': %s } }", in);
    t0 = g_get_monotonic_time();
    while (g_get_monotonic_time() - t0 < FUZZ_REFUSE_US) {
        if (!qtest_probe_child(d.qts)) {
            qtest_set_expected_status(d.qts, 1);
            ran = false;
            break;
        }
        g_usleep(20 * 1000);
    }
    if (ran) {
        Req r = req_map(0x45, 1, g_rand_int_range(rnd, 0, 4), 0, 0, 64);
        QDict *resp = qtest_qmp_receive(d.qts);   /* migrate-incoming's */
        gint64 end = g_get_monotonic_time() + WAIT_US;
        g_autofree char *st = NULL;
        int e;

        qobject_unref(resp);
        for (;;) {
            resp = qtest_qmp(d.qts, "{ 'execute': 'query-migrate' }");
            g_free(st);
            st = g_strdup(qdict_get_try_str(qdict_get_qdict(resp, "return"),
                                            "status"));
            qobject_unref(resp);
            if (st && strcmp(st, "active") && strcmp(st, "setup")) {
                break;
            }
            g_assert_cmpint(g_get_monotonic_time(), <, end);
            g_usleep(10 * 1000);
        }
        g_assert_cmpstr(st, ==, "completed");

        d.bus = qpci_new_pc(d.qts, NULL);
        d.dev[0] = qpci_device_find(d.bus, QPCI_DEVFN(4, 0));
        g_assert(d.dev[0]);
        d.bar0[0] = src->bar0[0];
        d.bar2[0] = src->bar2[0];
        d.bar4[0] = src->bar4[0];
        g_assert_cmpuint(rd32(&d, 0, EHVER), ==, 2);
        /* every engine takes a command and completes it */
        for (e = 0; e < 4; e++) {
            submit_on(&d, 0, e, &r);
            wait_done_on(&d, 0, e);
        }
        g_free(d.dev[0]);
        qpci_free_pc(d.bus);
    }
    qtest_quit(d.qts);
    return ran;
}

static void test_migrate_fuzz(void)
{
    g_autofree char *dir = g_dir_make_tmp("hermes-fuzz-XXXXXX", NULL);
    g_autofree char *good = g_strdup_printf("%s/good", dir);
    g_autofree char *bad = g_strdup_printf("%s/bad", dir);
    g_autofree char *out = g_strdup_printf("exec:cat > %s", good);
    g_autofree char *in = g_strdup_printf("exec:cat %s", bad);
    /* num_engines, num_pslots, num_dslots, pslot_size, dslot_size */
    static const uint8_t sig[] = { 4, 2, 2, 0, 1, 0, 0, 0, 1, 0, 0 };
    g_autofree char *st = NULL;
    g_autofree char *buf = NULL;
    g_autofree char *mut = NULL;
    gsize len, i, dev_off = 0, dev_len, maps_off = 0;
    GRand *rnd = g_rand_new_with_seed(FUZZ_SEED);
    unsigned round, loaded = 0;
    uint32_t mid;
    uint8_t ds;
    Hermes h;

    hermes_start(&h, FUZZ_DEV);
    ds = alloc_slot(&h, 1);
    g_assert_cmpuint(map_create(&h, MAP_HASH, 4, 8, 8, &mid, NULL), ==,
                     ST_SUCCESS);
    for (i = 0; i < 5; i++) {
        g_assert_cmpuint(hupdate(&h, mid, ds, i, i * 0x11, 0), ==,
                         ST_SUCCESS);
    }
    st = migrate(h.qts, out);
    g_assert_cmpstr(st, ==, "completed");

    g_assert_true(g_file_get_contents(good, &buf, &len, NULL));
    for (i = 0; i + sizeof(sig) < len && !dev_off; i++) {
        if (!memcmp(buf + i, sig, sizeof(sig))) {
            dev_off = i;
        }
    }
    g_assert_cmpuint(dev_off, >, 0);
    /*
     * Past mem_size, the slot maps and the interrupt enables: 8 DMA
     * channels of 77 bytes and 4 engines of 141 bytes, the fields that
     * bound accesses.
     */
    dev_off += sizeof(sig) + 4 + 2 * 256 + 8;
    dev_len = 8 * 77 + 4 * 141;
    for (i = dev_off; i + 11 < len && !maps_off; i++) {
        if (!memcmp(buf + i, "hermes/maps", 11)) {
            maps_off = i + 11;
        }
    }
    g_assert_cmpuint(maps_off, >, 0);
    g_test_message("seed 0x%x", FUZZ_SEED);

    mut = g_malloc(len);
    for (round = 0; round < FUZZ_ROUNDS; round++) {
        unsigned n = g_rand_int_range(rnd, 1, 9);

        memcpy(mut, buf, len);
        while (n--) {
            gsize at = g_rand_boolean(rnd)
                ? dev_off + g_rand_int_range(rnd, 0, dev_len)
                : maps_off + g_rand_int_range(rnd, 0, len - 16 - maps_off);

            if (g_rand_boolean(rnd)) {
                mut[at] ^= 1u << g_rand_int_range(rnd, 0, 8);
            } else {
                mut[at] = g_rand_int_range(rnd, 0, 256);
            }
        }
        g_assert_true(g_file_set_contents(bad, mut, len, NULL));
        loaded += fuzz_load(in, &h, rnd);
    }
    g_test_message("%u of %u changed streams loaded, the others were "
                   "refused", loaded, FUZZ_ROUNDS);
    g_assert_cmpuint(loaded, >, 0);
    /* the unchanged stream loads */
    g_assert_true(g_file_set_contents(bad, buf, len, NULL));
    g_assert_true(fuzz_load(in, &h, rnd));

    g_rand_free(rnd);
    hermes_stop(&h);
    unlink(good);
    unlink(bad);
    rmdir(dir);
}

/*
 * A chain paused with the VM inside an adjacent group goes on, on the
 * destination, inside that group: the next pointers in it are garbage,
 * so a walk that lost its place would stop with DESC_ERROR.
 */
static void test_migrate_adjacent(void)
{
    g_autofree char *sock = g_strdup_printf("%s/hermes-adj-%d.sock",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("unix:%s", sock);
    g_autofree char *st = NULL;
    Hermes h, d = { 0 };
    uint64_t desc, big;
    uint32_t busy;
    int k;

    hermes_start_one(&h);
    desc = guest_alloc(&h.alloc, 4096);
    big = guest_alloc(&h.alloc, 8 * MiB);
    for (k = 0; k < 64; k++) {
        put_desc(&h, desc + 32 * k, DESC_MAGIC | (k == 63 ? DESC_STOP : 0),
                 8 * MiB, big, (k % 4) * 8 * MiB, DESC_GARBAGE);
    }
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_H2C(0) + CH_CONTROL_W1C, 1);
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_H2C_SG(0) + SG_DESC_LO, desc);
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_H2C_SG(0) + SG_DESC_HI,
                   desc >> 32);
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_H2C_SG(0) + SG_DESC_ADJ, 63);
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_H2C(0) + CH_CONTROL, 1);
    qobject_unref(qtest_qmp(h.qts, "{ 'execute': 'stop' }"));
    busy = qpci_io_readl(h.dev[0], h.bar2[0], XDMA_H2C(0) + CH_STATUS) &
           DMA_BUSY;
    if (!busy) {
        g_test_message("the chain ended before the VM stopped");
    }

    d.qts = qtest_initf("-machine pc -nodefaults -device hermes,addr=04.0 "
                        "-incoming %s", uri);
    st = migrate(h.qts, uri);
    g_assert_cmpstr(st, ==, "completed");
    d.bus = qpci_new_pc(d.qts, NULL);
    d.dev[0] = qpci_device_find(d.bus, QPCI_DEVFN(4, 0));
    g_assert(d.dev[0]);
    d.bar2[0] = h.bar2[0];
    qobject_unref(qtest_qmp(d.qts, "{ 'execute': 'cont' }"));
    g_assert_cmphex(dma_wait(&d, true), ==, DMA_STOPPED | DMA_COMPLETED);
    g_assert_cmpuint(qpci_io_readl(d.dev[0], d.bar2[0],
                                   XDMA_H2C(0) + CH_COMPLETED), ==, 64);

    g_free(d.dev[0]);
    qpci_free_pc(d.bus);
    qtest_quit(d.qts);
    hermes_stop(&h);
    unlink(sock);
}

/*
 * A stream whose DMA walk is mid-descriptor with a descriptor that ends
 * past device memory is refused on load (the destination stops with an
 * error) instead of resuming the copy out of bounds.  The stream is one
 * an idle device saved, with the first H2C channel's state rewritten.
 */
static void test_migrate_bad_dma(void)
{
    /* num_engines, num_pslots, num_dslots, pslot_size, dslot_size */
    static const uint8_t sig[] = { 4, 16, 16, 0, 0x10, 0, 0, 0, 0x10, 0, 0 };
    g_autofree char *dir = g_dir_make_tmp("hermes-mig-XXXXXX", NULL);
    g_autofree char *good = g_strdup_printf("%s/good", dir);
    g_autofree char *bad = g_strdup_printf("%s/bad", dir);
    g_autofree char *out = g_strdup_printf("exec:cat > %s", good);
    g_autofree char *in = g_strdup_printf("exec:cat %s", bad);
    g_autofree char *st = NULL;
    g_autofree char *buf = NULL;
    uint8_t *p = NULL, *ch;
    uint32_t mem_size;
    gint64 end;
    gsize len, i;
    QTestState *d;
    Hermes h;

    hermes_start_one(&h);
    st = migrate(h.qts, out);
    g_assert_cmpstr(st, ==, "completed");
    hermes_stop(&h);

    g_assert_true(g_file_get_contents(good, &buf, &len, NULL));
    for (i = 0; i + sizeof(sig) + 4 + 2 * 256 + 8 + 77 <= len; i++) {
        if (!memcmp(buf + i, sig, sizeof(sig))) {
            g_assert_null(p);
            p = (uint8_t *)buf + i;
        }
    }
    g_assert_nonnull(p);
    mem_size = ldl_be_p(p + sizeof(sig));
    /* then pslot_used, dslot_used, user_ie, chan_ie, and h2c[0] */
    ch = p + sizeof(sig) + 4 + 2 * 256 + 8;
    stl_be_p(ch + 4, DMA_BUSY);                 /* status */
    ch[40] = 1;                                 /* cur_valid */
    stl_be_p(ch + 45, 0x1000);                  /* cur_len */
    stl_be_p(ch + 49, 0);                       /* cur_done */
    stq_be_p(ch + 53, mem_size - 0x10);         /* cur_card */
    g_assert_true(g_file_set_contents(bad, buf, len, NULL));

    d = qtest_initf("-machine pc -nodefaults -device hermes,addr=04.0 "
                    "-incoming defer");
    qtest_set_expected_status(d, 1);
    qtest_qmp_send(d, "{ 'execute': 'migrate-incoming', "
                   "'arguments': { 'uri': %s } }", in);
    end = g_get_monotonic_time() + WAIT_US;
    while (qtest_probe_child(d)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(10 * 1000);
    }
    qtest_quit(d);
    unlink(good);
    unlink(bad);
    rmdir(dir);
}

/* Unplugging a device stops its workers even with a program running. */
static void test_unplug_running(void)
{
    Hermes h;
    uint8_t ps, ds;
    uint32_t plen;
    Req r;
    int e;

    hermes_start_one(&h);
    qtest_qmp_device_add(h.qts, "hermes", "hp", "{'addr': '0x06'}");
    g_free(h.dev[0]);
    hermes_map(&h, 0, 6);
    ps = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);
    plen = LOAD_PROG(&h, ps, prog_loop);
    for (e = 0; e < 4; e++) {
        r = req_run(e, ps, ds, plen);
        req_repeat_budget(&r, 0, UINT32_MAX);
        submit_on(&h, 0, e, &r);
        g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(e)) & 0xff, ==, 1);
    }
    qpci_msix_disable(h.dev[0]);
    qpci_unplug_acpi_device_test(h.qts, "hp", 6);
    g_free(h.dev[0]);
    h.dev[0] = NULL;

    /* the first device is still there and works */
    hermes_map(&h, 0, 4);
    g_assert_cmpuint(rd32(&h, 0, EHVER), ==, 2);
    g_assert_cmpuint(alloc_slot(&h, 1), ==, 0);
    hermes_stop(&h);
}

static void test_map_caps(void)
{
    Hermes h;
    Req r;

    hermes_start_one(&h);
    g_assert_cmphex(rd32(&h, 0, EHCAPCMDS), ==, 0xf);
    g_assert_cmphex(rd64(&h, 0, EHCAPMAPTYPES), ==, 1u << 1 | 1u << 2);
    g_assert_cmpuint(rd32(&h, 0, EHCAPMAPMAX), ==, 64);
    g_assert_cmpuint(rd32(&h, 0, EHCAPMAPMEM), ==, 4096);
    /* maps 1-3 beside ktime 5, prandom 7, processor id 8, csum_diff 28 */
    g_assert_cmphex(rd32(&h, 0, EHCAPHELPER), ==, 0x100001ae);
    hermes_stop(&h);

    hermes_start(&h, "-device hermes,addr=04.0,map-memory=0");
    g_assert_cmphex(rd32(&h, 0, EHCAPCMDS), ==, 0x7);
    g_assert_cmphex(rd64(&h, 0, EHCAPMAPTYPES), ==, 0);
    g_assert_cmpuint(rd32(&h, 0, EHCAPMAPMAX), ==, 0);
    g_assert_cmpuint(rd32(&h, 0, EHCAPMAPMEM), ==, 0);
    g_assert_cmphex(rd32(&h, 0, EHCAPHELPER), ==, 0x100001a0);
    r = req_map_create(1, MAP_ARRAY, 4, 8, 1);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_OPCODE);
    hermes_stop(&h);

    hermes_start(&h, "-device hermes,addr=04.0,map-memory=64K");
    g_assert_cmpuint(rd32(&h, 0, EHCAPMAPMEM), ==, 64);
    hermes_stop(&h);
}

static void test_map_array(void)
{
    Hermes h;
    uint32_t id, fp;
    uint64_t v;
    uint8_t ds;

    hermes_start_one(&h);
    ds = alloc_slot(&h, 1);
    /* 4 values of 12 bytes: vstride 16, 64 bytes */
    g_assert_cmpuint(map_create(&h, MAP_ARRAY, 4, 12, 4, &id, &fp), ==,
                     ST_SUCCESS);
    g_assert_cmpuint(id, ==, 0);
    g_assert_cmpuint(fp, ==, 64);

    /* elements start at zero; the copy is exactly value_size bytes */
    dwr32(&h, ds, 0, 3);
    dwr64(&h, ds, 128, UINT64_MAX);
    dwr64(&h, ds, 136, UINT64_MAX);
    g_assert_cmpuint(map_op(&h, 0x42, 0, id, ds, 0, 128), ==, ST_SUCCESS);
    g_assert_cmphex(drd64(&h, ds, 128), ==, 0);
    g_assert_cmphex(drd64(&h, ds, 136), ==, 0xffffffff00000000ULL);

    dwr64(&h, ds, 64, 0x1122334455667788ULL);
    dwr32(&h, ds, 72, 0x99aabbcc);
    g_assert_cmpuint(map_op(&h, 0x43, 0, id, ds, 0, 64), ==, ST_SUCCESS);
    g_assert_cmpuint(map_op(&h, 0x42, 0, id, ds, 0, 128), ==, ST_SUCCESS);
    g_assert_cmphex(drd64(&h, ds, 128), ==, 0x1122334455667788ULL);
    g_assert_cmphex(drd32(&h, ds, 136), ==, 0x99aabbcc);

    /* flags: NOEXIST is EEXIST, EXIST replaces; 3 is invalid */
    g_assert_cmpuint(map_op(&h, 0x43, 1, id, ds, 0, 64), ==, ST_MAP_EXIST);
    g_assert_cmpuint(hupdate(&h, id, ds, 1, 7, 2), ==, ST_SUCCESS);
    g_assert_cmpuint(hlookup(&h, id, ds, 1, &v), ==, ST_SUCCESS);
    g_assert_cmphex(v, ==, 7);
    g_assert_cmpuint(hupdate(&h, id, ds, 1, 7, 3), ==, ST_INVALID_FIELD);

    /* index out of range: update E2BIG, lookup ENOENT; no delete */
    g_assert_cmpuint(hupdate(&h, id, ds, 4, 7, 0), ==, ST_MAP_FULL);
    g_assert_cmpuint(hlookup(&h, id, ds, 4, &v), ==, ST_MAP_NOENT);
    g_assert_cmphex(v, ==, 0xdeadbeefdeadbeefULL);
    dwr32(&h, ds, 0, 1);
    g_assert_cmpuint(map_op(&h, 0x44, 0, id, ds, 0, 0), ==, ST_INVALID_FIELD);

    /* get next key: first is 0, 2 -> 3, 3 -> none, 9 -> 0 */
    g_assert_cmpuint(map_op(&h, 0x45, 1, id, ds, 0, 256), ==, ST_SUCCESS);
    g_assert_cmpuint(drd32(&h, ds, 256), ==, 0);
    dwr32(&h, ds, 0, 2);
    g_assert_cmpuint(map_op(&h, 0x45, 0, id, ds, 0, 256), ==, ST_SUCCESS);
    g_assert_cmpuint(drd32(&h, ds, 256), ==, 3);
    dwr32(&h, ds, 0, 3);
    g_assert_cmpuint(map_op(&h, 0x45, 0, id, ds, 0, 256), ==, ST_MAP_NOENT);
    dwr32(&h, ds, 0, 9);
    g_assert_cmpuint(map_op(&h, 0x45, 0, id, ds, 0, 256), ==, ST_SUCCESS);
    g_assert_cmpuint(drd32(&h, ds, 256), ==, 0);
    hermes_stop(&h);
}

/* The specification's FNV-1a of a 4-byte little-endian key */
static uint32_t fnv1a_u32(uint32_t key)
{
    uint32_t h = 0x811c9dc5u;
    int i;

    for (i = 0; i < 4; i++) {
        h = (h ^ ((key >> (8 * i)) & 0xff)) * 0x01000193u;
    }
    return h;
}

static void test_map_hash(void)
{
    static const uint32_t keys[] = { 0x10, 0x2000, 0x30000 };
    uint32_t want[3], got[3];
    Hermes h;
    uint32_t id, fp, b, n = 0;
    uint64_t v;
    uint8_t ds;
    int i, k;

    hermes_start_one(&h);
    ds = alloc_slot(&h, 1);
    g_assert_cmpuint(map_create(&h, MAP_ARRAY, 4, 8, 1, &id, NULL), ==,
                     ST_SUCCESS);
    g_assert_cmpuint(id, ==, 0);
    /* 4 buckets: 16 + 3 * (8 + 8 + 16) = 112, 128 */
    g_assert_cmpuint(map_create(&h, MAP_HASH, 4, 16, 3, &id, &fp), ==,
                     ST_SUCCESS);
    g_assert_cmpuint(id, ==, 1);
    g_assert_cmpuint(fp, ==, 128);

    g_assert_cmpuint(hlookup(&h, id, ds, keys[0], &v), ==, ST_MAP_NOENT);
    g_assert_cmpuint(hupdate(&h, id, ds, keys[0], 100, 2), ==, ST_MAP_NOENT);
    for (i = 0; i < 3; i++) {
        g_assert_cmpuint(hupdate(&h, id, ds, keys[i], 100 + i, 1), ==,
                         ST_SUCCESS);
    }
    g_assert_cmpuint(hupdate(&h, id, ds, 0x77, 1, 0), ==, ST_MAP_FULL);
    g_assert_cmpuint(hupdate(&h, id, ds, keys[1], 1, 1), ==, ST_MAP_EXIST);
    g_assert_cmpuint(hupdate(&h, id, ds, keys[1], 201, 2), ==, ST_SUCCESS);
    for (i = 0; i < 3; i++) {
        g_assert_cmpuint(hlookup(&h, id, ds, keys[i], &v), ==, ST_SUCCESS);
        g_assert_cmpuint(v, ==, i == 1 ? 201 : 100 + i);
    }

    /* iteration: buckets in order, newest first in a chain */
    for (b = 0; b < 4; b++) {
        for (k = 2; k >= 0; k--) {
            if ((fnv1a_u32(keys[k]) & 3) == b) {
                want[n++] = keys[k];
            }
        }
    }
    g_assert_cmpuint(map_op(&h, 0x45, 1, id, ds, 0, 256), ==, ST_SUCCESS);
    got[0] = drd32(&h, ds, 256);
    for (i = 1; i < 3; i++) {
        dwr32(&h, ds, 0, got[i - 1]);
        g_assert_cmpuint(map_op(&h, 0x45, 0, id, ds, 0, 256), ==, ST_SUCCESS);
        got[i] = drd32(&h, ds, 256);
    }
    dwr32(&h, ds, 0, got[2]);
    g_assert_cmpuint(map_op(&h, 0x45, 0, id, ds, 0, 256), ==, ST_MAP_NOENT);
    for (i = 0; i < 3; i++) {
        g_assert_cmphex(got[i], ==, want[i]);
    }

    /* delete, then the freed element takes a new key */
    dwr32(&h, ds, 0, keys[2]);
    g_assert_cmpuint(map_op(&h, 0x44, 0, id, ds, 0, 0), ==, ST_SUCCESS);
    g_assert_cmpuint(map_op(&h, 0x44, 0, id, ds, 0, 0), ==, ST_MAP_NOENT);
    g_assert_cmpuint(hlookup(&h, id, ds, keys[2], &v), ==, ST_MAP_NOENT);
    g_assert_cmpuint(hupdate(&h, id, ds, 0x77, 77, 0), ==, ST_SUCCESS);
    g_assert_cmpuint(hlookup(&h, id, ds, 0x77, &v), ==, ST_SUCCESS);
    g_assert_cmpuint(v, ==, 77);
    hermes_stop(&h);
}

static void test_map_errors(void)
{
    Hermes h;
    uint32_t id, fp, big, i;
    uint8_t ds;
    Req r;

    hermes_start_one(&h);
    ds = alloc_slot(&h, 1);

    /* INVALID_FIELD: type, sizes, flags, reserved bytes */
    g_assert_cmpuint(map_create(&h, 3, 4, 8, 1, NULL, NULL), ==,
                     ST_INVALID_FIELD);
    g_assert_cmpuint(map_create(&h, MAP_ARRAY, 8, 8, 1, NULL, NULL), ==,
                     ST_INVALID_FIELD);
    g_assert_cmpuint(map_create(&h, MAP_HASH, 0, 8, 1, NULL, NULL), ==,
                     ST_INVALID_FIELD);
    g_assert_cmpuint(map_create(&h, MAP_HASH, 4, 65537, 1, NULL, NULL), ==,
                     ST_INVALID_FIELD);
    g_assert_cmpuint(map_create(&h, MAP_HASH, 4, 8, 0, NULL, NULL), ==,
                     ST_INVALID_FIELD);
    r = req_map_create(1, MAP_HASH, 4, 8, 1);
    r.b[24] = 1;        /* map flags */
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_FIELD);

    g_assert_cmpuint(map_create(&h, MAP_HASH, 4, 8, 4, &id, NULL), ==,
                     ST_SUCCESS);
    r = req_map(0x42, 0, id, ds, 0, 64);
    r.b[13] = 1;
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_FIELD);
    r = req_map(0x42, 0, id, ds, 0, 64);
    r.b[1] = 1;
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_FIELD);
    g_assert_cmpuint(map_op(&h, 0x44, 0, id, ds, 0, 64), ==, ST_INVALID_FIELD);
    g_assert_cmpuint(map_op(&h, 0x45, 1, id, ds, 4, 64), ==, ST_INVALID_FIELD);
    g_assert_cmpuint(map_op(&h, 0x45, 2, id, ds, 0, 64), ==, ST_INVALID_FIELD);
    /* flags are checked before the map ID */
    g_assert_cmpuint(map_op(&h, 0x43, 4, 99, ds, 0, 64), ==, ST_INVALID_FIELD);

    /* INVALID_MAP: out of range, never allocated, freed */
    g_assert_cmpuint(map_op(&h, 0x42, 0, 64, ds, 0, 64), ==, ST_INVALID_MAP);
    g_assert_cmpuint(map_op(&h, 0x42, 0, 0xffffffff, ds, 0, 64), ==,
                     ST_INVALID_MAP);
    g_assert_cmpuint(map_op(&h, 0x42, 0, id + 1, ds, 0, 64), ==,
                     ST_INVALID_MAP);
    g_assert_cmpuint(map_op(&h, 0x41, 0, id + 1, 0, 0, 0), ==, ST_INVALID_MAP);
    /* map before data slot, data slot before offsets */
    g_assert_cmpuint(map_op(&h, 0x42, 0, id + 1, ds + 1, 0, 1 * MiB), ==,
                     ST_INVALID_MAP);
    g_assert_cmpuint(map_op(&h, 0x42, 0, id, ds + 1, 0, 1 * MiB), ==,
                     ST_INVALID_DATA_SLOT);
    g_assert_cmpuint(map_op(&h, 0x42, 0, id, 200, 0, 64), ==,
                     ST_INVALID_DATA_SLOT);
    g_assert_cmpuint(map_op(&h, 0x42, 0, id, ds, SLOT_SIZE - 3, 64), ==,
                     ST_INVALID_ADDRESS);
    g_assert_cmpuint(map_op(&h, 0x42, 0, id, ds, 0, SLOT_SIZE - 7), ==,
                     ST_INVALID_ADDRESS);
    g_assert_cmpuint(map_op(&h, 0x42, 0, id, ds, 0, 0xfffffffc), ==,
                     ST_INVALID_ADDRESS);
    dwr32(&h, ds, SLOT_SIZE - 4, 5);
    g_assert_cmpuint(map_op(&h, 0x42, 0, id, ds, SLOT_SIZE - 4,
                            SLOT_SIZE - 8), ==, ST_MAP_NOENT);
    g_assert_cmpuint(map_op(&h, 0x41, 0, id, 0, 0, 0), ==, ST_SUCCESS);
    g_assert_cmpuint(map_op(&h, 0x41, 0, id, 0, 0, 0), ==, ST_INVALID_MAP);
    g_assert_cmpuint(map_op(&h, 0x42, 0, id, ds, 0, 64), ==, ST_INVALID_MAP);
    r = req_map(0x46, 0, 0, ds, 0, 64);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_OPCODE);

    /* map memory: 4 MiB exactly fits, then nothing more */
    big = 4 * MiB / 8;
    g_assert_cmpuint(map_create(&h, MAP_ARRAY, 4, 8, big, &id, &fp), ==,
                     ST_SUCCESS);
    g_assert_cmpuint(fp, ==, 4 * MiB);
    g_assert_cmpuint(map_create(&h, MAP_ARRAY, 4, 8, 1, NULL, NULL), ==,
                     ST_NO_MAP_MEMORY);
    g_assert_cmpuint(map_op(&h, 0x41, 0, id, 0, 0, 0), ==, ST_SUCCESS);
    g_assert_cmpuint(map_create(&h, MAP_ARRAY, 4, 8, big + 1, NULL, NULL), ==,
                     ST_NO_MAP_MEMORY);
    g_assert_cmpuint(map_create(&h, MAP_HASH, 4, 8, 1u << 29, NULL, NULL), ==,
                     ST_NO_MAP_MEMORY);

    /* map IDs: 64, the lowest free one is taken */
    for (i = 0; i < 64; i++) {
        g_assert_cmpuint(map_create(&h, MAP_ARRAY, 4, 8, 1, &id, NULL), ==,
                         ST_SUCCESS);
        g_assert_cmpuint(id, ==, i);
    }
    g_assert_cmpuint(map_create(&h, MAP_ARRAY, 4, 8, 1, NULL, NULL), ==,
                     ST_NO_SPACE);
    g_assert_cmpuint(map_op(&h, 0x41, 0, 17, 0, 0, 0), ==, ST_SUCCESS);
    g_assert_cmpuint(map_create(&h, MAP_ARRAY, 4, 8, 1, &id, NULL), ==,
                     ST_SUCCESS);
    g_assert_cmpuint(id, ==, 17);

    /* a reset frees every map: all the memory is there again */
    dev_reset(&h, 0);
    ds = alloc_slot(&h, 1);
    g_assert_cmpuint(map_op(&h, 0x42, 0, 0, ds, 0, 64), ==, ST_INVALID_MAP);
    g_assert_cmpuint(map_create(&h, MAP_ARRAY, 4, 8, big, &id, NULL), ==,
                     ST_SUCCESS);
    g_assert_cmpuint(id, ==, 0);
    hermes_stop(&h);
}

/*
 * A program that counts the u32 key at data[0] in map 1 (HASH) and
 * returns the new count.
 */
/* Submit the map command @r on engine 0 of device 0 (no wait). */
static void map_submit(Hermes *h, const Req *r)
{
    submit_on(h, 0, 0, r);
}

/* The status of the command engine 0 completed, waiting for it */
static uint8_t map_wait(Hermes *h)
{
    wait_done_on(h, 0, 0);
    /* a map command runs no program: response bytes 3 to 15 are 0 */
    g_assert_cmphex(rd32(h, 0, EHCMDRES(0)) >> 24, ==, 0);
    g_assert_cmphex(rd64(h, 0, EHCMDRES(0) + 8), ==, 0);
    return (rd32(h, 0, EHCMDRES(0)) >> 16) & 0xff;
}

/*
 * Map commands honour ABORT and the VM's run state like runs: a map
 * command written while the VM is stopped waits for it to run, and an
 * ABORT ends it meanwhile with status ABORTED, the map unchanged (as a
 * HASH operation that the abort stops in its walk of a long chain).
 */
static void test_map_abort(void)
{
    Hermes h;
    uint8_t ds;
    uint32_t id, free_id;
    uint64_t v;
    Req r;

    hermes_start_one(&h);
    ds = alloc_slot(&h, 1);
    g_assert_cmpuint(map_create(&h, MAP_HASH, 4, 8, 64, &id, NULL), ==,
                     ST_SUCCESS);
    g_assert_cmpuint(hupdate(&h, id, ds, 1, 0x11, 0), ==, ST_SUCCESS);

    /* UPDATE, DELETE, GET NEXT KEY and CREATE wait, and are aborted */
    qtest_qmp_assert_success(h.qts, "{ 'execute': 'stop' }");
    dwr32(&h, ds, 0, 2);
    dwr64(&h, ds, 64, 0x22);
    r = req_map(0x43, 0, id, ds, 0, 64);
    map_submit(&h, &r);
    g_usleep(50 * 1000);
    g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(0)) & 0xff, ==, 1);
    qpci_io_writeb(h.dev[0], h.bar0[0], EHCMDCTRL(0) + 3, 1);
    g_assert_cmpuint(map_wait(&h), ==, ST_ABORTED);
    dwr32(&h, ds, 0, 1);
    r = req_map(0x44, 0, id, ds, 0, 0);
    map_submit(&h, &r);
    qpci_io_writeb(h.dev[0], h.bar0[0], EHCMDCTRL(0) + 3, 1);
    g_assert_cmpuint(map_wait(&h), ==, ST_ABORTED);
    r = req_map(0x45, 1, id, ds, 0, 128);
    dwr32(&h, ds, 128, 0xdead);
    map_submit(&h, &r);
    qpci_io_writeb(h.dev[0], h.bar0[0], EHCMDCTRL(0) + 3, 1);
    g_assert_cmpuint(map_wait(&h), ==, ST_ABORTED);
    g_assert_cmphex(drd32(&h, ds, 128), ==, 0xdead);
    r = req_map_create(0x4041, MAP_ARRAY, 4, 8, 1);
    map_submit(&h, &r);
    qpci_io_writeb(h.dev[0], h.bar0[0], EHCMDCTRL(0) + 3, 1);
    g_assert_cmpuint(map_wait(&h), ==, ST_ABORTED);

    /* a LOOKUP written while stopped completes when the VM runs */
    dwr32(&h, ds, 0, 1);
    r = req_map(0x42, 0, id, ds, 0, 128);
    map_submit(&h, &r);
    g_usleep(50 * 1000);
    g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(0)) & 0xff, ==, 1);
    qtest_qmp_assert_success(h.qts, "{ 'execute': 'cont' }");
    g_assert_cmpuint(map_wait(&h), ==, ST_SUCCESS);
    g_assert_cmphex(drd64(&h, ds, 128), ==, 0x11);

    /* nothing changed: key 1 alone, and the next free map ID is 1 */
    g_assert_cmpuint(hlookup(&h, id, ds, 1, &v), ==, ST_SUCCESS);
    g_assert_cmphex(v, ==, 0x11);
    g_assert_cmpuint(hlookup(&h, id, ds, 2, &v), ==, ST_MAP_NOENT);
    g_assert_cmpuint(map_create(&h, MAP_ARRAY, 4, 8, 1, &free_id, NULL), ==,
                     ST_SUCCESS);
    g_assert_cmpuint(free_id, ==, id + 1);
    /* an ABORT when the engine is idle changes nothing */
    qpci_io_writeb(h.dev[0], h.bar0[0], EHCMDCTRL(0) + 3, 1);
    g_assert_cmpuint(hupdate(&h, id, ds, 2, 0x22, 0), ==, ST_SUCCESS);
    hermes_stop(&h);
}

static const uint64_t prog_map_count[] = {
    LDXW(6, 1, 0),
    STXW(10, 6, -4),
    LDDW_MAP(1, 1), 0,
    MOV64_REG(2, 10),
    ADD64_IMM(2, -4),
    CALL(1),
    JNE_IMM(0, 0, 11),
    STDW(10, -16, 1),
    LDDW_MAP(1, 1), 0,
    MOV64_REG(2, 10),
    ADD64_IMM(2, -4),
    MOV64_REG(3, 10),
    ADD64_IMM(3, -16),
    MOV64_IMM(4, 1),
    CALL(2),
    MOV64_IMM(0, 1),
    EXIT(),
    MOV64_IMM(1, 1),
    INSN(0xdb, 0, 1, 0, 0x01),      /* r1 = fetch_add(*(u64 *)r0, 1) */
    MOV64_REG(0, 1),
    ADD64_IMM(0, 1),
    EXIT(),
};

static void test_map_program(void)
{
    static const uint32_t keys[] = { 5, 9, 5, 5, 9, 1 };
    static const uint64_t prog_absent[] = {
        MOV64_IMM(0, 0), LDDW_MAP(1, 7), 0, EXIT(),
    };
    static const uint64_t prog_value_in[] = {
        MOV64_IMM(1, 1), STXW(10, 1, -4),
        LDDW_MAP(1, 0), 0, MOV64_REG(2, 10), ADD64_IMM(2, -4), CALL(1),
        LDXDW(0, 0, 4), EXIT(),
    };
    static const uint64_t prog_value_oob[] = {
        MOV64_IMM(1, 1), STXW(10, 1, -4),
        LDDW_MAP(1, 0), 0, MOV64_REG(2, 10), ADD64_IMM(2, -4), CALL(1),
        LDXDW(0, 0, 5), EXIT(),
    };
    /* a 4-byte key at ctx + 61 crosses the end of the 64-byte context */
    static const uint64_t prog_bad_key[] = {
        LDDW_MAP(1, 1), 0, MOV64_REG(2, 3), ADD64_IMM(2, 61), CALL(1),
        EXIT(),
    };
    /* map 1 is a map, but the program does not name it */
    static const uint64_t prog_bad_ref[] = {
        LDDW_MAP(1, 0), 0, ADD64_IMM(1, 1), INSN(0x07, 1, 0, 0, -1),
        INSN(0x18, 6, 0, 0, 0), 1ULL << 32, ADD64_REG(1, 6),
        MOV64_REG(2, 10), CALL(2), EXIT(),
    };
    Hermes h;
    uint8_t ps, ps2, ds, dk;
    uint32_t plen, id, i, busy;
    uint64_t r0, v;
    Req r;

    hermes_start_one(&h);
    ps = alloc_slot(&h, 0);
    ps2 = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);
    dk = alloc_slot(&h, 1);
    g_assert_cmpuint(map_create(&h, MAP_ARRAY, 4, 12, 2, &id, NULL), ==,
                     ST_SUCCESS);
    g_assert_cmpuint(map_create(&h, MAP_HASH, 4, 8, 16, &id, NULL), ==,
                     ST_SUCCESS);
    g_assert_cmpuint(id, ==, 1);
    plen = LOAD_PROG(&h, ps, prog_map_count);
    for (i = 0; i < ARRAY_SIZE(keys); i++) {
        dwr32(&h, ds, 0, keys[i]);
        r = req_run(0x700 + i, ps, ds, plen);
        g_assert_cmpuint(cmd(&h, &r, &r0), ==, ST_SUCCESS);
        g_assert_cmpuint(r0, ==, i < 2 || i == 5 ? 1 : i == 4 ? 2 : i);
    }
    g_assert_cmpuint(hlookup(&h, 1, dk, 5, &v), ==, ST_SUCCESS);
    g_assert_cmpuint(v, ==, 3);
    g_assert_cmpuint(hlookup(&h, 1, dk, 9, &v), ==, ST_SUCCESS);
    g_assert_cmpuint(v, ==, 2);
    g_assert_cmpuint(hlookup(&h, 1, dk, 1, &v), ==, ST_SUCCESS);
    g_assert_cmpuint(v, ==, 1);

    /* four engines at once, 2000 runs each, on one key: nothing lost */
    g_assert_cmpuint(hupdate(&h, 1, dk, 42, 0, 1), ==, ST_SUCCESS);
    dwr32(&h, ds, 0, 42);
    for (i = 0; i < 4; i++) {
        r = req_run(0x800 + i, ps, ds, plen);
        req_repeat_budget(&r, 2000, 0);
        submit_on(&h, 0, i, &r);
    }
    for (i = 0; i < 4; i++) {
        wait_done_on(&h, 0, i);
        g_assert_cmphex(rd32(&h, 0, EHCMDRES(i)) >> 16 & 0xff, ==,
                        ST_SUCCESS);
    }
    g_assert_cmpuint(hlookup(&h, 1, dk, 42, &v), ==, ST_SUCCESS);
    g_assert_cmpuint(v, ==, 8000);

    /*
     * three engines count key 7 while the host inserts, reads and deletes
     * other keys through the fourth
     */
    g_assert_cmpuint(hupdate(&h, 1, dk, 7, 0, 1), ==, ST_SUCCESS);
    dwr32(&h, ds, 0, 7);
    for (i = 0; i < 3; i++) {
        r = req_run(0x810 + i, ps, ds, plen);
        req_repeat_budget(&r, 1000000, 0);
        submit_on(&h, 0, i, &r);
    }
    /* (the host's commands normally complete while the runs go on) */
    busy = rd32(&h, 0, EHCMDCTRL(0)) & 1;
    for (i = 0; i < 10; i++) {
        dwr32(&h, dk, 0, 100 + i);
        dwr64(&h, dk, 64, 1000 + i);
        r = req_map(0x43, 1, 1, dk, 0, 64);
        g_assert_cmpuint(cmd_on(&h, 0, 3, &r, NULL), ==, ST_SUCCESS);
        r = req_map(0x42, 0, 1, dk, 0, 128);
        g_assert_cmpuint(cmd_on(&h, 0, 3, &r, NULL), ==, ST_SUCCESS);
        g_assert_cmpuint(drd64(&h, dk, 128), ==, 1000 + i);
        if (i & 1) {
            r = req_map(0x44, 0, 1, dk, 0, 0);
            g_assert_cmpuint(cmd_on(&h, 0, 3, &r, NULL), ==, ST_SUCCESS);
        }
    }
    g_test_message("engine 0 %s while the host used the map",
                   busy && (rd32(&h, 0, EHCMDCTRL(0)) & 1) ? "ran" :
                   "did not run throughout");
    for (i = 0; i < 3; i++) {
        wait_done_on(&h, 0, i);
        g_assert_cmphex(rd32(&h, 0, EHCMDRES(i)) >> 16 & 0xff, ==,
                        ST_SUCCESS);
    }
    g_assert_cmpuint(hlookup(&h, 1, dk, 7, &v), ==, ST_SUCCESS);
    g_assert_cmpuint(v, ==, 3000000);
    for (i = 0; i < 10; i++) {
        g_assert_cmpuint(hlookup(&h, 1, dk, 100 + i, &v), ==,
                         i & 1 ? ST_MAP_NOENT : ST_SUCCESS);
        if (!(i & 1)) {
            g_assert_cmpuint(v, ==, 1000 + i);
        }
    }

    /*
     * MAP FREE during a run that names the map: the ID is free at once,
     * the run goes on with the old map, whose memory counts until then
     */
    r = req_run(0x820, ps, ds, plen);
    req_repeat_budget(&r, UINT32_MAX, 0);
    submit_on(&h, 0, 0, &r);
    /*
     * The run holds the map once its worker has started it, which this
     * test cannot see: a host lookup to watch it count would starve on
     * the map's lock, which the run takes again at once.  Give the
     * worker time to start before the MAP FREE.
     */
    g_usleep(50 * 1000);
    r = req_map(0x41, 0, 1, 0, 0, 0);
    g_assert_cmpuint(cmd_on(&h, 0, 3, &r, NULL), ==, ST_SUCCESS);
    r = req_map_create(0x821, MAP_ARRAY, 4, 8, 1);
    g_assert_cmpuint(cmd_on(&h, 0, 3, &r, &v), ==, ST_SUCCESS);
    g_assert_cmpuint(v, ==, 1 | 64ULL << 32);
    /* maps 0 and 1 take 64 bytes each, the old map 1 448 */
    r = req_map_create(0x822, MAP_ARRAY, 4, 8, (4 * MiB - 128) / 8);
    g_assert_cmpuint(cmd_on(&h, 0, 3, &r, NULL), ==, ST_NO_MAP_MEMORY);
    g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(0)) & 0xff, ==, 1);
    qpci_io_writeb(h.dev[0], h.bar0[0], EHCMDCTRL(0) + 3, 1);
    wait_done_on(&h, 0, 0);
    g_assert_cmphex(rd32(&h, 0, EHCMDRES(0)) >> 16 & 0xff, ==, ST_ABORTED);
    g_assert_cmpuint(res32(&h, 0, RES_ITERS), >, 0);
    g_assert_cmpuint(cmd_on(&h, 0, 3, &r, &v), ==, ST_SUCCESS);
    g_assert_cmpuint(v, ==, 2 | (uint64_t)(4 * MiB - 128) << 32);
    /* the new map 1 is the new ARRAY */
    g_assert_cmpuint(hlookup(&h, 1, dk, 7, &v), ==, ST_MAP_NOENT);
    g_assert_cmpuint(hlookup(&h, 1, dk, 0, &v), ==, ST_SUCCESS);
    g_assert_cmpuint(v, ==, 0);
    r = req_map(0x41, 0, 2, 0, 0, 0);
    g_assert_cmpuint(cmd_on(&h, 0, 3, &r, NULL), ==, ST_SUCCESS);
    r = req_map(0x41, 0, 1, 0, 0, 0);
    g_assert_cmpuint(cmd_on(&h, 0, 3, &r, NULL), ==, ST_SUCCESS);
    r = req_map_create(0x823, MAP_HASH, 4, 8, 16);
    g_assert_cmpuint(cmd_on(&h, 0, 3, &r, &v), ==, ST_SUCCESS);
    g_assert_cmpuint(v, ==, 1 | 448ULL << 32);

    /* a map the device does not have: refused before it runs */
    plen = LOAD_PROG(&h, ps2, prog_absent);
    r = req_run(0x900, ps2, ds, plen);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_PROGRAM);
    g_assert_cmpuint(res32(&h, 0, RES_FAULT), ==, FAULT_BAD_MAP);
    g_assert_cmpuint(res32(&h, 0, RES_FPC), ==, 1);
    g_assert_cmpuint(res64(&h, 0, RES_INSNS), ==, 0);

    /* values of map 0 are 12 bytes: 8 at offset 4 is the end, 5 is past */
    dwr32(&h, dk, 0, 1);
    dwr64(&h, dk, 64, 0x0807060504030201ULL);
    dwr32(&h, dk, 72, 0x0c0b0a09);
    g_assert_cmpuint(map_op(&h, 0x43, 0, 0, dk, 0, 64), ==, ST_SUCCESS);
    plen = LOAD_PROG(&h, ps2, prog_value_in);
    r = req_run(0x901, ps2, ds, plen);
    g_assert_cmpuint(cmd(&h, &r, &r0), ==, ST_SUCCESS);
    g_assert_cmphex(r0, ==, 0x0c0b0a0908070605ULL);
    plen = LOAD_PROG(&h, ps2, prog_value_oob);
    r = req_run(0x902, ps2, ds, plen);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_EBPF_ERROR);
    g_assert_cmphex(res32(&h, 0, RES_FAULT), ==, FAULT_LOAD | 8 << 8);
    g_assert_cmphex(res64(&h, 0, RES_FADDR), ==, MAP_BASE + 16 + 5);
    g_assert_cmpuint(res32(&h, 0, RES_FPC), ==, 7);

    /* a key the program cannot read: a load fault naming the helper */
    plen = LOAD_PROG(&h, ps2, prog_bad_key);
    r = req_run(0x903, ps2, ds, plen);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_EBPF_ERROR);
    g_assert_cmphex(res32(&h, 0, RES_FAULT), ==, FAULT_LOAD | 1 << 16);
    g_assert_cmphex(res64(&h, 0, RES_FADDR), ==, CTX_BASE + 61);
    g_assert_cmpuint(res32(&h, 0, RES_FPC), ==, 4);

    /* r1 not a map the program names: a helper fault */
    plen = LOAD_PROG(&h, ps2, prog_bad_ref);
    r = req_run(0x904, ps2, ds, plen);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_EBPF_ERROR);
    g_assert_cmphex(res32(&h, 0, RES_FAULT), ==, FAULT_HELPER | 2 << 16);
    hermes_stop(&h);
}

/*
 * stack-size sets the frame size the device reports and enforces: the
 * last byte below r10 of a 64-byte frame is writable, the next one is not.
 */
static void test_stack_size(void)
{
    static const uint64_t prog_in[] = {
        STDW(10, -64, 0x5a),
        LDXDW(0, 10, -64),
        EXIT(),
    };
    static const uint64_t prog_out[] = {
        STDW(10, -72, 0x5a),
        MOV64_IMM(0, 0),
        EXIT(),
    };
    Hermes h;
    uint8_t ps, ds;
    uint64_t r0;
    uint32_t plen;
    Req r;

    hermes_start(&h, "-device hermes,addr=04.0,stack-size=64");
    g_assert_cmpuint(rd32(&h, 0, EHCAPSTACK), ==, 64);
    g_assert_cmpuint(rd32(&h, 0, EHCAPDEPTH), ==, STACK_DEPTH);
    ps = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);

    plen = LOAD_PROG(&h, ps, prog_in);
    r = req_run(1, ps, ds, plen);
    g_assert_cmpuint(cmd(&h, &r, &r0), ==, ST_SUCCESS);
    g_assert_cmphex(r0, ==, 0x5a);

    plen = LOAD_PROG(&h, ps, prog_out);
    r = req_run(2, ps, ds, plen);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_EBPF_ERROR);
    g_assert_cmphex(res32(&h, 0, RES_FAULT), ==, FAULT_STORE | 8 << 8);
    g_assert_cmphex(res64(&h, 0, RES_FADDR), ==,
                    STACK_BASE + STACK_DEPTH * 64 - 72);
    g_assert_cmpuint(res32(&h, 0, RES_FPC), ==, 0);
    hermes_stop(&h);

    hermes_start(&h, "-device hermes,addr=04.0,stack-size=264");
    g_assert_cmpuint(rd32(&h, 0, EHCAPSTACK), ==, 264);
    hermes_stop(&h);
}

/* A configuration the specification does not allow is refused. */
static void test_bad_config(void)
{
    static const struct {
        const char *prop;
        int value;
        bool f1;        /* the windows' own checks need f1=on */
    } bad[] = {
        { "engines", 0 }, { "engines", 17 }, { "data-slots", 0 },
        { "prog-slot-size", 1000 }, { "data-slot-size", 0 },
        { "stack-size", 0 }, { "stack-size", 56 }, { "stack-size", 100 },
        { "stack-size", 520 }, { "stack-size", 4096 },
        { "map-memory", 1000 }, { "map-memory", 1073742848 },
        { "f1-window", 64 * MiB }, { "x-mem-window", 64 * MiB },
        { "f1-window", 100 * MiB, true }, { "f1-window", 16 * MiB, true },
        { "x-mem-window", 1000, true }, { "x-mem-window", 2048, true },
    };
    QTestState *qts = qtest_init("-machine pc -nodefaults");
    size_t k;

    for (k = 0; k < ARRAY_SIZE(bad); k++) {
        QDict *resp = qtest_qmp(qts, "{ 'execute': 'device_add', "
                                "'arguments': { 'driver': 'hermes', "
                                "'id': 'bad', 'f1': %i, %s: %d } }",
                                bad[k].f1, bad[k].prop, bad[k].value);

        g_assert_true(qdict_haskey(resp, "error"));
        qobject_unref(resp);
    }
    qtest_quit(qts);
}

/* Record batches (BATCH RUN, 0x81) */

#define BATCH_LENPFX    1

static Req req_batch(uint16_t cid, uint8_t ps, uint8_t ds, uint32_t plen,
                     uint8_t flags, uint32_t ilen, uint32_t rsize,
                     uint32_t resoff)
{
    Req r = req_run(cid, ps, ds, plen);

    r.b[0] = 0x81;
    r.b[1] = flags;
    stl_le_p(&r.b[16], ilen);
    stl_le_p(&r.b[20], rsize);
    stl_le_p(&r.b[24], resoff);
    return r;
}

/*
 * Per record, on its first byte b: 1 drop; 2 shorten to 14 bytes with
 * bpf_xdp_adjust_tail and keep; else keep.  r0 = action | k << 32.
 */
static const uint64_t prog_filter[] = {
    MOV64_REG(6, 3),
    MOV64_REG(7, 2),
    MOV64_REG(9, 4),
    LSH64_IMM(9, 32),
    LDXB(8, 1, 0),
    JEQ_IMM(8, 1, 8),               /* DROP */
    JNE_IMM(8, 2, 4),               /* PASS */
    MOV64_REG(1, 6),
    MOV64_IMM(2, 14),
    SUB64_REG(2, 7),
    CALL(65),
    MOV64_IMM(0, 2),                /* PASS */
    OR64_REG(0, 9),
    EXIT(),
    MOV64_IMM(0, 1),                /* DROP */
    OR64_REG(0, 9),
    EXIT(),
};

/* What prog_filter does to a record, for the expected output */
static bool filter_keeps(const uint8_t *rec, uint32_t len, uint32_t *olen)
{
    *olen = rec[0] == 2 && len >= 14 ? 14 : len;
    return rec[0] != 1;
}

/*
 * Lay out @n records of lengths @lens (LENPFX when @lenpfx) with first
 * bytes @first and a counting pattern; fill @expect with the output and
 * @keep, @olen per record.  Returns the input length.
 */
static uint32_t batch_input(uint8_t *in, uint8_t *expect, uint32_t *exp_len,
                            bool *keep, uint32_t *olen, const uint32_t *lens,
                            const uint8_t *first, uint32_t n, bool lenpfx)
{
    uint32_t off = 0, k, j;

    *exp_len = 0;
    for (k = 0; k < n; k++) {
        if (lenpfx) {
            stl_le_p(in + off, lens[k]);
            off += 4;
        }
        for (j = 0; j < lens[k]; j++) {
            in[off + j] = j ? (uint8_t)(0x40 + k * 16 + j) : first[k];
        }
        keep[k] = filter_keeps(in + off, lens[k], &olen[k]);
        if (keep[k]) {
            if (lenpfx) {
                stl_le_p(expect + *exp_len, olen[k]);
                *exp_len += 4;
            }
            memcpy(expect + *exp_len, in + off, olen[k]);
            *exp_len += olen[k];
        } else {
            olen[k] = 0;
        }
        off += lens[k];
    }
    return off;
}

static void check_table(Hermes *h, uint8_t ds, uint32_t resoff,
                        const bool *keep, const uint32_t *olen, uint32_t n)
{
    uint32_t k;

    for (k = 0; k < n; k++) {
        g_assert_cmphex(drd64(h, ds, resoff + 16 * k), ==,
                        (uint64_t)k << 32 | (keep[k] ? 2 : 1));
        g_assert_cmpuint(drd32(h, ds, resoff + 16 * k + 8), ==, olen[k]);
        g_assert_cmpuint(drd32(h, ds, resoff + 16 * k + 12), ==, keep[k]);
    }
}

static void test_batch(void)
{
    static const uint32_t lens[] = { 20, 16, 30, 13, 14 };
    static const uint8_t first[] = { 0, 1, 2, 2, 7 };
    static const uint32_t flens[] = { 16, 16, 16, 16 };
    static const uint8_t ffirst[] = { 0, 1, 2, 9 };
    uint8_t in[256], expect[256], out[256];
    uint32_t olen[8], exp_len, ilen, plen;
    uint64_t val;
    bool keep[8];
    uint8_t ps, ds;
    Hermes h;
    Req r;

    hermes_start_one(&h);
    g_assert_cmphex(rd32(&h, 0, EHCAPCMDS) & 4, ==, 4);
    ps = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);
    plen = LOAD_PROG(&h, ps, prog_filter);

    /* length-prefixed: keep, drop, shorten, too short to shorten, keep */
    ilen = batch_input(in, expect, &exp_len, keep, olen, lens, first,
                       ARRAY_SIZE(lens), true);
    qpci_memwrite(h.dev[0], h.bar4[0], dslot_addr(&h, 0, ds), in, ilen);
    r = req_batch(0x5150, ps, ds, plen, BATCH_LENPFX, ilen, 0, 256);
    g_assert_cmpuint(cmd(&h, &r, &val), ==, ST_SUCCESS);
    g_assert_cmpuint(exp_len, ==, 4 + 20 + 4 + 14 + 4 + 13 + 4 + 14);
    g_assert_cmpuint((uint32_t)val, ==, exp_len);
    g_assert_cmpuint(val >> 32, ==, 4);
    qpci_memread(h.dev[0], h.bar4[0], dslot_addr(&h, 0, ds), out, exp_len);
    g_assert_cmpmem(out, exp_len, expect, exp_len);
    check_table(&h, ds, 256, keep, olen, ARRAY_SIZE(lens));
    g_assert_cmpuint(res32(&h, 0, RES_ITERS), ==, 5);
    g_assert_cmpuint(res32(&h, 0, RES_DOFF), ==, 0);
    g_assert_cmpuint(res32(&h, 0, RES_DLEN), ==, exp_len);
    g_assert_cmphex(res64(&h, 0, RES_R0), ==, 4ull << 32 | 2);
    g_assert_cmpuint(res64(&h, 0, CNT_RUNS), ==, 5);
    g_assert_cmpuint(res64(&h, 0, RES_INSNS), >, 5 * 8);
    g_assert_cmpuint(res64(&h, 0, RES_TIME), >, 0);

    /* fixed-size records of 16 bytes */
    ilen = batch_input(in, expect, &exp_len, keep, olen, flens, ffirst,
                       ARRAY_SIZE(flens), false);
    qpci_memwrite(h.dev[0], h.bar4[0], dslot_addr(&h, 0, ds), in, ilen);
    r = req_batch(0x5151, ps, ds, plen, 0, ilen, 16, 64);
    g_assert_cmpuint(cmd(&h, &r, &val), ==, ST_SUCCESS);
    g_assert_cmpuint(exp_len, ==, 16 + 14 + 16);
    g_assert_cmphex(val, ==, (uint64_t)3 << 32 | exp_len);
    qpci_memread(h.dev[0], h.bar4[0], dslot_addr(&h, 0, ds), out, exp_len);
    g_assert_cmpmem(out, exp_len, expect, exp_len);
    check_table(&h, ds, 64, keep, olen, ARRAY_SIZE(flens));
    g_assert_cmpuint(res64(&h, 0, CNT_RUNS), ==, 5 + 4);

    /* no records */
    r = req_batch(0x5152, ps, ds, plen, 0, 0, 16, 0);
    g_assert_cmpuint(cmd(&h, &r, &val), ==, ST_SUCCESS);
    g_assert_cmphex(val, ==, 0);
    g_assert_cmpuint(res32(&h, 0, RES_ITERS), ==, 0);
    hermes_stop(&h);
}

static void test_batch_errors(void)
{
    static const uint64_t prog_bad[] = { INSN(0x8d, 0, 0, 0, 0), EXIT() };
    /* keeps every record after reading its byte 16 */
    static const uint64_t prog_ld16[] = {
        LDXB(0, 1, 16),
        MOV64_IMM(0, 2),
        EXIT(),
    };
    uint8_t in[128], out[64];
    uint32_t plen, plen_bad, off, k;
    uint8_t ps, ps_bad, ds;
    uint64_t val;
    Hermes h;
    Req r;

    hermes_start_one(&h);
    ps = alloc_slot(&h, 0);
    ps_bad = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);
    plen = LOAD_PROG(&h, ps, prog_filter);
    plen_bad = LOAD_PROG(&h, ps_bad, prog_bad);

    /* LENPFX: records of 10, 10, then a length past ILEN */
    memset(in, 0, sizeof(in));
    stl_le_p(in, 10);
    stl_le_p(in + 14, 10);
    stl_le_p(in + 28, 40);
    qpci_memwrite(h.dev[0], h.bar4[0], dslot_addr(&h, 0, ds), in, 64);

    r = req_batch(1, ps, ds, plen, BATCH_LENPFX, 64, 0, 64);
    g_assert_cmpuint(cmd(&h, &r, &val), ==, ST_INVALID_RECORDS);
    g_assert_cmpuint(rd32(&h, 0, EHCMDRES(0) + 4), ==, 2);
    g_assert_cmpuint(res32(&h, 0, RES_FPC), ==, 2);
    g_assert_cmphex(val, ==, 0);
    g_assert_cmpuint(res64(&h, 0, CNT_RUNS), ==, 0);
    /* framing is checked before the program */
    r = req_batch(2, ps_bad, ds, plen_bad, BATCH_LENPFX, 64, 0, 64);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_RECORDS);
    r = req_batch(3, ps_bad, ds, plen_bad, BATCH_LENPFX, 28, 0, 64);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_PROGRAM);
    g_assert_cmpuint(rd32(&h, 0, EHCMDRES(0)) >> 24, ==, FAULT_INVALID_INSN);
    /* fixed: 50 bytes of 16-byte records, record 3 is partial */
    r = req_batch(4, ps, ds, plen, 0, 50, 16, 56);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_RECORDS);
    g_assert_cmpuint(rd32(&h, 0, EHCMDRES(0) + 4), ==, 3);
    /* a table with room for 2 of 3 records */
    r = req_batch(5, ps, ds, plen, 0, 48, 16, SLOT_SIZE - 32);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_RECORDS);
    g_assert_cmpuint(rd32(&h, 0, EHCMDRES(0) + 4), ==, 2);

    /* addresses */
    r = req_batch(6, ps, ds, plen, 0, 48, 16, 40);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_ADDRESS);
    r = req_batch(7, ps, ds, plen, 0, 48, 16, 52);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_ADDRESS);
    r = req_batch(8, ps, ds, plen, 0, SLOT_SIZE + 16, 16, SLOT_SIZE + 16);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_ADDRESS);
    r = req_batch(9, ps, ds, 0, 0, 48, 16, 48);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_ADDRESS);

    /* fields, checked before slots */
    r = req_batch(10, ps, ds, plen, 2, 48, 16, 48);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_FIELD);
    r = req_batch(11, ps, ds, plen, BATCH_LENPFX, 48, 16, 48);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_FIELD);
    r = req_batch(12, ps, 15, plen, 0, 48, 0, 48);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_FIELD);
    r = req_batch(13, ps, ds, plen, 0, 48, 16, 48);
    r.b[10] = 1;
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_FIELD);
    r = req_batch(14, ps, 15, plen, 0, 48, 16, 48);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_DATA_SLOT);
    r = req_batch(15, 14, ds, plen, 0, 48, 16, 48);
    g_assert_cmpuint(cmd(&h, &r, NULL), ==, ST_INVALID_PROG_SLOT);
    g_assert_cmpuint(res64(&h, 0, CNT_RUNS), ==, 0);

    /* a fault in record 2 (10 bytes: byte 16 is outside it) */
    plen = LOAD_PROG(&h, ps, prog_ld16);
    memset(in, 0, sizeof(in));
    off = 0;
    for (k = 0; k < 4; k++) {
        uint32_t len = k == 2 ? 10 : 20, j;

        stl_le_p(in + off, len);
        for (j = 0; j < len; j++) {
            in[off + 4 + j] = 0x10 * k + j;
        }
        off += 4 + len;
    }
    qpci_memwrite(h.dev[0], h.bar4[0], dslot_addr(&h, 0, ds), in, off);
    r = req_batch(16, ps, ds, plen, BATCH_LENPFX, off, 0, 128);
    g_assert_cmpuint(cmd(&h, &r, &val), ==, ST_EBPF_ERROR);
    g_assert_cmphex(rd32(&h, 0, EHCMDRES(0)) >> 24, ==, FAULT_LOAD);
    g_assert_cmpuint(rd32(&h, 0, EHCMDRES(0) + 4), ==, 0);
    g_assert_cmphex(val, ==, (uint64_t)2 << 32 | 48);
    g_assert_cmpuint(res32(&h, 0, RES_ITERS), ==, 2);
    g_assert_cmphex(res64(&h, 0, RES_FADDR), ==, DATA_BASE + 48 + 4 + 16);
    g_assert_cmphex(res32(&h, 0, RES_FAULT), ==, FAULT_LOAD | 1 << 8);
    g_assert_cmpuint(res32(&h, 0, RES_DLEN), ==, 48);
    g_assert_cmpuint(res64(&h, 0, CNT_RUNS), ==, 3);
    qpci_memread(h.dev[0], h.bar4[0], dslot_addr(&h, 0, ds), out, 48);
    g_assert_cmpmem(out, 48, in, 48);
    for (k = 0; k < 2; k++) {
        g_assert_cmphex(drd64(&h, ds, 128 + 16 * k), ==, 2);
        g_assert_cmpuint(drd32(&h, ds, 128 + 16 * k + 8), ==, 20);
        g_assert_cmpuint(drd32(&h, ds, 128 + 16 * k + 12), ==, 1);
    }
    hermes_stop(&h);
}

static void test_batch_abort(void)
{
    /* 100000 loop iterations per record, then keep it */
    static const uint64_t prog_slow[] = {
        MOV64_IMM(6, 100000),
        SUB64_IMM(6, 1),
        JNE_IMM(6, 0, -2),
        MOV64_IMM(0, 2),
        EXIT(),
    };
    uint32_t plen, iters;
    uint8_t ps, ds;
    uint64_t val;
    Hermes h;
    Req r;

    hermes_start_one(&h);
    ps = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);
    plen = LOAD_PROG(&h, ps, prog_slow);
    /* 32768 records of 16 bytes: hours of work for the engine */
    r = req_batch(0x66, ps, ds, plen, 0, SLOT_SIZE / 2, 16, SLOT_SIZE / 2);
    submit_on(&h, 0, 0, &r);
    g_usleep(50 * 1000);
    g_assert_cmphex(rd32(&h, 0, EHCMDCTRL(0)) & 0xff, ==, 1);
    qpci_io_writeb(h.dev[0], h.bar0[0], EHCMDCTRL(0) + 3, 1);
    wait_done_on(&h, 0, 0);
    g_assert_cmphex(rd32(&h, 0, EHCMDRES(0)), ==,
                    0x66 | ST_ABORTED << 16 | FAULT_ABORTED << 24);
    iters = res32(&h, 0, RES_ITERS);
    g_assert_cmpuint(iters, <, SLOT_SIZE / 32);
    /* the records before the abort are complete */
    val = rd64(&h, 0, EHCMDRES(0) + 8);
    g_assert_cmphex(val, ==, (uint64_t)iters << 32 | iters * 16);
    g_assert_cmpuint(res32(&h, 0, RES_DLEN), ==, iters * 16);
    if (iters) {
        g_assert_cmphex(drd64(&h, ds, SLOT_SIZE / 2 + 16 * (iters - 1)), ==,
                        2);
        g_assert_cmpuint(drd32(&h, ds, SLOT_SIZE / 2 + 16 * (iters - 1) + 12),
                         ==, 1);
    }
    g_assert_cmpuint(res64(&h, 0, CNT_ERRORS), ==, 1);
    hermes_stop(&h);
}

/*
 * hermes-f1: the card whose custom logic is rtl/hermes_cl.v, run by
 * hermes-f1-sim (HERMES_F1_SIM names the binary; make check-qtest builds
 * it).  No guest kernel: what breaks here is the bridge, not the driver.
 */
typedef struct F1Sim {
    GPid pid;
    char *dir;
    char *sock;
} F1Sim;

static bool f1_sim_start(F1Sim *sim)
{
    const char *bin = g_getenv("HERMES_F1_SIM");
    gint64 end = g_get_monotonic_time() + WAIT_US;
    GError *err = NULL;
    char *argv[4];

    if (!bin) {
        g_test_skip("HERMES_F1_SIM is not set: make check-qtest sets it");
        return false;
    }
    sim->dir = g_dir_make_tmp("hermes-f1-XXXXXX", &err);
    g_assert_no_error(err);
    sim->sock = g_build_filename(sim->dir, "sim.sock", NULL);
    argv[0] = (char *)bin;
    argv[1] = (char *)"--socket";
    argv[2] = sim->sock;
    argv[3] = NULL;
    g_assert_true(g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                NULL, NULL, &sim->pid, &err));
    g_assert_no_error(err);
    while (!g_file_test(sim->sock, G_FILE_TEST_EXISTS)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(10000);
    }
    return true;
}

/* The simulator ends by itself once QEMU has closed the connection. */
static int f1_sim_wait(F1Sim *sim)
{
    gint64 end = g_get_monotonic_time() + WAIT_US;
    int status;

    while (waitpid(sim->pid, &status, WNOHANG) != sim->pid) {
        if (g_get_monotonic_time() > end) {
            kill(sim->pid, SIGKILL);
            g_assert_not_reached();
        }
        g_usleep(10000);
    }
    g_spawn_close_pid(sim->pid);
    rmdir(sim->dir);
    g_free(sim->sock);
    g_free(sim->dir);
    return status;
}

/* A simulator and QEMU with a hermes-f1 on it; false: skipped */
static bool f1_start(Hermes *h, F1Sim *sim)
{
    char *dev;

    if (!f1_sim_start(sim)) {
        return false;
    }
    dev = g_strdup_printf("-device hermes-f1,id=hf1,addr=04.0,sim=%s,"
                          "f1-window=1M", sim->sock);
    hermes_start(h, dev);
    g_free(dev);
    return true;
}

static void f1_stop(Hermes *h, F1Sim *sim)
{
    hermes_stop(h);
    g_assert_cmpint(f1_sim_wait(sim), ==, 0);
}

static void test_f1_registers(void)
{
    char bld[49] = { 0 };
    F1Sim sim;
    Hermes h;
    int k;

    if (!f1_start(&h, &sim)) {
        return;
    }
    g_assert_cmphex(qpci_config_readw(h.dev[0], PCI_VENDOR_ID), ==,
                    F1_VENDOR_ID);
    g_assert_cmphex(qpci_config_readw(h.dev[0], PCI_DEVICE_ID), ==,
                    F1_DEVICE_ID);
    g_assert_cmpuint(bar_size(h.dev[0], 0), ==, 32 * MiB);
    g_assert_cmpuint(bar_size(h.dev[0], 4), ==, 1 * MiB);

    /* the RTL's own registers, through AXI-Lite */
    g_assert_cmpuint(rd32(&h, 0, EHVER), ==, 2);
    for (k = 0; k < 48; k++) {
        bld[k] = qpci_io_readb(h.dev[0], h.bar0[0], EHBLD + k);
    }
    g_assert_cmpstr(bld, ==, "hermes-rtl");
    g_assert_cmphex(rd32(&h, 0, EHCAPSIG), ==, 0x534d5248);
    /* v4 with atomics, div/mod and local calls; no helpers, maps, batches */
    g_assert_cmphex(rd32(&h, 0, EHCAPISA), ==, 4 | 0xb00);
    g_assert_cmphex(rd32(&h, 0, EHCAPCMDS), ==, 0x3);
    g_assert_cmphex(rd64(&h, 0, EHCAPMAPTYPES), ==, 0);
    g_assert_cmpuint(qpci_io_readb(h.dev[0], h.bar0[0], EHENG), ==, 4);
    g_assert_cmpuint(rd64(&h, 0, EHMEMSZ), <=, 1 * MiB);
    /* byte writes reach the CL with their strobes: the request buffer */
    wr32(&h, 0, EHCMDREQ(1) + 28, 0xa5a5a5a5);
    qpci_io_writeb(h.dev[0], h.bar0[0], EHCMDREQ(1) + 29, 0x3c);
    g_assert_cmphex(rd32(&h, 0, EHCMDREQ(1) + 28), ==, 0xa5a53ca5);
    f1_stop(&h, &sim);
}

/*
 * XDMA transfers become DMA_PCIS bursts: bytes written through H2C at an
 * odd card address come back through C2H and through BAR4; a descriptor
 * past the CL's memory never reaches it.
 */
static void test_f1_dma(void)
{
    uint64_t desc, src, dst, mem;
    uint8_t in[5000], out[5000];
    uint32_t done;
    F1Sim sim;
    Hermes h;
    int k;

    if (!f1_start(&h, &sim)) {
        return;
    }
    mem = rd64(&h, 0, EHMEMSZ);
    desc = guest_alloc(&h.alloc, 4096);
    src = guest_alloc(&h.alloc, sizeof(in));
    dst = guest_alloc(&h.alloc, sizeof(out));
    for (k = 0; k < sizeof(in); k++) {
        in[k] = k * 7 + 3;
    }
    qtest_memwrite(h.qts, src, in, sizeof(in));
    put_desc(&h, desc, DESC_MAGIC | DESC_STOP, sizeof(in), src, 13, 0);
    g_assert_cmphex(dma_run(&h, true, desc, &done), ==,
                    DMA_STOPPED | DMA_COMPLETED);
    put_desc(&h, desc, DESC_MAGIC | DESC_STOP, sizeof(out), 13, dst, 0);
    g_assert_cmphex(dma_run(&h, false, desc, &done), ==,
                    DMA_STOPPED | DMA_COMPLETED);
    qtest_memread(h.qts, dst, out, sizeof(out));
    g_assert_cmpmem(in, sizeof(in), out, sizeof(out));
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar4[0], 13 + 4), ==,
                    ldl_le_p(in + 4));
    qpci_io_writeb(h.dev[0], h.bar4[0], 14, 0xee);
    g_assert_cmphex(qpci_io_readw(h.dev[0], h.bar4[0], 13), ==,
                    in[0] | 0xee00);

    put_desc(&h, desc, DESC_MAGIC | DESC_STOP, 64, src, mem - 32, 0);
    g_assert_cmphex(dma_run(&h, true, desc, &done), ==,
                    DMA_STOPPED | DMA_CARD_RANGE);
    f1_stop(&h, &sim);
}

/*
 * Wait until the CL's request for user interrupt @e has reached the XDMA
 * (@sent: as an MSI-X message, else held in USER_INT_REQ).
 */
static void f1_wait_user_irq(Hermes *h, int e, bool sent)
{
    gint64 end = g_get_monotonic_time() + WAIT_US;

    while (sent ? !qpci_msix_pending(h->dev[0], 8 + e) :
           !(qpci_io_readl(h->dev[0], h->bar2[0], XDMA_IRQ + IRQ_USER_REQ) &
             (1u << e))) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(1000);
    }
}

/* A program runs on the RTL engine; its completion is user interrupt 1. */
static void test_f1_run(void)
{
    uint64_t r0, data;
    uint8_t ps, ds;
    uint32_t plen;
    F1Sim sim;
    Hermes h;
    Req r;

    if (!f1_start(&h, &sim)) {
        return;
    }
    ps = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);
    plen = LOAD_PROG(&h, ps, prog_sum);
    data = dslot_addr(&h, 0, ds);
    qpci_io_writel(h.dev[0], h.bar4[0], data, 0x11223344);

    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_USER_IE, 1u << 1);
    g_assert_false(qpci_msix_pending(h.dev[0], 8 + 1));
    r = req_run(7, ps, ds, plen);
    g_assert_cmpuint(cmd_on(&h, 0, 1, &r, &r0), ==, ST_SUCCESS);
    g_assert_cmphex(r0, ==, 0x11223344 + rd32(&h, 0, EHDSSZE));
    g_assert_cmpuint(rd64(&h, 0, EHENGBLK(1) + RES_INSNS), ==, 3);
    g_assert_cmpuint(rd64(&h, 0, EHENGBLK(1) + CNT_RUNS), ==, 1);
    /* the IRQ message may trail the DONE the test polled */
    f1_wait_user_irq(&h, 1, true);
    g_assert_false(qpci_msix_pending(h.dev[0], 8 + 0));
    f1_stop(&h, &sim);
}

/*
 * The simulator dies under the guest: QEMU goes on, the card reads as
 * all-ones (gone from the bus), DMA to it fails.
 */
static void test_f1_sim_dies(void)
{
    uint64_t desc, src;
    uint32_t done;
    F1Sim sim;
    Hermes h;

    if (!f1_start(&h, &sim)) {
        return;
    }
    g_assert_cmpuint(rd32(&h, 0, EHVER), ==, 2);
    kill(sim.pid, SIGKILL);
    g_assert_true(WIFSIGNALED(f1_sim_wait(&sim)));
    g_assert_cmphex(rd32(&h, 0, EHVER), ==, 0xffffffff);
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar4[0], 0), ==, 0xffffffff);
    desc = guest_alloc(&h.alloc, 4096);
    src = guest_alloc(&h.alloc, 64);
    put_desc(&h, desc, DESC_MAGIC | DESC_STOP, 64, src, 0, 0);
    g_assert_cmphex(dma_run(&h, true, desc, &done), ==,
                    DMA_STOPPED | DMA_WRITE_ERROR);
    hermes_stop(&h);
}

/*
 * The shell holds a user interrupt while USER_INT_EN masks it or the VM
 * is stopped, and sends it when it is enabled or the VM runs.
 */
static void test_f1_irq_held(void)
{
    uint8_t ps, ds;
    uint32_t plen;
    QDict *resp;
    F1Sim sim;
    Hermes h;
    Req r;

    if (!f1_start(&h, &sim)) {
        return;
    }
    ps = alloc_slot(&h, 0);
    ds = alloc_slot(&h, 1);
    plen = LOAD_PROG(&h, ps, prog_sum);

    r = req_run(1, ps, ds, plen);
    g_assert_cmpuint(cmd_on(&h, 0, 2, &r, NULL), ==, ST_SUCCESS);
    f1_wait_user_irq(&h, 2, false);
    g_assert_false(qpci_msix_pending(h.dev[0], 8 + 2));
    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_USER_IE_W1S, 1u << 2);
    g_assert_true(qpci_msix_pending(h.dev[0], 8 + 2));
    /* engine 0's slot commands stay held: USER_INT_EN still masks it */
    g_assert_cmphex(qpci_io_readl(h.dev[0], h.bar2[0],
                                  XDMA_IRQ + IRQ_USER_REQ), ==, 1u << 0);

    qpci_io_writel(h.dev[0], h.bar2[0], XDMA_IRQ + IRQ_USER_IE_W1S, 1u << 3);
    resp = qtest_qmp(h.qts, "{ 'execute': 'stop' }");
    qobject_unref(resp);
    r = req_run(2, ps, ds, plen);
    g_assert_cmpuint(cmd_on(&h, 0, 3, &r, NULL), ==, ST_SUCCESS);
    f1_wait_user_irq(&h, 3, false);
    g_assert_false(qpci_msix_pending(h.dev[0], 8 + 3));
    resp = qtest_qmp(h.qts, "{ 'execute': 'cont' }");
    qobject_unref(resp);
    g_assert_true(qpci_msix_pending(h.dev[0], 8 + 3));
    f1_stop(&h, &sim);
}

/*
 * Refused at realize: no simulator named, none at the path, an
 * f1-window that is no power of two or smaller than the CL's memory (the
 * simulator then sees its connection close and ends cleanly).
 */
static void qmp_fails(QDict *resp)
{
    g_assert_true(qdict_haskey(resp, "error"));
    qobject_unref(resp);
}

static void test_f1_bad_config(void)
{
    QTestState *qts = qtest_init("-machine pc -nodefaults");
    F1Sim sim;

    qmp_fails(qtest_qmp(qts, "{ 'execute': 'device_add', 'arguments': {"
                        " 'driver': 'hermes-f1', 'id': 'bad' } }"));
    qmp_fails(qtest_qmp(qts, "{ 'execute': 'device_add', 'arguments': {"
                        " 'driver': 'hermes-f1', 'id': 'bad',"
                        " 'sim': '/nonexistent/hermes-f1.sock' } }"));
    qmp_fails(qtest_qmp(qts, "{ 'execute': 'device_add', 'arguments': {"
                        " 'driver': 'hermes-f1', 'id': 'bad',"
                        " 'sim': '/nonexistent', 'f1-window': 104857600 } }"));
    /* the model's properties are not the card's */
    qmp_fails(qtest_qmp(qts, "{ 'execute': 'device_add', 'arguments': {"
                        " 'driver': 'hermes-f1', 'id': 'bad',"
                        " 'sim': '/nonexistent', 'engines': 2 } }"));
    if (f1_sim_start(&sim)) {
        qmp_fails(qtest_qmp(qts, "{ 'execute': 'device_add', 'arguments': {"
                            " 'driver': 'hermes-f1', 'id': 'bad',"
                            " 'sim': %s, 'f1-window': 16384 } }", sim.sock));
        g_assert_cmpint(f1_sim_wait(&sim), ==, 0);
    }
    qtest_quit(qts);
}

/* Hot-unplug closes the connection: the simulator ends cleanly. */
static void test_f1_unplug(void)
{
    F1Sim sim;
    Hermes h;

    if (!f1_start(&h, &sim)) {
        return;
    }
    g_assert_cmpuint(rd32(&h, 0, EHVER), ==, 2);
    qpci_msix_disable(h.dev[0]);
    g_free(h.dev[0]);
    h.dev[0] = NULL;
    qpci_unplug_acpi_device_test(h.qts, "hf1", 4);
    g_assert_cmpint(f1_sim_wait(&sim), ==, 0);
    hermes_stop(&h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/hermes/registers", test_registers);
    qtest_add_func("/hermes/slots", test_slots);
    qtest_add_func("/hermes/run", test_run);
    qtest_add_func("/hermes/repeat-helpers", test_repeat_and_helpers);
    qtest_add_func("/hermes/errors", test_errors);
    qtest_add_func("/hermes/budget", test_budget);
    qtest_add_func("/hermes/abort-responsive", test_abort_responsive);
    qtest_add_func("/hermes/parallel", test_parallel);
    qtest_add_func("/hermes/msix", test_msix);
    qtest_add_func("/hermes/pcie", test_pcie);
    qtest_add_func("/hermes/dma", test_dma);
    qtest_add_func("/hermes/dma-errors", test_dma_errors);
    qtest_add_func("/hermes/dma-hostile", test_dma_hostile);
    qtest_add_func("/hermes/dma-adjacent", test_dma_adjacent);
    qtest_add_func("/hermes/irq-vectors", test_irq_vectors);
    qtest_add_func("/hermes/f1", test_f1);
    qtest_add_func("/hermes/mmio-sizes", test_mmio_sizes);
    qtest_add_func("/hermes/reset", test_reset);
    qtest_add_func("/hermes/system-reset", test_system_reset);
    qtest_add_func("/hermes/vm-stop", test_vm_stop);
    qtest_add_func("/hermes/two-devices", test_two_devices);
    qtest_add_func("/hermes/migrate", test_migrate);
    qtest_add_func("/hermes/migrate-adjacent", test_migrate_adjacent);
    qtest_add_func("/hermes/migrate-bad-dma", test_migrate_bad_dma);
    qtest_add_func("/hermes/migrate-fuzz", test_migrate_fuzz);
    qtest_add_func("/hermes/unplug-running", test_unplug_running);
    qtest_add_func("/hermes/stack-size", test_stack_size);
    qtest_add_func("/hermes/map-caps", test_map_caps);
    qtest_add_func("/hermes/map-array", test_map_array);
    qtest_add_func("/hermes/map-hash", test_map_hash);
    qtest_add_func("/hermes/map-errors", test_map_errors);
    qtest_add_func("/hermes/map-abort", test_map_abort);
    qtest_add_func("/hermes/map-program", test_map_program);
    qtest_add_func("/hermes/bad-config", test_bad_config);
    qtest_add_func("/hermes/batch", test_batch);
    qtest_add_func("/hermes/batch-errors", test_batch_errors);
    qtest_add_func("/hermes/batch-abort", test_batch_abort);
    qtest_add_func("/hermes-f1/registers", test_f1_registers);
    qtest_add_func("/hermes-f1/dma", test_f1_dma);
    qtest_add_func("/hermes-f1/run", test_f1_run);
    qtest_add_func("/hermes-f1/sim-dies", test_f1_sim_dies);
    qtest_add_func("/hermes-f1/irq-held", test_f1_irq_held);
    qtest_add_func("/hermes-f1/bad-config", test_f1_bad_config);
    qtest_add_func("/hermes-f1/unplug", test_f1_unplug);
    return g_test_run();
}
