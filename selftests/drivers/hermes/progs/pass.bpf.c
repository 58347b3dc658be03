// SPDX-License-Identifier: GPL-2.0-only
/* The trivial program of `hermes bench`: keeps every record. */
#include "common.h"

SEC("xdp")
int pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
