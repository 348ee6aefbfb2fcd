# Sourced by the checks of a firmware linked with libcairn.a by a linker
# script that knows nothing of Cairn (GenericLink/check-link.sh,
# HeapSymbols/check-link.sh). The sourcing script sets `elf` first.

link_checks_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
link_name=$(basename "$elf")

fail() {
    echo "check-link: FAILED ($link_name): $*" >&2
    exit 1
}

# expect_cairn_allocator_only: Cairn's allocator is linked and newlib's is
# not, by the map's archive members (CFirmwareLink/check-map.sh, with
# FIRMWARE.map beside the ELF) and by the ELF's symbols: the hooks are
# Cairn's (they forward to cairn_swift_*), and none of newlib's allocator
# state is there (newlib-nano's free list and sbrk start, full newlib's
# bins). Leaves the ELF's symbols in `symbols`.
expect_cairn_allocator_only() {
    "$link_checks_dir/../CFirmwareLink/check-map.sh" "${elf%.elf}.map"
    symbols=$(arm-none-eabi-nm "$elf")
    local symbol
    for symbol in malloc _malloc_r cairn_swift_malloc; do
        grep -qE " T $symbol\$" <<<"$symbols" || fail "$symbol is not defined"
    done
    if grep -E " (__malloc_free_list|__malloc_sbrk_start|__malloc_av_)\$" <<<"$symbols" >&2; then
        fail "newlib's allocator state (above) is linked"
    fi
}

# expect_flash_image_of_flash_contents: the flash image (objcopy -O binary,
# written beside the ELF as `bin`) holds the flash contents only. objcopy
# writes every loadable byte from the lowest load address to the highest,
# so a heap stored as data would make it as large as the heap. Leaves the
# image's size in `bin_bytes` and the ELF's section sizes in `text`, `data`
# and `bss`.
expect_flash_image_of_flash_contents() {
    bin=${elf%.elf}.bin
    arm-none-eabi-objcopy -O binary "$elf" "$bin"
    bin_bytes=$(stat -c %s "$bin")
    read -r text data bss < <(arm-none-eabi-size "$elf" | awk 'NR == 2 { print $1, $2, $3 }')
    # 256: the alignment padding objcopy may keep between flash sections.
    (( bin_bytes <= text + data + 256 )) ||
        fail "$bin is $bin_bytes bytes, more than the $((text + data)) bytes of flash contents"
}
