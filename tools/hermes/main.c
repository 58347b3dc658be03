// SPDX-License-Identifier: GPL-2.0-only
/*
 * hermes: run verified eBPF programs over files of records on Hermes
 * devices.  See `hermes help` and Documentation/hermes/tools.rst.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "libhermes.h"
#include "hermes.h"
#include "outfile.h"

bool json_output, pretty_output, quiet_output, debug_output;
/* -j: JSON to standard error, when standard output carries records */
static bool json_to_stderr;

static volatile sig_atomic_t stop_flag;
/* outputs being written: the temporaries a second signal removes */
static struct out_file *run_outs[2];

/*
 * The first SIGINT, SIGTERM or SIGHUP stops the run gracefully (the
 * batches in flight complete, the outputs are left as they were); a
 * second one exits at once, removing the temporaries it can see.
 */
static void on_signal(int sig)
{
	unsigned int i;

	if (stop_flag) {
		for (i = 0; i < 2; i++)
			if (run_outs[i])
				out_discard_signal(run_outs[i]);
		_exit(128 + sig);
	}
	stop_flag = 1;
}

/* JSON, in the style of bpftool's -j and -p */
static struct {
	FILE *f;
	int depth;
	bool first;
} jw;

FILE *json_file(void)
{
	return json_to_stderr ? stderr : stdout;
}

void json_start(void)
{
	jw.f = json_file();
	jw.depth = 0;
	jw.first = true;
}

void json_end(void)
{
	fputc('\n', jw.f);
	fflush(jw.f);
}

static void json_quote(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', jw.f);
	for (; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", jw.f);
			break;
		case '\\':
			fputs("\\\\", jw.f);
			break;
		case '\n':
			fputs("\\n", jw.f);
			break;
		case '\t':
			fputs("\\t", jw.f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(jw.f, "\\u%04x", *p);
			else
				fputc(*p, jw.f);
		}
	}
	fputc('"', jw.f);
}

/* Before a value: the comma, the indentation, the member's name */
static void json_member(const char *name)
{
	if (!jw.first)
		fputc(',', jw.f);
	jw.first = false;
	if (pretty_output && jw.depth)
		fprintf(jw.f, "\n%*s", 4 * jw.depth, "");
	if (name) {
		json_quote(name);
		fputs(pretty_output ? ": " : ":", jw.f);
	}
}

static void json_open(const char *name, char c)
{
	json_member(name);
	fputc(c, jw.f);
	jw.depth++;
	jw.first = true;
}

static void json_close(char c)
{
	jw.depth--;
	if (pretty_output && !jw.first)
		fprintf(jw.f, "\n%*s", 4 * jw.depth, "");
	fputc(c, jw.f);
	jw.first = false;
}

void json_object_start(const char *name)
{
	json_open(name, '{');
}

void json_object_end(void)
{
	json_close('}');
}

void json_array_start(const char *name)
{
	json_open(name, '[');
}

void json_array_end(void)
{
	json_close(']');
}

void json_string(const char *name, const char *val)
{
	json_member(name);
	json_quote(val);
}

void json_uint(const char *name, uint64_t val)
{
	json_member(name);
	fprintf(jw.f, "%llu", (unsigned long long)val);
}

void json_float(const char *name, double val)
{
	json_member(name);
	fprintf(jw.f, "%.6g", val);
}

void json_bool(const char *name, bool val)
{
	json_member(name);
	fputs(val ? "true" : "false", jw.f);
}

/* Errors: a line on standard error, or {"error": ...} with -j (bpftool) */
void p_err(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json_output) {
		json_start();
		json_object_start(NULL);
		json_string("error", msg);
		json_object_end();
		json_end();
		return;
	}
	fprintf(stderr, "Error: %s\n", msg);
}

/* libbpf speaks only with -d: its retries and warnings are not errors */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	if (!debug_output)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* The verifier's reasons for a rejected program, after the error */
static void p_verifier_log(void)
{
	const char *log = hermes_verifier_log();

	if (!*log || (json_output && json_to_stderr))
		return;
	fprintf(stderr, "verifier log:\n%s%s", log,
		log[strlen(log) - 1] == '\n' ? "" : "\n");
}

