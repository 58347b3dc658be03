/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * selftests/drivers/hermes/progs/filter.bpf.c in plain C: the independent
 * truth that filter-ref and `hermes bench` check the engines against.
 */
#ifndef __HERMES_FILTER_PLAIN_H
#define __HERMES_FILTER_PLAIN_H

#include <stdint.h>

/* Run on record d[0, n): the record's new length, or -1 to drop it */
static inline long filter_plain(uint8_t *d, long n)
{
	long i, delta;

	if (n < 1)
		return n;
	switch (d[0] & 3) {
	case 0:
		return -1;
	case 1:
		return n;
	case 2:
		for (i = 1; i < 16 && i < n; i++)
			d[i] ^= 0x5a;
		return n;
	default:
		if (n < 2)
			return n;
		delta = (d[1] & 31) + 1;
		/* bpf_xdp_adjust_tail() never leaves fewer than 14 bytes */
		if (n - delta < 14)
			return n;
		d[0] = 0xee;
		return n - delta;
	}
}

#endif /* __HERMES_FILTER_PLAIN_H */
