# Cairn as a static library for C firmware. Include after mk/cairn.mk.
#
#   make lib      [BOARD=...] [HEAP_SIZE=...]   libcairn.a and its headers;
#                                               the last line printed is the
#                                               library's absolute path
#   make lib-test [BOARD=...]                   links a C-only firmware
#                                               (Tests/Target/CFirmwareLink)
#                                               against it and runs it under QEMU
#   make generic-link-test                      mps2-an386 firmware with a
#                                               generic linker script and
#                                               startup (Tests/Target/GenericLink)
#   make cmake-test                             the same firmware built by CMake
#                                               (Tests/Target/CMakeFirmware)
#
# The library holds Cairn's Swift object, the C shim (the malloc family and
# newlib's _r entry points) and the heap array sized by HEAP_SIZE (zero-fill
# data in .bss.cairn_heap, which any linker script places in .bss); no
# startup code, no vector table, no console: those are the firmware's.
# Embedded Swift emits the runtime functions Cairn uses (swift_retain and
# friends) into Cairn's object itself, so nothing else of Swift's is needed;
# on ARMv6-M the library also carries the 4-byte atomics those functions call.
#
# In the library's directory: libcairn.a, a two-line GNU ld script
# (LinkerScripts/libcairn.ld explains why), archive/libcairn.a, the archive
# of Cairn's objects that the script names, and include/.
# `make lib BUILD_DIR=...` builds everything in another directory (the
# library in its lib/), as cmake/cairn.cmake does.
#
# Provides CAIRN_LIB, CAIRN_LIB_DIR, CAIRN_LIB_INCLUDE_DIR and
# CAIRN_LIB_LDFLAGS (what a firmware's link line adds).

ifndef cairn_lib_mk_included
cairn_lib_mk_included := 1

TARGET_AR ?= arm-none-eabi-ar

CAIRN_LIB_DIR := $(BUILD_DIR)/lib
CAIRN_LIB := $(CAIRN_LIB_DIR)/libcairn.a
CAIRN_LIB_ARCHIVE := $(CAIRN_LIB_DIR)/archive/libcairn.a
CAIRN_LIB_INCLUDE_DIR := $(CAIRN_LIB_DIR)/include
CAIRN_LIB_HEADERS := $(addprefix $(CAIRN_LIB_INCLUDE_DIR)/,cairn.h cairn_platform.h cairn_routing.h)
# The checks and tally of the test firmware below (and of HeapSymbols).
C_FIRMWARE_CHECK_H := $(CAIRN_ROOT)/Tests/Target/Support/check.h

# Swift's atomics on a core without LDREX/STREX are library calls; the board
# layer's implementation serves the library too. A firmware that defines
# them itself keeps its own: the linker takes an archive member only for a
# symbol still undefined.
CAIRN_LIB_ATOMICS_SOURCE := $(CAIRN_ROOT)/Board/common/atomics_armv6m.c
CAIRN_LIB_RUNTIME_OBJECTS := $(if $(filter armv6m-%,$(SWIFT_TRIPLE)),$(call cairn_objects,$(CAIRN_LIB_ATOMICS_SOURCE)))
CAIRN_LIB_OBJECTS := $(CAIRN_OBJECTS) $(CAIRN_LIB_RUNTIME_OBJECTS)

# No -u malloc: libcairn.a asks for malloc itself.
CAIRN_LIB_LDFLAGS = -L$(CAIRN_LIB_DIR) -lcairn

.PHONY: lib lib-test generic-link-test cmake-test

$(CAIRN_LIB_ARCHIVE): $(CAIRN_LIB_OBJECTS)
	@mkdir -p $(@D)
	rm -f $@
	$(TARGET_AR) rcs $@ $^

$(CAIRN_LIB): $(CAIRN_ROOT)/LinkerScripts/libcairn.ld $(CAIRN_LIB_ARCHIVE)
	cp $< $@

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

$(C_FIRMWARE_OBJECT): $(C_FIRMWARE_DIR)/main.c $(CAIRN_LIB_HEADERS) $(C_FIRMWARE_CHECK_H) $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(TARGET_CC) $(C_FIRMWARE_CFLAGS) -c -o $@ $<

$(C_FIRMWARE_ELF): $(C_FIRMWARE_OBJECT) $(BOARD_OBJECTS) $(CAIRN_LIB) $(CAIRN_LDSCRIPTS)
	$(TARGET_CC) $(C_FIRMWARE_LDFLAGS) -Wl,-Map=$(@:.elf=.map) -o $@ \
	    $(C_FIRMWARE_OBJECT) $(BOARD_OBJECTS) $(CAIRN_LIB_LDFLAGS)

lib-test: deps $(C_FIRMWARE_ELF)
	$(C_FIRMWARE_DIR)/check-map.sh $(C_FIRMWARE_ELF:.elf=.map)
	$(CAIRN_ROOT)/scripts/qemu-run.sh $(BOARD) $(C_FIRMWARE_ELF) $(QEMU_TIMEOUT)

# --- Drop-in: a firmware whose linker script and startup know nothing of Cairn

