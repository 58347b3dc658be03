// SPDX-License-Identifier: GPL-2.0-only
/*
 * kcorpus-run: load one XDP program of an object on the host kernel and
 * on a Hermes device, run both over the same inputs and say whether every
 * result is identical.  selftests/drivers/hermes/kcorpus.py drives it over
 * the corpus tools/testing/kcorpus/build.sh compiles.
 *
 *   kcorpus-run --list OBJ...       the objects' XDP programs, one a line
 *   kcorpus-run [--dev IFNAME] OBJ...
 *                                   one JSON line a program: the host's
 *                                   load and, with --dev, the device's
 *                                   load and results against the host's
 *
 * Only the program under test is loaded (libbpf autoload), so that the
 * other programs of a selftest object do not decide its fate; on the
 * device, a map that cannot be offloaded is left out and the load tried
 * again, so a map the program does not use does not refuse it either,
 * and a map it does use is named as the reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define LOG_SIZE        (1 << 20)
#define MSG_SIZE        (64 << 10)
#define OUT_SIZE        8192
#define MAX_INPUTS      16
#define MAX_RETRIES     16

/* what libbpf printed during one load */
static char msgs[MSG_SIZE];
static size_t msgs_len;

static int print_fn(enum libbpf_print_level level, const char *fmt,
		    va_list ap)
{
	int n;

	if (level == LIBBPF_DEBUG || msgs_len >= sizeof(msgs) - 1)
		return 0;
	n = vsnprintf(msgs + msgs_len, sizeof(msgs) - msgs_len, fmt, ap);
	if (n > 0)
		msgs_len += (size_t)n < sizeof(msgs) - msgs_len ?
			    (size_t)n : sizeof(msgs) - msgs_len - 1;
	return 0;
}

static void json_str(const char *key, const char *s, bool last)
{
	printf("\"%s\": \"", key);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			printf("\\n");
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	printf("\"%s", last ? "" : ", ");
}

/* the first line of @text that contains @needle, into @dst */
static bool line_with(const char *text, const char *needle, char *dst,
		      size_t size)
{
	const char *p = strstr(text, needle), *b, *e;
	size_t n;

	if (!p)
		return false;
	for (b = p; b > text && b[-1] != '\n'; b--)
		;
	e = strchr(p, '\n');
	n = e ? (size_t)(e - b) : strlen(b);
	if (n >= size)
		n = size - 1;
	memcpy(dst, b, n);
	dst[n] = '\0';
	return true;
}

/* the last non-empty line of @text */
static void last_line(const char *text, char *dst, size_t size)
{
	size_t n = strlen(text), e;

	while (n && text[n - 1] == '\n')
		n--;
	e = n;
	while (n && text[n - 1] != '\n')
		n--;
	if (e - n >= size)
		e = n + size - 1;
	memcpy(dst, text + n, e - n);
	dst[e - n] = '\0';
}

struct inputs {
	unsigned int n;
	unsigned int len[MAX_INPUTS];
	uint8_t data[MAX_INPUTS][1600];
};

static uint32_t rnd_state = 0x4b434f52;	/* "KCOR" */

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static uint8_t *add_input(struct inputs *in, unsigned int len)
{
	uint8_t *d = in->data[in->n];
	unsigned int i;

	for (i = 0; i < len; i++)
		d[i] = (uint8_t)rnd();
	in->len[in->n++] = len;
	return d;
}

static unsigned int eth(uint8_t *d, uint16_t proto)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

	memcpy(d, macs, 12);
	d[12] = proto >> 8;
	d[13] = proto & 0xff;
	return 14;
}

