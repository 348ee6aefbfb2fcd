#!/usr/bin/env bash
# Runs Cairn firmware under QEMU and passes its exit status to the caller.
#
#   scripts/qemu-run.sh BOARD ELF [TIMEOUT_SECONDS] [extra qemu args...]
#
# BOARD is mps2-an386, mps2-an505 or microbit. The UART goes to stdout. The firmware
# ends the run through semihosting, and its exit status becomes this
# script's. A run still going after TIMEOUT_SECONDS (default 60) is killed:
# the script prints TIMEOUT and exits 124.
#
# Environment:
#   ICOUNT=1  deterministic instruction counting (cycle-ish timings)
#   GDB=1     start halted with a gdb server on tcp::1234; no timeout
set -euo pipefail

usage() {
    echo "usage: $0 BOARD ELF [TIMEOUT_SECONDS] [extra qemu args...]" >&2
    exit 2
}

[[ $# -ge 2 ]] || usage
board=$1
elf=$2
shift 2
timeout_seconds=60
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
    timeout_seconds=$1
    shift
fi

case "$board" in
    mps2-an386) machine=mps2-an386 ;;
    mps2-an505) machine=mps2-an505 ;;
    microbit) machine=microbit ;;
    *) echo "$0: unknown board '$board'" >&2; usage ;;
esac
[[ -f $elf ]] || { echo "$0: no such firmware: $elf" >&2; exit 2; }

# -nographic alone would put the monitor on stdio too; -monitor none and an
# explicit -serial stdio give stdout to the UART alone. stdin is /dev/null
# below, so the run never waits for or steals a terminal.
qemu_args=(
    -M "$machine" -nographic -monitor none -serial stdio
    -semihosting-config enable=on,target=native
    -kernel "$elf"
)
if [[ ${ICOUNT:-0} == 1 ]]; then
    qemu_args+=(-icount shift=6,align=off,sleep=off)
fi

if [[ ${GDB:-0} == 1 ]]; then
    echo "qemu-run: waiting for gdb on tcp::1234; in another shell run:" >&2
    echo "  gdb-multiarch -q '$elf' -ex 'target remote :1234'" >&2
    exec qemu-system-arm "${qemu_args[@]}" -S -gdb tcp::1234 "$@" </dev/null
fi

status=0
# -k: QEMU stuck in a lockup still goes away 5 s after the polite signal.
timeout -k 5 "$timeout_seconds" qemu-system-arm "${qemu_args[@]}" "$@" </dev/null || status=$?
if [[ $status -eq 124 || $status -eq 137 ]]; then
    echo
    echo "TIMEOUT: $elf on $board still running after ${timeout_seconds}s"
    exit 124
fi
exit "$status"
