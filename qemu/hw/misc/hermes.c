/*
 * Hermes eBPF offload accelerator (PCI 1de5:3000), interface version 2
 *
 * Copyright (c) 2026 The Hermes authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The device interface is specified in Documentation/hermes/device.rst of
 * the Hermes tree; this model implements it.
 *
 * BAR0 holds the registers, BAR2 a subset of the Xilinx XDMA register space
 * plus the MSI-X table, BAR4 the device memory (program and data slots).
 *
 * Each eBPF engine runs its programs on its own worker thread, without the
 * BQL: an MMIO write that starts a program only hands the latched request
 * to the worker, and the worker hands the outcome back to the main loop
 * with a bottom half, which publishes it and raises MSI-X under the BQL.
 * DMA descriptor chains are processed in bottom halves in bounded steps.
 * Saving the device completes the commands in flight as aborted (see
 * hermes_pre_save()); a guest RESET completes asynchronously.
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qemu/bswap.h"
#include "qemu/host-utils.h"
#include "qemu/atomic.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
#include "qemu/main-loop.h"
#include "qemu/log.h"
#include "qemu/error-report.h"
#include "qemu/guest-random.h"
#include "qemu/module.h"
#include "qapi/error.h"
#include "sysemu/runstate.h"
#include "hw/pci/pci.h"
#include "hw/pci/msix.h"
#include "hw/pci/pcie.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "qom/object.h"
#include "hermes-ebpf.h"
#include "hermes-cosim.h"
#include "trace.h"

/*
 * hermes-base holds what both devices share: the PCI function, its BARs
 * and the XDMA.  hermes is the model, with its engines in C; hermes-f1 is
 * the AWS F1 card whose custom logic is rtl/hermes_cl.v, co-simulated in
 * hermes-f1-sim (hermes-cosim.c).
 */
#define TYPE_HERMES_BASE "hermes-base"
#define TYPE_HERMES "hermes"
#define TYPE_HERMES_F1 "hermes-f1"
OBJECT_DECLARE_TYPE(HermesState, HermesClass, HERMES_BASE)

#define HERMES_VENDOR_ID        0x1de5
#define HERMES_DEVICE_ID        0x3000
#define HERMES_REVISION         0x02
#define HERMES_CLASS_ACCEL      0x1200

#define HERMES_VERSION          2
/* an engine's interrupt is an XDMA user interrupt, of which there are 16 */
#define HERMES_MAX_ENGINES      16
#define HERMES_BAR0_SIZE        (32 * MiB)
#define HERMES_BAR2_SIZE        (64 * KiB)
#define HERMES_MAX_MEM          (1 * GiB)   /* model limit for BAR4 */

/* The AWS F1 application PF (f1=on): its IDs and BAR map */
#define HERMES_F1_VENDOR_ID     0x1d0f
#define HERMES_F1_DEVICE_ID     0xf0eb
#define HERMES_F1_BAR1_SIZE     (2 * MiB)   /* AXI-Lite (BAR1) window */
#define HERMES_F1_WINDOW        (128 * GiB) /* DMA_PCIS (BAR4) on a card */
#define HERMES_F1_WINDOW_MIN    (4 * KiB)
/* PCI Express capability, on a PCI Express bus (MSI-X is at 0x40) */
#define HERMES_PCIE_CAP_OFFSET  0x80

/* BAR0 layout */
#define EHVER                   0x000
#define EHBLD                   0x004
#define EHBLD_LEN               48
#define EHENG                   0x034
#define EHPSOFF                 0x038
#define EHPSSZE                 0x03c
#define EHDSOFF                 0x040
#define EHDSSZE                 0x044
#define EHPSOFF64               0x050
#define EHDSOFF64               0x058
#define EHMEMSZ                 0x060
#define EHDEVCTL                0x080
#define EHDEVCTL_RESET          (1u << 0)

#define EHCAPSIG                0x100
#define EHCAPISA                0x104
#define EHCAPSTACK              0x108
#define EHCAPDEPTH              0x10c
#define EHCAPMAXINSN            0x110
#define EHCAPBUDDEF             0x114
#define EHCAPBUDMAX             0x118
#define EHCAPCMDS               0x11c
#define EHCAPHELPER             0x120
#define EHCAPHELPER_END         0x140
#define EHCAPMAPTYPES           0x140
#define EHCAPMAPMAX             0x148
#define EHCAPMAPMEM             0x14c

#define HERMES_CAPSIG           0x534d5248  /* "HRMS" */
#define CAPISA_ATOMIC           (1u << 8)
#define CAPISA_DIVMOD           (1u << 9)
#define CAPISA_HELPERS          (1u << 10)
#define CAPISA_LOCALCALL        (1u << 11)
#define CAPCMDS_SLOT            (1u << 0)
#define CAPCMDS_RUN             (1u << 1)
#define CAPCMDS_BATCH           (1u << 2)
#define CAPCMDS_MAPS            (1u << 3)

#define EHCMD_BASE              0x1000
#define EHCMD_STRIDE            48
#define EHCMDREQ_SIZE           32
#define EHCMDRES_SIZE           16
#define EHCTRL_BASE             0x2000
#define EHCTRL_STRIDE           8
#define EHENG_BASE              0x3000
#define EHENG_STRIDE            128

/* Engine block */
#define RES_R0                  0x00
#define RES_INSNS               0x08
#define RES_TIME                0x10
#define RES_FADDR               0x18
#define RES_FPC                 0x20
#define RES_FAULT               0x24
#define RES_DOFF                0x28
#define RES_DLEN                0x2c
#define RES_ITERS               0x30
#define RES_STATUS              0x34
#define RES_MLEN                0x38
#define CNT_RUNS                0x40
#define CNT_INSNS               0x48
#define CNT_ERRORS              0x50
#define CNT_BUSY                0x58

/* Commands */
#define OPC_REQUEST_SLOT        0x00
#define OPC_RELEASE_SLOT        0x01
#define OPC_MAP_CREATE          0x40
#define OPC_MAP_FREE            0x41
#define OPC_MAP_LOOKUP          0x42
#define OPC_MAP_UPDATE          0x43
#define OPC_MAP_DELETE          0x44
#define OPC_MAP_GET_NEXT_KEY    0x45
#define MAP_FLAG_FIRST          (1u << 0)
#define OPC_RUN                 0x80
#define RUN_FLAG_WINDOW         (1u << 0)
#define OPC_BATCH               0x81
#define BATCH_FLAG_LENPFX       (1u << 0)
#define SLOT_PROG               0
#define SLOT_DATA               1

enum {
    ST_SUCCESS = 0x00,
    ST_NO_SPACE = 0x01,
    ST_INVALID_PROG_SLOT = 0x02,
    ST_INVALID_DATA_SLOT = 0x03,
    ST_INVALID_ADDRESS = 0x04,
    ST_EBPF_ERROR = 0x05,
    ST_INVALID_OPCODE = 0x06,
    ST_INVALID_PROGRAM = 0x07,
    ST_BUDGET_EXCEEDED = 0x08,
    ST_ABORTED = 0x09,
    ST_INVALID_FIELD = 0x0a,
    ST_MAP_NOENT = 0x0b,
    ST_MAP_EXIST = 0x0c,
    ST_MAP_FULL = 0x0d,
    ST_NO_MAP_MEMORY = 0x0e,
    ST_INVALID_MAP = 0x0f,
    ST_INVALID_RECORDS = 0x10,
};

/* Device maps */
#define HERMES_MAPS             64          /* map IDs (EHCAPMAPMAX) */
#define HERMES_MAP_MEM_DEFAULT  (4 * MiB)
#define HERMES_MAP_MEM_MAX      (1 * GiB)

/* Program view of memory */
#define HERMES_DATA_BASE        0x100000000ULL
#define HERMES_CTX_BASE         0x200000000ULL
#define HERMES_STACK_BASE       0x300000000ULL
#define HERMES_CTX_SIZE         HERMES_EBPF_XDP_CTX_SIZE
/* Stack frame sizes the stack-size property accepts (bytes) */
#define HERMES_STACK_FRAME_MIN  64
#define HERMES_STACK_FRAME_MAX  HERMES_EBPF_DEFAULT_STACK_SIZE
#define HERMES_STACK_SIZE \
    (HERMES_EBPF_MAX_CALL_DEPTH * HERMES_STACK_FRAME_MAX)
#define HERMES_BUDGET_MAX       UINT32_MAX

/* BAR2: XDMA subset */
#define XDMA_CHANNELS           4
#define XDMA_REGS_SIZE          0x8000
#define XDMA_MSIX_TABLE         0x8000
#define XDMA_MSIX_PBA           0x8fe0
#define XDMA_VECTORS            32
#define XDMA_ENGINE_VECTOR0     8

#define XDMA_BLK_H2C            0
#define XDMA_BLK_C2H            1
#define XDMA_BLK_IRQ            2
#define XDMA_BLK_CONFIG         3
#define XDMA_BLK_H2C_SGDMA      4
#define XDMA_BLK_C2H_SGDMA      5
#define XDMA_BLK_SGDMA_COMMON   6

#define XDMA_ID_H2C             0x1fc00005
#define XDMA_ID_C2H             0x1fc10005
#define XDMA_ID_IRQ             0x1fc20005
#define XDMA_ID_CONFIG          0x1fc30005
#define XDMA_ID_H2C_SGDMA       0x1fc40005
#define XDMA_ID_C2H_SGDMA       0x1fc50005
#define XDMA_ID_SGDMA_COMMON    0x1fc60005

#define XDMA_CH_ID              0x00
#define XDMA_CH_CONTROL         0x04
#define XDMA_CH_CONTROL_W1S     0x08
#define XDMA_CH_CONTROL_W1C     0x0c
#define XDMA_CH_STATUS          0x40
#define XDMA_CH_STATUS_RC       0x44
#define XDMA_CH_COMPLETED       0x48
#define XDMA_CH_ALIGNMENTS      0x4c
#define XDMA_CH_IE              0x90
#define XDMA_CH_IE_W1S          0x94
#define XDMA_CH_IE_W1C          0x98
#define XDMA_ALIGNMENTS         0x00010140

#define XDMA_CTRL_RUN           (1u << 0)
/* interrupt enables, at the positions of the STATUS bits they enable */
#define XDMA_CTRL_IE_MASK       0x00fffe7e
#define XDMA_CTRL_NON_INCR_ADDR (1u << 25)
#define XDMA_CTRL_POLL_MODE_WB  (1u << 26)
#define XDMA_CTRL_MASK          (XDMA_CTRL_RUN | XDMA_CTRL_IE_MASK | \
                                 XDMA_CTRL_NON_INCR_ADDR | \
                                 XDMA_CTRL_POLL_MODE_WB)

#define XDMA_ST_BUSY            (1u << 0)
#define XDMA_ST_DESC_STOPPED    (1u << 1)
#define XDMA_ST_DESC_COMPLETED  (1u << 2)
#define XDMA_ST_MAGIC_STOPPED   (1u << 4)
#define XDMA_ST_INVALID_LENGTH  (1u << 5)
#define XDMA_ST_READ_ERROR      (1u << 9)
#define XDMA_ST_WRITE_ERROR     (1u << 14)
#define XDMA_ST_DESC_ERROR      (1u << 19)
#define XDMA_ST_CHAIN_LIMIT     (1u << 20)
#define XDMA_ST_CARD_RANGE      (1u << 21)
#define XDMA_ST_ADJ_BOUNDARY    (1u << 22)
#define XDMA_ST_RC_MASK         0x00fffffe

#define XDMA_SG_DESC_LO         0x80
#define XDMA_SG_DESC_HI         0x84
#define XDMA_SG_DESC_ADJ        0x88
#define XDMA_SG_DESC_CREDIT     0x8c

#define XDMA_IRQ_USER_IE        0x04
#define XDMA_IRQ_USER_IE_W1S    0x08
#define XDMA_IRQ_USER_IE_W1C    0x0c
#define XDMA_IRQ_CHAN_IE        0x10
#define XDMA_IRQ_CHAN_IE_W1S    0x14
#define XDMA_IRQ_CHAN_IE_W1C    0x18
#define XDMA_IRQ_USER_REQ       0x40
#define XDMA_IRQ_CHAN_REQ       0x44
#define XDMA_IRQ_USER_PEND      0x48
#define XDMA_IRQ_CHAN_PEND      0x4c
#define XDMA_IRQ_USER_VEC       0x80        /* 4 registers, a byte each */
#define XDMA_IRQ_CHAN_VEC       0xa0        /* 2 registers */
#define XDMA_USER_IRQS          16
#define XDMA_CHAN_IRQS          (2 * XDMA_CHANNELS)
#define XDMA_VEC_MASK           0x1f

#define XDMA_DESC_SIZE          32
#define XDMA_DESC_MAGIC         0xad4b
#define XDMA_DESC_STOP          (1u << 0)
#define XDMA_DESC_COMPLETED     (1u << 1)
#define XDMA_DESC_NXT_ADJ(c)    (((c) >> 8) & 0x3f)
/* an adjacent group of descriptors does not cross this (PG195) */
#define XDMA_ADJ_BOUNDARY       4096
#define XDMA_DESC_MAX_LEN       0x0fffffff
#define XDMA_CHAIN_LIMIT        4096
/* Bytes moved by one run of a channel's bottom half before it yields. */
#define XDMA_STEP_BYTES         (4 * MiB)

typedef struct HermesState HermesState;

/*
 * HermesEngine.abort, polled by the engine: HERMES_EBPF_ABORT ends the
 * command, HERMES_ENGINE_PAUSE (the VM is stopped) makes the worker wait
 * at the engine's next poll point until the VM runs or an abort comes.
 */
#define HERMES_ENGINE_PAUSE     (1 << 1)

/* A map and the references on it (the map table's, running programs') */
typedef struct HermesMap {
    HermesEbpfMap map;
    unsigned refs;              /* under HermesState.map_lock */
} HermesMap;

/* Migration image of one map ID (size 0: free) */
typedef struct HermesMapMig {
    uint32_t type;
    uint32_t key_size;
    uint32_t value_size;
    uint32_t max_entries;
    uint32_t free_head;
    uint32_t count;
    uint32_t size;
    uint8_t *mem;
} HermesMapMig;

/* What the worker thread computes for one command. */
typedef struct HermesOutcome {
    bool norun;                 /* a map command: only status and value */
    bool batch;                 /* BATCH RUN: response bytes 8-15 @value */
    uint64_t value;
    uint8_t status;
    uint8_t fault;
    uint32_t fault_size;
    uint32_t helper_id;
    uint32_t fpc;
    uint64_t faddr;
    uint64_t r0;
    uint64_t insns;
    uint64_t time_ns;
    uint64_t runs;
    uint32_t iters;
    uint32_t doff;
    uint32_t dlen;
    uint32_t mlen;
} HermesOutcome;

/* A command for the worker, latched from the request when accepted. */
typedef struct HermesJob {
    bool map_cmd;               /* a map command: @req, @dslot_ok */
    bool batch;                 /* BATCH RUN: @lenpfx, @ilen, @rsize, @resoff */
    bool lenpfx;
    uint32_t ilen;
    uint32_t rsize;
    uint32_t resoff;
    uint8_t req[EHCMDREQ_SIZE];
    bool dslot_ok;
    uint32_t ninsns;
    uint32_t dslot;
    uint32_t doff;
    uint32_t dlen;
    uint32_t repeat;
    uint32_t budget;
} HermesJob;

