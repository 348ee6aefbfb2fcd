#!/bin/sh
# The linker for this package's toolset: GNU ld for Arm, plus the C
# libraries a newlib firmware needs. Clang's bare-metal driver (which
# swift build links through) knows neither where the Arm GNU toolchain
# keeps newlib and libgcc nor which of their multilib copies fits a
# Cortex-M4 with soft float; arm-none-eabi-gcc knows both, so ask it.
#
# Arguments: the ones clang hands to a linker. Everything else is added
# at the end, after the firmware's own objects.
set -e

cpu_flags="-mcpu=cortex-m4 -mthumb -mfloat-abi=soft"
# shellcheck disable=SC2086 # cpu_flags is a list of flags
libc=$(arm-none-eabi-gcc $cpu_flags -print-file-name=libc.a)
# shellcheck disable=SC2086
libgcc=$(arm-none-eabi-gcc $cpu_flags -print-libgcc-file-name)

# libc and libgcc refer to each other (printf's 64-bit division, for one),
# hence the group. libm: Swift's Set and Dictionary size tables with ceil().
exec arm-none-eabi-ld "$@" \
    -L "$(dirname "$libc")" \
    --start-group -lc -lm "$libgcc" --end-group
