/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Output files that never damage an input or a previous good output,
 * shared by `hermes` and filter-ref (one header: each tool is built from
 * its own sources).
 *
 * A regular file is never opened for writing in place: the output goes to
 * a temporary file in the target's directory (O_TMPFILE, else a hidden
 * ".NAME.XXXXXX"), which out_commit() syncs and renames over the target,
 * and out_discard() drops, leaving the target as it was.  "-" (standard
 * output) and other files that are not regular (a pipe, a terminal,
 * /dev/null) are written directly.  The target is the file a symbolic
 * link leads to; the new file gets the old one's mode (and owner, when
 * allowed), or 0644 less the umask.
 *
 * out_lookup() tells where a name leads before anything is opened, so that
 * the caller can refuse an output that is one of its inputs (out_is()) or
 * its other output (out_same()).
 */
#ifndef __HERMES_OUTFILE_H
#define __HERMES_OUTFILE_H

#ifndef _GNU_SOURCE
#error "outfile.h needs _GNU_SOURCE (O_TMPFILE) before the first #include"
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct out_file {
	const char *name;	/* as given; "-" for standard output */
	char path[PATH_MAX];	/* the target, symbolic links followed */
	bool exists;
	struct stat st;		/* the existing target's */
	int fd;			/* where to write, -1 when closed */
	int dirfd;		/* the target's directory, when replacing */
	bool replace;		/* fd is a temporary to rename onto path */
	bool anon;		/* an O_TMPFILE: no name until out_commit() */
	char tmp[NAME_MAX + 1];	/* the temporary's name in dirfd, or "" */
	char err[PATH_MAX + 128];	/* message of the last failure */
};

static inline int out_fail(struct out_file *o, int err, const char *what)
{
	snprintf(o->err, sizeof(o->err), "%s: %s: %s", o->name, what,
		 strerror(err));
	return -err;
}

/* Signals that end a run: held off while a temporary is made or renamed */
static inline void out_block(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, old);
}

static inline void out_unblock(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

/* Follow the symbolic links of a name whose target does not exist yet */
static inline int out_follow(struct out_file *o)
{
	char link[PATH_MAX], next[PATH_MAX];
	struct stat lst;
	const char *slash;
	int hops;
	ssize_t n;

	for (hops = 0; hops < 40; hops++) {
		if (lstat(o->path, &lst))
			return errno == ENOENT ? 0 : -errno;
		if (!S_ISLNK(lst.st_mode))
			return 0;
		n = readlink(o->path, link, sizeof(link) - 1);
		if (n < 0)
			return -errno;
		link[n] = 0;
		slash = strrchr(o->path, '/');
		if (link[0] == '/' || !slash)
			n = snprintf(next, sizeof(next), "%s", link);
		else
			n = snprintf(next, sizeof(next), "%.*s/%s",
				     (int)(slash - o->path), o->path, link);
		if (n >= (ssize_t)sizeof(next))
			return -ENAMETOOLONG;
		memcpy(o->path, next, n + 1);
	}
	return -ELOOP;
}

/* A path to be created: its directory's real path, for out_same() */
static inline int out_canonical(struct out_file *o)
{
	char dir[PATH_MAX], real[PATH_MAX], *slash = strrchr(o->path, '/');
	int n;

	if (slash == o->path)
		return 0;
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - o->path),
			 o->path);
	if (!realpath(dir, real))
		return 0;	/* out_open() reports it */
	n = snprintf(dir, sizeof(dir), "%s/%s", strcmp(real, "/") ? real : "",
		     slash ? slash + 1 : o->path);
	if (n >= (int)sizeof(dir))
		return out_fail(o, ENAMETOOLONG, "the name");
	memcpy(o->path, dir, n + 1);
	return 0;
}

/* Is the existing regular file of @o the one @fd is open on? */
static inline bool out_is_fd(const struct out_file *o, int fd)
{
	struct stat st;

	return S_ISREG(o->st.st_mode) && !fstat(fd, &st) &&
	       st.st_dev == o->st.st_dev && st.st_ino == o->st.st_ino;
}

