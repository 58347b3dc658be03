// SPDX-License-Identifier: GPL-2.0-only
#include "hermes.h"

int do_bench(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	p_err("bench: not yet");
	return 1;
}
