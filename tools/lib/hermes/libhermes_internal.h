/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libhermes: what the library's files share. */
#ifndef __LIBHERMES_INTERNAL_H
#define __LIBHERMES_INTERNAL_H

#include <stdint.h>
#include <linux/bpf.h>

#include "hermes-ebpf.h"
#include "libhermes.h"

struct bpf_object;

/* user-space fallback: the QEMU device's data slot size and addresses */
#define HERMES_FB_MAX_BATCH	(1U << 20)
#define HERMES_FB_DATA_BASE	0x100000000ULL
#define HERMES_FB_CTX_BASE	0x200000000ULL
#define HERMES_FB_STACK_BASE	0x300000000ULL

struct hermes_dev {
	int fd;			/* /dev/hermesN, -1 for the fallback */
	char name[64];
	struct hermes_info info;
};

struct hermes_prog {
	struct hermes_dev *dev;
	struct bpf_object *obj;
	int fd;
	char name[64];
	/* fallback: the program in the device's form */
	uint64_t *insns;
	uint32_t ninsns;
	/* @insns decoded for the engine at load, read-only afterwards */
	void *code;
};

__attribute__((format(printf, 2, 3)))
int hermes_err(int err, const char *fmt, ...);

/*
 * Translate a verified XDP program to the device ABI as the Hermes driver
 * does (drivers/hermes/hermes_translate.c): a prologue r1 = r3 and the xdp_md
 * loads rewritten.  Returns 0 or -errno with a message.
 */
int hermes_fb_translate(const struct bpf_insn *insns, uint32_t n,
			uint64_t **out, uint32_t *nout);

/*
 * The engine's decoded form of a translated program, at load: batches in
 * flight run it on threads of their own, which only read it.
 */
int hermes_fb_decode(const uint64_t *insns, uint32_t n, void **code);
/* frees what hermes_fb_decode() made (native code included) */
void hermes_fb_code_free(void *code);

/* One batch with the engine: fills the output fields of @b. */
struct hermes_fb_batch {
	uint8_t *slot;		/* max_batch bytes: input, output, table */
	uint32_t in_len;
	uint32_t res_off;	/* table at slot + res_off */
};
int hermes_fb_run(struct hermes_prog *prog, struct hermes_fb_batch *fb,
		  struct hermes_batch *b);

/*
 * The engine's services for helpers 5, 7 and 8 on this thread (clock,
 * generator, engine index 0), for every batch the thread runs
 */
HermesEbpfXdpEnv *hermes_fb_env(void);

#endif /* __LIBHERMES_INTERNAL_H */
