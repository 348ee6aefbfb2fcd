# Cairn as a static library for C firmware. Include after mk/cairn.mk.
#
#   make lib      [BOARD=...] [HEAP_SIZE=...]   libcairn.a and its headers;
#                                               the last line printed is the
#                                               library's absolute path
#   make lib-test [BOARD=...]                   links a C-only firmware
#                                               (Tests/Target/CFirmwareLink)
#                                               against it and runs it under QEMU
#
# The library holds Cairn's Swift object, the C shim (the malloc family and
# newlib's _r entry points) and the heap array sized by HEAP_SIZE; no startup
# code, no vector table, no console: those are the firmware's. Embedded
# Swift emits the runtime functions Cairn uses (swift_retain and friends)
# into Cairn's object itself, so nothing else of Swift's is needed; on
# ARMv6-M the library also carries the 4-byte atomics those functions call.
#
# Provides CAIRN_LIB, CAIRN_LIB_DIR, CAIRN_LIB_INCLUDE_DIR and
# CAIRN_LIB_LDFLAGS (what a firmware's link line adds).

ifndef cairn_lib_mk_included
cairn_lib_mk_included := 1

TARGET_AR ?= arm-none-eabi-ar

CAIRN_LIB_DIR := $(BUILD_DIR)/lib
CAIRN_LIB := $(CAIRN_LIB_DIR)/libcairn.a
CAIRN_LIB_INCLUDE_DIR := $(CAIRN_LIB_DIR)/include
CAIRN_LIB_HEADERS := $(addprefix $(CAIRN_LIB_INCLUDE_DIR)/,cairn.h cairn_platform.h)

# Swift's atomics on a core without LDREX/STREX are library calls; the board
# layer's implementation serves the library too. A firmware that defines
# them itself keeps its own: the linker takes an archive member only for a
# symbol still undefined.
CAIRN_LIB_ATOMICS_SOURCE := $(CAIRN_ROOT)/Board/common/atomics_armv6m.c
CAIRN_LIB_RUNTIME_OBJECTS := $(if $(filter armv6m-%,$(SWIFT_TRIPLE)),$(call cairn_objects,$(CAIRN_LIB_ATOMICS_SOURCE)))
CAIRN_LIB_OBJECTS := $(CAIRN_OBJECTS) $(CAIRN_LIB_RUNTIME_OBJECTS)

# -u malloc: newlib's own code (printf's buffers, strdup) calls _malloc_r,
# and libc comes after libcairn.a on the line. Asking for malloc up front
# brings in Cairn's hooks, which define _malloc_r too, before libc is
# searched, so newlib-nano's allocator is never linked, even in a firmware
# whose own code never calls malloc.
CAIRN_LIB_LDFLAGS = -L$(CAIRN_LIB_DIR) -Wl,-u,malloc -lcairn

.PHONY: lib lib-test

$(CAIRN_LIB): $(CAIRN_LIB_OBJECTS)
	@mkdir -p $(@D)
	rm -f $@
	$(TARGET_AR) rcs $@ $^

$(CAIRN_LIB_INCLUDE_DIR)/%.h: $(CAIRN_INCLUDE)/%.h
	@mkdir -p $(@D)
	cp $< $@

lib: deps $(CAIRN_LIB) $(CAIRN_LIB_HEADERS)
	@echo "libcairn.a for $(BOARD): $(ALLOCATOR) allocator, $(HEAP_SIZE)-byte heap; headers in $(CAIRN_LIB_INCLUDE_DIR)"
	@echo $(CAIRN_LIB)

# --- The proof: a C-only firmware linked with libcairn.a ----------------------

C_FIRMWARE_DIR := $(CAIRN_ROOT)/Tests/Target/CFirmwareLink
C_FIRMWARE_BUILD_DIR := $(BUILD_DIR)/c-firmware-link
C_FIRMWARE_OBJECT := $(C_FIRMWARE_BUILD_DIR)/main.o
C_FIRMWARE_ELF := $(C_FIRMWARE_BUILD_DIR)/c-firmware.elf

# Built the way the README tells a C firmware to be built: newlib-nano, the
# installed headers, the library last. The board layer stands in for the
# firmware's own startup and console.
C_FIRMWARE_CFLAGS = $(CPU_CFLAGS) --specs=nano.specs -Os -g -std=gnu11 -Wall -Wextra -Werror \
    -ffunction-sections -fdata-sections -I$(CAIRN_LIB_INCLUDE_DIR)
C_FIRMWARE_LDFLAGS = $(CPU_CFLAGS) --specs=nano.specs -nostartfiles \
    -L$(CAIRN_ROOT)/LinkerScripts -T $(LDSCRIPT) -Wl,--gc-sections \
    -Wl,--no-warn-execstack -Wl,--defsym=__stack_size=$(STACK_SIZE)

$(C_FIRMWARE_OBJECT): $(C_FIRMWARE_DIR)/main.c $(CAIRN_LIB_HEADERS) $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(TARGET_CC) $(C_FIRMWARE_CFLAGS) -c -o $@ $<

$(C_FIRMWARE_ELF): $(C_FIRMWARE_OBJECT) $(BOARD_OBJECTS) $(CAIRN_LIB) $(CAIRN_LDSCRIPTS)
	$(TARGET_CC) $(C_FIRMWARE_LDFLAGS) -Wl,-Map=$(@:.elf=.map) -o $@ \
	    $(C_FIRMWARE_OBJECT) $(BOARD_OBJECTS) $(CAIRN_LIB_LDFLAGS)

lib-test: deps $(C_FIRMWARE_ELF)
	$(C_FIRMWARE_DIR)/check-map.sh $(C_FIRMWARE_ELF:.elf=.map)
	$(CAIRN_ROOT)/scripts/qemu-run.sh $(BOARD) $(C_FIRMWARE_ELF) $(QEMU_TIMEOUT)

endif
