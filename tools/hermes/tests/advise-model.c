// SPDX-License-Identifier: GPL-2.0-only
/*
 * The arithmetic of hermes advise (advise-model.h) with given figures,
 * against values worked out by hand in the comments.  TAP-free: prints
 * each failure and exits 1 (test-host.sh counts it as one case).
 */
#include <math.h>
#include <stdio.h>

#include "../advise-model.h"

static int failed;

static void near(const char *what, double got, double want)
{
	if (fabs(got - want) > 1e-9 * (fabs(want) + 1)) {
		printf("%s: got %.12g, want %.12g\n", what, got, want);
		failed = 1;
	}
}

int main(void)
{
	double s, l, bw;
	struct advise_terms t;

	/* 1 MiB batches: 1048576 / (1500 + 16) = 691.6; round8(691 * 1500)
	 * = 1036504, + 16 * 691 = 1047560 <= 1048576: 691 */
	near("records of 1500 B a batch", advise_batch_records(1 << 20, 1500), 691);
	/* 1048576 / 80 = 13107.2; 838848 + 209712 = 1048560: 13107 */
	near("records of 64 B a batch", advise_batch_records(1 << 20, 64), 13107);
	/* 100 / 25 = 4, round8(36) + 64 = 104 > 100; 3: 32 + 48 = 80 */
	near("the rounding to 8 takes one off", advise_batch_records(100, 9), 3);
	/* 100 / 23 = 4, round8(28) + 64 = 96 <= 100 */
	near("records of 7 B in 100", advise_batch_records(100, 7), 4);
	near("a record larger than a batch: 1", advise_batch_records(64, 100), 1);
	near("1398 records 691 a batch: 3 batches", advise_batches(1398, 691), 3);
	near("1382 records 691 a batch: 2 batches", advise_batches(1382, 691), 2);

	/* S 1000 ns, L 200 ns, BW 2 B/ns, bs 100 B, bl 10000 B:
	 * t1 = 1000 + 200 + 50 = 1250; tk (16) = 1000 + 16 * 250 = 5000;
	 * tb (4) = 1000 + 4 * (200 + 5000) = 21800 */
	if (advise_fit_xfer(100, 1250, 16, 5000, 10000, 4, 21800, &s, &l, &bw)) {
		printf("fit: refused good figures\n");
		failed = 1;
	}
	near("fit: setup", s, 1000);
	near("fit: latency", l, 200);
	near("fit: bandwidth", bw, 2);
	/* the large batches as fast as the small ones: no bandwidth */
	if (!advise_fit_xfer(100, 1250, 16, 5000, 10000, 4, 2000, &s, &l, &bw)) {
		printf("fit: took large batches no slower than small ones\n");
		failed = 1;
	}
	if (!advise_fit_xfer(100, 1250, 1, 5000, 10000, 4, 21800, &s, &l, &bw)) {
		printf("fit: took one small command for two\n");
		failed = 1;
	}

	/* 1000 records 300 a batch: 4 commands; (1000 + 4 * 200) / 1000 =
	 * 1.8; 3000 B / 2 B/ns = 1500; 50 insns * 4 ns = 200: 1701.8 */
	advise_device(1000, 200, 2, 1000, 300, 3000, 50, 4, &t);
	near("device: latency", t.latency, 1.8);
	near("device: DMA", t.dma, 1500);
	near("device: execution", t.exec, 200);
	near("device: total", t.total, 1701.8);
	/* one record a command (the RTL): (1000 + 1000 * 200) / 1000 = 201 */
	advise_device(1000, 200, 2, 1000, 1, 3000, 50, 4, &t);
	near("one a command: latency", t.latency, 201);
	near("one a command: total", t.total, 1901);

	/* CPI 1.84 at 250 MHz: 4 ns a cycle, 7.36 ns an instruction */
	near("RTL ns per insn", advise_ns_per_insn_cpi(1.84, 250), 7.36);
	near("ratio 3 / 1", advise_ratio(3, 1), 3);
	near("ratio 1 / 4", advise_ratio(1, 4), 4);
	if (!isinf(advise_ratio(0, 1))) {
		printf("ratio with a time of 0: not infinite\n");
		failed = 1;
	}
	return failed;
}
