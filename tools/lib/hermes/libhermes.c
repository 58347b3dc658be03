// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libhermes: devices, program loading and record streaming.
 *
 * A stream cuts the input into batches of whole records, each one small
 * enough for the device's data slot with its result table, keeps up to
 * `depth` of them in flight (io_uring IORING_OP_URING_CMD, or the blocking
 * ioctl, or the user-space engine) and writes the outputs in input order
 * as the completions come back in any order.
 *
 * Only a batch that completed is written: a batch that failed writes
 * nothing of its own and the stream ends at it.  Two answers of the
 * driver are a batch to submit again (retry_batch()): EBUSY, the file
 * has as many batches in flight as the driver takes (module parameter
 * max_batches): the batch did not run; and EAGAIN, the device aborted it
 * on its own (the QEMU model does when the VM is saved or migrated): no
 * byte of it was written back, not even in place, but the records before
 * the abort ran, so it runs again only for a program without maps, which
 * they could have updated.  It keeps its place in the output.  After an
 * EBUSY the stream keeps no more batches in flight than the driver had
 * then, so that it is not refused at every completion.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <liburing.h>
#include <pthread.h>

#include "libhermes_internal.h"

static __thread char hermes_errbuf[512];
/* the verifier's log of the last load the kernel rejected */
static __thread char *hermes_vlog;

const char *hermes_strerror(void)
{
	return hermes_errbuf;
}

const char *hermes_verifier_log(void)
{
	return hermes_vlog ? hermes_vlog : "";
}

/* What every exported function returns: errno set too, as libbpf 1.x does */
static int hermes_ret(int ret)
{
	if (ret < 0)
		errno = -ret;
	return ret;
}

/*
 * libbpf's own error codes (LIBBPF_ERRNO__*, from 4000) are no errno:
 * strerror() says "Unknown error 4001".  Put libbpf's text in @msg and
 * return the nearest system errno.
 */
static int libbpf_errno(int err, char *msg, size_t len)
{
	libbpf_strerror(err, msg, len);
	switch (-err) {
	case LIBBPF_ERRNO__LIBELF:
	case LIBBPF_ERRNO__FORMAT:
	case LIBBPF_ERRNO__ENDIAN:
		return -ENOEXEC;
	case LIBBPF_ERRNO__VERIFY:
		return -EACCES;
	case LIBBPF_ERRNO__PROG2BIG:
		return -E2BIG;
	case LIBBPF_ERRNO__PROGTYPE:
		return -EOPNOTSUPP;
	default:
		if (-err >= __LIBBPF_ERRNO__START)
			return -EINVAL;
		return err;
	}
}

int hermes_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(hermes_errbuf, sizeof(hermes_errbuf), fmt, ap);
	va_end(ap);
	return err < 0 ? err : -err;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

const char *hermes_fault_name(uint32_t fault)
{
	switch (fault) {
	case 0:
		return "none";
	case HERMES_FAULT_LOAD:
		return "load fault";
	case HERMES_FAULT_STORE:
		return "store fault";
	case HERMES_FAULT_MISALIGNED:
		return "misaligned atomic";
	case HERMES_FAULT_BUDGET:
		return "instruction budget exhausted";
	case HERMES_FAULT_CALL_DEPTH:
		return "call depth exceeded";
	case HERMES_FAULT_HELPER:
		return "helper fault";
	case HERMES_FAULT_ABORTED:
		return "aborted";
	default:
		return "unknown fault";
	}
}

/* Devices */

static int cmp_names(const void *a, const void *b)
{
	const char *x = a, *y = b;
	size_t lx = strlen(x), ly = strlen(y);

	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

static int list_devices(char names[][32], int max)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	d = opendir("/dev");
	if (!d)
		return hermes_err(-errno, "/dev: %s", strerror(errno));
	while ((de = readdir(d)) && n < max) {
		size_t len = strlen(de->d_name);

		if (strncmp(de->d_name, "hermes", 6) || len == 6 || len > 31 ||
		    strspn(de->d_name + 6, "0123456789") != len - 6)
			continue;
		memcpy(names[n++], de->d_name, len + 1);
	}
	closedir(d);
	qsort(names, n, 32, cmp_names);
	return n;
}

int hermes_list_devices(char names[][32], int max)
{
	return hermes_ret(list_devices(names, max));
}

