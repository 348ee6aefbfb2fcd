#!/usr/bin/env bash
# The benchmark harness's smoke test (`make bench-smoke`, part of
# `make test`): builds the benchmark firmware for the three boards, checks
# the instruction counter against loops of known length (exact on
# mps2-an386, within 2% on the others), runs one short workload on a Cairn and a
# newlib build so that both kinds of link are proven to work, runs the
# hook-cost measurement (bench_hooks.c) on the Cairn build, and checks
# that Cairn's first call (the harness's impossible request, and the first
# malloc of the pair workload) costs no more instructions than the worst
# warm call of the random churns: the heap is set up before main.
# Then the worst-case analysis on functions of known longest path
# (Tests/WCET), and the worst case per entry point on every board: scripts/wcet.py's
# stated figure from the built firmware (every loop bounded) against the
# adversarial runs (Benchmarks/worst_case.c); a measured call above its
# stated worst case, or a loop with no bound, fails.
#
# BENCH_MAKE is make's command line for the builds (mk/bench.mk sets it).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
read -r -a make_cmd <<<"${BENCH_MAKE:-make -f $root/Makefile -f $root/mk/bench.mk}"

for board in mps2-an386 microbit mps2-an505; do
    "${make_cmd[@]}" -s BOARD="$board" ALLOCATOR=slab bench-firmware >/dev/null
    declare -A elf=()
    while read -r name path; do elf[$name]=$path; done < <("${make_cmd[@]}" -s BOARD="$board" ALLOCATOR=slab bench-paths)
    # The benchmark firmware is the release library alone, as a firmware
    # links it: no copy of the heap, or of a part of it, on any path.
    "$root/scripts/check-no-heap-copy.sh" "${elf[cairn-slab]}"
    echo "bench-smoke: $board counter"
    ICOUNT=1 "$root/scripts/qemu-run.sh" "$board" "${elf[cairn-slab]}" 60 -append smoke
    for firmware in cairn-slab newlib-nano; do
        out=$(ICOUNT=1 "$root/scripts/qemu-run.sh" "$board" "${elf[$firmware]}" 60 -append pair)
        grep -q "^RESULT .* status=0 " <<<"$out" || { echo "$out"; echo "bench-smoke: FAIL ($board $firmware)"; exit 1; }
        echo "bench-smoke: $board $firmware pair workload OK"
        [[ $firmware == cairn-slab ]] && pair=$out
    done
    # The warm worst case: the costliest call after warm-up over the two
    # random churns (class pages taken and given back, large blocks).
    field() { sed -nE "s/^RESULT .* $1=([0-9]+).*/\1/p" <<<"$2"; }
    warm=0
    for workload in churn mixed-churn; do
        churn=$(ICOUNT=1 "$root/scripts/qemu-run.sh" "$board" "${elf[cairn-slab]}" 60 -append $workload)
        for series in alloc_warm_worst free_warm_worst; do
            value=$(field $series "$churn")
            (( ${value:-0} > warm )) && warm=$value
        done
    done
    setup=$(field setup "$pair"); first=$(field alloc_worst "$pair")
    if [[ -z $warm || -z $setup || -z $first ]] || (( setup > warm || first > warm )); then
        echo "$pair"; echo "$churn"
        echo "bench-smoke: FAIL ($board: first call $setup, first malloc $first instructions; warm worst $warm)"
        exit 1
    fi
    echo "bench-smoke: $board first call $setup, first malloc $first <= warm worst $warm instructions"
    out=$(ICOUNT=1 "$root/scripts/qemu-run.sh" "$board" "${elf[cairn-slab]}" 60 -append hooks)
    grep -q "^RESULT .* status=0 .*critical_total=" <<<"$out" || { echo "$out"; echo "bench-smoke: FAIL ($board hooks)"; exit 1; }
    echo "bench-smoke: $board cairn-slab hook-cost run OK"
    unset elf
done
python3 "$root/Tests/WCET/test_wcet.py" 2>&1 | tail -1 | grep -qx OK \
    || { python3 "$root/Tests/WCET/test_wcet.py"; echo "bench-smoke: FAIL (scripts/wcet.py on known cases)"; exit 1; }
echo "bench-smoke: scripts/wcet.py finds the known longest paths (Tests/WCET)"
python3 "$root/scripts/bench.py" --make "${BENCH_MAKE:-make -f $root/Makefile -f $root/mk/bench.mk}" \
    --worst-only --boards mps2-an386,microbit,mps2-an505 --timeout 60 | grep -E '^\| [a-z0-9-]+ \| [a-z_]+ \||FAILED' \
    || { echo "bench-smoke: FAIL (worst case per entry point)"; exit 1; }
echo "bench-smoke: worst case per entry point within its stated bound on every board"
echo "bench-smoke: PASS"
