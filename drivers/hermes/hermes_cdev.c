// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hermes eBPF offload accelerators: the character device /dev/hermesN.
 *
 * A record batch runs an offloaded XDP program once per record of a user
 * buffer (BATCH RUN, device.rst "Record batches").  The buffers are pinned
 * and mapped for DMA; the XDMA channels move them between user memory and
 * the engine's data slot, nothing is copied through the kernel.  Batches
 * come through a blocking ioctl or io_uring passthrough commands; the
 * latter run on a workqueue with one worker per engine, so that enough
 * submissions in flight keep every engine busy.
 *
 * Lifetime: the misc device is registered once the device works and
 * unregistered first at removal.  An open file holds a reference on its
 * struct hermes_cdev, never on the device: every use of the device is
 * under the read side of @lock, and removal takes the write side (after
 * aborting what runs) before it clears @hd, so a batch in flight completes
 * with -ENODEV and later calls get -ENODEV.
 *
 * Bounds: the pages a batch pins count against the submitter's
 * RLIMIT_MEMLOCK, which CAP_IPC_LOCK lifts; the batches in flight of an
 * open file, from submission to completion, are bounded by @max_batches
 * whatever the caller's rights, so that neither the requests, their page
 * lists and pins nor the work queued behind the engines grow without
 * bound.  A batch over the bound gets -EBUSY.
 */

#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/io_uring/cmd.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <linux/rwsem.h>
#include <linux/sched/mm.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/unaligned.h>
#include <linux/workqueue.h>
#include <uapi/linux/hermes.h>

#include "hermes.h"

#define HERMES_RESULT_SIZE		sizeof(struct hermes_batch_result)

/*
 * Batches in flight per open file.  A few per engine keep every engine
 * busy (make bench-batch gains nothing past 32 with three engines); each
 * pins up to twice the data slot plus its result table, some 130 MiB for
 * 64 batches of the QEMU model's 1 MiB slots.
 */
#define HERMES_MAX_BATCHES_DEFAULT	64
#define HERMES_MAX_BATCHES_LIMIT	4096

static unsigned int max_batches = HERMES_MAX_BATCHES_DEFAULT;

static int hermes_max_batches_set(const char *val,
				  const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, HERMES_MAX_BATCHES_LIMIT);
}

static const struct kernel_param_ops hermes_max_batches_ops = {
	.set = hermes_max_batches_set,
	.get = param_get_uint,
};

module_param_cb(max_batches, &hermes_max_batches_ops, &max_batches, 0644);
MODULE_PARM_DESC(max_batches,
		 "Record batches in flight per open file of /dev/hermesN, 1 to 4096; more get EBUSY (default 64)");

struct hermes_cdev {
	struct kref ref;
	struct rw_semaphore lock;	/* @hd: NULL once the device is gone */
	struct hermes_dev *hd;
	struct miscdevice misc;
	struct workqueue_struct *wq;	/* io_uring batches */
	atomic64_t batches;
	atomic64_t failed;
	atomic64_t busy;		/* refused: too many in flight */
	atomic64_t aborted;		/* by the device: -EAGAIN */
	atomic_t inflight;		/* of every open file */
	char name[IFNAMSIZ];
};

/*
 * An open file.  The ioctl and the io_uring request of a batch hold the
 * file until they return or complete, and the batch gives its place
 * back before either, so the file outlives the batches it counts.
 */
struct hermes_file {
	struct hermes_cdev *cd;
	atomic_t inflight;		/* batches, at most max_batches */
};

/* A user buffer, pinned and described for DMA */
struct hermes_ubuf {
	struct page **pages;
	unsigned int npages;
	bool write;
	bool mapped;
	size_t len;
	struct sg_table sgt;
};

/* One batch, from the checks to the answer */
struct hermes_breq {
	struct hermes_cdev *cd;
	struct hermes_file *hf;	/* counts us until hermes_breq_release() */
	struct hermes_batch b;
	size_t usize;		/* of the caller's struct hermes_batch */
	struct bpf_prog *prog;
	u32 max_records;	/* records the input can hold at most */
	bool unsupported;	/* the device cannot run batches */
	struct hermes_ubuf in, out, res;
	struct mm_struct *mm;	/* charged with @locked pages */
	unsigned long locked;

	/* io_uring */
	struct io_uring_cmd *ioucmd;
	u64 uaddr;
	struct work_struct work;
	int result;
	spinlock_t lock;	/* engine, cancelled */
	struct hermes_engine *engine;
	bool cancelled;
};

/* What io_uring keeps for us in the command */
struct hermes_uring_pdu {
	struct hermes_breq *req;
};

static void hermes_cdev_release(struct kref *ref)
{
	kfree(container_of(ref, struct hermes_cdev, ref));
}

