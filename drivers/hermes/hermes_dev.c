// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hermes eBPF offload accelerators: engines and commands.
 *
 * Every command goes through one engine's request/response registers.  A
 * caller first takes an idle engine for itself (hermes_engine_get()), so
 * that at most one command is in flight per engine, submits, and sleeps
 * until the engine's MSI-X vector fires or the wait times out.  A command
 * that overruns is aborted; an engine that does not even answer the abort
 * gets the device reset and marked failed, so nobody waits on it forever.
 */

#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/jiffies.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/unaligned.h>

#include "hermes.h"

/*
 * The module is built from several files; its license and description
 * sit in the lowest one, so that every prefix of the driver series links.
 */
MODULE_DESCRIPTION("Hermes eBPF offload accelerators");
MODULE_LICENSE("GPL");

#define HERMES_ABORT_TIMEOUT_MS		1000
#define HERMES_SLOT_CMD_TIMEOUT_MS	2000
#define HERMES_RESET_TIMEOUT_US		100000
/* Time limits of the commands that run programs: hermes_cmd_timeout_ms() */
#define HERMES_INSNS_PER_MS		10000
#define HERMES_CMD_TIMEOUT_MS		2000
#define HERMES_CMD_TIMEOUT_MAX_MS	(10 * 60 * 1000)

/* 64-bit registers are two 32-bit halves; read hi, lo, hi (device.rst). */
u64 hermes_read64(struct hermes_dev *hd, u32 reg)
{
	u32 hi, lo, hi2;
	int tries = 8;

	hi = ioread32(hd->regs + reg + 4);
	do {
		lo = ioread32(hd->regs + reg);
		hi2 = ioread32(hd->regs + reg + 4);
		if (hi2 == hi)
			break;
		hi = hi2;
	} while (--tries);
	return (u64)hi << 32 | lo;
}

void hermes_set_error(struct hermes_dev *hd, const char *fmt, ...)
{
	unsigned long flags;
	va_list args;

	spin_lock_irqsave(&hd->error_lock, flags);
	va_start(args, fmt);
	vsnprintf(hd->last_error, sizeof(hd->last_error), fmt, args);
	va_end(args);
	spin_unlock_irqrestore(&hd->error_lock, flags);
}

/* Take a free engine of [@first, @end), or say why not to wait longer. */
static bool hermes_engine_try_get(struct hermes_dev *hd, unsigned int first,
				  unsigned int end, struct hermes_engine **e)
{
	unsigned long i;

	if (READ_ONCE(hd->dead))
		return true;

	spin_lock(&hd->engine_lock);
	i = find_next_bit(&hd->engine_free, end, first);
	if (i < end) {
		clear_bit(i, &hd->engine_free);
		*e = &hd->engines[i];
	}
	spin_unlock(&hd->engine_lock);
	return *e;
}

/*
 * Nothing has reached the device while we wait, so a signal ends the wait
 * with -ERESTARTSYS: the system call restarts unless a handler says
 * otherwise (io_uring's task work, which also makes signal_pending()
 * true, then never shows as EINTR).
 */
static struct hermes_engine *hermes_engine_wait_free(struct hermes_dev *hd,
						     unsigned int first,
						     unsigned int end,
						     bool interruptible)
{
	struct hermes_engine *e = NULL;
	int err = 0;

	if (interruptible)
		err = wait_event_interruptible(hd->engine_wq,
					       hermes_engine_try_get(hd, first,
								     end, &e));
	else
		wait_event_idle(hd->engine_wq,
				hermes_engine_try_get(hd, first, end, &e));
	if (err) {
		if (e)
			hermes_engine_put(e);
		return ERR_PTR(err);
	}
	if (READ_ONCE(hd->dead)) {
		if (e)
			hermes_engine_put(e);
		return ERR_PTR(-ENODEV);
	}
	return e;
}

/**
 * hermes_engine_get() - take an idle engine to run programs on
 * @hd: device
 *
 * Sleeps until one of the engines for program runs and record batches is
 * free (all but the control engine, see hermes_ctrl_engine_get()).
 *
 * Return: the engine, or an ERR_PTR: -ERESTARTSYS on a signal, -ENODEV
 * when the device is going away or failed.
 */
