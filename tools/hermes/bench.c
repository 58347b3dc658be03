// SPDX-License-Identifier: GPL-2.0-only
/*
 * hermes bench: the same XDP program over the same records on every path
 * that can run it, each timed on its own footing and checked after the
 * clock stops.
 *
 * Paths: a plain C version of the program (for the programs that have
 * one, below), this kernel's JIT once per record (BPF_PROG_TEST_RUN on a
 * kernel-loaded copy, only the system calls timed), the user-space
 * fallback (the device's engine in this process) and a Hermes device,
 * each from a memfd to a memfd (hermes_stream()) and in memory in place
 * (hermes_run_buffer()).  Every row runs several times; it prints the
 * median and the spread of the runs.  Only after the clock stops is a
 * run's output (kept bytes, every record's r0 and output length)
 * compared with the plain C version's and with this kernel's.
 *
 * Where the clock runs matters: in a VM under TCG the guest CPU is
 * emulated, so its figures say nothing next to native ones.  Each row
 * names where its clock ran; `make bench-batch` runs the native rows on
 * the host and the device rows in the VM and merges the two tables
 * (--from).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "filter-plain.h"
#include "hermes.h"

#define MAX_LIST 16
#define MAX_ROWS 512
#define MAX_RUNS 101
#define MAX_FROM 8

/* ------------------------------------------------------------------ */
/* Plain C versions of the programs (selftests/drivers/hermes/progs)   */

/*
 * Each runs one record in place: returns the XDP action and sets *len to
 * the record's length after the program (what bpf_xdp_adjust_tail() left).
 */
typedef uint32_t (*plain_fn)(uint8_t *d, uint32_t *len);

/* pass.bpf.c: every record kept as it is */
static uint32_t plain_pass(uint8_t *d, uint32_t *len)
{
	(void)d;
	(void)len;
	return XDP_PASS;
}

/* filter.bpf.c */
static uint32_t plain_filter(uint8_t *d, uint32_t *len)
{
	long n = filter_plain(d, *len);

	if (n < 0)
		return XDP_DROP;
	*len = n;
	return XDP_PASS;
}

static const struct {
	const char *name;
	plain_fn fn;
} plain_progs[] = {
	{ "pass", plain_pass },
	{ "filter", plain_filter },
};

static plain_fn plain_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(plain_progs) / sizeof(plain_progs[0]); i++)
		if (!strcmp(plain_progs[i].name, name))
			return plain_progs[i].fn;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Rows                                                                */

struct row {
	char prog[16];
	uint32_t size;
	char where[16];
	char path[24];
	uint32_t depth;
	uint64_t records;
	uint32_t runs;
	double mbs, mbs_min, mbs_max;	/* MB/s of input: median, spread */
	double nsr;			/* clock ns per record: median */
	double busy;			/* ns per record, median; < 0: none */
	double vs_c;			/* ns/rec over C's; < 0: none */
	uint64_t hash;
	char check[64];
};

static struct row rows[MAX_ROWS];
static int nrows;

static struct row *add_row(const char *prog, uint32_t size, const char *where,
			   const char *path, uint32_t depth)
{
	struct row *r;

	if (nrows == MAX_ROWS) {
		p_err("bench: more than %d rows", MAX_ROWS);
		return NULL;
	}
	r = &rows[nrows++];
	memset(r, 0, sizeof(*r));
	snprintf(r->prog, sizeof(r->prog), "%s", prog);
	snprintf(r->where, sizeof(r->where), "%s", where);
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->vs_c = -1;
	r->size = size;
	r->depth = depth;
	r->busy = -1;
	return r;
}

#define ROW_FMT "%-8s %7u %-10s %-14s %5s %8llu %4u %10.1f %21s %10.1f %11s %6s %016llx  %s\n"

static void print_columns(void)
{
	printf("# %-6s %7s %-10s %-14s %5s %8s %4s %10s %21s %10s %11s %6s %-16s  %s\n",
	       "prog", "record", "where", "path", "depth", "records", "runs",
	       "MB/s", "MB/s min-max", "ns/rec", "busy ns/rec", "vs C",
	       "hash", "output");
}

static void print_row(const struct row *r)
{
	char depth[16] = "-", spread[48], busy[24] = "-", vs_c[24] = "-";

	if (r->vs_c >= 0)
		snprintf(vs_c, sizeof(vs_c), r->vs_c < 100 ? "%.2f" : "%.0f",
			 r->vs_c);
	if (r->depth)
		snprintf(depth, sizeof(depth), "%u", r->depth);
	snprintf(spread, sizeof(spread), "%.1f-%.1f", r->mbs_min, r->mbs_max);
	if (r->busy >= 0)
		snprintf(busy, sizeof(busy), "%.1f", r->busy);
	printf(ROW_FMT, r->prog, r->size, r->where, r->path, depth,
	       (unsigned long long)r->records, r->runs, r->mbs, spread, r->nsr,
	       busy, vs_c, (unsigned long long)r->hash, r->check);
	fflush(stdout);
}

static bool is_native(const struct row *r)
{
	return !strcmp(r->where, "native");
}

/* "vs C": ns/rec over the native plain C row's, same program and size */
static void set_vs_c(int first)
{
	const struct row *c = NULL;
	int i;

	for (i = first; i < nrows; i++)
		if (!strcmp(rows[i].path, "c") && is_native(&rows[i]) &&
		    !strcmp(rows[i].prog, rows[first].prog) &&
		    rows[i].size == rows[first].size)
			c = &rows[i];
	for (i = first; i < nrows; i++) {
		struct row *r = &rows[i];

		if (c && is_native(r) && !strcmp(r->prog, c->prog) &&
		    r->size == c->size && c->nsr > 0)
			r->vs_c = r->nsr / c->nsr;
	}
}

