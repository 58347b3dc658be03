/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared by the Hermes selftest programs: XDP, no maps, only the helpers
 * the device implements, so one object runs on the host and on Hermes.
 */
#ifndef HERMES_SELFTEST_COMMON_H
#define HERMES_SELFTEST_COMMON_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Largest input a host XDP test run takes: a page minus headroom and
 * skb_shared_info.
 */
#define MAX_LEN 3520

#endif