struct hermes_engine *hermes_engine_get(struct hermes_dev *hd)
{
	return hermes_engine_wait_free(hd, 0, hd->n_run_engines, true);
}

/**
 * hermes_ctrl_engine_get() - take the control engine for a short command
 * @hd: device
 * @interruptible: whether a signal may end the wait
 *
 * The map commands of the host run on an engine that programs never use,
 * the last one of a device with two engines or more: the core calls map
 * creation and release under RTNL and its offload lock, and lookups
 * under that lock, so they must never wait behind a program run or a
 * record batch, which may take minutes.  They wait only for each other,
 * each bounded by its command timeout.  On a device with one engine the
 * control engine is that engine.  @interruptible is false for a command
 * that must not fail (MAP FREE: an error path of map creation, or a netdev
 * going away, may call it from a task with a signal pending); that wait
 * does not count as a hung task (TASK_IDLE).
 *
 * Return: the engine, or an ERR_PTR: -EINTR on a signal (not
 * -ERESTARTSYS: a BPF program may issue map commands through
 * bpf_sys_bpf(), and nothing restarts it), -ENODEV when the device is
 * going away or failed.
 */
struct hermes_engine *hermes_ctrl_engine_get(struct hermes_dev *hd,
					     bool interruptible)
{
	struct hermes_engine *e;

	e = hermes_engine_wait_free(hd, hd->n_engines - 1, hd->n_engines,
				    interruptible);
	return e == ERR_PTR(-ERESTARTSYS) ? ERR_PTR(-EINTR) : e;
}

void hermes_engine_put(struct hermes_engine *e)
{
	struct hermes_dev *hd = e->hd;

	spin_lock(&hd->engine_lock);
	set_bit(e->idx, &hd->engine_free);
	spin_unlock(&hd->engine_lock);
	wake_up(&hd->engine_wq);
}

irqreturn_t hermes_engine_irq(int irq, void *data)
{
	struct hermes_engine *e = data;

	complete(&e->done);
	return IRQ_HANDLED;
}

static bool hermes_engine_done(struct hermes_engine *e)
{
	u32 ctrl = ioread32(e->hd->regs + HERMES_CMDCTRL(e->idx));

	return (ctrl & HERMES_CTRL_DONE) && !(ctrl & HERMES_CTRL_EXEC);
}

/* How often a wait with task work pending looks for a signal */
#define HERMES_SIGNAL_POLL_MS	10
/*
 * Longest uninterruptible sleep of a command wait: the wait goes on in
 * steps, so that a batch of minutes in an io_uring worker is no hung task.
 */
#define HERMES_WAIT_STEP_MS	10000

/*
 * Wait for DONE; interrupts only wake us, DONE is the truth.
 *
 * Return: 1 when DONE, 0 at @timeout, -EINTR on a signal if
 * @interruptible, -ENODEV once the device was reset after a failure (no
 * DONE comes then; hermes_dev_fail() wakes us).  Task work (io_uring's
 * completions to this task) makes signal_pending() true too, but runs
 * only once we return to user space: it must not abort the command, so
 * with only task work pending the wait goes on uninterruptibly, looking
 * for a real signal every HERMES_SIGNAL_POLL_MS.
 */
static long hermes_engine_wait(struct hermes_engine *e, unsigned long timeout,
			       bool interruptible)
{
	unsigned long poll = msecs_to_jiffies(HERMES_SIGNAL_POLL_MS);
	unsigned long step = msecs_to_jiffies(HERMES_WAIT_STEP_MS);
	unsigned long deadline = jiffies + timeout;
	long left;

	for (;;) {
		if (hermes_engine_done(e))
			return 1;
		if (READ_ONCE(e->hd->halted))
			return -ENODEV;
		left = (long)(deadline - jiffies);
		if (left <= 0)
			return 0;
		if (!interruptible)
			wait_for_completion_timeout(&e->done,
						    min_t(long, left, step));
		else if (task_sigpending(current))
			return -EINTR;
		else if (!signal_pending(current))
			wait_for_completion_interruptible_timeout(&e->done,
								  left);
		else
			wait_for_completion_timeout(&e->done,
						    min_t(long, left, poll));
	}
}

static void hermes_engine_abort(struct hermes_engine *e)
{
	iowrite8(1, e->hd->regs + HERMES_CMDCTRL(e->idx) +
		 HERMES_CTRL_ABORT_BYTE);
}

