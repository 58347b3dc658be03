// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libhermes: the user-space fallback.  The program was loaded on the host
 * (the kernel verifier accepted it as an XDP program); here it is
 * translated to the device ABI exactly as the Hermes driver does
 * (drivers/hermes/hermes_translate.c, Documentation/hermes/device.rst "Run
 * context") and run per record by the device's own engine
 * (qemu/hw/misc/hermes-ebpf.c, hermes_ebpf_run_batch()).
 *
 * The driver learns which loads read the context from the verifier's
 * register types.  User space finds them with a small forward data-flow
 * pass over the same instructions: a register holds the context if r1 at
 * the entry of the main program flows into it through moves, spills to
 * the stack and fills.  The verifier guarantees that an instruction that
 * reads the context does so on every path, and that the context pointer
 * is never modified before a load, so this finds exactly its loads.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "hermes-ebpf.h"
#include "libhermes_internal.h"

struct df_state {
	uint16_t regs;		/* bit r: register r holds the context */
	uint64_t stack;		/* bit k: stack slot r10 - 8 (k + 1) does */
	bool seen;
};

static bool df_merge(struct df_state *to, const struct df_state *from)
{
	struct df_state old = *to;

	to->regs |= from->regs;
	to->stack |= from->stack;
	to->seen = true;
	return old.regs != to->regs || old.stack != to->stack || !old.seen;
}

/* Stack slot of a DW access at r10 + off, or -1 */
static int df_slot(int16_t off)
{
	if (off >= 0 || off < -512 || off % 8)
		return -1;
	return -off / 8 - 1;
}

static void df_clobber_stack(struct df_state *s, int16_t off, int size)
{
	int lo = off, hi = off + size, k;

	for (k = 0; k < 64; k++) {
		int a = -8 * (k + 1);

		if (a < hi && a + 8 > lo)
			s->stack &= ~(1ULL << k);
	}
}

static int bpf_size_bytes(uint8_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_B:
		return 1;
	case BPF_H:
		return 2;
	case BPF_W:
		return 4;
	default:
		return 8;
	}
}

/* xdp_md field at @off: device offset and size, or -1 */
static int ctx_field(int16_t off, uint8_t *dev_off, uint8_t *dev_size)
{
	switch (off) {
	case offsetof(struct xdp_md, data):
		*dev_off = HERMES_EBPF_XDP_DATA;
		*dev_size = BPF_DW;
		return 0;
	case offsetof(struct xdp_md, data_end):
		*dev_off = HERMES_EBPF_XDP_DATA_END;
		*dev_size = BPF_DW;
		return 0;
	case offsetof(struct xdp_md, data_meta):
		*dev_off = HERMES_EBPF_XDP_DATA_META;
		*dev_size = BPF_DW;
		return 0;
	case offsetof(struct xdp_md, ingress_ifindex):
		*dev_off = HERMES_EBPF_XDP_IFINDEX;
		*dev_size = BPF_W;
		return 0;
	case offsetof(struct xdp_md, rx_queue_index):
		*dev_off = HERMES_EBPF_XDP_RX_QUEUE;
		*dev_size = BPF_W;
		return 0;
	default:
		return -1;
	}
}

/*
 * Helper names as bpftool prints them.  The UAPI list is in ID order (new
 * helpers are appended), so the position is the ID.
 */
#define FB_FUNC_NAME(name) "bpf_" #name
static const char *const helper_names[] = {
	__BPF_FUNC_MAPPER(FB_FUNC_NAME)
};

#undef FB_FUNC_NAME

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

_Static_assert(ARRAY_SIZE(helper_names) == __BPF_FUNC_MAX_ID,
	       "helper_names follows the UAPI list");

static const char *helper_name(int32_t id)
{
	if (id < 0 || id >= __BPF_FUNC_MAX_ID)
		return "(unknown)";
	return helper_names[id];
}

