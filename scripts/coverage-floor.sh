#!/bin/sh
# Line coverage of the allocator module (Sources/Cairn, without Firmware/,
# which is target-only and compiles to nothing on the host), from the JSON
# that `swift test --enable-code-coverage` writes. Prints it per file and in
# total, lists the uncovered lines, and fails when the total is below the
# floor in coverage-floor.txt.
#
# The floor may only be raised: when coverage rises, raise it to match; never
# lower it to let a change through. Add tests instead.
#
# Usage: coverage-floor.sh CODECOV_JSON   (`swift test --show-codecov-path`)
#
# SwiftPM writes that JSON only when every test passed; otherwise the raw
# profiles beside it are merged and exported here with the toolchain's llvm
# tools, so a failing test still shows what the rest covered.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
json=${1:?usage: coverage-floor.sh CODECOV_JSON}
floor=$(grep -v '^#' "$root/coverage-floor.txt" | head -n 1 | tr -d ' \t')

if [ ! -f "$json" ]; then
    codecov=$(dirname "$json")
    llvm=$(dirname "$(command -v swiftc)")
    tests=$(ls -d "$(dirname "$codecov")"/*PackageTests.xctest 2>/dev/null | head -n 1)
    [ -n "$tests" ] && ls "$codecov"/*.profraw >/dev/null 2>&1 ||
        { echo "coverage: no $json and no raw profiles in $codecov" >&2; exit 1; }
    echo "coverage: $json missing (a test failed?); exporting from the raw profiles"
    "$llvm/llvm-profdata" merge -sparse "$codecov"/*.profraw -o "$codecov/merged.profdata"
    json="$codecov/exported.json"
    "$llvm/llvm-cov" export -instr-profile "$codecov/merged.profdata" "$tests" > "$json"
fi

exec python3 - "$json" "$floor" "$root/Sources/Cairn/" <<'EOF'
import json, sys

path, floor, prefix = sys.argv[1], float(sys.argv[2]), sys.argv[3]
data = json.load(open(path))["data"][0]

def uncovered_lines(entry):
    # llvm-cov's line rule (LineCoverageStats): a line counts when a region
    # starts on it or one wraps into it from above; its count is the largest
    # of those. Segments: [line, col, count, hasCount, isRegionEntry, isGap].
    segments = entry["segments"]
    missed, wrapped, i = [], None, 0
    if not segments:
        return missed
    for line in range(segments[0][0], segments[-1][0] + 1):
        on_line = []
        while i < len(segments) and segments[i][0] == line:
            on_line.append(segments[i])
            i += 1
        starts = [s for s in on_line if s[3] and s[4] and not s[5]]
        skipped = bool(on_line) and not on_line[0][3] and on_line[0][4]
        if not skipped and ((wrapped and wrapped[3]) or starts):
            count = max([wrapped[2] if wrapped else 0] + [s[2] for s in starts])
            if count == 0:
                missed.append(line)
        if on_line:
            wrapped = on_line[-1]
    return missed

covered = total = 0
rows = []
for entry in data["files"]:
    name = entry["filename"]
    if not name.startswith(prefix) or "/Firmware/" in name[len(prefix):]:
        continue
    lines = entry["summary"]["lines"]
    covered += lines["covered"]
    total += lines["count"]
    rows.append((name[len(prefix):], lines["covered"], lines["count"], uncovered_lines(entry)))

if total == 0:
    sys.exit(f"coverage: no lines of {prefix} in {path}")
for name, c, n, missed in sorted(rows):
    note = "" if c == n else "   uncovered near line " + ", ".join(map(str, missed[:12])) + (" ..." if len(missed) > 12 else "")
    print(f"  {100.0 * c / n:6.2f}%  {c:4}/{n:<4}  {name}{note}")
percent = 100.0 * covered / total
print(f"coverage: {percent:.2f}% of {total} lines in Sources/Cairn (floor {floor:g}%)")
if percent < floor:
    sys.exit(f"coverage: {percent:.2f}% is below the floor of {floor:g}% in coverage-floor.txt")
EOF
