#!/usr/bin/env bash
# Runs the stack firmware (stack_test.c) under QEMU and checks it:
#   stack-overflow*.elf   `stack overflow` report naming an address in the
#                         guard, exit 103, heap canaries and heap intact,
#                         never UNREACHED;
#   stack-high-water.elf  exit 0 and `N passed, 0 failed`.
#
#   check-stack.sh BOARD TIMEOUT ELF...
set -uo pipefail

[[ $# -ge 3 ]] || { echo "usage: $0 BOARD TIMEOUT ELF..." >&2; exit 2; }
board=$1 timeout_seconds=$2
shift 2
verdict="stack test"
source "$(dirname "$0")/../Support/run-firmware.sh"

for elf in "$@"; do
    name=$(basename "$elf" .elf)
    subject="$board $name"
    echo "== stack: $board, $name"
    run_firmware "$board" "$elf" "$timeout_seconds"
    case $name in
        stack-overflow | stack-overflow-in-handler)
            grep -q UNREACHED <<<"$output" && fail "the recursion returned"
            grep -qE '^stack overflow: access to 0x[0-9a-f]{8} in the stack guard 0x[0-9a-f]{8}-0x[0-9a-f]{8}, SP=0x[0-9a-f]{8}' \
                <<<"$output" || fail "no 'stack overflow' report naming an address in the guard"
            grep -qE 'heap canaries at 0x[0-9a-f]{8} and 0x[0-9a-f]{8} intact, heap block intact, heap integrity ok' \
                <<<"$output" || fail "the heap side was touched (or not checked)"
            [[ $status -eq 103 ]] || fail "exit status $status, expected 103"
            ;;
        stack-high-water)
            [[ $status -eq 0 ]] || fail "exit status $status, expected 0"
            grep -qE '^[0-9]+ passed, 0 failed' <<<"$output" || fail "no '0 failed' closing line"
            ;;
        *)
            fail "unknown stack firmware"
            ;;
    esac
    echo "stack ok: $board $name"
done