static int hermes_cdev_open(struct inode *inode, struct file *file)
{
	struct hermes_cdev *cd = container_of(file->private_data,
					      struct hermes_cdev, misc);
	struct hermes_file *hf;

	/*
	 * Only a user who could load a program onto the device may run
	 * batches on it: BPF_PROG_LOAD of an offloaded XDP program needs
	 * CAP_BPF (or CAP_SYS_ADMIN) and CAP_NET_ADMIN.  Checked here, with
	 * the opener's credentials, whatever the mode of the node.
	 */
	if (!(capable(CAP_BPF) || capable(CAP_SYS_ADMIN)) ||
	    !(capable(CAP_NET_ADMIN) || capable(CAP_SYS_ADMIN)))
		return -EPERM;
	hf = kzalloc(sizeof(*hf), GFP_KERNEL);
	if (!hf)
		return -ENOMEM;
	/* misc_open() holds misc_mtx: unregistration waits for us */
	kref_get(&cd->ref);
	hf->cd = cd;
	file->private_data = hf;
	return 0;
}

static int hermes_cdev_file_release(struct inode *inode, struct file *file)
{
	struct hermes_file *hf = file->private_data;

	WARN_ON_ONCE(atomic_read(&hf->inflight));
	kref_put(&hf->cd->ref, hermes_cdev_release);
	kfree(hf);
	return 0;
}

static void hermes_cdev_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct hermes_file *hf = file->private_data;

	seq_printf(m, "hermes-batches:\t%d\nhermes-max-batches:\t%u\n",
		   atomic_read(&hf->inflight), READ_ONCE(max_batches));
}

/*
 * Take a place for a batch of @hf.
 *
 * Return: 0, or -EBUSY when the file has max_batches in flight.
 */
static int hermes_file_get(struct hermes_file *hf)
{
	if (atomic_inc_return(&hf->inflight) > READ_ONCE(max_batches)) {
		atomic_dec(&hf->inflight);
		atomic64_inc(&hf->cd->busy);
		return -EBUSY;
	}
	atomic_inc(&hf->cd->inflight);
	return 0;
}

static void hermes_file_put(struct hermes_file *hf)
{
	atomic_dec(&hf->cd->inflight);
	atomic_dec(&hf->inflight);
}

static long hermes_ioc_info(struct hermes_cdev *cd, void __user *arg)
{
	struct hermes_info *info;
	struct hermes_dev *hd;
	unsigned int i;
	long ret = 0;

	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	down_read(&cd->lock);
	hd = cd->hd;
	if (!hd || READ_ONCE(hd->dead)) {
		up_read(&cd->lock);
		kfree(info);
		return -ENODEV;
	}
	info->version = ioread32(hd->regs + HERMES_REG_EHVER);
	info->ifindex = hd->netdev->ifindex;
	strscpy(info->ifname, netdev_name(hd->netdev), sizeof(info->ifname));
	strscpy(info->build, hd->build, sizeof(info->build));
	info->engines = hd->n_run_engines;
	info->max_batch = hd->caps.dslot_size;
	info->isa = hd->caps.isa;
	info->cmds = hd->caps.cmds;
	info->stack_size = hd->caps.stack;
	info->max_insns = hd->caps.max_insns;
	info->budget_default = hd->caps.budget_def;
	info->budget_max = hd->caps.budget_max;
	for (i = 0; i < hd->n_run_engines && i < HERMES_MAX_ENGINES_INFO; i++) {
		u32 blk = HERMES_ENGBLK(i);

		info->engine_runs[i] = hermes_read64(hd, blk + HERMES_CNT_RUNS);
		info->engine_insns[i] = hermes_read64(hd, blk + HERMES_CNT_INSNS);
		info->engine_busy_ns[i] = hermes_read64(hd, blk + HERMES_CNT_BUSY);
		info->engine_errors[i] = hermes_read64(hd,
						       blk + HERMES_CNT_ERRORS);
	}
	up_read(&cd->lock);
	if (copy_to_user(arg, info, sizeof(*info)))
		ret = -EFAULT;
	kfree(info);
	return ret;
}

/* Buffers */

static void hermes_ubuf_unmap(struct hermes_dev *hd, struct hermes_ubuf *u)
{
	if (!u->mapped)
		return;
	dma_unmap_sgtable(&hd->pdev->dev, &u->sgt,
			  u->write ? DMA_FROM_DEVICE : DMA_TO_DEVICE, 0);
	u->mapped = false;
}

static void hermes_ubuf_release(struct hermes_ubuf *u)
{
	if (!u->pages)
		return;
	sg_free_table(&u->sgt);
	if (u->write)
		unpin_user_pages_dirty_lock(u->pages, u->npages, true);
	else
		unpin_user_pages(u->pages, u->npages);
	kvfree(u->pages);
	u->pages = NULL;
}

