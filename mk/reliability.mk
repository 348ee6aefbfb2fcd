# Reliability on target: misuse stops a checked firmware, the heap survives
# interrupt handlers that allocate, and the stack cannot overflow into the
# heap unnoticed. Include from the top-level Makefile after mk/cairn.mk.
#
#   misuse-test        each misuse kind in its own checked firmware: the report
#                      names it and the address, and the run stops with 70
#                      (mps2-an386, mps2-an505 and microbit)
#   interrupt-test     a SysTick handler allocates and frees every few hundred
#                      instructions while main churns the heap (mps2-an386,
#                      release and checked builds; mps2-an505, release); and
#                      the blackout: the longest interval Cairn keeps
#                      interrupts masked during an allocation storm, and a
#                      periodic interrupt's latency with and without the
#                      storm (mps2-an386 and mps2-an505): fails when the
#                      blackout exceeds the stated worst case (scripts/wcet.py
#                      on the same firmware)
#   stackguard-test    unbounded recursion hits the MPU guard: `stack overflow`,
#                      exit 103, heap untouched (mps2-an386 and mps2-an505);
#                      stack high-water mark (every board)
#   reliability-test   all three
#
#   RELIABILITY_TIMEOUT=s   QEMU time limit per run (a hang is a failure)
#   IRQ_SEED=n              seed of the interrupt test's churn (printed on failure)
#   IRQ_OPERATIONS=n        main's heap operations in the interrupt test, and
#   IRQ_RELOAD=n            core clocks between ticks (release build; the
#                           checked build's handler is slower, so it runs
#                           IRQ_CHECKED_OPERATIONS with IRQ_CHECKED_RELOAD)
#
# Each test builds in its own tree under build/reliability/, so the tests
# may run in parallel (make -j) with each other and with any other target.

ifndef RELIABILITY_MK_INCLUDED
RELIABILITY_MK_INCLUDED := 1
# This file's path, for the sub-makes (immediate: MAKEFILE_LIST grows later).
RELIABILITY_MK := $(abspath $(lastword $(MAKEFILE_LIST)))

RELIABILITY_TESTS := $(CAIRN_ROOT)/Tests/Target
RELIABILITY_TIMEOUT ?= 60
IRQ_SEED ?= 1
IRQ_OPERATIONS ?= 200000
IRQ_RELOAD ?= 1000
IRQ_CHECKED_OPERATIONS ?= 100000
IRQ_CHECKED_RELOAD ?= 3000
REL_DIR := $(BUILD_DIR)/reliability

# $(call reliability_make,BOARD,CHECKED,TEST,GOAL): GOAL for one board in
# the test's own build tree.
reliability_make = $(MAKE) --no-print-directory -f $(CAIRN_ROOT)/Makefile -f $(RELIABILITY_MK) \
    BOARD=$(1) CHECKED=$(2) BUILD_DIR=$(CAIRN_ROOT)/build/reliability/$(3)-$(1)$(if $(filter 1,$(2)),-checked) \
    RELIABILITY_TIMEOUT=$(RELIABILITY_TIMEOUT) $(4)

# The test firmware is C and calls the C hooks: GCC must not fold a
# malloc/free pair or reason about a free it can see is wrong.
REL_CFLAGS := -fno-builtin
REL_FIRMWARE_OBJECTS = $(CAIRN_OBJECTS) $(BOARD_OBJECTS) $(CAIRN_LDSCRIPTS)

# --- Misuse: one firmware per kind -------------------------------------------

MISUSE_KINDS := double-free foreign-pointer interior-pointer write-past-end write-after-free
MISUSE_KIND_double-free := 1
MISUSE_KIND_foreign-pointer := 2
MISUSE_KIND_interior-pointer := 3
MISUSE_KIND_write-past-end := 4
MISUSE_KIND_write-after-free := 5
# The report text of each (Sources/Cairn/Firmware/MisuseFault.swift).
MISUSE_REPORT_double-free := double free
MISUSE_REPORT_foreign-pointer := free of a pointer outside the heap
MISUSE_REPORT_interior-pointer := free of a pointer that is not the start of a block
MISUSE_REPORT_write-past-end := write past the end of a block
MISUSE_REPORT_write-after-free := write to a block after it was freed
MISUSE_ELFS := $(foreach kind,$(MISUSE_KINDS),$(REL_DIR)/misuse-$(kind).elf)
# Made by a chain of pattern rules, so make would delete them as
# intermediate files and rebuild them on every run.
.SECONDARY: $(MISUSE_ELFS:.elf=.o)

