// SPDX-License-Identifier: GPL-2.0-only
/*
 * hermes bench: record stream throughput over record sizes and queue
 * depths, on a Hermes device, with the user-space fallback, and on the
 * host kernel running the same program once per record
 * (BPF_PROG_TEST_RUN on a host-loaded copy).  Each path's output is
 * checked against the host's (or, where the host refuses the record size,
 * the fallback's).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "hermes.h"

#define MAX_LIST 16
#define MAX_ROWS 256

struct row {
	char prog[16];
	uint32_t size;
	char path[48];
	uint32_t depth;
	uint64_t records;
	double mbs, krs, dev_mbs;
	const char *check;
};

static struct row rows[MAX_ROWS];
static int nrows;

static uint64_t bench_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

#define FNV0 0xcbf29ce484222325ULL

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

/* A row's rates from a run's statistics: end to end and device time. */
static void row_rates(struct row *r, const struct hermes_stats *st)
{
	r->records = st->records_in;
	r->mbs = st->bytes_in / (st->ns / 1e9) / 1e6;
	r->krs = st->records_in / (st->ns / 1e9) / 1e3;
	if (st->device_ns)
		r->dev_mbs = st->bytes_in / (st->device_ns / 1e9) / 1e6;
}

/* the output hash of a stream: read back the output memfd */
static uint64_t fd_hash(int fd)
{
	uint8_t buf[1 << 16];
	uint64_t h = FNV0;
	off_t off = 0;
	ssize_t r;

	while ((r = pread(fd, buf, sizeof(buf), off)) > 0) {
		h = fnv(h, buf, r);
		off += r;
	}
	return h;
}

static int res_fd = -1;	/* results of the last run (memfd) */

/* The low 32 bits of every record's r0 (the XDP action the host sees) */
static uint64_t r0_hash(void)
{
	uint8_t e[16];
	uint64_t h = FNV0;
	off_t off = 0;

	while (pread(res_fd, e, 16, off) == 16) {
		h = fnv(h, e, 4);
		off += 16;
	}
	return h;
}

