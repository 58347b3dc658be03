// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hermes eBPF offload accelerators: the XDMA channels (BAR2).
 *
 * Each of the four H2C and four C2H channels has a ring of descriptors
 * and signals the end of a chain on its MSI-X vector (0-3 H2C, 4-7 C2H).
 * Kernel buffers go through a coherent bounce buffer per channel, one
 * descriptor per chain; user buffers of record batches, pinned and mapped
 * by the caller, are moved zero-copy with one descriptor per DMA segment,
 * up to a ring per chain.  A caller takes a channel for a whole transfer;
 * the channel's status decides success.
 */

#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/unaligned.h>

#include "hermes.h"

static bool use_dma = true;
module_param(use_dma, bool, 0444);
MODULE_PARM_DESC(use_dma,
		 "move data with the XDMA channels (default) rather than BAR4 accesses");

#define XDMA_H2C_CHAN(c)	(0x0000 + 0x100 * (c))
#define XDMA_C2H_CHAN(c)	(0x1000 + 0x100 * (c))
#define XDMA_H2C_SGDMA(c)	(0x4000 + 0x100 * (c))
#define XDMA_C2H_SGDMA(c)	(0x5000 + 0x100 * (c))
#define XDMA_CH_ID		0x00
#define XDMA_CH_CONTROL_W1S	0x08
#define XDMA_CH_CONTROL_W1C	0x0c
#define XDMA_CH_STATUS		0x40
#define XDMA_CH_STATUS_RC	0x44
#define XDMA_CH_IE		0x90
#define XDMA_SG_DESC_LO		0x80
#define XDMA_SG_DESC_HI		0x84
#define XDMA_SG_DESC_ADJ	0x88
#define XDMA_IRQ_CHAN_IE	0x2010

#define XDMA_CTRL_RUN		BIT(0)
#define XDMA_ST_BUSY		BIT(0)
#define XDMA_ST_DESC_STOPPED	BIT(1)
#define XDMA_ST_DESC_COMPLETED	BIT(2)

#define XDMA_DESC_MAGIC		0xad4bU
#define XDMA_DESC_STOP		BIT(0)
#define XDMA_DESC_SIZE		32

#define XDMA_ID_H2C		0x1fc00005
#define XDMA_ID_C2H		0x1fc10005

/* A descriptor moves less than 2^28 bytes (INVALID_LENGTH above) */
#define XDMA_DESC_MAX_LEN	SZ_128M
#define XDMA_BOUNCE_SIZE	SZ_64K
#define XDMA_TIMEOUT_MS		2000
#define XDMA_STOP_TIMEOUT_US	100000

static irqreturn_t hermes_xdma_irq(int irq, void *data)
{
	struct hermes_dma_chan *ch = data;

	complete(&ch->done);
	return IRQ_HANDLED;
}

/* Descriptor @i of @ch's ring: @src to @dst, linked to the next one. */
static void hermes_xdma_desc(struct hermes_dma_chan *ch, unsigned int i,
			     u64 src, u64 dst, u32 len, bool last)
{
	u8 *d = ch->desc + i * XDMA_DESC_SIZE;

	put_unaligned_le32(XDMA_DESC_MAGIC << 16 | (last ? XDMA_DESC_STOP : 0),
			   d + 0x00);
	put_unaligned_le32(len, d + 0x04);
	put_unaligned_le64(src, d + 0x08);
	put_unaligned_le64(dst, d + 0x10);
	put_unaligned_le64(last ? 0 : ch->desc_dma + (i + 1) * XDMA_DESC_SIZE,
			   d + 0x18);
}

/* Run the chain at the start of @ch's ring; @ch is held by the caller. */
static int hermes_xdma_run(struct hermes_dev *hd, struct hermes_dma_chan *ch)
{
	void __iomem *regs = hd->dma + (ch->h2c ? XDMA_H2C_CHAN(ch->idx) :
					 XDMA_C2H_CHAN(ch->idx));
	u32 status;
	long left;

	/* a failed device was reset: its channels lost their descriptors */
	if (READ_ONCE(hd->dead))
		return -ENODEV;

	/* descriptors (and bounce buffer) are coherent; order them before RUN */
	wmb();

	reinit_completion(&ch->done);
	iowrite32(XDMA_CTRL_RUN, regs + XDMA_CH_CONTROL_W1C);
	ioread32(regs + XDMA_CH_STATUS_RC);
	iowrite32(XDMA_CTRL_RUN, regs + XDMA_CH_CONTROL_W1S);

	left = wait_for_completion_timeout(&ch->done,
					   msecs_to_jiffies(XDMA_TIMEOUT_MS));
	status = ioread32(regs + XDMA_CH_STATUS_RC);
	iowrite32(XDMA_CTRL_RUN, regs + XDMA_CH_CONTROL_W1C);
	if (status & XDMA_ST_BUSY) {
		hermes_set_error(hd, "%s channel %u: no completion (status %#x%s)",
				 ch->h2c ? "H2C" : "C2H", ch->idx, status,
				 left ? "" : ", timed out");
		/*
		 * The caller releases the host memory of the chain when we
		 * return: the channel must have stopped by then.  One that
		 * does not stop once RUN is cleared cannot be trusted; the
		 * reset stops every channel.
		 */
		if (readl_poll_timeout(regs + XDMA_CH_STATUS, status,
				       !(status & XDMA_ST_BUSY), 100,
				       XDMA_STOP_TIMEOUT_US)) {
			dev_err(&hd->pdev->dev,
				"%s channel %u does not stop, resetting the device\n",
				ch->h2c ? "H2C" : "C2H", ch->idx);
			hermes_dev_fail(hd);
		}
		return -EIO;
	}
	if ((status & ~(XDMA_ST_DESC_STOPPED | XDMA_ST_DESC_COMPLETED)) ||
	    !(status & XDMA_ST_DESC_COMPLETED)) {
		hermes_set_error(hd, "%s channel %u: chain failed, status %#x",
				 ch->h2c ? "H2C" : "C2H", ch->idx, status);
		return -EIO;
	}
	return 0;
}