/* Is the hermes driver there, as a loaded module or built in? */
static bool hermes_module_present(void)
{
	char line[256];
	bool found = false;
	FILE *f;

	if (!access("/sys/module/hermes", F_OK))
		return true;
	f = fopen("/proc/modules", "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "hermes ", 7);
	fclose(f);
	return found;
}

/* "hermes3" or "/dev/hermes3" */
static bool hermes_node_name(const char *name)
{
	const char *p = name;

	if (!strncmp(p, "/dev/", 5))
		p += 5;
	return !strncmp(p, "hermes", 6) && p[6] &&
	       strspn(p + 6, "0123456789") == strlen(p + 6);
}

/* A named device that is not there: say why */
static int missing_device(const char *name)
{
	char names[64][32], list[256] = "";
	size_t used = 0;
	int n, i;

	if (!hermes_module_present())
		return hermes_err(-ENODEV,
				  "%s: the hermes module is not loaded (modprobe hermes)",
				  name);
	n = list_devices(names, 64);
	if (n <= 0)
		return hermes_err(-ENODEV,
				  "%s: no such device: the hermes module is loaded but drives no device",
				  name);
	for (i = 0; i < n && used < sizeof(list) - 1; i++)
		used += snprintf(list + used, sizeof(list) - used, "%s%s",
				 i ? ", " : "", names[i]);
	return hermes_err(-ENODEV, "%s: no such device (%s: %s)", name,
			  n > 1 ? "there are" : "there is", list);
}

static void fallback_info(struct hermes_info *info)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->ifname, sizeof(info->ifname), "none");
	snprintf(info->build, sizeof(info->build),
		 "user-space Hermes engine (fallback)");
	info->engines = 1;
	info->max_batch = HERMES_FB_MAX_BATCH;
	info->stack_size = 512;
	info->max_insns = 1U << 20;
	info->budget_default = 1U << 24;
	info->budget_max = UINT32_MAX;
}

static int dev_open(const char *name, struct hermes_dev **devp)
{
	char path[sizeof(((struct hermes_dev *)0)->name)], names[64][32];
	struct hermes_dev *dev;
	int n;

	*devp = NULL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return hermes_err(-ENOMEM, "out of memory");
	dev->fd = -1;
	if (!name || !*name) {
		n = list_devices(names, 64);
		name = n > 0 ? names[0] : "none";
	}
	if (!strcmp(name, "none")) {
		snprintf(dev->name, sizeof(dev->name), "none");
		fallback_info(&dev->info);
		*devp = dev;
		return 0;
	}
	if (name[0] == '/')
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/dev/%s", name);
	dev->fd = open(path, O_RDWR | O_CLOEXEC);
	if (dev->fd < 0) {
		int err = -errno;

		free(dev);
		if (err == -ENOENT && hermes_node_name(name))
			return missing_device(name);
		return hermes_err(err, "cannot open %s: %s", path,
				  strerror(-err));
	}
	snprintf(dev->name, sizeof(dev->name), "%s", path);
	if (ioctl(dev->fd, HERMES_IOC_INFO, &dev->info)) {
		int err = -errno;

		close(dev->fd);
		free(dev);
		return hermes_err(err, "%s: HERMES_IOC_INFO: %s", path,
				  strerror(-err));
	}
	*devp = dev;
	return 0;
}

int hermes_open(const char *name, struct hermes_dev **devp)
{
	return hermes_ret(dev_open(name, devp));
}

void hermes_close(struct hermes_dev *dev)
{
	if (!dev)
		return;
	if (dev->fd >= 0)
		close(dev->fd);
	free(dev);
}

const char *hermes_dev_name(const struct hermes_dev *dev)
{
	return dev->name;
}

bool hermes_dev_is_fallback(const struct hermes_dev *dev)
{
	return dev->fd < 0;
}

int hermes_dev_info(struct hermes_dev *dev, struct hermes_info *info)
{
	if (dev->fd >= 0 && ioctl(dev->fd, HERMES_IOC_INFO, &dev->info))
		return hermes_ret(hermes_err(-errno, "%s: HERMES_IOC_INFO: %s",
					     dev->name, strerror(errno)));
	*info = dev->info;
	return 0;
}

/* Programs */

/* The verifier's log on a rejection: enough for the path to the error */
#define HERMES_VLOG_SIZE	(1U << 20)

