# Cairn: memory allocators for bare-metal Embedded Swift on Cortex-M.
#
#   make run    [BOARD=...]                   build the demo firmware and run it under QEMU
#   make test                                 every test: host XCTest and on-target, every board
#   make lib    [BOARD=...]                   libcairn.a for a C firmware (path printed last)
#   make size                                 flash and RAM that Cairn adds, per board
#   make debug  [BOARD=...]                   demo under QEMU, halted, with a gdb server
#   make heapmap [BOARD=...] [HEAPMAP_ELF=...]  the demo's (or a firmware's) heap map as an SVG
#   make check-no-allocations                 the allocator module builds with -no-allocations
#   make clean
#
# Boards: BOARD=mps2-an386 (default, Cortex-M4), mps2-an505 (Cortex-M33) or
# microbit (Cortex-M0). Configuration (any target): HEAP_SIZE, PAGE_SIZE,
# LARGEST_CLASS, SIZE_CLASSES=8,16,24,..., ALLOCATOR=slab|bump, CHECKED=1,
# STACK_SIZE, HEAP_BASE_SYMBOL, HEAP_LIMIT_SYMBOL, MAX_REGIONS.
# `run` and `test` install what is missing (QEMU, the Arm toolchain,
# newlib, gdb-multiarch) through apt-get first.

CAIRN_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
include $(CAIRN_ROOT)/mk/boards.mk
include $(CAIRN_ROOT)/mk/toolchain.mk
include $(CAIRN_ROOT)/mk/defaults.mk
# One build directory per configuration, so that builds of different
# configurations (a benchmark sweep, a checked test run) never share objects.
cairn_comma := ,
BUILD_DIR := $(CAIRN_ROOT)/build/$(BOARD)/$(ALLOCATOR)$(if $(filter 1,$(CHECKED)),-checked)-heap$(HEAP_SIZE)$(if \
    $(filter slab,$(ALLOCATOR)),-page$(PAGE_SIZE)-class$(LARGEST_CLASS)$(if $(SIZE_CLASSES),-classes$(subst $(cairn_comma),_,$(SIZE_CLASSES))))
include $(CAIRN_ROOT)/mk/rules.mk
include $(CAIRN_ROOT)/mk/cairn.mk

BOARDS := mps2-an386 microbit
QEMU_TIMEOUT ?= 60

.DEFAULT_GOAL := run
.PHONY: run test deps demo debug clean check-no-allocations host-test board-test heapmap heapmap-test

deps:
	@$(CAIRN_ROOT)/scripts/ensure-deps.sh

# --- Demo firmware -----------------------------------------------------------

DEMO_DIR := $(CAIRN_ROOT)/Sources/Demo
DEMO_ELF := $(BUILD_DIR)/demo.elf
DEMO_SWIFT_OBJECT := $(BUILD_DIR)/demo/Demo.o
DEMO_C_OBJECTS := $(call cairn_objects,$(DEMO_DIR)/demo_c.c)

$(DEMO_SWIFT_OBJECT): $(DEMO_DIR)/main.swift $(DEMO_DIR)/Demo-Bridging.h $(CAIRN_SWIFT_OBJECT)
	@mkdir -p $(@D)
	$(SWIFTC) $(SWIFTC_EMBEDDED_FLAGS) $(CAIRN_IMPORT_FLAGS) -I $(CAIRN_MODULE_DIR) \
	    -import-bridging-header $(DEMO_DIR)/Demo-Bridging.h -module-name Demo -c -o $@ $(DEMO_DIR)/main.swift

$(DEMO_ELF): $(DEMO_SWIFT_OBJECT) $(DEMO_C_OBJECTS) $(CAIRN_OBJECTS) $(BOARD_OBJECTS) $(SWIFT_UNICODE_TABLES) $(CAIRN_LDSCRIPTS)
	$(cairn_link)

demo: deps $(DEMO_ELF)

run: demo
	$(CAIRN_ROOT)/scripts/qemu-run.sh $(BOARD) $(DEMO_ELF) $(QEMU_TIMEOUT)

debug: demo
	GDB=1 $(CAIRN_ROOT)/scripts/qemu-run.sh $(BOARD) $(DEMO_ELF)

# --- A picture of the heap ---------------------------------------------------

# The demo built to print its heap map (cairn_print_heap_map) before its
# report, run under QEMU; scripts/heapmap.py draws the map from the console
# output. HEAPMAP_ELF runs a firmware of your own instead (it must call
# cairn_print_heap_map itself).
HEAPMAP_DEMO_OBJECT := $(BUILD_DIR)/heapmap/Demo.o
HEAPMAP_DEMO_ELF := $(BUILD_DIR)/heapmap/demo.elf
HEAPMAP_ELF ?= $(HEAPMAP_DEMO_ELF)
HEAPMAP_OUT := $(CAIRN_ROOT)/build/heapmap-$(BOARD)

