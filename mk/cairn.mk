# Building Cairn itself for a board: the Swift module (algorithms + C-ABI
# glue) and the C shim. Include after mk/rules.mk.
#
#   ALLOCATOR      slab (default) or bump: what backs malloc/posix_memalign
#   CHECKED        1 for the checked build (misuse stops the firmware)
#   PAGE_SIZE, LARGEST_CLASS, SIZE_CLASSES (comma-separated): optional; unset,
#                  the geometry follows HEAP_SIZE (SlabConfiguration(heapBytes:))
#   BUMP_ARENA_SIZE bytes carved from the end of the heap for the bump arena
#                  (cairn_routing.h); unset or 0: none
#   HEAP_BASE_SYMBOL  a linker-script symbol (__HeapBase, end): the heap
#                  starts there and no heap array is built
#   HEAP_LIMIT_SYMBOL the symbol where that heap ends (__HeapLimit); unset,
#                  it is HEAP_SIZE bytes long
#   MAX_REGIONS    regions the heap may have (cairn_add_region): 1 + extras
#
# Provides CAIRN_SWIFT_OBJECT, CAIRN_MODULE_DIR (for `import Cairn`),
# CAIRN_C_OBJECTS and CAIRN_OBJECTS (all of them).

include $(CAIRN_ROOT)/mk/defaults.mk

CAIRN_SWIFT_SOURCES := $(wildcard $(CAIRN_ROOT)/Sources/Cairn/*/*.swift)
CAIRN_C_SOURCES := $(CAIRN_ROOT)/Sources/CairnPlatform/cairn_hooks.c $(CAIRN_ROOT)/Sources/CairnPlatform/cairn_config.c \
    $(CAIRN_ROOT)/Sources/CairnPlatform/cairn_routing.c
CAIRN_INCLUDE := $(CAIRN_ROOT)/Sources/CairnPlatform/include
# newlib's headers, for the C headers Swift imports (stddef.h, stdint.h).
NEWLIB_INCLUDE ?= /usr/lib/arm-none-eabi/include

CAIRN_SWIFT_DEFINES := $(if $(filter bump,$(ALLOCATOR)),-D CAIRN_BUMP) $(if $(filter 1,$(CHECKED)),-D CAIRN_CHECKED)
CAIRN_IMPORT_FLAGS := -I $(CAIRN_INCLUDE) -Xcc -isystem -Xcc $(NEWLIB_INCLUDE)
CAIRN_C_DEFINES := $(if $(PAGE_SIZE),-DCAIRN_PAGE_SIZE=$(PAGE_SIZE)) $(if $(LARGEST_CLASS),-DCAIRN_LARGEST_CLASS=$(LARGEST_CLASS)) \
    $(if $(SIZE_CLASSES),'-DCAIRN_SIZE_CLASSES=$(SIZE_CLASSES)') $(if $(filter 1,$(CHECKED)),-DCAIRN_CHECKED=1) \
    $(if $(BUMP_ARENA_SIZE),-DCAIRN_BUMP_ARENA_SIZE=$(BUMP_ARENA_SIZE)) \
    $(if $(HEAP_BASE_SYMBOL),-DCAIRN_HEAP_BASE_SYMBOL=$(HEAP_BASE_SYMBOL)) \
    $(if $(HEAP_LIMIT_SYMBOL),-DCAIRN_HEAP_LIMIT_SYMBOL=$(HEAP_LIMIT_SYMBOL)) \
    $(if $(MAX_REGIONS),-DCAIRN_MAX_REGIONS=$(MAX_REGIONS))
TARGET_CFLAGS += -I$(CAIRN_INCLUDE) $(CAIRN_C_DEFINES)

# The machine outliner turns repeated instruction runs into calls, which
# saves a few bytes but puts branches and returns on the allocation fast
# path; the allocator's code is generated without it (see below).
CAIRN_CODEGEN_TUNING := -mllvm -enable-machine-outliner=never

CAIRN_MODULE_DIR := $(BUILD_DIR)/modules
CAIRN_SWIFT_OBJECT := $(BUILD_DIR)/cairn/Cairn.o
CAIRN_C_OBJECTS := $(call cairn_objects,$(CAIRN_C_SOURCES))
CAIRN_OBJECTS := $(CAIRN_SWIFT_OBJECT) $(CAIRN_C_OBJECTS)

# -no-allocations: the allocator must never allocate; any heap-allocating
# type in these sources fails the build.
#
# swiftc always generates position-independent code (no option changes
# its relocation model), so every global costs a literal load and an
# `add pc`. A firmware is linked at fixed addresses: the module is emitted
# as LLVM IR, already optimised, and the Swift toolchain's own clang (the
# same LLVM) generates it static, one literal load per global, without
# running the optimiser again: one instruction less per malloc, free and
# realloc.
CAIRN_SWIFT_IR := $(BUILD_DIR)/cairn/Cairn.ll
SWIFT_CLANG ?= $(abspath $(dir $(shell command -v $(SWIFTC)))/clang)
CAIRN_IR_CFLAGS := --target=$(SWIFT_TRIPLE) $(CPU_CFLAGS) -Os -fno-pic -ffunction-sections -fdata-sections \
    -Xclang -disable-llvm-optzns -Wno-override-module $(CAIRN_CODEGEN_TUNING)

$(CAIRN_SWIFT_IR): $(CAIRN_SWIFT_SOURCES) $(wildcard $(CAIRN_INCLUDE)/*) $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D) $(CAIRN_MODULE_DIR)
	$(SWIFTC) $(SWIFTC_EMBEDDED_FLAGS) -no-allocations $(CAIRN_SWIFT_DEFINES) $(CAIRN_IMPORT_FLAGS) \
	    -module-name Cairn -emit-module -emit-module-path $(CAIRN_MODULE_DIR)/Cairn.swiftmodule \
	    -emit-ir -o $@ $(CAIRN_SWIFT_SOURCES)

$(CAIRN_SWIFT_OBJECT): $(CAIRN_SWIFT_IR)
	$(SWIFT_CLANG) $(CAIRN_IR_CFLAGS) -c -o $@ $<

-include $(CAIRN_C_OBJECTS:.o=.d)

# Swift's String hashing and comparison need the Unicode tables of the
# embedded stdlib; the linker takes only the tables a firmware uses.
SWIFT_EMBEDDED_LIB_DIR ?= $(abspath $(dir $(shell command -v $(SWIFTC)))/../lib/swift/embedded/$(SWIFT_TRIPLE))
SWIFT_UNICODE_TABLES := $(SWIFT_EMBEDDED_LIB_DIR)/libswiftUnicodeDataTables.a
# Those tables are C++ built with 32-bit enums; they pass no enum across to
# C, so the linker's enum-size warning about them is noise.
TARGET_LDFLAGS += -Wl,--no-enum-size-warning
