// SPDX-License-Identifier: GPL-2.0-only
/*
 * hermes explain: load each XDP program of an object on a Hermes device
 * as `bpftool prog load ... offload_dev` would, and when the device
 * refuses one, say why and what to change.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "hermes.h"
#include "offload-load.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

const char *const help_explain =
"Usage: hermes explain [--dev hermesN] [--prog NAME] OBJ\n"
"\n"
"Load each XDP program of OBJ (or only NAME) on the device (default the\n"
"first) as `bpftool prog load OBJ PATH offload_dev IFNAME` would, but\n"
"leaving out the maps the device cannot create (so that only a map the\n"
"program uses refuses it), and say for each whether the device takes\n"
"it; for one it refuses, the reason (the driver's \"[hermes]\" verifier\n"
"line, the map it cannot hold, the kernel's log lines) and what to\n"
"change.  Each program is loaded on the host kernel first: what the host\n"
"refuses is not a question of offload.\n"
"\n"
"Exit status: 0 the device takes every program; 1 error; 2 usage; 3 a\n"
"program is refused (by the device, or by the host kernel too).\n";

/* a refusal's cause, as the reason's text names it, and the way out */
static const struct {
	const char *match;
	const char *hint;
} hints[] = {
	{ "call to helper",
	  "the device does not implement this helper: remove the call, or load the program on the host kernel (not offloaded)" },
	{ "kfunc",
	  "kernel functions exist only on the host: run the program there" },
	{ "bpf-to-bpf",
	  "mark the functions __always_inline" },
	{ "(no verifier log)",
	  "the kernel refused the load before verifying it (program flags, attach type); a kernel without the Hermes core series does not offload xdp.frags programs: use SEC(\"xdp\")" },
};

/* what to say about map @name that the device could not create */
static const char *map_hint(const char *name, const char *why)
{
	static const char *const sections[] = {
		".bss", ".data", ".rodata", ".kconfig",
	};
	size_t i;

	/* libbpf names them OBJ.bss, OBJ.rodata, .rodata.str1.1, ... */
	for (i = 0; i < ARRAY_SIZE(sections); i++) {
		if (strstr(name, sections[i]))
			return "global variables: libbpf keeps them in a map it maps into the process, and an offloaded map has no memory on the host to map; keep the state in an ARRAY map of your own";
	}
	if (strstr(why, "Operation not supported"))
		return "the kernel or the device cannot hold this map type (the kernel offloads ARRAY, HASH, PERCPU_ARRAY and LRU_HASH, the device says in the kernel log which it holds): use one it holds if the program allows, or run it on the host";
	if (strstr(why, "Invalid argument"))
		return "the device refused the map's flags or sizes: the kernel log line says which";
	return NULL;
}

static void explain_maps(const char *maps, const struct bpf_object *obj)
{
	const char *p = maps;

	while ((p = strstr(p, "map '"))) {
		char name[OFFLOAD_NAME_LEN] = "", why[256] = "";
		const char *q = strchr(p + 5, '\'');
		const struct bpf_map *m;
		const char *type = "", *h;

		if (!q)
			break;
		snprintf(name, sizeof(name), "%.*s", (int)(q - p - 5), p + 5);
		q = strstr(q, ": ");
		if (q)
			snprintf(why, sizeof(why), "%.*s",
				 (int)strcspn(q + 2, ";"), q + 2);
		m = obj ? bpf_object__find_map_by_name(obj, name) : NULL;
		if (m)
			type = libbpf_bpf_map_type_str(bpf_map__type(m));
		h = map_hint(name, why);
		if (json_output) {
			json_object_start(NULL);
			json_string("name", name);
			json_string("type", type ? type : "");
			json_string("error", why);
			json_string("hint", h ? h : "");
			json_object_end();
		} else {
			printf("  map %s (%s): %s\n", name, type ? type : "?",
			       why);
			if (h)
				printf("    %s\n", h);
		}
		p = q ? q : p + 5;
	}
}

/* -j: the object of a program, opened, with what every answer has */
static void json_prog_start(const char *name, bool host, bool offloaded)
{
	json_object_start(NULL);
	json_string("prog", name);
	json_bool("host", host);
	json_bool("offloaded", offloaded);
}