/* One chain of one descriptor through the bounce buffer. */
static int hermes_xdma_chain(struct hermes_dev *hd, struct hermes_dma_chan *ch,
			     u64 card, size_t len)
{
	hermes_xdma_desc(ch, 0, ch->h2c ? ch->bounce_dma : card,
			 ch->h2c ? card : ch->bounce_dma, len, true);
	return hermes_xdma_run(hd, ch);
}

static struct hermes_dma_chan *hermes_xdma_get(struct hermes_dev *hd,
					       bool h2c)
{
	struct hermes_dma_chan *chans = h2c ? hd->h2c : hd->c2h;
	unsigned int i, start;

	start = atomic_inc_return(&hd->dma_rr) % HERMES_DMA_CHANNELS;
	for (i = 0; i < HERMES_DMA_CHANNELS; i++) {
		struct hermes_dma_chan *ch =
			&chans[(start + i) % HERMES_DMA_CHANNELS];

		if (mutex_trylock(&ch->lock))
			return ch;
	}
	mutex_lock(&chans[start].lock);
	return &chans[start];
}

/*
 * Copy @len bytes between @buf (any kernel memory: it goes through the
 * channel's bounce buffer) and BAR4 offset @off.  Return: 0, or -EIO when
 * a chain failed (``last_error`` says how).
 */
static int hermes_xdma_xfer(struct hermes_dev *hd, bool h2c, u64 off,
			    void *buf, size_t len)
{
	struct hermes_dma_chan *ch;
	int err = 0;

	if (off > hd->caps.mem_size || len > hd->caps.mem_size - off)
		return -EINVAL;
	ch = hermes_xdma_get(hd, h2c);
	while (len && !err) {
		size_t n = min_t(size_t, len, XDMA_BOUNCE_SIZE);

		if (h2c)
			memcpy(ch->bounce, buf, n);
		err = hermes_xdma_chain(hd, ch, off, n);
		if (!err && !h2c) {
			/* the device wrote the bounce buffer: read it after */
			rmb();
			memcpy(buf, ch->bounce, n);
		}
		buf += n;
		off += n;
		len -= n;
	}
	mutex_unlock(&ch->lock);
	return err;
}

/**
 * hermes_mem_write() - copy host memory into device memory (BAR4)
 * @hd: device
 * @off: BAR4 offset
 * @buf: kernel buffer
 * @len: bytes
 *
 * Through the XDMA channels once they are up, through the backend
 * otherwise.
 *
 * Return: 0, -EINVAL when the range is outside device memory, or -EIO.
 */
int hermes_mem_write(struct hermes_dev *hd, u64 off, const void *buf,
		     size_t len)
{
	if (off > hd->caps.mem_size || len > hd->caps.mem_size - off)
		return -EINVAL;
	if (hd->dma_ready)
		return hermes_xdma_xfer(hd, true, off, (void *)buf, len);
	return hd->ops->write_mem(hd, off, buf, len);
}

/**
 * hermes_mem_read() - copy device memory (BAR4) into host memory
 * @hd: device
 * @off: BAR4 offset
 * @buf: kernel buffer
 * @len: bytes
 *
 * Return: 0, -EINVAL when the range is outside device memory, or -EIO.
 */
int hermes_mem_read(struct hermes_dev *hd, u64 off, void *buf, size_t len)
{
	if (off > hd->caps.mem_size || len > hd->caps.mem_size - off)
		return -EINVAL;
	if (hd->dma_ready)
		return hermes_xdma_xfer(hd, false, off, buf, len);
	return hd->ops->read_mem(hd, off, buf, len);
}

/**
 * hermes_xdma_sg() - move data between DMA-mapped host memory and BAR4
 * @hd: device with its XDMA channels up (``dma_ready``)
 * @h2c: true: from @sgt to device memory; false: the other way
 * @off: BAR4 offset
 * @sgt: host memory, mapped with dma_map_sgtable() for the direction
 * @len: bytes from the start of @sgt
 *
 * Zero-copy: one descriptor per DMA segment (split below 2^28 bytes), in
 * chains of at most a ring (``HERMES_XDMA_RING`` descriptors, the device
 * takes 4096) on one channel held for the whole transfer.
 *
 * Return: 0, -EINVAL when the range is outside device memory or @sgt is
 * shorter than @len, -EOPNOTSUPP without XDMA, or -EIO when a chain
 * failed (``last_error`` says how).
 */
