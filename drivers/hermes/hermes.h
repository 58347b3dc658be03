/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Hermes eBPF offload accelerators: driver-internal interfaces.
 *
 * The device interface is specified in Documentation/hermes/device.rst;
 * the driver is described in Documentation/hermes/driver.rst.
 */
#ifndef _HERMES_H_
#define _HERMES_H_

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/bpf.h>
#include <linux/completion.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/filter.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#define HERMES_DRV_NAME		"hermes"

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

#define HERMES_RES_R0		0x00
#define HERMES_RES_INSNS	0x08
#define HERMES_RES_TIME		0x10
#define HERMES_RES_FADDR	0x18
#define HERMES_RES_FPC		0x20
#define HERMES_RES_FAULT	0x24
#define HERMES_RES_DOFF		0x28
#define HERMES_RES_DLEN		0x2c
#define HERMES_RES_ITERS	0x30
#define HERMES_CNT_RUNS		0x40
#define HERMES_CNT_INSNS	0x48
#define HERMES_CNT_ERRORS	0x50
#define HERMES_CNT_BUSY		0x58

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

/* BARs (device.rst, "PCI function") */
#define HERMES_BAR_REGS		0
#define HERMES_BAR_DMA		2
#define HERMES_BAR_MEM		4

/* Engines complete on the XDMA's user interrupts, of which PG195 has 16 */
#define HERMES_XDMA_USER_IRQS	16
#define HERMES_MAX_ENGINES	HERMES_XDMA_USER_IRQS

/* Run context offsets of the device ABI (device.rst, "Run context") */
#define HERMES_CTX_DATA		0x00
#define HERMES_CTX_DATA_END	0x08
#define HERMES_CTX_DATA_META	0x10
#define HERMES_CTX_IFINDEX	0x28
#define HERMES_CTX_RXQ		0x2c

/* XDP_PACKET_HEADROOM: where the core puts the packet in its buffer */
#define HERMES_XDP_HEADROOM	256

struct hermes_cdev;
struct hermes_dev;
struct netdev_bpf;
struct platform_device;
struct seq_file;
struct sg_table;

/**
 * struct hermes_backend - what a kind of Hermes device adds to the interface
 * @name: backend name, for messages and debugfs
 * @max_engines: engines it can signal, one user interrupt each
 * @engines_why: why @max_engines, for the refusal message
 * @mem_wc: map device memory write-combined (BAR4 copies with use_dma=0)
 *
 * Everything else is the interface of device.rst, the same for every
 * kind: the backend is chosen by PCI identity (hermes_pci_ids).
 */
struct hermes_backend {
	const char *name;
	unsigned int max_engines;
	const char *engines_why;
	bool mem_wc;
};

extern const struct hermes_backend hermes_backend_qemu;
extern const struct hermes_backend hermes_backend_f1;
extern const struct pci_device_id hermes_pci_ids[];

/* Capabilities and layout, read once at probe */
struct hermes_caps {
	u32 isa;
	u32 stack;
	u32 depth;
	u32 max_insns;
	u32 budget_def;
	u32 budget_max;
	u32 cmds;
	u32 helpers[8];
	u64 map_types;
	u8 engines;
	u8 pslots;
	u8 dslots;
	u32 pslot_size;
	u32 dslot_size;
	u64 pslot_off;
	u64 dslot_off;
	u64 mem_size;
};

#define HERMES_DMA_CHANNELS	4

/* One XDMA channel of the kernel's dmaengine driver, for one transfer */
struct hermes_dma_chan {
	struct mutex lock;		/* one transfer at a time */
	struct dma_chan *chan;
	struct completion done;
	enum dmaengine_tx_result result;
	bool h2c;
	unsigned int idx;
	void *bounce;			/* for kernel buffers */
	dma_addr_t bounce_dma;
};

