// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hermes eBPF offload accelerators: offloaded programs and their slots.
 *
 * The life of a program bound to a device: its private state from
 * prepare to destroy (and the last test run), and the program slots the
 * translated images live in.  Runs are in hermes_run.c; the ops table
 * that ties the callbacks together is in hermes_main.c.
 */

#include <linux/bpf.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "hermes.h"

/* The device map behind a map of @hd, or NULL for any other map. */
struct hermes_map *hermes_dev_map(struct hermes_dev *hd,
				  const struct bpf_map *map)
{
	struct hermes_map *hm, *found = NULL;

	mutex_lock(&hd->map_lock);
	list_for_each_entry(hm, &hd->maps, list) {
		if (&hm->offmap->map == map) {
			found = hm;
			break;
		}
	}
	mutex_unlock(&hd->map_lock);
	return found;
}

int hermes_prepare(struct bpf_prog *prog)
{
	struct hermes_dev *hd = bpf_offload_dev_priv(prog->aux->offload->offdev);
	struct hermes_prog *hp;

	hp = kzalloc(sizeof(*hp), GFP_KERNEL);
	if (!hp)
		return -ENOMEM;
	kref_init(&hp->ref);
	hp->hd = hd;
	hp->prog = prog;
	hp->slot = -1;
	hp->len = prog->len;
	hp->insns = kvmemdup(prog->insnsi, prog->len * sizeof(*prog->insnsi),
			     GFP_KERNEL);
	hp->meta = kvzalloc(prog->len, GFP_KERNEL);
	if (!hp->insns || !hp->meta) {
		kvfree(hp->insns);
		kvfree(hp->meta);
		kfree(hp);
		return -ENOMEM;
	}
	prog->aux->offload->dev_priv = hp;
	return 0;
}

/* Put @hp's image into a program slot.  Called with slot_lock held.
 * Return: the slot, -EBUSY when every slot is in use by a run (only
 * with @evict), -ENOSPC when none is free (without @evict).
 */
int hermes_slot_load(struct hermes_dev *hd, struct hermes_prog *hp,
		     bool evict)
{
	struct hermes_pslot *ps;
	int s, victim = -1, err;

	lockdep_assert_held(&hd->slot_lock);
	if (hp->slot >= 0)
		return hp->slot;

	for (s = 0; s < hd->caps.pslots; s++) {
		ps = &hd->pslots[s];
		if (!ps->owner) {
			victim = s;
			break;
		}
		if (evict && !ps->users &&
		    (victim < 0 || ps->last_use < hd->pslots[victim].last_use))
			victim = s;
	}
	if (victim < 0)
		return evict ? -EBUSY : -ENOSPC;

	ps = &hd->pslots[victim];
	if (ps->owner) {
		ps->owner->slot = -1;
		ps->owner = NULL;
	}
	err = hermes_mem_write(hd, hd->caps.pslot_off +
			       (u64)victim * hd->caps.pslot_size,
			       hp->image, hp->image_len * sizeof(*hp->image));
	if (err)
		return err;
	ps->owner = hp;
	ps->last_use = ++hd->slot_clock;
	hp->slot = victim;
	hd->slot_loads++;
	return victim;
}

static bool hermes_slot_may_free(struct hermes_dev *hd)
{
	int s;

	if (READ_ONCE(hd->dead))
		return true;
	for (s = 0; s < hd->caps.pslots; s++)
		if (!READ_ONCE(hd->pslots[s].users))
			return true;
	return false;
}

/* Make @hp resident in a slot and keep it there until hermes_slot_unpin(). */
int hermes_slot_pin(struct hermes_dev *hd, struct hermes_prog *hp)
{
	int slot;

	for (;;) {
		mutex_lock(&hd->slot_lock);
		slot = hermes_slot_load(hd, hp, true);
		if (slot >= 0) {
			hd->pslots[slot].users++;
			hd->pslots[slot].last_use = ++hd->slot_clock;
		}
		mutex_unlock(&hd->slot_lock);
		if (slot != -EBUSY)
			return slot;
		/* nothing reached the device: the call may restart */
		if (wait_event_interruptible(hd->slot_wq,
					     hermes_slot_may_free(hd)))
			return -ERESTARTSYS;
		if (READ_ONCE(hd->dead))
			return -ENODEV;
	}
}

void hermes_slot_unpin(struct hermes_dev *hd, int slot)
{
	mutex_lock(&hd->slot_lock);
	hd->pslots[slot].users--;
	mutex_unlock(&hd->slot_lock);
	wake_up(&hd->slot_wq);
}

static void hermes_prog_release(struct kref *ref)
{
	struct hermes_prog *hp = container_of(ref, struct hermes_prog, ref);
	struct hermes_dev *hd = hp->hd;

	mutex_lock(&hd->slot_lock);
	if (hp->slot >= 0) {
		WARN_ON(hd->pslots[hp->slot].users);
		hd->pslots[hp->slot].owner = NULL;
		hp->slot = -1;
	}
	mutex_unlock(&hd->slot_lock);

	kvfree(hp->image);
	kvfree(hp->insns);
	kvfree(hp->meta);
	kfree(hp);
}

/* The last user frees the program and gives up its program slot. */
void hermes_prog_put(struct hermes_prog *hp)
{
	kref_put(&hp->ref, hermes_prog_release);
}

/*
 * Unbinding: called when the program is freed (no run can hold it then)
 * or its netdev goes away, with runs in flight only during hermes_remove(),
 * which has aborted them and waits for them before the device goes.
 */
void hermes_destroy(struct bpf_prog *prog)
{
	struct hermes_prog *hp = prog->aux->offload->dev_priv;

	prog->aux->offload->jited_image = NULL;
	prog->aux->offload->jited_len = 0;
	hermes_prog_put(hp);
}

void hermes_debugfs_slots(struct seq_file *m, struct hermes_dev *hd)
{
	int s;

	mutex_lock(&hd->slot_lock);
	seq_printf(m, "slot loads: %llu\n", hd->slot_loads);
	for (s = 0; s < hd->caps.pslots; s++) {
		struct hermes_pslot *ps = &hd->pslots[s];

		if (ps->owner)
			seq_printf(m, "slot %d: prog %u, %u insns, %u runs in flight\n",
				   s, ps->owner->prog->aux->id,
				   ps->owner->image_len, ps->users);
		else
			seq_printf(m, "slot %d: free\n", s);
	}
	mutex_unlock(&hd->slot_lock);
}