typedef struct HermesEngine {
    HermesState *dev;
    unsigned index;

    /* Register state, under the BQL */
    uint8_t req[EHCMDREQ_SIZE];
    uint8_t res[EHCMDRES_SIZE];
    bool exec;
    bool done;
    bool reject;
    bool exec_abort;            /* ABORT came in the write of this EXEC */
    uint16_t cid;
    uint64_t res_r0;
    uint64_t res_insns;
    uint64_t res_time;
    uint64_t res_faddr;
    uint32_t res_fpc;
    uint32_t res_fault;
    uint32_t res_doff;
    uint32_t res_dlen;
    uint32_t res_mlen;          /* metadata in front of RES_DOFF */
    uint32_t res_iters;
    uint32_t res_status;
    uint64_t cnt_runs;
    uint64_t cnt_insns;
    uint64_t cnt_errors;
    uint64_t cnt_busy;

    QemuThread thread;
    pid_t thread_pid;           /* process the worker runs in, 0: none */

    /* Hand-over between the BQL side and the worker, under @lock */
    QemuMutex lock;
    QemuCond cond;
    bool irq_pending;           /* completion vector held while stopped */
    bool busy;                  /* the worker owns @job, @prog, @out */
    bool out_ready;             /* @out waits for the bottom half */
    bool quit;
    int abort;                  /* HERMES_EBPF_ABORT, HERMES_ENGINE_PAUSE */
    QEMUBH *bh;
    HermesJob job;
    HermesOutcome out;

    /* Owned by the worker while @busy */
    int64_t paused_ns;          /* time waiting for the VM, not busy */
    HermesMap *run_maps[HERMES_MAPS];       /* maps the program names */
    HermesEbpfMap *run_emaps[HERMES_MAPS];
    uint64_t *prog;
    /* @prog decoded for the engine when admitted (max_insns sized) */
    void *code_mem;
    size_t code_size;
    HermesEbpfCode *code;
    /* the words @code was decoded from: a job that latches them again */
    uint64_t *code_prog;
    uint32_t code_ninsns;
    HermesEbpfXdp xdp;          /* run context of RUN PROGRAM */
    HermesEbpfXdpEnv env;       /* clock, generator, index: 5, 7, 8 */
    uint64_t stack[HERMES_STACK_SIZE / 8];
} HermesEngine;

typedef struct HermesDmaChannel {
    HermesState *dev;
    bool h2c;
    unsigned index;
    uint32_t control;
    uint32_t status;
    uint32_t completed;
    uint32_t ie;
    uint64_t first_desc;
    uint32_t adjacent;
    /* Walk state of the chain being processed */
    uint64_t next_desc;
    uint32_t adj_left;          /* descriptors after next_desc in its group */
    uint32_t count;
    /* The descriptor being transferred, checked, @cur_done bytes moved */
    bool cur_valid;
    uint32_t cur_control;
    uint32_t cur_len;
    uint32_t cur_done;
    uint64_t cur_card;
    uint64_t cur_host;
    uint64_t cur_next;
    QEMUBH *bh;
} HermesDmaChannel;

struct HermesState {
    PCIDevice parent_obj;

    MemoryRegion bar0;
    MemoryRegion bar1;
    MemoryRegion bar2;
    MemoryRegion xdma;
    MemoryRegion bar4;

    /* Properties */
    uint8_t num_engines;
    uint8_t num_pslots;
    uint8_t num_dslots;
    uint32_t pslot_size;
    uint32_t dslot_size;
    uint32_t stack_size;        /* bytes per call frame */
    uint64_t map_mem_size;      /* bytes of map memory, 0: no maps */
    bool f1;                    /* the AWS F1 identity */
    bool jit;                   /* native code for the engines (x86-64) */
    uint64_t f1_window;         /* BAR4 size with f1, 0: HERMES_F1_WINDOW */
    uint64_t x_mem_window;      /* BAR4 size with f1, may be below EHMEMSZ */
    char *sim_path;             /* hermes-f1: the simulator's socket */

    /* hermes-f1: the custom logic in the simulator */
    HermesCosim *cosim;
    uint32_t cl_engines;        /* its EHENG engine count */
    uint32_t cl_irq_pend;       /* user interrupts not yet sent as MSI-X */
    uint8_t *cl_bounce;         /* XDMA data on its way to or from the CL */

    /* Derived layout, constant after realize */
    uint64_t psoff;
    uint64_t dsoff;
    uint32_t mem_size;          /* at most HERMES_MAX_MEM */
    uint64_t bar4_size;         /* mem_size, or the F1 window */
    uint32_t num_engines32;     /* num_engines, for migration */
    uint32_t max_insns;
    HermesEbpfCaps caps;
    char build[EHBLD_LEN];

    uint8_t *mem;
    uint8_t pslot_used[256];    /* 1 when allocated */
    uint8_t dslot_used[256];
    HermesEngine *engines;
    HermesDmaChannel h2c[XDMA_CHANNELS];
    HermesDmaChannel c2h[XDMA_CHANNELS];
    uint32_t user_ie;
    uint32_t chan_ie;
    uint8_t user_vec[XDMA_USER_IRQS];   /* MSI-X vector of each engine */
    uint8_t chan_vec[XDMA_CHAN_IRQS];   /* of each channel: H2C, then C2H */
    bool resetting;             /* EHDEVCTL.RESET: waiting for the engines */
    VMChangeStateEntry *vmstate_change;
    bool vm_running;            /* as the change state handler last said */
    bool unrealized;            /* BAR writes until finalize are ignored */

    /* Map table: taken by engine threads, and by reset with engines idle */
    QemuMutex map_lock;
    HermesMap *maps[HERMES_MAPS];
    uint64_t map_mem_used;      /* footprints of maps alive */
    HermesMapMig map_mig[HERMES_MAPS];
};

struct HermesClass {
    PCIDeviceClass parent_class;

    DeviceRealize parent_realize;
    bool cosim;                 /* hermes-f1: the card is in the simulator */
};

/* Interrupts */

static void hermes_notify(HermesState *s, unsigned vector)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    if (msix_enabled(pdev)) {
        msix_notify(pdev, vector);
    }
}

/* Engine @e's completion: XDMA user interrupt @e, through USER_VEC_NUM */
static void hermes_notify_engine(HermesState *s, unsigned e)
{
    unsigned vector = s->user_vec[e] & XDMA_VEC_MASK;

    trace_hermes_irq("engine", e, vector);
    hermes_notify(s, vector);
}

/* The engines whose user interrupts the XDMA carries */
static unsigned hermes_user_irqs(HermesState *s)
{
    return s->cosim ? s->cl_engines : s->num_engines;
}

/*
 * hermes-f1: the custom logic pulses cl_sh_apppf_irq_req and the shell
 * sends the MSI-X message of USER_VEC_NUM, or keeps the request pending
 * while USER_INT_EN masks it or the VM is stopped.
 */
static void hermes_f1_irq_deliver(HermesState *s)
{
    uint32_t send = s->cl_irq_pend & s->user_ie;
    unsigned i;

    if (!s->vm_running || s->unrealized) {
        return;
    }
    s->cl_irq_pend &= ~send;
    for (i = 0; send; i++, send >>= 1) {
        if (send & 1) {
            hermes_notify_engine(s, i);
        }
    }
}

static void hermes_f1_irq(void *opaque, uint32_t mask)
{
    HermesState *s = opaque;

    s->cl_irq_pend |= mask & MAKE_64BIT_MASK(0, hermes_user_irqs(s));
    hermes_f1_irq_deliver(s);
}

/* Engines: completion, on the BQL side */

/* Statuses that say the guest's request was malformed, not the program. */
static bool hermes_status_is_guest_error(uint8_t status)
{
    switch (status) {
    case ST_INVALID_PROG_SLOT:
    case ST_INVALID_DATA_SLOT:
    case ST_INVALID_ADDRESS:
    case ST_INVALID_OPCODE:
    case ST_INVALID_PROGRAM:
    case ST_INVALID_FIELD:
    case ST_INVALID_MAP:
    case ST_INVALID_RECORDS:
        return true;
    default:
        return false;
    }
}

/*
 * Publish the response; bytes 8-15 are @value (a RUN's r0 only on
 * success: the caller passes 0 otherwise).
 */
static void hermes_engine_complete(HermesEngine *e, uint8_t status,
                                   uint8_t fault, uint32_t fpc, uint64_t value)
{
    HermesState *s = e->dev;

    memset(e->res, 0, sizeof(e->res));
    stw_le_p(e->res + 0, e->cid);
    e->res[2] = status;
    e->res[3] = fault;
    stl_le_p(e->res + 4, fpc);
    stq_le_p(e->res + 8, value);
    e->res_status = status | (uint32_t)e->cid << 16;
    trace_hermes_cmd_complete(e->index, e->cid, status, fault, fpc);
    if (hermes_status_is_guest_error(status)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "hermes: engine %u: command 0x%02x (cid %u) refused "
                      "with status 0x%02x\n", e->index, e->req[0], e->cid,
                      status);
    }
    if (status != ST_SUCCESS) {
        e->cnt_errors++;
    }
    e->exec = false;
    e->done = true;
    if (s->user_ie & (1u << e->index)) {
        /* a stopped VM gets its interrupts when it runs again */
        if (s->vm_running) {
            hermes_notify_engine(s, e->index);
        } else {
            e->irq_pending = true;
        }
    }
}

/* A command that ends before any program runs (slots, bad requests). */
static void hermes_engine_finish_now(HermesEngine *e, uint8_t status,
                                     uint64_t value)
{
    e->res_r0 = 0;
    e->res_insns = 0;
    e->res_time = 0;
    e->res_faddr = 0;
    e->res_fpc = 0;
    e->res_fault = 0;
    e->res_doff = 0;
    e->res_dlen = 0;
    e->res_mlen = 0;
    e->res_iters = 0;
    hermes_engine_complete(e, status, 0, 0, status == ST_SUCCESS ? value : 0);
}

static void hermes_reset_continue(HermesState *s);

static void hermes_engine_bh(void *opaque)
{
    HermesEngine *e = opaque;
    HermesOutcome out;

    /* A reset completes nothing; it may finish now this engine is idle. */
    if (e->dev->resetting) {
        hermes_reset_continue(e->dev);
        return;
    }

    qemu_mutex_lock(&e->lock);
    if (!e->out_ready) {
        qemu_mutex_unlock(&e->lock);
        return;
    }
    out = e->out;
    e->out_ready = false;
    qemu_mutex_unlock(&e->lock);

    if (out.norun) {
        hermes_engine_finish_now(e, out.status, out.value);
        return;
    }

    e->res_r0 = out.r0;
    e->res_insns = out.insns;
    e->res_time = out.time_ns;
    e->res_faddr = out.faddr;
    e->res_fpc = out.fpc;
    e->res_fault = out.fault | (out.fault_size & 0xff) << 8 |
                   (out.helper_id & 0xffff) << 16;
    e->res_doff = out.doff;
    e->res_dlen = out.dlen;
    e->res_mlen = out.mlen;
    e->res_iters = out.iters;
    e->cnt_runs += out.runs;
    e->cnt_insns += out.insns;
    e->cnt_busy += out.time_ns;
    hermes_engine_complete(e, out.status, out.fault, out.fpc,
                           out.batch ? out.value :
                           out.status == ST_SUCCESS ? out.r0 : 0);
}

/* Engines: the worker thread */

static uint8_t hermes_status_of(HermesEbpfStatus st)
{
    switch (st) {
    case HERMES_EBPF_OK:
        return ST_SUCCESS;
    case HERMES_EBPF_FAULT_BUDGET:
        return ST_BUDGET_EXCEEDED;
    case HERMES_EBPF_FAULT_ABORTED:
        return ST_ABORTED;
    default:
        return ST_EBPF_ERROR;
    }
}

/*
 * The engine's poll callback, on the worker without a lock: while the VM
 * is stopped the program waits here, at a poll point, so that a stopped
 * VM's device does no work; hermes_vm_state_change() or an abort (guest,
 * reset, migration, unplug) wakes it.
 */
static bool hermes_engine_paused(HermesEngine *e)
{
    uint32_t v = qatomic_read(&e->abort);

    return (v & HERMES_ENGINE_PAUSE) && !(v & HERMES_EBPF_ABORT);
}

static void hermes_engine_pause(void *opaque)
{
    HermesEngine *e = opaque;
    int64_t start;

    qemu_mutex_lock(&e->lock);
    if (hermes_engine_paused(e)) {
        trace_hermes_engine_pause(e->index);
        start = get_clock();
        while (hermes_engine_paused(e)) {
            qemu_cond_wait(&e->cond, &e->lock);
        }
        e->paused_ns += get_clock() - start;
        trace_hermes_engine_resume(e->index,
                                   qatomic_read(&e->abort) & HERMES_EBPF_ABORT);
    }
    qemu_mutex_unlock(&e->lock);
}

/* A poll point of the worker itself: pause, then is there an abort? */
static bool hermes_engine_aborted(HermesEngine *e)
{
    hermes_engine_pause(e);
    return qatomic_read(&e->abort) & HERMES_EBPF_ABORT;
}

/* Ask the engine's command to stop, waking its worker if it is paused. */
static void hermes_engine_set_abort(HermesEngine *e)
{
    qatomic_or(&e->abort, HERMES_EBPF_ABORT);
    qemu_mutex_lock(&e->lock);
    qemu_cond_broadcast(&e->cond);
    qemu_mutex_unlock(&e->lock);
}

/* Maps: the table, under s->map_lock, used by the engine threads */

static bool hermes_maps_enabled(HermesState *s)
{
    return s->map_mem_size != 0;
}

/* Drop a reference; the last one frees the map.  Under s->map_lock. */
static void hermes_map_unref(HermesState *s, HermesMap *m)
{
    assert(m->refs);
    if (--m->refs) {
        return;
    }
    s->map_mem_used -= m->map.footprint;
    g_free(m->map.mem);
    g_free(m);
}

/* Free every map ID (reset, unrealize: no engine is running). */
static void hermes_maps_clear(HermesState *s)
{
    unsigned i;

    qemu_mutex_lock(&s->map_lock);
    for (i = 0; i < HERMES_MAPS; i++) {
        if (s->maps[i]) {
            hermes_map_unref(s, s->maps[i]);
            s->maps[i] = NULL;
        }
    }
    qemu_mutex_unlock(&s->map_lock);
}

static uint8_t hermes_map_status(int rc)
{
    switch (rc) {
    case 0:
        return ST_SUCCESS;
    case -HERMES_EBPF_ENOENT:
        return ST_MAP_NOENT;
    case -HERMES_EBPF_EEXIST:
        return ST_MAP_EXIST;
    case -HERMES_EBPF_E2BIG:
        return ST_MAP_FULL;
    case -HERMES_EBPF_EINTR:
        return ST_ABORTED;
    default:
        return ST_INVALID_FIELD;
    }
}

/* Are the request bytes [from, to) all zero? */
static bool hermes_bytes_clear(const uint8_t *req, unsigned from, unsigned to)
{
    while (from < to) {
        if (req[from++]) {
            return false;
        }
    }
    return true;
}

static uint8_t hermes_map_create(HermesState *s, const uint8_t *req,
                                 uint64_t *value)
{
    uint32_t type = req[8];
    uint32_t key_size = ldl_le_p(req + 12);
    uint32_t value_size = ldl_le_p(req + 16);
    uint32_t max_entries = ldl_le_p(req + 20);
    HermesMap *m;
    void *mem;
    uint64_t fp;
    unsigned id;

    if (req[1] || !hermes_bytes_clear(req, 4, 8) ||
        !hermes_bytes_clear(req, 9, 12) ||
        !hermes_bytes_clear(req, 24, EHCMDREQ_SIZE) ||
        hermes_ebpf_map_footprint(type, key_size, value_size, max_entries,
                                  &fp) < 0) {
        return ST_INVALID_FIELD;
    }
    qemu_mutex_lock(&s->map_lock);
    for (id = 0; id < HERMES_MAPS && s->maps[id]; id++) {
        continue;
    }
    if (id == HERMES_MAPS) {
        qemu_mutex_unlock(&s->map_lock);
        return ST_NO_SPACE;
    }
    if (fp > s->map_mem_size - s->map_mem_used) {
        qemu_mutex_unlock(&s->map_lock);
        return ST_NO_MAP_MEMORY;
    }
    /* guest-sized: the map-memory property may exceed what the host has */
    mem = g_try_malloc(fp);
    if (!mem) {
        qemu_mutex_unlock(&s->map_lock);
        return ST_NO_MAP_MEMORY;
    }
    m = g_new0(HermesMap, 1);
    hermes_ebpf_map_init(&m->map, type, key_size, value_size, max_entries,
                         mem);
    m->refs = 1;
    s->maps[id] = m;
    s->map_mem_used += fp;
    qemu_mutex_unlock(&s->map_lock);
    *value = id | fp << 32;
    return ST_SUCCESS;
}

