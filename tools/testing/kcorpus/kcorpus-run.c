// SPDX-License-Identifier: GPL-2.0-only
/*
 * kcorpus-run: load one XDP program of an object on the host kernel and
 * on a Hermes device, run both over the same inputs and say whether every
 * result, and then every map the program uses, is identical.  selftests/drivers/hermes/kcorpus.py drives it over
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
#include <getopt.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "offload-load.h"

#define OUT_SIZE        8192
#define MIN(a, b)       ((a) < (b) ? (a) : (b))
#define MAX_INPUTS      16

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

	/* make_inputs() adds a fixed list: more is a bug here */
	if (in->n == MAX_INPUTS || len > sizeof(in->data[0]))
		abort();
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
	ipv4(d + 4, 64, 17, 5, 53);	/* its Ethernet header at d + 4 */
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

#define MAX_KEYS        4096

/*
 * After the runs, every map the program uses must hold the same entries
 * on the device as on the host: the first difference into @diff
 */
static void compare_maps(struct bpf_object *host, struct bpf_object *dev,
			 char *diff, size_t size)
{
	static uint8_t key[512], next[512], hv[4096], dv[4096];
	struct bpf_map *hm, *dm;

	bpf_object__for_each_map(hm, host) {
		int hfd = bpf_map__fd(hm), dfd, n;
		unsigned int ks = bpf_map__key_size(hm);
		unsigned int vs = bpf_map__value_size(hm);
		void *prev = NULL;

		/*
		 * a per-CPU map holds a value per CPU or engine, each run on
		 * whichever one it ran: not comparable entry by entry
		 */
		if (bpf_map__type(hm) == BPF_MAP_TYPE_PERCPU_ARRAY ||
		    bpf_map__type(hm) == BPF_MAP_TYPE_PERCPU_HASH ||
		    bpf_map__type(hm) == BPF_MAP_TYPE_LRU_PERCPU_HASH)
			continue;
		dm = bpf_object__find_map_by_name(dev, bpf_map__name(hm));
		dfd = dm && bpf_map__autocreate(dm) ? bpf_map__fd(dm) : -1;
		/* a map the device could not create: the program runs without it */
		if (hfd < 0 || dfd < 0 || ks > sizeof(key) || vs > sizeof(hv))
			continue;
		for (n = 0; n < MAX_KEYS; n++) {
			if (bpf_map_get_next_key(hfd, prev, next))
				break;
			memcpy(key, next, ks);
			prev = key;
			if (bpf_map_lookup_elem(hfd, key, hv))
				continue;
			if (bpf_map_lookup_elem(dfd, key, dv)) {
				snprintf(diff, size, "map %s: an entry of the host's is missing on the device",
					 bpf_map__name(hm));
				return;
			}
			if (memcmp(hv, dv, vs)) {
				snprintf(diff, size, "map %s: an entry differs after the runs",
					 bpf_map__name(hm));
				return;
			}
		}
		/* and no entry the host does not have */
		for (prev = NULL, n = 0; n < MAX_KEYS; n++) {
			if (bpf_map_get_next_key(dfd, prev, next))
				break;
			memcpy(key, next, ks);
			prev = key;
			if (bpf_map_lookup_elem(hfd, key, hv)) {
				snprintf(diff, size, "map %s: the device has an entry the host does not",
					 bpf_map__name(hm));
				return;
			}
		}
	}
}

/* one JSON line: @name of @path on the host and, with @ifindex, offloaded */
static void run_one(const char *path, const char *name, int ifindex,
		    const struct inputs *in)
{
	static struct result hr, dr;
	static struct offload_load host, dev;
	char diff[512] = "", a[128], b[128];
	unsigned int i, same = 0, host_ok = 0;

	printf("{");
	json_str("obj", path, false);
	json_str("prog", name, false);
	if (offload_load(path, name, 0, &host)) {
		json_str("host", "refused", false);
		json_str("reason", host.reason, true);
		printf("}\n");
		return;
	}
	json_str("host", "loaded", false);
	if (ifindex && offload_load(path, name, ifindex, &dev)) {
		json_str("hermes", "refused", false);
		json_str("reason", dev.reason, false);
		json_str("kernel_log", dev.klog, false);
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
		    hr.size == dr.size &&
		    !memcmp(hr.out, dr.out, MIN(hr.size, sizeof(hr.out)))) {
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
	if (dev.obj && !diff[0])
		compare_maps(host.obj, dev.obj, diff, sizeof(diff));
	json_str("diff", diff, false);
	printf("\"inputs\": %u, \"host_ok\": %u, \"same\": %u}\n", in->n,
	       host_ok, same);
	fflush(stdout);
	if (dev.obj)
		bpf_object__close(dev.obj);
	dev.obj = NULL;
	bpf_object__close(host.obj);
	host.obj = NULL;
}

/* every XDP program of @path; run each, or with @list only name it */
static void each_prog(const char *path, bool list, int ifindex,
		      const struct inputs *in)
{
	static char names[OFFLOAD_MAX_PROGS][OFFLOAD_NAME_LEN];
	char why[512];
	int n, i;

	n = offload_xdp_progs(path, names, why, sizeof(why));
	if (!n)
		snprintf(why, sizeof(why), "no XDP program in the object");
	if (n <= 0 && !list) {
		/* the object itself: libbpf refuses it, or it has no program */
		printf("{");
		json_str("obj", path, false);
		json_str("prog", "", false);
		json_str("host", "refused", false);
		json_str("reason", why, true);
		printf("}\n");
	}
	for (i = 0; i < n; i++) {
		if (list)
			printf("%s\n", names[i]);
		else
			run_one(path, names[i], ifindex, in);
	}
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
	int ifindex = 0, c;
	bool list = false;

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
	}
	offload_load_init(ifindex);
	make_inputs(&in);
	for (; optind < argc; optind++)
		each_prog(argv[optind], list, ifindex, &in);
	return 0;
}
