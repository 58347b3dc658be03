/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * Hermes eBPF offload accelerators: the character device /dev/hermesN.
 *
 * A verified program offloaded to a Hermes device (by fd) runs once per
 * record of a user buffer; the device reads the input from and writes the
 * kept records and the per-record results to user memory directly (the
 * buffers are pinned and mapped for DMA, never copied through the kernel).
 * Submit with ioctl(HERMES_IOC_BATCH) or, asynchronously, with io_uring
 * IORING_OP_URING_CMD (cmd_op HERMES_URING_CMD_BATCH, the first 8 bytes of
 * the command area holding the address of the struct hermes_batch).
 * See Documentation/hermes/driver.rst, "Record batches".
 */
#ifndef _UAPI_LINUX_HERMES_H
#define _UAPI_LINUX_HERMES_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Record format: fixed-size records unless this flag is set */
#define HERMES_BATCH_LENPFX	(1U << 0)	/* __le32 length, then data */

/**
 * struct hermes_batch - one batch of records through one program
 * @prog_fd: fd of an XDP program offloaded to this device
 * @flags: HERMES_BATCH_*
 * @record_size: bytes per record (fixed-size); 0 with HERMES_BATCH_LENPFX
 * @budget: instructions per record; 0 for the device's default
 * @in_addr: user address of @in_len bytes of whole records
 * @out_addr: user address for the kept records, at least @in_len bytes;
 *	may equal @in_addr
 * @res_addr: user address for struct hermes_batch_result entries, one per
 *	record that ran, or 0 for none
 * @in_len: input bytes; the input and its result table share the data
 *	slot: round_up(@in_len, 8) + 16 * records <= hermes_info.max_batch
 * @out_len: bytes at @out_addr
 * @res_len: bytes at @res_addr; entries beyond it are not written
 * @reserved: must be 0
 * @records_in: out: records that ran to exit
 * @records_out: out: records kept
 * @bytes_out: out: bytes written at @out_addr
 * @fault: out: 0, or the device fault kind (HERMES_FAULT_*) that stopped
 *	the batch at record @records_in
 * @fault_insn: out: index of the faulting instruction in the program as
 *	the verifier left it (bpftool prog dump xlated)
 * @duration_ns: out: device time of the batch
 * @reserved2: must be 0
 *
 * On a fault the records before the faulting one are complete: their
 * output and results are written and counted.
 */
struct hermes_batch {
	__u32 prog_fd;
	__u32 flags;
	__u32 record_size;
	__u32 budget;
	__u64 in_addr;
	__u64 out_addr;
	__u64 res_addr;
	__u32 in_len;
	__u32 out_len;
	__u32 res_len;
	__u32 reserved;
	__u32 records_in;
	__u32 records_out;
	__u32 bytes_out;
	__u32 fault;
	__u32 fault_insn;
	__u32 reserved2;
	__u64 duration_ns;
};

/* Result of one record, written by the device: little-endian */
#define HERMES_RESULT_KEPT	(1U << 0)

struct hermes_batch_result {
	__le64 r0;		/* r0 at exit; XDP_PASS (2) keeps the record */
	__le32 len;		/* bytes of the record in the output */
	__le32 flags;		/* HERMES_RESULT_* */
};

/*
 * Fault kinds of struct hermes_batch.fault: the driver's values, which it
 * maps the device's to (an aborted batch is an error, not a fault).
 */
#define HERMES_FAULT_LOAD		16
#define HERMES_FAULT_STORE		17
#define HERMES_FAULT_MISALIGNED		18
#define HERMES_FAULT_BUDGET		19
#define HERMES_FAULT_CALL_DEPTH		20
#define HERMES_FAULT_HELPER		21
#define HERMES_FAULT_ABORTED		22

#define HERMES_MAX_ENGINES_INFO		32

/**
 * struct hermes_info - a device, its capabilities and engine counters
 * @version: device interface version (EHVER)
 * @ifindex: ifindex of the device's netdev, for loading programs
 * @ifname: its name
 * @build: device build string (EHBLD)
 * @engines: engines that run programs and batches (a device with two or
 *	more keeps one more, which runs the map commands of the host)
 * @max_batch: bytes of a batch: its input rounded up to 8 plus 16 per
 *	record (the result table)
 * @isa: EHCAPISA
 * @cmds: EHCAPCMDS
 * @stack_size: bytes of stack per call frame
 * @max_insns: longest program in instruction words
 * @budget_default: default instruction budget per record
 * @budget_max: largest budget
 * @engine_runs: per engine: program runs (records) started
 * @engine_insns: per engine: instructions executed
 * @engine_busy_ns: per engine: nanoseconds spent executing
 * @engine_errors: per engine: commands that failed
 */
struct hermes_info {
	__u32 version;
	__u32 ifindex;
	char ifname[16];
	char build[64];
	__u32 engines;
	__u32 max_batch;
	__u32 isa;
	__u32 cmds;
	__u32 stack_size;
	__u32 max_insns;
	__u32 budget_default;
	__u32 budget_max;
	__u64 engine_runs[HERMES_MAX_ENGINES_INFO];
	__u64 engine_insns[HERMES_MAX_ENGINES_INFO];
	__u64 engine_busy_ns[HERMES_MAX_ENGINES_INFO];
	__u64 engine_errors[HERMES_MAX_ENGINES_INFO];
};

/*
 * HERMES_IOC_BATCH carries the size of struct hermes_batch (_IOC_SIZE), so
 * that the structure can grow at its end: the driver takes any size from
 * the first one (HERMES_BATCH_SIZE_VER0; EINVAL below it), a larger
 * structure than it knows if the bytes past them are zero (E2BIG
 * otherwise), and a smaller one with its missing fields as zeros.
 */
#define HERMES_BATCH_SIZE_VER0	88	/* the first struct hermes_batch */
#define HERMES_IOC_MAGIC	0xB9
#define HERMES_IOC_INFO		_IOR(HERMES_IOC_MAGIC, 0x00, struct hermes_info)
#define HERMES_IOC_BATCH	_IOWR(HERMES_IOC_MAGIC, 0x01, struct hermes_batch)

/* io_uring IORING_OP_URING_CMD: sqe->cmd_op; cqe->res 0 or -errno */
#define HERMES_URING_CMD_BATCH	HERMES_IOC_BATCH

#endif /* _UAPI_LINUX_HERMES_H */
