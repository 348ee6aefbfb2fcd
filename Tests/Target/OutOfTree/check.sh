#!/usr/bin/env bash
# Builds Examples/OutOfTreeFirmware the way a firmware outside Cairn's tree
# would be built, and runs it under QEMU.
#
#   Tests/Target/OutOfTree/check.sh [QEMU_TIMEOUT_SECONDS]
#
# The package is copied to a fresh temporary folder (outside the repository),
# its Cairn path is set to this checkout, and it is built with the commands
# its README gives: swift build with the triple and the toolset, then
# scripts/qemu-run.sh. Passes when the build succeeds, the firmware exits 0,
# and its output shows the objects, the array and Cairn's intact heap.
# Environment: SWIFT (default swift), KEEP=1 keeps the temporary folder.
set -uo pipefail

cairn=$(cd "$(dirname "$0")/../../.." && pwd)
timeout_seconds=${1:-60}
swift=${SWIFT:-swift}
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-outoftree.XXXXXX")
if [[ ${KEEP:-0} != 1 ]]; then trap 'rm -rf "$work"' EXIT; fi

passed=0
failed=0
pass() { echo "  ok: $1"; passed=$((passed + 1)); }
fail() { echo "  FAIL: $1"; failed=$((failed + 1)); }
finish() {
    echo "out-of-tree: $passed passed, $failed failed"
    [[ $failed -eq 0 ]]
    exit
}

firmware=$work/firmware
cp -R "$cairn/Examples/OutOfTreeFirmware" "$firmware"
rm -rf "$firmware/.build"
# The template's one line that names Cairn's location.
sed -i "s|^let cairnPath = .*|let cairnPath = \"$cairn\"|" "$firmware/Package.swift"
if grep -q "^let cairnPath = \"$cairn\"$" "$firmware/Package.swift"; then
    pass "Package.swift points at $cairn"
else
    fail "Package.swift has no cairnPath line to rewrite"
    finish
fi

build_log=$work/build.log
if (cd "$firmware" && "$swift" build --triple armv7em-none-none-eabi \
        --toolset toolset.json -c release) >"$build_log" 2>&1; then
    pass "swift build with the toolset"
else
    tail -n 40 "$build_log"
    fail "swift build with the toolset"
    finish
fi

elf=$firmware/.build/armv7em-none-none-eabi/release/Firmware
status=0
output=$("$cairn/scripts/qemu-run.sh" mps2-an386 "$elf" "$timeout_seconds") || status=$?
echo "$output" | sed 's/^/    | /'
if [[ $status -eq 0 ]]; then pass "firmware exits 0"; else fail "firmware exits $status"; fi

expect() {
    if grep -qE "$2" <<<"$output"; then pass "$1"; else fail "$1 (no line matching '$2')"; fi
}
expect "objects and an array allocated" '^out-of-tree: 200 samples, totals( [0-9]+){4}$'
expect "heap empty again" '^out-of-tree: peak live blocks [1-9][0-9]*, live now 0, '
expect "Cairn's heap report says intact" '^ +integrity +OK$'
finish
