#!/usr/bin/env bash
# Checks a firmware whose Cairn heap comes from its linker script's symbols
# (libcairn.a built with HEAP_BASE_SYMBOL), linked with a script and startup
# that know nothing of Cairn:
#   - Cairn's allocator is linked and newlib's is not (as GenericLink's
#     check: the map's archive members and the ELF's symbols);
#   - no heap array: no cairn_heap_storage symbol in the ELF, no
#     .bss.cairn_heap section in the library, and the firmware's .bss and
#     .data together are smaller than the heap;
#   - the heap's base symbol is defined in the ELF (the script's own);
#   - the flash image is no bigger than the flash contents.
#
#   Tests/Target/HeapSymbols/check-link.sh FIRMWARE.elf ARCHIVE BASE_SYMBOL HEAP_BYTES
set -euo pipefail

[[ $# -eq 4 && -f $1 && -f $2 ]] || { echo "usage: $0 FIRMWARE.elf ARCHIVE BASE_SYMBOL HEAP_BYTES" >&2; exit 2; }
elf=$1 archive=$2 base_symbol=$3 heap_bytes=$4
source "$(dirname "$0")/../Support/link-checks.sh"

expect_cairn_allocator_only
grep -qE " $base_symbol\$" <<<"$symbols" || fail "the heap's base symbol $base_symbol is not in the ELF"
grep -qE " cairn_heap_storage\$" <<<"$symbols" && fail "the ELF has a heap array (cairn_heap_storage)"
if arm-none-eabi-objdump -h "$archive" | awk '{ print $2 }' | grep -qx '.bss.cairn_heap'; then
    fail "the library has a heap array section (.bss.cairn_heap)"
fi

expect_flash_image_of_flash_contents
(( data + bss < heap_bytes )) || fail ".data + .bss are $((data + bss)) bytes, not less than the $heap_bytes-byte heap"
echo "check-link: $link_name: Cairn's malloc, no heap array (heap from $base_symbol); .data + .bss $((data + bss)) bytes;" \
    "$(basename "$bin") $bin_bytes bytes"
