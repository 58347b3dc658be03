// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the Hermes backends: which backend a PCI identity gets,
 * and what each refuses from a device that reports more than it can hold.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>
#include <linux/pci.h>
#include <linux/sizes.h>

#include "hermes.h"

/* What the QEMU model reports by default: 4 engines, 64 MiB of memory */
static const struct hermes_caps hermes_test_caps = {
	.engines = 4,
	.mem_size = SZ_64M,
};

static const struct hermes_backend *
hermes_test_match(struct kunit *test, u16 vendor, u16 device)
{
	/* too big for the stack with KASAN's redzones */
	struct pci_dev *pdev = kunit_kzalloc(test, sizeof(*pdev), GFP_KERNEL);
	const struct pci_device_id *id;

	KUNIT_ASSERT_NOT_NULL(test, pdev);
	pdev->vendor = vendor;
	pdev->device = device;
	pdev->subsystem_vendor = PCI_ANY_ID;
	pdev->subsystem_device = PCI_ANY_ID;
	id = pci_match_id(hermes_pci_ids, pdev);
	return id ? (const struct hermes_backend *)id->driver_data : NULL;
}

static void hermes_test_identity(struct kunit *test)
{
	KUNIT_EXPECT_PTR_EQ(test, hermes_test_match(test, 0x1de5, 0x3000),
			    &hermes_backend_qemu);
	KUNIT_EXPECT_PTR_EQ(test, hermes_test_match(test, 0x1d0f, 0xf0eb),
			    &hermes_backend_f1);
	/* other customer images on F1, and the shell's own management PF */
	KUNIT_EXPECT_NULL(test, hermes_test_match(test, 0x1d0f, 0xf000));
	KUNIT_EXPECT_NULL(test, hermes_test_match(test, 0x1d0f, 0x1041));
	KUNIT_EXPECT_STREQ(test, hermes_backend_f1.name, "f1");
	KUNIT_EXPECT_TRUE(test, hermes_backend_f1.mem_wc);
}

static void hermes_test_engines(struct kunit *test)
{
	const struct hermes_backend *be = &hermes_backend_f1;
	struct hermes_caps caps = hermes_test_caps;
	char why[128] = "";

	caps.engines = 16;
	KUNIT_EXPECT_EQ(test, hermes_backend_check(be, &caps, SZ_128G, why,
						   sizeof(why)), 0);
	caps.engines = 17;
	KUNIT_EXPECT_EQ(test, hermes_backend_check(be, &caps, SZ_128G, why,
						   sizeof(why)), -EINVAL);
	KUNIT_EXPECT_STREQ(test, why,
			   "17 engines: f1 backend takes 1 to 16 (the F1 shell has 16 user interrupts (cl_sh_apppf_irq_req))");
	caps.engines = 0;
	KUNIT_EXPECT_EQ(test, hermes_backend_check(be, &caps, SZ_128G, why,
						   sizeof(why)), -EINVAL);
	caps.engines = 17;
	KUNIT_EXPECT_EQ(test, hermes_backend_check(&hermes_backend_qemu, &caps,
						   SZ_64M, why, sizeof(why)),
			-EINVAL);
	KUNIT_EXPECT_STREQ(test, why,
			   "17 engines: qemu backend takes 1 to 16 (the XDMA has 16 user interrupts)");
}

static void hermes_test_memory(struct kunit *test)
{
	struct hermes_caps caps = hermes_test_caps;
	char why[128] = "";

	/* the model's BAR4 is its memory, F1's a 128 GiB window onto it */
	KUNIT_EXPECT_EQ(test, hermes_backend_check(&hermes_backend_qemu, &caps,
						   SZ_64M, why, sizeof(why)), 0);
	KUNIT_EXPECT_EQ(test, hermes_backend_check(&hermes_backend_f1, &caps,
						   SZ_128G, why, sizeof(why)),
			0);
	caps.mem_size = SZ_64M + 1;
	KUNIT_EXPECT_EQ(test, hermes_backend_check(&hermes_backend_qemu, &caps,
						   SZ_64M, why, sizeof(why)),
			-EINVAL);
	KUNIT_EXPECT_STREQ(test, why,
			   "device memory of 67108865 bytes does not fit the BAR4 window of 67108864 bytes");
	caps.mem_size = 0;
	KUNIT_EXPECT_EQ(test, hermes_backend_check(&hermes_backend_f1, &caps,
						   SZ_128G, why, sizeof(why)),
			-EINVAL);
}

static struct kunit_case hermes_backend_cases[] = {
	KUNIT_CASE(hermes_test_identity),
	KUNIT_CASE(hermes_test_engines),
	KUNIT_CASE(hermes_test_memory),
	{}
};

static struct kunit_suite hermes_backend_suite = {
	.name = "hermes_backend",
	.test_cases = hermes_backend_cases,
};

kunit_test_suite(hermes_backend_suite);

MODULE_DESCRIPTION("KUnit tests of the Hermes backends");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
