// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hermes eBPF offload accelerators: the Xilinx XDMA behind BAR2.
 *
 * The kernel's XDMA dmaengine driver (drivers/dma/xilinx/xdma.c) owns
 * BAR2: we register it as a platform device over BAR2 and the function's
 * MSI-X vectors, as drivers/media/pci/mgb4 does.  Its channels move the
 * data (four each way, one transfer at a time per channel), and its user
 * interrupts carry the engines' completions: user interrupt i is engine
 * i, on F1 the custom logic's cl_sh_apppf_irq_req[i].
 *
 * Kernel buffers go through a coherent bounce buffer per channel; user
 * buffers of record batches, pinned and mapped by the caller, move
 * zero-copy.  A transfer that fails stops its channel; one that never
 * ends gets the channel terminated and the device failed, which also
 * turns bus mastering off: on F1 a Hermes reset does not reach the
 * shell's XDMA, and host memory is released right after.
 */

#include <linux/dma/amd_xdma.h>
#include <linux/dmaengine.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/platform_data/amd_xdma.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>

#include "hermes.h"

static bool use_dma = true;
module_param(use_dma, bool, 0444);
MODULE_PARM_DESC(use_dma,
		 "move data with the XDMA channels (default) rather than BAR4 accesses");

/* xdma.c maps the 64 KiB of PG195 registers at the start of BAR2 */
#define HERMES_XDMA_REGS_LEN	SZ_64K
#define HERMES_DMA_VECTORS	(2 * HERMES_DMA_CHANNELS)
#define HERMES_DMA_BOUNCE_SIZE	SZ_64K
/* a transfer's time limit: 2 s, and 20 ms more per MiB (50 MB/s at worst) */
#define HERMES_DMA_TIMEOUT_MS	2000
#define HERMES_DMA_MS_PER_MIB	20
/* how often a waiter looks for a chain the engine stopped on an error */
#define HERMES_DMA_POLL_MS	10

static const struct xdma_chan_info hermes_h2c_info = { .dir = DMA_MEM_TO_DEV };
static const struct xdma_chan_info hermes_c2h_info = { .dir = DMA_DEV_TO_MEM };

static void hermes_dma_done(void *param, const struct dmaengine_result *res)
{
	struct hermes_dma_chan *ch = param;

	ch->result = res->result;
	complete(&ch->done);
}

static const char *hermes_dma_dir(const struct hermes_dma_chan *ch)
{
	return ch->h2c ? "H2C" : "C2H";
}

/*
 * Move @nents DMA segments of @sgl to (H2C) or from (C2H) card address
 * @card on @ch, held by the caller, and wait for the end.
 */
static int hermes_dma_run(struct hermes_dev *hd, struct hermes_dma_chan *ch,
			  struct scatterlist *sgl, unsigned int nents, u64 card,
			  size_t len)
{
	enum dma_transfer_direction dir = ch->h2c ? DMA_MEM_TO_DEV :
						    DMA_DEV_TO_MEM;
	struct dma_slave_config cfg = { .direction = dir };
	struct dma_async_tx_descriptor *tx;
	unsigned long deadline;
	dma_cookie_t cookie;
	int err;

	/* removed or failed: no new transfer (a failed one lost bus mastering) */
	if (READ_ONCE(hd->dead))
		return -ENODEV;

	if (ch->h2c)
		cfg.dst_addr = card;
	else
		cfg.src_addr = card;
	err = dmaengine_slave_config(ch->chan, &cfg);
	if (err)
		return err;
	tx = dmaengine_prep_slave_sg(ch->chan, sgl, nents, dir,
				     DMA_PREP_INTERRUPT);
	if (!tx)
		return -ENOMEM;
	tx->callback_result = hermes_dma_done;
	tx->callback_param = ch;
	reinit_completion(&ch->done);
	cookie = dmaengine_submit(tx);
	err = dma_submit_error(cookie);
	if (err)
		return err;
	dma_async_issue_pending(ch->chan);

	/*
	 * xdma.c reports a chain the engine stopped on an error only through
	 * the cookie's status, not the callback: look for it while waiting,
	 * and for a device failed meanwhile, which no interrupt ends.
	 */
	deadline = jiffies + msecs_to_jiffies(HERMES_DMA_TIMEOUT_MS +
					      (len >> 20) * HERMES_DMA_MS_PER_MIB);
	while (!wait_for_completion_timeout(&ch->done,
					    msecs_to_jiffies(HERMES_DMA_POLL_MS))) {
		if (dmaengine_tx_status(ch->chan, cookie, NULL) == DMA_ERROR) {
			dmaengine_terminate_sync(ch->chan);
			hermes_set_error(hd, "%s channel %u: chain failed",
					 hermes_dma_dir(ch), ch->idx);
			return -EIO;
		}
		if (READ_ONCE(hd->halted)) {
			/* the reset stopped it, or bus mastering is off */
			dmaengine_terminate_sync(ch->chan);
			return -ENODEV;
		}
		/* the end may have come since the wait timed out */
		if (time_after(jiffies, deadline) && !completion_done(&ch->done)) {
			hermes_set_error(hd, "%s channel %u: no completion, timed out",
					 hermes_dma_dir(ch), ch->idx);
			dmaengine_terminate_sync(ch->chan);
			/*
			 * The caller releases the chain's host memory when we
			 * return; a channel that missed its end cannot be
			 * trusted to have stopped.
			 */
			dev_err(&hd->pdev->dev,
				"%s channel %u does not complete, failing the device\n",
				hermes_dma_dir(ch), ch->idx);
			hermes_dev_fail(hd);
			return -EIO;
		}
	}
	if (ch->result != DMA_TRANS_NOERROR) {
		hermes_set_error(hd, "%s channel %u: chain failed (result %d)",
				 hermes_dma_dir(ch), ch->idx, ch->result);
		return -EIO;
	}
	return 0;
}