/* A map command (opcodes 0x40 to 0x45), on the engine's thread */
static void hermes_map_command(HermesEngine *e)
{
    HermesState *s = e->dev;
    const uint8_t *req = e->job.req;
    uint8_t opc = req[0], flags = req[1];
    uint32_t id = ldl_le_p(req + 8);
    uint32_t koff = ldl_le_p(req + 16);
    uint32_t voff = ldl_le_p(req + 20);
    bool first = opc == OPC_MAP_GET_NEXT_KEY && (flags & MAP_FLAG_FIRST);
    HermesOutcome *out = &e->out;
    uint64_t klen = 0, vlen = 0;
    uint8_t *data;
    HermesMap *m;
    int rc;

    memset(out, 0, sizeof(*out));
    out->norun = true;
    /* like a run, a map command waits while the VM is stopped */
    if (hermes_engine_aborted(e)) {
        out->status = ST_ABORTED;
        return;
    }
    if (opc == OPC_MAP_CREATE) {
        out->status = hermes_map_create(s, req, &out->value);
        return;
    }

    /* flags and reserved bytes */
    if ((opc == OPC_MAP_UPDATE ? flags > HERMES_EBPF_EXIST :
         opc == OPC_MAP_GET_NEXT_KEY ? flags & ~MAP_FLAG_FIRST : flags) ||
        !hermes_bytes_clear(req, 4, 8) ||
        !hermes_bytes_clear(req, opc == OPC_MAP_FREE ? 12 : 13, 16) ||
        (opc == OPC_MAP_FREE && !hermes_bytes_clear(req, 16, 24)) ||
        (opc == OPC_MAP_DELETE && voff) || (first && koff) ||
        !hermes_bytes_clear(req, 24, EHCMDREQ_SIZE)) {
        out->status = ST_INVALID_FIELD;
        return;
    }

    qemu_mutex_lock(&s->map_lock);
    m = id < HERMES_MAPS ? s->maps[id] : NULL;
    if (m && opc == OPC_MAP_FREE) {
        s->maps[id] = NULL;
        hermes_map_unref(s, m);
        qemu_mutex_unlock(&s->map_lock);
        out->status = ST_SUCCESS;
        return;
    }
    if (m) {
        m->refs++;
    }
    qemu_mutex_unlock(&s->map_lock);
    if (!m) {
        out->status = ST_INVALID_MAP;
        return;
    }

    if (!e->job.dslot_ok) {
        out->status = ST_INVALID_DATA_SLOT;
        goto unref;
    }
    klen = first ? 0 : m->map.key_size;
    vlen = opc == OPC_MAP_GET_NEXT_KEY ? m->map.key_size :
           opc == OPC_MAP_DELETE ? 0 : m->map.value_size;
    if (koff > s->dslot_size || klen > s->dslot_size - koff ||
        voff > s->dslot_size || vlen > s->dslot_size - voff) {
        out->status = ST_INVALID_ADDRESS;
        goto unref;
    }
    data = s->mem + s->dsoff + (uint64_t)req[12] * s->dslot_size;
    /* a HASH operation gives up on an abort (ABORTED), the map unchanged */
    rc = hermes_ebpf_map_op(&m->map, opc == OPC_MAP_LOOKUP ?
                            HERMES_EBPF_MAP_OP_LOOKUP :
                            opc == OPC_MAP_UPDATE ? HERMES_EBPF_MAP_OP_UPDATE :
                            opc == OPC_MAP_DELETE ? HERMES_EBPF_MAP_OP_DELETE :
                            HERMES_EBPF_MAP_OP_GET_NEXT_KEY,
                            first ? NULL : data + koff, data + voff, flags,
                            &e->abort);
    out->status = hermes_map_status(rc);

unref:
    qemu_mutex_lock(&s->map_lock);
    hermes_map_unref(s, m);
    qemu_mutex_unlock(&s->map_lock);
}

/*
 * Take a reference on every map the program names (lddw src_reg 5).
 * Returns false, with *@bad_pc, when one of them is not allocated.
 */
static bool hermes_maps_pin(HermesEngine *e, uint32_t *bad_pc)
{
    HermesState *s = e->dev;
    const HermesJob *job = &e->job;
    bool good = true;
    uint32_t i, id;

    qemu_mutex_lock(&s->map_lock);
    for (i = 0; i + 1 < job->ninsns; i++) {
        uint64_t w = e->prog[i];

        if ((w & 0xff) != 0x18) {
            continue;
        }
        id = w >> 32;
        if (((w >> 12) & 0xf) == HERMES_EBPF_PSEUDO_MAP_IDX &&
            (id >= HERMES_MAPS || !e->run_maps[id])) {
            if (id >= HERMES_MAPS || !s->maps[id]) {
                *bad_pc = i;
                good = false;
                break;
            }
            e->run_maps[id] = s->maps[id];
            e->run_emaps[id] = &s->maps[id]->map;
            s->maps[id]->refs++;
        }
        i++;
    }
    qemu_mutex_unlock(&s->map_lock);
    return good;
}

static void hermes_maps_unpin(HermesEngine *e)
{
    HermesState *s = e->dev;
    unsigned i;

    qemu_mutex_lock(&s->map_lock);
    for (i = 0; i < HERMES_MAPS; i++) {
        if (e->run_maps[i]) {
            hermes_map_unref(s, e->run_maps[i]);
            e->run_maps[i] = NULL;
            e->run_emaps[i] = NULL;
        }
    }
    qemu_mutex_unlock(&s->map_lock);
}

/*
 * Static validation and the program's maps, before anything runs: false
 * with the INVALID_PROGRAM outcome filled in when the program is refused.
 */
static bool hermes_engine_admit(HermesEngine *e)
{
    HermesState *s = e->dev;
    HermesOutcome *out = &e->out;
    uint32_t bad_pc = 0;
    HermesEbpfStatus st;

    st = hermes_ebpf_validate(e->prog, e->job.ninsns, &s->caps, &bad_pc,
                              NULL, 0);
    if (st == HERMES_EBPF_OK && !hermes_maps_pin(e, &bad_pc)) {
        st = HERMES_EBPF_ERR_BAD_MAP;
    }
    if (st != HERMES_EBPF_OK) {
        out->status = ST_INVALID_PROGRAM;
        out->fault = st;
        out->fpc = bad_pc;
        return false;
    }
    /*
     * Once per program, into memory sized for the largest; with jit=on
     * also compiled to native code (hermes-ebpf-jit.c.inc), which is kept
     * while jobs latch the same instruction words.
     */
    if (e->code && e->code_ninsns == e->job.ninsns &&
        !memcmp(e->code_prog, e->prog, e->job.ninsns * sizeof(uint64_t))) {
        return true;
    }
    if (e->code) {
        hermes_ebpf_code_release(e->code);
    }
    e->code = hermes_ebpf_decode(e->prog, e->job.ninsns, e->code_mem,
                                 e->code_size);
    assert(e->code);
    if (s->jit) {
        hermes_ebpf_jit(e->code);
    }
    memcpy(e->code_prog, e->prog, e->job.ninsns * sizeof(uint64_t));
    e->code_ninsns = e->job.ninsns;
    return true;
}

/*
 * The device clock of bpf_ktime_get_ns(): the guest's virtual clock, which
 * stands still while the VM is stopped (and so do the engines).  Read on
 * the engine's worker, without the BQL, as vCPU threads read it.
 */
static uint64_t hermes_engine_clock_ns(void *opaque)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static void hermes_engine_run(HermesEngine *e)
{
    HermesState *s = e->dev;
    const HermesJob *job = &e->job;
    HermesOutcome *out = &e->out;
    HermesEbpfRegion regions[2];
    HermesEbpfRunConfig cfg;
    HermesEbpfResult res;
    HermesEbpfStatus st;
    uint32_t i;

    memset(out, 0, sizeof(*out));
    out->doff = job->doff;
    out->dlen = job->dlen;

    if (!hermes_engine_admit(e)) {
        return;
    }

    regions[0] = (HermesEbpfRegion) {
        .addr = HERMES_DATA_BASE,
        .len = s->dslot_size,
        .host = s->mem + s->dsoff + (uint64_t)job->dslot * s->dslot_size,
        .flags = HERMES_EBPF_MEM_RW,
    };
    regions[1] = (HermesEbpfRegion) {
        .addr = HERMES_CTX_BASE,
        .len = HERMES_CTX_SIZE,
        .host = e->xdp.ctx,
        .flags = HERMES_EBPF_MEM_READ,
    };
    e->xdp.env = &e->env;
    e->xdp.next = NULL;

    for (i = 0; i < job->repeat; i++) {
        int64_t start;

        if (hermes_engine_aborted(e)) {
            out->status = ST_ABORTED;
            out->fault = HERMES_EBPF_FAULT_ABORTED;
            return;
        }
        hermes_ebpf_xdp_init(&e->xdp, HERMES_CTX_BASE,
                             HERMES_DATA_BASE + job->doff,
                             HERMES_DATA_BASE + job->doff + job->dlen,
                             HERMES_DATA_BASE,
                             HERMES_DATA_BASE + s->dslot_size, i);

        memset(&cfg, 0, sizeof(cfg));
        cfg.args[0] = HERMES_DATA_BASE + job->doff;
        cfg.args[1] = job->dlen;
        cfg.args[2] = HERMES_CTX_BASE;
        cfg.args[3] = i;
        cfg.budget = job->budget;
        cfg.stack_addr = HERMES_STACK_BASE;
        cfg.stack_size = s->stack_size;
        cfg.stack_host = e->stack;
        cfg.helper = hermes_ebpf_xdp_helper;
        cfg.helper_opaque = &e->xdp;
        cfg.abort_flag = &e->abort;
        cfg.poll = hermes_engine_pause;
        cfg.poll_opaque = e;
        cfg.maps = e->run_emaps;
        cfg.nmaps = hermes_maps_enabled(s) ? HERMES_MAPS : 0;

        start = get_clock();
        e->paused_ns = 0;
        st = hermes_ebpf_run_code(e->code, regions, ARRAY_SIZE(regions),
                                  &cfg, &res);
        out->time_ns += get_clock() - start - e->paused_ns;
        out->runs++;
        out->insns += res.insns;
        out->r0 = res.r0;
        out->fpc = res.pc;
        out->doff = hermes_ebpf_xdp_data(&e->xdp) - HERMES_DATA_BASE;
        out->dlen = hermes_ebpf_xdp_data_end(&e->xdp) -
                    hermes_ebpf_xdp_data(&e->xdp);
        out->mlen = hermes_ebpf_xdp_data(&e->xdp) -
                    hermes_ebpf_xdp_data_meta(&e->xdp);
        if (st != HERMES_EBPF_OK) {
            out->status = hermes_status_of(st);
            out->fault = st;
            out->faddr = res.fault_addr;
            out->fault_size = res.fault_size;
            /* helper faults, and loads of a map helper's arguments */
            out->helper_id = res.helper_id;
            return;
        }
        out->iters++;
    }
    out->status = ST_SUCCESS;
}

/*
 * BATCH RUN on the worker: framing, program, then the engine's record
 * loop (hermes_ebpf_run_batch_code()), which compacts the output and writes
 * the result table in the data slot.
 */
static void hermes_engine_batch(HermesEngine *e)
{
    HermesState *s = e->dev;
    const HermesJob *job = &e->job;
    HermesOutcome *out = &e->out;
    HermesEbpfBatch batch = {
        .slot = s->mem + s->dsoff + (uint64_t)job->dslot * s->dslot_size,
        .slot_size = s->dslot_size,
        .in_len = job->ilen,
        .record_size = job->rsize,
        .lenpfx = job->lenpfx,
        .res_off = job->resoff,
        .data_base = HERMES_DATA_BASE,
        .ctx_base = HERMES_CTX_BASE,
        .env = &e->env,
    };
    HermesEbpfRunConfig cfg = {
        .budget = job->budget,
        .stack_addr = HERMES_STACK_BASE,
        .stack_size = s->stack_size,
        .stack_host = e->stack,
        .abort_flag = &e->abort,
        .poll = hermes_engine_pause,
        .poll_opaque = e,
        .maps = e->run_emaps,
        .nmaps = hermes_maps_enabled(s) ? HERMES_MAPS : 0,
    };
    HermesEbpfBatchResult res;
    HermesEbpfStatus st;
    uint32_t bad = 0;
    int64_t start;

    memset(out, 0, sizeof(*out));
    out->batch = true;
    if (hermes_ebpf_batch_check(&batch, NULL, &bad) != HERMES_EBPF_BATCH_OK) {
        /* the request fields were checked: only the framing is left */
        out->status = ST_INVALID_RECORDS;
        out->fpc = bad;
        return;
    }
    if (!hermes_engine_admit(e)) {
        return;
    }

    start = get_clock();
    e->paused_ns = 0;
    st = hermes_ebpf_run_batch_code(e->code, &batch, &cfg, &res);
    out->time_ns = get_clock() - start - e->paused_ns;
    out->runs = res.runs;
    out->insns = res.insns;
    out->iters = res.records_done;
    out->r0 = res.last.r0;
    out->fpc = res.last.pc;
    out->dlen = res.out_len;
    out->value = res.out_len | (uint64_t)res.records_out << 32;
    if (st == HERMES_EBPF_ERR_BAD_CONFIG) {
        /* the guest rewrote a length prefix while the batch ran */
        out->status = ST_INVALID_RECORDS;
        out->fpc = res.bad_record;
        return;
    }
    out->status = hermes_status_of(st);
    if (st != HERMES_EBPF_OK) {
        out->fault = st;
        out->faddr = res.last.fault_addr;
        out->fault_size = res.last.fault_size;
        out->helper_id = res.last.helper_id;
    }
}

static void hermes_engine_execute(HermesEngine *e)
{
    if (e->job.map_cmd) {
        hermes_map_command(e);
        return;
    }
    if (e->job.batch) {
        hermes_engine_batch(e);
    } else {
        hermes_engine_run(e);
    }
    hermes_maps_unpin(e);
}

static void *hermes_engine_thread(void *opaque)
{
    HermesEngine *e = opaque;

    qemu_mutex_lock(&e->lock);
    for (;;) {
        while (!e->busy && !e->quit) {
            qemu_cond_wait(&e->cond, &e->lock);
        }
        if (e->quit) {
            break;
        }
        qemu_mutex_unlock(&e->lock);

        hermes_engine_execute(e);

        qemu_mutex_lock(&e->lock);
        e->busy = false;
        e->out_ready = true;
        qemu_bh_schedule(e->bh);
        qemu_cond_broadcast(&e->cond);
    }
    qemu_mutex_unlock(&e->lock);
    return NULL;
}

/* Stop the engine's current work and discard it; the worker stays. */
static void hermes_engine_quiesce(HermesEngine *e)
{
    hermes_engine_set_abort(e);
    qemu_mutex_lock(&e->lock);
    while (e->busy) {
        qemu_cond_wait(&e->cond, &e->lock);
    }
    e->out_ready = false;
    qemu_mutex_unlock(&e->lock);
    qemu_bh_cancel(e->bh);
}

static void hermes_engine_reset(HermesEngine *e)
{
    hermes_engine_quiesce(e);
    memset(e->req, 0, sizeof(e->req));
    memset(e->res, 0, sizeof(e->res));
    e->exec = e->done = e->reject = false;
    e->irq_pending = false;
    e->cid = 0;
    e->res_r0 = e->res_insns = e->res_time = e->res_faddr = 0;
    e->res_fpc = e->res_fault = e->res_doff = e->res_dlen = 0;
    e->res_mlen = 0;
    e->res_iters = e->res_status = 0;
    e->cnt_runs = e->cnt_insns = e->cnt_errors = e->cnt_busy = 0;
}

/* Engines: commands, on the BQL side */

static uint8_t *hermes_slot_map(HermesState *s, uint8_t type,
                                unsigned *count)
{
    if (type == SLOT_PROG) {
        *count = s->num_pslots;
        return s->pslot_used;
    }
    if (type == SLOT_DATA) {
        *count = s->num_dslots;
        return s->dslot_used;
    }
    return NULL;
}

