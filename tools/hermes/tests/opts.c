// SPDX-License-Identifier: GPL-2.0-only
/*
 * libhermes's API conventions, checked through its header as a program
 * links it (tools/hermes/test-host.sh): errno as libbpf 1.x sets it, the
 * size of struct hermes_stream_opts checked as libbpf's OPTS_VALID does,
 * and a zeroed options struct writing no results to fd 0.
 *
 *   opts PROG.o   (an XDP program that keeps every record, pass.bpf.o)
 *
 * TAP on standard output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libhermes.h"

static int n, failed;

static void ok(int cond, const char *what)
{
	n++;
	if (!cond)
		failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", n, what);
	if (!cond)
		printf("# last message: %s\n", hermes_strerror());
}

/* Run 4 records of 64 bytes in memory with @o; errno afterwards in *e */
static int run(struct hermes_prog *prog, const struct hermes_stream_opts *o,
	       int *e)
{
	static char buf[256];
	struct hermes_stats st;
	size_t out = 0;
	int r;

	memset(buf, 0x41, sizeof(buf));
	errno = 0;
	r = hermes_run_buffer(prog, buf, sizeof(buf), o, &st, &out);
	*e = errno;
	return r;
}

int main(int argc, char **argv)
{
	struct {
		struct hermes_stream_opts o;
		char newer[16];
	} big;
	struct hermes_stream_opts zero;
	struct hermes_prog *prog;
	struct hermes_dev *dev;
	struct stat st;
	int r, e, fd0;

	if (argc != 2) {
		fprintf(stderr, "usage: opts PROG.o\n");
		return 2;
	}
	printf("1..10\n");

	errno = 0;
	r = hermes_open("/nonexistent/hermes-device", &dev);
	e = errno;
	ok(r == -ENOENT && e == ENOENT && !dev,
	   "hermes_open() of a missing node: -ENOENT returned and in errno");

	errno = 0;
	r = hermes_prog_load(NULL, argv[1], "no_such_program", &prog);
	ok(r == -ENOENT && errno == ENOENT && !prog,
	   "hermes_prog_load() of a missing program: -ENOENT and errno");

	if (hermes_open("none", &dev) ||
	    hermes_prog_load(dev, argv[1], NULL, &prog)) {
		printf("Bail out! %s\n", hermes_strerror());
		return 1;
	}

	r = run(prog, NULL, &e);
	ok(r == -EINVAL && e == EINVAL && strstr(hermes_strerror(), "NULL"),
	   "NULL options: -EINVAL, errno EINVAL, a message");

	memset(&zero, 0, sizeof(zero));
	zero.record_size = 64;
	r = run(prog, &zero, &e);
	ok(r == -EINVAL && e == EINVAL && strstr(hermes_strerror(), "sz 0"),
	   "sz 0: -EINVAL naming sz");

	zero.sz = sizeof(size_t);
	r = run(prog, &zero, &e);
	ok(r == -EINVAL && e == EINVAL,
	   "sz below the first version of the struct: -EINVAL");

	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.o.record_size = 64;
	r = run(prog, &big.o, &e);
	ok(r == 0, "a larger sz whose extra bytes are zero: accepted");

	big.newer[5] = 1;
	r = run(prog, &big.o, &e);
	ok(r == -EINVAL && e == EINVAL && strstr(hermes_strerror(), "beyond"),
	   "a larger sz with an extra byte set: -EINVAL");

	/*
	 * A zeroed struct but for sz and the record size: res_fd is 0.  Make
	 * fd 0 an empty file and run: nothing may be written to it.
	 */
	fd0 = dup(0);
	close(0);
	if (open("/tmp", O_TMPFILE | O_RDWR, 0600) != 0) {
		printf("Bail out! cannot put a file on fd 0\n");
		return 1;
	}
	memset(&zero, 0, sizeof(zero));
	zero.sz = sizeof(zero);
	zero.record_size = 64;
	r = run(prog, &zero, &e);
	fstat(0, &st);
	ok(r == 0 && st.st_size == 0,
	   "a zeroed struct (res_fd 0): the run succeeds, nothing on fd 0");
	close(0);
	dup2(fd0, 0);
	close(fd0);

	zero.depth = 1000;
	r = run(prog, &zero, &e);
	ok(r == -EINVAL && e == EINVAL,
	   "an invalid field (depth 1000): -EINVAL, errno EINVAL");

	errno = 0;
	zero.depth = 4;
	r = hermes_stream(prog, 123456, 1, &zero, &(struct hermes_stats){});
	ok(r == -EBADF && errno == EBADF,
	   "hermes_stream() from a bad fd: -EBADF, errno EBADF");

	hermes_prog_free(prog);
	hermes_close(dev);
	return failed ? 1 : 0;
}