/* IPv4 header of @ihl words carrying @proto, then a UDP or TCP header */
static void ipv4(uint8_t *d, unsigned int len, uint8_t proto, uint8_t ihl,
		 uint16_t dport)
{
	unsigned int off = eth(d, 0x0800), tot = len - off;

	d[off] = 0x40 | ihl;
	d[off + 1] = 0;
	d[off + 2] = tot >> 8;
	d[off + 3] = tot & 0xff;
	d[off + 6] = 0x40;		/* DF, not a fragment */
	d[off + 8] = 64;
	d[off + 9] = proto;
	off += 4 * ihl;
	d[off + 2] = dport >> 8;
	d[off + 3] = dport & 0xff;
	if (proto == 6)
		d[off + 12] = 5 << 4;	/* TCP data offset */
}

static void ipv6(uint8_t *d, unsigned int len, uint8_t next, uint16_t dport)
{
	unsigned int off = eth(d, 0x86dd), pl = len - off - 40;

	d[off] = 0x60;
	d[off + 4] = pl >> 8;
	d[off + 5] = pl & 0xff;
	d[off + 6] = next;
	d[off + 7] = 64;
	off += 40;
	d[off + 2] = dport >> 8;
	d[off + 3] = dport & 0xff;
	if (next == 6)
		d[off + 12] = 5 << 4;
}

/* packet-like inputs, the protocols XDP programs parse, then random ones */
static void make_inputs(struct inputs *in)
{
	uint8_t *d;

	ipv4(add_input(in, 64), 64, 17, 5, 53);
	ipv4(add_input(in, 128), 128, 6, 5, 80);
	ipv4(add_input(in, 74), 74, 6, 6, 443);
	ipv4(add_input(in, 60), 60, 1, 5, 0);
	ipv4(add_input(in, 1500), 1500, 17, 5, 4789);
	ipv6(add_input(in, 96), 96, 17, 53);
	ipv6(add_input(in, 140), 140, 6, 80);
	d = add_input(in, 68);		/* 802.1Q-tagged IPv4 */
	ipv4(d + 4, 64, 17, 5, 53);
	memmove(d + 18, d + 4 + 14, 50);
	eth(d, 0x8100);
	d[16] = 0x08;
	d[17] = 0x00;
	eth(add_input(in, 42), 0x0806);	/* ARP */
	add_input(in, 14);
	add_input(in, 64);
	add_input(in, 1000);
}

struct result {
	int err;
	uint32_t retval;
	uint32_t size;
	uint8_t out[OUT_SIZE];
};

static void test_run(int fd, const uint8_t *data, unsigned int len,
		     struct result *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, o,
		    .data_in = data, .data_size_in = len,
		    .data_out = r->out, .data_size_out = sizeof(r->out),
		    .repeat = 1);

	memset(r, 0, sizeof(*r));
	r->err = bpf_prog_test_run_opts(fd, &o) ? errno : 0;
	r->retval = o.retval;
	r->size = o.data_size_out;
}

static void describe(const struct result *r, char *dst, size_t size)
{
	if (r->err)
		snprintf(dst, size, "errno %d (%s)", r->err, strerror(r->err));
	else
		snprintf(dst, size, "retval %u, %u bytes", r->retval, r->size);
}

struct loaded {
	struct bpf_object *obj;
	struct bpf_program *prog;
	char reason[1024];
};

/*
 * Open @path and load only @name, on the host (@ifindex 0) or offloaded.
 * On failure, @l->reason says why: the device's "[hermes]" verifier line,
 * the maps it could not hold, or the last line of the verifier log.
 */
static int load_prog(const char *path, const char *name, int ifindex,
		struct loaded *l, char *log)
{
	char dropped[512] = "", line[512];
	int tries, err = 0;