struct hermes_engine {
	struct hermes_dev *hd;
	unsigned int idx;
	u8 dslot;
	u16 cid;
	struct completion done;
	u64 commands;
	u64 timeouts;
	u64 failures;
	int irq;			/* the XDMA user interrupt */
	char irq_name[32];
};

/*
 * A translated program, the offload dev_priv of a struct bpf_prog.  The
 * binding holds a reference, dropped by the core's destroy callback, and
 * so does every test run (hermes_test_run_prepare()), which runs without
 * the core's lock and may outlive the binding when the device goes away.
 */
struct hermes_prog {
	struct kref ref;
	struct hermes_dev *hd;
	struct bpf_prog *prog;
	/* private copy of the verifier's program, kept in step with it */
	struct bpf_insn *insns;
	u8 *meta;
	u32 len;
	bool type_checked;
	bool moves_packet;	/* calls bpf_xdp_adjust_head/tail */
	/* the device image, from translate() */
	struct bpf_insn *image;
	u32 image_len;
	/* program slot holding the image, or -1; under hd->slot_lock */
	int slot;
};

/* Device map limits (device.rst, "Map table") */
#define HERMES_MAP_IDS		256
#define HERMES_MAP_KEY_MAX	512
#define HERMES_MAP_VALUE_MAX	65536

/* An offloaded map, the dev_priv of a struct bpf_offloaded_map */
struct hermes_map {
	struct hermes_dev *hd;
	struct bpf_offloaded_map *offmap;
	u32 id;			/* device map ID */
	u64 footprint;		/* bytes of map memory */
	struct list_head list;	/* in hd->maps, under hd->map_lock */
};

struct hermes_pslot {
	struct hermes_prog *owner;
	unsigned int users;
	u64 last_use;
};

struct hermes_dev {
	struct pci_dev *pdev;
	const struct hermes_backend *backend;
	void __iomem *regs;
	void __iomem *mem;		/* device memory, caps.mem_size bytes */
	struct hermes_caps caps;
	char build[HERMES_EHBLD_LEN + 1];

	struct platform_device *xdma;	/* xdma.c's device over BAR2 */
	struct dma_slave_map dma_map[2 * HERMES_DMA_CHANNELS];
	char dma_names[2 * HERMES_DMA_CHANNELS][8];
	bool dma_ready;			/* data moves through XDMA */
	struct hermes_dma_chan h2c[HERMES_DMA_CHANNELS];
	struct hermes_dma_chan c2h[HERMES_DMA_CHANNELS];
	atomic_t dma_rr;

	unsigned int n_engines;		/* usable: one data slot each */
	unsigned int n_run_engines;	/* for programs; the last controls */
	struct hermes_engine *engines;
	spinlock_t engine_lock;		/* engine_free */
	unsigned long engine_free;
	wait_queue_head_t engine_wq;

	struct mutex slot_lock;		/* pslots, hermes_prog.slot */
	struct hermes_pslot *pslots;
	u64 slot_clock;
	u64 slot_loads;
	wait_queue_head_t slot_wq;

	struct mutex map_lock;		/* maps, map_ids, n_maps, map_mem_used */
	struct list_head maps;
	DECLARE_BITMAP(map_ids, HERMES_MAP_IDS);
	unsigned int n_maps;
	u32 map_max;			/* 0: no map offload */
	u64 map_mem;			/* bytes */
	u64 map_mem_used;

	bool dead;			/* removed or failed: refuse work */
	bool halted;			/* reset after a failure: no DONE comes */
	atomic_t test_runs;		/* in flight: hermes_remove() waits */
	atomic_t abort_batches;		/* debugfs: batches to abort, a test */

	spinlock_t error_lock;		/* last_error */
	char last_error[128];

	struct net_device *netdev;
	struct bpf_offload_dev *bpf_dev;
	struct dentry *debugfs;
	struct hermes_cdev *cdev;	/* /dev/hermesN, hermes_cdev.c */
};

