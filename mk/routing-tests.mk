# Heap routing on target: the firmware in Tests/Target/HeapRouting (the
# bump arena selected at boot, scoped arenas in a Swift loop, an interrupt
# that allocates during them, nested scopes, a late free), built with a
# bump arena and run under QEMU. Include from the top-level Makefile after
# mk/cairn.mk.
#
#   routing-test-run [BOARD=...] [CHECKED=1]   build and run it for one board
#   routing-test       README's examples are the firmware's code
#                      (check-readme.py), then every run of ROUTING_RUNS
#                      ("board:checked"), then the checked build's late free,
#                      which must stop the firmware (Tests/Target/Misuse/check-misuse.sh)
#
# Each run builds in a directory of its own (BUILD_DIR), because the bump
# arena's size is a build setting the default build directories do not name.

ifndef ROUTING_MK_INCLUDED
ROUTING_MK_INCLUDED := 1

ROUTING_DIR := $(CAIRN_ROOT)/Tests/Target/HeapRouting
# The on-target harness and its Swift face, shared with Tests/Target/OnTarget.
TARGET_SUPPORT_DIR := $(CAIRN_ROOT)/Tests/Target/Support
ROUTING_TIMEOUT ?= 120
ROUTING_RUNS ?= mps2-an386:0 mps2-an386:1 microbit:0
# Bytes of the bump arena per board: room for the boot objects and the
# largest scope the firmware opens (1 KiB).
ROUTING_BUMP_ARENA_SIZE_mps2-an386 := 16384
ROUTING_BUMP_ARENA_SIZE_microbit := 2048

