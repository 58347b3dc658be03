// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hermes eBPF offload accelerators: running offloaded programs.
 *
 * BPF_PROG_TEST_RUN of an offloaded XDP program: take an engine (and with
 * it its data slot), pin the program in a program slot, copy the packet
 * in, run it on the device and copy the packet back from where the
 * program left it.
 */

#include <linux/bpf.h>
#include <linux/io.h>
#include <linux/math64.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/unaligned.h>

#include "hermes.h"

static const char *const hermes_status_names[] = {
	[HERMES_ST_SUCCESS]		= "SUCCESS",
	[HERMES_ST_NO_SPACE]		= "NO_SPACE",
	[HERMES_ST_INVALID_PROG_SLOT]	= "INVALID_PROG_SLOT",
	[HERMES_ST_INVALID_DATA_SLOT]	= "INVALID_DATA_SLOT",
	[HERMES_ST_INVALID_ADDRESS]	= "INVALID_ADDRESS",
	[HERMES_ST_EBPF_ERROR]		= "EBPF_ERROR",
	[HERMES_ST_INVALID_OPCODE]	= "INVALID_OPCODE",
	[HERMES_ST_INVALID_PROGRAM]	= "INVALID_PROGRAM",
	[HERMES_ST_BUDGET_EXCEEDED]	= "BUDGET_EXCEEDED",
	[HERMES_ST_ABORTED]		= "ABORTED",
	[HERMES_ST_INVALID_FIELD]	= "INVALID_FIELD",
};

static int hermes_run_error(struct hermes_dev *hd, struct hermes_engine *e,
			    struct bpf_prog *prog, const u8 *res)
{
	u8 status = res[2];
	u32 fpc = get_unaligned_le32(res + 4);
	u64 faddr = hermes_read64(hd, HERMES_ENGBLK(e->idx) + HERMES_RES_FADDR);

	hermes_set_error(hd,
			 "engine %u: prog %u: status %s, fault %u at device insn %u, address %#llx",
			 e->idx, prog->aux->id,
			 status < ARRAY_SIZE(hermes_status_names) ?
			 hermes_status_names[status] : "?", res[3], fpc, faddr);
	switch (status) {
	case HERMES_ST_EBPF_ERROR:
		return -EFAULT;
	case HERMES_ST_BUDGET_EXCEEDED:
		return -ETIME;
	case HERMES_ST_ABORTED:
		/*
		 * Not ours: a signal ends the wait before the status is read.
		 * The device aborted on its own (the QEMU model does when
		 * the VM is saved): the run may be tried again.
		 */
		return READ_ONCE(hd->dead) ? -ENODEV : -EAGAIN;
	case HERMES_ST_INVALID_PROGRAM:
		dev_warn_ratelimited(&hd->pdev->dev,
				     "device refused translated prog %u (fault %u at %u)\n",
				     prog->aux->id, res[3], fpc);
		return -EINVAL;
	default:
		return -EIO;
	}
}

/*
 * One RUN PROGRAM command of @repeat iterations on the packet at
 * [*doff, *doff + *dlen) of the engine's data slot; on success the new
 * packet bounds, the metadata length in front of them, r0 and the device
 * time are returned in place.
 */
static int hermes_run_cmd(struct hermes_engine *e, struct hermes_prog *hp,
			  int slot, u32 repeat, u32 *doff, u32 *dlen,
			  u32 *mlen, u64 *r0, u64 *time)
{
	struct hermes_dev *hd = e->hd;
	u8 req[HERMES_REQ_SIZE] = { HERMES_OPC_RUN, HERMES_RUN_WINDOW };
	u8 res[HERMES_RES_SIZE];
	int err;

	req[8] = slot;
	req[9] = e->dslot;
	put_unaligned_le32(hp->image_len * sizeof(struct bpf_insn), req + 12);
	put_unaligned_le32(*doff, req + 16);
	put_unaligned_le32(*dlen, req + 20);
	put_unaligned_le32(repeat, req + 24);
	err = hermes_engine_cmd(e, req, res,
				hermes_cmd_timeout_ms(hd, repeat, 0), true);
	if (err)
		return READ_ONCE(hd->dead) ? -ENODEV : err;
	if (res[2] != HERMES_ST_SUCCESS)
		return hermes_run_error(hd, e, hp->prog, res);

	*doff = ioread32(hd->regs + HERMES_ENGBLK(e->idx) + HERMES_RES_DOFF);
	*dlen = ioread32(hd->regs + HERMES_ENGBLK(e->idx) + HERMES_RES_DLEN);
	*mlen = ioread32(hd->regs + HERMES_ENGBLK(e->idx) + HERMES_RES_MLEN);
	*time += hermes_read64(hd, HERMES_ENGBLK(e->idx) + HERMES_RES_TIME);
	*r0 = get_unaligned_le64(res + 8);
	return 0;
}

/* The device part of a test run, on an engine of its own. */
static int hermes_test_run_device(struct hermes_prog *hp,
				  struct bpf_offload_test_run *run)
{
	struct hermes_dev *hd = hp->hd;
	struct bpf_prog *prog = hp->prog;
	u32 repeat = max(run->repeat, 1U), doff, dlen, mlen = 0, base, win, i;
	struct hermes_engine *e;
	u64 dbase, time = 0, r0 = 0;
	void *buf;
	int slot, err;