static int prog_load(struct hermes_dev *dev, const char *path,
		     const char *prog_name, struct hermes_prog **progp)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct bpf_program *bp = NULL, *it;
	struct hermes_prog *prog;
	struct bpf_map *map;
	char msg[128];
	int err;

	*progp = NULL;
	free(hermes_vlog);
	/* a log buffer of ours: libbpf then keeps the log instead of printing */
	hermes_vlog = calloc(1, HERMES_VLOG_SIZE);
	prog = calloc(1, sizeof(*prog));
	if (!prog || !hermes_vlog) {
		free(prog);
		return hermes_err(-ENOMEM, "out of memory");
	}
	oo.kernel_log_buf = hermes_vlog;
	oo.kernel_log_size = HERMES_VLOG_SIZE;
	prog->dev = dev;
	prog->fd = -1;
	prog->obj = bpf_object__open_file(path, &oo);
	if (!prog->obj) {
		err = libbpf_errno(-errno, msg, sizeof(msg));
		free(prog);
		return hermes_err(err, "%s: cannot open the BPF object: %s",
				  path, msg);
	}
	bpf_object__for_each_program(it, prog->obj) {
		if (!bp && (!prog_name ||
			    !strcmp(bpf_program__name(it), prog_name)))
			bp = it;
		else
			bpf_program__set_autoload(it, false);
	}
	if (!bp) {
		err = hermes_err(-ENOENT, "%s: no program%s%s", path,
				 prog_name ? " named " : "",
				 prog_name ? prog_name : "");
		goto fail;
	}
	snprintf(prog->name, sizeof(prog->name), "%s", bpf_program__name(bp));
	/* before anything is loaded: the section says the type */
	if (bpf_program__type(bp) != BPF_PROG_TYPE_XDP) {
		err = hermes_err(-EINVAL, "%s: section '%s' is not an XDP program",
				 path, bpf_program__section_name(bp));
		goto fail;
	}
	if (!hermes_dev_is_fallback(dev)) {
		bpf_program__set_ifindex(bp, dev->info.ifindex);
		bpf_object__for_each_map(map, prog->obj)
			bpf_map__set_ifindex(map, dev->info.ifindex);
	} else if (bpf_object__next_map(prog->obj, NULL)) {
		err = hermes_err(-EOPNOTSUPP,
				 "%s: the program uses maps, which the user-space fallback does not support: run it on a device",
				 path);
		goto fail;
	}
	err = bpf_object__load(prog->obj);
	if (err) {
		err = libbpf_errno(err, msg, sizeof(msg));
		if (err == -EPERM)
			err = hermes_err(err,
					 "%s: loading %s needs CAP_BPF (and CAP_NET_ADMIN): even the fallback runs only programs the kernel verified",
					 path, prog->name);
		else if (!hermes_vlog[0])
			err = hermes_err(err, "%s: program %s: %s", path,
					 prog->name, msg);
		else if (hermes_dev_is_fallback(dev))
			err = hermes_err(err,
					 "%s: the host kernel's verifier rejects program %s: %s",
					 path, prog->name, msg);
		else
			err = hermes_err(err,
					 "%s: program %s cannot be offloaded to %s: %s",
					 path, prog->name, dev->info.ifname, msg);
		goto fail;
	}
	hermes_vlog[0] = 0;
	prog->fd = bpf_program__fd(bp);
	if (hermes_dev_is_fallback(dev)) {
		const struct bpf_insn *insns = bpf_program__insns(bp);
		size_t n = bpf_program__insn_cnt(bp);

		if (!insns || !n) {
			err = hermes_err(-EINVAL,
					 "%s: libbpf kept no instructions of %s",
					 path, prog->name);
			goto fail;
		}
		err = hermes_fb_translate(insns, n, &prog->insns,
					  &prog->ninsns);
		if (!err)
			err = hermes_fb_decode(prog->insns, prog->ninsns,
					       &prog->code);
		if (err)
			goto fail;
	}
	*progp = prog;
	return 0;
fail:
	bpf_object__close(prog->obj);
	free(prog->insns);
	free(prog);
	return err;
}

int hermes_prog_load(struct hermes_dev *dev, const char *path,
		     const char *prog_name, struct hermes_prog **progp)
{
	return hermes_ret(prog_load(dev, path, prog_name, progp));
}

void hermes_prog_free(struct hermes_prog *prog)
{
	if (!prog)
		return;
	bpf_object__close(prog->obj);
	free(prog->insns);
	hermes_fb_code_free(prog->code);
	free(prog);
}

int hermes_prog_fd(const struct hermes_prog *prog)
{
	return prog->fd;
}

const char *hermes_prog_name(const struct hermes_prog *prog)
{
	return prog->name;
}

/* Streams */

/*
 * A batch the device aborted (EAGAIN), or one refused with EBUSY while
 * the stream has none in flight (another user of the file holds the
 * driver's places), runs again up to this many times, after
 * HERMES_RETRY_MS, then twice as long each time (310 ms in all): the
 * QEMU model aborts once per save, and runs again right after it.
 */
#define HERMES_BATCH_RETRIES	5
#define HERMES_RETRY_MS		10

/* SLOT_WAIT: refused with EBUSY, sent again after the next completion */
enum { SLOT_FREE, SLOT_BUSY, SLOT_WAIT, SLOT_DONE };

struct slot {
	uint8_t *buf;		/* input, then output (in place) */
	uint8_t *own;		/* the slot's buffer (buf, unless in memory) */
	uint8_t *res;		/* result table (device) */
	uint32_t *offs;		/* lenpfx: record start offsets */
	struct hermes_batch b;
	uint64_t seq;
	uint64_t first;		/* global index of the first record */
	uint32_t nrec;
	int state;
	int err;		/* cqe res */
	uint32_t tries;		/* resubmissions after EAGAIN */
	/* fallback with depth > 1: one engine thread per batch in flight */
	struct stream *sm;
	pthread_t thr;
	bool fb_done;
	char fb_msg[512];
};