static const char *const help_devices =
"Usage: hermes [OPTIONS] devices\n"
"\n"
"List every Hermes device (/dev/hermesN): its network device (the handle\n"
"programs are offloaded to), interface version, build, capabilities and,\n"
"per engine, the records run, instructions executed, busy time and failed\n"
"commands.  Prints \"no Hermes device\" when there is none (with -j, an\n"
"empty array).\n"
"\n"
"  -j, --json      a JSON array, one object per device\n"
"  -p, --pretty    the same, indented\n";

static const char *const help_run =
"Usage: hermes [OPTIONS] run PROG.o -i FILE -o FILE -r { SIZE | lenpfx }\n"
"                  [-Q N] [-b N] [-R FILE] [-D { hermesN | none }]\n"
"                  [-P NAME] [-B BYTES] [--ioctl]\n"
"\n"
"Run the XDP program of PROG.o (the first one, or -P NAME) once per\n"
"record of the input and write the records it keeps (XDP_PASS), possibly\n"
"modified or shortened, to the output in input order.  Other actions drop\n"
"the record.\n"
"\n"
"  -i, --in FILE        the records\n"
"  -o, --out FILE       the records kept\n"
"  -r, --record SIZE    fixed-size records of SIZE bytes; with lenpfx each\n"
"                       record is a 32-bit little-endian length and its\n"
"                       bytes, and the output has the same format\n"
"  -Q, --depth N        batches in flight on the device (io_uring),\n"
"                       default 4; with the fallback, threads running\n"
"                       batches\n"
"  -b, --budget N       instructions per record (0: the device's default)\n"
"  -R, --results FILE   16 bytes per record that ran: __le64 r0, __le32\n"
"                       output length, __le32 flags (bit 0: kept)\n"
"  -D, --dev NAME       the device: hermesN requires it (an error says\n"
"                       whether the hermes module is loaded); none runs\n"
"                       the program with the Hermes engine in user space\n"
"                       after the host kernel verified it; default: the\n"
"                       first device, else none\n"
"  -P, --prog NAME      the program of PROG.o to run\n"
"  -B, --batch BYTES    input bytes per batch (default: as many as fit)\n"
"      --ioctl          submit with the blocking ioctl, not io_uring\n"
"  -q, --quiet          no progress bar and no summary line\n"
"  -j, --json           the summary as a JSON object (on standard output,\n"
"                       or standard error when -o or -R is -)\n"
"  -p, --pretty         the same, indented\n"
"  -d, --debug          libbpf's messages too\n"
"\n"
"FILE may be - for standard input or output.  An output that is a\n"
"regular file is written to a temporary file in its directory, which\n"
"replaces it only when the run completes (exit 0) or stops at a faulting\n"
"record (exit 3: the output then holds every record before it, the\n"
"results one entry for each of them).  After any other error (exit 1:\n"
"load, framing, I/O) or an interrupt (exit 130) the outputs are left as\n"
"they were and no temporary file remains.  Standard output and outputs\n"
"that are not regular files (a pipe, /dev/null) get the records as they\n"
"complete.  An output that is an input (the records, PROG.o) or the\n"
"other output, by any name or link, is refused.\n"
"\n"
"A progress bar with records/s and MB/s is shown when standard error is\n"
"a terminal, and one summary line at the end.  Ctrl-C (SIGINT, SIGTERM)\n"
"stops submitting, waits for the batches in flight and prints the\n"
"summary; a second one exits at once.  The program is loaded after the\n"
"files are opened.\n"
"\n"
"A batch the device aborted on its own (EAGAIN: the QEMU model does when\n"
"the VM is saved or migrated) is submitted again, at most 5 times after\n"
"10 to 160 ms, unless the program uses maps (the records before the abort\n"
"ran and may have updated them: the run fails instead); one over the\n"
"driver's batches in flight per file (EBUSY, module parameter\n"
"max_batches) once another completes.  Neither wrote anything back: the\n"
"output is the same.\n"
"\n"
"Exit status: 0 done; 1 error (refused file, load, framing, I/O); 2\n"
"usage; 3 a record faulted (the message names the record, from 0, and\n"
"the instruction); 130 interrupted.\n";

