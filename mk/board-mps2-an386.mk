# Arm MPS2 AN386: Cortex-M4, 4 MiB code RAM at 0, 4 MiB RAM at 0x20000000.

CPU_CFLAGS := -mcpu=cortex-m4 -mthumb -mfloat-abi=soft
# The board's defaults stay here: scripts/bench.py reads HEAP_SIZE from this file.
HEAP_SIZE ?= 1048576
STACK_SIZE ?= 8192
include $(CAIRN_ROOT)/mk/mps2.mk
# The slab geometry follows HEAP_SIZE unless PAGE_SIZE / LARGEST_CLASS are given.
