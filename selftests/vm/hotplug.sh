#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The VM runner can hot-unplug a Hermes device from the host while the
# guest runs (tools/vm/ctl -> QEMU monitor -> PCIe hotplug): unplug the
# last one and check that the guest's PCI core removes exactly it.
ksft_skip=4
top=$(cd "$(dirname "$0")/../../.." && pwd)
ctl=${HERMES_VM_CTL:-$top/tools/vm/ctl}

count() {
	grep -lx 0x1de5 /sys/bus/pci/devices/*/vendor 2>/dev/null | wc -l
}

[ -n "$HERMES_VM_RUN" ] || { echo "not in the Hermes VM"; exit $ksft_skip; }
before=$(count)
[ "$before" -gt 0 ] || { echo "no Hermes device to unplug"; exit $ksft_skip; }
dev=hermes$((before - 1))

"$ctl" unplug "$dev" || exit 1
# pciehp waits for the attention button's 5 s grace period first.
i=0
while [ "$(count)" -ne $((before - 1)) ] && [ $i -lt 150 ]; do
	sleep 0.2
	i=$((i + 1))
done
after=$(count)
echo "Hermes devices: $before before, $after after unplugging $dev"
[ "$after" -eq $((before - 1)) ]
