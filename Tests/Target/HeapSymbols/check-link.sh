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
name=$(basename "$elf")
here=$(cd "$(dirname "$0")" && pwd)

fail() {
    echo "check-link: FAILED ($name): $*" >&2
    exit 1
}

"$here/../CFirmwareLink/check-map.sh" "${elf%.elf}.map"

symbols=$(arm-none-eabi-nm "$elf")
for symbol in malloc _malloc_r cairn_swift_malloc; do
    grep -qE " T $symbol\$" <<<"$symbols" || fail "$symbol is not defined"
done
if grep -E " (__malloc_free_list|__malloc_sbrk_start|__malloc_av_)\$" <<<"$symbols" >&2; then
    fail "newlib's allocator state (above) is linked"
fi
grep -qE " $base_symbol\$" <<<"$symbols" || fail "the heap's base symbol $base_symbol is not in the ELF"
grep -qE " cairn_heap_storage\$" <<<"$symbols" && fail "the ELF has a heap array (cairn_heap_storage)"
if arm-none-eabi-objdump -h "$archive" | awk '{ print $2 }' | grep -qx '.bss.cairn_heap'; then
    fail "the library has a heap array section (.bss.cairn_heap)"
fi

read -r text data bss < <(arm-none-eabi-size "$elf" | awk 'NR == 2 { print $1, $2, $3 }')
(( data + bss < heap_bytes )) || fail ".data + .bss are $((data + bss)) bytes, not less than the $heap_bytes-byte heap"
bin=${elf%.elf}.bin
arm-none-eabi-objcopy -O binary "$elf" "$bin"
bin_bytes=$(stat -c %s "$bin")
(( bin_bytes <= text + data + 256 )) || fail "$bin is $bin_bytes bytes, more than the $((text + data)) bytes of flash contents"
echo "check-link: $name: Cairn's malloc, no heap array (heap from $base_symbol); .data + .bss $((data + bss)) bytes;" \
    "$(basename "$bin") $bin_bytes bytes"
