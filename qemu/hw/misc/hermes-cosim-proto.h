/*
 * Hermes F1 co-simulation: the messages between the hermes-f1 device in
 * QEMU and hermes-f1-sim, the Verilated custom logic (rtl/hermes_cl.v).
 *
 * Copyright (c) 2026 The Hermes authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * One Unix stream socket, created by the simulator, connected to by the
 * device.  Every message is a HermesCosimMsg, little-endian, followed by
 * @len bytes of payload.  The device sends one request at a time and
 * waits for its reply (the request's type | HERMES_COSIM_REPLY); the
 * simulator may send HERMES_COSIM_IRQ at any time, also before a reply.
 * Requests are carried out in order, so a reply also says that every
 * earlier request has reached the custom logic.
 *
 * This header is plain C99 with <stdint.h> only: the simulator's C++
 * includes it too.
 */
#ifndef HERMES_COSIM_PROTO_H
#define HERMES_COSIM_PROTO_H

#include <stdint.h>

#define HERMES_COSIM_MAGIC      0x4d534348u  /* "HCSM" */
#define HERMES_COSIM_VERSION    1

/* Largest payload of a PCIS request or reply */
#define HERMES_COSIM_MAX_DATA   (64 * 1024)

/* AXI IDs on DMA_PCIS: the XDMA's channels use 0x00-0x03, as on the shell */
#define HERMES_COSIM_ID_BAR4    0x20    /* BAR4 accesses by the host CPU */

enum HermesCosimType {
    /* addr: HERMES_COSIM_MAGIC, data: HERMES_COSIM_VERSION */
    HERMES_COSIM_HELLO = 1,
    /* addr: OCL byte address -> reply data: the 32-bit value, resp */
    HERMES_COSIM_OCL_READ = 2,
    /* addr, data: 32-bit value, size: WSTRB -> reply resp */
    HERMES_COSIM_OCL_WRITE = 3,
    /*
     * addr: DMA_PCIS byte address, size: bytes (1 to HERMES_COSIM_MAX_DATA),
     * data: AXI ID -> reply resp, then @size bytes of payload.  The
     * simulator splits a request into bursts at 4 KiB boundaries, with
     * WSTRB for partial 64-byte beats.
     */
    HERMES_COSIM_PCIS_READ = 4,
    /* addr, size, data: AXI ID, @size bytes of payload -> reply resp */
    HERMES_COSIM_PCIS_WRITE = 5,
    /* rst_main_n low for some cycles (a PCI reset of the card) -> reply */
    HERMES_COSIM_RESET = 6,
    /*
     * Simulator to device, unsolicited: data: the user interrupts the
     * custom logic requested (bit i: cl_sh_apppf_irq_req[i]); the
     * simulator has acknowledged them on sh_cl_apppf_irq_ack, as the
     * shell does once it has sent the MSI-X message.
     */
    HERMES_COSIM_IRQ = 7,
};

#define HERMES_COSIM_REPLY      0x80u

/* AXI responses in a reply's @resp */
#define HERMES_COSIM_OKAY       0
#define HERMES_COSIM_SLVERR     2
#define HERMES_COSIM_DECERR     3

typedef struct HermesCosimMsg {
    uint32_t type;              /* enum HermesCosimType, | REPLY */
    uint32_t len;               /* payload bytes after the header */
    uint64_t addr;
    uint64_t data;
    uint32_t size;
    uint32_t resp;              /* replies: the AXI response */
} HermesCosimMsg;

#endif /* HERMES_COSIM_PROTO_H */
