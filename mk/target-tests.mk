# On-target tests: the firmware in Tests/Target/OnTarget, built for
# $(BOARD) and run under QEMU. Include from the top-level Makefile after
# mk/cairn.mk (it uses BUILD_DIR, CAIRN_OBJECTS, CAIRN_MODULE_DIR, ...).
#
#   target-test-firmware   build the test ELF for $(BOARD) (path in ONTARGET_ELF)
#   target-test-run        build and run it for $(BOARD)
#   target-test-all        build and run it for each of ONTARGET_RUNS (every board
#                          in ONTARGET_BOARDS, plus the bump heap on mps2-an386
#                          and the release build on mps2-an505); fails if any
#                          run fails
#   target-test            the same as target-test-all
#
#   TEST_SEED=n            seed of the randomised churns (a failure prints it)
#   ONTARGET_TIMEOUT=s     QEMU time limit per run (a hang counts as a failure)
#   ONTARGET_RUNS="board:allocator:checked[:heap] ..."  the runs of
#                          target-test-all, e.g. "mps2-an386:slab:1" for the
#                          checked build, "microbit:slab:0:4096" for a 4 KiB
#                          heap (the geometry follows the heap size)

ifndef ONTARGET_MK_INCLUDED
ONTARGET_MK_INCLUDED := 1
# This file's path, for the sub-makes (immediate: MAKEFILE_LIST grows later).
ONTARGET_MK := $(abspath $(lastword $(MAKEFILE_LIST)))

ONTARGET_DIR := $(CAIRN_ROOT)/Tests/Target/OnTarget
# The harness every test firmware shares (C and its Swift face).
TARGET_SUPPORT_DIR := $(CAIRN_ROOT)/Tests/Target/Support
ONTARGET_BOARDS ?= mps2-an386 microbit
ONTARGET_TIMEOUT ?= 120
TEST_SEED ?= 1

