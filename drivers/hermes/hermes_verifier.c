// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hermes eBPF offload accelerators: the verifier callbacks.
 *
 * The in-kernel verifier checks every program; these callbacks refuse
 * what the device cannot run (an allowlist built from its capability
 * registers) and keep the driver's private copy of the program in step
 * with the verifier's rewrites, for hermes_translate.c.
 */

#include <linux/bpf.h>
#include <linux/bpf_verifier.h>
#include <linux/filter.h>

#include "hermes.h"

/* Context fields of struct xdp_md and their place in the device's. */
const struct hermes_ctx_field hermes_ctx_map[HERMES_META_COUNT] = {
	[HERMES_META_DATA] = { offsetof(struct xdp_md, data),
			       HERMES_CTX_DATA, BPF_DW },
	[HERMES_META_DATA_END] = { offsetof(struct xdp_md, data_end),
				   HERMES_CTX_DATA_END, BPF_DW },
	[HERMES_META_DATA_META] = { offsetof(struct xdp_md, data_meta),
				    HERMES_CTX_DATA_META, BPF_DW },
	[HERMES_META_IFINDEX] = { offsetof(struct xdp_md, ingress_ifindex),
				  HERMES_CTX_IFINDEX, BPF_W },
	[HERMES_META_RXQ] = { offsetof(struct xdp_md, rx_queue_index),
			      HERMES_CTX_RXQ, BPF_W },
};

static struct hermes_prog *hermes_prog_of(struct bpf_verifier_env *env)
{
	return env->prog->aux->offload->dev_priv;
}

