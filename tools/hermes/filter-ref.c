// SPDX-License-Identifier: GPL-2.0-only
/*
 * filter-ref: the independent truth of the `hermes run` tests.
 *
 *   filter-ref gen OUT --record SIZE|lenpfx --bytes N [--seed S]
 *                  [--max-len L] [--mark K]
 *	writes about N bytes of pseudo-random records (fixed-size, or
 *	length-prefixed with lengths 0 to L, default 3000, many of them
 *	short); --mark K makes record K the only one whose first byte is
 *	0xab (progs/loopy.bpf.c spins on it)
 *
 *   filter-ref filter IN OUT --record SIZE|lenpfx
 *	applies, in plain C, the rules of progs/filter.bpf.c
 *
 * Written without the library and without the engine, so that it cannot
 * share a bug with them.  OUT is never its IN, and a previous OUT is
 * replaced only when the new one is complete (outfile.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter-plain.h"
#include "outfile.h"

static struct out_file out;
static bool out_active;

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "Error: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	if (out_active)
		out_discard(&out);
	exit(1);
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static FILE *open_in(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;

	if (!f)
		die("%s: cannot open", path);
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

/* The output, unless it is the input @in (NULL: none) */
static FILE *open_out(const char *path, FILE *in)
{
	struct stat st;
	FILE *f;
	int fd;

	if (out_lookup(&out, path))
		die("%s", out.err);
	if (in && !fstat(fileno(in), &st) && out_is(&out, &st))
		die("%s: the output is the input: refusing to overwrite it",
		    path);
	if (out_open(&out))
		die("%s", out.err);
	out_active = true;
	fd = dup(out.fd);
	f = fd < 0 ? NULL : fdopen(fd, "wb");
	if (!f)
		die("%s: cannot open", path);
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

/* Complete: flush, and make it the output */
static void close_out(FILE *f, const char *path)
{
	if (fflush(f) || ferror(f) || fclose(f))
		die("%s: write error", path);
	if (out_commit(&out)) {
		out_active = false;
		die("%s", out.err);
	}
	out_active = false;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static int do_gen(const char *out, long rsize, unsigned long long bytes,
		  unsigned long long seed, long max_len, long long mark)
{
	static uint8_t rec[1 << 20];
	unsigned long long done = 0, k = 0;
	FILE *f = open_out(out, NULL);
	uint8_t hdr[4];
	long n, i;

	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
	while (done < bytes) {
		if (rsize > 0) {
			n = rsize;
			if (done + n > bytes)
				break;
		} else if (rng() % 8 == 0) {
			n = rng() % 21;
		} else {
			n = rng() % (max_len + 1);
		}
		for (i = 0; i < n; i++)
			rec[i] = rng();
		if (n && rec[0] == 0xab)
			rec[0] = 0xaa;
		if (n && (long long)k == mark)
			rec[0] = 0xab;
		if (rsize <= 0) {
			put_le32(hdr, n);
			fwrite(hdr, 1, 4, f);
			done += 4;
		}
		fwrite(rec, 1, n, f);
		done += n;
		k++;
	}
	close_out(f, out);
	return 0;
}

static int do_filter(const char *in, const char *out, long rsize)
{
	static uint8_t rec[1 << 24];
	FILE *fi = open_in(in), *fo = open_out(out, fi);
	uint8_t hdr[4];
	size_t got;
	long n;

	for (;;) {
		if (rsize > 0) {
			got = fread(rec, 1, rsize, fi);
			if (!got)
				break;
			if ((long)got != rsize)
				die("%s: trailing partial record", in);
			n = filter_plain(rec, rsize);
			if (n >= 0)
				fwrite(rec, 1, n, fo);
			continue;
		}
		got = fread(hdr, 1, 4, fi);
		if (!got)
			break;
		if (got != 4)
			die("%s: truncated length prefix", in);
		n = hdr[0] | hdr[1] << 8 | hdr[2] << 16 | (long)hdr[3] << 24;
		if (n > (long)sizeof(rec))
			die("%s: record too long", in);
		if (fread(rec, 1, n, fi) != (size_t)n)
			die("%s: truncated record", in);
		n = filter_plain(rec, n);
		if (n >= 0) {
			put_le32(hdr, n);
			fwrite(hdr, 1, 4, fo);
			fwrite(rec, 1, n, fo);
		}
	}
	close_out(fo, out);
	fclose(fi);
	return 0;
}

static long parse_record(const char *s)
{
	char *end;
	long v;

	if (!strcmp(s, "lenpfx"))
		return 0;
	v = strtol(s, &end, 0);
	if (*end || v < 1 || v > (1 << 20))
		die("--record: bad size '%s'", s);
	return v;
}

int main(int argc, char **argv)
{
	unsigned long long bytes = 0, seed = 1;
	long rsize = -1, max_len = 3000;
	long long mark = -1;
	const char *pos[2] = {};
	int i, npos = 0;

	if (argc < 2)
		die("usage: %s", "filter-ref { gen OUT | filter IN OUT } --record SIZE|lenpfx ...");
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--record") && i + 1 < argc)
			rsize = parse_record(argv[++i]);
		else if (!strcmp(argv[i], "--bytes") && i + 1 < argc)
			bytes = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--max-len") && i + 1 < argc)
			max_len = strtol(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--mark") && i + 1 < argc)
			mark = strtoll(argv[++i], NULL, 0);
		else if (npos < 2)
			pos[npos++] = argv[i];
		else
			die("unexpected argument '%s'", argv[i]);
	}
	if (rsize < 0)
		die("%s", "--record SIZE|lenpfx is required");
	if (max_len < 0 || max_len > (1 << 20) - 1)
		die("%s", "--max-len: 0 to 1048575");
	if (!strcmp(argv[1], "gen") && npos == 1)
		return do_gen(pos[0], rsize, bytes, seed, max_len, mark);
	if (!strcmp(argv[1], "filter") && npos == 2)
		return do_filter(pos[0], pos[1], rsize);
	die("unknown command or arguments: %s", argv[1]);
	return 1;
}