/* ------------------------------------------------------------------ */
/* One program over one record size                                    */

struct rec {
	uint32_t r0;	/* low 32 bits: the XDP action */
	uint32_t len;	/* bytes in the output, 0 when not kept */
};

struct output {
	uint8_t *data;
	size_t len;
	struct rec *res;
};

struct bcase {
	const char *prog;
	uint32_t size;
	uint64_t n, len;	/* records, input bytes */
	const uint8_t *in;
	int in_fd, out_fd, res_fd;
	struct output run;	/* what the last run gave */
	uint8_t *raw;		/* its result table as read back */
	/* the references: plain C, this kernel, the fallback */
	struct output c, host, fb;
	bool have_c, have_host, have_fb;
	char host_err[96];
};

/* The records every bench run gets (xorshift64*, the same each time) */
void bench_records(uint8_t *in, uint64_t len)
{
	uint64_t k, x = 0x9e3779b97f4a7c15ULL;

	for (k = 0; k < len; k++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		in[k] = (x * 0x2545f4914f6cdd1dULL) >> 56;
	}
}

uint64_t bench_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* A fingerprint of an output, to compare tables made apart (--from) */
static uint64_t hash_words(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t w;

	for (; n; b += 8, n = n < 8 ? 0 : n - 8) {
		w = 0;
		memcpy(&w, b, n < 8 ? n : 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	return h;
}

static uint64_t output_hash(const struct bcase *c, const struct output *o)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ o->len;

	h = hash_words(h, o->data, o->len);
	return hash_words(h, o->res, c->n * sizeof(*o->res));
}

static bool same_output(const struct bcase *c, const struct output *a,
			const struct output *b)
{
	return a->len == b->len && !memcmp(a->data, b->data, a->len) &&
	       !memcmp(a->res, b->res, c->n * sizeof(*a->res));
}

static int alloc_output(const struct bcase *c, struct output *o)
{
	o->data = malloc(c->len);
	o->res = malloc(c->n * sizeof(*o->res));
	o->len = 0;
	if (!o->data || !o->res) {
		p_err("bench: out of memory");
		return -1;
	}
	return 0;
}

static void free_output(struct output *o)
{
	free(o->data);
	free(o->res);
	memset(o, 0, sizeof(*o));
}

static int save_output(const struct bcase *c, struct output *o)
{
	if (alloc_output(c, o))
		return -1;
	memcpy(o->data, c->run.data, c->run.len);
	memcpy(o->res, c->run.res, c->n * sizeof(*o->res));
	o->len = c->run.len;
	return 0;
}

static int reset_fd(int fd)
{
	if (ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET)) {
		p_err("bench: memfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* After the clock: the result table of a library run, as struct rec */
static int read_results(struct bcase *c)
{
	ssize_t got = pread(c->res_fd, c->raw, c->n * 16, 0);
	uint64_t k;

	if (got < 0) {
		p_err("bench: memfd: %s", strerror(errno));
		return -1;
	}
	for (k = 0; k < c->n; k++) {
		const uint8_t *e = c->raw + k * 16;

		if ((uint64_t)got < (k + 1) * 16) {
			/* a record that did not run differs from any reference */
			c->run.res[k].r0 = UINT32_MAX;
			c->run.res[k].len = UINT32_MAX;
			continue;
		}
		c->run.res[k].r0 = e[0] | e[1] << 8 | e[2] << 16 |
				   (uint32_t)e[3] << 24;
		c->run.res[k].len = e[8] | e[9] << 8 | e[10] << 16 |
				    (uint32_t)e[11] << 24;
	}
	return 0;
}

struct sample {
	uint64_t ns;	/* the clock of the run */
	int64_t busy;	/* the program's own ns, -1: not known */
};

/* plain C, in place, kept records compacted as hermes_run_buffer() does */
static void c_once(struct bcase *c, plain_fn fn, struct sample *s)
{
	uint8_t *buf = c->run.data;
	size_t out = 0;
	uint64_t k, t0;

	memcpy(buf, c->in, c->len);
	t0 = bench_ns();
	for (k = 0; k < c->n; k++) {
		uint8_t *d = buf + k * c->size;
		uint32_t len = c->size, r0;

		r0 = fn(d, &len);
		c->run.res[k].r0 = r0;
		c->run.res[k].len = r0 == XDP_PASS ? len : 0;
		if (r0 != XDP_PASS)
			continue;
		if (d != buf + out)
			memmove(buf + out, d, len);
		out += len;
	}
	s->ns = bench_ns() - t0;
	s->busy = s->ns;
	c->run.len = out;
}

/*
 * Does this kernel's XDP test run show a program all @size bytes of a
 * record?  It puts at most a page less headroom and tailroom (3520 bytes
 * on x86-64) in the linear data and the rest in fragments that a program
 * without xdp.frags never sees, so beyond that the host runs different
 * work.  Asked of the kernel itself: a program returning whether
 * data + @size <= data_end, run on @size bytes.  1 yes, 0 no, -errno when
 * the kernel refuses the probe.
 */
int xdp_test_whole(uint32_t size)
{
	const struct bpf_insn probe[] = {
		/* r2 = ctx->data, r3 = ctx->data_end, r0 = 0 */
		{ .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 2, .src_reg = 1,
		  .off = offsetof(struct xdp_md, data) },
		{ .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 3, .src_reg = 1,
		  .off = offsetof(struct xdp_md, data_end) },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		/* if (r2 + size > r3) return 0; return 1; */
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 2,
		  .imm = (int32_t)size },
		{ .code = BPF_JMP | BPF_JGT | BPF_X, .dst_reg = 2, .src_reg = 3,
		  .off = 1 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	uint8_t *buf;
	int fd, err;

	if (size > 0xffff)	/* beyond the verifier's packet offsets */
		return 0;
	buf = calloc(1, size);
	if (!buf)
		return -ENOMEM;
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "hermes_linear", "GPL", probe,
			   sizeof(probe) / sizeof(probe[0]), NULL);
	if (fd < 0) {
		err = -errno;
	} else {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf,
			    .data_size_in = size, .repeat = 1);

		err = bpf_prog_test_run_opts(fd, &opts) ? -errno :
		      opts.retval == 1;
		close(fd);
	}
	free(buf);
	return err;
}

/*
 * This kernel's JIT, one BPF_PROG_TEST_RUN per record: only the system
 * calls are in the clock.  Each output lands compacted in the run's
 * buffer; busy is the sum of the kernel's own durations of the program.
 */
static int jit_once(struct bcase *c, int prog_fd, struct sample *s)
{
	uint64_t k, t0, busy = 0;
	size_t out = 0;
	int err = 0;

	t0 = bench_ns();
	for (k = 0; k < c->n; k++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts,
			    .data_in = c->in + k * c->size,
			    .data_size_in = c->size,
			    .data_out = c->run.data + out,
			    .data_size_out = c->size,
			    .repeat = 1);

		err = bpf_prog_test_run_opts(prog_fd, &opts);
		if (err)
			break;
		busy += opts.duration;
		c->run.res[k].r0 = opts.retval;
		c->run.res[k].len = 0;
		if (opts.retval == XDP_PASS) {
			c->run.res[k].len = opts.data_size_out;
			out += opts.data_size_out;
		}
	}
	s->ns = bench_ns() - t0;
	s->busy = busy;
	c->run.len = out;
	return err ? -errno : 0;
}

/* The library on a device or the fallback: memfd to memfd, or in memory */
static int lib_once(struct bcase *c, struct hermes_prog *prog, bool mem,
		    uint32_t depth, struct sample *s)
{
	HERMES_OPTS(hermes_stream_opts, o,
		.record_size = c->size, .depth = depth, .res_fd = c->res_fd,
	);
	struct hermes_stats st;
	uint64_t t0;
	ssize_t got;
	int err;

	if (reset_fd(c->res_fd))
		return -1;
	if (mem) {
		memcpy(c->run.data, c->in, c->len);
		t0 = bench_ns();
		err = hermes_run_buffer(prog, c->run.data, c->len, &o, &st,
					&c->run.len);
		s->ns = bench_ns() - t0;
	} else {
		if (lseek(c->in_fd, 0, SEEK_SET) || reset_fd(c->out_fd))
			return -1;
		t0 = bench_ns();
		err = hermes_stream(prog, c->in_fd, c->out_fd, &o, &st);
		s->ns = bench_ns() - t0;
	}
	if (err) {
		p_err("%s", hermes_strerror());
		return -1;
	}
	if (!mem) {
		got = pread(c->out_fd, c->run.data, c->len, 0);
		if (got < 0 || lseek(c->out_fd, 0, SEEK_END) != got) {
			p_err("bench: output memfd: %s",
			      got < 0 ? strerror(errno) : "longer than the input");
			return -1;
		}
		c->run.len = got;
	}
	s->busy = st.device_ns ? (int64_t)st.device_ns : -1;
	return read_results(c);
}

enum bench_path {
	BP_C, BP_JIT, BP_FB_MEMFD, BP_FB_MEM, BP_HM_MEMFD, BP_HM_MEM,
};

static const char *const path_names[] = {
	[BP_C] = "c",
	[BP_JIT] = "jit",
	[BP_FB_MEMFD] = "fallback-memfd",
	[BP_FB_MEM] = "fallback-mem",
	[BP_HM_MEMFD] = "hermes-memfd",
	[BP_HM_MEM] = "hermes-mem",
};

struct runner {
	plain_fn fn;
	int prog_fd;			/* this kernel's copy */
	struct hermes_prog *fb, *dev;
};

static int run_once(struct bcase *c, const struct runner *rn,
		    enum bench_path p, uint32_t depth, struct sample *s)
{
	switch (p) {
	case BP_C:
		c_once(c, rn->fn, s);
		return 0;
	case BP_JIT:
		return jit_once(c, rn->prog_fd, s);
	case BP_FB_MEMFD:
	case BP_FB_MEM:
		return lib_once(c, rn->fb, p == BP_FB_MEM, depth, s);
	default:
		return lib_once(c, rn->dev, p == BP_HM_MEM, depth, s);
	}
}

/* The references a path's output is checked against */
#define CHK_C		1
#define CHK_HOST	2
#define CHK_FB		4

static unsigned int checks_of(const struct bcase *c, enum bench_path p)
{
	unsigned int m = 0;

	if (p == BP_C)
		return 0;
	if (c->have_c)
		m |= CHK_C;
	if (c->have_host && p != BP_JIT)
		m |= CHK_HOST;
	if (!m && c->have_fb)
		m |= CHK_FB;
	return m;
}

/* which of the references in @m the last run differs from */
static unsigned int differs(const struct bcase *c, unsigned int m)
{
	unsigned int d = 0;

	if ((m & CHK_C) && !same_output(c, &c->run, &c->c))
		d |= CHK_C;
	if ((m & CHK_HOST) && !same_output(c, &c->run, &c->host))
		d |= CHK_HOST;
	if ((m & CHK_FB) && !same_output(c, &c->run, &c->fb))
		d |= CHK_FB;
	return d;
}

static void check_text(char *buf, size_t sz, unsigned int m, unsigned int d)
{
	static const char *const names[] = { "C", "host", "fallback" };
	size_t len = 0;
	int i;

	if (!m) {
		snprintf(buf, sz, "reference");
		return;
	}
	buf[0] = 0;
	for (i = 0; i < 3; i++) {
		if (!(m & 1u << i))
			continue;
		len += snprintf(buf + len, sz - len, "%s%s %s", len ? ", " : "",
				d & 1u << i ? "DIFFERS from" : "=", names[i]);
		if (len >= sz)
			break;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char *where_cpu;	/* where this process's clock runs */
static uint32_t runs = 5;

/* A row: @runs runs, each checked after its clock; 1 when a run differs */
static int measure(struct bcase *c, const struct runner *rn,
		   enum bench_path p, uint32_t depth)
{
	double mbs[MAX_RUNS], nsr[MAX_RUNS], busy[MAX_RUNS];
	unsigned int m = checks_of(c, p), d = 0;
	char where[24];
	struct row *r;
	uint32_t i, nbusy = 0;

	snprintf(where, sizeof(where), "%s", where_cpu);
	if (p == BP_HM_MEMFD || p == BP_HM_MEM) {
		/* the clock is the guest's, the engine's time the device's */
		if (!strcmp(where_cpu, "native"))
			snprintf(where, sizeof(where), "device");
		else
			snprintf(where, sizeof(where), "%.3s+device", where_cpu);
	}
	r = add_row(c->prog, c->size, where, path_names[p],
		    p >= BP_FB_MEMFD ? depth : 0);
	if (!r)
		return -1;
	for (i = 0; i < runs; i++) {
		struct sample s;
		double sec;

		if (run_once(c, rn, p, depth, &s)) {
			nrows--;
			return -1;
		}
		/* the clock has stopped */
		d |= differs(c, m);
		sec = (s.ns ? s.ns : 1) / 1e9;
		mbs[i] = c->len / sec / 1e6;
		nsr[i] = sec * 1e9 / c->n;
		if (s.busy >= 0)
			busy[nbusy++] = (double)s.busy / c->n;
	}
	r->records = c->n;
	r->runs = runs;
	r->nsr = median(nsr, runs);
	r->mbs = median(mbs, runs);	/* sorts mbs[] */
	r->mbs_min = mbs[0];
	r->mbs_max = mbs[runs - 1];
	if (nbusy == runs)
		r->busy = median(busy, nbusy);
	r->hash = output_hash(c, &c->run);
	check_text(r->check, sizeof(r->check), m, d);
	return d ? 1 : 0;
}

/* The references of a case, each computed once outside any clock */
static int make_refs(struct bcase *c, const struct runner *rn)
{
	struct sample s;
	int err;

	if (rn->fn) {
		c_once(c, rn->fn, &s);
		if (save_output(c, &c->c))
			return -1;
		c->have_c = true;
	}
	/* a record the kernel only shows in part is not the same work */
	err = xdp_test_whole(c->size) == 0 ? -EMSGSIZE :
	      jit_once(c, rn->prog_fd, &s);
	if (err == -EMSGSIZE) {
		snprintf(c->host_err, sizeof(c->host_err),
			 "its XDP test run shows fewer than %u linear bytes",
			 c->size);
	} else if (!err) {
		if (save_output(c, &c->host))
			return -1;
		c->have_host = true;
	} else {
		snprintf(c->host_err, sizeof(c->host_err), "%s",
			 strerror(-err));
	}
	if (!c->have_c && !c->have_host) {
		if (lib_once(c, rn->fb, true, 1, &s) || save_output(c, &c->fb))
			return -1;
		c->have_fb = true;
	}
	return 0;
}

static void free_case(struct bcase *c)
{
	free_output(&c->run);
	free_output(&c->c);
	free_output(&c->host);
	free_output(&c->fb);
	free(c->raw);
	c->raw = NULL;
	c->have_c = false;
	c->have_host = false;
	c->have_fb = false;
}

/* ------------------------------------------------------------------ */
/* Tables                                                              */

/* The lines of a table's header kept in a merged one */
static bool is_note(const char *line)
{
	static const char *const keep[] = {
		"# hermes bench", "# command:", "# machine:", "# device:",
		"# stderr:",
	};
	size_t i;

	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (!strncmp(line, keep[i], strlen(keep[i])))
			return true;
	return strstr(line, ": jit: the kernel refuses");
}

/* Rows of a table this command printed (e.g. in the VM), for --from */
static int read_table(const char *file, bool echo)
{
	char line[512];
	FILE *f = fopen(file, "r");
	int ln = 0, n0 = nrows;

	if (!f) {
		p_err("bench: %s: %s", file, strerror(errno));
		return -1;
	}
	if (echo && !json_output)
		printf("# from %s:\n", file);
	while (fgets(line, sizeof(line), f)) {
		char prog[16], where[16], path[24], depth[16], busy[24];
		char vs_c[16], check[64];
		unsigned long long recs, hash;
		unsigned int size, nruns;
		double mbs, lo, hi, nsr;
		struct row *r;

		ln++;
		if (line[0] == '#') {
			/* the dates, commands and notes of the tables merged */
			if (echo && !json_output && is_note(line))
				printf("#   %s", line + 2);
			continue;
		}
		if (line[strspn(line, " \t\n")] == 0)
			continue;
		if (sscanf(line, "%15s %u %15s %23s %15s %llu %u %lf %lf-%lf %lf %23s %15s %llx %63[^\n]",
			   prog, &size, where, path, depth, &recs, &nruns,
			   &mbs, &lo, &hi, &nsr, busy, vs_c, &hash,
			   check) != 15) {
			p_err("bench: %s:%d: not a row of hermes bench", file, ln);
			fclose(f);
			return -1;
		}
		r = add_row(prog, size, where, path,
			    strcmp(depth, "-") ? atoi(depth) : 0);
		if (!r) {
			fclose(f);
			return -1;
		}
		r->records = recs;
		r->runs = nruns;
		r->mbs = mbs;
		r->mbs_min = lo;
		r->mbs_max = hi;
		r->nsr = nsr;
		r->busy = strcmp(busy, "-") ? atof(busy) : -1;
		r->hash = hash;
		snprintf(r->check, sizeof(r->check), "%s", check);
	}
	fclose(f);
	if (nrows == n0) {
		p_err("bench: %s: no rows of hermes bench", file);
		return -1;
	}
	return 0;
}

/*
 * The rows of the tables read, grouped by program and record size: vs C
 * again over all of them, and every row's output hash must be that of
 * the group's first row (the tables ran on the same records).
 */
static int merge_rows(void)
{
	static struct row sorted[MAX_ROWS];
	bool used[MAX_ROWS] = { false };
	int i, j, n = 0, ret = 0;

	for (i = 0; i < nrows; i++) {
		if (used[i])
			continue;
		for (j = i; j < nrows; j++) {
			struct row *r = &rows[j];

			if (used[j] || strcmp(r->prog, rows[i].prog) ||
			    r->size != rows[i].size)
				continue;
			used[j] = true;
			sorted[n] = *r;
			if (r->hash != rows[i].hash || r->records != rows[i].records) {
				snprintf(sorted[n].check, sizeof(sorted[n].check),
					 "DIFFERS from the %s row (hash)",
					 rows[i].path);
			}
			if (strstr(sorted[n].check, "DIFFERS"))
				ret = 4;
			sorted[n].vs_c = -1;
			n++;
		}
	}
	memcpy(rows, sorted, sizeof(rows[0]) * n);
	for (i = 0; i < nrows; i++)
		if (!i || strcmp(rows[i].prog, rows[i - 1].prog) ||
		    rows[i].size != rows[i - 1].size)
			set_vs_c(i);
	return ret;
}

static void print_legend(void)
{
	printf("# MB/s: input bytes per second of each run's clock, median of the runs\n"
	       "#   and min-max; ns/rec: the clock per record, median.  pass never\n"
	       "#   reads its data: its rows are per-record overhead (ns/rec), not a\n"
	       "#   data rate\n"
	       "# where the clock runs: native = this machine's CPU (also a hardware-\n"
	       "#   virtualised guest's); tcg-guest = a guest\n"
	       "#   CPU emulated by QEMU (TCG): NOT comparable with native figures;\n"
	       "#   tcg+device = the guest's clock around a Hermes device (driver,\n"
	       "#   io_uring, pinning under TCG), while the device engine runs natively\n"
	       "# path: c = a plain C version of the program, in place; jit = the\n"
	       "#   kernel's JIT, one BPF_PROG_TEST_RUN per record (only the system\n"
	       "#   calls timed); fallback = the device's engine in this process\n"
	       "#   (--dev none); hermes = a Hermes device; -memfd = hermes_stream()\n"
	       "#   from a memfd to a memfd, -mem = hermes_run_buffer() in place;\n"
	       "#   depth = batches in flight (fallback: threads)\n"
	       "# busy ns/rec: the program's own time per record, median: c = its\n"
	       "#   clock; jit = the kernel's test-run duration (no system call, no\n"
	       "#   copy); hermes = the device engine's busy time (native, in QEMU);\n"
	       "#   per-record overhead for a program that does not read its data\n"
	       "# vs C: ns/rec over the native c row's (2.00: half as fast), for\n"
	       "#   native rows only\n"
	       "# output: compared after the clock, every run, with the plain C\n"
	       "#   version (C) and with this kernel's run of the same program (host):\n"
	       "#   kept bytes, every record's r0 and output length; hash: of the same\n");
}

static int write_plot(const char *png)
{
	char dat[] = "/tmp/hermes-bench-XXXXXX";
	uint32_t lo = UINT32_MAX, hi = 0;
	bool *done;
	FILE *f, *g;
	int fd, i, ret;

	f = fopen(png, "w");
	if (!f) {
		p_err("bench: %s: %s", png, strerror(errno));
		return -1;
	}
	fclose(f);
	fd = mkstemp(dat);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		p_err("bench: %s: %s", dat, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(dat);
		}
		return -1;
	}
	done = calloc(nrows, sizeof(*done));
	/* one data block per (program, where, path, depth) series */
	for (i = 0; done && i < nrows; i++) {
		int j;

		if (done[i])
			continue;
		fprintf(f, "\"%s %s %s%s%.0u\"\n", rows[i].prog, rows[i].where,
			rows[i].path, rows[i].depth ? " qd " : "",
			rows[i].depth);
		for (j = i; j < nrows; j++) {
			if (strcmp(rows[j].prog, rows[i].prog) ||
			    strcmp(rows[j].where, rows[i].where) ||
			    strcmp(rows[j].path, rows[i].path) ||
			    rows[j].depth != rows[i].depth)
				continue;
			fprintf(f, "%u %.3f %.3f %.3f\n", rows[j].size,
				rows[j].mbs, rows[j].mbs_min, rows[j].mbs_max);
			done[j] = true;
			lo = rows[j].size < lo ? rows[j].size : lo;
			hi = rows[j].size > hi ? rows[j].size : hi;
		}
		fprintf(f, "\n\n");
	}
	free(done);
	fclose(f);
	g = popen("gnuplot 2>&1", "w");
	if (!g) {
		p_err("bench: popen gnuplot: %s", strerror(errno));
		unlink(dat);
		return -1;
	}
	/* the record sizes as tics: one size alone gets none on a log axis */
	fprintf(g, "set xtics (");
	for (i = 0; i < nrows; i++) {
		int j;

		for (j = 0; j < i && rows[j].size != rows[i].size; j++)
			;
		if (j == i)
			fprintf(g, "%s\"%u\" %u", i ? ", " : "", rows[i].size,
				rows[i].size);
	}
	fprintf(g, ")\n");
	fprintf(g,
		"set terminal png size 1200,680 noenhanced\n"
		"set output '%s'\n"
		"set title \"hermes bench: MB/s of input, median and min-max of the runs\\n"
		"tcg: the clock of an emulated guest, not comparable with native ones; pass reads no data\"\n"
		"set logscale xy\nset xlabel 'record size (bytes)'\n"
		"set ylabel 'MB/s of input'\nset key outside right\n"
		"set grid\nset xrange [%g:%g]\n"
		"plot for [i=0:*] '%s' index i using 1:2:3:4 with yerrorlines title columnheader(1)\n",
		png, lo / 1.5, hi * 1.5, dat);
	ret = pclose(g);
	unlink(dat);
	if (ret) {
		if (WIFEXITED(ret) && WEXITSTATUS(ret) == 127)
			p_err("bench: --plot needs gnuplot (Debian package gnuplot-nox)");
		else
			p_err("bench: gnuplot failed (status %d)", ret);
		return -1;
	}
	if (!quiet_output && !json_output)
		fprintf(stderr, "hermes bench: plot written to %s\n", png);
	return 0;
}

/* ------------------------------------------------------------------ */

/*
 * Where this process's clock runs, from the CPU's model name: QEMU's TCG
 * names its CPUs so; a hardware-virtualised guest's CPU runs natively.
 */
const char *detect_where(bool *hv)
{
	char line[512];
	const char *w = "native";
	FILE *f = fopen("/proc/cpuinfo", "r");

	*hv = false;
	if (!f)
		return w;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "model name", 10) && strstr(line, "QEMU TCG"))
			w = "tcg-guest";
		if (!strncmp(line, "flags", 5) && strstr(line, " hypervisor"))
			*hv = true;
	}
	fclose(f);
	return w;
}