struct stream {
	struct hermes_prog *prog;
	const struct hermes_stream_opts *o;
	struct hermes_stats *st;
	int in_fd, out_fd;
	uint32_t cap;		/* bytes of a batch: input plus table */
	uint32_t depth;
	struct slot *slots;
	struct io_uring ring;
	bool have_ring;
	/* hermes_run_buffer(): the caller's buffer, processed in place */
	uint8_t *mem;
	size_t mem_len, mem_pos, mem_out;
	/* input not yet in a batch */
	uint8_t *carry;
	uint32_t carry_len;
	bool eof;
	uint64_t next_record;	/* global index of the next record read */
	uint64_t next_seq, write_seq;
	uint32_t inflight;
	uint32_t max_inflight;	/* depth, or what the driver took at EBUSY */
	bool has_maps;		/* an aborted batch may have updated them */
	bool threaded;		/* fallback batches run on threads */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int err;		/* first error: stop submitting */
	int in_err;		/* input error: stop reading, finish the rest */
	char in_msg[512];
	uint64_t t0;
};

static uint32_t round8(uint32_t x)
{
	return (x + 7) & ~7U;
}

static int read_full(int fd, uint8_t *p, uint32_t len, uint32_t *got,
		     volatile sig_atomic_t *stop)
{
	ssize_t r;

	*got = 0;
	while (*got < len) {
		r = read(fd, p + *got, len - *got);
		if (r < 0) {
			if (errno == EINTR && !(stop && *stop))
				continue;
			if (errno == EINTR)
				return 1;	/* as at the end: stop here */
			return hermes_err(-errno, "input: read: %s",
					  strerror(errno));
		}
		if (!r)
			return 1;
		*got += r;
	}
	return 0;
}

static int write_full(int fd, const uint8_t *p, size_t len, const char *what)
{
	ssize_t r;

	while (len) {
		r = write(fd, p, len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return hermes_err(-errno, "%s: write: %s", what,
					  strerror(errno));
		}
		p += r;
		len -= r;
	}
	return 0;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * Fill slot @s with the next whole records.  Returns 1 with a batch,
 * 0 at the end of the input, or -errno (framing or read error).
 */
static int fill_slot(struct stream *sm, struct slot *s)
{
	const struct hermes_stream_opts *o = sm->o;
	uint32_t want, limit, have = sm->carry_len, got, len = 0, n = 0;
	bool stopping;
	uint8_t *p;
	int r;

	want = o->batch_bytes && o->batch_bytes < sm->cap ? o->batch_bytes :
								 sm->cap;
	/* a length-prefixed record may be longer than batch_bytes alone */
	limit = want;
	if (o->lenpfx)
		want = sm->cap;
	if (!o->lenpfx) {
		uint32_t rs = o->record_size;

		/* largest n with round8(n * rs) + 16 n <= cap */
		n = want / (rs + 16);
		while (n && round8(n * rs) + 16 * n > sm->cap)
			n--;
		if (!n)
			n = 1;
		want = n * rs;
	}
	if (sm->mem) {
		/* in place: the batch is the caller's memory */
		p = sm->mem + sm->mem_pos;
		have = sm->mem_len - sm->mem_pos < want ?
		       sm->mem_len - sm->mem_pos : want;
	} else {
		p = s->buf = s->own;
		memcpy(p, sm->carry, have);
	}
	if (!sm->mem && have < want && !sm->eof) {
		r = read_full(sm->in_fd, p + have, want - have, &got,
			      o->stop);
		if (r < 0)
			return r;
		have += got;
		if (r > 0)
			sm->eof = true;
	}
	/* interrupted: run the whole records read, say nothing of the rest */
	stopping = o->stop && *o->stop;
	if (!o->lenpfx) {
		uint32_t rs = o->record_size;

		n = have / rs;
		if (n > want / rs)
			n = want / rs;
		len = n * rs;
		if (!n && have && !stopping)
			return hermes_err(-EINVAL,
					  "input: record %llu: the input ends after %u of its %u bytes",
					  (unsigned long long)sm->next_record,
					  have, rs);
	} else {
		for (;;) {
			uint64_t next;
			uint32_t l;

			if (len + 4 > have)
				break;
			l = le32(p + len);
			if (l > sm->cap - 4 - 16 - 8)
				return hermes_err(-E2BIG,
						  "input: record %llu: length prefix %u does not fit a batch of %u bytes",
						  (unsigned long long)(sm->next_record + n),
						  l, sm->cap);
			/* in 64 bits: len + 4 + l may not fit 32 */
			next = (uint64_t)len + 4 + l;
			if (next > have ||
			    ((next + 7) & ~7ULL) + 16 * ((uint64_t)n + 1) >
			    sm->cap ||
			    (n && next > limit))
				break;
			s->offs[n++] = len;
			len = (uint32_t)next;
		}
		if (!n && have && !stopping) {
			if (have < 4)
				return hermes_err(-EINVAL,
						  "input: record %llu: the input ends inside its length prefix (%u of 4 bytes)",
						  (unsigned long long)sm->next_record,
						  have);
			return hermes_err(-EINVAL,
					  "input: record %llu: length prefix says %u bytes, the input ends after %u",
					  (unsigned long long)sm->next_record,
					  le32(p), have - 4);
		}
	}
	if (sm->mem) {
		sm->mem_pos += len;
		s->buf = p;
		/* the engine keeps its result table in the slot: copy */
		if (hermes_dev_is_fallback(sm->prog->dev)) {
			memcpy(s->own, p, len);
			s->buf = s->own;
		}
	} else {
		sm->carry_len = have - len;
		memcpy(sm->carry, p + len, sm->carry_len);
	}
	if (!n)
		return 0;
	s->nrec = n;
	s->first = sm->next_record;
	sm->next_record += n;
	memset(&s->b, 0, sizeof(s->b));
	s->b.prog_fd = sm->prog->fd;
	s->b.flags = o->lenpfx ? HERMES_BATCH_LENPFX : 0;
	s->b.record_size = o->lenpfx ? 0 : o->record_size;
	s->b.budget = o->budget;
	s->b.in_addr = (uintptr_t)s->buf;
	s->b.out_addr = (uintptr_t)s->buf;
	s->b.in_len = len;
	s->b.out_len = len;
	s->b.res_addr = (uintptr_t)s->res;
	s->b.res_len = 16 * n;
	return 1;
}

static int fb_run_slot(struct stream *sm, struct slot *s)
{
	struct hermes_fb_batch fb = {
		.slot = s->buf,
		.in_len = s->b.in_len,
		.res_off = round8(s->b.in_len),
	};
	int r;

	r = hermes_fb_run(sm->prog, &fb, &s->b);
	if (!r)
		memcpy(s->res, s->buf + fb.res_off, 16 * s->nrec);
	return r;
}

static void *fb_worker(void *arg)
{
	struct slot *s = arg;
	struct stream *sm = s->sm;
	int r = fb_run_slot(sm, s);

	if (r)
		snprintf(s->fb_msg, sizeof(s->fb_msg), "%s", hermes_strerror());
	pthread_mutex_lock(&sm->mu);
	s->err = r;
	s->fb_done = true;
	pthread_cond_signal(&sm->cv);
	pthread_mutex_unlock(&sm->mu);
	return NULL;
}

/*
 * Should a batch that ended with @err run again?  After a backoff, when
 * it has tries left and either the driver refused it (EBUSY: it did not
 * run) or the device aborted it (EAGAIN: it wrote nothing back, but the
 * records before the abort did run, so not for a program with maps,
 * which they may have updated).
 */
static bool retry_batch(const struct stream *sm, struct slot *s, int err)
{
	uint32_t ms = HERMES_RETRY_MS << s->tries;
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000,
	};

	if (err != -EBUSY && (err != -EAGAIN || sm->has_maps))
		return false;
	if (s->tries >= HERMES_BATCH_RETRIES)
		return false;
	s->tries++;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	return true;
}

