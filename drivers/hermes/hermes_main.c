// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hermes eBPF offload accelerators: PCI probe, network device, debugfs,
 * and the BPF offload device with its callbacks (hermes_offload.c,
 * hermes_verifier.c, hermes_translate.c, hermes_run.c).
 *
 * Each Hermes PCI function becomes a BPF offload device behind a network
 * device named hermes%d.  The network device carries no traffic: it is
 * the handle by which bpftool and libbpf name an offload target
 * (prog_ifindex).  See Documentation/hermes/driver.rst.
 */

#include <linux/bpf.h>
#include <linux/debugfs.h>
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/pci.h>
#include <linux/rtnetlink.h>
#include <linux/seq_file.h>

#include "hermes.h"

static struct dentry *hermes_debugfs_root;

struct hermes_netdev_priv {
	struct hermes_dev *hd;
};

static netdev_tx_t hermes_ndo_start_xmit(struct sk_buff *skb,
					 struct net_device *netdev)
{
	dev_core_stats_tx_dropped_inc(netdev);
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

static int hermes_ndo_bpf(struct net_device *netdev, struct netdev_bpf *bpf)
{
	struct hermes_netdev_priv *priv = netdev_priv(netdev);

	switch (bpf->command) {
	case BPF_OFFLOAD_MAP_ALLOC:
	case BPF_OFFLOAD_MAP_FREE:
		return hermes_map_offload(priv->hd, bpf);
	case XDP_SETUP_PROG:
	case XDP_SETUP_PROG_HW:
		NL_SET_ERR_MSG_MOD(bpf->extack,
				   "Hermes devices carry no traffic: run offloaded programs with BPF_PROG_TEST_RUN");
		return -EOPNOTSUPP;
	default:
		return -EOPNOTSUPP;
	}
}

static const struct net_device_ops hermes_netdev_ops = {
	.ndo_start_xmit	= hermes_ndo_start_xmit,
	.ndo_bpf	= hermes_ndo_bpf,
};

static void hermes_netdev_setup(struct net_device *netdev)
{
	netdev->netdev_ops = &hermes_netdev_ops;
	netdev->type = ARPHRD_NONE;
	netdev->flags = IFF_NOARP;
	netdev->mtu = 0;
	netdev->min_mtu = 0;
	netdev->max_mtu = 0;
	netdev->hard_header_len = 0;
	netdev->addr_len = 0;
	netdev->tx_queue_len = 0;
	netdev->needs_free_netdev = false;
}

static const struct bpf_prog_offload_ops hermes_bpf_ops = {
	.insn_hook	= hermes_verify_insn,
	.finalize	= hermes_finalize,
	.replace_insn	= hermes_replace_insn,
	.remove_insns	= hermes_remove_insns,
	.prepare	= hermes_prepare,
	.translate	= hermes_translate,
	.destroy	= hermes_destroy,
	.test_run_prepare = hermes_test_run_prepare,
	.test_run	= hermes_test_run,
	.owner		= THIS_MODULE,
};

static int hermes_engines_show(struct seq_file *m, void *v)
{
	struct hermes_dev *hd = m->private;
	unsigned int i;

	seq_printf(m, "backend: %s\ndata path: %s\nbuild: %s\n",
		   hd->backend->name, hd->dma_ready ? "xdma" : "bar4", hd->build);
	seq_printf(m, "engines: %u of %u\nprogram engines: %u\ntest runs in flight: %d\n",
		   hd->n_engines, hd->caps.engines, hd->n_run_engines,
		   atomic_read(&hd->test_runs));
	for (i = 0; i < hd->n_engines; i++) {
		struct hermes_engine *e = &hd->engines[i];
		u32 blk = HERMES_ENGBLK(i);

		seq_printf(m,
			   "engine %u: %s, data slot %u commands %llu timeouts %llu failures %llu runs %llu insns %llu errors %llu busy_ns %llu cycles %llu stalls %llu\n",
			   i, i < hd->n_run_engines ? "programs" : "control",
			   e->dslot, e->commands, e->timeouts, e->failures,
			   hermes_read64(hd, blk + HERMES_CNT_RUNS),
			   hermes_read64(hd, blk + HERMES_CNT_INSNS),
			   hermes_read64(hd, blk + HERMES_CNT_ERRORS),
			   hermes_read64(hd, blk + HERMES_CNT_BUSY),
			   hermes_read64(hd, blk + HERMES_CNT_CYCLES),
			   hermes_read64(hd, blk + HERMES_CNT_STALLS));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hermes_engines);

static int hermes_slots_show(struct seq_file *m, void *v)
{
	hermes_debugfs_slots(m, m->private);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hermes_slots);

static int hermes_maps_show(struct seq_file *m, void *v)
{
	hermes_debugfs_maps(m, m->private);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hermes_maps);

static int hermes_last_error_show(struct seq_file *m, void *v)
{
	struct hermes_dev *hd = m->private;

	spin_lock_irq(&hd->error_lock);
	seq_printf(m, "%s\n", hd->last_error[0] ? hd->last_error : "none");
	spin_unlock_irq(&hd->error_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hermes_last_error);

static int hermes_caps_show(struct seq_file *m, void *v)
{
	struct hermes_dev *hd = m->private;
	const struct hermes_caps *c = &hd->caps;

	seq_printf(m, "isa: %#x\nstack: %u\ndepth: %u\nmax_insns: %u\n",
		   c->isa, c->stack, c->depth, c->max_insns);
	seq_printf(m, "budget: %u default, %u max\nhelpers: %*ph\n",
		   c->budget_def, c->budget_max, (int)sizeof(c->helpers),
		   c->helpers);
	seq_printf(m, "program slots: %u x %u bytes at %#llx\n",
		   c->pslots, c->pslot_size, c->pslot_off);
	seq_printf(m, "data slots: %u x %u bytes at %#llx\n",
		   c->dslots, c->dslot_size, c->dslot_off);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hermes_caps);

static int hermes_chardev_show(struct seq_file *m, void *v)
{
	hermes_debugfs_cdev(m, m->private);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hermes_chardev);

static void hermes_debugfs_init(struct hermes_dev *hd)
{
	hd->debugfs = debugfs_create_dir(pci_name(hd->pdev),
					 hermes_debugfs_root);
	debugfs_create_file("engines", 0400, hd->debugfs, hd,
			    &hermes_engines_fops);
	debugfs_create_file("slots", 0400, hd->debugfs, hd,
			    &hermes_slots_fops);
	debugfs_create_file("maps", 0400, hd->debugfs, hd,
			    &hermes_maps_fops);
	debugfs_create_file("last_error", 0400, hd->debugfs, hd,
			    &hermes_last_error_fops);
	debugfs_create_file("caps", 0400, hd->debugfs, hd,
			    &hermes_caps_fops);
	debugfs_create_file("cdev", 0400, hd->debugfs, hd,
			    &hermes_chardev_fops);
	debugfs_create_atomic_t("abort_batches", 0600, hd->debugfs,
				&hd->abort_batches);
	if (hd->netdev)
		debugfs_create_symlink(netdev_name(hd->netdev),
				       hermes_debugfs_root,
				       pci_name(hd->pdev));
}

static void hermes_debugfs_fini(struct hermes_dev *hd)
{
	if (hd->netdev)
		debugfs_lookup_and_remove(netdev_name(hd->netdev),
					  hermes_debugfs_root);
	debugfs_remove_recursive(hd->debugfs);
}

static int hermes_netdev_init(struct hermes_dev *hd)
{
	struct hermes_netdev_priv *priv;
	struct net_device *netdev;
	int err;

	netdev = alloc_netdev(sizeof(*priv), "hermes%d", NET_NAME_ENUM,
			      hermes_netdev_setup);
	if (!netdev)
		return -ENOMEM;
	priv = netdev_priv(netdev);
	priv->hd = hd;
	SET_NETDEV_DEV(netdev, &hd->pdev->dev);

	err = register_netdev(netdev);
	if (err)
		goto err_free;
	err = bpf_offload_dev_netdev_register(hd->bpf_dev, netdev);
	if (err)
		goto err_unregister;
	hd->netdev = netdev;
	return 0;

err_unregister:
	unregister_netdev(netdev);
err_free:
	free_netdev(netdev);
	return err;
}

/* Orphans every program of the device: the BPF core calls destroy. */
static void hermes_netdev_fini(struct hermes_dev *hd)
{
	rtnl_lock();
	bpf_offload_dev_netdev_unregister(hd->bpf_dev, hd->netdev);
	unregister_netdevice(hd->netdev);
	rtnl_unlock();
	free_netdev(hd->netdev);
	hd->netdev = NULL;
}

static int hermes_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct hermes_dev *hd;
	void __iomem *regs;
	u32 version, sig;
	int err;

	err = pcim_enable_device(pdev);
	if (err)
		return err;

	/* BAR2 belongs to the XDMA driver, BAR4 is mapped once its size is known */
	regs = pcim_iomap_region(pdev, HERMES_BAR_REGS, HERMES_DRV_NAME);
	if (IS_ERR(regs))
		return PTR_ERR(regs);

	version = ioread32(regs + HERMES_REG_EHVER);
	sig = ioread32(regs + HERMES_REG_EHCAPSIG);
	if (version != HERMES_IF_VERSION || sig != HERMES_CAP_SIGNATURE) {
		dev_err(dev,
			"unsupported interface version %u (signature %#x), this driver supports version %u\n",
			version, sig, HERMES_IF_VERSION);
		return -ENODEV;
	}

	err = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (err)
		return err;
	pci_set_master(pdev);

	hd = devm_kzalloc(dev, sizeof(*hd), GFP_KERNEL);
	if (!hd)
		return -ENOMEM;
	hd->pdev = pdev;
	hd->backend = (const struct hermes_backend *)id->driver_data;
	hd->regs = regs;
	spin_lock_init(&hd->engine_lock);
	init_waitqueue_head(&hd->engine_wq);
	mutex_init(&hd->slot_lock);
	init_waitqueue_head(&hd->slot_wq);
	mutex_init(&hd->map_lock);
	INIT_LIST_HEAD(&hd->maps);
	spin_lock_init(&hd->error_lock);
	pci_set_drvdata(pdev, hd);

	err = hermes_dev_init(hd);
	if (!err)
		err = hermes_dma_init(hd);
	if (!err)
		err = hermes_dev_start(hd);
	if (err)
		goto err_reset;
	hermes_maps_init(hd);

	hd->bpf_dev = bpf_offload_dev_create(&hermes_bpf_ops, hd);
	if (IS_ERR(hd->bpf_dev)) {
		err = PTR_ERR(hd->bpf_dev);
		goto err_reset;
	}
	err = hermes_netdev_init(hd);
	if (err)
		goto err_bpf;
	hermes_debugfs_init(hd);
	/* last: user space may submit batches from here on */
	err = hermes_cdev_register(hd);
	if (err)
		goto err_netdev;

	dev_info(dev,
		 "Hermes interface version %u (%s backend): %u engines, %u program slots, %u data slots of %u KiB, %s, /dev/%s\n",
		 version, hd->backend->name, hd->n_engines, hd->caps.pslots,
		 hd->caps.dslots, hd->caps.dslot_size / 1024,
		 netdev_name(hd->netdev), netdev_name(hd->netdev));
	return 0;

err_netdev:
	/* programs may already run: as in hermes_remove() */
	hermes_dev_kill(hd);
	hermes_debugfs_fini(hd);
	hermes_netdev_fini(hd);
	hermes_test_runs_wait(hd);
err_bpf:
	bpf_offload_dev_destroy(hd->bpf_dev);
err_reset:
	hermes_dev_reset(hd);
	if (hd->xdma)
		hermes_engine_irqs_disable(hd);
	return err;
}

static void hermes_remove(struct pci_dev *pdev)
{
	struct hermes_dev *hd = pci_get_drvdata(pdev);

	/* The character device goes first: no new opens. */
	hermes_cdev_unregister(hd);

	/* New runs fail, running ones end now, waiters wake up. */
	hermes_dev_kill(hd);

	/* debugfs first: its cdev file looks at hd->cdev */
	hermes_debugfs_fini(hd);
	/* Open files: batches in flight end with -ENODEV, then all calls. */
	hermes_cdev_detach(hd);
	/* Unbinds the programs; test runs hold no lock that this takes. */
	hermes_netdev_fini(hd);
	/* Outside RTNL: the runs in flight end with -ENODEV. */
	hermes_test_runs_wait(hd);
	bpf_offload_dev_destroy(hd->bpf_dev);

	hermes_engines_abort(hd);
	hermes_dev_reset(hd);
	hermes_engine_irqs_disable(hd);
	/* the XDMA channels are idle: every transfer ended before its return */
	pci_clear_master(pdev);
}

static struct pci_driver hermes_pci_driver = {
	.name		= HERMES_DRV_NAME,
	.id_table	= hermes_pci_ids,
	.probe		= hermes_probe,
	.remove		= hermes_remove,
};

static int __init hermes_init(void)
{
	int err;

	hermes_debugfs_root = debugfs_create_dir(HERMES_DRV_NAME, NULL);
	err = pci_register_driver(&hermes_pci_driver);
	if (err)
		debugfs_remove_recursive(hermes_debugfs_root);
	return err;
}

static void __exit hermes_exit(void)
{
	pci_unregister_driver(&hermes_pci_driver);
	debugfs_remove_recursive(hermes_debugfs_root);
}

module_init(hermes_init);
module_exit(hermes_exit);