/**
 * hermes_engine_cmd_abort() - abort the command running on a held engine
 * @e: engine, held by someone for as long as this runs
 *
 * For a waiter that is not the submitter (a cancelled batch): the
 * command completes with status ``ABORTED`` and hermes_engine_cmd()
 * returns as usual.  No effect when the engine is idle: a canceller sets
 * the flag it gave hermes_engine_cmd_cancel() first.
 */
void hermes_engine_cmd_abort(struct hermes_engine *e)
{
	hermes_engine_abort(e);
}

/**
 * hermes_cmd_timeout_ms() - time limit of a command that runs a program
 * @hd: device
 * @runs: program runs (iterations or records) of the command, 0 counts as 1
 * @budget: instruction budget of each run, 0 for the device's default
 *
 * The device is assumed to run at least %HERMES_INSNS_PER_MS instructions
 * per millisecond (the QEMU model runs far more): every run may use its
 * whole budget, plus %HERMES_CMD_TIMEOUT_MS for the rest of the command.
 * The limit is capped at %HERMES_CMD_TIMEOUT_MAX_MS: with the largest
 * budget and data slot the formula gives weeks, and a command that has
 * not answered in ten minutes holds its engine (and a sleeping caller)
 * far longer than any use of the device should; such work is to be
 * split into several commands.
 *
 * Return: the time limit in milliseconds.
 */
unsigned int hermes_cmd_timeout_ms(struct hermes_dev *hd, u32 runs, u32 budget)
{
	u64 ms;

	if (!budget)
		budget = hd->caps.budget_def;
	ms = div_u64((u64)max(runs, 1U) * budget, HERMES_INSNS_PER_MS);
	return min_t(u64, ms + HERMES_CMD_TIMEOUT_MS,
		     HERMES_CMD_TIMEOUT_MAX_MS);
}

/**
 * hermes_engine_cmd() - submit a command on a held engine and wait for it
 * @e: engine taken with hermes_engine_get()
 * @req: 32-byte request; its CID is filled in here
 * @res: 16-byte response buffer
 * @timeout_ms: how long the command may take
 * @interruptible: a signal aborts the command
 *
 * Return: 0 when the device completed the command (its status is in
 * @res[2]), -EINTR when a signal aborted it, -ETIMEDOUT when it overran
 * and was aborted, -EIO when the device did not answer at all (it is then
 * reset and marked failed) or answered nonsense.
 */
int hermes_engine_cmd(struct hermes_engine *e, u8 *req, u8 *res,
		      unsigned int timeout_ms, bool interruptible)
{
	return hermes_engine_cmd_cancel(e, req, res, timeout_ms, interruptible,
					NULL);
}

/**
 * hermes_engine_cmd_cancel() - hermes_engine_cmd(), cancellable by others
 * @e: engine taken with hermes_engine_get()
 * @req: 32-byte request; its CID is filled in here
 * @res: 16-byte response buffer
 * @timeout_ms: how long the command may take
 * @interruptible: a signal aborts the command
 * @cancel: NULL, or a flag that a canceller sets to true before it calls
 *	hermes_engine_cmd_abort() on @e
 *
 * An abort that reaches the engine before the command is submitted has
 * no effect (the engine is idle), so the flag is looked at as the command
 * is submitted (set then, EXEC and ABORT go in one write) and once more
 * after it runs: set by then, the command is aborted here.  Either this
 * sees the flag or the canceller's abort comes after the submission.
 *
 * Return: as hermes_engine_cmd(); a cancelled command completes with
 * status ``ABORTED`` in @res[2].
 */
