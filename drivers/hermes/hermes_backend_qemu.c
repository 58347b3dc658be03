// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hermes eBPF offload accelerators: the QEMU device model backend.
 *
 * Bytes move through the XDMA channels; with use_dma=0, or before the
 * channels are up, through direct BAR4 accesses, which the model allows
 * with any access size.  Either way the copies are bounded by the device
 * memory size checked at probe.
 */

#include <linux/io.h>

#include "hermes.h"

static int hermes_qemu_write_mem(struct hermes_dev *hd, u64 off,
				 const void *buf, size_t len)
{
	if (off > hd->caps.mem_size || len > hd->caps.mem_size - off)
		return -EINVAL;
	if (hd->dma_ready)
		return hermes_xdma_xfer(hd, true, off, (void *)buf, len);
	memcpy_toio(hd->mem + off, buf, len);
	return 0;
}

static int hermes_qemu_read_mem(struct hermes_dev *hd, u64 off, void *buf,
				size_t len)
{
	if (off > hd->caps.mem_size || len > hd->caps.mem_size - off)
		return -EINVAL;
	if (hd->dma_ready)
		return hermes_xdma_xfer(hd, false, off, buf, len);
	memcpy_fromio(buf, hd->mem + off, len);
	return 0;
}

const struct hermes_backend_ops hermes_backend_qemu = {
	.name		= "qemu",
	.write_mem	= hermes_qemu_write_mem,
	.read_mem	= hermes_qemu_read_mem,
};
