// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hermes eBPF offload accelerators: the QEMU device model backend.
 *
 * Direct BAR4 accesses, which the model allows with any access size; they
 * carry the data when the XDMA channels are not used (use_dma=0, or before
 * the channels are up).  The copies are bounded by the device memory size
 * checked at probe.
 */

#include <linux/io.h>

#include "hermes.h"

static int hermes_qemu_write_mem(struct hermes_dev *hd, u64 off,
				 const void *buf, size_t len)
{
	if (off > hd->caps.mem_size || len > hd->caps.mem_size - off)
		return -EINVAL;
	memcpy_toio(hd->mem + off, buf, len);
	return 0;
}

static int hermes_qemu_read_mem(struct hermes_dev *hd, u64 off, void *buf,
				size_t len)
{
	if (off > hd->caps.mem_size || len > hd->caps.mem_size - off)
		return -EINVAL;
	memcpy_fromio(buf, hd->mem + off, len);
	return 0;
}

const struct hermes_backend_ops hermes_backend_qemu = {
	.name		= "qemu",
	.write_mem	= hermes_qemu_write_mem,
	.read_mem	= hermes_qemu_read_mem,
};
