/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Hermes eBPF offload accelerators: the device ABI.
 *
 * Registers, capability bits, the per-engine command interface, opcodes,
 * status codes, fault kinds, the run context and the map table limits of
 * the device interface, version 2, as Documentation/hermes/device.rst
 * specifies them.  Facts of the device only: no driver state here.
 */
#ifndef _HERMES_ABI_H_
#define _HERMES_ABI_H_

#include <linux/bits.h>

/* BARs (device.rst, "BARs"): registers, the XDMA, device memory */
#define HERMES_BAR_REGS		0
#define HERMES_BAR_DMA		2
#define HERMES_BAR_MEM		4

/* BAR0 registers */
#define HERMES_REG_EHVER	0x000
#define HERMES_REG_EHBLD	0x004
#define HERMES_EHBLD_LEN	48
#define HERMES_REG_EHENG	0x034	/* engines, pslots, dslots bytes */
#define HERMES_REG_EHPSSZE	0x03c
#define HERMES_REG_EHDSSZE	0x044
#define HERMES_REG_EHPSOFF64	0x050
#define HERMES_REG_EHDSOFF64	0x058
#define HERMES_REG_EHMEMSZ	0x060
#define HERMES_REG_EHDEVCTL	0x080
#define HERMES_DEVCTL_RESET	BIT(0)

#define HERMES_REG_EHCAPSIG	0x100
#define HERMES_REG_EHCAPISA	0x104
#define HERMES_REG_EHCAPSTACK	0x108
#define HERMES_REG_EHCAPDEPTH	0x10c
#define HERMES_REG_EHCAPMAXINSN	0x110
#define HERMES_REG_EHCAPBUDDEF	0x114
#define HERMES_REG_EHCAPBUDMAX	0x118
#define HERMES_REG_EHCAPCMDS	0x11c
#define HERMES_REG_EHCAPHELPER	0x120
#define HERMES_REG_EHCAPMAPTYPES 0x140
#define HERMES_REG_EHCAPMAPMAX	0x148
#define HERMES_REG_EHCAPMAPMEM	0x14c

#define HERMES_IF_VERSION	2
#define HERMES_CAP_SIGNATURE	0x534d5248	/* "HRMS" */

#define HERMES_ISA_VERSION	GENMASK(3, 0)
#define HERMES_ISA_ATOMIC	BIT(8)
#define HERMES_ISA_DIVMOD	BIT(9)
#define HERMES_ISA_HELPERS	BIT(10)
#define HERMES_ISA_LOCALCALL	BIT(11)

#define HERMES_CMDS_SLOT	BIT(0)
#define HERMES_CMDS_RUN		BIT(1)
#define HERMES_CMDS_BATCH	BIT(2)
#define HERMES_CMDS_MAP		BIT(3)

/* Per-engine command interface */
#define HERMES_CMDREQ(e)	(0x1000 + 48 * (e))
#define HERMES_CMDRES(e)	(0x1020 + 48 * (e))
#define HERMES_CMDCTRL(e)	(0x2000 + 8 * (e))
#define HERMES_ENGBLK(e)	(0x3000 + 128 * (e))
#define HERMES_CTRL_EXEC	BIT(0)
#define HERMES_CTRL_DONE	BIT(8)
#define HERMES_CTRL_ABORT_BYTE	3
#define HERMES_CTRL_ABORT	BIT(24)

#define HERMES_RES_R0		0x00
#define HERMES_RES_INSNS	0x08
#define HERMES_RES_TIME		0x10
#define HERMES_RES_FADDR	0x18
#define HERMES_RES_FPC		0x20
#define HERMES_RES_FAULT	0x24
#define HERMES_RES_DOFF		0x28
#define HERMES_RES_DLEN		0x2c
#define HERMES_RES_MLEN		0x38
/* bpf_xdp_adjust_meta() leaves at most this much metadata (a u8) */
#define HERMES_META_MAX		255
#define HERMES_RES_ITERS	0x30
#define HERMES_CNT_RUNS		0x40
#define HERMES_CNT_INSNS	0x48
#define HERMES_CNT_ERRORS	0x50
#define HERMES_CNT_BUSY		0x58
#define HERMES_CNT_CYCLES	0x60
#define HERMES_CNT_STALLS	0x68

#define HERMES_REQ_SIZE		32
#define HERMES_RES_SIZE		16

/* Opcodes and their fields */
#define HERMES_OPC_REQUEST_SLOT	0x00
#define HERMES_OPC_RELEASE_SLOT	0x01
#define HERMES_OPC_RUN		0x80
#define HERMES_RUN_WINDOW	BIT(0)
#define HERMES_OPC_BATCH	0x81
#define HERMES_BATCH_REQ_LENPFX	BIT(0)
#define HERMES_OPC_MAP_CREATE	0x40
#define HERMES_OPC_MAP_FREE	0x41
#define HERMES_OPC_MAP_LOOKUP	0x42
#define HERMES_OPC_MAP_UPDATE	0x43
#define HERMES_OPC_MAP_DELETE	0x44
#define HERMES_OPC_MAP_GET_NEXT_KEY 0x45
#define HERMES_MAP_NEXT_FIRST	BIT(0)
#define HERMES_SLOT_PROG	0
#define HERMES_SLOT_DATA	1

enum hermes_status {
	HERMES_ST_SUCCESS		= 0x00,
	HERMES_ST_NO_SPACE		= 0x01,
	HERMES_ST_INVALID_PROG_SLOT	= 0x02,
	HERMES_ST_INVALID_DATA_SLOT	= 0x03,
	HERMES_ST_INVALID_ADDRESS	= 0x04,
	HERMES_ST_EBPF_ERROR		= 0x05,
	HERMES_ST_INVALID_OPCODE	= 0x06,
	HERMES_ST_INVALID_PROGRAM	= 0x07,
	HERMES_ST_BUDGET_EXCEEDED	= 0x08,
	HERMES_ST_ABORTED		= 0x09,
	HERMES_ST_INVALID_FIELD		= 0x0a,
	HERMES_ST_MAP_NOENT		= 0x0b,
	HERMES_ST_MAP_EXIST		= 0x0c,
	HERMES_ST_MAP_FULL		= 0x0d,
	HERMES_ST_NO_MAP_MEMORY		= 0x0e,
	HERMES_ST_INVALID_MAP		= 0x0f,
	HERMES_ST_INVALID_RECORDS	= 0x10,
};

/* Fault kinds of a response's byte 3 (device.rst, "Fault kinds") */
enum hermes_dev_fault {
	HERMES_DEV_FAULT_LOAD		= 16,
	HERMES_DEV_FAULT_STORE		= 17,
	HERMES_DEV_FAULT_MISALIGNED	= 18,
	HERMES_DEV_FAULT_BUDGET		= 19,
	HERMES_DEV_FAULT_CALL_DEPTH	= 20,
	HERMES_DEV_FAULT_HELPER		= 21,
	HERMES_DEV_FAULT_ABORTED	= 22,
};

/* Run context offsets of the device ABI (device.rst, "Run context") */
#define HERMES_CTX_DATA		0x00
#define HERMES_CTX_DATA_END	0x08
#define HERMES_CTX_DATA_META	0x10
#define HERMES_CTX_IFINDEX	0x28
#define HERMES_CTX_RXQ		0x2c

/* Device map limits (device.rst, "Map table") */
#define HERMES_MAP_IDS		256
#define HERMES_MAP_KEY_MAX	512
#define HERMES_MAP_VALUE_MAX	65536

#endif /* _HERMES_ABI_H_ */
