#!/bin/sh
# The linker named in toolset.json: GNU ld for Arm with this package's
# linker script and newlib. Toolset options are passed as written, so a
# relative -T there would depend on where swift build runs; this script
# finds mps2-an386.ld beside itself instead. Clang's bare-metal driver
# does not know where the Arm GNU toolchain keeps newlib and libgcc for a
# soft-float Cortex-M4; arm-none-eabi-gcc does, so ask it.
set -e

here=$(cd "$(dirname "$0")" && pwd)
cpu_flags="-mcpu=cortex-m4 -mthumb -mfloat-abi=soft"
# shellcheck disable=SC2086 # cpu_flags is a list of flags
libc=$(arm-none-eabi-gcc $cpu_flags -print-file-name=libc.a)
# shellcheck disable=SC2086
libgcc=$(arm-none-eabi-gcc $cpu_flags -print-libgcc-file-name)

# libc and libgcc refer to each other, hence the group; libm for the
# ceil() in Swift's hashed-collection sizing.
exec arm-none-eabi-ld -T "$here/mps2-an386.ld" "$@" \
    -L "$(dirname "$libc")" \
    --start-group -lc -lm "$libgcc" --end-group