static int explain_one(const char *path, const char *name, int ifindex,
		       const char *dev, struct bpf_object *types)
{
	static struct offload_load host, l;
	const char *hint = NULL;
	size_t i;

	if (offload_load(path, name, 0, &host)) {
		if (json_output) {
			json_prog_start(name, false, false);
			json_string("reason", host.reason);
			json_object_end();
		} else {
			printf("%s: the host kernel refuses it too (not a question of offload): %s\n",
			       name, host.reason);
		}
		return 3;
	}
	offload_load_close(&host);
	if (!offload_load(path, name, ifindex, &l)) {
		offload_load_close(&l);
		if (json_output) {
			json_prog_start(name, true, true);
			json_object_end();
		} else {
			printf("%s: %s takes it\n", name, dev);
		}
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(hints); i++)
		if (strstr(l.reason, hints[i].match)) {
			hint = hints[i].hint;
			break;
		}
	if (json_output) {
		json_prog_start(name, true, false);
		json_string("reason", l.reason);
		json_string("kernel_log", l.klog);
		json_string("hint", hint ? hint : "");
		json_array_start("maps");
		explain_maps(l.maps, types);
		json_array_end();
		json_object_end();
	} else {
		printf("%s: %s refuses it: %s\n", name, dev, l.reason);
		if (hint)
			printf("  %s\n", hint);
		explain_maps(l.maps, types);
		if (l.klog[0])
			printf("  kernel log: %s\n", l.klog);
	}
	offload_load_close(&l);
	return 3;
}

int do_explain(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "dev", required_argument, NULL, 'D' },
		{ "prog", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static char names[OFFLOAD_MAX_PROGS][OFFLOAD_NAME_LEN];
	const char *devname = NULL, *pname = NULL, *path;
	struct bpf_object *types;
	struct hermes_dev *dev = NULL;
	struct hermes_info info;
	int c, n, i, ret = 0, found = 0;
	char why[512];

	optind = 0;
	while ((c = getopt_long(argc, argv, "D:P:jpqdh", lopts, NULL)) != -1) {
		if (!common_opt(c))
			continue;
		switch (c) {
		case 'D':
			devname = optarg;
			break;
		case 'P':
			pname = optarg;
			break;
		case 'h':
			fputs(help_explain, stdout);
			return 0;
		default:
			fputs(help_explain, stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fputs(help_explain, stderr);
		return 2;
	}
	path = argv[optind];
	if (devname && !strcmp(devname, "none")) {
		p_err("explain: the user-space fallback offloads nothing: name a device");
		return 2;
	}
	if (hermes_open(devname, &dev)) {
		p_err("%s", hermes_strerror());
		return 1;
	}
	if (hermes_dev_is_fallback(dev)) {
		p_err("explain: no Hermes device (is the hermes module loaded?)");
		hermes_close(dev);
		return 1;
	}
	if (hermes_dev_info(dev, &info)) {
		p_err("%s", hermes_strerror());
		hermes_close(dev);
		return 1;
	}
	offload_load_init(true);
	n = offload_xdp_progs(path, names, why, sizeof(why));
	if (n < 0) {
		p_err("%s: %s", path, why);
		hermes_close(dev);
		return 1;
	}
	for (i = 0; i < n; i++)
		found += !pname || !strcmp(pname, names[i]);
	if (!found) {
		p_err("%s: no XDP program%s%s", path, pname ? " " : "",
		      pname ? pname : "");
		hermes_close(dev);
		return 1;
	}
	/* opened once more only to name the types of the maps refused */
	types = bpf_object__open_file(path, NULL);
	if (json_output) {
		json_start();
		json_array_start(NULL);
	}
	for (i = 0; i < n; i++) {
		if (pname && strcmp(pname, names[i]))
			continue;
		if (explain_one(path, names[i], (int)info.ifindex, info.ifname,
				types))
			ret = 3;
	}
	if (json_output) {
		json_array_end();
		json_end();
	}
	bpf_object__close(types);
	hermes_close(dev);
	return ret;
}
