/* SPDX-License-Identifier: GPL-2.0-only */
/* hermes: what the command's files share. */
#ifndef __HERMES_CLI_H
#define __HERMES_CLI_H

#include <stdarg.h>
#include <stdint.h>

#include "libhermes.h"

__attribute__((format(printf, 1, 2)))
void p_err(const char *fmt, ...);
int parse_u32(const char *s, const char *what, uint32_t *v);
int parse_record(const char *s, struct hermes_stream_opts *o);
int do_bench(int argc, char **argv);
extern const char *const help_bench;

#endif /* __HERMES_CLI_H */