/*
 * Hand a device batch to the driver: with the blocking ioctl, until it
 * is done; with io_uring, in flight until reap_one() sees it complete.
 */
static int send_slot(struct stream *sm, struct slot *s)
{
	struct hermes_dev *dev = sm->prog->dev;
	struct io_uring_sqe *sqe;
	uint64_t addr = (uintptr_t)&s->b;
	int r;

	s->state = SLOT_BUSY;
	if (!sm->have_ring) {
		do {
			s->err = ioctl(dev->fd, HERMES_IOC_BATCH, &s->b) ?
				 -errno : 0;
		} while (retry_batch(sm, s, s->err));
		s->state = SLOT_DONE;
		return 0;
	}
	sqe = io_uring_get_sqe(&sm->ring);
	if (!sqe)
		return hermes_err(-EBUSY, "io_uring: submission queue full");
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, dev->fd, NULL, 0, 0);
	sqe->cmd_op = HERMES_URING_CMD_BATCH;
	memcpy(sqe->cmd, &addr, sizeof(addr));
	io_uring_sqe_set_data64(sqe, s - sm->slots);
	do {
		r = io_uring_submit(&sm->ring);
	} while (r == -EINTR);
	if (r < 0)
		return hermes_err(r, "io_uring_submit: %s", strerror(-r));
	sm->inflight++;
	return 0;
}

/* A completion made room: send the first batch refused with EBUSY. */
static int send_waiting(struct stream *sm)
{
	struct slot *s = NULL;
	uint32_t i;

	if (sm->err)
		return 0;	/* the stream ends: what waits is dropped */

	for (i = 0; i < sm->depth; i++)
		if (sm->slots[i].state == SLOT_WAIT &&
		    (!s || sm->slots[i].seq < s->seq))
			s = &sm->slots[i];
	return s ? send_slot(sm, s) : 0;
}

