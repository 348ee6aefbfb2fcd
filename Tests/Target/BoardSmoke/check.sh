#!/usr/bin/env bash
# Proves the board layer on every board, and stops at the first failure:
#   - the smoke firmware prints, allocates, finds .data/.bss right, exits 0;
#   - a bad read and an undefined instruction each print the HardFault
#     line with a PC and exit 101 (BOARD_EXIT_HARD_FAULT);
#   - an arena too big for RAM fails the link with the linker-script message.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
boards=(mps2-an386 microbit mps2-an505)

fail() {
    echo "board-smoke check FAILED: $*" >&2
    exit 1
}

# Runs build-and-run.sh with the given arguments; sets $output and $status.
run() {
    status=0
    output=$("$here/build-and-run.sh" "$@" 2>&1) || status=$?
    printf '%s\n' "$output" | sed 's/^/    /'
}

for board in "${boards[@]}"; do
    echo "== $board: smoke"
    run "$board"
    [[ $status -eq 0 ]] || fail "$board smoke exited $status, expected 0"
    grep -q '^board-smoke: PASS$' <<<"$output" || fail "$board smoke did not print PASS"

    for fault in read udf; do
        echo "== $board: fault ($fault)"
        run "$board" "$fault"
        [[ $status -eq 101 ]] || fail "$board $fault fault exited $status, expected 101"
        grep -qE '^HardFault: PC=0x[0-9a-f]{8} LR=0x[0-9a-f]{8} xPSR=0x[0-9a-f]{8}' <<<"$output" \
            || fail "$board $fault fault printed no HardFault line"
    done

    echo "== $board: arena larger than RAM must not link"
    status=0
    output=$(make -s -C "$here" BOARD="$board" VARIANT=heap-too-big HEAP_SIZE=16777216 2>&1) || status=$?
    [[ $status -ne 0 ]] || fail "$board linked an arena bigger than its RAM"
    grep -q "cairn: heap + stack + data do not fit in RAM of $board" <<<"$output" \
        || fail "$board link failed without the linker-script message"
    echo "    link refused: $(grep -o 'cairn: heap.*' <<<"$output")"
done

echo "board-smoke check passed on: ${boards[*]}"
