# Where the heap lies: taken from the firmware's linker symbols, and spread
# over several regions. Include after mk/lib.mk.
#
#   make heap-symbols-test   C firmware (Tests/Target/HeapSymbols) with the
#                            generic script and startup of GenericLink,
#                            libcairn.a built with HEAP_BASE_SYMBOL=end and
#                            HEAP_SIZE (newlib's end, a size), then with
#                            __HeapBase/__HeapLimit (CMSIS's names); each
#                            ELF checked (no heap array), then run
#
#   make regions-test        a heap of two regions on mps2-an386
#                            (Tests/Target/Regions): the heap array and a
#                            region of PSRAM, another memory bank; filled,
#                            freed across, per-region figures and report
#
# Each variant builds in its own tree under build/heap-symbols/ and
# build/regions/.

ifndef cairn_heap_regions_mk_included
cairn_heap_regions_mk_included := 1

HEAP_SYMBOLS_DIR := $(CAIRN_ROOT)/Tests/Target/HeapSymbols
HEAP_SYMBOLS_ELF := $(BUILD_DIR)/heap-symbols/main.elf
# Set by heap-symbols-test for each variant: the firmware's -D flags (the
# bounds the library was given) and extra link flags.
HEAP_SYMBOLS_DEFINES ?=
HEAP_SYMBOLS_LINK_FLAGS ?=

$(BUILD_DIR)/heap-symbols/main.o: $(HEAP_SYMBOLS_DIR)/main.c $(CAIRN_LIB_HEADERS) $(C_FIRMWARE_CHECK_H) $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(TARGET_CC) $(GENERIC_LINK_CFLAGS) $(HEAP_SYMBOLS_DEFINES) -c -o $@ $<

$(HEAP_SYMBOLS_ELF): $(BUILD_DIR)/heap-symbols/main.o $(GENERIC_LINK_BUILD_DIR)/startup.o \
        $(GENERIC_LINK_BOARD_OBJECTS) $(CAIRN_LIB) $(GENERIC_LINK_SCRIPT)
	$(TARGET_CC) $(GENERIC_LINK_LDFLAGS) $(HEAP_SYMBOLS_LINK_FLAGS) -Wl,-Map=$(@:.elf=.map) -o $@ \
	    $(filter %.o,$^) $(CAIRN_LIB_LDFLAGS)

.PHONY: heap-symbols-run heap-symbols-test
heap-symbols-run: $(HEAP_SYMBOLS_ELF)
	$(HEAP_SYMBOLS_DIR)/check-link.sh $(HEAP_SYMBOLS_ELF) $(CAIRN_LIB_ARCHIVE) $(HEAP_BASE_SYMBOL) 65536
	$(CAIRN_ROOT)/scripts/qemu-run.sh $(BOARD) $(HEAP_SYMBOLS_ELF) $(QEMU_TIMEOUT)

# $(call heap_symbols_make,VARIANT,MAKE VARIABLES): heap-symbols-run in the
# variant's own tree.
heap_symbols_make = $(MAKE) --no-print-directory -f $(CAIRN_ROOT)/Makefile BOARD=mps2-an386 \
    BUILD_DIR=$(CAIRN_ROOT)/build/heap-symbols/$(1) $(2) heap-symbols-run

# newlib's `end` (the script's first free byte above .bss) and a size; then
# CMSIS's __HeapBase/__HeapLimit, which a CMSIS script defines around its
# heap section and the generic script does not: the link line gives them
# (from `end` up to the stack), as such a script would.
HEAP_SYMBOLS_CMSIS_DEFSYMS := -Wl,--defsym=__HeapBase=end -Wl,--defsym=__HeapLimit=_estack-_stack_size
heap-symbols-test: deps
	+$(call heap_symbols_make,end,HEAP_BASE_SYMBOL=end HEAP_SIZE=65536 \
	    HEAP_SYMBOLS_DEFINES='-DHEAP_BASE=end -DHEAP_BYTES=65536')
	+$(call heap_symbols_make,cmsis,HEAP_BASE_SYMBOL=__HeapBase HEAP_LIMIT_SYMBOL=__HeapLimit \
	    HEAP_SYMBOLS_DEFINES='-DHEAP_BASE=__HeapBase -DHEAP_LIMIT=__HeapLimit' \
	    HEAP_SYMBOLS_LINK_FLAGS='$(HEAP_SYMBOLS_CMSIS_DEFSYMS)')
	@echo "heap-symbols-test passed: heap from end + HEAP_SIZE, and from __HeapBase to __HeapLimit"

# --- Several regions ------------------------------------------------------------

REGIONS_DIR := $(CAIRN_ROOT)/Tests/Target/Regions
REGIONS_ELF := $(BUILD_DIR)/regions/regions.elf

$(BUILD_DIR)/regions/regions.o: $(REGIONS_DIR)/regions.c $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(TARGET_CC) $(TARGET_CFLAGS) -fno-builtin -MMD -MP -c -o $@ $<

$(REGIONS_ELF): $(BUILD_DIR)/regions/regions.o $(CAIRN_OBJECTS) $(BOARD_OBJECTS) $(CAIRN_LDSCRIPTS)
	$(cairn_link)

.PHONY: regions-run regions-test
regions-run: $(REGIONS_ELF)
	$(REGIONS_DIR)/check-regions.sh $(BOARD) $(REGIONS_ELF) $(QEMU_TIMEOUT)

# A 16 KiB heap array, so that the fill reaches the second region soon.
regions-test: deps
	+$(MAKE) --no-print-directory -f $(CAIRN_ROOT)/Makefile BOARD=mps2-an386 HEAP_SIZE=16384 \
	    BUILD_DIR=$(CAIRN_ROOT)/build/regions/mps2-an386 regions-run
	+$(MAKE) --no-print-directory -f $(CAIRN_ROOT)/Makefile BOARD=mps2-an386 HEAP_SIZE=16384 CHECKED=1 \
	    BUILD_DIR=$(CAIRN_ROOT)/build/regions/mps2-an386-checked regions-run

endif