/* Pin @len bytes of user memory at @addr (writable with @write). */
static int hermes_ubuf_pin(struct hermes_ubuf *u, u64 addr, size_t len,
			   bool write)
{
	unsigned long start = addr & PAGE_MASK;
	unsigned int off = offset_in_page(addr);
	int n, err;

	u->write = write;
	u->len = len;
	if (!len)
		return 0;
	u->npages = DIV_ROUND_UP(off + len, PAGE_SIZE);
	u->pages = kvmalloc_array(u->npages, sizeof(*u->pages), GFP_KERNEL);
	if (!u->pages)
		return -ENOMEM;
	n = pin_user_pages_fast(start, u->npages, write ? FOLL_WRITE : 0,
				u->pages);
	if (n != u->npages) {
		if (n > 0)
			unpin_user_pages(u->pages, n);
		err = n < 0 ? n : -EFAULT;
		goto err_free;
	}
	err = sg_alloc_table_from_pages(&u->sgt, u->pages, u->npages, off, len,
					GFP_KERNEL);
	if (err) {
		unpin_user_pages(u->pages, u->npages);
		goto err_free;
	}
	return 0;

err_free:
	kvfree(u->pages);
	u->pages = NULL;
	return err;
}

static int hermes_ubuf_map(struct hermes_dev *hd, struct hermes_ubuf *u)
{
	int err;

	if (!u->pages)
		return 0;
	err = dma_map_sgtable(&hd->pdev->dev, &u->sgt,
			      u->write ? DMA_FROM_DEVICE : DMA_TO_DEVICE, 0);
	if (!err)
		u->mapped = true;
	return err;
}

/* Pages of @len bytes at @addr, as hermes_ubuf_pin() pins them */
static unsigned long hermes_ubuf_pages(u64 addr, u64 len)
{
	return len ? DIV_ROUND_UP(offset_in_page(addr) + len, PAGE_SIZE) : 0;
}

/* Give the pinned pages back to the locked_vm of the submitter's mm. */
static void hermes_breq_uncharge(struct hermes_breq *r)
{
	if (!r->mm)
		return;
	/* an mm already torn down has nothing left to uncharge */
	if (mmget_not_zero(r->mm)) {
		account_locked_vm(r->mm, r->locked, false);
		mmput(r->mm);
	}
	mmdrop(r->mm);
	r->mm = NULL;
}

/*
 * Give back what a batch holds but its request: pages, charge, program
 * and its place among the batches in flight of its file.  Idempotent.
 */
static void hermes_breq_release(struct hermes_breq *r)
{
	hermes_ubuf_release(&r->in);
	hermes_ubuf_release(&r->out);
	hermes_ubuf_release(&r->res);
	hermes_breq_uncharge(r);
	if (r->prog) {
		bpf_prog_put(r->prog);
		r->prog = NULL;
	}
	if (r->hf) {
		hermes_file_put(r->hf);
		r->hf = NULL;
	}
}

static void hermes_breq_free(struct hermes_breq *r)
{
	hermes_breq_release(r);
	kref_put(&r->cd->ref, hermes_cdev_release);
	kfree(r);
}

static bool hermes_user_range(u64 addr, u32 len)
{
	if (!len)
		return true;
	if (addr + len < addr)
		return false;
	return access_ok(u64_to_user_ptr(addr), len);
}

/*
 * Everything from user space is checked here, before the device is
 * touched.  Called with cd->lock held for reading and cd->hd set.
 */
static int hermes_batch_check(struct hermes_cdev *cd, struct hermes_breq *r)
{
	struct hermes_dev *hd = cd->hd;
	struct hermes_batch *b = &r->b;
	u32 slot = hd->caps.dslot_size, resoff, table;
	struct bpf_prog *prog;

	if (b->reserved || b->reserved2 || b->flags & ~HERMES_BATCH_LENPFX)
		return -EINVAL;
	if (b->flags & HERMES_BATCH_LENPFX) {
		if (b->record_size)
			return -EINVAL;
	} else if (!b->record_size || b->in_len % b->record_size) {
		return -EINVAL;
	}
	if (b->budget > hd->caps.budget_max)
		return -EINVAL;
	if (b->in_len > slot)
		return -EMSGSIZE;
	if (b->out_len < b->in_len)
		return -EINVAL;
	if (!b->res_addr && b->res_len)
		return -EINVAL;

	/* The result table follows the input in the data slot */
	resoff = round_up(b->in_len, 8);
	table = resoff <= slot ? (slot - resoff) / HERMES_RESULT_SIZE : 0;
	if (b->flags & HERMES_BATCH_LENPFX) {
		/* the device checks the framing; 4 bytes per record at least */
		r->max_records = min(b->in_len / 4, table);
	} else {
		r->max_records = b->in_len / b->record_size;
		if (r->max_records > table)
			return -EMSGSIZE;
	}

	if (!hermes_user_range(b->in_addr, b->in_len) ||
	    !hermes_user_range(b->out_addr, b->in_len) ||
	    !hermes_user_range(b->res_addr, b->res_len))
		return -EFAULT;

	prog = bpf_prog_get_type_dev(b->prog_fd, BPF_PROG_TYPE_XDP, true);
	if (IS_ERR(prog))
		return PTR_ERR(prog);
	r->prog = prog;
	/*
	 * An XDP program offloaded to this device.  Its hermes_prog lives
	 * until the program is freed (we hold it) or the netdev is
	 * unregistered, which removal does only after it took cd->lock for
	 * writing: we hold the read side until the batch is over.
	 */
	if (!bpf_prog_is_offloaded(prog->aux) ||
	    !bpf_offload_dev_match(prog, hd->netdev))
		return -EINVAL;

	/* Zero-copy needs the DMA engine, batches the device's command */
	r->unsupported = !(hd->caps.cmds & HERMES_CMDS_BATCH) ||
			 !hd->dma_ready;
	return 0;
}

