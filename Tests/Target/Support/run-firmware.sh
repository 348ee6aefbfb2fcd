# Sourced by the scripts that run one test firmware under QEMU and judge
# what it printed (Misuse/check-misuse.sh, Overflow/check-overflow.sh,
# Regions/check-regions.sh, StackGuard/check-stack.sh). The sourcing
# script sets `verdict` (the word its lines start with, e.g. "misuse") and
# `subject` (what is under test, e.g. "mps2-an386 misuse-double-free")
# before it calls fail.

cairn_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)

# run_firmware BOARD ELF TIMEOUT: runs ELF and prints its output indented;
# leaves the output in `output` and the exit status in `status`.
run_firmware() {
    status=0
    output=$("$cairn_root/scripts/qemu-run.sh" "$1" "$2" "$3" 2>&1) || status=$?
    printf '%s\n' "$output" | sed 's/^/    /'
}

# fail WHY: the failure line, `<verdict> FAILED: <subject>: WHY`; exits 1.
fail() {
    echo "$verdict FAILED: $subject: $*"
    exit 1
}

# expect_fatal_stop WHAT: the checked heap stopped the firmware with
# status 70 (cairn_platform_fatal) before it could print UNREACHED after
# WHAT (the misuse it committed).
expect_fatal_stop() {
    grep -q UNREACHED <<<"$output" && fail "the firmware ran on after the $1"
    [[ $status -eq 70 ]] || fail "exit status $status, expected 70 (cairn_platform_fatal)"
}