static int reset_res(void)
{
	if (ftruncate(res_fd, 0) || lseek(res_fd, 0, SEEK_SET)) {
		p_err("bench: memfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int stream_once(struct hermes_prog *prog, int in_fd, int out_fd,
		       uint32_t size, uint32_t depth, struct row *r,
		       uint64_t *hash)
{
	HERMES_OPTS(hermes_stream_opts, o,
		.record_size = size, .depth = depth, .res_fd = res_fd,
	);
	struct hermes_stats st;
	int err;

	if (reset_res())
		return -1;
	if (lseek(in_fd, 0, SEEK_SET) || ftruncate(out_fd, 0) ||
	    lseek(out_fd, 0, SEEK_SET)) {
		p_err("bench: memfd: %s", strerror(errno));
		return -1;
	}
	err = hermes_stream(prog, in_fd, out_fd, &o, &st);
	if (err) {
		p_err("%s", hermes_strerror());
		return -1;
	}
	row_rates(r, &st);
	*hash = fd_hash(out_fd) ^ (r0_hash() << 1);
	return 0;
}

/* In memory, in place: no file I/O, no copy on a device. */
static int mem_once(struct hermes_prog *prog, const uint8_t *in, uint8_t *work,
		    uint64_t len, uint32_t size, uint32_t depth, struct row *r,
		    uint64_t *hash)
{
	HERMES_OPTS(hermes_stream_opts, o,
		.record_size = size, .depth = depth, .res_fd = res_fd,
	);
	struct hermes_stats st;
	size_t out_len;
	int err;

	if (reset_res())
		return -1;
	memcpy(work, in, len);
	err = hermes_run_buffer(prog, work, len, &o, &st, &out_len);
	if (err) {
		p_err("%s", hermes_strerror());
		return -1;
	}
	row_rates(r, &st);
	*hash = fnv(FNV0, work, out_len) ^ (r0_hash() << 1);
	return 0;
}

/* The host kernel: one BPF_PROG_TEST_RUN per record. */
static int host_run(int prog_fd, const uint8_t *in, uint64_t len,
		    uint32_t size, struct row *r, uint64_t *hash)
{
	uint8_t out[65536];
	uint64_t t0, h = FNV0, hr = FNV0, k, n = len / size;
	int err;

	t0 = bench_ns();
	for (k = 0; k < n; k++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts,
			    .data_in = in + k * size,
			    .data_size_in = size,
			    .data_out = out,
			    .data_size_out = sizeof(out),
			    .repeat = 1);

		err = bpf_prog_test_run_opts(prog_fd, &opts);
		if (err)
			return -errno;
		if (opts.retval == XDP_PASS)
			h = fnv(h, out, opts.data_size_out);
		hr = fnv(hr, (uint8_t *)&opts.retval, 4);
	}
	t0 = bench_ns() - t0;
	r->records = n;
	r->mbs = (double)n * size / (t0 / 1e9) / 1e6;
	r->krs = n / (t0 / 1e9) / 1e3;
	*hash = h ^ (hr << 1);
	return 0;
}

static struct row *add_row(const char *prog, uint32_t size, const char *path,
			   uint32_t depth)
{
	struct row *r;

	if (nrows == MAX_ROWS)
		return NULL;
	r = &rows[nrows++];
	memset(r, 0, sizeof(*r));
	snprintf(r->prog, sizeof(r->prog), "%s", prog);
	r->size = size;
	r->depth = depth;
	snprintf(r->path, sizeof(r->path), "%s", path);
	return r;
}

static void print_row(const struct row *r)
{
	char depth[16] = "-", dev[16] = "-";

	if (r->depth)
		snprintf(depth, sizeof(depth), "%u", r->depth);
	if (r->dev_mbs)
		snprintf(dev, sizeof(dev), "%.1f", r->dev_mbs);
	printf("%-7s %7u  %-26s %5s %9llu %10.1f %10.1f %12s  %s\n", r->prog,
	       r->size, r->path, depth, (unsigned long long)r->records,
	       r->mbs, r->krs, dev, r->check);
	fflush(stdout);
}

/* Rows of a table this command printed (e.g. in the VM), for --plot. */
static int read_table(const char *file)
{
	char line[256], prog[16];
	FILE *f = fopen(file, "r");
	int ln = 0;

	if (!f) {
		p_err("bench: %s: %s", file, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct row *r;
		char depth[16], path[32];
		unsigned long long recs;
		unsigned int size;
		double mbs, krs;

		ln++;
		if (line[0] == '#' || strlen(line) < 60 ||
		    sscanf(line, "%15s %u", prog, &size) != 2)
			continue;
		memcpy(path, line + 17, 26);
		path[26] = 0;
		while (strlen(path) && path[strlen(path) - 1] == ' ')
			path[strlen(path) - 1] = 0;
		if (sscanf(line + 44, "%15s %llu %lf %lf", depth, &recs, &mbs,
			   &krs) != 4) {
			p_err("bench: %s:%d: not a row of hermes bench", file, ln);
			fclose(f);
			return -1;
		}
		r = add_row(prog, size, path,
			    strcmp(depth, "-") ? atoi(depth) : 0);
		if (!r)
			break;
		r->records = recs;
		r->mbs = mbs;
		r->krs = krs;
	}
	fclose(f);
	if (!nrows) {
		p_err("bench: %s: no rows of hermes bench", file);
		return -1;
	}
	return 0;
}

static int write_plot(const char *png)
{
	char dat[] = "/tmp/hermes-bench-XXXXXX";
	char cmd[PATH_MAX + 64];
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
	/* one data block per (program, path, depth) series */
	for (i = 0; i < nrows; i++) {
		int j;

		if (rows[i].size == 0)
			continue;
		fprintf(f, "\"%s %s%s%.0u\"\n", rows[i].prog, rows[i].path,
			rows[i].depth ? " qd " : "", rows[i].depth);
		for (j = i; j < nrows; j++) {
			if (strcmp(rows[j].prog, rows[i].prog) ||
			    strcmp(rows[j].path, rows[i].path) ||
			    rows[j].depth != rows[i].depth || !rows[j].size)
				continue;
			fprintf(f, "%u %.3f\n", rows[j].size, rows[j].mbs);
			if (j != i)
				rows[j].size = 0;	/* plotted */
		}
		fprintf(f, "\n\n");
	}
	fclose(f);
	snprintf(cmd, sizeof(cmd), "gnuplot 2>&1");
	g = popen(cmd, "w");
	if (!g) {
		p_err("bench: popen gnuplot: %s", strerror(errno));
		unlink(dat);
		return -1;
	}
	fprintf(g,
		"set terminal png size 1000,640 noenhanced\n"
		"set output '%s'\n"
		"set title 'hermes bench: record stream throughput'\n"
		"set logscale xy\nset xlabel 'record size (bytes)'\n"
		"set ylabel 'MB/s of input'\nset key outside right\n"
		"set grid\n"
		"plot for [i=0:*] '%s' index i using 1:2 with linespoints title columnheader(1)\n",
		png, dat);
	ret = pclose(g);
	unlink(dat);
	if (ret) {
		if (WIFEXITED(ret) && WEXITSTATUS(ret) == 127)
			p_err("bench: --plot needs gnuplot (Debian package gnuplot-nox)");
		else
			p_err("bench: gnuplot failed (status %d)", ret);
		return -1;
	}
	fprintf(stderr, "hermes bench: plot written to %s\n", png);
	return 0;
}

int do_bench(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "dev", required_argument, NULL, 'D' },
		{ "progs", required_argument, NULL, 'P' },
		{ "sizes", required_argument, NULL, 's' },
		{ "depths", required_argument, NULL, 'd' },
		{ "mib", required_argument, NULL, 'm' },
		{ "plot", required_argument, NULL, 'p' },
		{ "from", required_argument, NULL, 'f' },
		{ "programs", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char *progs[MAX_LIST], *names = strdup("pass,filter"), *save = NULL;
	int nprogs = 0;
	uint32_t sizes[MAX_LIST], depths[MAX_LIST], mib = 16;
	int nsizes = 3, ndepths = 3, c, si, di, pi, ret = 1;
	const char *devname = NULL, *plot = NULL, *from = NULL;
	char dir[PATH_MAX], path[PATH_MAX + 32];
	struct hermes_dev *dev = NULL, *none = NULL;
	int in_fd = -1, out_fd = -1;
	uint8_t *in = NULL, *work = NULL;
	ssize_t len;

	sizes[0] = 64;
	sizes[1] = 512;
	sizes[2] = 4096;
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
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			devname = optarg;
			break;
		case 'P':
			snprintf(dir, sizeof(dir), "%s", optarg);
			break;
		case 's':
			if (parse_list(optarg, sizes, &nsizes, "--sizes"))
				return 2;
			break;
		case 'd':
			if (parse_list(optarg, depths, &ndepths, "--depths"))
				return 2;
			break;
		case 'm':
			if (parse_u32(optarg, "--mib", &mib) || !mib ||
			    mib > 1024) {
				p_err("--mib: 1 to 1024");
				return 2;
			}
			break;
		case 'p':
			plot = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 'n':
			free(names);
			names = strdup(optarg);
			break;
		case 'h':
			fputs(help_bench, stdout);
			return 0;
		default:
			fputs(help_bench, stderr);
			return 2;
		}
	}
	for (progs[0] = strtok_r(names, ",", &save); progs[nprogs];
	     progs[nprogs] = strtok_r(NULL, ",", &save)) {
		if (strlen(progs[nprogs]) > 15 || ++nprogs == MAX_LIST) {
			p_err("--programs: at most %d names of at most 15 characters",
			      MAX_LIST - 1);
			free(names);
			return 2;
		}
	}
	if (from) {
		free(names);
		if (!plot) {
			p_err("bench: --from TABLE goes with --plot FILE.png");
			return 2;
		}
		return read_table(from) || write_plot(plot) ? 1 : 0;
	}
	if (hermes_open(devname, &dev) || hermes_open("none", &none)) {
		p_err("%s", hermes_strerror());
		goto out;
	}
	in_fd = memfd_create("hermes-bench-in", MFD_CLOEXEC);
	out_fd = memfd_create("hermes-bench-out", MFD_CLOEXEC);
	res_fd = memfd_create("hermes-bench-res", MFD_CLOEXEC);
	if (in_fd < 0 || out_fd < 0 || res_fd < 0) {
		p_err("bench: memfd_create: %s", strerror(errno));
		goto out;
	}
	printf("# hermes bench: %s; %u MiB per run (at most 65536 records); MB/s of input\n",
	       hermes_dev_is_fallback(dev) ? "no Hermes device" :
	       hermes_dev_name(dev), mib);
	printf("# MB/s, krec/s: end to end, memfd in and out, or in memory in place\n"
	       "# (hermes_run_buffer); engine MB/s: input bytes per second of engine\n"
	       "# busy time (the batches' device time)\n");
	printf("%-7s %7s  %-26s %5s %9s %10s %10s %12s  %s\n", "prog", "record",
	       "path", "depth", "records", "MB/s", "krec/s", "engine MB/s",
	       "output");

	for (si = 0; si < nsizes; si++) {
		uint32_t size = sizes[si];
		uint64_t n = (uint64_t)mib << 20, k, x = 0x9e3779b97f4a7c15ULL;

		n /= size;
		if (n > 65536)
			n = 65536;
		if (!n)
			n = 1;
		free(in);
		free(work);
		in = malloc(n * size);
		work = malloc(n * size);
		if (!in || !work) {
			p_err("bench: out of memory");
			goto out;
		}
		for (k = 0; k < n * size; k++) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			in[k] = (x * 0x2545f4914f6cdd1dULL) >> 56;
		}
		if (ftruncate(in_fd, 0) || pwrite(in_fd, in, n * size, 0) !=
		    (ssize_t)(n * size)) {
			p_err("bench: memfd: %s", strerror(errno));
			goto out;
		}
		for (pi = 0; pi < nprogs; pi++) {
			struct hermes_prog *hp = NULL, *fp = NULL;
			uint64_t href = 0, fref = 0, ref, h;
			bool have_host = false;
			struct row *r;
			int err;

			snprintf(path, sizeof(path), "%s/%s.bpf.o", dir,
				 progs[pi]);
			if (hermes_prog_load(none, path, NULL, &fp)) {
				p_err("%s", hermes_strerror());
				goto out;
			}
			r = add_row(progs[pi], size, "host BPF_PROG_TEST_RUN", 0);
			err = host_run(hermes_prog_fd(fp), in, n * size, size,
				       r, &href);
			if (err) {
				r->check = "host refuses this size";
				nrows--;
				print_row(r);
			} else {
				have_host = true;
				r->check = "reference";
				print_row(r);
			}
			r = add_row(progs[pi], size, "fallback (user space)", 0);
			if (stream_once(fp, in_fd, out_fd, size, 1, r, &fref)) {
				hermes_prog_free(fp);
				goto out;
			}
			r->check = !have_host ? "reference" :
				   fref == href ? "= host" : "DIFFERS from host";
			print_row(r);
			if (have_host && fref != href)
				ret = 4;
			/* what every other row must give */
			ref = have_host ? href : fref;
			r = add_row(progs[pi], size, "fallback (in memory)", 0);
			if (mem_once(fp, in, work, n * size, size, 1, r, &h)) {
				hermes_prog_free(fp);
				goto out;
			}
			r->check = h == ref ? (have_host ? "= host" :
						"= fallback") : "DIFFERS";
			if (h != ref)
				ret = 4;
			print_row(r);
			hermes_prog_free(fp);
			if (hermes_dev_is_fallback(dev))
				continue;
			if (hermes_prog_load(dev, path, NULL, &hp)) {
				p_err("%s", hermes_strerror());
				goto out;
			}
			for (di = 0; di < ndepths; di++) {
				r = add_row(progs[pi], size, "hermes (io_uring)",
					    depths[di]);
				if (stream_once(hp, in_fd, out_fd, size,
						depths[di], r, &h)) {
					hermes_prog_free(hp);
					goto out;
				}
				r->check = h == ref ? (have_host ? "= host" :
							"= fallback") :
					   "DIFFERS";
				if (h != ref)
					ret = 4;
				print_row(r);
			}
			for (di = 0; di < ndepths; di++) {
				r = add_row(progs[pi], size, "hermes (in memory)",
					    depths[di]);
				if (mem_once(hp, in, work, n * size, size,
					     depths[di], r, &h)) {
					hermes_prog_free(hp);
					goto out;
				}
				r->check = h == ref ? (have_host ? "= host" :
							"= fallback") :
					   "DIFFERS";
				if (h != ref)
					ret = 4;
				print_row(r);
			}
			hermes_prog_free(hp);
		}
	}
	if (ret == 1)
		ret = 0;
	if (plot && write_plot(plot))
		ret = 1;
out:
	free(names);
	free(in);
	free(work);
	if (in_fd >= 0)
		close(in_fd);
	if (out_fd >= 0)
		close(out_fd);
	if (res_fd >= 0)
		close(res_fd);
	res_fd = -1;
	hermes_close(dev);
	hermes_close(none);
	return ret;
}