/* What a table says of itself: when, how and where it was made */
static struct {
	char date[64];
	char command[1024];
	char machine[384];
	char device[64];
	uint32_t mib;
} info;

static void set_info(int argc, char **argv)
{
	time_t t = time(NULL);
	size_t len;
	int i;

	strftime(info.date, sizeof(info.date), "%Y-%m-%d %H:%M:%S UTC",
		 gmtime(&t));
	len = snprintf(info.command, sizeof(info.command), "hermes");
	for (i = 0; i < argc && len < sizeof(info.command); i++)
		len += snprintf(info.command + len, sizeof(info.command) - len,
				" %s", argv[i]);
}

static void set_machine(bool hv)
{
	char model[128] = "?", line[512];
	struct utsname u;
	FILE *f;

	f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && p) {
			snprintf(model, sizeof(model), "%s", p + 2);
			model[strcspn(model, "\n")] = 0;
			break;
		}
	}
	if (f)
		fclose(f);
	uname(&u);
	snprintf(info.machine, sizeof(info.machine), "%s %s %s, %s, %ld CPUs%s",
		 u.sysname, u.release, u.machine, model,
		 sysconf(_SC_NPROCESSORS_ONLN), hv ? " (a virtual machine)" : "");
}

static void print_header(void)
{
	printf("# hermes bench, %s\n# command: %s\n", info.date, info.command);
	printf("# machine: %s; the clock runs: %s\n", info.machine, where_cpu);
	printf("# device: %s; %u MiB of records per run (at most 65536 records), %u runs a row\n",
	       info.device, info.mib, runs);
	print_legend();
	print_columns();
}

