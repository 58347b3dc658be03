// SPDX-License-Identifier: GPL-2.0-only
/*
 * hermes advise: where to run an XDP program over records of a size, from
 * figures Hermes measures itself, each shown with where it came from.
 *
 * The model (advise-model.h; Documentation/hermes/tools.rst, "When to
 * offload"): on a device, the command latency amortised over the records
 * of a batch, the bytes moved over the DMA bandwidth and the instructions
 * a record runs times the device's time per instruction; on the host,
 * the kernel JIT's time per run, with no command and no DMA.
 *
 * The figures:
 * - host: BPF_PROG_TEST_RUN of the kernel-loaded copy on every sample
 *   record (repeat 1, the kernel's own duration, as bench's jit path);
 * - instructions per record: the device's counters (CNT_INSNS over
 *   CNT_RUNS) for the program on the sample, else the engine's count
 *   (hermes_ebpf_run_batch(), the reference interpreter, in process);
 * - the model's time per instruction: the device's CNT_BUSY over
 *   CNT_INSNS for the program itself on the sample records, not a
 *   calibration loop: the engine's cost per instruction varies several
 *   times with the mix (fused pairs, checked memory accesses, helpers);
 * - command latency and DMA bandwidth: pass.bpf.o on one 64-byte record
 *   and on one full batch of 4 KiB records, the engine's busy time taken
 *   out of both;
 * - the RTL: cycles per instruction from the table `make bench-rtl`
 *   writes (build/figures/rtl-cpi.txt), at its 250 MHz clock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "hermes-ebpf.h"
#include "libhermes_internal.h"
#include "hermes.h"
#include "advise-model.h"

#define ADV_MAX_RUNS	101
/* the clock of the RTL on an F1 card (clk_main_a0, recipe A1) */
#define ADV_F1_MHZ	250.0
/* the RTL's data slot: an F1 card takes inputs of at most 4 KiB */
#define ADV_F1_MAX_INPUT 4096

const char *const help_advise =
"Usage: hermes [OPTIONS] advise PROG.o [--record SIZE] [--dev { hermesN | none }]\n"
"                  [--prog NAME] [--mib N] [--runs N] [--progs DIR]\n"
"                  [--rtl FILE] [--host-ns NS]\n"
"\n"
"Predict the time per record of the XDP program of PROG.o on records of\n"
"SIZE bytes on the host (this kernel's JIT), on the device (the QEMU\n"
"model) and on an AWS F1 card (the RTL at 250 MHz), and say where to run\n"
"it.  Every figure is measured here and printed with where it came from:\n"
"the JIT's time per run (BPF_PROG_TEST_RUN), the device's instructions\n"
"per record and time per instruction (its counters, the program on a\n"
"sample of records), its command latency and DMA bandwidth (pass.bpf.o on\n"
"a small and a large batch), the RTL's cycles per instruction (make\n"
"bench-rtl).  Device time per record = latency * batches / records +\n"
"bytes / bandwidth + instructions * time per instruction.\n"
"\n"
"  -r, --record SIZE    bytes per record (default 1500)\n"
"  -D, --dev NAME       the device (default the first; none: no device:\n"
"                       the host and the RTL's execution only)\n"
"  -P, --prog NAME      the program of PROG.o\n"
"      --mib N          input the prediction is for, as hermes bench's\n"
"                       --mib (default 16, at most 65536 records): the\n"
"                       number of batches the latency is spread over\n"
"      --runs N         runs of each measurement, median (default 5)\n"
"      --progs DIR      where pass.bpf.o is (default progs/ beside the\n"
"                       binary; without it, the program itself calibrates)\n"
"      --rtl FILE       the RTL's CPI table (default the build's\n"
"                       figures/rtl-cpi.txt, written by make bench-rtl)\n"
"      --host-ns NS     the host's time per run measured elsewhere (e.g.\n"
"                       natively with --dev none, when this runs in a VM)\n"
"  -j, --json           one JSON object\n"
"  -p, --pretty         the same, indented\n"
"\n"
"Under TCG the guest's CPU is emulated: its JIT figure and the driver's\n"
"part of the latency run at the emulated speed, the model's engine\n"
"natively; a note says so.\n"
"\n"
"Exit status: 0; 1 error; 2 usage.\n";