const char *const help_bench =
"Usage: hermes bench [--dev { hermesN | none }] [--paths LIST] [--progs DIR]\n"
"                    [--programs LIST] [--sizes LIST] [--depths LIST]\n"
"                    [--mib N] [--runs N] [--plot FILE.png]\n"
"       hermes bench --from TABLE [--from TABLE...] [--plot FILE.png]\n"
"\n"
"The same XDP programs (default pass,filter from DIR, default progs/ beside\n"
"the binary) over the same records on every path (--paths, default all):\n"
"c, a plain C version; jit, this kernel's JIT once per record\n"
"(BPF_PROG_TEST_RUN, only the system calls timed); fallback, the engine in\n"
"this process; hermes, a device (these two from memfd to memfd and in\n"
"memory).  Each row runs --runs times (default 5): median MB/s and min-max,\n"
"ns per record, the program's own ns per record, time against native C, and\n"
"where the clock ran (native, or tcg-guest: emulated, not comparable).  After\n"
"the clock every run's output is compared with plain C's and the kernel's.\n"
"\n"
"  --mib N          input per run (default 16, at most 65536 records)\n"
"  --plot FILE.png  median MB/s and min-max against record size (gnuplot)\n"
"  --from TABLE     merge tables printed earlier (host and VM); with --plot,\n"
"                   plot them\n"
"\n"
"Exit status: 0; 1 error; 2 usage; 4 an output differs.\n";

static const char *const help_main =
"Usage: hermes [OPTIONS] COMMAND [ARGS]\n"
"       hermes help [COMMAND]\n"
"\n"
"COMMAND := { devices | run | bench | advise | explain | help }\n"
"OPTIONS := { -j | --json } [{ -p | --pretty }] | { -q | --quiet } |\n"
"           { -d | --debug } | { -V | --version } | { -h | --help }\n"
"\n"
"  devices   list Hermes devices, capabilities and engine counters\n"
"  run       stream a file of records through an eBPF program\n"
"  bench     throughput over record sizes and queue depths\n"
"  advise    predicted time per record on the host, the device and an F1\n"
"            card, from figures measured here: where to run a program\n"
"  explain   whether a device takes each program of an object, and if\n"
"            not, why and what to change\n"
"\n"
"  -j, --json      JSON output (devices, the summary of run, bench, advise,\n"
"                  explain)\n"
"  -p, --pretty    indented JSON (implies -j)\n"
"  -q, --quiet     no progress bar and no summary\n"
"  -d, --debug     libbpf's messages (retries, warnings, debug) too\n"
"  -V, --version   the version of hermes and of libbpf\n"
"\n"
"See `hermes help COMMAND` and Documentation/hermes/tools.rst.\n";

static int do_help(int argc, char **argv)
{
	if (argc < 1) {
		fputs(help_main, stdout);
		return 0;
	}
	if (!strcmp(argv[0], "devices")) {
		fputs(help_devices, stdout);
	} else if (!strcmp(argv[0], "run")) {
		fputs(help_run, stdout);
	} else if (!strcmp(argv[0], "bench")) {
		fputs(help_bench, stdout);
	} else if (!strcmp(argv[0], "advise")) {
		fputs(help_advise, stdout);
	} else if (!strcmp(argv[0], "explain")) {
		fputs(help_explain, stdout);
	} else if (!strcmp(argv[0], "help")) {
		fputs(help_main, stdout);
	} else {
		p_err("unknown command '%s'", argv[0]);
		fputs(help_main, stderr);
		return 2;
	}
	return 0;
}

static int do_version(void)
{
	if (json_output) {
		json_start();
		json_object_start(NULL);
		json_string("version", HERMES_VERSION);
		json_string("libbpf_version", libbpf_version_string());
		json_object_end();
		json_end();
		return 0;
	}
	printf("hermes v%s\nusing libbpf %s\n", HERMES_VERSION,
	       libbpf_version_string());
	return 0;
}

/* The options every command takes: 0 if @c was one of them */
int common_opt(int c)
{
	switch (c) {
	case 'j':
		json_output = true;
		return 0;
	case 'p':
		json_output = true;
		pretty_output = true;
		return 0;
	case 'q':
		quiet_output = true;
		return 0;
	case 'd':
		debug_output = true;
		return 0;
	}
	return -1;
}