/* A line of the verifier log, where users look for why a load failed. */
#define hermes_vlog(env, fmt, ...)					\
	bpf_verifier_log_write(env, "[hermes] " fmt "\n", ##__VA_ARGS__)

/* Refuse instruction @idx: one log line naming it, and EOPNOTSUPP. */
#define hermes_reject(env, idx, fmt, ...)				\
	({								\
		hermes_vlog(env, "insn %d: " fmt, idx, ##__VA_ARGS__);	\
		-EOPNOTSUPP;						\
	})

static const char *hermes_reg_type_name(enum bpf_reg_type type)
{
	switch (base_type(type)) {
	case PTR_TO_MAP_VALUE:
		return "map value";
	case PTR_TO_MAP_KEY:
		return "map key";
	case CONST_PTR_TO_MAP:
		return "map";
	case PTR_TO_MEM:
		return "memory";
	case PTR_TO_BTF_ID:
		return "kernel object";
	case PTR_TO_FLOW_KEYS:
		return "flow keys";
	case PTR_TO_SOCKET:
	case PTR_TO_SOCK_COMMON:
	case PTR_TO_TCP_SOCK:
	case PTR_TO_XDP_SOCK:
		return "socket";
	case PTR_TO_BUF:
		return "buffer";
	case PTR_TO_ARENA:
		return "arena";
	default:
		return "unsupported";
	}
}

static int hermes_check_ctx(struct bpf_verifier_env *env,
			    struct hermes_prog *hp, int idx,
			    const struct bpf_insn *insn, bool load)
{
	unsigned int i;

	if (!load)
		return hermes_reject(env, idx,
				     "stores into the context are not supported by the device");
	if (insn->off == offsetof(struct xdp_md, egress_ifindex))
		return hermes_reject(env, idx,
				     "xdp_md field egress_ifindex is not available on the device");
	for (i = 1; i < ARRAY_SIZE(hermes_ctx_map); i++) {
		if (hermes_ctx_map[i].xdp_off == insn->off) {
			hp->meta[idx] = i;
			return 0;
		}
	}
	/* Anything else is refused by the verifier with its own message. */
	return 0;
}

/* Memory access through register @regno: only pointers the device maps. */
static int hermes_check_mem(struct bpf_verifier_env *env,
			    struct hermes_prog *hp, int idx,
			    const struct bpf_insn *insn, u8 regno, bool load)
{
	const struct bpf_reg_state *reg = &cur_regs(env)[regno];

	switch (base_type(reg->type)) {
	case NOT_INIT:
	case SCALAR_VALUE:
	case PTR_TO_PACKET_END:
		/* never dereferenced: the verifier rejects it with its message */
		return 0;
	case PTR_TO_STACK:
	case PTR_TO_PACKET:
	case PTR_TO_PACKET_META:
	case PTR_TO_MAP_VALUE:
		return 0;
	case PTR_TO_CTX:
		return hermes_check_ctx(env, hp, idx, insn, load);
	default:
		return hermes_reject(env, idx,
				     "%s through a %s pointer (r%u) is not supported by the device",
				     load ? "load" : "store",
				     hermes_reg_type_name(reg->type), regno);
	}
}

/*
 * Helper names as bpftool prints them.  The UAPI list is in ID order (new
 * helpers are appended), so the position is the ID.
 */
#define HERMES_FUNC_NAME(name) "bpf_" #name
static const char * const hermes_func_names[] = {
	__BPF_FUNC_MAPPER(HERMES_FUNC_NAME)
};

#undef HERMES_FUNC_NAME

static const char *hermes_func_name(s32 id)
{
	BUILD_BUG_ON(ARRAY_SIZE(hermes_func_names) != __BPF_FUNC_MAX_ID);
	if (id < 0 || id >= ARRAY_SIZE(hermes_func_names))
		return "(unknown)";
	return hermes_func_names[id];
}

static bool hermes_has_helper(const struct hermes_caps *c, s32 id)
{
	if (!(c->isa & HERMES_ISA_HELPERS) || id < 0 || id >= 256)
		return false;
	return c->helpers[id / 32] & BIT(id % 32);
}

static int hermes_check_call(struct bpf_verifier_env *env,
			     struct hermes_prog *hp, int idx,
			     const struct bpf_insn *insn,
			     const struct hermes_caps *c)
{
	switch (insn->src_reg) {
	case BPF_PSEUDO_CALL:
		if (!(c->isa & HERMES_ISA_LOCALCALL))
			return hermes_reject(env, idx,
					     "bpf-to-bpf calls are not supported by the device");
		return 0;
	case BPF_PSEUDO_KFUNC_CALL:
		return hermes_reject(env, idx,
				     "calls of kernel functions (kfunc) are not supported by the device");
	case 0:
		if (!hermes_has_helper(c, insn->imm))
			return hermes_reject(env, idx,
					     "call to helper %s (%d) is not supported by the device",
					     hermes_func_name(insn->imm),
					     insn->imm);
		if (insn->imm == BPF_FUNC_xdp_adjust_head ||
		    insn->imm == BPF_FUNC_xdp_adjust_tail)
			hp->moves_packet = true;
		return 0;
	default:
		/* unknown call kinds: the verifier rejects them */
		return 0;
	}
}

static int hermes_check_alu(struct bpf_verifier_env *env, int idx,
			    const struct bpf_insn *insn,
			    const struct hermes_caps *c, u32 isa)
{
	u8 op = BPF_OP(insn->code);

	if (op == BPF_DIV || op == BPF_MOD) {
		if (!(c->isa & HERMES_ISA_DIVMOD))
			return hermes_reject(env, idx,
					     "division and modulo are not supported by the device");
		if (insn->off && isa < 4)
			return hermes_reject(env, idx,
					     "signed division needs ISA v4, the device implements v%u",
					     isa);
	}
	if (op == BPF_MOV && insn->off && isa < 4)
		return hermes_reject(env, idx,
				     "sign-extending moves need ISA v4, the device implements v%u",
				     isa);
	if (op == BPF_END && BPF_CLASS(insn->code) == BPF_ALU64 && isa < 4)
		return hermes_reject(env, idx,
				     "bswap needs ISA v4, the device implements v%u",
				     isa);
	return 0;
}

static int hermes_check_jmp(struct bpf_verifier_env *env,
			    struct hermes_prog *hp, int idx,
			    const struct bpf_insn *insn,
			    const struct hermes_caps *c, u32 isa)
{
	u8 op = BPF_OP(insn->code);

	if (BPF_CLASS(insn->code) == BPF_JMP32) {
		if (isa < 3)
			return hermes_reject(env, idx,
					     "32-bit jumps need ISA v3, the device implements v%u",
					     isa);
		if (op == BPF_JA && isa < 4)
			return hermes_reject(env, idx,
					     "gotol needs ISA v4, the device implements v%u",
					     isa);
	}
	switch (op) {
	case BPF_JLT:
	case BPF_JLE:
	case BPF_JSLT:
	case BPF_JSLE:
		if (isa < 2)
			return hermes_reject(env, idx,
					     "this jump needs ISA v2, the device implements v%u",
					     isa);
		return 0;
	case BPF_JCOND:
		return hermes_reject(env, idx,
				     "may_goto is not supported by the device");
	case BPF_CALL:
		return hermes_check_call(env, hp, idx, insn, c);
	default:
		return 0;
	}
}

static int hermes_check_ld_imm64(struct bpf_verifier_env *env,
				 struct hermes_prog *hp, int idx,
				 const struct bpf_insn *insn,
				 const struct hermes_caps *c)
{
	struct bpf_map *map;

	switch (insn->src_reg) {
	case 0:
		return 0;
	case BPF_PSEUDO_MAP_FD:
	case BPF_PSEUDO_MAP_IDX:
		if (idx + 1 >= hp->len)
			return -EINVAL;
		map = hermes_insn_map(insn);
		if (map->map_type >= 64 ||
		    !(c->map_types & BIT_ULL(map->map_type)) ||
		    !hermes_dev_map(hp->hd, map))
			return hermes_reject(env, idx,
					     "maps of type %s (%u) are not supported by the device",
					     hermes_map_type_name(map->map_type),
					     map->map_type);
		return 0;
	case BPF_PSEUDO_MAP_VALUE:
	case BPF_PSEUDO_MAP_IDX_VALUE:
		return hermes_reject(env, idx,
				     "direct addresses of map values are not supported by the device: use bpf_map_lookup_elem");
	default:
		return hermes_reject(env, idx,
				     "64-bit load of a kernel or function address (src_reg %u) is not supported by the device",
				     insn->src_reg);
	}
}

int hermes_verify_insn(struct bpf_verifier_env *env, int idx, int prev_idx)
{
	struct hermes_prog *hp = hermes_prog_of(env);
	const struct hermes_caps *c = &hp->hd->caps;
	u32 isa = c->isa & HERMES_ISA_VERSION;
	const struct bpf_insn *insn;
	u8 mode;

	if (!hp->type_checked) {
		if (env->prog->type != BPF_PROG_TYPE_XDP)
			return hermes_reject(env, idx,
					     "only XDP programs can be offloaded to the device");
		hp->type_checked = true;
	}
	if (idx < 0 || idx >= hp->len)
		return -EINVAL;
	insn = &hp->insns[idx];
	mode = BPF_MODE(insn->code);

	switch (BPF_CLASS(insn->code)) {
	case BPF_ALU:
	case BPF_ALU64:
		return hermes_check_alu(env, idx, insn, c, isa);
	case BPF_JMP:
	case BPF_JMP32:
		return hermes_check_jmp(env, hp, idx, insn, c, isa);
	case BPF_LD:
		if (mode != BPF_IMM)
			return hermes_reject(env, idx,
					     "legacy packet loads (LD_ABS/LD_IND) are not supported by the device");
		return hermes_check_ld_imm64(env, hp, idx, insn, c);
	case BPF_LDX:
		if (mode == BPF_MEMSX && isa < 4)
			return hermes_reject(env, idx,
					     "sign-extending loads need ISA v4, the device implements v%u",
					     isa);
		return hermes_check_mem(env, hp, idx, insn, insn->src_reg,
					true);
	case BPF_ST:
	case BPF_STX:
		if (mode == BPF_ATOMIC) {
			if (!(c->isa & HERMES_ISA_ATOMIC))
				return hermes_reject(env, idx,
						     "atomic operations are not supported by the device");
			if (isa < 3 && (insn->imm != BPF_ADD ||
					BPF_SIZE(insn->code) != BPF_DW))
				return hermes_reject(env, idx,
						     "this atomic operation needs ISA v3, the device implements v%u",
						     isa);
		}
		return hermes_check_mem(env, hp, idx, insn, insn->dst_reg,
					false);
	default:
		return 0;
	}
}

static int hermes_subprog_of(struct bpf_verifier_env *env, u32 start)
{
	int i;

	for (i = 0; i < env->subprog_cnt; i++)
		if (env->subprog_info[i].start == start)
			return i;
	return -1;
}

/* Deepest nesting of call frames from subprogram @sub (1 for no calls). */
static u32 hermes_call_depth(struct bpf_verifier_env *env,
			     struct hermes_prog *hp, int sub, u32 level)
{
	u32 i, end, deepest = level;
	int callee;

	if (level > MAX_CALL_FRAMES)
		return level;
	end = env->subprog_info[sub + 1].start;
	for (i = env->subprog_info[sub].start; i < end && i < hp->len; i++) {
		const struct bpf_insn *insn = &hp->insns[i];

		if (insn->code != (BPF_JMP | BPF_CALL) ||
		    insn->src_reg != BPF_PSEUDO_CALL)
			continue;
		callee = hermes_subprog_of(env, i + insn->imm + 1);
		if (callee < 0)
			continue;
		deepest = max(deepest,
			      hermes_call_depth(env, hp, callee, level + 1));
	}
	return deepest;
}

int hermes_finalize(struct bpf_verifier_env *env)
{
	struct hermes_prog *hp = hermes_prog_of(env);
	const struct hermes_caps *c = &hp->hd->caps;
	u32 depth;
	int i;

	for (i = 0; i < env->subprog_cnt; i++) {
		if (env->subprog_info[i].stack_depth > c->stack) {
			hermes_vlog(env,
				    "subprogram %d uses %u bytes of stack, the device has %u bytes per frame",
				    i, env->subprog_info[i].stack_depth,
				    c->stack);
			return -EOPNOTSUPP;
		}
	}
	depth = hermes_call_depth(env, hp, 0, 1);
	if (depth > c->depth) {
		hermes_vlog(env,
			    "program nests %u call frames, the device has %u",
			    depth, c->depth);
		return -EOPNOTSUPP;
	}
	/* the device program has a one-instruction prologue */
	if (hp->len + 1 > c->max_insns) {
		hermes_vlog(env,
			    "program of %u instructions is too long, the device runs at most %u",
			    hp->len + 1, c->max_insns);
		return -EOPNOTSUPP;
	}
	return 0;
}

int hermes_replace_insn(struct bpf_verifier_env *env, u32 off,
			struct bpf_insn *insn)
{
	struct hermes_prog *hp = hermes_prog_of(env);

	if (off >= hp->len)
		return -EINVAL;
	hp->insns[off] = *insn;
	hp->meta[off] = HERMES_META_NONE;
	return 0;
}

/* Jump or call offset of @insn, relative to the next instruction. */
static bool hermes_insn_rel(const struct bpf_insn *insn, s32 **imm,
			    s16 **off)
{
	u8 cls = BPF_CLASS(insn->code), op = BPF_OP(insn->code);

	*imm = NULL;
	*off = NULL;
	if (cls != BPF_JMP && cls != BPF_JMP32)
		return false;
	if (op == BPF_EXIT)
		return false;
	if (op == BPF_CALL) {
		if (insn->src_reg != BPF_PSEUDO_CALL)
			return false;
		*imm = (s32 *)&insn->imm;
		return true;
	}
	if (cls == BPF_JMP32 && op == BPF_JA)
		*imm = (s32 *)&insn->imm;
	else
		*off = (s16 *)&insn->off;
	return true;
}

/* The verifier removed dead code: do the same to the private copy. */
int hermes_remove_insns(struct bpf_verifier_env *env, u32 off, u32 cnt)
{
	struct hermes_prog *hp = hermes_prog_of(env);
	u32 i;

	if (off > hp->len || cnt > hp->len - off)
		return -EINVAL;
	for (i = 0; i < hp->len; i++) {
		s64 t, ni, nt;
		s32 *imm;
		s16 *jo;

		if (i >= off && i < off + cnt)
			continue;
		if (!hermes_insn_rel(&hp->insns[i], &imm, &jo))
			continue;
		t = (s64)i + 1 + (imm ? *imm : *jo);
		ni = i < off ? i : i - cnt;
		if (t < off)
			nt = t;
		else if (t >= off + cnt)
			nt = t - cnt;
		else
			nt = off;
		if (imm)
			*imm = nt - ni - 1;
		else
			*jo = nt - ni - 1;
	}
	memmove(hp->insns + off, hp->insns + off + cnt,
		(hp->len - off - cnt) * sizeof(*hp->insns));
	memmove(hp->meta + off, hp->meta + off + cnt, hp->len - off - cnt);
	hp->len -= cnt;
	return 0;
}
