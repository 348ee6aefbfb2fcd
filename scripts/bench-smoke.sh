#!/usr/bin/env bash
# The benchmark harness's smoke test (`make bench-smoke`, part of
# `make test`): builds the benchmark firmware for both boards, checks the
# instruction counter against loops of known length (exact on mps2-an386,
# within 2% on microbit), runs one short workload on a Cairn and a
# newlib build so that both kinds of link are proven to work, and runs the
# hook-cost measurement (bench_hooks.c) on the Cairn build.
#
# BENCH_MAKE is make's command line for the builds (mk/bench.mk sets it).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
read -r -a make_cmd <<<"${BENCH_MAKE:-make -f $root/Makefile -f $root/mk/bench.mk}"

for board in mps2-an386 microbit; do
    "${make_cmd[@]}" -s BOARD="$board" ALLOCATOR=slab bench-firmware >/dev/null
    declare -A elf=()
    while read -r name path; do elf[$name]=$path; done < <("${make_cmd[@]}" -s BOARD="$board" ALLOCATOR=slab bench-paths)
    echo "bench-smoke: $board counter"
    ICOUNT=1 "$root/scripts/qemu-run.sh" "$board" "${elf[cairn-slab]}" 60 -append smoke
    for firmware in cairn-slab newlib-nano; do
        out=$(ICOUNT=1 "$root/scripts/qemu-run.sh" "$board" "${elf[$firmware]}" 60 -append pair)
        grep -q "^RESULT .* status=0 " <<<"$out" || { echo "$out"; echo "bench-smoke: FAIL ($board $firmware)"; exit 1; }
        echo "bench-smoke: $board $firmware pair workload OK"
    done
    out=$(ICOUNT=1 "$root/scripts/qemu-run.sh" "$board" "${elf[cairn-slab]}" 60 -append hooks)
    grep -q "^RESULT .* status=0 .*critical_total=" <<<"$out" || { echo "$out"; echo "bench-smoke: FAIL ($board hooks)"; exit 1; }
    echo "bench-smoke: $board cairn-slab hook-cost run OK"
    unset elf
done
echo "bench-smoke: PASS"
