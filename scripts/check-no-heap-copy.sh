#!/bin/sh
# Fails when an allocation path in Cairn copies the whole platform heap. Swift copies
# a noncopyable global to the stack before calling an out-of-line,
# non-mutating method on it from a mutating context: a memcpy of the
# allocator (about 30 instructions) on every such call, easy to introduce
# by a refactor and invisible in the source. Only Cairn's own functions
# (Swift module Cairn, `$e5Cairn...`) are checked; copies are allowed in
# those that run once or only on request: initialisers (`...cfC`),
# `configure`, the statistics, the integrity check and the heap report.
#
#   scripts/check-no-heap-copy.sh firmware.elf
set -eu
elf=$1
objdump=${OBJDUMP:-arm-none-eabi-objdump}
nm=${NM:-arm-none-eabi-nm}
allowed='cfC$|configure|statistics|checkIntegrity|PrintReport|GetStats|CheckIntegrity|HeapReport|heapReport'

# The heap's size in bytes, from its symbol.
size_hex=$($nm -S "$elf" | awk '$4 ~ /platformHeap.*SlabAllocator|platformHeap.*BumpAllocator/ { print $2; exit }')
[ -n "$size_hex" ] || { echo "check-no-heap-copy: no platformHeap symbol in $elf"; exit 1; }
size=$(printf '%d' "0x$size_hex")

# Addresses of memcpy calls whose size argument (r2, set within the four
# instructions before the call) is the heap's size...
calls=$($objdump -d --no-show-raw-insn "$elf" | awk -v size="$size" '
    { recent[n % 4] = $0; n++ }
    /bl[ \t].*<(__aeabi_memcpy|memcpy)[^>]*>/ {
        for (i = 0; i < 4; i++) if (recent[i] ~ ("r2, #" size "([^0-9]|$)")) { sub(":", "", $1); print $1; break }
    }')
# ...named by the function that contains them (objdump hides Swift's
# `$`-prefixed symbols, so they come from nm, read once).
functions=$($nm -n "$elf" | awk '$2 ~ /^[Tt]$/ { print $1, $3 }')
copies=$(for address in $calls; do
    echo "$functions" | awk -v a=$((0x$address)) '
        { v = 0; for (i = 1; i <= length($1); i++) v = v * 16 + index("0123456789abcdef", substr($1, i, 1)) - 1
          if (v <= a) name = $2; else { print name; exit } }'
done | grep -F '$e5Cairn' | grep -Ev "$allowed" || true)

if [ -n "$copies" ]; then
    echo "check-no-heap-copy: $elf copies the $size-byte heap in:"
    echo "$copies" | sort | uniq -c
    exit 1
fi
echo "check-no-heap-copy: no copy of the $size-byte heap on an allocation path ($elf)"