/*
 * Pin the buffers of a checked batch.  Without cd->lock: pinning may wait
 * on the owner of the memory (userfaultfd, FUSE) and must not hold off
 * removal; it needs nothing of the device, which hermes_batch_exec()
 * looks at again under the lock.
 */
static int hermes_batch_pin(struct hermes_breq *r)
{
	struct hermes_batch *b = &r->b;
	u64 res_len = min_t(u64, round_down(b->res_len, HERMES_RESULT_SIZE),
			    (u64)r->max_records * HERMES_RESULT_SIZE);
	unsigned long pages;
	int err;

	/*
	 * Pinned pages count against RLIMIT_MEMLOCK of the submitter (as
	 * VFIO charges its pins), so that batches in flight cannot pin
	 * more than it allows; ENOMEM when they would.
	 */
	pages = hermes_ubuf_pages(b->in_addr, b->in_len) +
		hermes_ubuf_pages(b->out_addr, b->in_len) +
		hermes_ubuf_pages(b->res_addr, res_len);
	if (!current->mm)
		return -EFAULT;
	err = account_locked_vm(current->mm, pages, true);
	if (err)
		return err;
	r->mm = current->mm;
	mmgrab(r->mm);
	r->locked = pages;

	/* A bad address gives EFAULT with nothing else done */
	err = hermes_ubuf_pin(&r->in, b->in_addr, b->in_len, false);
	if (!err)
		err = hermes_ubuf_pin(&r->out, b->out_addr, b->in_len, true);
	if (!err)
		err = hermes_ubuf_pin(&r->res, b->res_addr, res_len, true);
	if (err)
		return err;
	return r->unsupported ? -EOPNOTSUPP : 0;
}

/*
 * The uapi fault kind (HERMES_FAULT_*) of a device fault kind, 0 for one
 * a batch cannot report: the ABI is the header's, whatever the device
 * numbers.
 */
static u32 hermes_fault_uapi(u8 kind)
{
	switch (kind) {
	case HERMES_DEV_FAULT_LOAD:
		return HERMES_FAULT_LOAD;
	case HERMES_DEV_FAULT_STORE:
		return HERMES_FAULT_STORE;
	case HERMES_DEV_FAULT_MISALIGNED:
		return HERMES_FAULT_MISALIGNED;
	case HERMES_DEV_FAULT_BUDGET:
		return HERMES_FAULT_BUDGET;
	case HERMES_DEV_FAULT_CALL_DEPTH:
		return HERMES_FAULT_CALL_DEPTH;
	case HERMES_DEV_FAULT_HELPER:
		return HERMES_FAULT_HELPER;
	default:
		return 0;
	}
}

/*
 * The verifier's index of device instruction @fpc.  The image is a
 * one-instruction prologue, then the driver's copy of the program
 * instruction for instruction; the host fixups of the verifier (guards
 * of divisions by a register, for instance) insert instructions into
 * the program bpftool dumps as "xlated", so walk both to find the same
 * instruction there.
 */
static u32 hermes_fault_insn(struct hermes_prog *hp, u32 fpc)
{
	const struct bpf_insn *x = hp->prog->insnsi;
	u32 i, j = 0, idx = fpc ? fpc - 1 : 0;

	if (idx >= hp->len)
		return idx;
	for (i = 0; i <= idx; i++, j++) {
		const struct bpf_insn *a = &hp->insns[i];
		u32 k;

		for (k = j; k < hp->prog->len; k++)
			if (x[k].code == a->code && x[k].dst_reg == a->dst_reg &&
			    x[k].src_reg == a->src_reg && x[k].off == a->off)
				break;
		if (k == hp->prog->len)
			return idx;	/* not found: the driver's index */
		j = k;
	}
	return j - 1;
}

