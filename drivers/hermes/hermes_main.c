// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hermes eBPF offload accelerators: PCI probe.
 *
 * This is the start of the driver: it binds to Hermes devices, maps the
 * register BAR and refuses interface versions it does not know, so that
 * nothing further is attempted on a device it cannot drive.  The device
 * interface is specified in Documentation/hermes/device.rst.
 */

#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>

#define HERMES_DRV_NAME		"hermes"

#define PCI_VENDOR_ID_EIDETICOM	0x1de5
#define PCI_DEVICE_ID_HERMES	0x3000

#define HERMES_BAR_REGS		0

/* BAR0 registers */
#define HERMES_REG_EHVER	0x000
#define HERMES_REG_EHCAPSIG	0x100

#define HERMES_IF_VERSION	2
#define HERMES_CAP_SIGNATURE	0x534d5248	/* "HRMS" */

static int hermes_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	void __iomem *regs;
	u32 version, sig;
	int err;

	err = pcim_enable_device(pdev);
	if (err)
		return err;

	err = pcim_iomap_regions(pdev, BIT(HERMES_BAR_REGS), HERMES_DRV_NAME);
	if (err)
		return err;
	regs = pcim_iomap_table(pdev)[HERMES_BAR_REGS];

	version = ioread32(regs + HERMES_REG_EHVER);
	sig = ioread32(regs + HERMES_REG_EHCAPSIG);
	if (version != HERMES_IF_VERSION || sig != HERMES_CAP_SIGNATURE) {
		dev_err(&pdev->dev,
			"unsupported interface version %u (signature %#x), this driver supports version %u\n",
			version, sig, HERMES_IF_VERSION);
		return -ENODEV;
	}

	dev_info(&pdev->dev, "Hermes interface version %u\n", version);
	return 0;
}

static const struct pci_device_id hermes_pci_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_EIDETICOM, PCI_DEVICE_ID_HERMES) },
	{ }
};
MODULE_DEVICE_TABLE(pci, hermes_pci_ids);

static struct pci_driver hermes_pci_driver = {
	.name		= HERMES_DRV_NAME,
	.id_table	= hermes_pci_ids,
	.probe		= hermes_probe,
};
module_pci_driver(hermes_pci_driver);

MODULE_DESCRIPTION("Hermes eBPF offload accelerators");
MODULE_LICENSE("GPL");