/* Are the request bytes [from, EHCMDREQ_SIZE) and 1, 4-7 all zero? */
static bool hermes_req_reserved_clear(HermesEngine *e, unsigned from)
{
    unsigned i;

    if (e->req[1] || ldl_le_p(e->req + 4)) {
        return false;
    }
    for (i = from; i < EHCMDREQ_SIZE; i++) {
        if (e->req[i]) {
            return false;
        }
    }
    return true;
}

static void hermes_cmd_request_slot(HermesEngine *e)
{
    unsigned count;
    uint8_t *map = hermes_slot_map(e->dev, e->req[8], &count);
    unsigned slot;

    if (!map || !hermes_req_reserved_clear(e, 9)) {
        hermes_engine_finish_now(e, ST_INVALID_FIELD, 0);
        return;
    }
    for (slot = 0; slot < count && map[slot]; slot++) {
        continue;
    }
    if (slot >= count) {
        hermes_engine_finish_now(e, ST_NO_SPACE, 0);
        return;
    }
    map[slot] = 1;
    hermes_engine_finish_now(e, ST_SUCCESS, slot);
}

static void hermes_cmd_release_slot(HermesEngine *e)
{
    uint8_t type = e->req[8], slot = e->req[9];
    unsigned count;
    uint8_t *map = hermes_slot_map(e->dev, type, &count);

    if (!map || !hermes_req_reserved_clear(e, 10)) {
        hermes_engine_finish_now(e, ST_INVALID_FIELD, 0);
        return;
    }
    if (slot >= count || !map[slot]) {
        hermes_engine_finish_now(e, type == SLOT_PROG ? ST_INVALID_PROG_SLOT
                                                      : ST_INVALID_DATA_SLOT,
                                 0);
        return;
    }
    map[slot] = 0;
    hermes_engine_finish_now(e, ST_SUCCESS, 0);
}

/*
 * Start the engine's worker.  At realize, from the main loop, so that it
 * gets the emulator's CPU affinity, cgroup and scheduling, not a vCPU's.
 */
static void hermes_engine_spawn(HermesEngine *e)
{
    char name[32];

    snprintf(name, sizeof(name), "hermes-eng%u", e->index);
    qemu_thread_create(&e->thread, name, hermes_engine_thread, e,
                       QEMU_THREAD_JOINABLE);
    e->thread_pid = getpid();
}

/* Hand the latched command to the worker. */
static void hermes_engine_start(HermesEngine *e)
{
    if (e->quit) {
        return;     /* unrealized: a late BAR access */
    }
    /*
     * A fork keeps only the forking thread: QEMU's generic fuzzer runs
     * each input in a fork of a realized machine, whose workers must be
     * started again.
     */
    if (e->thread_pid != getpid()) {
        hermes_engine_spawn(e);
    }
    /*
     * A command started while the VM is stopped waits for it to run.  One
     * submitted with ABORT in the same write starts aborted: the worker
     * may otherwise run it to its end before hermes_ctrl_write() gets to
     * the ABORT byte.
     */
    if (e->exec_abort) {
        qatomic_or(&e->abort, HERMES_EBPF_ABORT);
    } else {
        qatomic_and(&e->abort, ~HERMES_EBPF_ABORT);
    }
    qemu_mutex_lock(&e->lock);
    e->busy = true;
    qemu_cond_broadcast(&e->cond);
    qemu_mutex_unlock(&e->lock);
}

/* Latch the program of a run: the worker runs a private copy. */
static void hermes_latch_program(HermesEngine *e, uint8_t pslot, uint32_t plen)
{
    HermesState *s = e->dev;
    const uint8_t *src = s->mem + s->psoff + (uint64_t)pslot * s->pslot_size;
    uint32_t i;

    for (i = 0; i < plen / 8; i++) {
        e->prog[i] = ldq_le_p(src + 8 * i);
    }
}

/*
 * The program and data slots of a run command must be allocated: false,
 * with the command finished with the status that says which is not.
 */
static bool hermes_check_slots(HermesEngine *e, uint8_t pslot, uint8_t dslot)
{
    HermesState *s = e->dev;

    if (pslot >= s->num_pslots || !s->pslot_used[pslot]) {
        hermes_engine_finish_now(e, ST_INVALID_PROG_SLOT, 0);
        return false;
    }
    if (dslot >= s->num_dslots || !s->dslot_used[dslot]) {
        hermes_engine_finish_now(e, ST_INVALID_DATA_SLOT, 0);
        return false;
    }
    return true;
}

static void hermes_cmd_run(HermesEngine *e)
{
    HermesState *s = e->dev;
    const uint8_t *req = e->req;
    uint8_t flags = req[1], pslot = req[8], dslot = req[9];
    uint32_t plen = ldl_le_p(req + 12);
    uint32_t doff = ldl_le_p(req + 16);
    uint32_t dlen = ldl_le_p(req + 20);
    uint32_t repeat = ldl_le_p(req + 24);
    uint32_t budget = ldl_le_p(req + 28);

    if ((flags & ~RUN_FLAG_WINDOW) || ldl_le_p(req + 4) ||
        lduw_le_p(req + 10) ||
        (!(flags & RUN_FLAG_WINDOW) && (doff || dlen)) ||
        budget > HERMES_BUDGET_MAX) {
        hermes_engine_finish_now(e, ST_INVALID_FIELD, 0);
        return;
    }
    if (!hermes_check_slots(e, pslot, dslot)) {
        return;
    }
    if (!(flags & RUN_FLAG_WINDOW)) {
        doff = 0;
        dlen = s->dslot_size;
    }
    if (plen == 0 || plen % 8 || plen > s->pslot_size ||
        plen / 8 > s->max_insns || doff > s->dslot_size ||
        dlen > s->dslot_size - doff) {
        hermes_engine_finish_now(e, ST_INVALID_ADDRESS, 0);
        return;
    }

    /* The worker is idle (exec was clear): @prog and @job are ours. */
    hermes_latch_program(e, pslot, plen);
    e->job = (HermesJob) {
        .ninsns = plen / 8,
        .dslot = dslot,
        .doff = doff,
        .dlen = dlen,
        .repeat = repeat ? repeat : 1,
        .budget = budget ? budget : HERMES_EBPF_DEFAULT_BUDGET,
    };
    hermes_engine_start(e);
}

/*
 * BATCH RUN: the request checks in the specified order; the framing and
 * the program are checked by the worker (they take time proportional to
 * the input), before it runs anything.
 */
static void hermes_cmd_batch(HermesEngine *e)
{
    HermesState *s = e->dev;
    const uint8_t *req = e->req;
    uint8_t flags = req[1], pslot = req[8], dslot = req[9];
    uint32_t plen = ldl_le_p(req + 12);
    uint32_t ilen = ldl_le_p(req + 16);
    uint32_t rsize = ldl_le_p(req + 20);
    uint32_t resoff = ldl_le_p(req + 24);
    uint32_t budget = ldl_le_p(req + 28);
    bool lenpfx = flags & BATCH_FLAG_LENPFX;

    if ((flags & ~BATCH_FLAG_LENPFX) || ldl_le_p(req + 4) ||
        lduw_le_p(req + 10) || (lenpfx ? rsize != 0 : rsize == 0) ||
        budget > HERMES_BUDGET_MAX) {
        hermes_engine_finish_now(e, ST_INVALID_FIELD, 0);
        return;
    }
    if (!hermes_check_slots(e, pslot, dslot)) {
        return;
    }
    if (plen == 0 || plen % 8 || plen > s->pslot_size ||
        plen / 8 > s->max_insns || ilen > s->dslot_size ||
        resoff > s->dslot_size || resoff < ilen || resoff % 8) {
        hermes_engine_finish_now(e, ST_INVALID_ADDRESS, 0);
        return;
    }

    /* The worker is idle (exec was clear): @prog and @job are ours. */
    hermes_latch_program(e, pslot, plen);
    e->job = (HermesJob) {
        .batch = true,
        .lenpfx = lenpfx,
        .ilen = ilen,
        .rsize = rsize,
        .resoff = resoff,
        .ninsns = plen / 8,
        .dslot = dslot,
        .budget = budget ? budget : HERMES_EBPF_DEFAULT_BUDGET,
    };
    hermes_engine_start(e);
}

/* Map commands run on the engine's thread: latch the request. */
static void hermes_cmd_map(HermesEngine *e)
{
    HermesState *s = e->dev;
    uint8_t dslot = e->req[12];

    e->job = (HermesJob) { .map_cmd = true };
    memcpy(e->job.req, e->req, EHCMDREQ_SIZE);
    e->job.dslot_ok = dslot < s->num_dslots && s->dslot_used[dslot];
    hermes_engine_start(e);
}

static void hermes_engine_exec(HermesEngine *e, bool with_abort)
{
    if (e->dev->resetting) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "hermes: engine %u: command during a device reset "
                      "ignored\n", e->index);
        return;
    }
    if (e->exec) {
        e->reject = true;
        return;
    }
    e->reject = false;
    e->done = false;
    e->exec = true;
    e->exec_abort = with_abort;
    e->cid = lduw_le_p(e->req + 2);
    trace_hermes_cmd_exec(e->index, e->req[0], e->cid);

    switch (e->req[0]) {
    case OPC_REQUEST_SLOT:
        hermes_cmd_request_slot(e);
        break;
    case OPC_RELEASE_SLOT:
        hermes_cmd_release_slot(e);
        break;
    case OPC_RUN:
        hermes_cmd_run(e);
        break;
    case OPC_BATCH:
        hermes_cmd_batch(e);
        break;
    case OPC_MAP_CREATE ... OPC_MAP_GET_NEXT_KEY:
        if (hermes_maps_enabled(e->dev)) {
            hermes_cmd_map(e);
            break;
        }
        /* fall through */
    default:
        hermes_engine_finish_now(e, ST_INVALID_OPCODE, 0);
        break;
    }
}

static void hermes_engine_abort(HermesEngine *e)
{
    trace_hermes_cmd_abort(e->index, e->exec);
    if (e->exec) {
        hermes_engine_set_abort(e);
    }
}

/* Device reset */

static void hermes_dma_reset(HermesDmaChannel *ch)
{
    qemu_bh_cancel(ch->bh);
    ch->control = ch->status = ch->completed = ch->ie = 0;
    ch->first_desc = ch->next_desc = 0;
    ch->adjacent = ch->adj_left = ch->count = 0;
    ch->cur_valid = false;
}

/* The XDMA block: its channels stop at once, its IRQ block resets. */
static void hermes_xdma_reset(HermesState *s)
{
    unsigned i;

    for (i = 0; i < XDMA_CHANNELS; i++) {
        hermes_dma_reset(&s->h2c[i]);
        hermes_dma_reset(&s->c2h[i]);
    }
    s->user_ie = 0;
    s->chan_ie = 0;
    /* the eid-hermes assignment: channels 0-7, engine e on 8 + e */
    for (i = 0; i < XDMA_CHAN_IRQS; i++) {
        s->chan_vec[i] = i;
    }
    for (i = 0; i < XDMA_USER_IRQS; i++) {
        s->user_vec[i] = XDMA_ENGINE_VECTOR0 + i;
    }
}

/*
 * The device's own reset.  On F1 the XDMA is the shell's, not part of
 * the custom logic that EHDEVCTL resets: it keeps running there.
 */
static void hermes_reset(HermesState *s)
{
    unsigned i;

    for (i = 0; i < s->num_engines; i++) {
        hermes_engine_reset(&s->engines[i]);
    }
    if (!s->f1) {
        hermes_xdma_reset(s);
    }
    hermes_maps_clear(s);
    memset(s->pslot_used, 0, sizeof(s->pslot_used));
    memset(s->dslot_used, 0, sizeof(s->dslot_used));
    memset(s->mem, 0, s->mem_size);
    s->resetting = false;
}

/*
 * EHDEVCTL.RESET reads 1 until the reset is done: the vCPU only asks the
 * engines to stop, and the last engine's completion bottom half finishes
 * the reset, so no vCPU waits for a worker under the BQL.
 */
static void hermes_reset_continue(HermesState *s)
{
    unsigned i;
    bool busy;

    for (i = 0; i < s->num_engines; i++) {
        HermesEngine *e = &s->engines[i];

        qemu_mutex_lock(&e->lock);
        busy = e->busy;
        qemu_mutex_unlock(&e->lock);
        if (busy) {
            trace_hermes_reset_wait(i);
            return;     /* its bottom half calls again */
        }
    }
    hermes_reset(s);
    trace_hermes_reset_done();
}

static void hermes_reset_request(HermesState *s)
{
    unsigned i;

    if (s->resetting) {
        return;
    }
    trace_hermes_reset_request();
    s->resetting = true;
    for (i = 0; i < s->num_engines; i++) {
        hermes_engine_set_abort(&s->engines[i]);
    }
    /* DMA stops now: the host may release its memory once RESET reads 0 */
    if (!s->f1) {
        hermes_xdma_reset(s);
    }
    hermes_reset_continue(s);
}

/* BAR0 */

/*
 * Word @w of EHCAPHELPER: the XDP helpers of the engine, and with maps
 * bpf_map_lookup_elem, bpf_map_update_elem and bpf_map_delete_elem.
 */
static uint32_t hermes_caps_helpers(HermesState *s, unsigned w)
{
    uint32_t bits = 0;
    unsigned i;

    for (i = 0; i < 32; i++) {
        uint32_t id = 32 * w + i;

        if (hermes_ebpf_xdp_has_helper(id) ||
            (hermes_maps_enabled(s) && id >= HERMES_EBPF_FUNC_MAP_LOOKUP &&
             id <= HERMES_EBPF_FUNC_MAP_DELETE)) {
            bits |= 1u << i;
        }
    }
    return bits;
}

static uint32_t hermes_caps_read(HermesState *s, hwaddr addr)
{
    switch (addr) {
    case EHCAPSIG:
        return HERMES_CAPSIG;
    case EHCAPISA:
        return s->caps.isa_version | CAPISA_ATOMIC | CAPISA_DIVMOD |
               CAPISA_HELPERS | CAPISA_LOCALCALL;
    case EHCAPSTACK:
        return s->stack_size;
    case EHCAPDEPTH:
        return HERMES_EBPF_MAX_CALL_DEPTH;
    case EHCAPMAXINSN:
        return s->max_insns;
    case EHCAPBUDDEF:
        return HERMES_EBPF_DEFAULT_BUDGET;
    case EHCAPBUDMAX:
        return HERMES_BUDGET_MAX;
    case EHCAPCMDS:
        return CAPCMDS_SLOT | CAPCMDS_RUN | CAPCMDS_BATCH |
               (hermes_maps_enabled(s) ? CAPCMDS_MAPS : 0);
    case EHCAPMAPTYPES:
        return hermes_maps_enabled(s) ? 1u << HERMES_EBPF_MAP_HASH |
                                        1u << HERMES_EBPF_MAP_ARRAY : 0;
    case EHCAPMAPMAX:
        return hermes_maps_enabled(s) ? HERMES_MAPS : 0;
    case EHCAPMAPMEM:
        return s->map_mem_size / KiB;
    case EHCAPHELPER ... EHCAPHELPER_END - 1:
        return hermes_caps_helpers(s, (addr - EHCAPHELPER) / 4);
    default:
        return 0;
    }
}

static uint32_t hermes_engine_block_read(HermesEngine *e, hwaddr addr)
{
    uint64_t v;

    switch (addr & ~7ULL) {
    case RES_R0:
        v = e->res_r0;
        break;
    case RES_INSNS:
        v = e->res_insns;
        break;
    case RES_TIME:
        v = e->res_time;
        break;
    case RES_FADDR:
        v = e->res_faddr;
        break;
    case RES_FPC:
        v = e->res_fpc | (uint64_t)e->res_fault << 32;
        break;
    case RES_DOFF:
        v = e->res_doff | (uint64_t)e->res_dlen << 32;
        break;
    case RES_ITERS:
        v = e->res_iters | (uint64_t)e->res_status << 32;
        break;
    case RES_MLEN:
        v = e->res_mlen;
        break;
    case CNT_RUNS:
        v = e->cnt_runs;
        break;
    case CNT_INSNS:
        v = e->cnt_insns;
        break;
    case CNT_ERRORS:
        v = e->cnt_errors;
        break;
    case CNT_BUSY:
        v = e->cnt_busy;
        break;
    default:
        v = 0;
        break;
    }
    return addr & 4 ? v >> 32 : (uint32_t)v;
}