static int fb_check_insn(const struct bpf_insn *insn, uint32_t i)
{
	uint8_t cls = BPF_CLASS(insn->code);

	if (cls == BPF_LD && insn->code == (BPF_LD | BPF_IMM | BPF_DW) &&
	    insn->src_reg)
		return hermes_err(-EOPNOTSUPP,
				  "insn %u: maps and 64-bit address loads (src_reg %u) are not supported by the user-space fallback",
				  i, insn->src_reg);
	if (cls == BPF_JMP && BPF_OP(insn->code) == BPF_CALL) {
		if (insn->src_reg == BPF_PSEUDO_KFUNC_CALL)
			return hermes_err(-EOPNOTSUPP,
					  "insn %u: calls of kernel functions (kfunc) are not supported by the device",
					  i);
		if (!insn->src_reg && !hermes_ebpf_xdp_has_helper(insn->imm))
			return hermes_err(-EOPNOTSUPP,
					  "insn %u: call to helper %s (%d) is not supported by the user-space fallback (only the engine's helpers bpf_ktime_get_ns, bpf_get_prandom_u32, bpf_get_smp_processor_id, bpf_csum_diff, bpf_xdp_adjust_head, bpf_xdp_adjust_meta, bpf_xdp_adjust_tail, bpf_xdp_get_buff_len, bpf_xdp_load_bytes and bpf_xdp_store_bytes)",
					  i, helper_name(insn->imm), insn->imm);
	}
	if ((cls == BPF_JMP || cls == BPF_JMP32) &&
	    BPF_OP(insn->code) == BPF_JCOND)
		return hermes_err(-EOPNOTSUPP,
				  "insn %u: may_goto is not supported by the device",
				  i);
	return 0;
}

int hermes_fb_decode(const uint64_t *insns, uint32_t n, void **code)
{
	size_t sz = hermes_ebpf_code_size(n);
	const char *jit;

	*code = sz ? malloc(sz) : NULL;
	if (!*code)
		return hermes_err(-ENOMEM, "engine: no memory to decode %u instructions",
				  n);
	if (!hermes_ebpf_decode(insns, n, *code, sz)) {
		free(*code);
		*code = NULL;
		return hermes_err(-EINVAL, "engine: cannot decode the program");
	}
	/*
	 * Native code where the engine has a JIT (x86-64 Linux with BMI2),
	 * unless HERMES_FALLBACK_JIT=0; otherwise, or when the JIT does not
	 * take the program, the threaded interpreter runs it.
	 */
	jit = getenv("HERMES_FALLBACK_JIT");
	if (!jit || strcmp(jit, "0"))
		hermes_ebpf_jit(*code);
	return 0;
}

void hermes_fb_code_free(void *code)
{
	if (code)
		hermes_ebpf_code_release(code);
	free(code);
}