/* -j: the table as one JSON object, its rows an array */
static void print_json(int nfrom, const char *const *from)
{
	int i;

	json_start();
	json_object_start(NULL);
	json_string("date", info.date);
	json_string("command", info.command);
	if (nfrom) {
		json_array_start("from");
		for (i = 0; i < nfrom; i++)
			json_string(NULL, from[i]);
		json_array_end();
	} else {
		json_string("machine", info.machine);
		json_string("clock", where_cpu);
		json_string("device", info.device);
		json_uint("mib", info.mib);
		json_uint("runs", runs);
	}
	json_array_start("rows");
	for (i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		char hash[24];

		json_object_start(NULL);
		json_string("prog", r->prog);
		json_uint("record", r->size);
		json_string("where", r->where);
		json_string("path", r->path);
		if (r->depth)
			json_uint("depth", r->depth);
		json_uint("records", r->records);
		json_uint("runs", r->runs);
		json_float("mbs", r->mbs);
		json_float("mbs_min", r->mbs_min);
		json_float("mbs_max", r->mbs_max);
		json_float("ns_per_record", r->nsr);
		if (r->busy >= 0)
			json_float("busy_ns_per_record", r->busy);
		if (r->vs_c >= 0)
			json_float("vs_c", r->vs_c);
		snprintf(hash, sizeof(hash), "%016llx",
			 (unsigned long long)r->hash);
		json_string("hash", hash);
		json_string("output", r->check);
		json_bool("differs", strstr(r->check, "DIFFERS"));
		json_object_end();
	}
	json_array_end();
	json_object_end();
	json_end();
}