int hermes_engine_cmd_cancel(struct hermes_engine *e, u8 *req, u8 *res,
			     unsigned int timeout_ms, bool interruptible,
			     const bool *cancel)
{
	struct hermes_dev *hd = e->hd;
	void __iomem *ctrl = hd->regs + HERMES_CMDCTRL(e->idx);
	int ret = 0, i;
	u32 ctl;
	long w;
	u16 cid;

	if (READ_ONCE(hd->dead))
		return -ENODEV;
	if (ioread32(ctrl) & HERMES_CTRL_EXEC) {
		hermes_set_error(hd, "engine %u busy before submission",
				 e->idx);
		return -EIO;
	}

	cid = ++e->cid;
	req[2] = cid & 0xff;
	req[3] = cid >> 8;
	for (i = 0; i < HERMES_REQ_SIZE; i += 4)
		iowrite32(get_unaligned_le32(req + i),
			  hd->regs + HERMES_CMDREQ(e->idx) + i);
	reinit_completion(&e->done);
	e->commands++;
	/*
	 * Clear DONE and set EXEC in one write.  A command cancelled already
	 * is aborted in the same write: a device that applies EXEC, then
	 * ABORT (device.rst) never runs it to its end, however fast it is.
	 */
	ctl = HERMES_CTRL_EXEC;
	if (cancel && READ_ONCE(*cancel))
		ctl |= HERMES_CTRL_ABORT;
	iowrite32(ctl, ctrl);
	/*
	 * EXEC before the flags; pairs with the barrier of a canceller and
	 * of hermes_dev_kill(): either they see the command running and
	 * abort it, or it is aborted here.
	 */
	mb();
	if (READ_ONCE(hd->dead) || (cancel && READ_ONCE(*cancel)))
		hermes_engine_abort(e);

	w = hermes_engine_wait(e, msecs_to_jiffies(timeout_ms), interruptible);
	if (w == -ENODEV)
		return -ENODEV;
	if (w <= 0) {
		ret = w < 0 ? -EINTR : -ETIMEDOUT;
		if (!w)
			e->timeouts++;
		hermes_engine_abort(e);
		w = hermes_engine_wait(e,
				       msecs_to_jiffies(HERMES_ABORT_TIMEOUT_MS),
				       false);
		if (w == -ENODEV)
			return -ENODEV;
		if (w <= 0) {
			e->failures++;
			hermes_set_error(hd,
					 "engine %u did not complete command %#x (cid %u) after abort: device reset",
					 e->idx, req[0], cid);
			dev_err(&hd->pdev->dev,
				"engine %u does not answer, resetting the device\n",
				e->idx);
			hermes_dev_fail(hd);
			return -EIO;
		}
	}

	for (i = 0; i < HERMES_RES_SIZE; i += 4)
		put_unaligned_le32(ioread32(hd->regs + HERMES_CMDRES(e->idx) + i),
				   res + i);
	if (get_unaligned_le16(res) != cid) {
		hermes_set_error(hd, "engine %u answered cid %u for cid %u",
				 e->idx, get_unaligned_le16(res), cid);
		return -EIO;
	}
	return ret;
}

void hermes_engines_abort(struct hermes_dev *hd)
{
	unsigned int i;

	for (i = 0; i < hd->n_engines; i++)
		hermes_engine_abort(&hd->engines[i]);
}

/**
 * hermes_dev_kill() - stop all work on a device that is going away
 * @hd: device
 *
 * Marks the device dead, aborts every command running and wakes whoever
 * waits for an engine or a slot.  A command submitted concurrently is
 * aborted by its submitter (see hermes_engine_cmd_cancel()), so every
 * caller returns within the abort time, with -ENODEV.
 */
void hermes_dev_kill(struct hermes_dev *hd)
{
	WRITE_ONCE(hd->dead, true);
	/* dead before the aborts; pairs with the submitter's mb() */
	mb();
	hermes_engines_abort(hd);
	wake_up_all(&hd->engine_wq);
	wake_up_all(&hd->slot_wq);
}

/**
 * hermes_dev_fail() - give up on a device that stopped answering
 * @hd: device
 *
 * hermes_dev_kill(), so that no new command nor transfer starts and
 * every waiter sees the failure, then a reset, which stops every engine,
 * and bus mastering off: on F1 the reset does not reach the shell's XDMA,
 * and host memory the device was working on is released afterwards.  The
 * commands that ran on other engines will not complete now: their waiters
 * are woken and end with -ENODEV.
 */
void hermes_dev_fail(struct hermes_dev *hd)
{
	unsigned int i;

	hermes_dev_kill(hd);
	hermes_dev_reset(hd);
	pci_clear_master(hd->pdev);
	WRITE_ONCE(hd->halted, true);
	for (i = 0; i < hd->n_engines; i++)
		complete_all(&hd->engines[i].done);
}