static void print_caps(const struct hermes_info *in)
{
	printf("\tversion %u, build \"%s\"\n", in->version, in->build);
	printf("\tengines %u, max batch %u bytes, isa %#x, commands %#x\n",
	       in->engines, in->max_batch, in->isa, in->cmds);
	printf("\tstack %u bytes/frame, programs up to %u insns, budget default %u max %u\n",
	       in->stack_size, in->max_insns, in->budget_default,
	       in->budget_max);
}

static void json_device(const char *name, const struct hermes_info *in)
{
	unsigned int e;

	json_object_start(NULL);
	json_string("name", name);
	json_string("netdev", in->ifname);
	json_uint("ifindex", in->ifindex);
	json_uint("version", in->version);
	json_string("build", in->build);
	json_uint("engines", in->engines);
	json_uint("max_batch", in->max_batch);
	json_uint("isa", in->isa);
	json_uint("cmds", in->cmds);
	json_uint("stack_size", in->stack_size);
	json_uint("max_insns", in->max_insns);
	json_uint("budget_default", in->budget_default);
	json_uint("budget_max", in->budget_max);
	json_array_start("engine_stats");
	for (e = 0; e < in->engines && e < HERMES_MAX_ENGINES_INFO; e++) {
		json_object_start(NULL);
		json_uint("engine", e);
		json_uint("runs", in->engine_runs[e]);
		json_uint("insns", in->engine_insns[e]);
		json_uint("busy_ns", in->engine_busy_ns[e]);
		json_uint("errors", in->engine_errors[e]);
		json_object_end();
	}
	json_array_end();
	json_object_end();
}

static int do_devices(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char names[64][32];
	int n, i, c, ret = 0;
	unsigned int e;

	optind = 0;
	while ((c = getopt_long(argc, argv, "jph", lopts, NULL)) != -1) {
		if (!common_opt(c))
			continue;
		if (c == 'h') {
			fputs(help_devices, stdout);
			return 0;
		}
		fputs(help_devices, stderr);
		return 2;
	}
	if (optind != argc) {
		p_err("devices takes no arguments");
		return 2;
	}
	n = hermes_list_devices(names, 64);
	if (n < 0) {
		p_err("%s", hermes_strerror());
		return 1;
	}
	if (json_output) {
		json_start();
		json_array_start(NULL);
	} else if (!n) {
		printf("no Hermes device\n");
		return 0;
	}
	for (i = 0; i < n; i++) {
		struct hermes_info in;
		struct hermes_dev *dev;

		if (hermes_open(names[i], &dev) ||
		    hermes_dev_info(dev, &in)) {
			if (json_output) {
				json_object_start(NULL);
				json_string("name", names[i]);
				json_string("error", hermes_strerror());
				json_object_end();
			} else {
				p_err("%s", hermes_strerror());
			}
			hermes_close(dev);
			ret = 1;
			continue;
		}
		if (json_output) {
			json_device(hermes_dev_name(dev), &in);
			hermes_close(dev);
			continue;
		}
		printf("%s: netdev %s (ifindex %u)\n", hermes_dev_name(dev),
		       in.ifname, in.ifindex);
		print_caps(&in);
		for (e = 0; e < in.engines && e < HERMES_MAX_ENGINES_INFO; e++)
			printf("\tengine %u: runs %llu, insns %llu, busy %llu ns, errors %llu\n",
			       e, (unsigned long long)in.engine_runs[e],
			       (unsigned long long)in.engine_insns[e],
			       (unsigned long long)in.engine_busy_ns[e],
			       (unsigned long long)in.engine_errors[e]);
		hermes_close(dev);
	}
	if (json_output) {
		json_array_end();
		json_end();
	}
	return ret;
}

struct progress {
	uint64_t total;		/* input bytes, 0 if unknown */
	uint64_t last_ns;
	bool shown;
};