/*
 * Where @name leads: the target's path and, if it exists, its stat (of
 * standard output for "-").  0 or -errno, the message in o->err.
 */
static inline int out_lookup(struct out_file *o, const char *name)
{
	int err;

	memset(o, 0, sizeof(*o));
	o->name = name;
	o->fd = -1;
	o->dirfd = -1;
	if (!strcmp(name, "-")) {
		snprintf(o->path, sizeof(o->path), "-");
		o->exists = !fstat(1, &o->st);
		return 0;
	}
	if (strlen(name) >= sizeof(o->path))
		return out_fail(o, ENAMETOOLONG, "the name");
	if (!stat(name, &o->st)) {
		o->exists = true;
		/*
		 * The file standard output or error is open on (/dev/stdout,
		 * /proc/self/fd/1, `-o log >> log`): a new file renamed over
		 * it would lose what is in it and what the shell appends.
		 * Standard output is written through, as "-"; standard
		 * error is refused.
		 */
		if (out_is_fd(o, 1)) {
			o->name = "-";
			snprintf(o->path, sizeof(o->path), "-");
			return 0;
		}
		if (out_is_fd(o, 2))
			return out_fail(o, EBUSY,
					"is the file standard error goes to");
		if (!S_ISREG(o->st.st_mode)) {
			snprintf(o->path, sizeof(o->path), "%s", name);
			return 0;
		}
		/* /proc/self/fd/N too: the file it is open on */
		if (!realpath(name, o->path))
			return out_fail(o, errno, "cannot resolve");
		return 0;
	}
	if (errno != ENOENT)
		return out_fail(o, errno, "cannot look it up");
	/* missing, or a symbolic link to a file to be created */
	snprintf(o->path, sizeof(o->path), "%s", name);
	err = out_follow(o);
	if (err)
		return out_fail(o, -err, "cannot follow the link");
	return out_canonical(o);
}

/* Would writing @o damage the file of @st (an input)? */
static inline bool out_is(const struct out_file *o, const struct stat *st)
{
	return o->exists && (S_ISREG(st->st_mode) || S_ISBLK(st->st_mode)) &&
	       o->st.st_dev == st->st_dev && o->st.st_ino == st->st_ino;
}

/* Do two outputs lead to the same file (existing or to be created)? */
static inline bool out_same(const struct out_file *a, const struct out_file *b)
{
	if (a->exists && b->exists && out_is(a, &b->st))
		return true;
	return !a->exists && !b->exists && !strcmp(a->path, b->path);
}

/* A temporary's name: hidden, beside the target, unlikely to be taken */
static inline void out_tmp_name(struct out_file *o, const char *base,
				unsigned int attempt)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(o->tmp, sizeof(o->tmp), ".%.200s.%x%lx%x", base,
		 (unsigned int)getpid(), (unsigned long)ts.tv_nsec, attempt);
}

static inline const char *out_base(const struct out_file *o)
{
	const char *slash = strrchr(o->path, '/');

	return slash ? slash + 1 : o->path;
}