/* Return: true when the batch was cancelled already. */
static bool hermes_breq_set_engine(struct hermes_breq *r,
				   struct hermes_engine *e)
{
	bool cancelled;

	spin_lock(&r->lock);
	r->engine = e;
	cancelled = r->cancelled;
	spin_unlock(&r->lock);
	return cancelled;
}

/* The device part of a batch, with cd->lock held for reading. */
static int hermes_batch_device(struct hermes_dev *hd, struct hermes_breq *r,
			       bool interruptible)
{
	struct hermes_prog *hp = r->prog->aux->offload->dev_priv;
	struct hermes_batch *b = &r->b;
	u8 req[HERMES_REQ_SIZE] = { HERMES_OPC_BATCH };
	u32 resoff = round_up(b->in_len, 8), outlen, nout, iters;
	static const bool abort_now = true;
	u8 res[HERMES_RES_SIZE], status;
	struct hermes_engine *e;
	const bool *cancel;
	unsigned int timeout;
	u64 dbase, time;
	int slot, err;

	if (READ_ONCE(hd->dead))
		return -ENODEV;
	if (!hp->image)
		return -EINVAL;

	e = hermes_engine_get(hd);
	if (IS_ERR(e))
		return PTR_ERR(e);
	slot = hermes_slot_pin(hd, hp);
	if (slot < 0) {
		err = slot;
		goto out_put;
	}
	dbase = hd->caps.dslot_off + (u64)e->dslot * hd->caps.dslot_size;

	err = hermes_ubuf_map(hd, &r->in);
	if (!err)
		err = hermes_dma_sg(hd, true, dbase, &r->in.sgt, b->in_len);
	hermes_ubuf_unmap(hd, &r->in);
	if (err)
		goto out_unpin;

	if (b->flags & HERMES_BATCH_LENPFX)
		req[1] = HERMES_BATCH_REQ_LENPFX;
	req[8] = slot;
	req[9] = e->dslot;
	put_unaligned_le32(hp->image_len * sizeof(struct bpf_insn), req + 12);
	put_unaligned_le32(b->in_len, req + 16);
	put_unaligned_le32(b->record_size, req + 20);
	put_unaligned_le32(resoff, req + 24);
	put_unaligned_le32(b->budget, req + 28);

	/*
	 * From here on a cancellation aborts the command: one that comes
	 * before the submission is seen by hermes_engine_cmd_cancel(), which
	 * then submits the command with ABORT in the same write.
	 */
	timeout = hermes_cmd_timeout_ms(hd, r->max_records, b->budget);
	/*
	 * debugfs abort_batches: the command is cancelled from the start, so
	 * the device answers ABORTED as it does on its own when the VM is
	 * saved, to test resubmission.
	 */
	cancel = &r->cancelled;
	if (hermes_breq_set_engine(r, e)) {
		err = -ECANCELED;
	} else {
		if (atomic_dec_if_positive(&hd->abort_batches) >= 0)
			cancel = &abort_now;
		err = hermes_engine_cmd_cancel(e, req, res, timeout,
					       interruptible, cancel);
	}
	hermes_breq_set_engine(r, NULL);
	if (err) {
		err = READ_ONCE(hd->dead) ? -ENODEV : err;
		goto out_unpin;
	}

	status = res[2];
	outlen = get_unaligned_le32(res + 8);
	nout = get_unaligned_le32(res + 12);
	iters = ioread32(hd->regs + HERMES_ENGBLK(e->idx) + HERMES_RES_ITERS);
	time = hermes_read64(hd, HERMES_ENGBLK(e->idx) + HERMES_RES_TIME);
	switch (status) {
	case HERMES_ST_SUCCESS:
		b->fault = 0;
		b->fault_insn = 0;
		break;
	case HERMES_ST_EBPF_ERROR:
	case HERMES_ST_BUDGET_EXCEEDED:
		b->fault = hermes_fault_uapi(res[3]);
		if (!b->fault) {
			hermes_set_error(hd, "engine %u: batch fault of unknown kind %u",
					 e->idx, res[3]);
			err = -EIO;
			goto out_unpin;
		}
		b->fault_insn = hermes_fault_insn(hp,
						  get_unaligned_le32(res + 4));
		hermes_set_error(hd,
				 "engine %u: prog %u: batch stopped at record %u: fault %u at device insn %u",
				 e->idx, hp->prog->aux->id, iters, res[3],
				 get_unaligned_le32(res + 4));
		break;
	case HERMES_ST_INVALID_RECORDS:
		err = -EINVAL;
		goto out_unpin;
	case HERMES_ST_ABORTED:
		/* a signal ends the wait before; else the device did it */
		if (READ_ONCE(hd->dead))
			err = -ENODEV;
		else
			err = READ_ONCE(r->cancelled) ? -ECANCELED : -EAGAIN;
		goto out_unpin;
	case HERMES_ST_INVALID_OPCODE:
		err = -EOPNOTSUPP;
		goto out_unpin;
	default:
		hermes_set_error(hd, "engine %u: prog %u: batch status %#x",
				 e->idx, hp->prog->aux->id, status);
		err = -EIO;
		goto out_unpin;
	}

	/* Never trust the device */
	if (outlen > b->in_len || iters > r->max_records || nout > iters) {
		hermes_set_error(hd,
				 "engine %u: batch answered %u bytes, %u of %u records for %u bytes, %u records at most",
				 e->idx, outlen, nout, iters, b->in_len,
				 r->max_records);
		err = -EIO;
		goto out_unpin;
	}

	err = hermes_ubuf_map(hd, &r->out);
	if (!err)
		err = hermes_dma_sg(hd, false, dbase, &r->out.sgt, outlen);
	hermes_ubuf_unmap(hd, &r->out);
	if (!err && r->res.pages) {
		err = hermes_ubuf_map(hd, &r->res);
		if (!err)
			err = hermes_dma_sg(hd, false, dbase + resoff,
					    &r->res.sgt,
					    min_t(u64, r->res.len,
						  (u64)iters *
						  HERMES_RESULT_SIZE));
		hermes_ubuf_unmap(hd, &r->res);
	}
	if (err)
		goto out_unpin;

	b->records_in = iters;
	b->records_out = nout;
	b->bytes_out = outlen;
	b->duration_ns = time;
out_unpin:
	hermes_slot_unpin(hd, slot);
out_put:
	hermes_engine_put(e);
	return err;
}

