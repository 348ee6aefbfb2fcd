#!/usr/bin/env bash
# Runs one overflow firmware (overflow.c, header_overflow.c) under QEMU and checks the answer
# of the build it was linked with:
#   release: exit 0 with `overflow ok` (every block in the heap, none
#            overlapping, the hook called, the counts raised) after a
#            `cairn: heap corruption` report line;
#   checked: a `cairn: ` report line, then exit 70 (cairn_platform_fatal)
#            before the firmware prints UNREACHED.
#
#   check-overflow.sh BOARD ELF TIMEOUT release|checked
set -uo pipefail

[[ $# -eq 4 ]] || { echo "usage: $0 BOARD ELF TIMEOUT release|checked" >&2; exit 2; }
board=$1 elf=$2 timeout_seconds=$3 build=$4
name=$(basename "$elf" .elf)
verdict=overflow subject="$board $name ($build)"
source "$(dirname "$0")/../Support/run-firmware.sh"

run_firmware "$board" "$elf" "$timeout_seconds"

if [[ $build == release ]]; then
    grep -q '^cairn: heap corruption' <<<"$output" || fail "no heap corruption report"
    grep -q '^overflow ok$' <<<"$output" || fail "no 'overflow ok'"
    [[ $status -eq 0 ]] || fail "exit status $status"
    echo "overflow ok: $board $name (release): caught, reported, no block escaped"
else
    grep -qE '^cairn: .+ at 0x[0-9a-f]{8}' <<<"$output" || fail "no report line"
    expect_fatal_stop overflow
    echo "overflow ok: $board $name (checked): reported, stopped with 70"
fi
