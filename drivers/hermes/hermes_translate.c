// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hermes eBPF offload accelerators: translation to the device ABI.
 *
 * A verified program is translated from the private copy the verifier
 * callbacks kept (taken before the verifier's host fixups): context
 * loads go to the device's run context, helper calls to the device's
 * helper IDs and map pointers to the device's map IDs.
 */

#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/slab.h>

#include "hermes.h"

/* Device helper ID of a kernel helper: the device uses the kernel's IDs. */
static s32 hermes_helper_id(s32 kernel_id)
{
	return kernel_id;
}

static bool hermes_insn_is_map_ld(const struct bpf_insn *insn)
{
	return insn->code == (BPF_LD | BPF_IMM | BPF_DW) &&
	       (insn->src_reg == BPF_PSEUDO_MAP_FD ||
		insn->src_reg == BPF_PSEUDO_MAP_IDX);
}

int hermes_translate(struct bpf_prog *prog)
{
	struct hermes_prog *hp = prog->aux->offload->dev_priv;
	struct hermes_dev *hd = hp->hd;
	struct bpf_insn *img;
	u32 i, n = hp->len + 1;

	/*
	 * The core could not apply one of the verifier's rewrites to the
	 * driver's copy (replace_insn or remove_insns failed): translating
	 * it would run something else than the program that was verified.
	 */
	if (prog->aux->offload->opt_failed) {
		dev_warn_ratelimited(&hd->pdev->dev,
				     "program \"%s\" not translated: the driver's copy missed a rewrite of the verifier\n",
				     prog->aux->name);
		return -EINVAL;
	}
	if (n > hd->caps.max_insns)
		return -E2BIG;
	img = kvcalloc(n, sizeof(*img), GFP_KERNEL);
	if (!img)
		return -ENOMEM;

	/* Prologue: r1 is the run context, as the xdp_md pointer is. */
	img[0] = BPF_MOV64_REG(BPF_REG_1, BPF_REG_3);
	for (i = 0; i < hp->len; i++) {
		struct bpf_insn *insn = &img[i + 1];
		u8 m = hp->meta[i];

		*insn = hp->insns[i];
		if (hermes_insn_is_map_ld(insn) && i + 1 < hp->len) {
			/* map pointer to device map reference (src_reg 5) */
			struct hermes_map *hm =
				hermes_dev_map(hd, hermes_insn_map(&hp->insns[i]));

			if (!hm) {
				kvfree(img);
				return -EINVAL;
			}
			insn->src_reg = BPF_PSEUDO_MAP_IDX;
			insn->imm = hm->id;
			img[i + 2] = hp->insns[i + 1];
			img[i + 2].imm = 0;
			i++;
		} else if (m != HERMES_META_NONE) {
			/*
			 * Only size and offset differ on the device: the mode
			 * stays, so that BPF_MEMSX still sign-extends (the
			 * verifier allows it on the 32-bit fields only).
			 */
			insn->code = BPF_LDX | BPF_MODE(insn->code) |
				     hermes_ctx_map[m].dev_size;
			insn->off = hermes_ctx_map[m].dev_off;
		} else if (insn->code == (BPF_JMP | BPF_CALL) && !insn->src_reg) {
			insn->imm = hermes_helper_id(insn->imm);
		}
	}

	mutex_lock(&hd->slot_lock);
	kvfree(hp->image);
	hp->image = img;
	hp->image_len = n;
	/* Download now if a slot is free; otherwise swap in at run time. */
	hermes_slot_load(hd, hp, false);
	mutex_unlock(&hd->slot_lock);

	prog->aux->offload->jited_image = img;
	prog->aux->offload->jited_len = n * sizeof(*img);
	return 0;
}
