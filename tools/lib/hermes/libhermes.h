/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libhermes: run a verified eBPF program over every record of a file or
 * stream, on a Hermes device (/dev/hermesN, io_uring or ioctl) or, when
 * there is none, with the Hermes engine in user space.
 *
 * See Documentation/hermes/tools.rst.
 */
#ifndef __LIBHERMES_H
#define __LIBHERMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <signal.h>
#include <linux/hermes.h>

#ifdef __cplusplus
extern "C" {
#endif

struct hermes_dev;
struct hermes_prog;

/*
 * Errors, as in libbpf 1.x: every function that returns an int returns 0
 * (or a count) on success and a negative errno on failure, and then also
 * sets errno to the positive value.  errno is unspecified after a success.
 * hermes_strerror() gives the failure's message for the user (thread-local,
 * valid until the next call into the library from the same thread).  Codes
 * of libbpf's own (LIBBPF_ERRNO__*) never come out: they are translated to
 * a system errno, their text in the message.
 */
const char *hermes_strerror(void);

/*
 * Open a device: "hermes0", "/dev/hermes0", NULL or "" for the first
 * device there is (the user-space fallback when there is none), "none"
 * for the user-space fallback.  A named device is required: when it is
 * missing, -ENODEV with a message that says whether the hermes module is
 * loaded at all.
 */
int hermes_open(const char *name, struct hermes_dev **devp);
void hermes_close(struct hermes_dev *dev);
/* Device node ("/dev/hermes0") or "none" */
const char *hermes_dev_name(const struct hermes_dev *dev);
bool hermes_dev_is_fallback(const struct hermes_dev *dev);
/* HERMES_IOC_INFO; for the fallback, the engine's figures */
int hermes_dev_info(struct hermes_dev *dev, struct hermes_info *info);
/* Device nodes present: names[] of at most max entries, returns count */
int hermes_list_devices(char names[][32], int max);

/*
 * Load the first (or the named) program of an eBPF object file onto the
 * device: it must be an XDP program (its section, "xdp" or "xdp.frags"),
 * which the kernel verifier checks.  For the fallback, the program is
 * loaded on the host (verified by the kernel, not offloaded) and
 * translated to the device's form as the driver does.  The library never
 * changes libbpf's print callback; the verifier's log of a rejected
 * program is kept for hermes_verifier_log() instead of being printed.
 */
int hermes_prog_load(struct hermes_dev *dev, const char *path,
		     const char *prog_name, struct hermes_prog **progp);
/*
 * The kernel verifier's log of the last hermes_prog_load() of this thread
 * that the kernel rejected, "" if there is none (thread-local, valid until
 * the next hermes_prog_load() of the thread).
 */
const char *hermes_verifier_log(void);
void hermes_prog_free(struct hermes_prog *prog);
/* fd of the loaded program (the host copy for the fallback) */
int hermes_prog_fd(const struct hermes_prog *prog);
const char *hermes_prog_name(const struct hermes_prog *prog);

/* Progress and outcome of a stream */
struct hermes_stats {
	uint64_t records_in;	/* records that ran to exit */
	uint64_t records_out;	/* records kept */
	uint64_t bytes_in;	/* input bytes of those records */
	uint64_t bytes_out;	/* output bytes written */
	uint64_t batches;	/* batches completed */
	uint64_t ns;		/* wall time so far */
	uint64_t device_ns;	/* sum of the batches' device time */
	/* fault: 0, or HERMES_FAULT_* of record fault_record (from 0) */
	uint32_t fault;
	/*
	 * index in the verifier's rewritten program (bpftool's "xlated") on a
	 * device, in the program libbpf loads (before the verifier) on the
	 * fallback: the two differ after an instruction the verifier expands
	 */
	uint32_t fault_insn;
	uint64_t fault_record;
	bool interrupted;	/* stopped by *opts->stop */
};

typedef void (*hermes_progress_fn)(const struct hermes_stats *stats,
				   void *ctx);

/*
 * Options structs carry their own size, as libbpf's do, so that fields can
 * be added: declare them with HERMES_OPTS(), which zeroes every field it
 * does not name and sets sz.  The library refuses (-EINVAL) a NULL struct,
 * an sz smaller than the first version of the struct, and an sz larger
 * than the library knows with a non-zero byte beyond what it knows (a
 * field of a newer library set); fields beyond a smaller sz of an older
 * caller are taken as 0.
 */
#define HERMES_OPTS(TYPE, NAME, ...)					\
	struct TYPE NAME = ({						\
		memset(&NAME, 0, sizeof(struct TYPE));			\
		(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ };	\
	})

struct hermes_stream_opts {
	size_t sz;		/* sizeof(struct hermes_stream_opts) */
	uint32_t record_size;	/* bytes per record; 0 with lenpfx */
	bool lenpfx;		/* __le32 length, then data */
	uint32_t depth;		/* batches in flight (default 4); for the
				 * fallback, threads running batches */
	uint32_t budget;	/* instructions per record, 0: default */
	uint32_t batch_bytes;	/* input bytes per batch, 0: largest */
	/*
	 * results, 16 bytes a record, to this fd when it is > 0: 0 (a zeroed
	 * struct) and -1 mean none, as fd options of libbpf never use fd 0
	 */
	int res_fd;
	bool use_ioctl;		/* HERMES_IOC_BATCH instead of io_uring */
	hermes_progress_fn progress;	/* called after each batch */
	void *progress_ctx;
	/* when it becomes non-zero: stop submitting, finish, return -EINTR */
	volatile sig_atomic_t *stop;
};

/*
 * Stream every record of in_fd through @prog to out_fd, in input order.
 * Returns 0 when the input is consumed, -EFAULT (with stats->fault set)
 * when a record faulted: the output holds every record before it, -EINTR
 * when stopped, another -errno for framing and I/O errors (the output then
 * holds the batches completed before the error: the caller decides whether
 * to keep it).  @stats is always filled in.
 */
int hermes_stream(struct hermes_prog *prog, int in_fd, int out_fd,
		  const struct hermes_stream_opts *opts,
		  struct hermes_stats *stats);

/*
 * The same over memory: every record of buf[0, len) runs in place, with
 * no copy on a device (the driver pins the caller's pages, batch by
 * batch); the kept records end up compacted at the start of @buf and
 * *@out_len is their size.  Returns as hermes_stream() (framing errors
 * included); on an error, buf[0, *out_len) holds the output so far and
 * the rest of @buf is undefined.
 */
int hermes_run_buffer(struct hermes_prog *prog, void *buf, size_t len,
		      const struct hermes_stream_opts *opts,
		      struct hermes_stats *stats, size_t *out_len);

/* "load fault", "budget exhausted", ... */
const char *hermes_fault_name(uint32_t fault);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* __LIBHERMES_H */