static int submit_slot(struct stream *sm, struct slot *s)
{
	struct hermes_dev *dev = sm->prog->dev;
	int r;

	s->seq = sm->next_seq++;
	s->state = SLOT_BUSY;
	s->err = 0;
	s->tries = 0;
	if (hermes_dev_is_fallback(dev) && sm->threaded) {
		s->sm = sm;
		s->fb_done = false;
		r = pthread_create(&s->thr, NULL, fb_worker, s);
		if (r)
			return hermes_err(-r, "pthread_create: %s", strerror(r));
		sm->inflight++;
		return 0;
	}
	if (hermes_dev_is_fallback(dev)) {
		r = fb_run_slot(sm, s);
		if (r)
			return r;	/* its message is kept */
		s->state = SLOT_DONE;
		return 0;
	}
	return send_slot(sm, s);
}

/* Wait for one completion (device with io_uring only). */
static int reap_one(struct stream *sm)
{
	struct io_uring_cqe *cqe;
	struct slot *s = NULL;
	uint32_t i;
	int r, res;

	if (sm->threaded) {
		pthread_mutex_lock(&sm->mu);
		for (;;) {
			for (i = 0; i < sm->depth && !s; i++)
				if (sm->slots[i].state == SLOT_BUSY &&
				    sm->slots[i].fb_done)
					s = &sm->slots[i];
			if (s)
				break;
			pthread_cond_wait(&sm->cv, &sm->mu);
		}
		pthread_mutex_unlock(&sm->mu);
		pthread_join(s->thr, NULL);
		s->state = SLOT_DONE;
		sm->inflight--;
		return 0;
	}

	do {
		r = io_uring_wait_cqe(&sm->ring, &cqe);
	} while (r == -EINTR);
	if (r < 0)
		return hermes_err(r, "io_uring_wait_cqe: %s", strerror(-r));
	s = &sm->slots[io_uring_cqe_get_data64(cqe)];
	res = cqe->res;
	io_uring_cqe_seen(&sm->ring, cqe);
	sm->inflight--;
	if (res == -EBUSY && sm->inflight) {
		s->state = SLOT_WAIT;
		sm->max_inflight = sm->inflight;
		return 0;
	}
	if (retry_batch(sm, s, res))
		return send_slot(sm, s);
	s->err = res;
	s->state = SLOT_DONE;
	return send_waiting(sm);
}

static uint64_t lenpfx_bytes(const struct slot *s, uint32_t nrec)
{
	if (nrec >= s->nrec)
		return s->b.in_len;
	return s->offs[nrec];
}

/* Write out the completed batches that are next in input order. */
static int drain_done(struct stream *sm)
{
	const struct hermes_stream_opts *o = sm->o;
	struct hermes_stats *st = sm->st;
	uint32_t i;
	int r;

	for (;;) {
		struct slot *s = NULL;

		for (i = 0; i < sm->depth; i++)
			if (sm->slots[i].state == SLOT_DONE &&
			    sm->slots[i].seq == sm->write_seq)
				s = &sm->slots[i];
		if (!s)
			return 0;
		sm->write_seq++;
		s->state = SLOT_FREE;
		if (sm->err) {
			/* after an error or fault: in-flight batches dropped */
			continue;
		}
		if (s->err && sm->threaded) {
			sm->err = hermes_err(s->err, "%s", s->fb_msg);
			continue;
		}
		if (s->err) {
			sm->err = hermes_err(s->err,
					     "%s: batch of records %llu to %llu: %s%s",
					     sm->prog->dev->name,
					     (unsigned long long)s->first,
					     (unsigned long long)(s->first + s->nrec - 1),
					     strerror(-s->err),
					     s->err == -EAGAIN && sm->has_maps ?
					     " (the device aborted it; not run again: the records before the abort may have updated the program's maps)" :
					     "");
			continue;
		}
		if (s->b.bytes_out > s->b.in_len ||
		    s->b.records_in > s->nrec ||
		    s->b.records_out > s->b.records_in) {
			sm->err = hermes_err(-EIO,
					     "%s: batch of records %llu to %llu: impossible completion (in %u, out %u, %u bytes)",
					     sm->prog->dev->name,
					     (unsigned long long)s->first,
					     (unsigned long long)(s->first + s->nrec - 1),
					     s->b.records_in, s->b.records_out,
					     s->b.bytes_out);
			continue;
		}
		if (sm->mem) {
			/* never past this batch: output <= input */
			memmove(sm->mem + sm->mem_out, s->buf, s->b.bytes_out);
			sm->mem_out += s->b.bytes_out;
			r = 0;
		} else {
			r = write_full(sm->out_fd, s->buf, s->b.bytes_out,
				       "output");
		}
		if (!r && o->res_fd > 0)
			r = write_full(o->res_fd, s->res,
				       16 * (size_t)s->b.records_in, "results");
		if (r) {
			sm->err = r;
			continue;
		}
		st->records_in += s->b.records_in;
		st->records_out += s->b.records_out;
		st->bytes_out += s->b.bytes_out;
		st->bytes_in += o->lenpfx ? lenpfx_bytes(s, s->b.records_in) :
			(uint64_t)s->b.records_in * o->record_size;
		st->device_ns += s->b.duration_ns;
		st->batches++;
		if (s->b.fault || s->b.records_in < s->nrec) {
			st->fault = s->b.fault ? s->b.fault : HERMES_FAULT_ABORTED;
			st->fault_insn = s->b.fault_insn;
			st->fault_record = s->first + s->b.records_in;
			sm->err = hermes_err(-EFAULT,
					     "record %llu: %s at instruction %u",
					     (unsigned long long)st->fault_record,
					     hermes_fault_name(st->fault),
					     st->fault_insn);
			continue;
		}
		st->ns = now_ns() - sm->t0;
		if (o->progress)
			o->progress(st, o->progress_ctx);
	}
}

