#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Synthesise the engine core and the custom logic top with yosys and print
# the cells that matter on an UltraScale+ part (the F1 VU9P family).
# Environment: RTL_DIR, RTL_OUT, YOSYS, FAMILY (default xcup), RTL_NICE.
set -eu
: "${RTL_DIR:?}" "${RTL_OUT:?}"
YOSYS=${YOSYS:-yosys}
FAMILY=${FAMILY:-xcup}
out=$RTL_OUT/yosys
mkdir -p "$out"

if ! command -v "$YOSYS" >/dev/null; then
	echo "yosys not installed: no cell counts"
	exit 0
fi

# name top sources...
synth() {
	name=$1 top=$2
	shift 2
	log=$out/$name.log
	# The longest combinational path in cells (ltp once flip-flops and
	# RAMs are removed, so they cut paths) is the only yardstick for the
	# clock here: yosys has no Xilinx timing model.
	if ! ${RTL_NICE:-} "$YOSYS" -q -l "$log" -p "read_verilog $*; \
		synth_xilinx -family $FAMILY -top $top -flatten -noiopad; \
		tee -q -o $out/$name.stat stat; \
		delete t:FD* t:RAM*; tee -q -o $out/$name.ltp ltp" \
		>/dev/null 2>&1; then
		echo "$name: yosys failed, see $log"
		return 0
	fi
	awk -v name="$name" '
		$1 ~ /^LUT[1-6]$/ { lut += $2 }
		$1 ~ /^FD[CPRS]E$/ { ff += $2 }
		$1 ~ /^RAM(32|64|128|256)/ { lutram += $2 }
		$1 == "RAMB36E2" { b36 += $2 }
		$1 == "RAMB18E2" { b18 += $2 }
		$1 == "URAM288" { uram += $2 }
		$1 == "DSP48E2" { dsp += $2 }
		$1 ~ /^CARRY[48]$/ { carry += $2 }
		END {
			printf "%-16s LUT %6d  FF %6d  LUTRAM %4d  RAMB36 %3d  RAMB18 %3d  URAM %2d  DSP48E2 %3d  CARRY %4d\n",
				name, lut, ff, lutram, b36, b18, uram, dsp, carry
		}' "$out/$name.stat"
	sed -n 's/^Longest topological path.*(length=\([0-9]*\)).*/  longest combinational path: \1 cells (LUTs, muxes, carry blocks)/p' \
		"$out/$name.ltp" | head -1
}

synth engine-core hermes_ebpf_core "$RTL_DIR/hermes_ebpf_core.v" "$RTL_DIR/hermes_div.v"
synth top-2-engines hermes_cl "$RTL_DIR/hermes_cl.v" "$RTL_DIR/hermes_engine.v" "$RTL_DIR/hermes_validate.v" \
	"$RTL_DIR/hermes_ebpf_core.v" "$RTL_DIR/hermes_div.v"
