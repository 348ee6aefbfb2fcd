#!/usr/bin/env bash
# Prints the rows of `make size`: the flash and RAM that Cairn itself adds to
# a firmware, read from the firmware's link map.
#
#   scripts/size-report.sh header
#   scripts/size-report.sh row BOARD ALLOCATOR CALLS FIRMWARE.map FIRMWARE.elf BASELINE.elf
#
# FIRMWARE links libcairn.a; the row sums the input sections the linker kept
# from the library's members (Cairn's Swift object, the C hooks, the heap
# array, and on ARMv6-M the atomics), per output section:
#   flash     .text + .rodata + .data (its initial values live in flash)
#   RAM       .data + .bss: the allocator's own state
#   heap      .cairn_heap: the arena array, HEAP_SIZE bytes (its page
#             alignment may leave a gap below it, not counted here)
# BASELINE is the same program with newlib-nano's allocator instead; the
# last column is the whole firmware's flash minus the baseline's, so it also
# counts the libc and libgcc helpers each allocator pulls in.
set -euo pipefail

format='%-11s %-9s %-17s %7s %6s %9s %10s %12s\n'

usage() {
    echo "usage: $0 header | row BOARD ALLOCATOR CALLS FIRMWARE.map FIRMWARE.elf BASELINE.elf" >&2
    exit 2
}

# Prints "text rodata data bss heap": bytes kept from libcairn.a's members.
cairn_section_sizes() {
    awk '
        function hex(s,    n, i, c) {
            n = 0
            s = tolower(s)
            sub(/^0x/, "", s)
            for (i = 1; i <= length(s); i++) {
                c = index("0123456789abcdef", substr(s, i, 1))
                n = n * 16 + c - 1
            }
            return n
        }
        # Input section lines name a file; only libcairn.a members count.
        function count(size, file) {
            if (file ~ /libcairn\.a\(/) bytes[output] += hex(size)
        }
        /^Linker script and memory map/ { in_map = 1; next }
        !in_map { next }
        # An output section (or /DISCARD/, LOAD, ...) starts in column 0.
        /^[^ ]/ { output = $1; pending = 0; next }
        # An input section: name, address, size, file on one line, or a
        # long name alone with the rest on the next line.
        /^ [.A-Z]/ {
            if (NF >= 4 && $2 ~ /^0x/ && $3 ~ /^0x/) count($3, $4)
            else pending = (NF == 1)
            next
        }
        pending && $1 ~ /^0x/ && $2 ~ /^0x/ && NF >= 3 { count($2, $3) }
        { pending = 0 }
        END {
            printf "%d %d %d %d %d\n", bytes[".text"], bytes[".rodata"], bytes[".data"], \
                bytes[".bss"], bytes[".cairn_heap"]
        }
    ' "$1"
}

# Flash bytes of a whole firmware: text (which `size` counts with .rodata
# and .vectors) plus data.
firmware_flash() {
    arm-none-eabi-size -A "$1" | awk '
        $1 == ".vectors" || $1 == ".text" || $1 == ".rodata" || $1 == ".init_array" || $1 == ".data" { sum += $2 }
        END { print sum }
    '
}

[[ $# -ge 1 ]] || usage
case $1 in
    header)
        # shellcheck disable=SC2059 # the format is the table's
        printf "$format" board allocator calls flash RAM heap RAM+heap "vs newlib"
        ;;
    row)
        [[ $# -eq 7 ]] || usage
        board=$2 allocator=$3 calls=$4 map=$5 elf=$6 baseline=$7
        read -r text rodata data bss heap < <(cairn_section_sizes "$map")
        flash=$((text + rodata + data))
        ram=$((data + bss))
        delta=$(($(firmware_flash "$elf") - $(firmware_flash "$baseline")))
        # shellcheck disable=SC2059
        printf "$format" "$board" "$allocator" "$calls" "$flash" "$ram" "$heap" "$((ram + heap))" \
            "$(printf '%+d' "$delta")"
        ;;
    *) usage ;;
esac