static void stream_free(struct stream *sm)
{
	uint32_t i;

	if (sm->have_ring)
		io_uring_queue_exit(&sm->ring);
	if (sm->inflight) {
		/*
		 * The ring failed with batches in flight: the kernel may still
		 * write their descriptors (slots[i].b), outputs and results,
		 * even after the ring is gone.  Leak them rather than free
		 * memory the kernel may write.
		 */
		sm->slots = NULL;
	}
	if (sm->slots) {
		for (i = 0; i < sm->depth; i++) {
			free(sm->slots[i].own);
			free(sm->slots[i].res);
			free(sm->slots[i].offs);
		}
	}
	free(sm->slots);
	free(sm->carry);
	pthread_mutex_destroy(&sm->mu);
	pthread_cond_destroy(&sm->cv);
}

#ifndef offsetofend
#define offsetofend(TYPE, FIELD) \
	(offsetof(TYPE, FIELD) + sizeof(((TYPE *)0)->FIELD))
#endif
/* struct hermes_stream_opts as the first library with sz knew it */
#define HERMES_STREAM_OPTS_SZ_V1 offsetofend(struct hermes_stream_opts, stop)

/*
 * The caller's options, checked, into @o: libbpf's OPTS_VALID rules.  A
 * smaller sz (an older caller) leaves the fields it lacks at 0.
 */
static int stream_opts(const struct hermes_stream_opts *user,
		       struct hermes_stream_opts *o)
{
	const uint8_t *p = (const uint8_t *)user;
	size_t i;

	memset(o, 0, sizeof(*o));
	if (!user)
		return hermes_err(-EINVAL,
				  "stream options: NULL (declare them with HERMES_OPTS())");
	if (user->sz < HERMES_STREAM_OPTS_SZ_V1)
		return hermes_err(-EINVAL,
				  "stream options: sz %zu, below the %zu bytes of their first version (declare them with HERMES_OPTS())",
				  user->sz, (size_t)HERMES_STREAM_OPTS_SZ_V1);
	for (i = sizeof(*o); i < user->sz; i++)
		if (p[i])
			return hermes_err(-EINVAL,
					  "stream options: byte %zu of %zu is set, beyond the %zu bytes this libhermes knows (a newer library's option)",
					  i, user->sz, sizeof(*o));
	memcpy(o, user, user->sz < sizeof(*o) ? user->sz : sizeof(*o));
	o->sz = sizeof(*o);
	return 0;
}

static int stream_run(struct hermes_prog *prog, int in_fd, int out_fd,
		      uint8_t *mem, size_t mem_len,
		      const struct hermes_stream_opts *user_opts,
		      struct hermes_stats *stats, size_t *mem_out)
{
	struct hermes_dev *dev = prog->dev;
	struct hermes_stream_opts optbuf, *opts = &optbuf;
	struct stream sm = {
		.prog = prog, .o = opts, .st = stats,
		.in_fd = in_fd, .out_fd = out_fd,
		.mem = mem, .mem_len = mem_len,
	};
	uint32_t i, maxrec;
	int r = 0;

