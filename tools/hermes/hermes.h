/* SPDX-License-Identifier: GPL-2.0-only */
/* hermes: what the command's files share. */
#ifndef __HERMES_CLI_H
#define __HERMES_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "libhermes.h"

/* The package's version; the Makefile may pass -DHERMES_VERSION="..." */
#ifndef HERMES_VERSION
#define HERMES_VERSION "0.1.0"
#endif

/* -j, -p, -q, -d: before the command or among its options */
extern bool json_output, pretty_output, quiet_output, debug_output;

/* "Error: ..." on standard error; with -j, {"error": "..."} */
__attribute__((format(printf, 1, 2)))
void p_err(const char *fmt, ...);

/*
 * JSON in bpftool's style (-p indents): json_start(), one value (an
 * object or array, its members named, elements with name NULL),
 * json_end().  On standard output, or standard error when standard
 * output carries records.
 */
FILE *json_file(void);
void json_start(void);
void json_end(void);
void json_object_start(const char *name);
void json_object_end(void);
void json_array_start(const char *name);
void json_array_end(void);
void json_string(const char *name, const char *val);
void json_uint(const char *name, uint64_t val);
void json_float(const char *name, double val);
void json_bool(const char *name, bool val);

/* -j, -p, -q, -d among a command's options: 0 if @c was one of them */
int common_opt(int c);
int parse_u32(const char *s, const char *what, uint32_t *v);
int parse_record(const char *s, struct hermes_stream_opts *o);
int do_bench(int argc, char **argv);
/* bench's monotonic clock (ns), median (sorts @v), and its records */
uint64_t bench_ns(void);
double median(double *v, int n);
void bench_records(uint8_t *in, uint64_t len);
/* 1 if this kernel's XDP test run shows a program @size linear bytes */
int xdp_test_whole(uint32_t size);
extern const char *const help_bench;
int do_advise(int argc, char **argv);
extern const char *const help_advise;
int do_explain(int argc, char **argv);
extern const char *const help_explain;
/* where this process's clock runs: "native" or "tcg-guest"; *hv: a VM */
const char *detect_where(bool *hv);

#endif /* __HERMES_CLI_H */