	for (tries = 0; tries < MAX_RETRIES; tries++) {
		struct bpf_program *p;
		struct bpf_map *m;

		l->obj = bpf_object__open_file(path, NULL);
		if (!l->obj) {
			snprintf(l->reason, sizeof(l->reason), "open: %s",
				 strerror(errno));
			return -1;
		}
		l->prog = NULL;
		bpf_object__for_each_program(p, l->obj) {
			bool me = !strcmp(bpf_program__name(p), name);

			bpf_program__set_autoload(p, me);
			if (!me)
				continue;
			l->prog = p;
			log[0] = '\0';
			bpf_program__set_log_buf(p, log, LOG_SIZE);
			if (ifindex)
				bpf_program__set_ifindex(p, ifindex);
		}
		if (!l->prog) {
			snprintf(l->reason, sizeof(l->reason), "no program %s",
				 name);
			bpf_object__close(l->obj);
			return -1;
		}
		bpf_object__for_each_map(m, l->obj) {
			snprintf(line, sizeof(line), "map '%s'",
				 bpf_map__name(m));
			if (ifindex)
				bpf_map__set_ifindex(m, ifindex);
			if (strstr(dropped, line))
				bpf_map__set_autocreate(m, false);
		}
		msgs_len = 0;
		msgs[0] = '\0';
		err = bpf_object__load(l->obj);
		if (!err)
			return 0;
		err = errno;
		/* a map the device cannot hold: try without it */
		if (ifindex && line_with(msgs, "failed to create", line,
					 sizeof(line)) &&
		    strlen(dropped) + strlen(line) + 4 < sizeof(dropped)) {
			char *q = strstr(line, "map '");

			if (q && !strstr(dropped, q)) {
				strcat(dropped, dropped[0] ? "; " : "");
				strcat(dropped, q);
				bpf_object__close(l->obj);
				continue;
			}
		}
		break;
	}
	/*
	 * A program's reference to a map left out becomes a call to an
	 * unknown helper (libbpf's poison): the map is the reason then
	 */
	if (line_with(log, "[hermes]", line, sizeof(line)) &&
	    !(dropped[0] && strstr(line, "(unknown)")))
		snprintf(l->reason, sizeof(l->reason), "%s%s%s", line,
			 dropped[0] ? "; " : "", dropped);
	else if (dropped[0])
		snprintf(l->reason, sizeof(l->reason), "%s", dropped);
	else if (log[0])
		last_line(log, l->reason, sizeof(l->reason));
	else if (line_with(msgs, "load failed", line, sizeof(line)))
		/* refused before the verifier ran: no log */
		snprintf(l->reason, sizeof(l->reason), "%s (no verifier log)",
			 line);
	else if (msgs[0])
		last_line(msgs, l->reason, sizeof(l->reason));
	else
		snprintf(l->reason, sizeof(l->reason), "%s", strerror(err));
	bpf_object__close(l->obj);
	l->obj = NULL;
	return -1;
}

/* the kernel log lines about Hermes since the last call, into @dst */
static void kmsg_hermes(int fd, char *dst, size_t size)
{
	char rec[1024];
	ssize_t n;

	dst[0] = '\0';
	if (fd < 0)
		return;
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 ||
	       (n < 0 && errno == EPIPE)) {
		char *text;

		if (n < 0)
			continue;	/* overwritten records: go on */
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text || !strstr(text, "hermes"))
			continue;
		text++;
		text[strcspn(text, "\n")] = '\0';
		if (strlen(dst) + strlen(text) + 3 < size) {
			strcat(dst, dst[0] ? "; " : "");
			strcat(dst, text);
		}
	}
}