/* A measured figure and where it came from */
struct fig {
	double v;
	bool have;
	char src[512];
	const char *clock;
};

static void fig_set(struct fig *f, double v, const char *clock,
		    const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void fig_set(struct fig *f, double v, const char *clock,
		    const char *fmt, ...)
{
	va_list ap;

	f->v = v;
	f->have = true;
	f->clock = clock;
	va_start(ap, fmt);
	vsnprintf(f->src, sizeof(f->src), fmt, ap);
	va_end(ap);
}

static struct {
	const char *where;	/* this CPU's clock: native, tcg-guest */
	char dev_clock[24];	/* the guest's clock around the device */
	uint32_t runs;
	struct fig host, insns, insns_engine, ns_insn, setup, lat, bw, out, cpi;
	double cpi_lo, cpi_hi;
	uint32_t rtl_progs;
	char rtl_file[PATH_MAX];
	char rtl_date[64];
} A;

/*
 * The host: the kernel-loaded copy once per sample record, the kernel's
 * own duration of each run (no system call, no copy), as bench's jit path
 * measures its busy column.  Median over the runs of the mean per record.
 */
static int measure_host(int prog_fd, const uint8_t *in, uint32_t size,
			uint32_t n, uint8_t *out)
{
	double v[ADV_MAX_RUNS];
	uint32_t r, k;
	char jit[8] = "?";
	FILE *f;

	for (r = 0; r < A.runs; r++) {
		uint64_t sum = 0;

		for (k = 0; k < n; k++) {
			LIBBPF_OPTS(bpf_test_run_opts, o,
				    .data_in = in + (uint64_t)k * size,
				    .data_size_in = size,
				    .data_out = out, .data_size_out = size,
				    .repeat = 1);

			if (bpf_prog_test_run_opts(prog_fd, &o)) {
				p_err("advise: BPF_PROG_TEST_RUN on the host: %s",
				      strerror(errno));
				return -1;
			}
			sum += o.duration;
		}
		v[r] = (double)sum / n;
	}
	f = fopen("/proc/sys/net/core/bpf_jit_enable", "r");
	if (f) {
		if (!fgets(jit, sizeof(jit), f))
			jit[0] = 0;
		jit[strcspn(jit, "\n")] = 0;
		fclose(f);
	}
	fig_set(&A.host, median(v, A.runs), A.where,
		"BPF_PROG_TEST_RUN, %u records x 1 run, median of %u (bpf_jit_enable %s)",
		n, A.runs, jit);
	return 0;
}

/*
 * The engine's instruction count of the program (as the fallback loads
 * it) over the sample, on the reference interpreter.
 */
static int measure_engine(struct hermes_prog *fb, const uint8_t *in,
			  uint32_t size, uint32_t n)
{
	static uint64_t stack[HERMES_EBPF_MAX_CALL_DEPTH * 512 / 8];
	uint32_t in_len = n * size, res_off = (in_len + 7) & ~7U;
	uint32_t slot_size = res_off + ADVISE_RESULT_BYTES * n;
	uint8_t *slot = calloc(1, slot_size);
	HermesEbpfBatch eb = {
		.slot = slot, .slot_size = slot_size, .in_len = in_len,
		.record_size = size, .res_off = res_off,
		.data_base = HERMES_FB_DATA_BASE,
		.ctx_base = HERMES_FB_CTX_BASE,
		.env = hermes_fb_env(),
	};
	HermesEbpfRunConfig cfg = {
		.budget = fb->dev->info.budget_default,
		.stack_addr = HERMES_FB_STACK_BASE,
		.stack_size = 512,
		.stack_host = stack,
	};
	HermesEbpfBatchResult res;

	if (!slot) {
		p_err("advise: out of memory");
		return -1;
	}
	memcpy(slot, in, in_len);
	hermes_ebpf_run_batch(fb->insns, fb->ninsns, &eb, &cfg, &res);
	free(slot);
	if (res.status != HERMES_EBPF_OK || res.records_done != n) {
		p_err("advise: the engine stops at record %u of the sample (status %d)",
		      res.records_done, res.status);
		return -1;
	}
	fig_set(&A.insns_engine, (double)res.insns / n, "engine",
		"the engine's count (reference interpreter, in this process), %u records",
		n);
	if (!A.out.have)
		fig_set(&A.out, (double)res.out_len / n, "engine",
			"output bytes of the sample on the engine");
	return 0;
}

/* The sum over engines of the device's counters */
struct counters {
	uint64_t runs, insns, busy;
};

static int read_counters(struct hermes_dev *dev, struct counters *c)
{
	struct hermes_info in;
	uint32_t e;

	if (hermes_dev_info(dev, &in)) {
		p_err("%s", hermes_strerror());
		return -1;
	}
	memset(c, 0, sizeof(*c));
	for (e = 0; e < in.engines && e < HERMES_MAX_ENGINES_INFO; e++) {
		c->runs += in.engine_runs[e];
		c->insns += in.engine_insns[e];
		c->busy += in.engine_busy_ns[e];
	}
	return 0;
}

/*
 * One call (depth 1) over @len bytes in place, in batches of @batch bytes
 * (0: as many records as fit): wall and device time.
 */
static int dev_batch(struct hermes_prog *p, uint8_t *buf, uint32_t len,
		     uint32_t size, uint32_t batch, uint64_t *wall,
		     uint64_t *busy, size_t *out_len)
{
	HERMES_OPTS(hermes_stream_opts, o, .record_size = size, .depth = 1,
		    .batch_bytes = batch);
	struct hermes_stats st;
	uint64_t t0;

	t0 = bench_ns();
	if (hermes_run_buffer(p, buf, len, &o, &st, out_len)) {
		p_err("%s", hermes_strerror());
		return -1;
	}
	*wall = bench_ns() - t0;
	*busy = st.device_ns;
	return 0;
}

/*
 * The program on the device over the sample: instructions per record
 * and time per instruction from the engine counters.
 */
static int measure_device_prog(struct hermes_dev *dev, struct hermes_prog *p,
			       const uint8_t *in, uint32_t size, uint32_t n)
{
	double nsi[ADV_MAX_RUNS];
	uint8_t *buf = malloc((size_t)n * size);
	struct counters c0, c1;
	uint64_t wall, busy, insns = 0, runs = 0;
	size_t out_len = 0;
	uint32_t r;

	if (!buf) {
		p_err("advise: out of memory");
		return -1;
	}
	for (r = 0; r < A.runs; r++) {
		memcpy(buf, in, (size_t)n * size);
		if (read_counters(dev, &c0) ||
		    dev_batch(p, buf, n * size, size, 0, &wall, &busy,
			      &out_len) ||
		    read_counters(dev, &c1)) {
			free(buf);
			return -1;
		}
		insns = c1.insns - c0.insns;
		runs = c1.runs - c0.runs;
		if (!insns || !runs) {
			free(buf);
			p_err("advise: %s: the engine counters did not move",
			      hermes_dev_name(dev));
			return -1;
		}
		nsi[r] = (double)(c1.busy - c0.busy) / insns;
	}
	free(buf);
	fig_set(&A.insns, (double)insns / runs, "device",
		"%s: CNT_INSNS / CNT_RUNS, the program on %llu records",
		hermes_dev_name(dev), (unsigned long long)runs);
	fig_set(&A.ns_insn, median(nsi, A.runs), "device",
		"%s: CNT_BUSY / CNT_INSNS, the program itself on the sample, median of %u",
		hermes_dev_name(dev), A.runs);
	fig_set(&A.out, (double)out_len / n, "device",
		"output bytes of the sample on %s", hermes_dev_name(dev));
	return 0;
}

/*
 * Call setup, command latency and DMA bandwidth: @p (pass.bpf.o, or the
 * program) in one call on one 64-byte record, on ADV_K of them one a
 * command, and on ADV_B full batches of 4 KiB records, each the median
 * of the runs with the device's busy time taken out (advise_fit_xfer()).
 */
#define ADV_K	16
static bool quiet_fit;
#define ADV_B	4
static int measure_xfer(struct hermes_dev *dev, struct hermes_prog *p,
			const char *what, bool is_pass)
{
	double t1[ADV_MAX_RUNS], tk[ADV_MAX_RUNS], tb[ADV_MAX_RUNS];
	double bs, bl, m1, mk, mb, setup, lat, bw;
	uint32_t nl, r, nsmall = A.runs * 3;
	uint64_t wall, busy;
	size_t out1 = 0, outk = 0, outb = 0;
	uint8_t *buf;

	nl = advise_batch_records(dev->info.max_batch, 4096);
	buf = malloc((size_t)ADV_B * nl * 4096);
	if (!buf) {
		p_err("advise: out of memory");
		return -1;
	}
	if (nsmall > ADV_MAX_RUNS)
		nsmall = ADV_MAX_RUNS;
	for (r = 0; r < nsmall; r++) {
		bench_records(buf, 64 * ADV_K);
		if (dev_batch(p, buf, 64, 64, 0, &wall, &busy, &out1))
			goto err;
		t1[r] = (double)wall - busy;
		if (dev_batch(p, buf, 64 * ADV_K, 64, 64, &wall, &busy, &outk))
			goto err;
		tk[r] = (double)wall - busy;
	}
	for (r = 0; r < A.runs; r++) {
		bench_records(buf, (uint64_t)ADV_B * nl * 4096);
		if (dev_batch(p, buf, ADV_B * nl * 4096, 4096, 0, &wall, &busy,
			      &outb))
			goto err;
		tb[r] = (double)wall - busy;
	}
	free(buf);
	/* bytes a command moves: input, output, one result a record */
	bs = 64 + out1 + ADVISE_RESULT_BYTES;
	bl = (double)nl * (4096 + ADVISE_RESULT_BYTES) + (double)outb / ADV_B;
	m1 = median(t1, nsmall);
	mk = median(tk, nsmall);
	mb = median(tb, A.runs);
	if (advise_fit_xfer(bs, m1, ADV_K, mk, bl, ADV_B, mb, &setup, &lat,
			    &bw)) {
		if (!quiet_fit)
			p_err("advise: %s: no bandwidth in the figures (%.0f, %.0f, %.0f ns)",
			      hermes_dev_name(dev), m1, mk, mb);
		return -1;
	}
	fig_set(&A.setup, setup, A.dev_clock,
		"%s: %s: 1 command of 64 B in a call, less the latency (median of %u)",
		hermes_dev_name(dev), what, nsmall);
	fig_set(&A.lat, lat, A.dev_clock,
		"%s: %s: %u commands of 64 B in a call against 1 (median of %u)",
		hermes_dev_name(dev), what, ADV_K, nsmall);
	fig_set(&A.bw, bw, A.dev_clock,
		"%s: %s: %u batches of %u records of 4 KiB (%.0f B each) in a call (median of %u)%s",
		hermes_dev_name(dev), what, ADV_B, nl, bl, A.runs,
		is_pass ? "" : "; no pass.bpf.o");
	return 0;
err:
	free(buf);
	return -1;
}

/*
 * The RTL's CPI: the table of `make bench-rtl` (rtl-diff bench: a line
 * per program, "NAME cycles C insns I stalls S CPI x STATUS"), over the
 * programs that ran to exit: cycles over instructions, and the range.
 */
static void read_rtl(const char *file)
{
	double cyc = 0, ins = 0, lo = 0, hi = 0;
	char line[512];
	FILE *f = fopen(file, "r");

	snprintf(A.rtl_file, sizeof(A.rtl_file), "%s", file);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long c, i, s;
		char *p = strstr(line, " cycles ");
		double cpi;

		if (!strncmp(line, "# date: ", 8)) {
			snprintf(A.rtl_date, sizeof(A.rtl_date), "%.63s", line + 8);
			A.rtl_date[strcspn(A.rtl_date, "\n")] = 0;
		}
		if (line[0] == '#' || !p ||
		    sscanf(p, " cycles %llu insns %llu stalls %llu", &c, &i, &s) != 3 ||
		    !i || !strstr(line, " ok"))
			continue;
		cpi = (double)c / i;
		lo = !A.rtl_progs || cpi < lo ? cpi : lo;
		hi = cpi > hi ? cpi : hi;
		cyc += c;
		ins += i;
		A.rtl_progs++;
	}
	fclose(f);
	if (!A.rtl_progs)
		return;
	A.cpi_lo = lo;
	A.cpi_hi = hi;
	fig_set(&A.cpi, cyc / ins, "rtl",
		"%s (make bench-rtl%s%s): cycles / instructions of %u programs, %.2f to %.2f",
		file, A.rtl_date[0] ? ", " : "", A.rtl_date, A.rtl_progs, lo, hi);
}