	if (run->data > run->data_end || run->data_end > run->buf_size)
		return -EINVAL;
	if (run->data_end - run->data > hd->caps.dslot_size)
		return -EMSGSIZE;

	/*
	 * The data slot holds the part of the buffer that ends with the
	 * packet: all of it when it fits, otherwise the packet with as much
	 * of the headroom as the slot leaves.
	 */
	win = min(run->buf_size, hd->caps.dslot_size);
	base = run->data_end > win ? run->data_end - win : 0;
	buf = run->buf + base;

	e = hermes_engine_get(hd);
	if (IS_ERR(e))
		return PTR_ERR(e);

	slot = hermes_slot_pin(hd, hp);
	if (slot < 0) {
		err = slot;
		goto out_put;
	}

	dbase = hd->caps.dslot_off + (u64)e->dslot * hd->caps.dslot_size;
	err = hermes_mem_write(hd, dbase, buf, win);
	doff = run->data - base;
	dlen = run->data_end - run->data;
	if (!err && !hp->moves_packet) {
		err = hermes_run_cmd(e, hp, slot, repeat, &doff, &dlen, &mlen,
				     &r0, &time);
	} else if (!err) {
		/*
		 * The device starts every iteration from the packet bounds of
		 * the request, the host from where the previous one left
		 * them: run a program that moves them one iteration at a time.
		 */
		for (i = 0; i < repeat && !err; i++) {
			/* a signal, not task work (hermes_engine_wait()) */
			if (i && task_sigpending(current))
				err = -EINTR;
			else
				err = hermes_run_cmd(e, hp, slot, 1, &doff,
						     &dlen, &mlen, &r0, &time);
			if (!err && (doff > win || dlen > win - doff))
				break;
			cond_resched();
		}
	}
	hermes_slot_unpin(hd, slot);
	if (err)
		goto out_put;

	/*
	 * Never trust the device: the packet, and the metadata in front of
	 * it, must lie inside the buffer.
	 */
	if (doff > win || dlen > win - doff || mlen > doff ||
	    mlen > HERMES_META_MAX || mlen % 4) {
		hermes_set_error(hd,
				 "engine %u: prog %u: packet [%u, +%u) after %u bytes of metadata outside the %u-byte buffer",
				 e->idx, prog->aux->id, doff, dlen, mlen, win);
		err = -EMSGSIZE;
		goto out_put;
	}
	/* as the host's test run, the output starts with the metadata */
	doff -= mlen;
	dlen += mlen;
	err = hermes_mem_read(hd, dbase + doff, buf + doff, dlen);
	if (err)
		goto out_put;

	run->data = base + doff;
	run->data_end = base + doff + dlen;
	run->retval = (u32)r0;
	run->duration = min_t(u64, div_u64(time, repeat), U32_MAX);
out_put:
	hermes_engine_put(e);
	return err;
}

/**
 * hermes_test_run_prepare() - pin the program and device for a test run
 * @prog: XDP program offloaded to a Hermes device
 * @run: the run, see struct bpf_offload_test_run
 *
 * Called by the BPF core with its offload lock held, while @prog is bound
 * to the device: takes a reference on the program's translation and
 * counts the run in flight, for hermes_test_run() to drop.  Waits for
 * nothing.
 *
 * Return: 0, -EOPNOTSUPP for a program that is not XDP or not
 * translated, -ENODEV when the device is going away.
 */
int hermes_test_run_prepare(struct bpf_prog *prog,
			    struct bpf_offload_test_run *run)
{
	struct hermes_prog *hp = prog->aux->offload->dev_priv;
	struct hermes_dev *hd = hp->hd;

	if (prog->type != BPF_PROG_TYPE_XDP || !hp->image)
		return -EOPNOTSUPP;
	if (READ_ONCE(hd->dead))
		return -ENODEV;
	kref_get(&hp->ref);
	atomic_inc(&hd->test_runs);
	run->dev_priv = hp;
	return 0;
}

static void hermes_test_run_release(struct hermes_prog *hp)
{
	struct hermes_dev *hd = hp->hd;

	hermes_prog_put(hp);
	if (atomic_dec_and_test(&hd->test_runs))
		wake_up_var(&hd->test_runs);
}

/**
 * hermes_test_runs_wait() - wait for the test runs in flight to end
 * @hd: device marked dead, with its engines aborted and its netdev gone
 *
 * Called by hermes_remove() outside RTNL and the BPF core's lock: no new
 * run can start (the programs are unbound), and those in flight fail
 * with -ENODEV at their next command.
 */
void hermes_test_runs_wait(struct hermes_dev *hd)
{
	wait_var_event(&hd->test_runs, !atomic_read(&hd->test_runs));
}

/**
 * hermes_test_run() - the test_run callback of the Hermes offload device
 * @prog: XDP program offloaded to a Hermes device
 * @run: the run, see struct bpf_offload_test_run, pinned by
 *	hermes_test_run_prepare()
 *
 * Runs without the BPF core's lock: @prog may be unbound meanwhile, so
 * only the pinned translation is used.
 *
 * Return: 0 with the results in @run, or a negative error code (the
 * errors are listed in Documentation/hermes/driver.rst).
 */
int hermes_test_run(struct bpf_prog *prog, struct bpf_offload_test_run *run)
{
	struct hermes_prog *hp = run->dev_priv;
	int err = hermes_test_run_device(hp, run);

	hermes_test_run_release(hp);
	return err;
}
