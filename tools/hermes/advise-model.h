/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hermes advise: the cost model's arithmetic, apart from the measuring so
 * that the hermes-tools suite checks it with given figures
 * (tests/advise-model.c).  Documentation/hermes/tools.rst, "When to
 * offload", states the model:
 *
 *   device: t = (S + L * batches) / records + bytes / BW + insns * t_insn
 *   host:   t = the JIT's time per run (no command, no DMA)
 *
 * S a call's setup (ns: libhermes's ring and buffers, once per run over
 * the records), L the command latency (ns), BW the DMA bandwidth (bytes/ns), bytes
 * per record those moved (input, output, 16-byte result), t_insn the
 * device's time per instruction (ns; for the RTL, CPI / clock).
 */
#ifndef __HERMES_ADVISE_MODEL_H
#define __HERMES_ADVISE_MODEL_H

#include <math.h>
#include <stdint.h>

/* Bytes of a device result entry per record (struct hermes_batch_result) */
#define ADVISE_RESULT_BYTES	16

/*
 * Records of @size bytes in one batch of at most @max_batch bytes, as
 * libhermes fills them: the largest n with round8(n * size) + 16 n <=
 * max_batch, at least 1.
 */
static inline uint32_t advise_batch_records(uint32_t max_batch, uint32_t size)
{
	uint64_t n = max_batch / ((uint64_t)size + ADVISE_RESULT_BYTES);

	while (n && ((n * size + 7) & ~7ULL) + ADVISE_RESULT_BYTES * n >
	       max_batch)
		n--;
	return n ? n : 1;
}

/* Batches (commands) for @records records, @per_batch a batch */
static inline uint64_t advise_batches(uint64_t records, uint32_t per_batch)
{
	return (records + per_batch - 1) / per_batch;
}

/*
 * Call setup, command latency and bandwidth from three calls, each timed
 * with the device's busy time taken out: @t1 one command of @bs bytes,
 * @tk @k commands of @bs bytes each, @tb @b commands of @bl bytes each.
 *   t1 = S + L + bs / BW,  tk = S + k (L + bs / BW),
 *   tb = S + b (L + bl / BW)
 * Returns 0, or -1 when the figures admit no positive bandwidth.
 */
static inline int advise_fit_xfer(double bs, double t1, uint32_t k, double tk,
				  double bl, uint32_t b, double tb,
				  double *setup_ns, double *lat_ns, double *bw)
{
	double l1, rest;

	if (k < 2 || !b || bl <= bs)
		return -1;
	l1 = (tk - t1) / (k - 1);	/* L + bs / BW */
	if (l1 < 0)
		l1 = 0;
	*setup_ns = t1 - l1;
	if (*setup_ns < 0)
		*setup_ns = 0;
	rest = tb - *setup_ns - b * l1;	/* b (bl - bs) / BW */
	if (rest <= 0)
		return -1;
	*bw = b * (bl - bs) / rest;
	*lat_ns = l1 - bs / *bw;
	if (*lat_ns < 0)
		*lat_ns = 0;
	return 0;
}

struct advise_terms {
	double latency;		/* ns per record: L * batches / records */
	double dma;		/* ns per record: bytes / BW */
	double exec;		/* ns per record: insns * t_insn */
	double total;
};

/*
 * The device's time per record: @records records in one call (@setup_ns
 * once) of which @per_batch go in one command (@lat_ns each), @bytes
 * moved per record, @insns executed per record.
 */
static inline void advise_device(double setup_ns, double lat_ns, double bw,
				 uint64_t records,
				 uint32_t per_batch, double bytes, double insns,
				 double ns_per_insn, struct advise_terms *t)
{
	t->latency = records ? (setup_ns + lat_ns *
				advise_batches(records, per_batch)) / records : 0;
	t->dma = bw > 0 ? bytes / bw : 0;
	t->exec = insns * ns_per_insn;
	t->total = t->latency + t->dma + t->exec;
}

/* Nanoseconds per instruction of a device clocked at @mhz with @cpi */
static inline double advise_ns_per_insn_cpi(double cpi, double mhz)
{
	return cpi * 1e3 / mhz;
}

/* The ratio of the slower to the faster of two times, >= 1 */
static inline double advise_ratio(double a, double b)
{
	if (a <= 0 || b <= 0)
		return INFINITY;
	return a > b ? a / b : b / a;
}

#endif /* __HERMES_ADVISE_MODEL_H */
