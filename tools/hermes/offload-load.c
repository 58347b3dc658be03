// SPDX-License-Identifier: GPL-2.0-only
/*
 * Load one program of an object offloaded to a device, and say why not
 * (offload-load.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "offload-load.h"

#define LOG_SIZE	(1 << 20)
#define MSG_SIZE	(64 << 10)
/* each retry leaves out one more map */
#define MAX_TRIES	16
/* a /dev/kmsg record: up to the kernel's CONSOLE_EXT_LOG_MAX bytes */
#define KMSG_REC	8192
/* the call libbpf puts where a program loads a map it did not create */
#define POISON_MAP_CALL	2001000000

/* what libbpf printed during one load */
static char msgs[MSG_SIZE];
static size_t msgs_len;
static int kmsg_fd = -1;

static int print_fn(enum libbpf_print_level level, const char *fmt,
		    va_list ap)
{
	size_t room = sizeof(msgs) - msgs_len;
	int n;

	if (level == LIBBPF_DEBUG || room <= 1)
		return 0;
	n = vsnprintf(msgs + msgs_len, room, fmt, ap);
	if (n > 0)
		msgs_len += (size_t)n < room ? (size_t)n : room - 1;
	return 0;
}

static void msgs_reset(void)
{
	msgs_len = 0;
	msgs[0] = '\0';
}

int offload_load_init(bool kmsg)
{
	libbpf_set_print(print_fn);
	if (kmsg) {
		kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
		if (kmsg_fd >= 0)
			lseek(kmsg_fd, 0, SEEK_END);
	}
	return 0;
}

bool offload_line_with(const char *text, const char *needle, char *dst,
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

/* "; "-separated @s after @dst; false if it does not fit */
static bool append(char *dst, size_t size, const char *s)
{
	size_t len = strlen(dst);

	if (len + strlen(s) + 3 >= size)
		return false;
	snprintf(dst + len, size - len, "%s%s", len ? "; " : "", s);
	return true;
}

/* the kernel's log lines about Hermes since the last call, into @dst */
static void kmsg_hermes(char *dst, size_t size)
{
	static char rec[KMSG_REC + 1];
	ssize_t n;

	dst[0] = '\0';
	if (kmsg_fd < 0)
		return;
	for (;;) {
		char *text;

		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		/* records overwritten, or one too long (skipped): go on */
		if (n < 0 && (errno == EPIPE || errno == EINVAL))
			continue;
		if (n <= 0)
			break;		/* none left (EAGAIN), or an error */
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		/* the message, not the dictionary lines after it */
		text[strcspn(text, "\n")] = '\0';
		if (!strstr(text, "hermes"))
			continue;
		/* each retry of the load logs the same refusal again */
		if (!strstr(dst, text))
			append(dst, size, text);
	}
}

/*
 * An XDP program: by libbpf's section names, or in a section libbpf does
 * not know whose name starts with "xdp" (iproute2's convention, which
 * the older selftests and samples follow: ip link set ... sec xdp_foo)
 */
static bool is_xdp(const struct bpf_program *p)
{
	return bpf_program__type(p) == BPF_PROG_TYPE_XDP ||
	       (bpf_program__type(p) == BPF_PROG_TYPE_UNSPEC &&
		!strncmp(bpf_program__section_name(p), "xdp", 3));
}

int offload_xdp_progs(const char *path, char names[][OFFLOAD_NAME_LEN],
		      char *why, size_t size)
{
	struct bpf_program *p;
	struct bpf_object *obj;
	int n = 0;

	msgs_reset();
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		int err = errno;

		last_line(msgs, why, size);
		if (!why[0])
			snprintf(why, size, "%s", strerror(err));
		return -1;
	}
	bpf_object__for_each_program(p, obj) {
		if (!is_xdp(p))
			continue;
		if (n == OFFLOAD_MAX_PROGS) {
			snprintf(why, size, "over %d XDP programs",
				 OFFLOAD_MAX_PROGS);
			n = -1;
			break;
		}
		snprintf(names[n++], OFFLOAD_NAME_LEN, "%s",
			 bpf_program__name(p));
	}
	bpf_object__close(obj);
	return n;
}