int hermes_dev_reset(struct hermes_dev *hd)
{
	u32 v;
	int err;

	iowrite32(HERMES_DEVCTL_RESET, hd->regs + HERMES_REG_EHDEVCTL);
	err = readl_poll_timeout(hd->regs + HERMES_REG_EHDEVCTL, v,
				 !(v & HERMES_DEVCTL_RESET), 10,
				 HERMES_RESET_TIMEOUT_US);
	if (err)
		dev_err(&hd->pdev->dev, "device reset did not complete\n");
	return err;
}

static int hermes_request_slot(struct hermes_engine *e, u8 type, u8 *slot)
{
	u8 req[HERMES_REQ_SIZE] = { HERMES_OPC_REQUEST_SLOT };
	u8 res[HERMES_RES_SIZE];
	int err;

	req[8] = type;
	err = hermes_engine_cmd(e, req, res, HERMES_SLOT_CMD_TIMEOUT_MS, false);
	if (err)
		return err;
	if (res[2] != HERMES_ST_SUCCESS) {
		dev_err(&e->hd->pdev->dev,
			"request of a %s slot failed with status %#x\n",
			type == HERMES_SLOT_PROG ? "program" : "data", res[2]);
		return -EIO;
	}
	*slot = res[8];
	return 0;
}

static void hermes_read_caps(struct hermes_dev *hd)
{
	struct hermes_caps *c = &hd->caps;
	u32 eng = ioread32(hd->regs + HERMES_REG_EHENG);
	int i;

	c->engines = eng & 0xff;
	c->pslots = (eng >> 8) & 0xff;
	c->dslots = (eng >> 16) & 0xff;
	c->pslot_size = ioread32(hd->regs + HERMES_REG_EHPSSZE);
	c->dslot_size = ioread32(hd->regs + HERMES_REG_EHDSSZE);
	c->pslot_off = hermes_read64(hd, HERMES_REG_EHPSOFF64);
	c->dslot_off = hermes_read64(hd, HERMES_REG_EHDSOFF64);
	c->mem_size = hermes_read64(hd, HERMES_REG_EHMEMSZ);
	c->isa = ioread32(hd->regs + HERMES_REG_EHCAPISA);
	c->stack = ioread32(hd->regs + HERMES_REG_EHCAPSTACK);
	c->depth = ioread32(hd->regs + HERMES_REG_EHCAPDEPTH);
	c->max_insns = ioread32(hd->regs + HERMES_REG_EHCAPMAXINSN);
	c->budget_def = ioread32(hd->regs + HERMES_REG_EHCAPBUDDEF);
	c->budget_max = ioread32(hd->regs + HERMES_REG_EHCAPBUDMAX);
	c->cmds = ioread32(hd->regs + HERMES_REG_EHCAPCMDS);
	for (i = 0; i < ARRAY_SIZE(c->helpers); i++)
		c->helpers[i] = ioread32(hd->regs + HERMES_REG_EHCAPHELPER +
					 4 * i);
	c->map_types = hermes_read64(hd, HERMES_REG_EHCAPMAPTYPES);
	for (i = 0; i < HERMES_EHBLD_LEN; i += 4)
		put_unaligned_le32(ioread32(hd->regs + HERMES_REG_EHBLD + i),
				   hd->build + i);
	hd->build[HERMES_EHBLD_LEN] = '\0';
}

/* The device's numbers bound every later access: check them once. */
static int hermes_check_caps(struct hermes_dev *hd)
{
	struct hermes_caps *c = &hd->caps;
	struct device *dev = &hd->pdev->dev;
	char why[128];
	int err;

	err = hermes_backend_check(hd->backend, c,
				   pci_resource_len(hd->pdev, HERMES_BAR_MEM),
				   why, sizeof(why));
	if (err) {
		dev_err(dev, "%s\n", why);
		return err;
	}
	if (!c->pslots || !c->dslots) {
		dev_err(dev, "bad slot counts %u/%u\n", c->pslots, c->dslots);
		return -EINVAL;
	}
	if (!c->pslot_size || !c->dslot_size ||
	    c->pslot_off + (u64)c->pslots * c->pslot_size > c->mem_size ||
	    c->dslot_off + (u64)c->dslots * c->dslot_size > c->mem_size) {
		dev_err(dev, "slot layout does not fit in device memory\n");
		return -EINVAL;
	}
	if (!(c->cmds & HERMES_CMDS_SLOT) || !(c->cmds & HERMES_CMDS_RUN)) {
		dev_err(dev, "device lacks the slot and run commands\n");
		return -EINVAL;
	}
	if (!(c->isa & HERMES_ISA_VERSION) || !c->stack || !c->depth ||
	    !c->max_insns) {
		dev_err(dev, "bad capability block (isa %#x stack %u depth %u max_insns %u)\n",
			c->isa, c->stack, c->depth, c->max_insns);
		return -EINVAL;
	}
	c->max_insns = min(c->max_insns, c->pslot_size / 8);
	return 0;
}

