/*
 * Hermes F1 co-simulation: the device's end of the simulator connection
 *
 * Copyright (c) 2026 The Hermes authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HW_MISC_HERMES_COSIM_H
#define HW_MISC_HERMES_COSIM_H

#include "hermes-cosim-proto.h"

typedef struct HermesCosim HermesCosim;

/* The custom logic requested user interrupts @mask (main loop, BQL held) */
typedef void HermesCosimIrqFn(void *opaque, uint32_t mask);

HermesCosim *hermes_cosim_connect(const char *path, HermesCosimIrqFn *irq,
                                  void *opaque, MemReentrancyGuard *guard,
                                  Error **errp);
void hermes_cosim_close(HermesCosim *c);

/*
 * Transactions, each carried out before it returns.  After the first
 * failure (no answer in time, the simulator gone, a malformed reply) the
 * connection is closed and every later call fails at once: the card is
 * dead, as one whose FPGA stopped answering.
 */
bool hermes_cosim_alive(HermesCosim *c);
bool hermes_cosim_ocl_read(HermesCosim *c, uint32_t addr, uint32_t *val);
bool hermes_cosim_ocl_write(HermesCosim *c, uint32_t addr, uint32_t val,
                            unsigned strb);
/* The AXI response (HERMES_COSIM_OKAY...), or -1 on a failure */
int hermes_cosim_pcis_read(HermesCosim *c, uint64_t addr, void *buf,
                           uint32_t len, unsigned id);
int hermes_cosim_pcis_write(HermesCosim *c, uint64_t addr, const void *buf,
                            uint32_t len, unsigned id);
bool hermes_cosim_reset(HermesCosim *c);

#endif
