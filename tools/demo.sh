#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The Hermes demo, run inside the VM by `make demo`: offload an XDP
# program with unmodified bpftool and show it.  Until the Hermes driver
# lands, the offload target is a netdevsim device.
set -e
step() { printf '\n$ %s\n' "$*"; "$@"; }

modprobe netdevsim
echo "1 1" > /sys/bus/netdevsim/new_device
for i in $(seq 50); do
	dev=$(ls /sys/bus/netdevsim/devices/netdevsim1/net/ 2>/dev/null | head -1)
	[ -n "$dev" ] && break
	sleep 0.1
done
[ -n "$dev" ] || { echo "demo: netdevsim created no netdev" >&2; exit 1; }
ip link set dev "$dev" up
# netdevsim offloads only when its debugfs knob says the device is ready.
echo Y > "/sys/kernel/debug/netdevsim/netdevsim1/bpf_bind_accept" 2>/dev/null || true

prog=build/kselftest/net/sample_ret0.bpf.o
step bpftool prog load "$prog" /sys/fs/bpf/demo type xdp offload_dev "$dev"
step bpftool prog show pinned /sys/fs/bpf/demo
step ip link set dev "$dev" xdpoffload pinned /sys/fs/bpf/demo
step ip -details link show dev "$dev"
rm /sys/fs/bpf/demo
