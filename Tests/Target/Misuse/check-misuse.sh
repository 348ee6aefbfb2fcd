#!/usr/bin/env bash
# Runs one misuse firmware (misuse.c) under QEMU and checks that the checked
# heap caught it:
#   - the report line `cairn: <REPORT> at 0x........` names the address the
#     firmware announced (`expect 0x........`), and a caller inside the
#     firmware's code (a report without a caller, 0x00000000, is noted);
#   - the run stopped with status 70 (cairn_platform_fatal), before the
#     firmware could print UNREACHED.
#
#   check-misuse.sh BOARD ELF TIMEOUT 'REPORT TEXT'
set -uo pipefail

[[ $# -eq 4 ]] || { echo "usage: $0 BOARD ELF TIMEOUT 'REPORT TEXT'" >&2; exit 2; }
board=$1 elf=$2 timeout_seconds=$3 report=$4
name=$(basename "$elf" .elf)
verdict=misuse subject="$board $name"
source "$(dirname "$0")/../Support/run-firmware.sh"

run_firmware "$board" "$elf" "$timeout_seconds"

expected=$(grep -oE 'expect 0x[0-9a-f]{8}' <<<"$output" | head -n 1 | cut -d' ' -f2)
[[ -n $expected ]] || fail "the firmware did not announce its misuse"
line=$(grep -E "^cairn: $report at 0x[0-9a-f]{8}(, class [0-9]+ \([0-9]+-byte blocks\))?, caller 0x[0-9a-f]{8}\$" \
    <<<"$output" | head -n 1)
[[ -n $line ]] || fail "no report line 'cairn: $report at 0x...'"
reported=$(grep -oE ' at 0x[0-9a-f]{8}' <<<"$line" | cut -c5-)
[[ $reported == "$expected" ]] || fail "report names $reported, the misuse was at $expected"
# The caller is the hook's return address: inside the firmware's own code.
caller=$(grep -oE 'caller 0x[0-9a-f]{8}' <<<"$line" | cut -c8-)
if [[ $caller == 0x00000000 ]]; then
    echo "    note: the report names no caller"
else
    in_firmware=0
    while read -r start size _ symbol; do
        if [[ $symbol == main || $symbol == commit_misuse ]] \
            && (( caller >= 16#$start && caller < 16#$start + 16#$size )); then
            in_firmware=1
        fi
    done < <(${NM:-arm-none-eabi-nm} -S "$elf")
    [[ $in_firmware == 1 ]] || fail "caller $caller is not in main or commit_misuse"
fi
expect_fatal_stop misuse
echo "misuse ok: $board $name: '$report' at $reported, stopped with 70"
