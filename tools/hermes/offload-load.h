/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Load one program of an object offloaded to a device, and say why not:
 * what `hermes explain` and the kernel-corpus test (tools/testing/kcorpus)
 * share.
 */
#ifndef __HERMES_OFFLOAD_LOAD_H
#define __HERMES_OFFLOAD_LOAD_H

#include <stdbool.h>
#include <stddef.h>

struct bpf_object;
struct bpf_program;

#define OFFLOAD_MAX_PROGS	64
#define OFFLOAD_NAME_LEN	128

struct offload_load {
	struct bpf_object *obj;		/* loaded, or NULL */
	struct bpf_program *prog;
	/* why not: the "[hermes]" verifier line, the maps, the error */
	char reason[1100];
	/* the maps the device could not create, "map 'NAME': error; ..." */
	char maps[512];
	/* the kernel's log lines about Hermes during the load */
	char klog[1024];
	/* the program's verifier log, when the kernel refused it */
	char *log;
};

/*
 * Capture libbpf's messages (instead of printing them) for the reasons;
 * with @kmsg, also read the kernel's log lines about Hermes.  Once, first.
 */
int offload_load_init(bool kmsg);

/*
 * The XDP programs of @path into @names (at most OFFLOAD_MAX_PROGS);
 * their number, or -1 if libbpf cannot open the object (@why says why).
 */
int offload_xdp_progs(const char *path, char names[][OFFLOAD_NAME_LEN],
		      char *why, size_t size);

/*
 * Open @path and load only its program @name, on the host (@ifindex 0)
 * or offloaded to @ifindex with every map the program uses.  A map the
 * device cannot create is left out and the load tried again, so that
 * only a map the program uses refuses it.  0 and @l->obj set, or -1 and
 * @l->reason.
 */
int offload_load(const char *path, const char *name, int ifindex,
		 struct offload_load *l);
void offload_load_close(struct offload_load *l);

/* The first line of @text that contains @needle, into @dst */
bool offload_line_with(const char *text, const char *needle, char *dst,
		       size_t size);

#endif /* __HERMES_OFFLOAD_LOAD_H */