/* Read the aligned 32-bit word of BAR0 at @addr. */
static uint32_t hermes_bar0_read32(HermesState *s, hwaddr addr)
{
    unsigned e;

    if (addr >= EHBLD && addr < EHBLD + EHBLD_LEN) {
        return ldl_le_p(s->build + (addr - EHBLD));
    }
    if (addr >= EHCAPSIG && addr < EHCAPHELPER_END + 0x40) {
        return hermes_caps_read(s, addr);
    }
    if (addr >= EHCMD_BASE &&
        addr < EHCMD_BASE + EHCMD_STRIDE * s->num_engines) {
        HermesEngine *eng;
        hwaddr off = (addr - EHCMD_BASE) % EHCMD_STRIDE;

        eng = &s->engines[(addr - EHCMD_BASE) / EHCMD_STRIDE];
        if (off < EHCMDREQ_SIZE) {
            return ldl_le_p(eng->req + off);
        }
        return ldl_le_p(eng->res + (off - EHCMDREQ_SIZE));
    }
    if (addr >= EHCTRL_BASE &&
        addr < EHCTRL_BASE + EHCTRL_STRIDE * s->num_engines) {
        HermesEngine *eng = &s->engines[(addr - EHCTRL_BASE) / EHCTRL_STRIDE];

        if (addr % EHCTRL_STRIDE) {
            return 0;
        }
        return eng->exec | eng->done << 8 | eng->reject << 16;
    }
    if (addr >= EHENG_BASE &&
        addr < EHENG_BASE + EHENG_STRIDE * s->num_engines) {
        e = (addr - EHENG_BASE) / EHENG_STRIDE;
        return hermes_engine_block_read(&s->engines[e],
                                        (addr - EHENG_BASE) % EHENG_STRIDE);
    }

    switch (addr) {
    case EHVER:
        return HERMES_VERSION;
    case EHENG:
        return s->num_engines | s->num_pslots << 8 | s->num_dslots << 16;
    case EHPSOFF:
        return s->psoff;
    case EHPSSZE:
        return s->pslot_size;
    case EHDSOFF:
        return s->dsoff;
    case EHDSSZE:
        return s->dslot_size;
    case EHPSOFF64:
        return s->psoff;
    case EHPSOFF64 + 4:
        return s->psoff >> 32;
    case EHDSOFF64:
        return s->dsoff;
    case EHDSOFF64 + 4:
        return s->dsoff >> 32;
    case EHMEMSZ:
        return s->mem_size;
    case EHMEMSZ + 4:
        return 0;           /* BAR4 is at most HERMES_MAX_MEM */
    case EHDEVCTL:
        return s->resetting ? EHDEVCTL_RESET : 0;
    default:
        return 0;
    }
}

static uint64_t hermes_bar0_read(void *opaque, hwaddr addr, unsigned size)
{
    HermesState *s = opaque;
    uint64_t val = 0;
    unsigned i;

    for (i = 0; i < size; i++) {
        hwaddr a = addr + i;
        uint32_t w = hermes_bar0_read32(s, a & ~3ULL);

        val |= (uint64_t)((w >> (8 * (a & 3))) & 0xff) << (8 * i);
    }
    return val;
}

static void hermes_ctrl_write(HermesEngine *e, hwaddr off, uint64_t val,
                              unsigned size)
{
    int lane[EHCTRL_STRIDE];
    unsigned i;

    for (i = 0; i < EHCTRL_STRIDE; i++) {
        lane[i] = -1;
    }
    for (i = 0; i < size && off + i < EHCTRL_STRIDE; i++) {
        lane[off + i] = (val >> (8 * i)) & 0xff;
    }
    /* DONE, then EXEC, then ABORT (spec: "EHCMDCTRL") */
    if (lane[1] == 0) {
        e->done = false;
    }
    if (lane[0] > 0) {
        hermes_engine_exec(e, lane[3] > 0);
    }
    if (lane[3] > 0) {
        hermes_engine_abort(e);
    }
}

static void hermes_bar0_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    HermesState *s = opaque;
    unsigned i;

    if (s->unrealized) {
        return;     /* its workers and bottom halves are gone */
    }

    if (addr >= EHCTRL_BASE &&
        addr < EHCTRL_BASE + EHCTRL_STRIDE * s->num_engines) {
        HermesEngine *e = &s->engines[(addr - EHCTRL_BASE) / EHCTRL_STRIDE];

        hermes_ctrl_write(e, (addr - EHCTRL_BASE) % EHCTRL_STRIDE, val, size);
        return;
    }
    if (addr == EHDEVCTL) {
        if (val & EHDEVCTL_RESET) {
            hermes_reset_request(s);
        }
        return;
    }
    for (i = 0; i < size; i++) {
        hwaddr a = addr + i;

        if (a >= EHCMD_BASE &&
            a < EHCMD_BASE + EHCMD_STRIDE * s->num_engines &&
            (a - EHCMD_BASE) % EHCMD_STRIDE < EHCMDREQ_SIZE) {
            HermesEngine *e = &s->engines[(a - EHCMD_BASE) / EHCMD_STRIDE];

            e->req[(a - EHCMD_BASE) % EHCMD_STRIDE] = val >> (8 * i);
        } else {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "hermes: write to read-only BAR0 offset 0x%"
                          HWADDR_PRIx "\n", a);
            return;
        }
    }
}

static const MemoryRegionOps hermes_bar0_ops = {
    .read = hermes_bar0_read,
    .write = hermes_bar0_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
};

/* BAR4: device memory */

/* An F1 window larger than the device memory: the rest is not backed. */
static bool hermes_bar4_backed(HermesState *s, hwaddr addr, unsigned size,
                               bool write)
{
    if (addr < s->mem_size && size <= s->mem_size - addr) {
        return true;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "hermes: BAR4 %s of %u bytes at 0x%"
                  HWADDR_PRIx " is beyond the device memory (EHMEMSZ 0x%x)\n",
                  write ? "write" : "read", size, addr, s->mem_size);
    return false;
}

static uint64_t hermes_bar4_read(void *opaque, hwaddr addr, unsigned size)
{
    HermesState *s = opaque;

    if (!hermes_bar4_backed(s, addr, size, false)) {
        return 0;
    }
    return ldn_le_p(s->mem + addr, size);
}

static void hermes_bar4_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    HermesState *s = opaque;

    if (hermes_bar4_backed(s, addr, size, true)) {
        stn_le_p(s->mem + addr, size, val);
    }
}

static const MemoryRegionOps hermes_bar4_ops = {
    .read = hermes_bar4_read,
    .write = hermes_bar4_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
};

/* F1 BAR1: the AXI-Lite window of the shell, nothing behind it here */

static uint64_t hermes_bar1_read(void *opaque, hwaddr addr, unsigned size)
{
    trace_hermes_f1_bar1(addr, size, false);
    return 0;
}

static void hermes_bar1_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    trace_hermes_f1_bar1(addr, size, true);
    qemu_log_mask(LOG_UNIMP, "hermes: F1 BAR1 (AXI-Lite) write at 0x%"
                  HWADDR_PRIx " ignored: nothing is behind it\n", addr);
}

static const MemoryRegionOps hermes_bar1_ops = {
    .read = hermes_bar1_read,
    .write = hermes_bar1_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
};

/*
 * hermes-f1: BAR0 is the OCL AXI-Lite port and BAR4 the DMA_PCIS port of
 * the custom logic.  What does not complete reads as all-ones, as a PCIe
 * read of a card that does not answer; BAR4 outside the device memory
 * never reaches the simulator.
 */
static uint64_t hermes_f1_bar0_read(void *opaque, hwaddr addr, unsigned size)
{
    HermesState *s = opaque;
    uint32_t val;

    if (s->unrealized ||
        !hermes_cosim_ocl_read(s->cosim, addr & ~3ULL, &val)) {
        return MAKE_64BIT_MASK(0, 8 * size);
    }
    return extract32(val, 8 * (addr & 3), 8 * size);
}

static void hermes_f1_bar0_write(void *opaque, hwaddr addr, uint64_t val,
                                 unsigned size)
{
    HermesState *s = opaque;
    unsigned lane = addr & 3;

    if (!s->unrealized) {
        hermes_cosim_ocl_write(s->cosim, addr & ~3ULL, val << (8 * lane),
                               MAKE_64BIT_MASK(lane, size));
    }
}

/* AXI-Lite is 32 bits wide: wider accesses are split, narrower strobed */
static const MemoryRegionOps hermes_f1_bar0_ops = {
    .read = hermes_f1_bar0_read,
    .write = hermes_f1_bar0_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 4,
    },
};

static uint64_t hermes_f1_bar4_read(void *opaque, hwaddr addr, unsigned size)
{
    HermesState *s = opaque;
    uint8_t buf[8];

    if (s->unrealized || !hermes_bar4_backed(s, addr, size, false)) {
        return 0;
    }
    if (hermes_cosim_pcis_read(s->cosim, addr, buf, size,
                               HERMES_COSIM_ID_BAR4)) {
        return MAKE_64BIT_MASK(0, 8 * size);
    }
    return ldn_le_p(buf, size);
}

static void hermes_f1_bar4_write(void *opaque, hwaddr addr, uint64_t val,
                                 unsigned size)
{
    HermesState *s = opaque;
    uint8_t buf[8];

    if (s->unrealized || !hermes_bar4_backed(s, addr, size, true)) {
        return;
    }
    stn_le_p(buf, size, val);
    hermes_cosim_pcis_write(s->cosim, addr, buf, size, HERMES_COSIM_ID_BAR4);
}

static const MemoryRegionOps hermes_f1_bar4_ops = {
    .read = hermes_f1_bar4_read,
    .write = hermes_f1_bar4_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
};

/* BAR2: XDMA subset */

/* Channel interrupt bit in CHAN_INT_EN: H2C channels, then C2H */
static unsigned hermes_dma_irq_bit(HermesDmaChannel *ch)
{
    return ch->h2c ? ch->index : XDMA_CHANNELS + ch->index;
}

/*
 * STATUS bits that interrupt: PG195 has two enables for them, the IE
 * bits of CONTROL and the interrupt enable mask (0x90); either will do.
 */
static uint32_t hermes_dma_irq_status(HermesDmaChannel *ch)
{
    return ch->status & (ch->ie | (ch->control & XDMA_CTRL_IE_MASK));
}

static void hermes_dma_irq(HermesDmaChannel *ch)
{
    HermesState *s = ch->dev;
    unsigned bit = hermes_dma_irq_bit(ch);
    unsigned vector = s->chan_vec[bit] & XDMA_VEC_MASK;

    if (hermes_dma_irq_status(ch) && (s->chan_ie & (1u << bit))) {
        trace_hermes_irq(ch->h2c ? "h2c" : "c2h", ch->index, vector);
        hermes_notify(s, vector);
    }
}

static void hermes_dma_stop(HermesDmaChannel *ch, uint32_t why)
{
    trace_hermes_dma_stop(ch->h2c ? "h2c" : "c2h", ch->index, why,
                          ch->completed);
    if (why & ~XDMA_ST_DESC_COMPLETED) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "hermes: %s%u: transfer stopped with status 0x%x "
                      "after %u descriptors (descriptor 0x%" PRIx64 ")\n",
                      ch->h2c ? "h2c" : "c2h", ch->index, why, ch->completed,
                      ch->next_desc);
    }
    /* no walk state outlives the chain: it would only burden migration */
    ch->cur_valid = false;
    ch->adj_left = 0;
    ch->status &= ~XDMA_ST_BUSY;
    ch->status |= XDMA_ST_DESC_STOPPED | why;
    hermes_dma_irq(ch);
}

/*
 * Fetch and check the descriptor at ch->next_desc into ch->cur_*.
 * Returns 0, or the status bit of the error.
 */
static uint32_t hermes_dma_fetch(HermesDmaChannel *ch)
{
    HermesState *s = ch->dev;
    uint8_t d[XDMA_DESC_SIZE];
    uint64_t src, dst;

    if (ch->count >= XDMA_CHAIN_LIMIT) {
        return XDMA_ST_CHAIN_LIMIT;
    }
    if (ch->next_desc % XDMA_DESC_SIZE) {
        return XDMA_ST_DESC_ERROR;
    }
    /* the same end for every descriptor of a group: checked before its first */
    if (ch->next_desc % XDMA_ADJ_BOUNDARY +
        (ch->adj_left + 1) * XDMA_DESC_SIZE > XDMA_ADJ_BOUNDARY) {
        return XDMA_ST_ADJ_BOUNDARY;
    }
    if (pci_dma_read(PCI_DEVICE(s), ch->next_desc, d, sizeof(d)) !=
        MEMTX_OK) {
        return XDMA_ST_DESC_ERROR;
    }
    ch->count++;
    ch->cur_control = ldl_le_p(d + 0x00);
    ch->cur_len = ldl_le_p(d + 0x04);
    src = ldq_le_p(d + 0x08);
    dst = ldq_le_p(d + 0x10);
    ch->cur_next = ldq_le_p(d + 0x18);
    ch->cur_card = ch->h2c ? dst : src;
    ch->cur_host = ch->h2c ? src : dst;
    ch->cur_done = 0;
    trace_hermes_dma_desc(ch->h2c ? "h2c" : "c2h", ch->index, ch->next_desc,
                          ch->cur_host, ch->cur_card, ch->cur_len);

    if (ch->cur_control >> 16 != XDMA_DESC_MAGIC) {
        return XDMA_ST_MAGIC_STOPPED;
    }
    if (ch->cur_len > XDMA_DESC_MAX_LEN) {
        return XDMA_ST_INVALID_LENGTH;
    }
    if (ch->cur_card > s->mem_size ||
        ch->cur_len > s->mem_size - ch->cur_card) {
        return XDMA_ST_CARD_RANGE;
    }
    ch->cur_valid = true;
    return 0;
}

/* @len bytes between guest memory at @host and device memory at @card */
static uint32_t hermes_dma_move(HermesDmaChannel *ch, uint64_t host,
                                uint64_t card, uint32_t len)
{
    HermesState *s = ch->dev;

    if (ch->h2c) {
        return pci_dma_read(PCI_DEVICE(s), host, s->mem + card, len) ?
               XDMA_ST_READ_ERROR : 0;
    }
    return pci_dma_write(PCI_DEVICE(s), host, s->mem + card, len) ?
           XDMA_ST_WRITE_ERROR : 0;
}

/*
 * hermes-f1: the same through DMA_PCIS bursts with the channel's AXI ID.
 * PG195: a failed PCIe read of H2C and a failed AXI read of C2H are read
 * errors, a failed AXI write of H2C and PCIe write of C2H write errors.
 */
static uint32_t hermes_dma_move_cl(HermesDmaChannel *ch, uint64_t host,
                                   uint64_t card, uint32_t len)
{
    HermesState *s = ch->dev;
    uint8_t *buf = s->cl_bounce;

    if (ch->h2c) {
        if (pci_dma_read(PCI_DEVICE(s), host, buf, len)) {
            return XDMA_ST_READ_ERROR;
        }
        return hermes_cosim_pcis_write(s->cosim, card, buf, len, ch->index) ?
               XDMA_ST_WRITE_ERROR : 0;
    }
    if (hermes_cosim_pcis_read(s->cosim, card, buf, len, ch->index)) {
        return XDMA_ST_READ_ERROR;
    }
    return pci_dma_write(PCI_DEVICE(s), host, buf, len) ?
           XDMA_ST_WRITE_ERROR : 0;
}

/*
 * Move the bytes of a channel's chain until it ends or until about
 * XDMA_STEP_BYTES have moved, then yield to the main loop, even in the
 * middle of a descriptor.  Every descriptor is checked before any of its
 * bytes moves.
 */