/* one JSON line: @name of @path on the host and, with @ifindex, offloaded */
static void run_one(const char *path, const char *name, int ifindex,
		    int kmsg, const struct inputs *in, char *log)
{
	static struct result hr, dr;
	struct loaded host = { 0 }, dev = { 0 };
	char diff[512] = "", a[128], b[128], klog[1024];
	unsigned int i, same = 0, host_ok = 0;

	printf("{");
	json_str("obj", path, false);
	json_str("prog", name, false);
	if (load_prog(path, name, 0, &host, log)) {
		json_str("host", "refused", false);
		json_str("reason", host.reason, true);
		printf("}\n");
		return;
	}
	json_str("host", "loaded", false);
	kmsg_hermes(kmsg, klog, sizeof(klog));
	if (ifindex && load_prog(path, name, ifindex, &dev, log)) {
		kmsg_hermes(kmsg, klog, sizeof(klog));
		json_str("hermes", "refused", false);
		json_str("reason", dev.reason, false);
		json_str("kernel_log", klog, false);
	} else if (ifindex) {
		json_str("hermes", "loaded", false);
	}
	for (i = 0; i < in->n; i++) {
		test_run(bpf_program__fd(host.prog), in->data[i], in->len[i],
			 &hr);
		host_ok += !hr.err;
		if (!dev.obj)
			continue;
		test_run(bpf_program__fd(dev.prog), in->data[i], in->len[i],
			 &dr);
		if (hr.err == dr.err && hr.retval == dr.retval &&
		    hr.size == dr.size && !memcmp(hr.out, dr.out, hr.size)) {
			same++;
		} else if (!diff[0]) {
			describe(&hr, a, sizeof(a));
			describe(&dr, b, sizeof(b));
			snprintf(diff, sizeof(diff),
				 "input %u (%u bytes): host %s, hermes %s%s",
				 i, in->len[i], a, b,
				 hr.err == dr.err && hr.retval == dr.retval &&
				 hr.size == dr.size ? ", bytes differ" : "");
		}
	}
	json_str("diff", diff, false);
	printf("\"inputs\": %u, \"host_ok\": %u, \"same\": %u}\n", in->n,
	       host_ok, same);
	fflush(stdout);
	if (dev.obj)
		bpf_object__close(dev.obj);
	bpf_object__close(host.obj);
}

/* every XDP program of @path; run each, or with @list only name it */
static int each_prog(const char *path, bool list, int ifindex, int kmsg,
		     const struct inputs *in, char *log)
{
	struct bpf_object *obj;
	char names[64][128];
	struct bpf_program *p;
	unsigned int n = 0, i;

	msgs_len = 0;
	msgs[0] = '\0';
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		/* libbpf refuses the object itself (legacy maps, ...) */
		char why[512];
		int err = errno;

		if (list)
			return 0;
		last_line(msgs, why, sizeof(why));
		printf("{");
		json_str("obj", path, false);
		json_str("prog", "", false);
		json_str("host", "refused", false);
		json_str("reason", why[0] ? why : strerror(err), true);
		printf("}\n");
		return 0;
	}
	bpf_object__for_each_program(p, obj) {
		if (bpf_program__type(p) != BPF_PROG_TYPE_XDP)
			continue;
		if (n == 64) {
			fprintf(stderr, "kcorpus-run: %s: over 64 programs\n",
				path);
			break;
		}
		snprintf(names[n++], sizeof(names[0]), "%s",
			 bpf_program__name(p));
	}
	bpf_object__close(obj);
	for (i = 0; i < n; i++) {
		if (list)
			printf("%s\n", names[i]);
		else
			run_one(path, names[i], ifindex, kmsg, in, log);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "list", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	static struct inputs in;
	const char *devname = NULL;
	int ifindex = 0, kmsg = -1, c, rc = 0;
	bool list = false;
	char *log;

	while ((c = getopt_long(argc, argv, "d:l", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			devname = optarg;
			break;
		case 'l':
			list = true;
			break;
		default:
			fprintf(stderr, "usage: kcorpus-run [--list] [--dev IFNAME] OBJ...\n");
			return 2;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "usage: kcorpus-run [--list] [--dev IFNAME] OBJ...\n");
		return 2;
	}
	if (devname) {
		ifindex = (int)if_nametoindex(devname);
		if (!ifindex) {
			fprintf(stderr, "kcorpus-run: %s: %s\n", devname,
				strerror(errno));
			return 2;
		}
		kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
		if (kmsg >= 0)
			lseek(kmsg, 0, SEEK_END);
	}
	log = malloc(LOG_SIZE);
	if (!log)
		return 2;
	libbpf_set_print(list ? NULL : print_fn);
	make_inputs(&in);
	for (; optind < argc; optind++)
		rc |= each_prog(argv[optind], list, ifindex, kmsg, &in, log);
	free(log);
	return rc;
}
