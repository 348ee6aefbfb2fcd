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
name=$(basename "$elf")
here=$(cd "$(dirname "$0")" && pwd)

fail() {
    echo "check-link: FAILED ($name): $*" >&2
    exit 1
}

"$here/../CFirmwareLink/check-map.sh" "${elf%.elf}.map"

# Symbols: the hooks are Cairn's (they forward to cairn_swift_*), and none of
# newlib's allocator state is there (newlib-nano's free list and sbrk start,
# full newlib's bins).
symbols=$(arm-none-eabi-nm "$elf")
for symbol in malloc _malloc_r cairn_swift_malloc; do
    grep -qE " T $symbol\$" <<<"$symbols" || fail "$symbol is not defined"
done
if grep -E " (__malloc_free_list|__malloc_sbrk_start|__malloc_av_)\$" <<<"$symbols" >&2; then
    fail "newlib's allocator state (above) is linked"
fi

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

# The image: objcopy writes every loadable byte from the lowest load address
# to the highest, so a heap stored as data would make it at least HEAP_SIZE.
bin=${elf%.elf}.bin
arm-none-eabi-objcopy -O binary "$elf" "$bin"
bin_bytes=$(stat -c %s "$bin")
read -r text data < <(arm-none-eabi-size "$elf" | awk 'NR == 2 { print $1, $2 }')
flash_bytes=$((text + data))
# 256: the alignment padding objcopy may keep between flash sections.
(( bin_bytes <= flash_bytes + 256 )) || fail "$bin is $bin_bytes bytes, more than the $flash_bytes bytes of flash contents"
(( bin_bytes < heap_size )) || fail "$bin is $bin_bytes bytes, not smaller than the $heap_size-byte heap"
echo "check-link: $name: Cairn's malloc, no newlib allocator; heap $((0x$heap_bytes)) bytes in .bss (NOBITS);" \
    "$(basename "$bin") $bin_bytes bytes (flash contents $flash_bytes)"