$(REL_DIR)/misuse-%.o: $(RELIABILITY_TESTS)/Misuse/misuse.c $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(TARGET_CC) $(TARGET_CFLAGS) $(REL_CFLAGS) -DMISUSE_KIND=$(MISUSE_KIND_$*) -MMD -MP -c -o $@ $<

$(REL_DIR)/misuse-%.elf: $(REL_DIR)/misuse-%.o $(REL_FIRMWARE_OBJECTS)
	$(cairn_link)

.PHONY: reliability-misuse-run
reliability-misuse-run: $(MISUSE_ELFS)
	@$(if $(filter 1,$(CHECKED)),,echo "misuse-test needs CHECKED=1"; exit 1;) \
	echo "== misuse: $(BOARD), checked build"; \
	$(foreach kind,$(MISUSE_KINDS),$(RELIABILITY_TESTS)/Misuse/check-misuse.sh $(BOARD) \
	    $(REL_DIR)/misuse-$(kind).elf $(RELIABILITY_TIMEOUT) '$(MISUSE_REPORT_$(kind))' || exit 1;)

# --- Interrupts: SysTick handler against a churning main ----------------------

IRQ_DEFINES := -DIRQ_SEED=$(IRQ_SEED) -DIRQ_OPERATIONS=$(IRQ_OPERATIONS) -DIRQ_RELOAD=$(IRQ_RELOAD)
IRQ_STAMP := $(REL_DIR)/irq-defines.stamp
IRQ_ELF := $(REL_DIR)/irq-churn.elf