static int parse_list(const char *s, uint32_t *v, int *n, const char *what)
{
	char *copy = strdup(s), *tok, *save = NULL;
	int ret = 0;

	*n = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_LIST || parse_u32(tok, what, &v[*n]) || !v[*n]) {
			p_err("%s: a list of at most %d positive numbers",
			      what, MAX_LIST);
			ret = -1;
			break;
		}
		(*n)++;
	}
	free(copy);
	return ret;
}

#define WANT_C		1
#define WANT_JIT	2
#define WANT_FB		4
#define WANT_HERMES	8

static int parse_paths(const char *s, unsigned int *want)
{
	char *copy = strdup(s), *tok, *save = NULL;
	int ret = 0;

	*want = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "c")) {
			*want |= WANT_C;
		} else if (!strcmp(tok, "jit")) {
			*want |= WANT_JIT;
		} else if (!strcmp(tok, "fallback")) {
			*want |= WANT_FB;
		} else if (!strcmp(tok, "hermes")) {
			*want |= WANT_HERMES;
		} else {
			p_err("--paths: a list of c, jit, fallback, hermes");
			ret = -1;
			break;
		}
	}
	free(copy);
	return ret || !*want ? -1 : 0;
}

/* One program at one record size: every path wanted, a row each */
static int bench_case(struct bcase *c, struct hermes_dev *none,
		      struct hermes_dev *dev, const char *path,
		      unsigned int want, const uint32_t *depths, int ndepths)
{
	struct runner rn = { .fn = plain_find(c->prog) };
	int di, first = nrows, err = 0, ret = 0, k;

	if (hermes_prog_load(none, path, NULL, &rn.fb)) {
		p_err("%s", hermes_strerror());
		return -1;
	}
	rn.prog_fd = hermes_prog_fd(rn.fb);
	if (dev && hermes_prog_load(dev, path, NULL, &rn.dev)) {
		p_err("%s", hermes_strerror());
		err = -1;
		goto out;
	}
	c->raw = malloc(c->n * 16);
	if (!c->raw || alloc_output(c, &c->run) || make_refs(c, &rn)) {
		err = -1;
		goto out;
	}
	if (!c->have_host && !json_output)
		printf("# %s %u: jit: the kernel refuses it (%s); no check against it\n",
		       c->prog, c->size, c->host_err);
	if (rn.fn && (want & WANT_C))
		ret |= err = measure(c, &rn, BP_C, 0);
	if (err >= 0 && c->have_host && (want & WANT_JIT))
		ret |= err = measure(c, &rn, BP_JIT, 0);
	if (err >= 0 && (want & WANT_FB))
		ret |= err = measure(c, &rn, BP_FB_MEMFD, 1);
	if (err >= 0 && (want & WANT_FB))
		ret |= err = measure(c, &rn, BP_FB_MEM, 1);
	for (di = 0; err >= 0 && rn.dev && di < ndepths; di++)
		ret |= err = measure(c, &rn, BP_HM_MEMFD, depths[di]);
	for (di = 0; err >= 0 && rn.dev && di < ndepths; di++)
		ret |= err = measure(c, &rn, BP_HM_MEM, depths[di]);
	set_vs_c(first);
	for (k = first; !json_output && k < nrows; k++)
		print_row(&rows[k]);
	if (err < 0)
		ret = -1;
out:
	free_case(c);
	hermes_prog_free(rn.fb);
	hermes_prog_free(rn.dev);
	return err < 0 ? -1 : ret;
}

