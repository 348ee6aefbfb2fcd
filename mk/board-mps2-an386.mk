# Arm MPS2 AN386: Cortex-M4, 4 MiB code RAM at 0, 4 MiB RAM at 0x20000000.

CPU_CFLAGS := -mcpu=cortex-m4 -mthumb -mfloat-abi=soft
include $(CAIRN_ROOT)/mk/mps2.mk
# The slab geometry follows HEAP_SIZE unless PAGE_SIZE / LARGEST_CLASS are given.
