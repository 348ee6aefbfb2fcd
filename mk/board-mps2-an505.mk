# Arm MPS2 AN505: Cortex-M33 (Armv8-M Mainline, TrustZone), booting in the
# Secure state. Code in SSRAM1 through its secure alias at 0x10000000, data
# in SSRAM2+3 (4 MiB) through theirs at 0x38000000.
#
# The Swift toolchain has no armv8m embedded stdlib: the Swift code is built
# for armv7em, whose instructions the M33 all runs. The C code is built for
# the M33 itself, and the link takes newlib's v8-m.main/nofp multilib.

SWIFT_TRIPLE := armv7em-none-none-eabi
CPU_CFLAGS := -mcpu=cortex-m33 -mthumb -mfloat-abi=soft
LDSCRIPT := $(CAIRN_ROOT)/LinkerScripts/mps2-an505.ld
QEMU_MACHINE := mps2-an505
RAM_SIZE := 4194304
HEAP_SIZE ?= 1048576
STACK_SIZE ?= 8192
BOARD_C_SOURCES = $(BOARD_COMMON_C_SOURCES) \
    $(addprefix $(CAIRN_ROOT)/Board/common/, stack_paint.c mpu_fault_report.c) \
    $(addprefix $(CAIRN_ROOT)/Board/mps2-an505/, vectors.c uart.c mpu_guard.c)
# The slab geometry follows HEAP_SIZE unless PAGE_SIZE / LARGEST_CLASS are given.