int do_bench(int argc, char **argv)
{
	enum {
		O_DEV = 256, O_PROGS, O_SIZES, O_DEPTHS, O_MIB, O_RUNS, O_PATHS,
		O_PLOT, O_FROM, O_PROGRAMS,
	};
	static const struct option lopts[] = {
		{ "dev", required_argument, NULL, O_DEV },
		{ "progs", required_argument, NULL, O_PROGS },
		{ "sizes", required_argument, NULL, O_SIZES },
		{ "depths", required_argument, NULL, O_DEPTHS },
		{ "mib", required_argument, NULL, O_MIB },
		{ "runs", required_argument, NULL, O_RUNS },
		{ "paths", required_argument, NULL, O_PATHS },
		{ "plot", required_argument, NULL, O_PLOT },
		{ "from", required_argument, NULL, O_FROM },
		{ "programs", required_argument, NULL, O_PROGRAMS },
		/* hermes's own options, also among the command's */
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char *progs[MAX_LIST], *names = strdup("pass,filter"), *save = NULL;
	uint32_t sizes[MAX_LIST], depths[MAX_LIST], mib = 16;
	int nsizes = 3, ndepths = 3, c, si, pi, ret = 0, nprogs = 0, nfrom = 0;
	const char *devname = NULL, *plot = NULL, *from[MAX_FROM];
	char dir[PATH_MAX], path[PATH_MAX + 32];
	struct hermes_dev *dev = NULL, *none = NULL;
	unsigned int want = 0;
	bool hv;
	struct bcase bc = { .in_fd = -1, .out_fd = -1, .res_fd = -1 };
	uint8_t *in = NULL;
	ssize_t len;

	sizes[0] = 64;
	sizes[1] = 512;
	sizes[2] = 1500;
	depths[0] = 1;
	depths[1] = 4;
	depths[2] = 32;
	len = readlink("/proc/self/exe", dir, sizeof(dir) - 8);
	if (len < 0)
		len = 0;
	dir[len] = 0;
	if (strrchr(dir, '/'))
		strcpy(strrchr(dir, '/'), "/progs");
	optind = 0;
	while ((c = getopt_long(argc, argv, "jpqdh", lopts, NULL)) != -1) {
		if (!common_opt(c))
			continue;
		switch (c) {
		case O_DEV:
			devname = optarg;
			break;
		case O_PROGS:
			snprintf(dir, sizeof(dir), "%s", optarg);
			break;
		case O_SIZES:
			if (parse_list(optarg, sizes, &nsizes, "--sizes"))
				goto usage;
			break;
		case O_DEPTHS:
			if (parse_list(optarg, depths, &ndepths, "--depths"))
				goto usage;
			break;
		case O_MIB:
			if (parse_u32(optarg, "--mib", &mib) || !mib ||
			    mib > 1024) {
				p_err("--mib: 1 to 1024");
				goto usage;
			}
			break;
		case O_RUNS:
			if (parse_u32(optarg, "--runs", &runs) || !runs ||
			    runs > MAX_RUNS) {
				p_err("--runs: 1 to %d", MAX_RUNS);
				goto usage;
			}
			break;
		case O_PATHS:
			if (parse_paths(optarg, &want))
				goto usage;
			break;
		case O_PLOT:
			plot = optarg;
			break;
		case O_FROM:
			if (nfrom == MAX_FROM) {
				p_err("--from: at most %d tables", MAX_FROM);
				goto usage;
			}
			from[nfrom++] = optarg;
			break;
		case O_PROGRAMS:
			free(names);
			names = strdup(optarg);
			break;
		case 'h':
			free(names);
			fputs(help_bench, stdout);
			return 0;
		default:
			goto usage;
		}
	}
	if (optind < argc) {
		p_err("bench: unexpected argument '%s'", argv[optind]);
		goto usage;
	}
	for (progs[0] = strtok_r(names, ",", &save); progs[nprogs];
	     progs[nprogs] = strtok_r(NULL, ",", &save)) {
		if (strlen(progs[nprogs]) > 15 || ++nprogs == MAX_LIST) {
			p_err("--programs: at most %d names of at most 15 characters",
			      MAX_LIST - 1);
			goto usage;
		}
	}
	set_info(argc, argv);
	if (nfrom) {
		/* merge tables printed earlier; with --plot, plot them only */
		free(names);
		if (!plot && !json_output)
			printf("# hermes bench, %s: tables merged\n# command: %s\n",
			       info.date, info.command);
		for (c = 0; c < nfrom; c++)
			if (read_table(from[c], !plot))
				return 1;
		ret = merge_rows();
		if (plot)
			return write_plot(plot) ? 1 : ret;
		if (json_output) {
			print_json(nfrom, from);
			return ret;
		}
		print_legend();
		print_columns();
		for (c = 0; c < nrows; c++)
			print_row(&rows[c]);
		return ret;
	}

	where_cpu = detect_where(&hv);
	if (!want)
		want = WANT_C | WANT_JIT | WANT_FB |
		       (devname && !strcmp(devname, "none") ? 0 : WANT_HERMES);
	if (hermes_open("none", &none)) {
		p_err("%s", hermes_strerror());
		ret = 1;
		goto out;
	}
	if (want & WANT_HERMES) {
		if (devname && !strcmp(devname, "none")) {
			p_err("bench: --paths hermes needs a device, not --dev none");
			ret = 2;
			goto out;
		}
		if (hermes_open(devname, &dev)) {
			p_err("%s", hermes_strerror());
			ret = 1;
			goto out;
		}
		if (hermes_dev_is_fallback(dev)) {
			/* no device: the table has no hermes rows */
			if (devname || want == WANT_HERMES) {
				p_err("bench: no Hermes device");
				ret = 1;
				goto out;
			}
			hermes_close(dev);
			dev = NULL;
		}
	}
	bc.in_fd = memfd_create("hermes-bench-in", MFD_CLOEXEC);
	bc.out_fd = memfd_create("hermes-bench-out", MFD_CLOEXEC);
	bc.res_fd = memfd_create("hermes-bench-res", MFD_CLOEXEC);
	if (bc.in_fd < 0 || bc.out_fd < 0 || bc.res_fd < 0) {
		p_err("bench: memfd_create: %s", strerror(errno));
		ret = 1;
		goto out;
	}
	set_machine(hv);
	snprintf(info.device, sizeof(info.device), "%s",
		 dev ? hermes_dev_name(dev) : "none");
	info.mib = mib;
	if (!json_output)
		print_header();

	for (si = 0; si < nsizes; si++) {
		uint32_t size = sizes[si];
		uint64_t n = (uint64_t)mib << 20;

		n /= size;
		if (n > 65536)
			n = 65536;
		if (!n)
			n = 1;
		free(in);
		in = malloc(n * size);
		if (!in) {
			p_err("bench: out of memory");
			ret = 1;
			goto out;
		}
		bench_records(in, n * size);
		if (reset_fd(bc.in_fd) || pwrite(bc.in_fd, in, n * size, 0) !=
		    (ssize_t)(n * size)) {
			p_err("bench: memfd: %s", strerror(errno));
			ret = 1;
			goto out;
		}
		for (pi = 0; pi < nprogs; pi++) {
			int err;

			bc.prog = progs[pi];
			bc.size = size;
			bc.n = n;
			bc.len = n * size;
			bc.in = in;
			snprintf(path, sizeof(path), "%s/%s.bpf.o", dir,
				 progs[pi]);
			err = bench_case(&bc, none, dev, path, want, depths,
					 ndepths);
			if (err < 0) {
				ret = 1;
				goto out;
			}
			if (err)
				ret = 4;
		}
	}
	if (json_output)
		print_json(0, NULL);
	if (plot && write_plot(plot))
		ret = 1;
out:
	free(names);
	free(in);
	if (bc.in_fd >= 0)
		close(bc.in_fd);
	if (bc.out_fd >= 0)
		close(bc.out_fd);
	if (bc.res_fd >= 0)
		close(bc.res_fd);
	hermes_close(dev);
	hermes_close(none);
	return ret;
usage:
	free(names);
	fputs(help_bench, stderr);
	return 2;
}
