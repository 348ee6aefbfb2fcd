# `make size`: the flash and RAM that Cairn adds to a firmware, for every
# board and both allocators, as a table. Include after mk/cairn.mk.
#
#   make size [HEAP_SIZE=...] [CHECKED=1]
#
# Each row links a probe firmware (Tests/Target/CFirmwareLink/size_probe.c:
# malloc, calloc, realloc, posix_memalign, free) with libcairn.a and sums
# what the linker kept of the library (scripts/size-report.sh explains the
# columns). "malloc family" is the allocator alone; "+ report, check" adds
# cairn_print_report and cairn_check_integrity, so the difference between
# the two rows is the report and the integrity check. "vs newlib" compares
# the whole firmware's flash with the same probe on newlib-nano's allocator.
#
# Board settings are global in make, so each board and allocator is measured
# by a make of its own (target size-rows).

ifndef cairn_size_mk_included
cairn_size_mk_included := 1

include $(CAIRN_ROOT)/mk/lib.mk

SIZE_ALLOCATORS := slab bump
SIZE_BOARDS := mps2-an386 mps2-an505 microbit
SIZE_PROBE_SOURCE := $(CAIRN_ROOT)/Tests/Target/CFirmwareLink/size_probe.c
SIZE_REPORT := $(CAIRN_ROOT)/scripts/size-report.sh
SIZE_BUILD_DIR := $(BUILD_DIR)/size

# Variant name -> the probe's -D flags; "newlib" is the baseline.
SIZE_PROBE_FLAGS_core :=
SIZE_PROBE_FLAGS_report := -DSIZE_PROBE_REPORT
SIZE_PROBE_FLAGS_newlib := -DSIZE_PROBE_NEWLIB
size_probe_elf = $(SIZE_BUILD_DIR)/probe-$(1).elf

# Linked like the C firmware of lib-test: newlib-nano, --gc-sections.
$(SIZE_BUILD_DIR)/probe-%.o: $(SIZE_PROBE_SOURCE) $(CAIRN_LIB_HEADERS) $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(TARGET_CC) $(C_FIRMWARE_CFLAGS) $(SIZE_PROBE_FLAGS_$*) -c -o $@ $<

$(call size_probe_elf,core) $(call size_probe_elf,report): $(SIZE_BUILD_DIR)/probe-%.elf: \
        $(SIZE_BUILD_DIR)/probe-%.o $(BOARD_OBJECTS) $(CAIRN_LIB) $(CAIRN_LDSCRIPTS)
	$(TARGET_CC) $(C_FIRMWARE_LDFLAGS) -Wl,-Map=$(@:.elf=.map) -o $@ $< $(BOARD_OBJECTS) $(CAIRN_LIB_LDFLAGS)

$(call size_probe_elf,newlib): $(SIZE_BUILD_DIR)/probe-newlib.o $(BOARD_OBJECTS) $(CAIRN_LDSCRIPTS)
	$(TARGET_CC) $(C_FIRMWARE_LDFLAGS) -Wl,-Map=$(@:.elf=.map) -o $@ $< $(BOARD_OBJECTS)

SIZE_PROBES := $(foreach variant,core report newlib,$(call size_probe_elf,$(variant)))

.PHONY: size size-probes size-rows
size-probes: $(SIZE_PROBES)

# The table's rows for the current BOARD and ALLOCATOR.
size-rows:
	@$(SIZE_REPORT) row $(BOARD) $(ALLOCATOR) "malloc family" \
	    $(SIZE_BUILD_DIR)/probe-core.map $(call size_probe_elf,core) $(call size_probe_elf,newlib)
	@$(SIZE_REPORT) row $(BOARD) $(ALLOCATOR) "+ report, check" \
	    $(SIZE_BUILD_DIR)/probe-report.map $(call size_probe_elf,report) $(call size_probe_elf,newlib)

# The build output is hidden (errors still reach stderr): the table is the
# output.
SIZE_MAKE = $(MAKE) --no-print-directory -f $(CAIRN_ROOT)/Makefile -f $(CAIRN_ROOT)/mk/size.mk
size: deps
	@echo "Bytes Cairn adds to a firmware (newlib-nano, -Os, --gc-sections$(if $(filter 1,$(CHECKED)),$(comma) checked build)):"
	@$(SIZE_REPORT) header
	@set -e; for board in $(SIZE_BOARDS); do for allocator in $(SIZE_ALLOCATORS); do \
	    $(SIZE_MAKE) BOARD=$$board ALLOCATOR=$$allocator size-probes >/dev/null; \
	    $(SIZE_MAKE) BOARD=$$board ALLOCATOR=$$allocator size-rows; \
	done; done

comma := ,

endif