static void default_rtl(char *buf, size_t sz)
{
	char exe[PATH_MAX - 32];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *s;

	buf[0] = 0;
	if (len <= 0)
		return;
	exe[len] = 0;
	/* build/tools/hermes/hermes -> build/figures/rtl-cpi.txt */
	s = strrchr(exe, '/');
	if (s)
		*s = 0;
	snprintf(buf, sz, "%s/../../figures/rtl-cpi.txt", exe);
}

struct target {
	const char *name;	/* host, model, f1 */
	char label[64];
	bool have;
	bool lower_bound;	/* execution only: no command, no DMA known */
	uint32_t per_cmd;	/* records per command */
	struct advise_terms t;
	char why[160];		/* when it cannot run, or a remark */
};

static void print_fig(const char *what, const struct fig *f, const char *fmt,
		      double scale, const char *unit)
{
	char v[48];

	if (!f->have) {
		printf("  %-30s %-14s %s\n", what, "-", "not measured");
		return;
	}
	snprintf(v, sizeof(v), fmt, f->v * scale);
	printf("  %-30s %10s %-4s %s [%s]\n", what, v, unit, f->src, f->clock);
}

static void json_fig(const char *name, const struct fig *f, double scale)
{
	if (!f->have)
		return;
	json_object_start(name);
	json_float("value", f->v * scale);
	json_string("source", f->src);
	json_string("clock", f->clock);
	json_object_end();
}