ROUTING_OUT := $(BUILD_DIR)/heap-routing
ROUTING_ELF := $(ROUTING_OUT)/heap-routing.elf
ROUTING_LATE_ELF := $(ROUTING_OUT)/late-free.elf
ROUTING_SWIFT_SOURCES := $(ROUTING_DIR)/main.swift $(TARGET_SUPPORT_DIR)/Expect.swift
ROUTING_HEADERS := $(wildcard $(ROUTING_DIR)/*.h) $(TARGET_SUPPORT_DIR)/harness.h
ROUTING_C_OBJECTS := $(call cairn_objects,$(ROUTING_DIR)/routing_tests.c $(TARGET_SUPPORT_DIR)/harness.c)

# -fno-builtin: every malloc/free must reach the hooks.
$(ROUTING_C_OBJECTS): private TARGET_CFLAGS += -fno-builtin -I$(TARGET_SUPPORT_DIR)

ROUTING_SWIFTC = $(SWIFTC) $(SWIFTC_EMBEDDED_FLAGS) $(CAIRN_IMPORT_FLAGS) -I $(CAIRN_MODULE_DIR) \
    -Xcc -I$(TARGET_SUPPORT_DIR) -import-bridging-header $(ROUTING_DIR)/Routing-Bridging.h \
    -module-name HeapRoutingTests $(if $(filter 1,$(CHECKED)),-D ROUTING_CHECKED)

$(ROUTING_OUT)/HeapRoutingTests.o: $(ROUTING_SWIFT_SOURCES) $(ROUTING_HEADERS) $(CAIRN_SWIFT_OBJECT)
	@mkdir -p $(@D)
	$(ROUTING_SWIFTC) -c -o $@ $(ROUTING_SWIFT_SOURCES)

$(ROUTING_OUT)/LateFree.o: $(ROUTING_SWIFT_SOURCES) $(ROUTING_HEADERS) $(CAIRN_SWIFT_OBJECT)
	@mkdir -p $(@D)
	$(ROUTING_SWIFTC) -D ROUTING_LATE_FREE_ONLY -c -o $@ $(ROUTING_SWIFT_SOURCES)

ROUTING_LINK_INPUTS := $(ROUTING_C_OBJECTS) $(CAIRN_OBJECTS) $(BOARD_OBJECTS) $(SWIFT_UNICODE_TABLES) $(CAIRN_LDSCRIPTS)
$(ROUTING_ELF): $(ROUTING_OUT)/HeapRoutingTests.o $(ROUTING_LINK_INPUTS)
	$(cairn_link)

$(ROUTING_LATE_ELF): $(ROUTING_OUT)/LateFree.o $(ROUTING_LINK_INPUTS)
	$(cairn_link)

-include $(ROUTING_C_OBJECTS:.o=.d)

.PHONY: routing-test-run routing-late-free-run routing-test

# The exit status decides, and the closing line must be there; the heap
# report and the heap map (drawn by scripts/heapmap.py) must show the bump
# arena, and no allocation path may copy the heap.
routing-test-run: $(ROUTING_ELF)
	@log=$(ROUTING_OUT)/heap-routing.log; \
	echo "== heap routing: $(BOARD)$(if $(filter 1,$(CHECKED)), (checked)), bump arena $(BUMP_ARENA_SIZE) bytes"; \
	status=0; $(CAIRN_ROOT)/scripts/qemu-run.sh $(BOARD) $(ROUTING_ELF) $(ROUTING_TIMEOUT) > $$log || status=$$?; \
	cat $$log; \
	if [ $$status -ne 0 ]; then echo "heap routing tests FAILED on $(BOARD): exit status $$status"; exit 1; fi; \
	grep -Eq '^[0-9]+ passed, 0 failed' $$log || { echo "heap routing tests FAILED on $(BOARD): no closing line"; exit 1; }; \
	grep -Eq '^  bump arena +[0-9]+ of [0-9]+ bytes' $$log || { echo "heap routing tests FAILED: no bump arena in the report"; exit 1; }; \
	grep -Eq '^map arena base=0x[0-9a-f]{8} capacity=[0-9]+ used=[0-9]+ peak=[0-9]+ selected=0 scopes=0$$' $$log \
	  || { echo "heap routing tests FAILED: no bump arena in the heap map"; exit 1; }; \
	python3 $(CAIRN_ROOT)/scripts/heapmap.py $$log -o $(ROUTING_OUT)/heap-routing.svg
	@$(CAIRN_ROOT)/scripts/check-no-heap-copy.sh $(ROUTING_ELF)

routing-late-free-run: $(ROUTING_LATE_ELF)
	$(CAIRN_ROOT)/Tests/Target/Misuse/check-misuse.sh $(BOARD) $(ROUTING_LATE_ELF) $(ROUTING_TIMEOUT) \
	    'free of a pointer outside the heap'

routing-test: deps
	python3 $(ROUTING_DIR)/check-readme.py $(CAIRN_ROOT)/README.md $(ROUTING_DIR)
	@failed=""; \
	for run in $(ROUTING_RUNS); do \
	  board=$${run%%:*}; checked=$${run##*:}; \
	  case $$board in mps2-an386) size=$(ROUTING_BUMP_ARENA_SIZE_mps2-an386);; *) size=$(ROUTING_BUMP_ARENA_SIZE_microbit);; esac; \
	  dir=$(CAIRN_ROOT)/build/routing/$$board$$( [ $$checked = 1 ] && echo -checked); \
	  $(MAKE) --no-print-directory -f $(CAIRN_ROOT)/Makefile BOARD=$$board CHECKED=$$checked BUMP_ARENA_SIZE=$$size \
	    BUILD_DIR=$$dir ROUTING_TIMEOUT=$(ROUTING_TIMEOUT) routing-test-run || failed="$$failed $$run"; \
	done; \
	$(MAKE) --no-print-directory -f $(CAIRN_ROOT)/Makefile BOARD=mps2-an386 CHECKED=1 \
	  BUMP_ARENA_SIZE=$(ROUTING_BUMP_ARENA_SIZE_mps2-an386) BUILD_DIR=$(CAIRN_ROOT)/build/routing/mps2-an386-checked \
	  routing-late-free-run || failed="$$failed late-free"; \
	if [ -n "$$failed" ]; then echo "heap routing tests FAILED:$$failed"; exit 1; fi; \
	echo "heap routing tests passed: $(ROUTING_RUNS) late-free"
endif