static int hermes_batch_exec(struct hermes_breq *r, bool interruptible)
{
	struct hermes_cdev *cd = r->cd;
	int err;

	down_read(&cd->lock);
	if (!cd->hd)
		err = -ENODEV;
	else if (READ_ONCE(r->cancelled))
		err = -ECANCELED;
	else if (!r->b.in_len)
		err = 0;
	else
		err = hermes_batch_device(cd->hd, r, interruptible);
	up_read(&cd->lock);
	/* a call that restarts did not run the batch */
	if (err == -ERESTARTSYS)
		return err;
	atomic64_inc(&cd->batches);
	if (err)
		atomic64_inc(&cd->failed);
	if (err == -EAGAIN)
		atomic64_inc(&cd->aborted);
	return err;
}

/* The fields a batch answers in */
static const size_t hermes_batch_out_off = offsetof(struct hermes_batch,
						    records_in);

/*
 * HERMES_IOC_BATCH (and HERMES_URING_CMD_BATCH) with the size of the
 * caller's struct hermes_batch in the command code: the structure may
 * grow, a caller built against a later header passes a larger one.
 */
static bool hermes_is_batch_cmd(unsigned int cmd)
{
	return _IOC_TYPE(cmd) == HERMES_IOC_MAGIC &&
	       _IOC_NR(cmd) == _IOC_NR(HERMES_IOC_BATCH) &&
	       _IOC_DIR(cmd) == (_IOC_READ | _IOC_WRITE);
}

/*
 * Read and check a batch of @size bytes from user space; r->cd holds a
 * reference, and the batch counts among the batches in flight of @hf
 * (-EBUSY when there are max_batches already).  A structure larger than
 * ours must have zeros past it (what it adds is not known here: E2BIG
 * otherwise); one from an earlier header, down to the first, gets zeros
 * for what it lacks.
 */
static struct hermes_breq *hermes_breq_new(struct hermes_file *hf,
					   const void __user *arg,
					   size_t size)
{
	struct hermes_cdev *cd = hf->cd;
	struct hermes_breq *r;
	int err;

	/* the first structure holds every field a batch answers in */
	BUILD_BUG_ON(offsetofend(struct hermes_batch, duration_ns) !=
		     HERMES_BATCH_SIZE_VER0);
	if (size < HERMES_BATCH_SIZE_VER0)
		return ERR_PTR(-EINVAL);
	err = hermes_file_get(hf);
	if (err)
		return ERR_PTR(err);
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r) {
		hermes_file_put(hf);
		return ERR_PTR(-ENOMEM);
	}
	r->hf = hf;
	kref_get(&cd->ref);
	r->cd = cd;
	spin_lock_init(&r->lock);
	r->usize = size;
	err = copy_struct_from_user(&r->b, sizeof(r->b), arg, size);
	if (err)
		goto err_free;
	r->b.records_in = 0;
	r->b.records_out = 0;
	r->b.bytes_out = 0;
	r->b.fault = 0;
	r->b.fault_insn = 0;
	r->b.duration_ns = 0;
	down_read(&cd->lock);
	if (!cd->hd || READ_ONCE(cd->hd->dead))
		err = -ENODEV;
	else
		err = hermes_batch_check(cd, r);
	up_read(&cd->lock);
	if (!err)
		err = hermes_batch_pin(r);
	if (err)
		goto err_free;
	return r;