int hermes_xdma_sg(struct hermes_dev *hd, bool h2c, u64 off,
		   struct sg_table *sgt, size_t len)
{
	struct hermes_dma_chan *ch;
	struct scatterlist *sg;
	unsigned int i, n = 0;
	int err = 0;

	if (!hd->dma_ready)
		return -EOPNOTSUPP;
	if (off > hd->caps.mem_size || len > hd->caps.mem_size - off)
		return -EINVAL;
	if (!len)
		return 0;

	ch = hermes_xdma_get(hd, h2c);
	for_each_sgtable_dma_sg(sgt, sg, i) {
		u64 addr = sg_dma_address(sg);
		size_t seg = sg_dma_len(sg);

		while (seg && len && !err) {
			u32 chunk = min3(seg, len, (size_t)XDMA_DESC_MAX_LEN);
			bool last = chunk == len || n == HERMES_XDMA_RING - 1;

			hermes_xdma_desc(ch, n++, h2c ? addr : off,
					 h2c ? off : addr, chunk, last);
			addr += chunk;
			off += chunk;
			seg -= chunk;
			len -= chunk;
			if (last) {
				err = hermes_xdma_run(hd, ch);
				n = 0;
			}
		}
		if (!len || err)
			break;
	}
	mutex_unlock(&ch->lock);
	if (!err && len)
		err = -EINVAL;
	return err;
}

static int hermes_xdma_chan_init(struct hermes_dev *hd,
				 struct hermes_dma_chan *ch, bool h2c,
				 unsigned int idx)
{
	struct device *dev = &hd->pdev->dev;
	void __iomem *regs = hd->dma + (h2c ? XDMA_H2C_CHAN(idx) :
					XDMA_C2H_CHAN(idx));
	void __iomem *sg = hd->dma + (h2c ? XDMA_H2C_SGDMA(idx) :
				      XDMA_C2H_SGDMA(idx));
	u32 id = (h2c ? XDMA_ID_H2C : XDMA_ID_C2H) | idx << 8;
	unsigned int vec = (h2c ? 0 : HERMES_DMA_CHANNELS) + idx;

	if (ioread32(regs + XDMA_CH_ID) != id) {
		dev_err(dev, "XDMA %s channel %u: bad identifier %#x\n",
			h2c ? "H2C" : "C2H", idx, ioread32(regs + XDMA_CH_ID));
		return -ENODEV;
	}
	ch->h2c = h2c;
	ch->idx = idx;
	mutex_init(&ch->lock);
	init_completion(&ch->done);
	ch->desc = dmam_alloc_coherent(dev, HERMES_XDMA_RING * XDMA_DESC_SIZE,
				       &ch->desc_dma, GFP_KERNEL);
	ch->bounce = dmam_alloc_coherent(dev, XDMA_BOUNCE_SIZE,
					 &ch->bounce_dma, GFP_KERNEL);
	if (!ch->desc || !ch->bounce)
		return -ENOMEM;
	iowrite32(lower_32_bits(ch->desc_dma), sg + XDMA_SG_DESC_LO);
	iowrite32(upper_32_bits(ch->desc_dma), sg + XDMA_SG_DESC_HI);
	iowrite32(0, sg + XDMA_SG_DESC_ADJ);
	snprintf(ch->irq_name, sizeof(ch->irq_name), "hermes-%s-%s%u",
		 pci_name(hd->pdev), h2c ? "h2c" : "c2h", idx);
	/* interrupt on every stop, normal or not */
	iowrite32(XDMA_ST_DESC_STOPPED, regs + XDMA_CH_IE);
	return devm_request_irq(dev, pci_irq_vector(hd->pdev, vec),
				hermes_xdma_irq, 0, ch->irq_name, ch);
}

/**
 * hermes_xdma_init() - set up the DMA channels, MSI-X already enabled
 * @hd: device
 *
 * Does nothing when the module is loaded with use_dma=0: data then moves
 * through the backend's BAR4 accesses.
 *
 * Return: 0 or a negative error code.
 */
int hermes_xdma_init(struct hermes_dev *hd)
{
	unsigned int i;
	int err;

	if (!use_dma)
		return 0;

	for (i = 0; i < HERMES_DMA_CHANNELS; i++) {
		err = hermes_xdma_chan_init(hd, &hd->h2c[i], true, i);
		if (err)
			return err;
		err = hermes_xdma_chan_init(hd, &hd->c2h[i], false, i);
		if (err)
			return err;
	}
	iowrite32(GENMASK(2 * HERMES_DMA_CHANNELS - 1, 0),
		  hd->dma + XDMA_IRQ_CHAN_IE);
	hd->dma_ready = true;
	return 0;
}