ONTARGET_ELF := $(BUILD_DIR)/target-tests.elf
ONTARGET_SWIFT_SOURCES := $(wildcard $(ONTARGET_DIR)/*.swift) $(TARGET_SUPPORT_DIR)/Expect.swift
ONTARGET_HEADERS := $(wildcard $(ONTARGET_DIR)/*.h) $(TARGET_SUPPORT_DIR)/harness.h
ONTARGET_SWIFT_OBJECT := $(BUILD_DIR)/target-tests/OnTarget.o
ONTARGET_C_OBJECTS := $(call cairn_objects,$(wildcard $(ONTARGET_DIR)/*.c) $(TARGET_SUPPORT_DIR)/harness.c)
# What the C tests must know of the build; BOARD, RAM_SIZE and ALLOCATOR
# are also in BUILD_DIR, so only the seed needs the stamp to rebuild.
# -fno-builtin: GCC must not fold malloc/free calls (drop an unused pair,
# assume two results differ, or decide calloc overflow itself): every call
# has to reach Cairn's hooks.
ONTARGET_C_FLAGS := -fno-builtin -I$(TARGET_SUPPORT_DIR) -DONTARGET_BOARD='"$(BOARD)"' -DONTARGET_RAM_SIZE=$(RAM_SIZE) \
    -DONTARGET_SEED=$(TEST_SEED) $(if $(filter bump,$(ALLOCATOR)),-DONTARGET_BUMP=1)
ONTARGET_STAMP := $(BUILD_DIR)/target-tests/defines.stamp

# `private`: the flags reach these objects only, not the shared flags
# stamp the pattern rule depends on (that would rebuild everything else).
$(ONTARGET_C_OBJECTS): private TARGET_CFLAGS += $(ONTARGET_C_FLAGS)
$(ONTARGET_C_OBJECTS): $(ONTARGET_STAMP)

$(ONTARGET_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(ONTARGET_C_FLAGS)' | cmp -s - $@ || echo '$(ONTARGET_C_FLAGS)' > $@

$(ONTARGET_SWIFT_OBJECT): $(ONTARGET_SWIFT_SOURCES) $(ONTARGET_HEADERS) $(CAIRN_SWIFT_OBJECT)
	@mkdir -p $(@D)
	$(SWIFTC) $(SWIFTC_EMBEDDED_FLAGS) $(CAIRN_IMPORT_FLAGS) -I $(CAIRN_MODULE_DIR) -Xcc -I$(TARGET_SUPPORT_DIR) -Xcc -I$(CAIRN_ROOT)/Board/common \
	    -import-bridging-header $(ONTARGET_DIR)/OnTarget-Bridging.h -module-name OnTarget \
	    -c -o $@ $(ONTARGET_SWIFT_SOURCES)

$(ONTARGET_ELF): $(ONTARGET_SWIFT_OBJECT) $(ONTARGET_C_OBJECTS) $(CAIRN_OBJECTS) $(BOARD_OBJECTS) \
        $(SWIFT_UNICODE_TABLES) $(CAIRN_LDSCRIPTS)
	$(cairn_link)

-include $(ONTARGET_C_OBJECTS:.o=.d)

.PHONY: target-test-firmware target-test-run target-test-all target-test
target-test-firmware: $(ONTARGET_ELF)

# The firmware's exit status decides; the closing line must also be there,
# so that a firmware that stopped early with status 0 still fails. A slab
# firmware must also not copy the heap on an allocation path (a silent
# copy of the whole allocator on every call; see scripts/check-no-heap-copy.sh).
# The suite's scenarios call CHeap.realloc on slabs of their own (the
# checked build copies that local allocator, not the global heap).
ONTARGET_OWN_COPIES := CHeapO7realloc__9byteCount6caller.*SlabH0V
# The suite's frames need about 5 KiB of stack on micro:bit (tests keep
# whole allocators on the stack), more than the board's default 2 KiB;
# with no MPU there, an overflow runs into the heap (ontarget_finish
# checks the stack paint). Its runs get 6 KiB of stack and a 5 KiB heap,
# so that both fit the 16 KiB of RAM.
ONTARGET_MICROBIT_MEMORY := STACK_SIZE=6144 HEAP_SIZE=5120
ifeq ($(BOARD):$(origin STACK_SIZE),microbit:file)
# A micro:bit run with the board's own stack (`make target-test-run
# BOARD=microbit`) goes again with the suite's memory; a stack or heap
# given on the command line is kept.
target-test-run:
	@+$(MAKE) --no-print-directory -f $(CAIRN_ROOT)/Makefile -f $(ONTARGET_MK) STACK_SIZE=6144 \
	    $(if $(filter file,$(origin HEAP_SIZE)),HEAP_SIZE=5120) target-test-run
else
target-test-run: target-test-firmware
	@log=$(BUILD_DIR)/target-tests.log; \
	echo "== on-target tests: $(BOARD), $(ALLOCATOR) heap$(if $(filter 1,$(CHECKED)), (checked))"; \
	status=0; $(CAIRN_ROOT)/scripts/qemu-run.sh $(BOARD) $(ONTARGET_ELF) $(ONTARGET_TIMEOUT) > $$log || status=$$?; \
	cat $$log; \
	if [ $$status -ne 0 ]; then echo "on-target tests FAILED on $(BOARD) ($(ALLOCATOR)): exit status $$status"; exit 1; fi; \
	grep -Eq '^[0-9]+ passed, 0 failed' $$log || { echo "on-target tests FAILED on $(BOARD): no closing line"; exit 1; }
	$(if $(filter slab,$(ALLOCATOR)),@CHECK_NO_HEAP_COPY_ALLOW='$(ONTARGET_OWN_COPIES)' \
	    $(CAIRN_ROOT)/scripts/check-no-heap-copy.sh $(ONTARGET_ELF))
endif

# One sub-make per run, BOARD:ALLOCATOR:CHECKED: BUILD_DIR depends on all
# three. Every run goes ahead even after a failure, and the summary names
# the failures.
# mps2-an505 runs the same Swift code (armv7em) as mps2-an386 on another
# core and memory map: one release run covers what differs, and keeps
# `make test` short.
ONTARGET_RUNS ?= $(foreach board,$(ONTARGET_BOARDS),$(board):slab:0 $(board):slab:1 $(board):slab:0:4096) \
    mps2-an386:bump:0 mps2-an505:slab:0
target-test-all: deps
	@failed=""; \
	for run in $(ONTARGET_RUNS); do \
	  board=$$(echo $$run | cut -d: -f1); allocator=$$(echo $$run | cut -d: -f2); \
	  checked=$$(echo $$run | cut -d: -f3); heap=$$(echo $$run | cut -d: -f4); \
	  memory=""; [ $$board = microbit ] && memory="$(ONTARGET_MICROBIT_MEMORY)"; \
	  $(MAKE) --no-print-directory -f $(CAIRN_ROOT)/Makefile -f $(ONTARGET_MK) \
	    BOARD=$$board ALLOCATOR=$$allocator CHECKED=$$checked $$memory $${heap:+HEAP_SIZE=$$heap} TEST_SEED=$(TEST_SEED) \
	    ONTARGET_TIMEOUT=$(ONTARGET_TIMEOUT) target-test-run || failed="$$failed $$run"; \
	done; \
	if [ -n "$$failed" ]; then echo "on-target tests FAILED:$$failed"; exit 1; fi; \
	echo "on-target tests passed: $(ONTARGET_RUNS)"

target-test: target-test-all
endif