int hermes_fb_translate(const struct bpf_insn *insns, uint32_t n,
			uint64_t **out, uint32_t *nout)
{
	struct df_state *st, cur;
	uint32_t *work, nwork = 0, i, pc;
	HermesEbpfCaps caps;
	char msg[128];
	bool *ctx_ld, *queued;
	struct bpf_insn *img;
	int err = 0;

	st = calloc(n, sizeof(*st));
	work = calloc(n, sizeof(*work));
	ctx_ld = calloc(n, sizeof(*ctx_ld));
	queued = calloc(n, sizeof(*queued));
	img = calloc(n + 1, sizeof(*img));
	if (!st || !work || !ctx_ld || !queued || !img) {
		err = hermes_err(-ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		err = fb_check_insn(&insns[i], i);
		if (err)
			goto out;
	}

#define DF_PUSH(t, s) do {						\
		uint32_t _t = (t);					\
		if (_t < n && df_merge(&st[_t], (s)) && !queued[_t]) {	\
			queued[_t] = true;				\
			work[nwork++] = _t;				\
		}							\
	} while (0)

	cur = (struct df_state){ .regs = 1U << BPF_REG_1 };
	DF_PUSH(0, &cur);
	while (nwork) {
		const struct bpf_insn *insn;
		uint8_t cls, op, mode;

		i = work[--nwork];
		queued[i] = false;
		cur = st[i];
		insn = &insns[i];
		cls = BPF_CLASS(insn->code);
		op = BPF_OP(insn->code);
		mode = BPF_MODE(insn->code);
		switch (cls) {
		case BPF_ALU64:
		case BPF_ALU:
			if (cls == BPF_ALU64 && op == BPF_MOV &&
			    BPF_SRC(insn->code) == BPF_X && !insn->off &&
			    (cur.regs & (1U << insn->src_reg)))
				cur.regs |= 1U << insn->dst_reg;
			else
				cur.regs &= ~(1U << insn->dst_reg);
			DF_PUSH(i + 1, &cur);
			break;
		case BPF_LD:
			cur.regs &= ~(1U << insn->dst_reg);
			DF_PUSH(i + (insn->code == (BPF_LD | BPF_IMM | BPF_DW) ?
				     2 : 1), &cur);
			break;
		case BPF_LDX: {
			bool fill = false;

			if (cur.regs & (1U << insn->src_reg))
				ctx_ld[i] = true;
			if (insn->src_reg == BPF_REG_10 &&
			    BPF_SIZE(insn->code) == BPF_DW && mode == BPF_MEM &&
			    df_slot(insn->off) >= 0 &&
			    (cur.stack & (1ULL << df_slot(insn->off))))
				fill = true;
			if (fill)
				cur.regs |= 1U << insn->dst_reg;
			else
				cur.regs &= ~(1U << insn->dst_reg);
			DF_PUSH(i + 1, &cur);
			break;
		}
		case BPF_ST:
		case BPF_STX:
			if (insn->dst_reg == BPF_REG_10) {
				df_clobber_stack(&cur, insn->off,
						 bpf_size_bytes(insn->code));
				if (cls == BPF_STX && mode == BPF_MEM &&
				    BPF_SIZE(insn->code) == BPF_DW &&
				    df_slot(insn->off) >= 0 &&
				    (cur.regs & (1U << insn->src_reg)))
					cur.stack |= 1ULL << df_slot(insn->off);
			}
			if (mode == BPF_ATOMIC && (insn->imm & BPF_FETCH)) {
				if (insn->imm == BPF_CMPXCHG)
					cur.regs &= ~1U;
				else
					cur.regs &= ~(1U << insn->src_reg);
			}
			DF_PUSH(i + 1, &cur);
			break;
		case BPF_JMP:
		case BPF_JMP32:
			if (op == BPF_EXIT)
				break;
			if (op == BPF_CALL) {
				if (insn->src_reg == BPF_PSEUDO_CALL) {
					struct df_state callee = {
						.regs = cur.regs & 0x3e,
					};

					DF_PUSH(i + 1 + insn->imm, &callee);
				}
				cur.regs &= ~0x3fU;
				DF_PUSH(i + 1, &cur);
				break;
			}
			if (op == BPF_JA) {
				DF_PUSH(i + 1 + (cls == BPF_JMP32 ? insn->imm :
						 insn->off), &cur);
				break;
			}
			DF_PUSH(i + 1 + insn->off, &cur);
			DF_PUSH(i + 1, &cur);
			break;
		}
	}
#undef DF_PUSH

	/* Prologue: r1 is the run context, as the xdp_md pointer is. */
	img[0] = (struct bpf_insn){
		.code = BPF_ALU64 | BPF_MOV | BPF_X,
		.dst_reg = BPF_REG_1,
		.src_reg = BPF_REG_3,
	};
	for (i = 0; i < n; i++) {
		struct bpf_insn *insn = &img[i + 1];
		uint8_t dev_off, dev_size;

		*insn = insns[i];
		if (!ctx_ld[i])
			continue;
		if (insn->off == offsetof(struct xdp_md, egress_ifindex)) {
			err = hermes_err(-EOPNOTSUPP,
					 "insn %u: xdp_md field egress_ifindex is not available on the device",
					 i);
			goto out;
		}
		if (ctx_field(insn->off, &dev_off, &dev_size)) {
			err = hermes_err(-EOPNOTSUPP,
					 "insn %u: load of xdp_md offset %d is not supported",
					 i, insn->off);
			goto out;
		}
		/* the mode stays: an ldsx (BPF_MEMSX) still sign-extends */
		insn->code = BPF_LDX | BPF_MODE(insn->code) | dev_size;
		insn->off = dev_off;
	}
	hermes_ebpf_caps_full(&caps);
	if (hermes_ebpf_validate((uint64_t *)img, n + 1, &caps, &pc, msg,
				 sizeof(msg)) != HERMES_EBPF_OK) {
		err = hermes_err(-EINVAL, "the engine refuses the program: %s",
				 msg);
		goto out;
	}
	*out = (uint64_t *)img;
	*nout = n + 1;
	img = NULL;
out:
	free(st);
	free(work);
	free(ctx_ld);
	free(queued);
	free(img);
	return err;
}

