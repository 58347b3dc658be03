/*
 * The engine tools' JIT leg: it runs unless HERMES_EBPF_JIT=0 is in the
 * environment or the host cannot run the JIT's native code.
 *
 * Copyright (c) 2026 The Hermes authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HERMES_ENGINE_JIT_WANTED_H
#define HERMES_ENGINE_JIT_WANTED_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hermes-ebpf.h"

static inline bool jit_wanted(void)
{
    static int wanted = -1;
    const char *e = getenv("HERMES_EBPF_JIT");

    if (wanted < 0) {
        wanted = (!e || strcmp(e, "0") != 0) && hermes_ebpf_jit_supported();
    }
    return wanted;
}

#endif
