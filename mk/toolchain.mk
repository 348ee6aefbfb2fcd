# Compiler and linker flags for target builds. Include after mk/boards.mk.
# Everything is recursively expanded, so board variables set later still
# take effect.

SWIFTC ?= swiftc
TARGET_CC ?= arm-none-eabi-gcc
TARGET_OBJCOPY ?= arm-none-eabi-objcopy
TARGET_SIZE ?= arm-none-eabi-size

# Embedded Swift: whole-module, size-optimised, no stack protector (its
# runtime support is absent on bare metal), one section per function so the
# linker drops what is unused. -fshort-enums: arm-none-eabi GCC and newlib
# use 1-byte enums where they fit, and Swift's C importer must agree or
# C enums in shared structs change size (the linker warns on the mismatch).
# -g (here and in C) adds debug sections only: flash contents are the same.
SWIFTC_EMBEDDED_FLAGS = -target $(SWIFT_TRIPLE) \
    -enable-experimental-feature Embedded -wmo -Osize -parse-as-library -g \
    -Xcc -mfloat-abi=soft -Xcc -fshort-enums \
    -Xfrontend -disable-stack-protector -Xfrontend -function-sections

# CAIRN_HEAP_SIZE sizes the arena array in section .cairn_heap.
TARGET_CFLAGS = $(CPU_CFLAGS) -fshort-enums -ffunction-sections -fdata-sections \
    -Os -g -std=gnu11 -Wall -Wextra \
    -I$(CAIRN_ROOT)/Board/common -DCAIRN_HEAP_SIZE=$(HEAP_SIZE)

# NEWLIB_SPECS may be set to --specs=nano.specs for newlib-nano.
NEWLIB_SPECS ?=
# -L lets the board script INCLUDE cairn-sections.ld from any directory.
# --no-warn-execstack: an executable stack means nothing without an MMU, and
# libgcc's objects trip the warning.
TARGET_LDFLAGS = $(CPU_CFLAGS) $(NEWLIB_SPECS) -nostartfiles \
    -L$(CAIRN_ROOT)/LinkerScripts -T $(LDSCRIPT) \
    -Wl,--gc-sections -Wl,--no-warn-execstack \
    -Wl,--defsym=__stack_size=$(STACK_SIZE)
# libm: Swift's Set and Dictionary size their tables with ceil().
TARGET_LDLIBS = -Wl,--start-group -lc -lm -lgcc -Wl,--end-group