static uint32_t fb_fault_kind(HermesEbpfStatus s)
{
	switch (s) {
	case HERMES_EBPF_FAULT_LOAD:
		return HERMES_FAULT_LOAD;
	case HERMES_EBPF_FAULT_STORE:
		return HERMES_FAULT_STORE;
	case HERMES_EBPF_FAULT_MISALIGNED:
		return HERMES_FAULT_MISALIGNED;
	case HERMES_EBPF_FAULT_BUDGET:
		return HERMES_FAULT_BUDGET;
	case HERMES_EBPF_FAULT_CALL_DEPTH:
		return HERMES_FAULT_CALL_DEPTH;
	case HERMES_EBPF_FAULT_HELPER:
		return HERMES_FAULT_HELPER;
	default:
		return HERMES_FAULT_ABORTED;
	}
}

/* bpf_ktime_get_ns() of the fallback: the host's CLOCK_MONOTONIC */
static uint64_t fb_clock_ns(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The engine's services for helpers 5, 7 and 8: one per thread that runs
 * batches, so that no two threads share a generator.  The fallback shows
 * itself as one engine: bpf_get_smp_processor_id() is 0 on every thread.
 */
HermesEbpfXdpEnv *hermes_fb_env(void)
{
	static __thread HermesEbpfXdpEnv env;
	static __thread bool seeded;

	if (!seeded) {
		env.clock_ns = fb_clock_ns;
		env.cpu = 0;
		/* without getrandom() (old kernels), the clock as a seed */
		if (getrandom(&env.prng, sizeof(env.prng), 0) < 0)
			env.prng = fb_clock_ns(NULL);
		seeded = true;
	}
	return &env;
}

int hermes_fb_run(struct hermes_prog *prog, struct hermes_fb_batch *fb,
		  struct hermes_batch *b)
{
	static __thread uint64_t stack[HERMES_EBPF_MAX_CALL_DEPTH * 512 / 8];
	HermesEbpfBatch eb = {
		.slot = fb->slot,
		.slot_size = prog->dev->info.max_batch,
		.in_len = fb->in_len,
		.record_size = b->record_size,
		.lenpfx = b->flags & HERMES_BATCH_LENPFX,
		.res_off = fb->res_off,
		.data_base = HERMES_FB_DATA_BASE,
		.ctx_base = HERMES_FB_CTX_BASE,
		.env = hermes_fb_env(),
	};
	HermesEbpfRunConfig cfg = {
		.budget = b->budget ? b->budget : prog->dev->info.budget_default,
		.stack_addr = HERMES_FB_STACK_BASE,
		.stack_size = 512,
		.stack_host = stack,
	};
	HermesEbpfBatchResult res;
	uint32_t nrec, bad;

	switch (hermes_ebpf_batch_check(&eb, &nrec, &bad)) {
	case HERMES_EBPF_BATCH_OK:
		break;
	case HERMES_EBPF_BATCH_BAD_RECORDS:
		return hermes_err(-EINVAL, "engine: record %u of the batch is badly framed",
				  bad);
	default:
		return hermes_err(-EINVAL, "engine: bad batch");
	}
	hermes_ebpf_run_batch_code(prog->code, &eb, &cfg, &res);
	if (res.status == HERMES_EBPF_ERR_BAD_CONFIG)
		return hermes_err(-EINVAL, "engine: bad batch configuration");
	b->records_in = res.records_done;
	b->records_out = res.records_out;
	b->bytes_out = res.out_len;
	b->fault = 0;
	b->fault_insn = 0;
	if (res.status != HERMES_EBPF_OK) {
		b->fault = fb_fault_kind(res.status);
		/* the instruction of the program the verifier saw */
		b->fault_insn = res.last.pc ? res.last.pc - 1 : 0;
	}
	b->duration_ns = 0;
	return 0;
}