/* hermes_dev.c */
u64 hermes_read64(struct hermes_dev *hd, u32 reg);
void hermes_set_error(struct hermes_dev *hd, const char *fmt, ...)
	__printf(2, 3);
struct hermes_engine *hermes_engine_get(struct hermes_dev *hd);
struct hermes_engine *hermes_ctrl_engine_get(struct hermes_dev *hd,
					     bool interruptible);
void hermes_engine_put(struct hermes_engine *e);
unsigned int hermes_cmd_timeout_ms(struct hermes_dev *hd, u32 runs,
				   u32 budget);
int hermes_engine_cmd(struct hermes_engine *e, u8 *req, u8 *res,
		      unsigned int timeout_ms, bool interruptible);
int hermes_engine_cmd_cancel(struct hermes_engine *e, u8 *req, u8 *res,
			     unsigned int timeout_ms, bool interruptible,
			     const bool *cancel);
void hermes_engine_cmd_abort(struct hermes_engine *e);
void hermes_engines_abort(struct hermes_dev *hd);
void hermes_dev_kill(struct hermes_dev *hd);
int hermes_dev_reset(struct hermes_dev *hd);
void hermes_dev_fail(struct hermes_dev *hd);
int hermes_dev_init(struct hermes_dev *hd);
int hermes_dev_start(struct hermes_dev *hd);
irqreturn_t hermes_engine_irq(int irq, void *data);

/* hermes_backend.c */
int hermes_backend_check(const struct hermes_backend *be,
			 const struct hermes_caps *caps, u64 window,
			 char *why, size_t len);

/* hermes_dma.c: the XDMA through the kernel's dmaengine driver */
int hermes_dma_init(struct hermes_dev *hd);
void hermes_engine_irqs_disable(struct hermes_dev *hd);
int hermes_mem_write(struct hermes_dev *hd, u64 off, const void *buf,
		     size_t len);
int hermes_mem_read(struct hermes_dev *hd, u64 off, void *buf, size_t len);
int hermes_dma_sg(struct hermes_dev *hd, bool h2c, u64 off,
		  struct sg_table *sgt, size_t len);

/* hermes_bpf.c: verifier callbacks, translation, program slots */
int hermes_prepare(struct bpf_prog *prog);
int hermes_verify_insn(struct bpf_verifier_env *env, int idx, int prev_idx);
int hermes_finalize(struct bpf_verifier_env *env);
int hermes_replace_insn(struct bpf_verifier_env *env, u32 off,
			struct bpf_insn *insn);
int hermes_remove_insns(struct bpf_verifier_env *env, u32 off, u32 cnt);
int hermes_translate(struct bpf_prog *prog);
void hermes_destroy(struct bpf_prog *prog);
int hermes_slot_pin(struct hermes_dev *hd, struct hermes_prog *hp);
void hermes_slot_unpin(struct hermes_dev *hd, int slot);
void hermes_debugfs_slots(struct seq_file *m, struct hermes_dev *hd);
void hermes_prog_put(struct hermes_prog *hp);

/* hermes_maps.c */
void hermes_maps_init(struct hermes_dev *hd);
int hermes_map_offload(struct hermes_dev *hd, struct netdev_bpf *bpf);
void hermes_debugfs_maps(struct seq_file *m, struct hermes_dev *hd);

/* hermes_run.c */
int hermes_test_run_prepare(struct bpf_prog *prog,
			    struct bpf_offload_test_run *run);
int hermes_test_run(struct bpf_prog *prog, struct bpf_offload_test_run *run);
void hermes_test_runs_wait(struct hermes_dev *hd);

/* hermes_cdev.c: /dev/hermesN, record batches */
int hermes_cdev_register(struct hermes_dev *hd);
void hermes_cdev_unregister(struct hermes_dev *hd);
void hermes_cdev_detach(struct hermes_dev *hd);
void hermes_debugfs_cdev(struct seq_file *m, struct hermes_dev *hd);

#endif /* _HERMES_H_ */