static void draw_progress(const struct hermes_stats *st, struct progress *p)
{
	double s = st->ns / 1e9;
	char bar[31];
	int i, fill = 0, pct = 0;

	p->last_ns = st->ns;
	p->shown = true;
	if (p->total) {
		pct = (int)(100.0 * st->bytes_in / p->total);
		fill = (int)(30.0 * st->bytes_in / p->total);
	}
	for (i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : (p->total ? '.' : ' ');
	bar[30] = 0;
	fprintf(stderr, "\r[%s] %3d%% %llu records  %.0f records/s  %.1f MB/s ",
		bar, pct, (unsigned long long)st->records_in,
		s > 0 ? st->records_in / s : 0.0,
		s > 0 ? st->bytes_in / s / 1e6 : 0.0);
}

static void show_progress(const struct hermes_stats *st, void *ctx)
{
	struct progress *p = ctx;

	if (st->ns - p->last_ns < 200000000ULL && p->shown)
		return;
	draw_progress(st, p);
}

int parse_u32(const char *s, const char *what, uint32_t *v)
{
	unsigned long long x;
	char *end;

	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end || end == s || x > UINT32_MAX) {
		p_err("%s: '%s' is not a number", what, s);
		return -1;
	}
	*v = x;
	return 0;
}

int parse_record(const char *s, struct hermes_stream_opts *o)
{
	if (!strcmp(s, "lenpfx")) {
		o->lenpfx = true;
		o->record_size = 0;
		return 0;
	}
	o->lenpfx = false;
	if (parse_u32(s, "--record", &o->record_size))
		return -1;
	if (!o->record_size) {
		p_err("--record: records of 0 bytes");
		return -1;
	}
	return 0;
}

