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

#include "libhermes.h"
#include "hermes.h"

static volatile sig_atomic_t stop_flag;

static void on_sigint(int sig)
{
	(void)sig;
	stop_flag = 1;
}

void p_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "Error: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

static const char *const help_devices =
"Usage: hermes devices\n"
"\n"
"List every Hermes device (/dev/hermesN): its network device (the handle\n"
"programs are offloaded to), interface version, build, capabilities and,\n"
"per engine, the records run, instructions executed, busy time and failed\n"
"commands.  Prints \"no Hermes device\" when there is none.\n";

static const char *const help_run =
"Usage: hermes run PROG.o --in FILE --out FILE --record { SIZE | lenpfx }\n"
"                  [--depth N] [--budget N] [--results FILE]\n"
"                  [--dev { hermesN | none }] [--prog NAME] [--batch BYTES]\n"
"                  [--ioctl] [--quiet]\n"
"\n"
"Run the XDP program of PROG.o (the first one, or --prog NAME) once per\n"
"record of the input and write the records it keeps (XDP_PASS), possibly\n"
"modified or shortened, to the output in input order.  Other actions drop\n"
"the record.\n"
"\n"
"  --record SIZE   fixed-size records of SIZE bytes; with lenpfx each\n"
"                  record is a 32-bit little-endian length and its bytes,\n"
"                  and the output has the same format\n"
"  --depth N       batches in flight on the device (io_uring), default 4;\n"
"                  with the fallback, threads running batches\n"
"  --budget N      instructions per record (0: the device's default)\n"
"  --results FILE  16 bytes per record that ran: __le64 r0, __le32 output\n"
"                  length, __le32 flags (bit 0: kept)\n"
"  --dev NAME      the device (default: the first one, else none); none\n"
"                  runs the program with the Hermes engine in user space\n"
"                  after the host kernel verified it\n"
"  --batch BYTES   input bytes per batch (default: as many as fit)\n"
"  --ioctl         submit with the blocking ioctl instead of io_uring\n"
"  --quiet         no progress bar and no summary\n"
"\n"
"FILE may be - for standard input or output.  A progress bar with records/s\n"
"and MB/s is shown when standard error is a terminal, and one summary line\n"
"at the end.  Ctrl-C stops submitting, waits for the batches in flight and\n"
"prints the summary.\n"
"\n"
"Exit status: 0 done; 1 error (load, framing, I/O); 3 a record faulted (the\n"
"message names the record, from 0, and the instruction; the output holds\n"
"every record before it); 130 interrupted.\n";

const char *const help_bench =
"Usage: hermes bench [--dev { hermesN | none }] [--progs DIR] [--programs LIST]\n"
"                    [--sizes LIST] [--depths LIST] [--mib N] [--plot FILE.png]\n"
"       hermes bench --from TABLE --plot FILE.png\n"
"\n"
"Throughput of record streams over record sizes (default 64,512,4096) and\n"
"queue depths (default 1,4,32) for a trivial XDP_PASS program (pass.bpf.o)\n"
"and a filter (filter.bpf.o) from DIR (default: progs/ beside the hermes\n"
"binary): Hermes from file to file and in memory, the user-space fallback,\n"
"and the host kernel running the same program once per record\n"
"(BPF_PROG_TEST_RUN).  Every row's output and per-record XDP action are\n"
"checked against the host's.  Prints a table.\n"
"\n"
"  --programs LIST  other objects of DIR (NAME.bpf.o: XDP, no maps)\n"
"  --mib N          input per run (default 16, at most 65536 records)\n"
"  --plot FILE.png  MB/s against record size, with gnuplot (gnuplot-nox)\n"
"  --from TABLE     plot a table printed earlier (e.g. in the VM, whose\n"
"                   files are read-only) without running anything\n"
"\n"
"Exit status: 0; 1 error; 2 usage; 4 an output differs from the host's.\n";

static const char *const help_main =
"Usage: hermes [--help] [--version] COMMAND [ARGS]\n"
"       hermes help [COMMAND]\n"
"\n"
"COMMAND := { devices | run | bench | help }\n"
"\n"
"  devices   list Hermes devices, capabilities and engine counters\n"
"  run       stream a file of records through an eBPF program\n"
"  bench     throughput over record sizes and queue depths\n"
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
	} else if (!strcmp(argv[0], "help")) {
		fputs(help_main, stdout);
	} else {
		p_err("unknown command '%s'", argv[0]);
		fputs(help_main, stderr);
		return 2;
	}
	return 0;
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

