#!/bin/sh
# Fails when an allocation path in Cairn copies the platform heap, or any
# part of it of 32 bytes or more (the fit heap inside the slab, say): the
# check of the rule in SlabAllocator's doc comment, "Ways out of the fast
# paths" (Sources/Cairn/Slab/SlabAllocator.swift), which says why Swift makes
# such a copy and the shapes of function that never make it. Only Cairn's
# own functions (Swift module Cairn, `$e5Cairn...`) are checked; copies are
# allowed in those that run once or only on request: initialisers
# (`...cfC`), `configure`, the statistics, the integrity check and the heap
# report.
#
#   scripts/check-no-heap-copy.sh firmware.elf
#
# CHECK_NO_HEAP_COPY_ALLOW: a further pattern of functions allowed to copy
# (a test firmware's own code working on allocators of its own).
set -eu
elf=$1
objdump=${OBJDUMP:-arm-none-eabi-objdump}
nm=${NM:-arm-none-eabi-nm}
allowed='cfC$|configure|statistics|checkIntegrity|PrintReport|GetStats|CheckIntegrity|HeapReport|heapReport|printRegions'
[ -z "${CHECK_NO_HEAP_COPY_ALLOW:-}" ] || allowed="$allowed|$CHECK_NO_HEAP_COPY_ALLOW"

# The heap's size in bytes, from its symbol.
size_hex=$($nm -S "$elf" | awk '$4 ~ /platformHeap.*SlabAllocator|platformHeap.*BumpAllocator/ { print $2; exit }')
[ -n "$size_hex" ] || { echo "check-no-heap-copy: no platformHeap symbol in $elf"; exit 1; }
size=$(printf '%d' "0x$size_hex")

# Addresses of memcpy calls whose size argument (r2, set within the four
# instructions before the call) is a constant from 32 bytes to the heap's
# size (a copy of the heap or of a part of it)...
calls=$($objdump -d --no-show-raw-insn "$elf" | awk -v size="$size" '
    { recent[n % 4] = $0; n++ }
    /bl[ \t].*<(__aeabi_memcpy|memcpy)[^>]*>/ {
        for (i = 0; i < 4; i++) if (match(recent[i], /r2, #[0-9]+/)) {
            bytes = substr(recent[i], RSTART + 5, RLENGTH - 5) + 0
            if (bytes >= 32 && bytes <= size) { sub(":", "", $1); print $1; break }
        }
    }')
# ...named by the function that contains them (objdump hides Swift's
# `$`-prefixed symbols, so they come from nm, read once).
functions=$($nm -n "$elf" | awk '$2 ~ /^[TtWw]$/ { print $1, $3 }')
copies=$(for address in $calls; do
    echo "$functions" | awk -v a=$((0x$address)) '
        { v = 0; for (i = 1; i <= length($1); i++) v = v * 16 + index("0123456789abcdef", substr($1, i, 1)) - 1
          if (v <= a) name = $2; else { print name; exit } }'
done | grep -F '$e5Cairn' | grep -Ev "$allowed" || true)

if [ -n "$copies" ]; then
    echo "check-no-heap-copy: $elf copies the $size-byte heap, or 32 bytes or more of it, in:"
    echo "$copies" | sort | uniq -c
    echo "check-no-heap-copy: give each a shape of SlabAllocator's \"Ways out of the fast paths\" (Sources/Cairn/Slab/SlabAllocator.swift)"
    exit 1
fi
echo "check-no-heap-copy: no copy of the $size-byte heap, or of a part of it, on an allocation path ($elf)"
