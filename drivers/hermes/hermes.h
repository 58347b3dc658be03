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

#include "hermes_abi.h"

#define HERMES_DRV_NAME		"hermes"

/* Engines complete on the XDMA's user interrupts, of which PG195 has 16 */
#define HERMES_XDMA_USER_IRQS	16
#define HERMES_MAX_ENGINES	HERMES_XDMA_USER_IRQS

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

/*
 * Context fields of struct xdp_md and their place in the device's: the
 * verifier callbacks note the field of each context load in
 * hermes_prog.meta, translation rewrites the load.
 */
enum {
	HERMES_META_NONE,
	HERMES_META_DATA,
	HERMES_META_DATA_END,
	HERMES_META_DATA_META,
	HERMES_META_IFINDEX,
	HERMES_META_RXQ,
	HERMES_META_COUNT
};

struct hermes_ctx_field {
	u32 xdp_off;
	u8 dev_off;
	u8 dev_size;
};

/* The map of an lddw that the verifier resolved to a map pointer. */
static inline struct bpf_map *hermes_insn_map(const struct bpf_insn *insn)
{
	u64 addr = (u64)(u32)insn[0].imm | ((u64)(u32)insn[1].imm << 32);

	return (struct bpf_map *)(unsigned long)addr;
}

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
	u32 map_max;			/* 0: no map offload, ... */
	const char *no_maps;		/* ... for this reason */
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

/* hermes_offload.c: program lifetime, program slots */
struct hermes_map *hermes_dev_map(struct hermes_dev *hd,
				  const struct bpf_map *map);
int hermes_prepare(struct bpf_prog *prog);
int hermes_slot_load(struct hermes_dev *hd, struct hermes_prog *hp,
		     bool evict);
int hermes_slot_pin(struct hermes_dev *hd, struct hermes_prog *hp);
void hermes_slot_unpin(struct hermes_dev *hd, int slot);
void hermes_prog_put(struct hermes_prog *hp);
void hermes_destroy(struct bpf_prog *prog);
void hermes_debugfs_slots(struct seq_file *m, struct hermes_dev *hd);

/* hermes_verifier.c: verifier callbacks */
extern const struct hermes_ctx_field hermes_ctx_map[HERMES_META_COUNT];
int hermes_verify_insn(struct bpf_verifier_env *env, int idx, int prev_idx);
int hermes_finalize(struct bpf_verifier_env *env);
int hermes_replace_insn(struct bpf_verifier_env *env, u32 off,
			struct bpf_insn *insn);
int hermes_remove_insns(struct bpf_verifier_env *env, u32 off, u32 cnt);

/* hermes_translate.c: translation to the device ABI */
int hermes_translate(struct bpf_prog *prog);

/* hermes_maps.c */
const char *hermes_map_type_name(u32 type);
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