err_free:
	hermes_breq_free(r);
	return ERR_PTR(err);
}

static int hermes_batch_copy_out(struct hermes_breq *r, void __user *arg)
{
	/* what the caller's structure has of ours */
	if (copy_to_user(arg + hermes_batch_out_off,
			 (u8 *)&r->b + hermes_batch_out_off,
			 min(r->usize, sizeof(r->b)) - hermes_batch_out_off))
		return -EFAULT;
	return 0;
}

static long hermes_ioc_batch(struct hermes_file *hf, void __user *arg,
			     size_t size)
{
	struct hermes_breq *r;
	int err;

	r = hermes_breq_new(hf, arg, size);
	if (IS_ERR(r))
		return PTR_ERR(r);
	err = hermes_batch_exec(r, true);
	if (!err)
		err = hermes_batch_copy_out(r, arg);
	hermes_breq_free(r);
	return err;
}

static long hermes_cdev_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct hermes_file *hf = file->private_data;

	if (cmd == HERMES_IOC_INFO)
		return hermes_ioc_info(hf->cd, (void __user *)arg);
	if (hermes_is_batch_cmd(cmd))
		return hermes_ioc_batch(hf, (void __user *)arg, _IOC_SIZE(cmd));
	return -ENOTTY;
}

/* io_uring */

static void hermes_uring_complete(struct io_uring_cmd *ioucmd,
				  unsigned int issue_flags)
{
	struct hermes_uring_pdu *pdu = io_uring_cmd_to_pdu(ioucmd,
							   struct hermes_uring_pdu);
	struct hermes_breq *r = pdu->req;
	int ret = r->result;

	/* in the submitter's context: its memory is ours to write */
	if (issue_flags & IO_URING_F_TASK_DEAD)
		ret = -ECANCELED;
	else if (!ret)
		ret = hermes_batch_copy_out(r, u64_to_user_ptr(r->uaddr));
	/* a submitter that sees the completion may submit again at once */
	hermes_breq_release(r);
	/* done before the free: it ends cancellation, which looks at @r */
	io_uring_cmd_done(ioucmd, ret, 0, issue_flags);
	hermes_breq_free(r);
}

static void hermes_uring_work(struct work_struct *work)
{
	struct hermes_breq *r = container_of(work, struct hermes_breq, work);

	r->result = hermes_batch_exec(r, false);
	io_uring_cmd_complete_in_task(r->ioucmd, hermes_uring_complete);
}

/* The ring is going away: stop the batch, it completes with -ECANCELED. */
static void hermes_uring_cancel(struct io_uring_cmd *ioucmd)
{
	struct hermes_uring_pdu *pdu = io_uring_cmd_to_pdu(ioucmd,
							   struct hermes_uring_pdu);
	struct hermes_breq *r = pdu->req;

	spin_lock(&r->lock);
	WRITE_ONCE(r->cancelled, true);
	/* flag before abort; pairs with the mb() in hermes_engine_cmd_cancel() */
	smp_mb();
	if (r->engine)
		hermes_engine_cmd_abort(r->engine);
	spin_unlock(&r->lock);
}

static int hermes_cdev_uring_cmd(struct io_uring_cmd *ioucmd,
				 unsigned int issue_flags)
{
	struct hermes_uring_pdu *pdu = io_uring_cmd_to_pdu(ioucmd,
							   struct hermes_uring_pdu);
	struct hermes_file *hf = ioucmd->file->private_data;
	struct hermes_cdev *cd = hf->cd;
	const u8 *cmd = io_uring_sqe_cmd(ioucmd->sqe);
	/* the command area: 16 bytes, 80 in a ring of 128-byte entries */
	size_t cmd_len = issue_flags & IO_URING_F_SQE128 ? 80 : 16;
	struct hermes_breq *r;
	u64 uaddr;

	if (issue_flags & IO_URING_F_CANCEL) {
		hermes_uring_cancel(ioucmd);
		return 0;
	}
	if (!hermes_is_batch_cmd(ioucmd->cmd_op))
		return -ENOTTY;
	/*
	 * The batch's buffers are pinned by address: a registered buffer
	 * would be a second way to name them, which nothing needs yet.
	 * What follows the batch's address is reserved, so that it can
	 * carry something later.
	 */
	if (ioucmd->flags & IORING_URING_CMD_FIXED ||
	    memchr_inv(cmd + sizeof(u64), 0, cmd_len - sizeof(u64)))
		return -EINVAL;

	uaddr = get_unaligned_le64(cmd);
	r = hermes_breq_new(hf, u64_to_user_ptr(uaddr),
			    _IOC_SIZE(ioucmd->cmd_op));
	if (IS_ERR(r))
		return PTR_ERR(r);
	r->ioucmd = ioucmd;
	r->uaddr = uaddr;
	INIT_WORK(&r->work, hermes_uring_work);
	pdu->req = r;

	down_read(&cd->lock);
	if (!cd->hd) {
		up_read(&cd->lock);
		hermes_breq_free(r);
		return -ENODEV;
	}
	io_uring_cmd_mark_cancelable(ioucmd, issue_flags);
	queue_work(cd->wq, &r->work);
	up_read(&cd->lock);
	return -EIOCBQUEUED;
}