/* open @path with only @name to load, bound to @ifindex, maps in @l->maps left out */
static int open_one(const char *path, const char *name, int ifindex,
		    struct offload_load *l)
{
	struct bpf_program *p;
	struct bpf_map *m;
	char needle[OFFLOAD_NAME_LEN + 8];

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
		if (bpf_program__type(p) == BPF_PROG_TYPE_UNSPEC)
			bpf_program__set_type(p, BPF_PROG_TYPE_XDP);
		l->log[0] = '\0';
		bpf_program__set_log_buf(p, l->log, LOG_SIZE);
		if (ifindex)
			bpf_program__set_ifindex(p, ifindex);
	}
	if (!l->prog) {
		snprintf(l->reason, sizeof(l->reason), "no program %s", name);
		bpf_object__close(l->obj);
		l->obj = NULL;
		return -1;
	}
	bpf_object__for_each_map(m, l->obj) {
		snprintf(needle, sizeof(needle), "map '%s'", bpf_map__name(m));
		if (ifindex)
			bpf_map__set_ifindex(m, ifindex);
		if (strstr(l->maps, needle))
			bpf_map__set_autocreate(m, false);
	}
	return 0;
}

/*
 * If the "[hermes]" line @line is the call libbpf put in place of a map
 * it did not create, the failure of that map (from @maps) into @dst
 */
static bool poisoned_map(const char *path, const char *line,
			 const char *maps, char *dst, size_t size)
{
	const char *p = strstr(line, "(unknown) (");
	char needle[OFFLOAD_NAME_LEN + 8];
	struct bpf_object *obj;
	struct bpf_map *m;
	long idx, i = 0;
	size_t n;

	if (!p || !maps[0])
		return false;
	idx = strtol(p + strlen("(unknown) ("), NULL, 10) - POISON_MAP_CALL;
	if (idx < 0 || idx >= 4096)
		return false;
	obj = bpf_object__open_file(path, NULL);
	if (!obj)
		return false;
	needle[0] = '\0';
	bpf_object__for_each_map(m, obj)
		if (i++ == idx)
			snprintf(needle, sizeof(needle), "map '%s'",
				 bpf_map__name(m));
	bpf_object__close(obj);
	p = needle[0] ? strstr(maps, needle) : NULL;
	if (!p)
		return false;
	n = strcspn(p, ";");
	snprintf(dst, size, "%.*s", (int)n, p);
	return true;
}

int offload_load(const char *path, const char *name, int ifindex,
		 struct offload_load *l)
{
	char line[512], klog[1024];
	int tries, err = 0;
	char *log = l->log;

	memset(l, 0, sizeof(*l));
	l->log = log ? log : malloc(LOG_SIZE);
	if (!l->log) {
		snprintf(l->reason, sizeof(l->reason), "%s", strerror(ENOMEM));
		return -1;
	}
	kmsg_hermes(klog, sizeof(klog));	/* what came before */
	for (tries = 0; tries < MAX_TRIES; tries++) {
		const char *q;

		if (open_one(path, name, ifindex, l))
			return -1;
		msgs_reset();
		if (!bpf_object__load(l->obj))
			return 0;
		err = errno;
		bpf_object__close(l->obj);
		l->obj = NULL;
		/* a map the device cannot hold: try without it */
		if (!ifindex || !offload_line_with(msgs, "failed to create",
						   line, sizeof(line)))
			break;
		q = strstr(line, "map '");
		if (!q || strstr(l->maps, q) ||
		    !append(l->maps, sizeof(l->maps), q))
			break;
	}
	kmsg_hermes(l->klog, sizeof(l->klog));
	/*
	 * A reference to a map left out becomes a call of an unknown helper
	 * (libbpf's poison, POISON_MAP_CALL + the map's index): that map is
	 * the reason then, not the call
	 */
	if (offload_line_with(l->log, "[hermes]", line, sizeof(line))) {
		if (!poisoned_map(path, line, l->maps, l->reason,
				  sizeof(l->reason)))
			snprintf(l->reason, sizeof(l->reason), "%s%s%s", line,
				 l->maps[0] ? "; " : "", l->maps);
	} else if (l->maps[0]) {
		snprintf(l->reason, sizeof(l->reason), "%s", l->maps);
	} else if (l->log[0]) {
		last_line(l->log, l->reason, sizeof(l->reason));
	} else if (offload_line_with(msgs, "load failed", line,
				     sizeof(line))) {
		/* refused before the verifier ran: no log */
		snprintf(l->reason, sizeof(l->reason), "%s (no verifier log)",
			 line);
	} else if (msgs[0]) {
		last_line(msgs, l->reason, sizeof(l->reason));
	} else {
		snprintf(l->reason, sizeof(l->reason), "%s", strerror(err));
	}
	return -1;
}

void offload_load_close(struct offload_load *l)
{
	if (l->obj)
		bpf_object__close(l->obj);
	l->obj = NULL;
	free(l->log);
	l->log = NULL;
}
