# Arm MPS2 AN386: Cortex-M4, 4 MiB code RAM at 0, 4 MiB RAM at 0x20000000.

SWIFT_TRIPLE := armv7em-none-none-eabi
CPU_CFLAGS := -mcpu=cortex-m4 -mthumb -mfloat-abi=soft
LDSCRIPT := $(CAIRN_ROOT)/LinkerScripts/mps2-an386.ld
QEMU_MACHINE := mps2-an386
RAM_SIZE := 4194304
HEAP_SIZE ?= 1048576
STACK_SIZE ?= 8192
BOARD_C_SOURCES = $(BOARD_COMMON_C_SOURCES) \
    $(addprefix $(CAIRN_ROOT)/Board/common/, stack_paint.c mpu_fault_report.c) \
    $(addprefix $(CAIRN_ROOT)/Board/mps2-an386/, vectors.c uart.c mpu_guard.c)
# The slab geometry follows HEAP_SIZE unless PAGE_SIZE / LARGEST_CLASS are given.