$(IRQ_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(IRQ_DEFINES)' | cmp -s - $@ || echo '$(IRQ_DEFINES)' > $@

$(REL_DIR)/irq-churn.o: $(RELIABILITY_TESTS)/Interrupts/irq_churn.c $(CAIRN_FLAGS_STAMP) $(IRQ_STAMP)
	@mkdir -p $(@D)
	$(TARGET_CC) $(TARGET_CFLAGS) $(REL_CFLAGS) $(IRQ_DEFINES) -MMD -MP -c -o $@ $<

$(IRQ_ELF): $(REL_DIR)/irq-churn.o $(REL_FIRMWARE_OBJECTS)
	$(cairn_link)

# ICOUNT=1: SysTick counts virtual time, which then advances with every
# instruction, so a tick comes every few hundred instructions, the same
# ones on every run. Without it a tick is at least 10 us of host time.
.PHONY: reliability-interrupt-run
reliability-interrupt-run: $(IRQ_ELF)
	@echo "== interrupts: $(BOARD), $(if $(filter 1,$(CHECKED)),checked,release) build"; \
	log=$(REL_DIR)/irq-churn.log; status=0; \
	ICOUNT=1 $(CAIRN_ROOT)/scripts/qemu-run.sh $(BOARD) $(IRQ_ELF) $(RELIABILITY_TIMEOUT) > $$log 2>&1 || status=$$?; \
	sed 's/^/    /' $$log; \
	if [ $$status -ne 0 ]; then echo "interrupt test FAILED on $(BOARD): exit status $$status (seed $(IRQ_SEED))"; exit 1; fi; \
	grep -Eq '^[0-9]+ passed, 0 failed' $$log || { echo "interrupt test FAILED on $(BOARD): no closing line"; exit 1; }; \
	echo "interrupt test ok: $(BOARD)"

# --- Blackout: how long Cairn keeps interrupts masked -------------------------

# BLACKOUT=1 (the blackout firmware's own build tree, never another one):
# Cairn's critical section calls the firmware's probes (cairn_critical.h).
ifeq ($(BLACKOUT),1)
SWIFTC_EMBEDDED_FLAGS += -Xcc -DCAIRN_BLACKOUT_PROBE
TARGET_CFLAGS += -DCAIRN_BLACKOUT_PROBE
endif
# The free-running CMSDK timer the probes read (the Secure alias on the
# mps2-an505, whose firmware runs Secure).
BLACKOUT_TIMER_mps2-an386 := 0x40000000u
BLACKOUT_TIMER_mps2-an505 := 0x50000000u
BLACKOUT_ELF := $(REL_DIR)/blackout.elf
# The storm's largest block: realloc copies and calloc zeroes that many
# bytes at most, inside the critical section.
BLACKOUT_LARGEST := 18688

$(REL_DIR)/blackout.o: $(RELIABILITY_TESTS)/Interrupts/blackout.c $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(TARGET_CC) $(TARGET_CFLAGS) $(REL_CFLAGS) -DBLACKOUT_TIMER=$(BLACKOUT_TIMER_$(BOARD)) \
	    -DSTORM_LARGEST=$(BLACKOUT_LARGEST) -MMD -MP -c -o $@ $<

$(BLACKOUT_ELF): $(REL_DIR)/blackout.o $(REL_FIRMWARE_OBJECTS)
	$(cairn_link)

# The measured blackout against the largest stated worst case of the five
# entry points, both from this firmware, realloc's and calloc's counting
# the copy or fill of the storm's largest block.
.PHONY: reliability-blackout-run
reliability-blackout-run: $(BLACKOUT_ELF)
	@$(if $(filter 1,$(BLACKOUT)),,echo "the blackout run needs BLACKOUT=1"; exit 1;) \
	echo "== blackout: $(BOARD), release build"; \
	log=$(REL_DIR)/blackout.log; status=0; \
	ICOUNT=1 $(CAIRN_ROOT)/scripts/qemu-run.sh $(BOARD) $(BLACKOUT_ELF) $(RELIABILITY_TIMEOUT) > $$log 2>&1 || status=$$?; \
	sed 's/^/    /' $$log; \
	if [ $$status -ne 0 ]; then echo "blackout test FAILED on $(BOARD): exit status $$status"; exit 1; fi; \
	measured=$$(sed -nE 's/.*longest_instructions=([0-9]+).*/\1/p' $$log); \
	stated=$$(python3 $(CAIRN_ROOT)/scripts/wcet.py --board $(BOARD) --largest --bytes $(BLACKOUT_LARGEST) \
	    $(BLACKOUT_ELF)) || \
	    { echo "blackout test FAILED on $(BOARD): no stated worst case"; exit 1; }; \
	if [ -z "$$measured" ] || [ "$$measured" -gt "$$stated" ]; then \
	    echo "blackout test FAILED on $(BOARD): longest blackout $$measured instructions, stated worst case $$stated"; exit 1; fi; \
	echo "blackout test ok: $(BOARD): longest blackout $$measured <= stated worst case $$stated instructions"

# --- Stack: guard (MPU boards) and high-water mark (every board) --------------

STACK_OVERFLOW_ELFS := $(REL_DIR)/stack-overflow.elf $(REL_DIR)/stack-overflow-in-handler.elf
STACK_HIGH_WATER_ELF := $(REL_DIR)/stack-high-water.elf
# Boards whose board layer has an MPU stack guard.
STACK_GUARD_BOARDS := mps2-an386 mps2-an505
STACK_ELFS := $(STACK_HIGH_WATER_ELF) $(if $(filter $(BOARD),$(STACK_GUARD_BOARDS)),$(STACK_OVERFLOW_ELFS))

$(REL_DIR)/stack-overflow.o: $(RELIABILITY_TESTS)/StackGuard/stack_test.c $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(TARGET_CC) $(TARGET_CFLAGS) $(REL_CFLAGS) -DSTACK_TEST_OVERFLOW=1 -MMD -MP -c -o $@ $<

$(REL_DIR)/stack-overflow-in-handler.o: $(RELIABILITY_TESTS)/StackGuard/stack_test.c $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(TARGET_CC) $(TARGET_CFLAGS) $(REL_CFLAGS) -DSTACK_TEST_OVERFLOW=1 -DSTACK_TEST_IN_HANDLER=1 -MMD -MP -c -o $@ $<

$(REL_DIR)/stack-high-water.o: $(RELIABILITY_TESTS)/StackGuard/stack_test.c $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(TARGET_CC) $(TARGET_CFLAGS) $(REL_CFLAGS) -DSTACK_TEST_HIGH_WATER=1 -MMD -MP -c -o $@ $<

# The overflow firmware checks the heap on the way out through board_exit.
# `private`: the flag must not reach the shared flags stamp.
$(STACK_OVERFLOW_ELFS): private TARGET_LDFLAGS += -Wl,--wrap=board_exit
$(STACK_OVERFLOW_ELFS): $(REL_DIR)/%.elf: $(REL_DIR)/%.o $(REL_FIRMWARE_OBJECTS)
	$(cairn_link)

$(STACK_HIGH_WATER_ELF): $(REL_DIR)/stack-high-water.o $(REL_FIRMWARE_OBJECTS)
	$(cairn_link)

.PHONY: reliability-stack-run
reliability-stack-run: $(STACK_ELFS)
	@$(RELIABILITY_TESTS)/StackGuard/check-stack.sh $(BOARD) $(RELIABILITY_TIMEOUT) $(STACK_ELFS)

# Only the ones that exist: make would otherwise try to build a missing
# `x.d` from `x.d.o` with its built-in rules and the misuse-%.o rule.
-include $(wildcard $(patsubst %.elf,%.d,$(MISUSE_ELFS) $(IRQ_ELF) $(BLACKOUT_ELF) $(STACK_OVERFLOW_ELFS) $(STACK_HIGH_WATER_ELF)))

# --- The tests -------------------------------------------------------------------

.PHONY: misuse-test interrupt-test stackguard-test reliability-test
misuse-test: deps
	@+$(call reliability_make,mps2-an386,1,misuse,reliability-misuse-run)
	@+$(call reliability_make,mps2-an505,1,misuse,reliability-misuse-run)
	@+$(call reliability_make,microbit,1,misuse,reliability-misuse-run)

interrupt-test: deps
	@+$(call reliability_make,mps2-an386,0,interrupts,reliability-interrupt-run) \
	    IRQ_SEED=$(IRQ_SEED) IRQ_OPERATIONS=$(IRQ_OPERATIONS) IRQ_RELOAD=$(IRQ_RELOAD)
	@+$(call reliability_make,mps2-an386,1,interrupts,reliability-interrupt-run) \
	    IRQ_SEED=$(IRQ_SEED) IRQ_OPERATIONS=$(IRQ_CHECKED_OPERATIONS) IRQ_RELOAD=$(IRQ_CHECKED_RELOAD)
	@+$(call reliability_make,mps2-an505,0,interrupts,reliability-interrupt-run) \
	    IRQ_SEED=$(IRQ_SEED) IRQ_OPERATIONS=$(IRQ_OPERATIONS) IRQ_RELOAD=$(IRQ_RELOAD)
	@+$(MAKE) --no-print-directory blackout-test

# The blackout alone (part of interrupt-test).
.PHONY: blackout-test
blackout-test: deps
	@+$(call reliability_make,mps2-an386,0,blackout,reliability-blackout-run) BLACKOUT=1
	@+$(call reliability_make,mps2-an505,0,blackout,reliability-blackout-run) BLACKOUT=1

stackguard-test: deps
	@+$(call reliability_make,mps2-an386,0,stack,reliability-stack-run)
	@+$(call reliability_make,mps2-an505,0,stack,reliability-stack-run)
	@+$(call reliability_make,microbit,0,stack,reliability-stack-run)

reliability-test: misuse-test interrupt-test stackguard-test
	@echo "reliability tests passed: misuse, interrupts, stack guard"

endif
