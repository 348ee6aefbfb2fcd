# Heap overflow on target: Tests/Target/Overflow/overflow.c overflows each
# kept block of a half-freed run into the free block after it, with four
# kinds of attacker-chosen word; header_overflow.c (kind 5) overflows a
# live large block over the header of the live block after it. Each run
# checks the answer of its build (release: caught, hook called, counts
# raised, no block outside the heap or over a live one; checked: reported
# and stopped). Include from the top-level Makefile after mk/cairn.mk and
# mk/reliability.mk.
#
#   overflow-test      the five overflows on mps2-an386 and microbit, in the
#                      release and the checked build (20 runs)

ifndef OVERFLOW_MK_INCLUDED
OVERFLOW_MK_INCLUDED := 1
OVERFLOW_MK := $(abspath $(lastword $(MAKEFILE_LIST)))

OVERFLOW_TESTS := $(CAIRN_ROOT)/Tests/Target/Overflow
OVERFLOW_TIMEOUT ?= 60
OVERFLOW_DIR := $(BUILD_DIR)/overflow
# 1 global address, 2 relative link, 3 0xFFFFFFF0, 4 stack address,
# 5 a live block's header.
OVERFLOW_KINDS := 1 2 3 4 5
OVERFLOW_ELFS := $(foreach kind,$(OVERFLOW_KINDS),$(OVERFLOW_DIR)/overflow-$(kind).elf)
.SECONDARY: $(OVERFLOW_ELFS:.elf=.o)

$(OVERFLOW_DIR)/overflow-%.o: $(OVERFLOW_TESTS)/overflow.c $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(TARGET_CC) $(TARGET_CFLAGS) -fno-builtin -DOVERFLOW_KIND=$* -MMD -MP -c -o $@ $<

$(OVERFLOW_DIR)/overflow-5.o: $(OVERFLOW_TESTS)/header_overflow.c $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(TARGET_CC) $(TARGET_CFLAGS) -fno-builtin -MMD -MP -c -o $@ $<

$(OVERFLOW_DIR)/overflow-%.elf: $(OVERFLOW_DIR)/overflow-%.o $(CAIRN_OBJECTS) $(BOARD_OBJECTS) $(CAIRN_LDSCRIPTS)
	$(cairn_link)

-include $(wildcard $(OVERFLOW_ELFS:.elf=.d))

.PHONY: overflow-run overflow-test
overflow-run: $(OVERFLOW_ELFS)
	@echo "== overflow: $(BOARD), $(if $(filter 1,$(CHECKED)),checked,release) build"; \
	$(foreach elf,$(OVERFLOW_ELFS),$(OVERFLOW_TESTS)/check-overflow.sh $(BOARD) $(elf) $(OVERFLOW_TIMEOUT) \
	    $(if $(filter 1,$(CHECKED)),checked,release) || exit 1;)

# $(call overflow_make,BOARD,CHECKED): the five runs of one board and build,
# in a build tree of their own.
overflow_make = $(MAKE) --no-print-directory -f $(CAIRN_ROOT)/Makefile -f $(OVERFLOW_MK) \
    BOARD=$(1) CHECKED=$(2) BUILD_DIR=$(CAIRN_ROOT)/build/overflow/$(1)$(if $(filter 1,$(2)),-checked) \
    OVERFLOW_TIMEOUT=$(OVERFLOW_TIMEOUT) overflow-run

overflow-test: deps
	@+$(call overflow_make,mps2-an386,0)
	@+$(call overflow_make,mps2-an386,1)
	@+$(call overflow_make,microbit,0)
	@+$(call overflow_make,microbit,1)
	@echo "overflow tests passed: mps2-an386 and microbit, release and checked"

endif