static void hermes_dma_bh(void *opaque)
{
    HermesDmaChannel *ch = opaque;
    HermesState *s = ch->dev;
    /* hermes-f1: every chunk is a round trip to the simulator, BQL held */
    uint64_t step = s->cosim ? HERMES_COSIM_MAX_DATA : XDMA_STEP_BYTES;
    uint64_t moved = 0;

    /* DMA pauses with the VM: hermes_vm_state_change() resumes it */
    if (!(ch->status & XDMA_ST_BUSY) || !s->vm_running) {
        return;
    }
    while (moved < step) {
        uint32_t err, chunk;

        if (!ch->cur_valid) {
            /* RUN cleared: stop between descriptors (PG195) */
            if (!(ch->control & XDMA_CTRL_RUN)) {
                hermes_dma_stop(ch, 0);
                return;
            }
            err = hermes_dma_fetch(ch);
            if (err) {
                hermes_dma_stop(ch, err);
                return;
            }
            moved += XDMA_DESC_SIZE;
        }
        chunk = MIN(ch->cur_len - ch->cur_done, step);
        if (chunk) {
            uint64_t host = ch->cur_host + ch->cur_done;
            uint64_t card = ch->cur_card + ch->cur_done;

            err = s->cosim ? hermes_dma_move_cl(ch, host, card, chunk)
                           : hermes_dma_move(ch, host, card, chunk);
            if (err) {
                hermes_dma_stop(ch, err);
                return;
            }
            ch->cur_done += chunk;
            moved += chunk;
        }
        if (ch->cur_done < ch->cur_len) {
            continue;
        }
        ch->cur_valid = false;
        ch->completed++;
        if (ch->cur_control & XDMA_DESC_STOP) {
            hermes_dma_stop(ch, XDMA_ST_DESC_COMPLETED);
            return;
        }
        if (ch->cur_control & XDMA_DESC_COMPLETED) {
            trace_hermes_dma_desc_completed(ch->h2c ? "h2c" : "c2h",
                                            ch->index, ch->completed);
            ch->status |= XDMA_ST_DESC_COMPLETED;
            hermes_dma_irq(ch);
        }
        /* only the last descriptor of an adjacent group links on */
        if (ch->adj_left) {
            ch->adj_left--;
            ch->next_desc += XDMA_DESC_SIZE;
            continue;
        }
        if (ch->cur_next == 0) {
            hermes_dma_stop(ch, XDMA_ST_DESC_COMPLETED);
            return;
        }
        ch->next_desc = ch->cur_next;
        ch->adj_left = XDMA_DESC_NXT_ADJ(ch->cur_control);
        trace_hermes_dma_group(ch->h2c ? "h2c" : "c2h", ch->index,
                               ch->next_desc, ch->adj_left);
    }
    qemu_bh_schedule(ch->bh);
}

static void hermes_dma_set_control(HermesDmaChannel *ch, uint32_t val)
{
    bool start = !(ch->control & XDMA_CTRL_RUN) && (val & XDMA_CTRL_RUN);

    /* on F1 the XDMA is not part of what EHDEVCTL resets */
    if (start && ch->dev->resetting && !ch->dev->f1) {
        qemu_log_mask(LOG_GUEST_ERROR, "hermes: %s%u: RUN during a device "
                      "reset ignored\n", ch->h2c ? "h2c" : "c2h", ch->index);
        return;
    }
    if (val & (XDMA_CTRL_NON_INCR_ADDR | XDMA_CTRL_POLL_MODE_WB)) {
        qemu_log_mask(LOG_UNIMP, "hermes: %s%u: non-incrementing addresses "
                      "and poll mode write-back are not modelled: CONTROL "
                      "0x%x\n", ch->h2c ? "h2c" : "c2h", ch->index, val);
    }

    ch->control = val & XDMA_CTRL_MASK;
    if (start) {
        trace_hermes_dma_start(ch->h2c ? "h2c" : "c2h", ch->index,
                               ch->first_desc);
        ch->status = XDMA_ST_BUSY;
        ch->completed = 0;
        ch->count = 0;
        ch->cur_valid = false;
        ch->next_desc = ch->first_desc;
        ch->adj_left = ch->adjacent;
        qemu_bh_schedule(ch->bh);
    }
}

static HermesDmaChannel *hermes_dma_channel(HermesState *s, unsigned blk,
                                            unsigned chan)
{
    if (chan >= XDMA_CHANNELS) {
        return NULL;
    }
    switch (blk) {
    case XDMA_BLK_H2C:
    case XDMA_BLK_H2C_SGDMA:
        return &s->h2c[chan];
    case XDMA_BLK_C2H:
    case XDMA_BLK_C2H_SGDMA:
        return &s->c2h[chan];
    default:
        return NULL;
    }
}

/* USER_INT_REQ: engines whose DONE is set, the level of their interrupt */
static uint32_t hermes_user_irq_req(HermesState *s)
{
    uint32_t req = 0;
    unsigned i;

    if (s->cosim) {
        return s->cl_irq_pend;
    }
    for (i = 0; i < s->num_engines; i++) {
        req |= (uint32_t)s->engines[i].done << i;
    }
    return req;
}

/* CHAN_INT_REQ: channels with an interrupting STATUS bit set */
static uint32_t hermes_chan_irq_req(HermesState *s)
{
    uint32_t req = 0;
    unsigned i;

    for (i = 0; i < XDMA_CHANNELS; i++) {
        req |= (hermes_dma_irq_status(&s->h2c[i]) ? 1u : 0) << i;
        req |= (hermes_dma_irq_status(&s->c2h[i]) ? 1u : 0) <<
               (XDMA_CHANNELS + i);
    }
    return req;
}

/* A vector register: a byte per interrupt, bits 4:0 the MSI-X vector */
static void hermes_set_vectors(uint8_t *vec, uint32_t val)
{
    unsigned i;

    for (i = 0; i < 4; i++) {
        vec[i] = (val >> (8 * i)) & XDMA_VEC_MASK;
    }
}

static uint64_t hermes_xdma_read(void *opaque, hwaddr addr, unsigned size)
{
    HermesState *s = opaque;
    unsigned blk = addr >> 12, chan = (addr >> 8) & 0xf, reg = addr & 0xff;
    HermesDmaChannel *ch = hermes_dma_channel(s, blk, chan);
    uint32_t v;

    switch (blk) {
    case XDMA_BLK_H2C:
    case XDMA_BLK_C2H:
        if (!ch) {
            return 0;
        }
        switch (reg) {
        case XDMA_CH_ID:
            return (ch->h2c ? XDMA_ID_H2C : XDMA_ID_C2H) | chan << 8;
        case XDMA_CH_CONTROL:
            return ch->control;
        case XDMA_CH_STATUS:
            return ch->status;
        case XDMA_CH_STATUS_RC:
            v = ch->status;
            ch->status &= ~XDMA_ST_RC_MASK;
            return v;
        case XDMA_CH_COMPLETED:
            return ch->completed;
        case XDMA_CH_ALIGNMENTS:
            return XDMA_ALIGNMENTS;
        case XDMA_CH_IE:
            return ch->ie;
        default:
            return 0;
        }
    case XDMA_BLK_H2C_SGDMA:
    case XDMA_BLK_C2H_SGDMA:
        if (!ch) {
            return 0;
        }
        switch (reg) {
        case XDMA_CH_ID:
            return (ch->h2c ? XDMA_ID_H2C_SGDMA : XDMA_ID_C2H_SGDMA) |
                   chan << 8;
        case XDMA_SG_DESC_LO:
            return (uint32_t)ch->first_desc;
        case XDMA_SG_DESC_HI:
            return ch->first_desc >> 32;
        case XDMA_SG_DESC_ADJ:
            return ch->adjacent;
        default:
            return 0;
        }
    case XDMA_BLK_IRQ:
        switch (reg) {
        case 0:
            return XDMA_ID_IRQ;
        case XDMA_IRQ_USER_IE:
            return s->user_ie;
        case XDMA_IRQ_CHAN_IE:
            return s->chan_ie;
        case XDMA_IRQ_USER_REQ:
            return hermes_user_irq_req(s);
        case XDMA_IRQ_CHAN_REQ:
            return hermes_chan_irq_req(s);
        case XDMA_IRQ_USER_PEND:
            return hermes_user_irq_req(s) & s->user_ie;
        case XDMA_IRQ_CHAN_PEND:
            return hermes_chan_irq_req(s) & s->chan_ie;
        case XDMA_IRQ_USER_VEC ... XDMA_IRQ_USER_VEC + XDMA_USER_IRQS - 1:
            return ldl_le_p(s->user_vec + (reg - XDMA_IRQ_USER_VEC));
        case XDMA_IRQ_CHAN_VEC ... XDMA_IRQ_CHAN_VEC + XDMA_CHAN_IRQS - 1:
            return ldl_le_p(s->chan_vec + (reg - XDMA_IRQ_CHAN_VEC));
        default:
            return 0;
        }
    case XDMA_BLK_CONFIG:
        return addr == (XDMA_BLK_CONFIG << 12) ? XDMA_ID_CONFIG : 0;
    case XDMA_BLK_SGDMA_COMMON:
        return addr == (XDMA_BLK_SGDMA_COMMON << 12) ? XDMA_ID_SGDMA_COMMON
                                                     : 0;
    default:
        return 0;
    }
}

static void hermes_xdma_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    HermesState *s = opaque;
    unsigned blk = addr >> 12, chan = (addr >> 8) & 0xf, reg = addr & 0xff;
    HermesDmaChannel *ch = hermes_dma_channel(s, blk, chan);
    uint32_t engines_mask = MAKE_64BIT_MASK(0, hermes_user_irqs(s));

    if (s->unrealized) {
        return;     /* its bottom halves are gone */
    }

    switch (blk) {
    case XDMA_BLK_H2C:
    case XDMA_BLK_C2H:
        if (!ch) {
            return;
        }
        switch (reg) {
        case XDMA_CH_CONTROL:
            hermes_dma_set_control(ch, val);
            return;
        case XDMA_CH_CONTROL_W1S:
            hermes_dma_set_control(ch, ch->control | val);
            return;
        case XDMA_CH_CONTROL_W1C:
            hermes_dma_set_control(ch, ch->control & ~val);
            return;
        case XDMA_CH_IE:
            ch->ie = val;
            return;
        case XDMA_CH_IE_W1S:
            ch->ie |= val;
            return;
        case XDMA_CH_IE_W1C:
            ch->ie &= ~val;
            return;
        }
        break;
    case XDMA_BLK_H2C_SGDMA:
    case XDMA_BLK_C2H_SGDMA:
        if (!ch) {
            return;
        }
        switch (reg) {
        case XDMA_SG_DESC_LO:
            ch->first_desc = deposit64(ch->first_desc, 0, 32, val);
            return;
        case XDMA_SG_DESC_HI:
            ch->first_desc = deposit64(ch->first_desc, 32, 32, val);
            return;
        case XDMA_SG_DESC_ADJ:
            ch->adjacent = val & 0x3f;
            return;
        case XDMA_SG_DESC_CREDIT:
            qemu_log_mask(LOG_UNIMP, "hermes: descriptor credits are not "
                          "modelled: DESC_CREDIT write ignored\n");
            return;
        }
        break;
    case XDMA_BLK_IRQ:
        switch (reg) {
        case XDMA_IRQ_USER_IE:
            s->user_ie = val & engines_mask;
            if (s->cosim) {
                hermes_f1_irq_deliver(s);
            }
            return;
        case XDMA_IRQ_USER_IE_W1S:
            s->user_ie |= val & engines_mask;
            if (s->cosim) {
                hermes_f1_irq_deliver(s);
            }
            return;
        case XDMA_IRQ_USER_IE_W1C:
            s->user_ie &= ~val;
            return;
        case XDMA_IRQ_CHAN_IE:
            s->chan_ie = val & 0xff;
            return;
        case XDMA_IRQ_CHAN_IE_W1S:
            s->chan_ie |= val & 0xff;
            return;
        case XDMA_IRQ_CHAN_IE_W1C:
            s->chan_ie &= ~val;
            return;
        case XDMA_IRQ_USER_VEC:
        case XDMA_IRQ_USER_VEC + 4:
        case XDMA_IRQ_USER_VEC + 8:
        case XDMA_IRQ_USER_VEC + 12:
            hermes_set_vectors(s->user_vec + (reg - XDMA_IRQ_USER_VEC), val);
            return;
        case XDMA_IRQ_CHAN_VEC:
        case XDMA_IRQ_CHAN_VEC + 4:
            hermes_set_vectors(s->chan_vec + (reg - XDMA_IRQ_CHAN_VEC), val);
            return;
        }
        break;
    }
    /* read-only, or a PG195 register the model leaves out */
    qemu_log_mask(LOG_UNIMP,
                  "hermes: write to XDMA offset 0x%" HWADDR_PRIx
                  " ignored: read-only or not implemented\n", addr);
}

