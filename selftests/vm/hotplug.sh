#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The VM runner can hot-unplug a Hermes device from the host while the
# guest runs (tools/vm/ctl -> QEMU monitor -> PCIe hotplug): unplug the
# last one and check that the guest's PCI core removes exactly it.
ksft_skip=4
top=$(cd "$(dirname "$0")/../../.." && pwd)
ctl=${HERMES_VM_CTL:-$top/tools/vm/ctl}

# Hermes functions: the model (1de5:3000) and the F1 identity (1d0f:f0eb)
count() {
	n=0
	for d in /sys/bus/pci/devices/*; do
		case "$(cat "$d/vendor" "$d/device" 2>/dev/null | tr '\n' :)" in
		0x1de5:0x3000:|0x1d0f:0xf0eb:) n=$((n + 1)) ;;
		esac
	done
	echo $n
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