	memset(stats, 0, sizeof(*stats));
	sm.t0 = now_ns();
	r = stream_opts(user_opts, opts);
	if (r)
		return r;
	if (opts->lenpfx ? opts->record_size : !opts->record_size)
		return hermes_err(-EINVAL,
				  "record format: give a record size or length prefixes, not both");
	sm.cap = dev->info.max_batch;
	if (sm.cap < 64)
		return hermes_err(-EINVAL, "%s: batches of %u bytes are too small",
				  dev->name, sm.cap);
	if (!opts->lenpfx && round8(opts->record_size) + 16 > sm.cap)
		return hermes_err(-E2BIG,
				  "records of %u bytes do not fit a batch of %u bytes with their result",
				  opts->record_size, sm.cap);
	if (dev->info.budget_max && opts->budget > dev->info.budget_max)
		return hermes_err(-EINVAL, "budget %u is above the device's maximum %u",
				  opts->budget, dev->info.budget_max);
	sm.depth = opts->depth ? opts->depth : 4;
	if (sm.depth > 256)
		return hermes_err(-EINVAL, "queue depth %u: at most 256",
				  sm.depth);
	if (opts->use_ioctl && !hermes_dev_is_fallback(dev))
		sm.depth = 1;
	sm.threaded = hermes_dev_is_fallback(dev) && sm.depth > 1;
	sm.max_inflight = sm.depth;
	if (!hermes_dev_is_fallback(dev)) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		/* unknown counts as maps: no batch runs twice by mistake */
		sm.has_maps = bpf_prog_get_info_by_fd(prog->fd, &info, &len) ||
			      info.nr_map_ids;
	}
	pthread_mutex_init(&sm.mu, NULL);
	pthread_cond_init(&sm.cv, NULL);
	maxrec = sm.cap / 16;
	sm.slots = calloc(sm.depth, sizeof(*sm.slots));
	sm.carry = malloc(sm.cap);
	if (!sm.slots || !sm.carry) {
		r = hermes_err(-ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < sm.depth; i++) {
		struct slot *s = &sm.slots[i];

		if (posix_memalign((void **)&s->own, 4096, sm.cap) ||
		    posix_memalign((void **)&s->res, 4096, 16 * maxrec)) {
			r = hermes_err(-ENOMEM, "out of memory");
			goto out;
		}
		if (opts->lenpfx) {
			s->offs = malloc(sizeof(*s->offs) * maxrec);
			if (!s->offs) {
				r = hermes_err(-ENOMEM, "out of memory");
				goto out;
			}
		}
	}
	if (!hermes_dev_is_fallback(dev) && !opts->use_ioctl) {
		r = io_uring_queue_init(sm.depth, &sm.ring, 0);
		if (r < 0) {
			r = hermes_err(r, "io_uring_queue_init: %s",
				       strerror(-r));
			goto out;
		}
		sm.have_ring = true;
	}

	for (;;) {
		bool more = !sm.err && !sm.in_err &&
			    !(opts->stop && *opts->stop);

		/* submit while there is a free slot and input */
		while (more) {
			struct slot *s = NULL;

			if (sm.inflight >= sm.max_inflight)
				break;
			for (i = 0; i < sm.depth && !s; i++)
				if (sm.slots[i].state == SLOT_FREE)
					s = &sm.slots[i];
			if (!s)
				break;
			r = fill_slot(&sm, s);
			if (r <= 0) {
				/*
				 * A framing or read error stops the input, but
				 * the batches in flight hold the records before
				 * it: they are still written.
				 */
				if (r < 0) {
					sm.in_err = r;
					snprintf(sm.in_msg, sizeof(sm.in_msg),
						 "%s", hermes_strerror());
				}
				more = false;
				break;
			}
			r = submit_slot(&sm, s);
			if (r) {
				sm.err = r;
				s->state = SLOT_FREE;
				more = false;
				break;
			}
			drain_done(&sm);
			more = !sm.err && !sm.in_err &&
			       !(opts->stop && *opts->stop);
		}
		if (!sm.inflight) {
			drain_done(&sm);
			if (!more || sm.err || (opts->stop && *opts->stop))
				break;
			continue;
		}
		r = reap_one(&sm);
		if (r) {
			/* the ring is broken: nothing more will complete */
			sm.err = r;
			break;
		}
		drain_done(&sm);
	}
	if (!sm.err && opts->stop && *opts->stop) {
		stats->interrupted = true;
		sm.err = hermes_err(-EINTR, "interrupted");
	}
	if (!sm.err && sm.in_err)
		sm.err = hermes_err(sm.in_err, "%s", sm.in_msg);
	r = sm.err;
out:
	stats->ns = now_ns() - sm.t0;
	if (mem_out)
		*mem_out = sm.mem_out;
	stream_free(&sm);
	return r;
}

int hermes_stream(struct hermes_prog *prog, int in_fd, int out_fd,
		  const struct hermes_stream_opts *opts,
		  struct hermes_stats *stats)
{
	return hermes_ret(stream_run(prog, in_fd, out_fd, NULL, 0, opts, stats,
				     NULL));
}

int hermes_run_buffer(struct hermes_prog *prog, void *buf, size_t len,
		      const struct hermes_stream_opts *opts,
		      struct hermes_stats *stats, size_t *out_len)
{
	struct hermes_stream_opts o;
	int r;

	*out_len = 0;
	if (!len) {
		memset(stats, 0, sizeof(*stats));
		r = stream_opts(opts, &o);
		return hermes_ret(r);
	}
	return hermes_ret(stream_run(prog, -1, -1, buf, len, opts, stats,
				     out_len));
}
