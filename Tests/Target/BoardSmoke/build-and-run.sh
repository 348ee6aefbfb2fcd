#!/usr/bin/env bash
# Builds the board smoke firmware and runs it under QEMU.
#
#   Tests/Target/BoardSmoke/build-and-run.sh BOARD [read|udf] [make VAR=value...]
#
# Without a fault kind the firmware must print "board-smoke: PASS" and exit
# 0; with one it must print a HardFault line and exit 101. The exit status
# is the firmware's (124 on timeout).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)

[[ $# -ge 1 ]] || { echo "usage: $0 BOARD [read|udf] [make VAR=value...]" >&2; exit 2; }
board=$1
shift
fault=
if [[ $# -gt 0 && $1 != *=* ]]; then
    fault=$1
    shift
fi

make_args=(-s -C "$here" "BOARD=$board" "SMOKE_FAULT=$fault" "$@")
make "${make_args[@]}" >/dev/null
elf=$(make "${make_args[@]}" elf-path)
exec "$root/scripts/qemu-run.sh" "$board" "$elf" 30
