#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The Hermes demo, run inside the VM by `make demo`: offload a verified
# XDP program to a Hermes device with unmodified bpftool, run it on the
# device on some data, and run the same object on the host kernel to show
# that both give the same answer.
#   demo.sh OBJECT   a clang-built XDP object (make demo builds one)
set -e
obj=$1
step() { printf '\n$ %s\n' "$*"; "$@"; }
hex() { od -An -tx1 -v "$1" | tr -s ' \n' ' '; echo; }

modprobe hermes
for i in $(seq 50); do
	[ -e /sys/class/net/hermes0 ] && break
	sleep 0.1
done
[ -e /sys/class/net/hermes0 ] || { echo "demo: no hermes0 (is a Hermes device present?)" >&2; exit 1; }

step bpftool prog load "$obj" /sys/fs/bpf/demo type xdp offload_dev hermes0
step bpftool prog show pinned /sys/fs/bpf/demo
printf 'Hello, Hermes! Offloaded eBPF, verified first.' > /tmp/in
step bpftool prog run pinned /sys/fs/bpf/demo data_in /tmp/in data_out /tmp/out.hermes
step bpftool prog run pinned /sys/fs/bpf/demo data_in /tmp/in repeat 1000

# The same object, not offloaded: the host kernel's own run is the truth.
# (Durations: the device measures its own; under TCG both are emulated.)
step bpftool prog load "$obj" /sys/fs/bpf/demo_host type xdp
step bpftool prog run pinned /sys/fs/bpf/demo_host data_in /tmp/in data_out /tmp/out.host
step bpftool prog run pinned /sys/fs/bpf/demo_host data_in /tmp/in repeat 1000

printf '\nin:     '; hex /tmp/in
printf 'hermes: '; hex /tmp/out.hermes
printf 'host:   '; hex /tmp/out.host
if cmp -s /tmp/out.hermes /tmp/out.host; then
	echo "=> the device and the host kernel agree"
else
	echo "=> MISMATCH between the device and the host kernel" >&2
	exit 1
fi
step cat /sys/kernel/debug/hermes/hermes0/engines 2>/dev/null || true
rm -f /sys/fs/bpf/demo /sys/fs/bpf/demo_host