/* Only the device memory of BAR4: on F1 the window is 128 GiB. */
static int hermes_map_mem(struct hermes_dev *hd)
{
	struct pci_dev *pdev = hd->pdev;
	resource_size_t start = pci_resource_start(pdev, HERMES_BAR_MEM);
	int err;

	err = pcim_request_region(pdev, HERMES_BAR_MEM, HERMES_DRV_NAME);
	if (err)
		return err;
	if (hd->backend->mem_wc)
		hd->mem = devm_ioremap_wc(&pdev->dev, start, hd->caps.mem_size);
	else
		hd->mem = devm_ioremap(&pdev->dev, start, hd->caps.mem_size);
	return hd->mem ? 0 : -ENOMEM;
}

/**
 * hermes_dev_init() - reset the device and get it ready for programs
 * @hd: device with its BARs mapped
 *
 * Reads the layout and capabilities and checks them against the
 * backend, sets up one engine per data slot (each engine owns a data slot
 * for its runs) and maps device memory.  No command runs yet: the
 * engines interrupt through the XDMA (hermes_dma_init()).
 *
 * Return: 0 or a negative error code.
 */
int hermes_dev_init(struct hermes_dev *hd)
{
	struct device *dev = &hd->pdev->dev;
	struct hermes_engine *e;
	unsigned int i;
	int err;

	err = hermes_dev_reset(hd);
	if (err)
		return err;
	hermes_read_caps(hd);
	err = hermes_check_caps(hd);
	if (err)
		return err;

	hd->n_engines = min(hd->caps.engines, hd->caps.dslots);
	hd->n_run_engines = hd->n_engines > 1 ? hd->n_engines - 1 : 1;
	hd->engines = devm_kcalloc(dev, hd->n_engines, sizeof(*hd->engines),
				   GFP_KERNEL);
	hd->pslots = devm_kcalloc(dev, hd->caps.pslots, sizeof(*hd->pslots),
				  GFP_KERNEL);
	if (!hd->engines || !hd->pslots)
		return -ENOMEM;
	for (i = 0; i < hd->n_engines; i++) {
		e = &hd->engines[i];
		e->hd = hd;
		e->idx = i;
		init_completion(&e->done);
	}

	return hermes_map_mem(hd);
}

/**
 * hermes_dev_start() - take the slots, once the engines can interrupt
 * @hd: device after hermes_dev_init() and hermes_dma_init()
 *
 * Gives each engine a data slot of its own and takes every program slot
 * for the driver, which then manages them itself.
 *
 * Return: 0 or a negative error code.
 */
int hermes_dev_start(struct hermes_dev *hd)
{
	struct device *dev = &hd->pdev->dev;
	struct hermes_engine *e;
	unsigned int i;
	int err;
	u8 slot;

	/* All commands below use engine 0, nobody else runs yet. */
	e = &hd->engines[0];
	for (i = 0; i < hd->n_engines; i++) {
		err = hermes_request_slot(e, HERMES_SLOT_DATA, &slot);
		if (err)
			return err;
		if (slot >= hd->caps.dslots)
			return -EIO;
		hd->engines[i].dslot = slot;
	}
	for (i = 0; i < hd->caps.pslots; i++) {
		err = hermes_request_slot(e, HERMES_SLOT_PROG, &slot);
		if (err)
			return err;
		if (slot != i) {
			dev_err(dev, "device gave program slot %u for %u\n",
				slot, i);
			return -EIO;
		}
	}
	hd->engine_free = GENMASK(hd->n_engines - 1, 0);
	return 0;
}