static const MemoryRegionOps hermes_xdma_ops = {
    .read = hermes_xdma_read,
    .write = hermes_xdma_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

/* Device life cycle */

static bool hermes_check_f1_window(HermesState *s, Error **errp)
{
    if (s->f1_window && (!is_power_of_2(s->f1_window) ||
                         s->f1_window > HERMES_F1_WINDOW)) {
        error_setg(errp, "%s: f1-window must be a power of two, at most %"
                   PRIu64 " GiB", object_get_typename(OBJECT(s)),
                   (uint64_t)(HERMES_F1_WINDOW / GiB));
        return false;
    }
    return true;
}

static bool hermes_check_config(HermesState *s, Error **errp)
{
    uint64_t total;

    if (s->num_engines < 1 || s->num_engines > HERMES_MAX_ENGINES) {
        error_setg(errp, "hermes: engines must be 1 to %d (an engine's "
                   "interrupt is one of the %d XDMA user interrupts)",
                   HERMES_MAX_ENGINES, XDMA_USER_IRQS);
        return false;
    }
    if (!s->f1 && (s->f1_window || s->x_mem_window)) {
        error_setg(errp, "hermes: f1-window and x-mem-window need f1=on");
        return false;
    }
    if (!hermes_check_f1_window(s, errp)) {
        return false;
    }
    if (s->x_mem_window && (!is_power_of_2(s->x_mem_window) ||
                            s->x_mem_window < HERMES_F1_WINDOW_MIN ||
                            s->x_mem_window > HERMES_F1_WINDOW)) {
        error_setg(errp, "hermes: x-mem-window must be a power of two from "
                   "4 KiB to %" PRIu64 " GiB",
                   (uint64_t)(HERMES_F1_WINDOW / GiB));
        return false;
    }
    if (!s->num_pslots || !s->num_dslots) {
        error_setg(errp, "hermes: prog-slots and data-slots must be 1 to 255");
        return false;
    }
    if (!s->pslot_size || s->pslot_size % (4 * KiB) ||
        !s->dslot_size || s->dslot_size % (4 * KiB)) {
        error_setg(errp, "hermes: slot sizes must be non-zero multiples "
                   "of 4 KiB");
        return false;
    }
    if (s->stack_size < HERMES_STACK_FRAME_MIN ||
        s->stack_size > HERMES_STACK_FRAME_MAX || s->stack_size % 8) {
        error_setg(errp, "hermes: stack-size must be a multiple of 8 from "
                   "%d to %d bytes", HERMES_STACK_FRAME_MIN,
                   HERMES_STACK_FRAME_MAX);
        return false;
    }
    if (s->map_mem_size % KiB || s->map_mem_size > HERMES_MAP_MEM_MAX) {
        error_setg(errp, "hermes: map-memory must be a multiple of 1 KiB, "
                   "at most %d MiB", (int)(HERMES_MAP_MEM_MAX / MiB));
        return false;
    }
    total = (uint64_t)s->num_pslots * s->pslot_size +
            (uint64_t)s->num_dslots * s->dslot_size;
    if (total > HERMES_MAX_MEM) {
        error_setg(errp, "hermes: slots need more than %" PRIu64
                   " bytes of device memory", (uint64_t)HERMES_MAX_MEM);
        return false;
    }
    return true;
}

/*
 * Interrupts held while the VM was stopped are raised, and DMA chains
 * paused with it go on, when it runs again.
 */
static void hermes_vm_state_change(void *opaque, bool running,
                                   RunState state)
{
    HermesState *s = opaque;
    unsigned i;

    s->vm_running = running;
    /* workers pause at their next poll point: never wait for them here */
    for (i = 0; i < s->num_engines; i++) {
        HermesEngine *e = &s->engines[i];

        qemu_mutex_lock(&e->lock);
        if (running) {
            qatomic_and(&e->abort, ~HERMES_ENGINE_PAUSE);
        } else {
            qatomic_or(&e->abort, HERMES_ENGINE_PAUSE);
        }
        qemu_cond_broadcast(&e->cond);
        qemu_mutex_unlock(&e->lock);
    }
    if (!running) {
        return;
    }
    if (s->cosim) {
        hermes_f1_irq_deliver(s);
    }
    for (i = 0; i < s->num_engines; i++) {
        HermesEngine *e = &s->engines[i];

        if (e->irq_pending) {
            e->irq_pending = false;
            if (s->user_ie & (1u << i)) {
                hermes_notify_engine(s, i);
            }
        }
    }
    for (i = 0; i < XDMA_CHANNELS; i++) {
        if (s->h2c[i].status & XDMA_ST_BUSY) {
            qemu_bh_schedule(s->h2c[i].bh);
        }
        if (s->c2h[i].status & XDMA_ST_BUSY) {
            qemu_bh_schedule(s->c2h[i].bh);
        }
    }
}

/*
 * hermes-f1: connect to the simulator and take the layout from the
 * custom logic's own registers.  The device memory is the CL's, behind
 * DMA_PCIS; no engine runs in QEMU.
 */
static bool hermes_f1_attach(HermesState *s, Error **errp)
{
    uint32_t eng, memsz;

    if (!s->sim_path) {
        error_setg(errp, "hermes-f1: sim, the socket of hermes-f1-sim, "
                   "is required");
        return false;
    }
    if (!hermes_check_f1_window(s, errp)) {
        return false;
    }
    s->cosim = hermes_cosim_connect(s->sim_path, hermes_f1_irq, s,
                                    &DEVICE(s)->mem_reentrancy_guard, errp);
    if (!s->cosim) {
        return false;
    }
    if (!hermes_cosim_ocl_read(s->cosim, EHENG, &eng) ||
        !hermes_cosim_ocl_read(s->cosim, EHMEMSZ, &memsz)) {
        error_setg(errp, "hermes-f1: the custom logic does not answer "
                   "register reads");
        goto fail;
    }
    eng &= 0xff;
    if (!eng || eng > XDMA_USER_IRQS) {
        error_setg(errp, "hermes-f1: the custom logic reports %u engines; "
                   "the shell's XDMA has a user interrupt for 1 to %d",
                   eng, XDMA_USER_IRQS);
        goto fail;
    }
    s->bar4_size = s->f1_window ?: HERMES_F1_WINDOW;
    if (!memsz || memsz > s->bar4_size) {
        error_setg(errp, "hermes-f1: the custom logic's memory (EHMEMSZ %u "
                   "bytes) does not fit the f1-window of %" PRIu64 " bytes",
                   memsz, s->bar4_size);
        goto fail;
    }
    s->mem_size = memsz;
    s->cl_engines = eng;
    s->cl_bounce = g_malloc(HERMES_COSIM_MAX_DATA);
    return true;

fail:
    hermes_cosim_close(s->cosim);
    s->cosim = NULL;
    return false;
}

/* hermes: check the properties, lay out the memory, set the caps */
static bool hermes_model_init(HermesState *s, Error **errp)
{
    if (!hermes_check_config(s, errp)) {
        return false;
    }

    s->psoff = 0;
    s->dsoff = (uint64_t)s->num_pslots * s->pslot_size;
    s->mem_size = pow2ceil(s->dsoff + (uint64_t)s->num_dslots * s->dslot_size);
    s->bar4_size = s->mem_size;
    if (s->f1) {
        /* x-mem-window may be below EHMEMSZ: drivers must refuse that */
        s->bar4_size = s->x_mem_window ?: s->f1_window ?: HERMES_F1_WINDOW;
        if (s->bar4_size < s->mem_size && !s->x_mem_window) {
            error_setg(errp, "hermes: f1-window is smaller than the device "
                       "memory (%u bytes)", s->mem_size);
            return false;
        }
    }
    s->max_insns = MIN(s->pslot_size / 8, HERMES_EBPF_MAX_INSNS);
    hermes_ebpf_caps_full(&s->caps);
    s->caps.lddw_src_mask = 0;
    s->caps.max_insns = s->max_insns;
    s->caps.max_maps = hermes_maps_enabled(s) ? HERMES_MAPS : 0;
    memset(s->build, 0, sizeof(s->build));
    snprintf(s->build, sizeof(s->build), "Hermes QEMU model, interface %d",
             HERMES_VERSION);

    s->num_engines32 = s->num_engines;
    s->mem = g_malloc0(s->mem_size);
    return true;
}

static void hermes_realize(PCIDevice *pdev, Error **errp)
{
    HermesState *s = HERMES_BASE(pdev);
    HermesClass *hc = HERMES_BASE_GET_CLASS(s);
    unsigned i;

    if (hc->cosim ? !hermes_f1_attach(s, errp)
                  : !hermes_model_init(s, errp)) {
        return;
    }
    qemu_mutex_init(&s->map_lock);

    if (s->f1) {
        uint8_t *c = pdev->config;

        pci_set_word(c + PCI_VENDOR_ID, HERMES_F1_VENDOR_ID);
        pci_set_word(c + PCI_DEVICE_ID, HERMES_F1_DEVICE_ID);
        pci_set_word(c + PCI_SUBSYSTEM_VENDOR_ID, HERMES_F1_VENDOR_ID);
        pci_set_word(c + PCI_SUBSYSTEM_ID, HERMES_F1_DEVICE_ID);
    }
    memory_region_init_io(&s->bar0, OBJECT(s),
                          s->cosim ? &hermes_f1_bar0_ops : &hermes_bar0_ops,
                          s, "hermes-regs", HERMES_BAR0_SIZE);
    pci_register_bar(pdev, 0, PCI_BASE_ADDRESS_SPACE_MEMORY, &s->bar0);
    if (s->f1) {
        memory_region_init_io(&s->bar1, OBJECT(s), &hermes_bar1_ops, s,
                              "hermes-f1-axil", HERMES_F1_BAR1_SIZE);
        pci_register_bar(pdev, 1, PCI_BASE_ADDRESS_SPACE_MEMORY, &s->bar1);
    }

    memory_region_init(&s->bar2, OBJECT(s), "hermes-bar2", HERMES_BAR2_SIZE);
    memory_region_init_io(&s->xdma, OBJECT(s), &hermes_xdma_ops, s,
                          "hermes-xdma", XDMA_REGS_SIZE);
    memory_region_add_subregion(&s->bar2, 0, &s->xdma);
    pci_register_bar(pdev, 2, PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64 |
                     PCI_BASE_ADDRESS_MEM_PREFETCH, &s->bar2);
    if (msix_init(pdev, XDMA_VECTORS, &s->bar2, 2, XDMA_MSIX_TABLE,
                  &s->bar2, 2, XDMA_MSIX_PBA, 0, errp)) {
        goto fail;
    }
    for (i = 0; i < XDMA_VECTORS; i++) {
        msix_vector_use(pdev, i);
    }
    /*
     * An endpoint on a PCI Express bus: an integrated one on a root bus
     * (pcie.0 of q35), a plain one behind a root port or a switch.
     */
    if (pci_is_express(pdev) &&
        pcie_endpoint_cap_init(pdev, HERMES_PCIE_CAP_OFFSET) < 0) {
        error_setg(errp, "hermes: cannot add the PCI Express capability");
        msix_uninit(pdev, &s->bar2, &s->bar2);
        goto fail;
    }

    memory_region_init_io(&s->bar4, OBJECT(s),
                          s->cosim ? &hermes_f1_bar4_ops : &hermes_bar4_ops,
                          s, "hermes-mem", s->bar4_size);
    pci_register_bar(pdev, 4, PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64 |
                     PCI_BASE_ADDRESS_MEM_PREFETCH, &s->bar4);

    for (i = 0; i < XDMA_CHANNELS; i++) {
        s->h2c[i] = (HermesDmaChannel) { .dev = s, .h2c = true, .index = i };
        s->h2c[i].bh = qemu_bh_new_guarded(hermes_dma_bh, &s->h2c[i],
                                           &DEVICE(s)->mem_reentrancy_guard);
        s->c2h[i] = (HermesDmaChannel) { .dev = s, .h2c = false, .index = i };
        s->c2h[i].bh = qemu_bh_new_guarded(hermes_dma_bh, &s->c2h[i],
                                           &DEVICE(s)->mem_reentrancy_guard);
    }

    hermes_xdma_reset(s);

    s->vm_running = runstate_is_running();
    s->engines = g_new0(HermesEngine, s->num_engines);
    for (i = 0; i < s->num_engines; i++) {
        HermesEngine *e = &s->engines[i];

        e->dev = s;
        e->index = i;
        e->env.clock_ns = hermes_engine_clock_ns;
        e->env.cpu = i;
        /* from QEMU's guest random source: -seed makes runs reproducible */
        qemu_guest_getrandom_nofail(&e->env.prng, sizeof(e->env.prng));
        e->abort = s->vm_running ? 0 : HERMES_ENGINE_PAUSE;
        e->prog = g_new0(uint64_t, s->max_insns);
        e->code_size = hermes_ebpf_code_size(s->max_insns);
        e->code_mem = g_malloc(e->code_size);
        e->code_prog = g_new0(uint64_t, s->max_insns);
        e->bh = qemu_bh_new_guarded(hermes_engine_bh, e,
                                    &DEVICE(s)->mem_reentrancy_guard);
        qemu_mutex_init(&e->lock);
        qemu_cond_init(&e->cond);
        hermes_engine_spawn(e);
    }
    s->vmstate_change = qdev_add_vm_change_state_handler(
        DEVICE(s), hermes_vm_state_change, s);
    return;

fail:
    memory_region_del_subregion(&s->bar2, &s->xdma);
    qemu_mutex_destroy(&s->map_lock);
    g_free(s->mem);
    s->mem = NULL;
    hermes_cosim_close(s->cosim);
    s->cosim = NULL;
}

static void hermes_exit(PCIDevice *pdev)
{
    HermesState *s = HERMES_BASE(pdev);
    unsigned i;

    s->unrealized = true;
    qemu_del_vm_change_state_handler(s->vmstate_change);

    for (i = 0; i < s->num_engines; i++) {
        HermesEngine *e = &s->engines[i];

        qatomic_or(&e->abort, HERMES_EBPF_ABORT);
        qemu_mutex_lock(&e->lock);
        e->quit = true;
        qemu_cond_broadcast(&e->cond);
        qemu_mutex_unlock(&e->lock);
        if (e->thread_pid == getpid()) {
            qemu_thread_join(&e->thread);
        }
        qemu_bh_delete(e->bh);
    }
    hermes_maps_clear(s);
    qemu_mutex_destroy(&s->map_lock);
    for (i = 0; i < XDMA_CHANNELS; i++) {
        qemu_bh_delete(s->h2c[i].bh);
        qemu_bh_delete(s->c2h[i].bh);
    }
    if (pci_is_express(pdev)) {
        pcie_cap_exit(pdev);
    }
    msix_uninit(pdev, &s->bar2, &s->bar2);
    /* the subregion holds a reference on the device: drop it */
    memory_region_del_subregion(&s->bar2, &s->xdma);
    /* the simulator ends when its connection does */
    hermes_cosim_close(s->cosim);
    s->cosim = NULL;
}

/*
 * What the BARs' callbacks read lives as long as the device object: a
 * BAR access that started before unrealize may still run until the
 * memory regions go, which is at finalize.
 */
static void hermes_finalize(Object *obj)
{
    HermesState *s = HERMES_BASE(obj);
    unsigned i;

    if (s->engines) {
        for (i = 0; i < s->num_engines; i++) {
            qemu_cond_destroy(&s->engines[i].cond);
            qemu_mutex_destroy(&s->engines[i].lock);
            g_free(s->engines[i].prog);
            if (s->engines[i].code) {
                hermes_ebpf_code_release(s->engines[i].code);
            }
            g_free(s->engines[i].code_mem);
            g_free(s->engines[i].code_prog);
        }
        g_free(s->engines);
    }
    g_free(s->mem);
    g_free(s->cl_bounce);
}

static void hermes_qdev_reset(DeviceState *dev)
{
    HermesState *s = HERMES_BASE(dev);

    hermes_xdma_reset(s);
    if (s->cosim) {
        /* a PCI reset of the card resets its custom logic (rst_main_n) */
        hermes_cosim_reset(s->cosim);
        s->cl_irq_pend = 0;
    } else {
        hermes_reset(s);
    }
}

/*
 * The device is PCI Express on a PCI Express bus and conventional PCI on
 * a PCI bus: the size of its configuration space, which the PCI core
 * allocates before hermes_realize() runs, follows QEMU_PCI_CAP_EXPRESS.
 */
static void hermes_qdev_realize(DeviceState *dev, Error **errp)
{
    HermesClass *hc = HERMES_BASE_GET_CLASS(dev);
    PCIDevice *pdev = PCI_DEVICE(dev);

    if (pci_bus_is_express(pci_get_bus(pdev))) {
        pdev->cap_present |= QEMU_PCI_CAP_EXPRESS;
    }
    hc->parent_realize(dev, errp);
}

static Property hermes_properties[] = {
    DEFINE_PROP_UINT8("engines", HermesState, num_engines, 4),
    DEFINE_PROP_UINT8("prog-slots", HermesState, num_pslots, 16),
    DEFINE_PROP_SIZE32("prog-slot-size", HermesState, pslot_size, 1 * MiB),
    DEFINE_PROP_UINT8("data-slots", HermesState, num_dslots, 16),
    DEFINE_PROP_SIZE32("data-slot-size", HermesState, dslot_size, 1 * MiB),
    DEFINE_PROP_UINT32("stack-size", HermesState, stack_size,
                       HERMES_EBPF_DEFAULT_STACK_SIZE),
    DEFINE_PROP_SIZE("map-memory", HermesState, map_mem_size,
                     HERMES_MAP_MEM_DEFAULT),
    DEFINE_PROP_BOOL("f1", HermesState, f1, false),
    DEFINE_PROP_BOOL("jit", HermesState, jit, true),
    DEFINE_PROP_SIZE("f1-window", HermesState, f1_window, 0),
    DEFINE_PROP_SIZE("x-mem-window", HermesState, x_mem_window, 0),
    DEFINE_PROP_END_OF_LIST(),
};

/*
 * Migration.  A program running on a worker thread cannot be saved, and a
 * guest may keep an engine busy forever, so the device ends what runs
 * when it is saved: a reset in progress completes, and every command in
 * flight completes with status ABORTED, as if the host had aborted it,
 * its interrupt raised when the VM runs again (on the destination, or
 * here if the migration fails).  DMA chains in progress are resumed.
 */
static int hermes_pre_save(void *opaque)
{
    HermesState *s = opaque;
    unsigned i;

    if (s->resetting) {
        hermes_reset(s);
        trace_hermes_reset_done();
    }
    for (i = 0; i < s->num_engines; i++) {
        HermesEngine *e = &s->engines[i];

        if (!e->exec) {
            continue;
        }
        /*
         * Abort, wait for the worker (one abort latency), and publish
         * its outcome now: ABORTED, or the result of a command that
         * finished before the abort reached it.
         */
        trace_hermes_migrate_abort(i, e->cid);
        hermes_engine_set_abort(e);
        qemu_mutex_lock(&e->lock);
        while (e->busy) {
            qemu_cond_wait(&e->cond, &e->lock);
        }
        qemu_mutex_unlock(&e->lock);
        hermes_engine_bh(e);
        qemu_bh_cancel(e->bh);
        if (e->exec) {
            /* no outcome to publish: should not happen, end it anyway */
            hermes_engine_finish_now(e, ST_ABORTED, 0);
        }
    }
    return 0;
}

/*
 * A DMA walk saved mid-descriptor resumes on the destination without
 * fetching the descriptor again: its migrated state must pass the checks
 * hermes_dma_fetch() made on the source, or a crafted stream would move
 * bytes outside device memory.
 */
static bool hermes_dma_state_valid(HermesState *s, HermesDmaChannel *ch)
{
    if (ch->count > XDMA_CHAIN_LIMIT || ch->adj_left > 0x3f) {
        return false;
    }
    if (!ch->cur_valid) {
        return true;
    }
    return ch->cur_len <= XDMA_DESC_MAX_LEN &&
           ch->cur_done <= ch->cur_len &&
           ch->cur_card <= s->mem_size &&
           ch->cur_len <= s->mem_size - ch->cur_card;
}

static int hermes_post_load(void *opaque, int version_id)
{
    HermesState *s = opaque;
    unsigned i;

    for (i = 0; i < s->num_engines; i++) {
        /* hermes_pre_save() completes every command in flight */
        if (s->engines[i].exec) {
            error_report("hermes: migrated engine %u runs a command", i);
            return -EINVAL;
        }
    }
    for (i = 0; i < XDMA_CHANNELS; i++) {
        if (!hermes_dma_state_valid(s, &s->h2c[i]) ||
            !hermes_dma_state_valid(s, &s->c2h[i])) {
            error_report("hermes: migrated DMA channel %u: descriptor "
                         "state out of range", i);
            return -EINVAL;
        }
    }
    for (i = 0; i < XDMA_CHANNELS; i++) {
        if (s->h2c[i].status & XDMA_ST_BUSY) {
            qemu_bh_schedule(s->h2c[i].bh);
        }
        if (s->c2h[i].status & XDMA_ST_BUSY) {
            qemu_bh_schedule(s->c2h[i].bh);
        }
    }
    return 0;
}

static bool hermes_engine_irq_needed(void *opaque)
{
    HermesEngine *e = opaque;

    return e->irq_pending;
}

static const VMStateDescription vmstate_hermes_engine_irq = {
    .name = TYPE_HERMES "/engine/irq",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = hermes_engine_irq_needed,
    .fields = (VMStateField[]) {
        VMSTATE_BOOL(irq_pending, HermesEngine),
        VMSTATE_END_OF_LIST()
    },
};

/* Only with metadata left: a model without RES_MLEN reads it as 0. */
static bool hermes_engine_mlen_needed(void *opaque)
{
    HermesEngine *e = opaque;

    return e->res_mlen != 0;
}

static const VMStateDescription vmstate_hermes_engine_mlen = {
    .name = TYPE_HERMES "/engine/mlen",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = hermes_engine_mlen_needed,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32(res_mlen, HermesEngine),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_hermes_engine = {
    .name = TYPE_HERMES "/engine",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_UINT8_ARRAY(req, HermesEngine, EHCMDREQ_SIZE),
        VMSTATE_UINT8_ARRAY(res, HermesEngine, EHCMDRES_SIZE),
        VMSTATE_BOOL(exec, HermesEngine),
        VMSTATE_BOOL(done, HermesEngine),
        VMSTATE_BOOL(reject, HermesEngine),
        VMSTATE_UINT16(cid, HermesEngine),
        VMSTATE_UINT64(res_r0, HermesEngine),
        VMSTATE_UINT64(res_insns, HermesEngine),
        VMSTATE_UINT64(res_time, HermesEngine),
        VMSTATE_UINT64(res_faddr, HermesEngine),
        VMSTATE_UINT32(res_fpc, HermesEngine),
        VMSTATE_UINT32(res_fault, HermesEngine),
        VMSTATE_UINT32(res_doff, HermesEngine),
        VMSTATE_UINT32(res_dlen, HermesEngine),
        VMSTATE_UINT32(res_iters, HermesEngine),
        VMSTATE_UINT32(res_status, HermesEngine),
        VMSTATE_UINT64(cnt_runs, HermesEngine),
        VMSTATE_UINT64(cnt_insns, HermesEngine),
        VMSTATE_UINT64(cnt_errors, HermesEngine),
        VMSTATE_UINT64(cnt_busy, HermesEngine),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * []) {
        &vmstate_hermes_engine_irq,
        &vmstate_hermes_engine_mlen,
        NULL
    },
};

/* Only inside an adjacent group: a walk from an older model has none. */
static bool hermes_dma_adj_needed(void *opaque)
{
    HermesDmaChannel *ch = opaque;

    return ch->adj_left != 0;
}

static const VMStateDescription vmstate_hermes_dma_adj = {
    .name = TYPE_HERMES "/dma/adjacent",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = hermes_dma_adj_needed,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32(adj_left, HermesDmaChannel),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_hermes_dma = {
    .name = TYPE_HERMES "/dma",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32(control, HermesDmaChannel),
        VMSTATE_UINT32(status, HermesDmaChannel),
        VMSTATE_UINT32(completed, HermesDmaChannel),
        VMSTATE_UINT32(ie, HermesDmaChannel),
        VMSTATE_UINT64(first_desc, HermesDmaChannel),
        VMSTATE_UINT32(adjacent, HermesDmaChannel),
        VMSTATE_UINT64(next_desc, HermesDmaChannel),
        VMSTATE_UINT32(count, HermesDmaChannel),
        VMSTATE_BOOL(cur_valid, HermesDmaChannel),
        VMSTATE_UINT32(cur_control, HermesDmaChannel),
        VMSTATE_UINT32(cur_len, HermesDmaChannel),
        VMSTATE_UINT32(cur_done, HermesDmaChannel),
        VMSTATE_UINT64(cur_card, HermesDmaChannel),
        VMSTATE_UINT64(cur_host, HermesDmaChannel),
        VMSTATE_UINT64(cur_next, HermesDmaChannel),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * []) {
        &vmstate_hermes_dma_adj,
        NULL
    },
};

/*
 * Maps travel in a subsection, only when there are some: each map ID's
 * parameters, HASH state and memory.  Engines are idle (pre_save), so the
 * table holds the only references.
 */
static bool hermes_maps_needed(void *opaque)
{
    HermesState *s = opaque;
    unsigned i;

    for (i = 0; i < HERMES_MAPS; i++) {
        if (s->maps[i]) {
            return true;
        }
    }
    return false;
}

static int hermes_maps_pre_save(void *opaque)
{
    HermesState *s = opaque;
    unsigned i;

    for (i = 0; i < HERMES_MAPS; i++) {
        HermesMapMig *mig = &s->map_mig[i];
        HermesMap *m = s->maps[i];

        memset(mig, 0, sizeof(*mig));
        if (m) {
            mig->type = m->map.type;
            mig->key_size = m->map.key_size;
            mig->value_size = m->map.value_size;
            mig->max_entries = m->map.max_entries;
            mig->free_head = m->map.free_head;
            mig->count = m->map.count;
            mig->size = m->map.footprint;
            mig->mem = m->map.mem;
        }
    }
    return 0;
}

static int hermes_maps_pre_load(void *opaque)
{
    HermesState *s = opaque;

    hermes_maps_clear(s);
    memset(s->map_mig, 0, sizeof(s->map_mig));
    return 0;
}

static int hermes_maps_post_load(void *opaque, int version_id)
{
    HermesState *s = opaque;
    uint64_t fp, used = 0;
    int ret = 0;
    unsigned i;

    for (i = 0; i < HERMES_MAPS; i++) {
        HermesMapMig *mig = &s->map_mig[i];
        HermesMap *m;

        if (!mig->size) {
            continue;
        }
        m = g_new0(HermesMap, 1);
        if (ret || hermes_ebpf_map_footprint(mig->type, mig->key_size,
                                             mig->value_size,
                                             mig->max_entries, &fp) < 0 ||
            fp != mig->size || fp > s->map_mem_size - used ||
            hermes_ebpf_map_attach(&m->map, mig->type, mig->key_size,
                                   mig->value_size, mig->max_entries,
                                   mig->mem, mig->free_head,
                                   mig->count) < 0) {
            error_report("hermes: map %u of the migration stream is invalid",
                         i);
            g_free(mig->mem);
            g_free(m);
            ret = -EINVAL;
        } else {
            m->refs = 1;
            s->maps[i] = m;
            used += fp;
        }
        mig->mem = NULL;
    }
    s->map_mem_used = used;
    return ret;
}

static const VMStateDescription vmstate_hermes_map = {
    .name = TYPE_HERMES "/map",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32(type, HermesMapMig),
        VMSTATE_UINT32(key_size, HermesMapMig),
        VMSTATE_UINT32(value_size, HermesMapMig),
        VMSTATE_UINT32(max_entries, HermesMapMig),
        VMSTATE_UINT32(free_head, HermesMapMig),
        VMSTATE_UINT32(count, HermesMapMig),
        VMSTATE_UINT32(size, HermesMapMig),
        VMSTATE_VBUFFER_ALLOC_UINT32(mem, HermesMapMig, 1, NULL, size),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_hermes_maps = {
    .name = TYPE_HERMES "/maps",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = hermes_maps_needed,
    .pre_save = hermes_maps_pre_save,
    .pre_load = hermes_maps_pre_load,
    .post_load = hermes_maps_post_load,
    .fields = (VMStateField[]) {
        VMSTATE_STRUCT_ARRAY(map_mig, HermesState, HERMES_MAPS, 1,
                             vmstate_hermes_map, HermesMapMig),
        VMSTATE_END_OF_LIST()
    },
};

/*
 * Properties the driver learns from the capability block: source and
 * destination must agree on them, as on the layout in the main section.
 */
static bool hermes_config_needed(void *opaque)
{
    return true;
}

static const VMStateDescription vmstate_hermes_config = {
    .name = TYPE_HERMES "/config",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = hermes_config_needed,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32_EQUAL(stack_size, HermesState, NULL),
        VMSTATE_UINT64_EQUAL(map_mem_size, HermesState, NULL),
        VMSTATE_END_OF_LIST()
    },
};

/* The vector registers, only when the guest moved a vector */
static bool hermes_vectors_needed(void *opaque)
{
    HermesState *s = opaque;
    unsigned i;

    for (i = 0; i < XDMA_CHAN_IRQS; i++) {
        if (s->chan_vec[i] != i) {
            return true;
        }
    }
    /* xdma.c also writes the vectors of engines there are not: unused */
    for (i = 0; i < s->num_engines; i++) {
        if (s->user_vec[i] != XDMA_ENGINE_VECTOR0 + i) {
            return true;
        }
    }
    return false;
}

static const VMStateDescription vmstate_hermes_vectors = {
    .name = TYPE_HERMES "/vectors",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = hermes_vectors_needed,
    .fields = (VMStateField[]) {
        VMSTATE_UINT8_ARRAY(user_vec, HermesState, XDMA_USER_IRQS),
        VMSTATE_UINT8_ARRAY(chan_vec, HermesState, XDMA_CHAN_IRQS),
        VMSTATE_END_OF_LIST()
    },
};

/* The F1 identity's window; the PCI IDs are checked with config space. */
static bool hermes_f1_needed(void *opaque)
{
    HermesState *s = opaque;

    return s->f1;
}

static const VMStateDescription vmstate_hermes_f1 = {
    .name = TYPE_HERMES "/f1",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = hermes_f1_needed,
    .fields = (VMStateField[]) {
        VMSTATE_UINT64_EQUAL(bar4_size, HermesState, NULL),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_hermes = {
    .name = TYPE_HERMES,
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = hermes_pre_save,
    .post_load = hermes_post_load,
    .fields = (VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, HermesState),
        VMSTATE_MSIX(parent_obj, HermesState),
        VMSTATE_UINT8_EQUAL(num_engines, HermesState, NULL),
        VMSTATE_UINT8_EQUAL(num_pslots, HermesState, NULL),
        VMSTATE_UINT8_EQUAL(num_dslots, HermesState, NULL),
        VMSTATE_UINT32_EQUAL(pslot_size, HermesState, NULL),
        VMSTATE_UINT32_EQUAL(dslot_size, HermesState, NULL),
        VMSTATE_UINT32_EQUAL(mem_size, HermesState, NULL),
        VMSTATE_UINT8_ARRAY(pslot_used, HermesState, 256),
        VMSTATE_UINT8_ARRAY(dslot_used, HermesState, 256),
        VMSTATE_UINT32(user_ie, HermesState),
        VMSTATE_UINT32(chan_ie, HermesState),
        VMSTATE_STRUCT_ARRAY(h2c, HermesState, XDMA_CHANNELS, 1,
                             vmstate_hermes_dma, HermesDmaChannel),
        VMSTATE_STRUCT_ARRAY(c2h, HermesState, XDMA_CHANNELS, 1,
                             vmstate_hermes_dma, HermesDmaChannel),
        VMSTATE_STRUCT_VARRAY_POINTER_UINT32(engines, HermesState,
                                             num_engines32,
                                             vmstate_hermes_engine,
                                             HermesEngine),
        VMSTATE_VBUFFER_UINT32(mem, HermesState, 1, NULL, mem_size),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * []) {
        &vmstate_hermes_config,
        &vmstate_hermes_maps,
        &vmstate_hermes_vectors,
        &vmstate_hermes_f1,
        NULL
    },
};

/* The custom logic's state lives in the simulator: it cannot move */
static const VMStateDescription vmstate_hermes_f1_cosim = {
    .name = TYPE_HERMES_F1,
    .unmigratable = 1,
};

static Property hermes_f1_properties[] = {
    DEFINE_PROP_STRING("sim", HermesState, sim_path),
    DEFINE_PROP_SIZE("f1-window", HermesState, f1_window, 0),
    DEFINE_PROP_END_OF_LIST(),
};

static void hermes_base_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);
    HermesClass *hc = HERMES_BASE_CLASS(klass);

    device_class_set_parent_realize(dc, hermes_qdev_realize,
                                    &hc->parent_realize);
    k->realize = hermes_realize;
    k->exit = hermes_exit;
    k->revision = HERMES_REVISION;
    k->class_id = HERMES_CLASS_ACCEL;
    dc->reset = hermes_qdev_reset;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static void hermes_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->vendor_id = HERMES_VENDOR_ID;
    k->device_id = HERMES_DEVICE_ID;
    k->subsystem_vendor_id = HERMES_VENDOR_ID;
    k->subsystem_id = HERMES_DEVICE_ID;
    dc->desc = "Hermes eBPF offload accelerator";
    dc->vmsd = &vmstate_hermes;
    device_class_set_props(dc, hermes_properties);
}

