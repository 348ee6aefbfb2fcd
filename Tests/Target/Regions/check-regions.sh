#!/usr/bin/env bash
# Runs the two-region firmware (regions.c) under QEMU and checks its result
# and its heap report: a line per region (the second at 0x21000000) and the
# total, whose capacity is the sum of the regions'.
#
#   check-regions.sh BOARD ELF TIMEOUT
set -uo pipefail

[[ $# -eq 3 ]] || { echo "usage: $0 BOARD ELF TIMEOUT" >&2; exit 2; }
board=$1 elf=$2 timeout_seconds=$3
verdict=regions subject="$board $(basename "$elf")"
source "$(dirname "$0")/../Support/run-firmware.sh"

run_firmware "$board" "$elf" "$timeout_seconds"

[[ $status -eq 0 ]] || fail "exit status $status"
grep -Eq '^regions: [0-9]+ passed, 0 failed$' <<<"$output" || fail "no closing line"
first=$(grep -E '^ +0  0x[0-9a-f]{8} ' <<<"$output" | head -n 1)
second=$(grep -E '^ +1  0x21000000 ' <<<"$output" | head -n 1)
total=$(grep -E '^ +total ' <<<"$output" | head -n 1)
[[ -n $first && -n $second && -n $total ]] || fail "the report has no line for each region and the total"
capacity_first=$(awk '{ print $3 }' <<<"$first")
capacity_second=$(awk '{ print $3 }' <<<"$second")
capacity_total=$(awk '{ print $2 }' <<<"$total")
(( capacity_first + capacity_second == capacity_total )) ||
    fail "the report's total capacity $capacity_total is not $capacity_first + $capacity_second"
# The heap map: a header for the added region, whose capacity is the one
# its report line gives, and a drawing with a grid for each region.
map_second=$(grep -E '^map region=1 page=' <<<"$output" | head -n 1)
[[ -n $map_second ]] || fail "the heap map has no header for the added region"
[[ $(grep -oE ' capacity=[0-9]+' <<<"$map_second" | cut -d= -f2) == "$capacity_second" ]] ||
    fail "the added region's map header does not give its capacity $capacity_second: $map_second"
svg=$(python3 "$(dirname "$0")/../../../scripts/heapmap.py" - <<<"$output") || fail "heapmap.py could not draw the map"
grep -q 'id="r1p0"' <<<"$svg" || fail "the drawing has no grid for the added region"
echo "regions ok: $board $(basename "$elf"): two regions, report and heap map per region, total"
