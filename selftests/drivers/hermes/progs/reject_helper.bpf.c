// SPDX-License-Identifier: GPL-2.0-only
/*
 * Calls bpf_ktime_get_boot_ns(), a helper Hermes devices do not
 * implement (the device clock is bpf_ktime_get_ns()'s alone).
 */
#include "common.h"

SEC("xdp")
int reject_helper(struct xdp_md *ctx)
{
	return bpf_ktime_get_boot_ns() & 1 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