static int open_input(const char *path)
{
	int fd;

	if (!strcmp(path, "-"))
		return dup(0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		p_err("%s: %s", path, strerror(errno));
	return fd;
}

/*
 * An output may be none of the inputs nor the other output: compare what
 * the names lead to (links, /proc/self/fd/N, standard output included).
 */
static int check_output(struct out_file *o, const char *opt,
			const char *in, const struct stat *in_st,
			const char *obj, const struct stat *obj_st,
			struct out_file *other, const char *other_opt)
{
	if (out_lookup(o, o->name)) {
		p_err("%s", o->err);
		return -1;
	}
	if (out_is(o, in_st)) {
		p_err("%s %s is the input (--in %s): refusing to overwrite it",
		      opt, o->name, in);
		return -1;
	}
	if (out_is(o, obj_st)) {
		p_err("%s %s is the program object %s: refusing to overwrite it",
		      opt, o->name, obj);
		return -1;
	}
	if (other && out_same(o, other)) {
		p_err("%s %s is also %s %s: give two files", opt, o->name,
		      other_opt, other->name);
		return -1;
	}
	return 0;
}

static void run_summary(const struct hermes_dev *dev,
			const struct hermes_stream_opts *o,
			const struct hermes_stats *st, int ret,
			const char *err, const struct out_file *outs)
{
	bool fb = hermes_dev_is_fallback(dev);
	double s = st->ns / 1e9;

	if (json_output) {
		json_start();
		json_object_start(NULL);
		json_string("status", ret == 0 ? "done" : ret == 3 ? "fault" :
			    ret == 130 ? "interrupted" : "error");
		if (err)
			json_string("error", err);
		json_uint("records_in", st->records_in);
		json_uint("records_out", st->records_out);
		json_uint("bytes_in", st->bytes_in);
		json_uint("bytes_out", st->bytes_out);
		json_uint("batches", st->batches);
		json_float("seconds", s);
		json_float("mb_per_s", s > 0 ? st->bytes_in / s / 1e6 : 0.0);
		json_string("device", hermes_dev_name(dev));
		json_string("submit", fb ? "fallback" :
			    o->use_ioctl ? "ioctl" : "io_uring");
		if (ret == 3) {
			json_object_start("fault");
			json_uint("record", st->fault_record);
			json_string("kind", hermes_fault_name(st->fault));
			json_uint("insn", st->fault_insn);
			json_object_end();
		}
		json_bool("output_written", ret == 0 || ret == 3 ||
			  !outs[0].replace);
		json_object_end();
		json_end();
		return;
	}
	if (quiet_output)
		return;
	fprintf(stderr,
		"hermes: %llu records in, %llu out, %llu bytes in, %llu out, %.3f s, %.1f MB/s, %s%s%s\n",
		(unsigned long long)st->records_in,
		(unsigned long long)st->records_out,
		(unsigned long long)st->bytes_in,
		(unsigned long long)st->bytes_out, s,
		s > 0 ? st->bytes_in / s / 1e6 : 0.0,
		fb ? "fallback (user-space engine)" : "device ",
		fb ? "" : hermes_dev_name(dev),
		fb ? "" : (o->use_ioctl ? " (ioctl)" : " (io_uring)"));
}

static int do_run(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "in", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, 'o' },
		{ "record", required_argument, NULL, 'r' },
		{ "depth", required_argument, NULL, 'Q' },
		{ "budget", required_argument, NULL, 'b' },
		{ "results", required_argument, NULL, 'R' },
		{ "dev", required_argument, NULL, 'D' },
		{ "prog", required_argument, NULL, 'P' },
		{ "batch", required_argument, NULL, 'B' },
		{ "ioctl", no_argument, NULL, 'I' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	HERMES_OPTS(hermes_stream_opts, o, .res_fd = -1, .depth = 4);
	const char *in = NULL, *devname = NULL, *obj, *pname = NULL;
	struct out_file outs[2] = {}, *out = &outs[0], *res = &outs[1];
	int in_fd = -1, c, ret = 1, err, i;
	struct hermes_prog *prog = NULL;
	struct hermes_dev *dev = NULL;
	struct progress prog_bar = {};
	struct stat in_st, obj_st;
	struct hermes_stats st = {};
	bool have_record = false;
	char errmsg[512];
	struct sigaction sa = {};

	out->fd = -1;
	res->fd = -1;
	optind = 0;
	while ((c = getopt_long(argc, argv, "i:o:r:Q:b:R:D:P:B:jpqdh", lopts,
				NULL)) != -1) {
		if (!common_opt(c))
			continue;
		switch (c) {
		case 'i':
			in = optarg;
			break;
		case 'o':
			out->name = optarg;
			break;
		case 'r':
			if (parse_record(optarg, &o))
				return 2;
			have_record = true;
			break;
		case 'Q':
			if (parse_u32(optarg, "--depth", &o.depth))
				return 2;
			if (!o.depth || o.depth > 256) {
				p_err("--depth: 1 to 256");
				return 2;
			}
			break;
		case 'b':
			if (parse_u32(optarg, "--budget", &o.budget))
				return 2;
			break;
		case 'R':
			res->name = optarg;
			break;
		case 'D':
			devname = optarg;
			break;
		case 'P':
			pname = optarg;
			break;
		case 'B':
			if (parse_u32(optarg, "--batch", &o.batch_bytes))
				return 2;
			break;
		case 'I':
			o.use_ioctl = true;
			break;
		case 'h':
			fputs(help_run, stdout);
			return 0;
		default:
			fputs(help_run, stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || !in || !out->name || !have_record) {
		p_err("run needs PROG.o, --in, --out and --record");
		fputs(help_run, stderr);
		return 2;
	}
	obj = argv[optind];
	if (res->name && !strcmp(out->name, "-") && !strcmp(res->name, "-")) {
		p_err("--out and --results both to standard output: give two files");
		return 2;
	}
	/* standard output carries records: JSON goes to standard error */
	json_to_stderr = !strcmp(out->name, "-") ||
			 (res->name && !strcmp(res->name, "-"));

	if (hermes_open(devname, &dev)) {
		p_err("%s", hermes_strerror());
		return 1;
	}
	/* the files first: nothing is loaded for a run that cannot start */
	in_fd = open_input(in);
	if (in_fd < 0)
		goto out;
	if (fstat(in_fd, &in_st)) {
		p_err("%s: %s", in, strerror(errno));
		goto out;
	}
	if (stat(obj, &obj_st)) {
		p_err("%s: %s", obj, strerror(errno));
		goto out;
	}
	if (check_output(out, "--out", in, &in_st, obj, &obj_st, NULL, NULL))
		goto out;
	if (res->name &&
	    check_output(res, "--results", in, &in_st, obj, &obj_st, out,
			 "--out"))
		goto out;

	/* from here a second signal removes the temporaries and exits */
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* a closed pipe is an output error, cleaned up as any other */
	signal(SIGPIPE, SIG_IGN);
	o.stop = &stop_flag;
	run_outs[0] = out;
	if (res->name)
		run_outs[1] = res;
	for (i = 0; i < 2; i++) {
		if (outs[i].name && out_open(&outs[i])) {
			p_err("%s", outs[i].err);
			goto out;
		}
	}
	o.res_fd = res->name ? res->fd : -1;

	if (hermes_prog_load(dev, obj, pname, &prog)) {
		p_err("%s", hermes_strerror());
		p_verifier_log();
		goto out;
	}
	if (S_ISREG(in_st.st_mode))
		prog_bar.total = in_st.st_size;
	if (!quiet_output && !json_output && isatty(2)) {
		o.progress = show_progress;
		o.progress_ctx = &prog_bar;
	}

	err = hermes_stream(prog, in_fd, out->fd, &o, &st);
	snprintf(errmsg, sizeof(errmsg), "%s", hermes_strerror());
	if (o.progress) {
		/* the last frame: 100% when the input is consumed */
		draw_progress(&st, &prog_bar);
		fprintf(stderr, "\n");
	}
	if (err == -EFAULT && st.fault) {
		ret = 3;
		snprintf(errmsg, sizeof(errmsg), "record %llu: %s at instruction %u",
			 (unsigned long long)st.fault_record,
			 hermes_fault_name(st.fault), st.fault_insn);
	} else if (err == -EINTR && st.interrupted) {
		ret = 130;
		snprintf(errmsg, sizeof(errmsg), "interrupted");
	} else {
		ret = err ? 1 : 0;
	}
	/* complete, or every record before a fault: the outputs replace */
	for (i = 0; (ret == 0 || ret == 3) && i < 2; i++) {
		if (outs[i].name && out_commit(&outs[i])) {
			snprintf(errmsg, sizeof(errmsg), "%s", outs[i].err);
			ret = 1;
		}
	}
	run_summary(dev, &o, &st, ret, ret ? errmsg : NULL, outs);
	if (!json_output && ret == 130)
		fprintf(stderr, "hermes: interrupted%s\n",
			out->replace ? ": the outputs are left as they were" :
			"");
	else if (!json_output && ret)
		fprintf(stderr, "Error: %s\n", errmsg);
out:
	for (i = 0; i < 2; i++) {
		if (outs[i].fd >= 0 || outs[i].tmp[0])
			out_discard(&outs[i]);
	}
	if (in_fd >= 0)
		close(in_fd);
	hermes_prog_free(prog);
	hermes_close(dev);
	return ret;
}

/* Standard input, output and error open: no output lands on fd 0 to 2 */
static void std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0 && fd <= 2)
		fcntl(fd, F_SETFD, 0);
	if (fd > 2)
		close(fd);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	const char *cmd;
	bool version = false;
	int c;

	std_fds();
	while ((c = getopt_long(argc, argv, "+jpqdhV", lopts, NULL)) != -1) {
		if (!common_opt(c))
			continue;
		if (c == 'h')
			return do_help(0, NULL);
		if (c == 'V') {
			version = true;
			continue;
		}
		fputs(help_main, stderr);
		return 2;
	}
	if (version)
		return do_version();
	libbpf_set_print(libbpf_print);
	if (optind >= argc) {
		fputs(help_main, stderr);
		return 2;
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	if (!strcmp(cmd, "help"))
		return do_help(argc - 1, argv + 1);
	if (!strcmp(cmd, "devices"))
		return do_devices(argc, argv);
	if (!strcmp(cmd, "run"))
		return do_run(argc, argv);
	if (!strcmp(cmd, "bench"))
		return do_bench(argc, argv);
	if (!strcmp(cmd, "advise"))
		return do_advise(argc, argv);
	if (!strcmp(cmd, "explain"))
		return do_explain(argc, argv);
	p_err("unknown command '%s'", cmd);
	fputs(help_main, stderr);
	return 2;
}