static int do_devices(int argc, char **argv)
{
	char names[64][32];
	int n, i, ret = 0;
	unsigned int e;

	(void)argv;
	if (argc) {
		p_err("devices takes no arguments");
		return 2;
	}
	n = hermes_list_devices(names, 64);
	if (n < 0) {
		p_err("%s", hermes_strerror());
		return 1;
	}
	if (!n) {
		printf("no Hermes device\n");
		return 0;
	}
	for (i = 0; i < n; i++) {
		struct hermes_info in;
		struct hermes_dev *dev;

		if (hermes_open(names[i], &dev) ||
		    hermes_dev_info(dev, &in)) {
			p_err("%s", hermes_strerror());
			hermes_close(dev);
			ret = 1;
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
	return ret;
}

struct progress {
	uint64_t total;		/* input bytes, 0 if unknown */
	uint64_t last_ns;
	bool shown;
};

static void show_progress(const struct hermes_stats *st, void *ctx)
{
	struct progress *p = ctx;
	double s = st->ns / 1e9;
	char bar[31];
	int i, fill = 0;

	if (st->ns - p->last_ns < 200000000ULL && p->shown)
		return;
	p->last_ns = st->ns;
	p->shown = true;
	if (p->total)
		fill = (int)(30.0 * st->bytes_in / p->total);
	for (i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : (p->total ? '.' : ' ');
	bar[30] = 0;
	fprintf(stderr, "\r[%s] %3d%% %llu records  %.0f records/s  %.1f MB/s ",
		bar, p->total ? (int)(100.0 * st->bytes_in / p->total) : 0,
		(unsigned long long)st->records_in,
		s > 0 ? st->records_in / s : 0.0,
		s > 0 ? st->bytes_in / s / 1e6 : 0.0);
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

static int open_file(const char *path, bool out)
{
	int fd;

	if (!strcmp(path, "-"))
		return dup(out ? 1 : 0);
	fd = out ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) :
		   open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		p_err("%s: %s", path, strerror(errno));
	return fd;
}

static int do_run(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "in", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, 'o' },
		{ "record", required_argument, NULL, 'r' },
		{ "depth", required_argument, NULL, 'd' },
		{ "budget", required_argument, NULL, 'b' },
		{ "results", required_argument, NULL, 'R' },
		{ "dev", required_argument, NULL, 'D' },
		{ "prog", required_argument, NULL, 'p' },
		{ "batch", required_argument, NULL, 'B' },
		{ "ioctl", no_argument, NULL, 'I' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	HERMES_OPTS(hermes_stream_opts, o, .res_fd = -1, .depth = 4);
	const char *in = NULL, *out = NULL, *res = NULL, *devname = NULL;
	const char *obj, *pname = NULL;
	int in_fd = -1, out_fd = -1, c, ret = 1, err;
	struct hermes_prog *prog = NULL;
	struct hermes_dev *dev = NULL;
	struct progress prog_bar = {};
	struct hermes_stats st;
	bool quiet = false, have_record = false;
	struct sigaction sa = {};
	struct stat sb;
	double s;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			in = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'r':
			if (parse_record(optarg, &o))
				return 2;
			have_record = true;
			break;
		case 'd':
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
			res = optarg;
			break;
		case 'D':
			devname = optarg;
			break;
		case 'p':
			pname = optarg;
			break;
		case 'B':
			if (parse_u32(optarg, "--batch", &o.batch_bytes))
				return 2;
			break;
		case 'I':
			o.use_ioctl = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(help_run, stdout);
			return 0;
		default:
			fputs(help_run, stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || !in || !out || !have_record) {
		p_err("run needs PROG.o, --in, --out and --record");
		fputs(help_run, stderr);
		return 2;
	}
	obj = argv[optind];

	if (hermes_open(devname, &dev)) {
		p_err("%s", hermes_strerror());
		return 1;
	}
	if (hermes_prog_load(dev, obj, pname, &prog)) {
		p_err("%s", hermes_strerror());
		goto out;
	}
	in_fd = open_file(in, false);
	if (in_fd < 0)
		goto out;
	out_fd = open_file(out, true);
	if (out_fd < 0)
		goto out;
	if (res) {
		o.res_fd = open_file(res, true);
		if (o.res_fd < 0)
			goto out;
	}
	if (!fstat(in_fd, &sb) && S_ISREG(sb.st_mode))
		prog_bar.total = sb.st_size;
	if (!quiet && isatty(2)) {
		o.progress = show_progress;
		o.progress_ctx = &prog_bar;
	}
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	o.stop = &stop_flag;

	err = hermes_stream(prog, in_fd, out_fd, &o, &st);
	if (prog_bar.shown)
		fprintf(stderr, "\n");
	s = st.ns / 1e9;
	if (!quiet)
		fprintf(stderr,
			"hermes: %llu records in, %llu out, %llu bytes in, %llu out, %.3f s, %.1f MB/s, %s%s%s\n",
			(unsigned long long)st.records_in,
			(unsigned long long)st.records_out,
			(unsigned long long)st.bytes_in,
			(unsigned long long)st.bytes_out, s,
			s > 0 ? st.bytes_in / s / 1e6 : 0.0,
			hermes_dev_is_fallback(dev) ?
			"fallback (user-space engine)" : "device ",
			hermes_dev_is_fallback(dev) ? "" : hermes_dev_name(dev),
			hermes_dev_is_fallback(dev) ? "" :
			(o.use_ioctl ? " (ioctl)" : " (io_uring)"));
	if (err == -EFAULT && st.fault) {
		p_err("record %llu: %s at instruction %u",
		      (unsigned long long)st.fault_record,
		      hermes_fault_name(st.fault), st.fault_insn);
		ret = 3;
	} else if (err == -EINTR && st.interrupted) {
		fprintf(stderr, "hermes: interrupted\n");
		ret = 130;
	} else if (err) {
		p_err("%s", hermes_strerror());
	} else {
		ret = 0;
	}
out:
	if (o.res_fd >= 0)
		close(o.res_fd);
	if (out_fd >= 0 && close(out_fd) && !ret) {
		p_err("%s: %s", out, strerror(errno));
		ret = 1;
	}
	if (in_fd >= 0)
		close(in_fd);
	hermes_prog_free(prog);
	hermes_close(dev);
	return ret;
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		fputs(help_main, stderr);
		return 2;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h"))
		return do_help(0, NULL);
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("hermes (Hermes tools) 1.0, uapi version of <linux/hermes.h>\n");
		return 0;
	}
	if (!strcmp(cmd, "help"))
		return do_help(argc - 2, argv + 2);
	if (!strcmp(cmd, "devices"))
		return do_devices(argc - 2, argv + 2);
	if (!strcmp(cmd, "run"))
		return do_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "bench"))
		return do_bench(argc - 1, argv + 1);
	p_err("unknown command '%s'", cmd);
	fputs(help_main, stderr);
	return 2;
}
