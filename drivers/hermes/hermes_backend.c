// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hermes eBPF offload accelerators: what differs between device kinds.
 *
 * Every Hermes device follows Documentation/hermes/device.rst: the same
 * registers in BAR0, the same Xilinx XDMA in BAR2, device memory in BAR4.
 * A backend says only what its kind adds to that: the PCI identity it is
 * found by, its limits, and how its memory window is mapped.
 */

#include <kunit/visibility.h>
#include <linux/module.h>
#include <linux/pci.h>

#include "hermes.h"

#define PCI_VENDOR_ID_EIDETICOM		0x1de5
#define PCI_DEVICE_ID_HERMES		0x3000
/* Amazon's application PF; the device ID is ours, from the customer range */
#define PCI_VENDOR_ID_AMAZON_F1		0x1d0f
#define PCI_DEVICE_ID_HERMES_F1		0xf0eb

/* The QEMU device model: BAR4 is exactly the device memory. */
const struct hermes_backend hermes_backend_qemu = {
	.name		= "qemu",
	.max_engines	= HERMES_XDMA_USER_IRQS,
	.engines_why	= "the XDMA has 16 user interrupts",
};
EXPORT_SYMBOL_IF_KUNIT(hermes_backend_qemu);

/*
 * The AWS F1 card with the Hermes custom logic: the engines interrupt
 * through cl_sh_apppf_irq_req[15:0], and BAR4 is the 128 GiB DMA_PCIS
 * window of which only the device memory is mapped, write-combined for
 * the BAR4 copies.
 */
const struct hermes_backend hermes_backend_f1 = {
	.name		= "f1",
	.max_engines	= HERMES_XDMA_USER_IRQS,
	.engines_why	= "the F1 shell has 16 user interrupts (cl_sh_apppf_irq_req)",
	.mem_wc		= true,
};
EXPORT_SYMBOL_IF_KUNIT(hermes_backend_f1);

const struct pci_device_id hermes_pci_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_EIDETICOM, PCI_DEVICE_ID_HERMES),
	  .driver_data = (kernel_ulong_t)&hermes_backend_qemu },
	{ PCI_DEVICE(PCI_VENDOR_ID_AMAZON_F1, PCI_DEVICE_ID_HERMES_F1),
	  .driver_data = (kernel_ulong_t)&hermes_backend_f1 },
	{ }
};
EXPORT_SYMBOL_IF_KUNIT(hermes_pci_ids);
MODULE_DEVICE_TABLE(pci, hermes_pci_ids);

/**
 * hermes_backend_check() - may a device of this kind be driven as it reports
 * @be: the backend of the device's PCI identity
 * @caps: what the device reports
 * @window: length of BAR4, the window onto device memory
 * @why: where to say why not
 * @len: size of @why
 *
 * Return: 0, or -EINVAL with the reason in @why.
 */
int hermes_backend_check(const struct hermes_backend *be,
			 const struct hermes_caps *caps, u64 window,
			 char *why, size_t len)
{
	if (!caps->engines || caps->engines > be->max_engines) {
		snprintf(why, len, "%u engines: %s backend takes 1 to %u (%s)",
			 caps->engines, be->name, be->max_engines,
			 be->engines_why);
		return -EINVAL;
	}
	if (!caps->mem_size) {
		snprintf(why, len, "device reports no memory");
		return -EINVAL;
	}
	if (caps->mem_size > window) {
		snprintf(why, len,
			 "device memory of %llu bytes does not fit the BAR4 window of %llu bytes",
			 caps->mem_size, window);
		return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(hermes_backend_check);
