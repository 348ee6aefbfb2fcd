#!/usr/bin/env bash
# Checks a firmware linked with libcairn.a by a linker script that knows
# nothing of Cairn, and with no -u flag:
#   - Cairn's allocator is linked and newlib's is not (the map's archive
#     members, by CFirmwareLink/check-map.sh, and the ELF's symbols);
#   - the heap array is zero-fill (NOBITS) in the library, and the linked
#     heap lies in the firmware's .bss;
#   - the flash image (objcopy -O binary) holds the flash contents only:
#     no bigger than them, and smaller than the heap.
#
#   Tests/Target/GenericLink/check-link.sh FIRMWARE.elf ARCHIVE HEAP_SIZE
# (FIRMWARE.map beside the ELF; ARCHIVE is the lib's archive/libcairn.a.)
set -euo pipefail

[[ $# -eq 3 && -f $1 && -f $2 ]] || { echo "usage: $0 FIRMWARE.elf ARCHIVE HEAP_SIZE" >&2; exit 2; }
elf=$1 archive=$2 heap_size=$3
source "$(dirname "$0")/../Support/link-checks.sh"

expect_cairn_allocator_only

# The heap array in the library: its own section, allocated but with no
# contents (NOBITS), so no linker script can put it in the image.
flags=$(arm-none-eabi-objdump -h "$archive" | awk '$2 == ".bss.cairn_heap" { getline; $1 = $1; print; exit }')
[[ -n $flags ]] || fail "no .bss.cairn_heap section in $archive"
[[ $flags == ALLOC ]] || fail ".bss.cairn_heap in the library is '$flags', not ALLOC only (NOBITS)"

# ... and in the firmware, inside .bss.
read -r bss_start bss_size < <(arm-none-eabi-objdump -h "$elf" | awk '$2 == ".bss" { print $4, $3 }')
read -r heap_start heap_bytes < <(arm-none-eabi-nm -S "$elf" | awk '$4 == "cairn_heap_storage" { print $1, $2 }')
[[ -n ${heap_start:-} ]] || fail "cairn_heap_storage is not in the ELF's symbols"
(( 0x$heap_start >= 0x$bss_start && 0x$heap_start + 0x$heap_bytes <= 0x$bss_start + 0x$bss_size )) ||
    fail "the heap array (0x$heap_start, 0x$heap_bytes bytes) is not inside .bss"

expect_flash_image_of_flash_contents
(( bin_bytes < heap_size )) || fail "$bin is $bin_bytes bytes, not smaller than the $heap_size-byte heap"
echo "check-link: $link_name: Cairn's malloc, no newlib allocator; heap $((0x$heap_bytes)) bytes in .bss (NOBITS);" \
    "$(basename "$bin") $bin_bytes bytes (flash contents $((text + data)))"