static struct hermes_dma_chan *hermes_dma_get(struct hermes_dev *hd, bool h2c)
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

/* Copy through @ch's bounce buffer, 64 KiB per chain. */
static int hermes_dma_copy(struct hermes_dev *hd, bool h2c, u64 off,
			   void *buf, size_t len)
{
	struct hermes_dma_chan *ch = hermes_dma_get(hd, h2c);
	struct scatterlist sg;
	int err = 0;

	sg_init_table(&sg, 1);
	while (len && !err) {
		size_t n = min_t(size_t, len, HERMES_DMA_BOUNCE_SIZE);

		if (h2c)
			memcpy(ch->bounce, buf, n);
		sg_dma_address(&sg) = ch->bounce_dma;
		sg_dma_len(&sg) = n;
		err = hermes_dma_run(hd, ch, &sg, 1, off, n);
		if (!err && !h2c)
			memcpy(buf, ch->bounce, n);
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
 * @off: offset in device memory
 * @buf: kernel buffer
 * @len: bytes
 *
 * Through the XDMA channels, or BAR4 accesses with ``use_dma=0``.
 *
 * Return: 0, -EINVAL when the range is outside device memory, or -EIO.
 */
int hermes_mem_write(struct hermes_dev *hd, u64 off, const void *buf,
		     size_t len)
{
	if (off > hd->caps.mem_size || len > hd->caps.mem_size - off)
		return -EINVAL;
	if (hd->dma_ready)
		return hermes_dma_copy(hd, true, off, (void *)buf, len);
	memcpy_toio(hd->mem + off, buf, len);
	/* write-combined on F1: the data before the command that uses it */
	wmb();
	return 0;
}

/**
 * hermes_mem_read() - copy device memory (BAR4) into host memory
 * @hd: device
 * @off: offset in device memory
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
		return hermes_dma_copy(hd, false, off, buf, len);
	memcpy_fromio(buf, hd->mem + off, len);
	return 0;
}

/**
 * hermes_dma_sg() - move data between DMA-mapped host memory and the card
 * @hd: device with its XDMA channels up (``dma_ready``)
 * @h2c: true: from @sgt to device memory; false: the other way
 * @off: offset in device memory
 * @sgt: host memory, mapped with dma_map_sgtable() for the direction
 * @len: bytes from the start of @sgt
 *
 * Zero-copy: the DMA segments that hold the first @len bytes, as one
 * transfer on one channel (xdma.c splits it into descriptors and chains).
 *
 * Return: 0, -EINVAL when the range is outside device memory or @sgt is
 * shorter than @len, -EOPNOTSUPP without XDMA, -ENOMEM, or -EIO when the
 * transfer failed (``last_error`` says how).
 */
int hermes_dma_sg(struct hermes_dev *hd, bool h2c, u64 off,
		  struct sg_table *sgt, size_t len)
{
	struct scatterlist *sg, *dst;
	struct hermes_dma_chan *ch;
	unsigned int i, nents = 0;
	struct sg_table part;
	size_t left = len;
	int err;

	if (!hd->dma_ready)
		return -EOPNOTSUPP;
	if (off > hd->caps.mem_size || len > hd->caps.mem_size - off)
		return -EINVAL;
	if (!len)
		return 0;

	/* the segments covering @len bytes; the last may end early */
	for_each_sgtable_dma_sg(sgt, sg, i) {
		nents++;
		if (sg_dma_len(sg) >= left)
			break;
		left -= sg_dma_len(sg);
	}
	if (i == sgt->nents)
		return -EINVAL;

	err = sg_alloc_table(&part, nents, GFP_KERNEL);
	if (err)
		return err;
	left = len;
	dst = part.sgl;
	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (i == nents)
			break;
		sg_dma_address(dst) = sg_dma_address(sg);
		sg_dma_len(dst) = min_t(size_t, sg_dma_len(sg), left);
		left -= sg_dma_len(dst);
		dst = sg_next(dst);
	}

	ch = hermes_dma_get(hd, h2c);
	err = hermes_dma_run(hd, ch, part.sgl, nents, off, len);
	mutex_unlock(&ch->lock);
	sg_free_table(&part);
	return err;
}

static void hermes_xdma_unregister(void *data)
{
	platform_device_unregister(data);
}

/* The XDMA platform device over BAR2 and every MSI-X vector. */
static int hermes_xdma_register(struct hermes_dev *hd, unsigned int nvec)
{
	struct pci_dev *pdev = hd->pdev;
	struct device *dev = &pdev->dev;
	struct xdma_platdata data = {
		.max_dma_channels = HERMES_DMA_CHANNELS,
		.device_map = hd->dma_map,
		.device_map_cnt = ARRAY_SIZE(hd->dma_map),
	};
	struct resource res[2] = {};
	unsigned int i;
	int irq0, err;

	if (pci_resource_len(pdev, HERMES_BAR_DMA) < HERMES_XDMA_REGS_LEN) {
		dev_err(dev, "BAR2 is too small for the XDMA registers\n");
		return -ENODEV;
	}
	/* xdma.c takes its interrupts as one range of IRQ numbers */
	irq0 = pci_irq_vector(pdev, 0);
	for (i = 1; i < nvec; i++) {
		if (pci_irq_vector(pdev, i) != irq0 + i) {
			dev_err(dev, "MSI-X vectors are not one IRQ range\n");
			return -ENODEV;
		}
	}

	for (i = 0; i < ARRAY_SIZE(hd->dma_map); i++) {
		bool h2c = i < HERMES_DMA_CHANNELS;

		snprintf(hd->dma_names[i], sizeof(hd->dma_names[i]), "%s%u",
			 h2c ? "h2c" : "c2h", i % HERMES_DMA_CHANNELS);
		hd->dma_map[i].devname = dev_name(dev);
		hd->dma_map[i].slave = hd->dma_names[i];
		hd->dma_map[i].param = XDMA_FILTER_PARAM(h2c ? &hermes_h2c_info :
							 &hermes_c2h_info);
	}

	res[0].start = pci_resource_start(pdev, HERMES_BAR_DMA);
	res[0].end = res[0].start + HERMES_XDMA_REGS_LEN - 1;
	res[0].name = "hermes-xdma";
	res[0].flags = IORESOURCE_MEM;
	res[0].parent = &pdev->resource[HERMES_BAR_DMA];
	res[1].start = irq0;
	res[1].end = irq0 + nvec - 1;
	res[1].flags = IORESOURCE_IRQ;

	hd->xdma = platform_device_register_resndata(dev, "xdma",
						     PLATFORM_DEVID_AUTO, res,
						     ARRAY_SIZE(res), &data,
						     sizeof(data));
	if (IS_ERR(hd->xdma)) {
		err = PTR_ERR(hd->xdma);
		hd->xdma = NULL;
		dev_err(dev, "cannot register the XDMA device: %d\n", err);
		return err;
	}
	err = devm_add_action_or_reset(dev, hermes_xdma_unregister, hd->xdma);
	if (err)
		return err;
	/* xdma.c is loaded (we use its symbols) and probes synchronously */
	if (!device_is_bound(&hd->xdma->dev)) {
		dev_err(dev, "the XDMA driver did not take BAR2 (see its messages above)\n");
		return -ENODEV;
	}
	return 0;
}

static void hermes_dma_chan_release(void *data)
{
	dma_release_channel(data);
}

static int hermes_dma_chan_init(struct hermes_dev *hd,
				struct hermes_dma_chan *ch, bool h2c,
				unsigned int idx)
{
	struct device *dev = &hd->pdev->dev;
	int err;

	ch->h2c = h2c;
	ch->idx = idx;
	mutex_init(&ch->lock);
	init_completion(&ch->done);
	ch->chan = dma_request_chan(dev, hd->dma_names[(h2c ? 0 :
					HERMES_DMA_CHANNELS) + idx]);
	if (IS_ERR(ch->chan)) {
		err = PTR_ERR(ch->chan);
		ch->chan = NULL;
		return dev_err_probe(dev, err, "no XDMA %s channel %u\n",
				     h2c ? "H2C" : "C2H", idx);
	}
	err = devm_add_action_or_reset(dev, hermes_dma_chan_release, ch->chan);
	if (err)
		return err;
	ch->bounce = dmam_alloc_coherent(dev, HERMES_DMA_BOUNCE_SIZE,
					 &ch->bounce_dma, GFP_KERNEL);
	return ch->bounce ? 0 : -ENOMEM;
}

/* Engine i completes on the XDMA's user interrupt i. */
static int hermes_engine_irqs_init(struct hermes_dev *hd)
{
	struct device *dev = &hd->pdev->dev;
	unsigned int i;
	int irq, err;

	for (i = 0; i < hd->n_engines; i++) {
		struct hermes_engine *e = &hd->engines[i];

		irq = xdma_get_user_irq(hd->xdma, i);
		if (irq < 0)
			return irq;
		snprintf(e->irq_name, sizeof(e->irq_name), "hermes-%s-e%u",
			 pci_name(hd->pdev), i);
		err = devm_request_irq(dev, irq, hermes_engine_irq, 0,
				       e->irq_name, e);
		if (err)
			return err;
		e->irq = irq;
		err = xdma_enable_user_irq(hd->xdma, irq);
		if (err)
			return err;
	}
	return 0;
}

/**
 * hermes_engine_irqs_disable() - mask the engines' user interrupts
 * @hd: device whose engines are idle or reset
 */
void hermes_engine_irqs_disable(struct hermes_dev *hd)
{
	unsigned int i;

	for (i = 0; i < hd->n_engines; i++)
		if (hd->engines[i].irq)
			xdma_disable_user_irq(hd->xdma, hd->engines[i].irq);
}

/**
 * hermes_dma_init() - interrupts and DMA through the device's XDMA
 * @hd: device with its engines counted (hermes_dev_init())
 *
 * Enables one MSI-X vector per XDMA channel and per engine, hands BAR2
 * and the vectors to the kernel's XDMA driver, takes the engines' user
 * interrupts and, unless the module is loaded with ``use_dma=0``, every
 * DMA channel.  Everything is device-managed.
 *
 * Return: 0 or a negative error code.
 */
int hermes_dma_init(struct hermes_dev *hd)
{
	struct pci_dev *pdev = hd->pdev;
	unsigned int nvec = HERMES_DMA_VECTORS + hd->n_engines;
	unsigned int i;
	int err;

	err = pci_alloc_irq_vectors(pdev, nvec, nvec, PCI_IRQ_MSIX);
	if (err < 0) {
		dev_err(&pdev->dev, "cannot enable %u MSI-X vectors: %d\n",
			nvec, err);
		return err;
	}
	err = hermes_xdma_register(hd, nvec);
	if (err)
		return err;
	err = hermes_engine_irqs_init(hd);
	if (err)
		return err;
	if (!use_dma)
		return 0;

	for (i = 0; i < HERMES_DMA_CHANNELS; i++) {
		err = hermes_dma_chan_init(hd, &hd->h2c[i], true, i);
		if (err)
			return err;
		err = hermes_dma_chan_init(hd, &hd->c2h[i], false, i);
		if (err)
			return err;
	}
	hd->dma_ready = true;
	return 0;
}
