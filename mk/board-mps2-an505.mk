# Arm MPS2 AN505: Cortex-M33 (Armv8-M Mainline, TrustZone), booting in the
# Secure state. Code in SSRAM1 through its secure alias at 0x10000000, data
# in SSRAM2+3 (4 MiB) through theirs at 0x38000000.
#
# The Swift toolchain has no armv8m embedded stdlib: the Swift code is built
# for armv7em (mk/mps2.mk), whose instructions the M33 all runs. The C code
# is built for the M33 itself, and the link takes newlib's v8-m.main/nofp
# multilib.

CPU_CFLAGS := -mcpu=cortex-m33 -mthumb -mfloat-abi=soft
# The board's defaults stay here: scripts/bench.py reads HEAP_SIZE from this file.
HEAP_SIZE ?= 1048576
STACK_SIZE ?= 8192
include $(CAIRN_ROOT)/mk/mps2.mk
# The slab geometry follows HEAP_SIZE unless PAGE_SIZE / LARGEST_CLASS are given.