/* Open @o for writing (after out_lookup()).  0 or -errno, o->err. */
static inline int out_open(struct out_file *o)
{
	char dir[PATH_MAX];
	const char *slash;
	unsigned int i;
	sigset_t old;
	mode_t mode, mask;
	int err = EEXIST;

	if (!strcmp(o->name, "-")) {
		o->fd = dup(1);
		return o->fd < 0 ? out_fail(o, errno, "dup") : 0;
	}
	if (o->exists && !S_ISREG(o->st.st_mode)) {
		/* a pipe, a terminal, /dev/null: nothing to replace */
		o->fd = open(o->path, O_WRONLY | O_CLOEXEC);
		return o->fd < 0 ? out_fail(o, errno, "cannot open") : 0;
	}
	/* the same permission check as opening it for writing would make */
	if (o->exists && faccessat(AT_FDCWD, o->path, W_OK, AT_EACCESS))
		return out_fail(o, errno, "cannot write");
	slash = strrchr(o->path, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == o->path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - o->path),
			 o->path);
	mask = umask(0);
	umask(mask);
	/* never set-user/group-ID on new contents, as write(2) clears them */
	mode = o->exists ? o->st.st_mode & 01777 : 0644 & ~mask;

	out_block(&old);
	o->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o->dirfd < 0) {
		err = errno;
		out_unblock(&old);
		return out_fail(o, err, "cannot open its directory");
	}
	/* linkat() of an O_TMPFILE goes through /proc/self/fd */
	if (!access("/proc/self/fd", X_OK)) {
		o->fd = openat(o->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC,
			       0600);
		o->anon = o->fd >= 0;
	}
	for (i = 0; o->fd < 0 && i < 100; i++) {
		out_tmp_name(o, out_base(o), i);
		o->fd = openat(o->dirfd, o->tmp,
			       O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (o->fd < 0) {
			err = errno;
			o->tmp[0] = 0;
			if (err != EEXIST)
				break;
		}
	}
	if (o->fd < 0) {
		close(o->dirfd);
		o->dirfd = -1;
		out_unblock(&old);
		return out_fail(o, err, "cannot create a temporary file in its directory");
	}
	o->replace = true;
	out_unblock(&old);
	/* the old owner, when allowed; else ours, as sed -i does */
	if (o->exists && (o->st.st_uid != geteuid() ||
			  o->st.st_gid != getegid()) &&
	    fchown(o->fd, o->st.st_uid, o->st.st_gid))
		(void)!fchown(o->fd, -1, o->st.st_gid);
	if (fchmod(o->fd, mode))
		return out_fail(o, errno, "fchmod");
	return 0;
}

/* Drop what was written: the target stays as it was. */
static inline void out_discard(struct out_file *o)
{
	sigset_t old;

	out_block(&old);
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->tmp[0])
		unlinkat(o->dirfd, o->tmp, 0);
	o->tmp[0] = 0;
	if (o->dirfd >= 0)
		close(o->dirfd);
	o->dirfd = -1;
	out_unblock(&old);
}

/* The same from a signal handler, which exits next: async-signal-safe */
static inline void out_discard_signal(struct out_file *o)
{
	if (o->tmp[0])
		unlinkat(o->dirfd, o->tmp, 0);
}

/*
 * The output is complete: make it the target (sync it, rename it onto
 * the target, sync the directory), or close a direct output.  0 or
 * -errno (o->err); on a failure the target is as it was, except when only
 * the directory's sync failed.
 */
static inline int out_commit(struct out_file *o)
{
	char proc[64];
	unsigned int i;
	sigset_t old;
	int err = 0;

	if (!o->replace) {
		err = close(o->fd) ? errno : 0;
		o->fd = -1;
		return err ? out_fail(o, err, "close") : 0;
	}
	out_block(&old);
	if (fsync(o->fd)) {
		err = out_fail(o, errno, "fsync");
		goto fail;
	}
	if (o->anon) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o->fd);
		for (i = 0; i < 100; i++) {
			out_tmp_name(o, out_base(o), i);
			if (!linkat(AT_FDCWD, proc, o->dirfd, o->tmp,
				    AT_SYMLINK_FOLLOW))
				break;
			err = errno;
			o->tmp[0] = 0;
			if (err != EEXIST)
				break;
		}
		if (!o->tmp[0]) {
			err = out_fail(o, err, "cannot link the temporary file");
			goto fail;
		}
	}
	if (close(o->fd)) {
		o->fd = -1;
		err = out_fail(o, errno, "close");
		goto fail;
	}
	o->fd = -1;
	if (renameat(o->dirfd, o->tmp, o->dirfd, out_base(o))) {
		err = out_fail(o, errno, "cannot rename the temporary file onto it");
		goto fail;
	}
	o->tmp[0] = 0;
	if (fsync(o->dirfd))
		err = out_fail(o, errno, "fsync of its directory");
	close(o->dirfd);
	o->dirfd = -1;
	out_unblock(&old);
	return err;
fail:
	out_unblock(&old);
	out_discard(o);
	return err;
}

#endif /* __HERMES_OUTFILE_H */