int do_advise(int argc, char **argv)
{
	enum { O_MIB = 256, O_RUNS, O_PROGS, O_RTL, O_HOST_NS };
	static const struct option lopts[] = {
		{ "record", required_argument, NULL, 'r' },
		{ "dev", required_argument, NULL, 'D' },
		{ "prog", required_argument, NULL, 'P' },
		{ "mib", required_argument, NULL, O_MIB },
		{ "runs", required_argument, NULL, O_RUNS },
		{ "progs", required_argument, NULL, O_PROGS },
		{ "rtl", required_argument, NULL, O_RTL },
		{ "host-ns", required_argument, NULL, O_HOST_NS },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *devname = NULL, *pname = NULL, *obj, *rtl = NULL;
	char progs[PATH_MAX] = "", rtl_def[PATH_MAX], pass_path[PATH_MAX + 16];
	struct hermes_prog *fb = NULL, *dp = NULL, *pass = NULL;
	struct hermes_dev *none = NULL, *dev = NULL;
	uint32_t size = 1500, mib = 16, nsample, per_batch, max_batch;
	struct target tg[3] = {
		{ .name = "host" }, { .name = "model" }, { .name = "f1" },
	};
	double host_ns = -1, bytes, speed;
	uint8_t *in = NULL, *scratch = NULL;
	uint64_t records;
	int c, ret = 1, best = -1, second = -1, i;
	bool hv;

	A.runs = 5;
	optind = 0;
	while ((c = getopt_long(argc, argv, "r:D:P:jpqdh", lopts, NULL)) != -1) {
		if (!common_opt(c))
			continue;
		switch (c) {
		case 'r':
			if (parse_u32(optarg, "--record", &size))
				return 2;
			if (!size) {
				p_err("--record: records of 0 bytes");
				return 2;
			}
			break;
		case 'D':
			devname = optarg;
			break;
		case 'P':
			pname = optarg;
			break;
		case O_MIB:
			if (parse_u32(optarg, "--mib", &mib) || !mib ||
			    mib > 1024) {
				p_err("--mib: 1 to 1024");
				return 2;
			}
			break;
		case O_RUNS:
			if (parse_u32(optarg, "--runs", &A.runs) || !A.runs ||
			    A.runs > ADV_MAX_RUNS / 3) {
				p_err("--runs: 1 to %d", ADV_MAX_RUNS / 3);
				return 2;
			}
			break;
		case O_PROGS:
			snprintf(progs, sizeof(progs), "%s", optarg);
			break;
		case O_RTL:
			rtl = optarg;
			break;
		case O_HOST_NS: {
			char *end;

			errno = 0;
			host_ns = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(host_ns > 0)) {
				p_err("--host-ns: '%s' is not a positive number",
				      optarg);
				return 2;
			}
			break;
		}
		case 'h':
			fputs(help_advise, stdout);
			return 0;
		default:
			fputs(help_advise, stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		p_err("advise needs PROG.o");
		fputs(help_advise, stderr);
		return 2;
	}
	obj = argv[optind];
	A.where = detect_where(&hv);
	snprintf(A.dev_clock, sizeof(A.dev_clock), "%s",
		 strcmp(A.where, "native") ? "tcg+device" : "device");
	if (!progs[0]) {
		ssize_t len = readlink("/proc/self/exe", progs,
				       sizeof(progs) - 8);

		progs[len > 0 ? len : 0] = 0;
		if (strrchr(progs, '/'))
			strcpy(strrchr(progs, '/'), "/progs");
	}
	if (!rtl) {
		default_rtl(rtl_def, sizeof(rtl_def));
		rtl = rtl_def;
	}
	read_rtl(rtl);

	if (hermes_open("none", &none) || hermes_open(devname, &dev)) {
		p_err("%s", hermes_strerror());
		goto out;
	}
	if (hermes_dev_is_fallback(dev)) {
		hermes_close(dev);
		dev = NULL;
	}
	max_batch = dev ? dev->info.max_batch : HERMES_FB_MAX_BATCH;
	if (((size + 7) & ~7U) + ADVISE_RESULT_BYTES > max_batch) {
		p_err("advise: records of %u bytes do not fit a batch of %u bytes",
		      size, max_batch);
		ret = 2;
		goto out;
	}
	per_batch = advise_batch_records(max_batch, size);
	records = ((uint64_t)mib << 20) / size;
	if (records > 65536)
		records = 65536;
	if (!records)
		records = 1;
	/* the sample: the first records of the input, one batch at most */
	nsample = per_batch < records ? per_batch : records;
	if (nsample > 4096)
		nsample = 4096;
	in = malloc((size_t)nsample * size);
	scratch = malloc(size);
	if (!in || !scratch) {
		p_err("advise: out of memory");
		goto out;
	}
	bench_records(in, (uint64_t)nsample * size);

	if (hermes_prog_load(none, obj, pname, &fb)) {
		p_err("%s", hermes_strerror());
		goto out;
	}
	if (host_ns > 0)
		fig_set(&A.host, host_ns, "given", "--host-ns");
	else if (xdp_test_whole(size) != 0 &&
		 measure_host(hermes_prog_fd(fb), in, size, nsample, scratch))
		goto out;
	if (measure_engine(fb, in, size, nsample))
		goto out;
	if (dev) {
		if (hermes_prog_load(dev, obj, pname, &dp)) {
			p_err("%s", hermes_strerror());
			goto out;
		}
		if (measure_device_prog(dev, dp, in, size, nsample))
			goto out;
		snprintf(pass_path, sizeof(pass_path), "%s/pass.bpf.o", progs);
		if (access(pass_path, R_OK) ||
		    hermes_prog_load(dev, pass_path, NULL, &pass))
			pass = NULL;
		/* a machine shared with others: up to 3 tries for a fit */
		for (i = 0; i < 3; i++) {
			quiet_fit = i < 2;
			if (!measure_xfer(dev, pass ? pass : dp,
					  pass ? "pass.bpf.o" :
					  "the program itself", pass))
				break;
		}
		if (i == 3)
			goto out;
	}
	if (!A.insns.have)
		A.insns = A.insns_engine;
	bytes = size + A.out.v + ADVISE_RESULT_BYTES;

	/* host: the JIT's time per run, no command and no DMA */
	snprintf(tg[0].label, sizeof(tg[0].label), "host (kernel JIT)");
	if (A.host.have) {
		tg[0].have = true;
		tg[0].t.exec = A.host.v;
		tg[0].t.total = A.host.v;
	} else {
		snprintf(tg[0].why, sizeof(tg[0].why),
			 "this kernel's XDP test run shows a program fewer than %u linear bytes (the rest in fragments): not the same work; give a figure with --host-ns",
			 size);
	}

	/* the model */
	if (dev) {
		tg[1].have = true;
		tg[1].per_cmd = per_batch;
		snprintf(tg[1].label, sizeof(tg[1].label), "%s (model)",
			 hermes_dev_name(dev) + 5);
		advise_device(A.setup.v, A.lat.v, A.bw.v, records, per_batch,
			      bytes,
			      A.insns.v, A.ns_insn.v, &tg[1].t);
	} else {
		snprintf(tg[1].label, sizeof(tg[1].label), "model");
		snprintf(tg[1].why, sizeof(tg[1].why),
			 "no Hermes device (--dev none): nothing to measure");
	}

	/*
	 * An F1 card: the RTL has no BATCH RUN (EHCAPCMDS bit 2 clear,
	 * Documentation/hermes/cosim.rst): one command per record, and its
	 * data slot takes at most 4 KiB.  No card is measured here: its
	 * latency and bandwidth are the model's (the same XDMA driver path).
	 */
	snprintf(tg[2].label, sizeof(tg[2].label), "F1 card (RTL, %.0f MHz)",
		 ADV_F1_MHZ);
	if (size > ADV_F1_MAX_INPUT) {
		snprintf(tg[2].why, sizeof(tg[2].why),
			 "records over %u bytes do not fit the RTL's data slot",
			 ADV_F1_MAX_INPUT);
	} else if (!A.cpi.have) {
		snprintf(tg[2].why, sizeof(tg[2].why),
			 "no CPI table %.100s: make bench-rtl writes it",
			 A.rtl_file);
	} else {
		tg[2].have = true;
		tg[2].per_cmd = 1;
		tg[2].lower_bound = !dev;
		advise_device(dev ? A.setup.v : 0, dev ? A.lat.v : 0,
			      dev ? A.bw.v : 0, records, 1,
			      bytes, A.insns.v,
			      advise_ns_per_insn_cpi(A.cpi.v, ADV_F1_MHZ),
			      &tg[2].t);
		snprintf(tg[2].why, sizeof(tg[2].why), "%s",
			 dev ? "1 record per command (the RTL has no BATCH RUN); latency and bandwidth of the model" :
			 "execution only (no device measured the latency and DMA): at least this");
	}

	for (i = 0; i < 3; i++) {
		if (!tg[i].have || tg[i].lower_bound)
			continue;
		if (best < 0 || tg[i].t.total < tg[best].t.total) {
			second = best;
			best = i;
		} else if (second < 0 || tg[i].t.total < tg[second].t.total) {
			second = i;
		}
	}
	speed = second >= 0 ? advise_ratio(tg[second].t.total,
					   tg[best].t.total) : 0;

	if (json_output) {
		json_start();
		json_object_start(NULL);
		json_string("object", obj);
		json_string("prog", hermes_prog_name(fb));
		json_uint("record", size);
		json_uint("records", records);
		json_uint("records_per_batch", per_batch);
		json_string("device", dev ? hermes_dev_name(dev) : "none");
		json_string("clock", A.where);
		json_object_start("figures");
		json_fig("host_ns_per_run", &A.host, 1);
		json_fig("insns_per_record", &A.insns, 1);
		json_fig("insns_per_record_engine", &A.insns_engine, 1);
		json_fig("model_ns_per_insn", &A.ns_insn, 1);
		json_fig("setup_ns", &A.setup, 1);
		json_fig("latency_ns", &A.lat, 1);
		json_fig("dma_mb_per_s", &A.bw, 1e3);
		json_fig("output_bytes_per_record", &A.out, 1);
		json_fig("rtl_cpi", &A.cpi, 1);
		json_float("rtl_mhz", ADV_F1_MHZ);
		json_float("bytes_per_record", bytes);
		json_object_end();
		json_array_start("predictions");
		for (i = 0; i < 3; i++) {
			json_object_start(NULL);
			json_string("target", tg[i].name);
			json_string("label", tg[i].label);
			if (tg[i].have) {
				json_float("ns_per_record", tg[i].t.total);
				json_float("latency_ns", tg[i].t.latency);
				json_float("dma_ns", tg[i].t.dma);
				json_float("exec_ns", tg[i].t.exec);
				if (tg[i].per_cmd)
					json_uint("records_per_command",
						  tg[i].per_cmd);
				json_bool("lower_bound", tg[i].lower_bound);
			}
			if (tg[i].why[0])
				json_string(tg[i].have ? "note" : "not_possible",
					    tg[i].why);
			json_object_end();
		}
		json_array_end();
		json_object_start("verdict");
		json_string("target", best >= 0 ? tg[best].name : "none");
		if (best >= 0)
			json_string("label", tg[best].label);
		if (second >= 0) {
			json_string("next", tg[second].name);
			json_float("factor", speed);
		}
		json_object_end();
		json_bool("tcg_guest", strcmp(A.where, "native"));
		json_object_end();
		json_end();
		ret = 0;
		goto out;
	}

	printf("hermes advise: %s (%s), records of %u bytes, %llu records (%u MiB), %u a batch\n",
	       obj, hermes_prog_name(fb), size, (unsigned long long)records,
	       mib, per_batch);
	printf("figures (value, where it came from [clock]):\n");
	print_fig("host JIT time per run", &A.host, "%.1f", 1, "ns");
	print_fig("instructions per record", &A.insns, "%.1f", 1, "");
	if (A.insns.have && strcmp(A.insns.clock, "engine"))
		print_fig("  on the engine", &A.insns_engine, "%.1f", 1, "");
	print_fig("model time per instruction", &A.ns_insn, "%.3f", 1, "ns");
	print_fig("call setup", &A.setup, "%.0f", 1, "ns");
	print_fig("command latency", &A.lat, "%.0f", 1, "ns");
	print_fig("DMA bandwidth", &A.bw, "%.1f", 1e3, "MB/s");
	print_fig("output bytes per record", &A.out, "%.1f", 1, "B");
	print_fig("RTL cycles per instruction", &A.cpi, "%.2f", 1, "");
	printf("  %-30s %10.0f %-4s the F1 shell's clk_main_a0 (Documentation/hermes/rtl.rst)\n",
	       "RTL clock", ADV_F1_MHZ, "MHz");
	printf("predicted time per record (latency + DMA + execution):\n");
	for (i = 0; i < 3; i++) {
		const struct target *t = &tg[i];

		if (!t->have) {
			printf("  %-26s -            %s\n", t->label, t->why);
			continue;
		}
		printf("  %-26s %s%10.1f ns = %.1f + %.1f + %.1f%s%s\n", t->label,
		       t->lower_bound ? ">=" : "  ", t->t.total, t->t.latency,
		       t->t.dma, t->t.exec, t->why[0] ? ": " : "", t->why);
	}
	if (best < 0)
		printf("verdict: none (no target measured)\n");
	else if (second >= 0)
		printf("verdict: %s, %.1fx faster than %s\n", tg[best].label,
		       speed, tg[second].label);
	else
		printf("verdict: %s (nothing else measured)\n", tg[best].label);
	if (strcmp(A.where, "native"))
		printf("note: tcg-guest: this CPU is emulated by QEMU (TCG): the host JIT's time and the\n"
		       "  driver's part of the latency and DMA run at the emulated speed, the model's\n"
		       "  engine natively (its busy counter, QEMU's clock): not one footing; give the\n"
		       "  native figure of `hermes advise --dev none` on the host with --host-ns\n");
	ret = 0;
out:
	free(in);
	free(scratch);
	hermes_prog_free(pass);
	hermes_prog_free(dp);
	hermes_prog_free(fb);
	hermes_close(dev);
	hermes_close(none);
	return ret;
}