$(HEAPMAP_DEMO_OBJECT): $(DEMO_DIR)/main.swift $(DEMO_DIR)/Demo-Bridging.h $(CAIRN_SWIFT_OBJECT)
	@mkdir -p $(@D)
	$(SWIFTC) $(SWIFTC_EMBEDDED_FLAGS) $(CAIRN_IMPORT_FLAGS) -I $(CAIRN_MODULE_DIR) -D CAIRN_DEMO_HEAPMAP \
	    -import-bridging-header $(DEMO_DIR)/Demo-Bridging.h -module-name Demo -c -o $@ $(DEMO_DIR)/main.swift

$(HEAPMAP_DEMO_ELF): $(HEAPMAP_DEMO_OBJECT) $(DEMO_C_OBJECTS) $(CAIRN_OBJECTS) $(BOARD_OBJECTS) $(SWIFT_UNICODE_TABLES) $(CAIRN_LDSCRIPTS)
	$(cairn_link)

heapmap: deps $(HEAPMAP_ELF)
	@mkdir -p $(dir $(HEAPMAP_OUT))
	$(CAIRN_ROOT)/scripts/qemu-run.sh $(BOARD) $(HEAPMAP_ELF) $(QEMU_TIMEOUT) > $(HEAPMAP_OUT).txt; \
	  status=$$?; if [ $$status -ne 0 ]; then cat $(HEAPMAP_OUT).txt; exit $$status; fi
	python3 $(CAIRN_ROOT)/scripts/heapmap.py $(HEAPMAP_OUT).txt -o $(HEAPMAP_OUT).svg --title "Cairn heap map: $(notdir $(HEAPMAP_ELF)) on $(BOARD)"
	@echo $(HEAPMAP_OUT).svg

# The renderer on a committed dump (no firmware needed).
heapmap-test:
	python3 $(CAIRN_ROOT)/Tests/HeapMap/test_heapmap.py

# --- Proof that the allocator never allocates --------------------------------

NO_ALLOC_DIR := $(CAIRN_ROOT)/build/no-allocations
check-no-allocations:
	@mkdir -p $(NO_ALLOC_DIR)
	@for triple in armv7em-none-none-eabi armv6m-none-none-eabi; do \
	  for variant in "" "-D CAIRN_BUMP" "-D CAIRN_CHECKED"; do \
	    echo "no-allocations: Cairn for $$triple $$variant"; \
	    $(SWIFTC) -target $$triple -enable-experimental-feature Embedded -wmo -Osize -parse-as-library \
	      -Xcc -mfloat-abi=soft -Xcc -fshort-enums -Xfrontend -disable-stack-protector \
	      -no-allocations $$variant $(CAIRN_IMPORT_FLAGS) -module-name Cairn \
	      -c -o $(NO_ALLOC_DIR)/Cairn-$$triple.o $(CAIRN_SWIFT_SOURCES) || exit 1; \
	  done; \
	done

# --- Fragments: libcairn.a, footprint, examples, tests, benchmarks, fuzzing ---

include $(CAIRN_ROOT)/mk/lib.mk
include $(CAIRN_ROOT)/mk/heap-regions.mk
include $(CAIRN_ROOT)/mk/size.mk
include $(CAIRN_ROOT)/mk/examples.mk
include $(CAIRN_ROOT)/mk/target-tests.mk
include $(CAIRN_ROOT)/mk/reliability.mk
include $(CAIRN_ROOT)/mk/bench.mk
include $(CAIRN_ROOT)/mk/fuzz.mk
include $(CAIRN_ROOT)/mk/routing-tests.mk
include $(CAIRN_ROOT)/mk/overflow.mk

# --- Tests --------------------------------------------------------------------

# Host XCTest in the release build and in the checked build (own scratch path).
# The board layer with Cairn: startup, console, exit status, HardFault
# report and exit 101 on every board, and the link refusing a heap that
# does not fit in RAM.
board-test: deps
	$(CAIRN_ROOT)/Tests/Target/BoardSmoke/check.sh

host-test:
	swift test
	swift test --scratch-path .build-checked -Xswiftc -DCAIRN_CHECKED

# Everything, in the order a failure is cheapest to find. Benchmarks are not
# run here (bench-smoke only proves the harness and its counter).
test: deps host-test check-no-allocations
	python3 $(CAIRN_ROOT)/Tests/HeapMap/test_heapmap.py
	$(MAKE) --no-print-directory board-test
	$(MAKE) --no-print-directory target-test
	$(MAKE) --no-print-directory routing-test
	$(MAKE) --no-print-directory lib-test BOARD=mps2-an386
	$(MAKE) --no-print-directory lib-test BOARD=microbit
	$(MAKE) --no-print-directory generic-link-test BOARD=mps2-an386
	$(MAKE) --no-print-directory heap-symbols-test
	$(MAKE) --no-print-directory regions-test
	$(MAKE) --no-print-directory cmake-test BOARD=mps2-an386
	$(MAKE) --no-print-directory examples-test
	$(MAKE) --no-print-directory outoftree-test
	$(MAKE) --no-print-directory reliability-test
	$(MAKE) --no-print-directory overflow-test
	$(MAKE) --no-print-directory bench-smoke
	$(MAKE) --no-print-directory fuzz-smoke
	$(MAKE) --no-print-directory test-asan
	$(MAKE) --no-print-directory coverage

clean:
	rm -rf $(CAIRN_ROOT)/build $(CAIRN_ROOT)/.build