# Tests/Target/GenericLink: its own generic Cortex-M4 script and startup
# (the board layer gives only the UART and the semihosting exit), linked with
# the README's line. main.c allocates and checks that Cairn answered;
# printf_only.c never names malloc (only newlib's printf allocates). Each is
# checked on the ELF (check-link.sh: Cairn's malloc, heap in .bss, a small
# .bin), then run.
GENERIC_LINK_DIR := $(CAIRN_ROOT)/Tests/Target/GenericLink
GENERIC_LINK_BUILD_DIR := $(BUILD_DIR)/generic-link
GENERIC_LINK_SCRIPT := $(GENERIC_LINK_DIR)/cortex-m4.ld
GENERIC_LINK_MAIN_ELF := $(GENERIC_LINK_BUILD_DIR)/main.elf
GENERIC_LINK_PRINTF_ONLY_ELF := $(GENERIC_LINK_BUILD_DIR)/printf_only.elf
GENERIC_LINK_BOARD_OBJECTS = $(call cairn_objects,$(CAIRN_ROOT)/Board/mps2-an386/uart.c $(CAIRN_ROOT)/Board/common/semihosting.c)
GENERIC_LINK_CFLAGS = $(C_FIRMWARE_CFLAGS) -I$(CAIRN_ROOT)/Board/common
# --no-warn-execstack only quiets a warning about newlib's own objects.
GENERIC_LINK_LDFLAGS = $(CPU_CFLAGS) --specs=nano.specs -nostartfiles -T $(GENERIC_LINK_SCRIPT) \
    -Wl,--gc-sections -Wl,--no-warn-execstack

GENERIC_LINK_OBJECTS := $(addprefix $(GENERIC_LINK_BUILD_DIR)/,main.o printf_only.o startup.o)

$(GENERIC_LINK_OBJECTS): $(GENERIC_LINK_BUILD_DIR)/%.o: $(GENERIC_LINK_DIR)/%.c $(CAIRN_LIB_HEADERS) $(C_FIRMWARE_CHECK_H) $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(TARGET_CC) $(GENERIC_LINK_CFLAGS) -c -o $@ $<

$(GENERIC_LINK_MAIN_ELF) $(GENERIC_LINK_PRINTF_ONLY_ELF): $(GENERIC_LINK_BUILD_DIR)/%.elf: \
        $(GENERIC_LINK_BUILD_DIR)/%.o $(GENERIC_LINK_BUILD_DIR)/startup.o \
        $(GENERIC_LINK_BOARD_OBJECTS) $(CAIRN_LIB) $(GENERIC_LINK_SCRIPT)
	$(TARGET_CC) $(GENERIC_LINK_LDFLAGS) -Wl,-Map=$(@:.elf=.map) -o $@ $(filter %.o,$^) $(CAIRN_LIB_LDFLAGS)

# Tests/Target/CMakeFirmware: main.c with the same startup and script, built
# from an empty build directory by CMake through cmake/cairn.cmake (which
# runs `make lib` for the cache's board and heap) and the toolchain file.
CMAKE ?= cmake
CMAKE_FIRMWARE_DIR := $(CAIRN_ROOT)/Tests/Target/CMakeFirmware
CMAKE_FIRMWARE_BUILD_DIR := $(BUILD_DIR)/cmake-firmware
CMAKE_FIRMWARE_CONFIGURE = $(CMAKE) -S $(CMAKE_FIRMWARE_DIR) -B $(CMAKE_FIRMWARE_BUILD_DIR) \
    -DCMAKE_TOOLCHAIN_FILE=$(CAIRN_ROOT)/cmake/arm-none-eabi-gcc.cmake \
    -DCAIRN_BOARD=$(BOARD) -DCAIRN_HEAP_SIZE=$(CMAKE_FIRMWARE_HEAP_SIZE) -DCAIRN_ALLOCATOR=$(ALLOCATOR) \
    -DCAIRN_CHECKED=$(if $(filter 1,$(CHECKED)),ON,OFF)
# Not the board's default, so that the firmware proves the cache variable
# reached the library; HEAP_SIZE on make's command line still wins.
CMAKE_FIRMWARE_HEAP_SIZE := $(if $(filter command line,$(origin HEAP_SIZE)),$(HEAP_SIZE),65536)

# The generic script and startup are a Cortex-M4's, for mps2-an386.
ifeq ($(BOARD),mps2-an386)
generic-link-test: deps $(GENERIC_LINK_MAIN_ELF) $(GENERIC_LINK_PRINTF_ONLY_ELF)
	$(GENERIC_LINK_DIR)/check-link.sh $(GENERIC_LINK_MAIN_ELF) $(CAIRN_LIB_ARCHIVE) $(HEAP_SIZE)
	$(GENERIC_LINK_DIR)/check-link.sh $(GENERIC_LINK_PRINTF_ONLY_ELF) $(CAIRN_LIB_ARCHIVE) $(HEAP_SIZE)
	$(CAIRN_ROOT)/scripts/qemu-run.sh $(BOARD) $(GENERIC_LINK_MAIN_ELF) $(QEMU_TIMEOUT)
	$(CAIRN_ROOT)/scripts/qemu-run.sh $(BOARD) $(GENERIC_LINK_PRINTF_ONLY_ELF) $(QEMU_TIMEOUT)

cmake-test: deps
	rm -rf $(CMAKE_FIRMWARE_BUILD_DIR)
	$(CMAKE_FIRMWARE_CONFIGURE)
	$(CMAKE) --build $(CMAKE_FIRMWARE_BUILD_DIR)
	$(CAIRN_ROOT)/scripts/qemu-run.sh $(BOARD) $(CMAKE_FIRMWARE_BUILD_DIR)/firmware.elf $(QEMU_TIMEOUT)
else
generic-link-test cmake-test:
	@echo "$@: BOARD=mps2-an386 only (its firmware has a Cortex-M4 linker script)" >&2
	@exit 2
endif

endif