static void hermes_f1_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);
    HermesClass *hc = HERMES_BASE_CLASS(klass);

    k->vendor_id = HERMES_F1_VENDOR_ID;
    k->device_id = HERMES_F1_DEVICE_ID;
    k->subsystem_vendor_id = HERMES_F1_VENDOR_ID;
    k->subsystem_id = HERMES_F1_DEVICE_ID;
    dc->desc = "Hermes on an AWS F1 card, its custom logic co-simulated "
               "by hermes-f1-sim";
    dc->vmsd = &vmstate_hermes_f1_cosim;
    device_class_set_props(dc, hermes_f1_properties);
    hc->cosim = true;
}

static void hermes_f1_instance_init(Object *obj)
{
    HERMES_BASE(obj)->f1 = true;
}

static const TypeInfo hermes_types[] = {
    {
        .name = TYPE_HERMES_BASE,
        .parent = TYPE_PCI_DEVICE,
        .abstract = true,
        .instance_size = sizeof(HermesState),
        .instance_finalize = hermes_finalize,
        .class_size = sizeof(HermesClass),
        .class_init = hermes_base_class_init,
        .interfaces = (InterfaceInfo[]) {
            { INTERFACE_PCIE_DEVICE },
            { INTERFACE_CONVENTIONAL_PCI_DEVICE },
            { },
        },
    }, {
        .name = TYPE_HERMES,
        .parent = TYPE_HERMES_BASE,
        .class_init = hermes_class_init,
    }, {
        .name = TYPE_HERMES_F1,
        .parent = TYPE_HERMES_BASE,
        .instance_init = hermes_f1_instance_init,
        .class_init = hermes_f1_class_init,
    },
};

DEFINE_TYPES(hermes_types)