static const struct file_operations hermes_cdev_fops = {
	.owner		= THIS_MODULE,
	.open		= hermes_cdev_open,
	.release	= hermes_cdev_file_release,
	.unlocked_ioctl	= hermes_cdev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.uring_cmd	= hermes_cdev_uring_cmd,
	.show_fdinfo	= hermes_cdev_show_fdinfo,
	.llseek		= noop_llseek,
};

/**
 * hermes_cdev_register() - create /dev/hermesN for a working device
 * @hd: device with its netdev registered (N is the netdev's number)
 *
 * Return: 0 or a negative error code.
 */
int hermes_cdev_register(struct hermes_dev *hd)
{
	struct hermes_cdev *cd;
	int err;

	cd = kzalloc(sizeof(*cd), GFP_KERNEL);
	if (!cd)
		return -ENOMEM;
	kref_init(&cd->ref);
	init_rwsem(&cd->lock);
	cd->hd = hd;
	strscpy(cd->name, netdev_name(hd->netdev), sizeof(cd->name));
	cd->wq = alloc_workqueue("%s-batch", WQ_UNBOUND, hd->n_run_engines,
				 cd->name);
	if (!cd->wq) {
		err = -ENOMEM;
		goto err_free;
	}
	cd->misc.minor = MISC_DYNAMIC_MINOR;
	cd->misc.name = cd->name;
	cd->misc.fops = &hermes_cdev_fops;
	cd->misc.parent = &hd->pdev->dev;
	cd->misc.mode = 0600;
	err = misc_register(&cd->misc);
	if (err)
		goto err_wq;
	hd->cdev = cd;
	return 0;

err_wq:
	destroy_workqueue(cd->wq);
err_free:
	kfree(cd);
	return err;
}

/**
 * hermes_cdev_unregister() - remove /dev/hermesN: no new opens
 * @hd: device
 *
 * Open files keep working until hermes_cdev_detach().
 */
void hermes_cdev_unregister(struct hermes_dev *hd)
{
	if (hd->cdev)
		misc_deregister(&hd->cdev->misc);
}

/**
 * hermes_cdev_detach() - cut open files off the device
 * @hd: device after hermes_dev_kill()
 *
 * Waits for the batches using the device, then every later call gets
 * -ENODEV.  They end with -ENODEV soon: hermes_dev_kill() aborted the
 * commands running and woke the waiters for engines and slots, and a
 * command submitted after it is aborted by its submitter, which sees
 * the device dead (hermes_engine_cmd_cancel()).  Queued io_uring
 * batches have run by the time this returns (ending with -ENODEV); their
 * completions may be posted later.
 */
void hermes_cdev_detach(struct hermes_dev *hd)
{
	struct hermes_cdev *cd = hd->cdev;

	if (!cd)
		return;
	down_write(&cd->lock);
	cd->hd = NULL;
	up_write(&cd->lock);
	destroy_workqueue(cd->wq);
	hd->cdev = NULL;
	kref_put(&cd->ref, hermes_cdev_release);
}

/**
 * hermes_debugfs_cdev() - the character device in debugfs
 * @m: seq_file
 * @hd: device
 */
void hermes_debugfs_cdev(struct seq_file *m, struct hermes_dev *hd)
{
	struct hermes_cdev *cd = hd->cdev;

	if (!cd) {
		seq_puts(m, "none\n");
		return;
	}
	seq_printf(m, "device: /dev/%s\nbatches: %lld\nfailed: %lld\n",
		   cd->name, (long long)atomic64_read(&cd->batches),
		   (long long)atomic64_read(&cd->failed));
	seq_printf(m, "aborted by the device: %lld\n",
		   (long long)atomic64_read(&cd->aborted));
	seq_printf(m, "in flight: %d\nrefused busy: %lld\nmax per file: %u\n",
		   atomic_read(&cd->inflight),
		   (long long)atomic64_read(&cd->busy),
		   READ_ONCE(max_batches));
}
