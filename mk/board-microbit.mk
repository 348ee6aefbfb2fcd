# BBC micro:bit v1 (nRF51822): Cortex-M0, 256 KiB flash, 16 KiB RAM.
# HEAP_SIZE leaves room for the 2 KiB stack plus newlib's and Swift's
# static data in the 16 KiB.

SWIFT_TRIPLE := armv6m-none-none-eabi
CPU_CFLAGS := -mcpu=cortex-m0 -mthumb -mfloat-abi=soft
LDSCRIPT := $(CAIRN_ROOT)/LinkerScripts/microbit.ld
QEMU_MACHINE := microbit
RAM_SIZE := 16384
HEAP_SIZE ?= 8192
STACK_SIZE ?= 2048
# ARMv6-M has no LDREX/STREX: the Swift runtime's atomics come from C.
BOARD_C_SOURCES = $(BOARD_COMMON_C_SOURCES) \
    $(CAIRN_ROOT)/Board/common/atomics_armv6m.c \
    $(CAIRN_ROOT)/Board/common/stack_paint.c \
    $(addprefix $(CAIRN_ROOT)/Board/microbit/, vectors.c uart.c)
# The slab geometry follows HEAP_SIZE unless PAGE_SIZE / LARGEST_CLASS are given.
