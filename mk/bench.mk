# Benchmarks of Cairn against newlib's allocators on the emulated Cortex-M.
# Include after mk/cairn.mk (and the demo rules); BENCHMARKS.md explains
# the method and holds the latest results.
#
#   make bench          every workload, allocator and board under QEMU with
#                       -icount, and the smallest arenas (below); prints the
#                       tables, rewrites BENCHMARKS.md, Benchmarks/chart.svg
#                       and Benchmarks/arena-chart.svg
#   make bench-smoke    builds the benchmark firmware for the three boards,
#                       checks the instruction counter on known loops, and
#                       every entry point's measured worst case against its
#                       stated one (as bench-worst)
#   make bench-firmware [BOARD=...] [ALLOCATOR=...]
#                       the firmware of one board: with ALLOCATOR=slab the
#                       Cairn slab, newlib-nano and newlib builds plus the
#                       size probes; with ALLOCATOR=bump the Cairn bump ones
#   make bench-paths    what bench-firmware builds, one "name path" a line
#   make bench-arena    only the smallest-arena measure (no -icount): prints
#                       its tables, writes nothing. BENCH_ARENA_ARGS passes
#                       options to scripts/bench.py, e.g. "--boards microbit
#                       --arena-allocators cairn-slab --arena-workloads churn"
#   make bench-worst    only the worst case per entry point: the stated
#                       figure (scripts/wcet.py, from the firmware) against
#                       the adversarial runs (Benchmarks/worst_case.c) on
#                       every board; prints the table, writes nothing, fails
#                       when a measured call exceeds its stated worst case.
#                       BENCH_WORST_ARGS passes options to scripts/bench.py,
#                       e.g. "--boards microbit --worst-entries malloc,free"
#   make bench ... BENCH_ARGS="--boards mps2-an386"  options for the whole run
#   make bench-arena-firmware [BOARD=...]
#                       that measure's firmware for one board (Cairn slab,
#                       newlib-nano, newlib); bench-arena-paths lists it as
#                       "name path arena-capacity" lines
#
# Every benchmark firmware is built from the same sources (Benchmarks/);
# only the allocator differs, and the Cairn builds add bench_hooks.c (the
# hooks' own cost, measured against the Swift entry points they call). The newlib builds link no Cairn object: board
# objects, workloads and newlib, with the bench's own _sbrk.

BENCH_DIR := $(CAIRN_ROOT)/Benchmarks
BENCH_BUILD = $(BUILD_DIR)/bench
BENCH_QEMU_TIMEOUT ?= 120

# Counter ticks per instruction under -icount shift=6 (64 ns each), as
# NUM/DEN: the core clock that QEMU's SysTick counts. mps2-an386: 25 MHz,
# 1.6 = 8/5. microbit: 16 MHz, 1.024 = 128/125. mps2-an505: 20 MHz,
# 1.28 = 32/25.
BENCH_TICKS_mps2-an386 := 8 5
BENCH_TICKS_microbit := 128 125
BENCH_TICKS_mps2-an505 := 32 25
BENCH_TICKS = $(BENCH_TICKS_$(BOARD))

BENCH_CFLAGS = $(TARGET_CFLAGS) -I$(BENCH_DIR) \
    -DBENCH_TICKS_NUM=$(word 1,$(BENCH_TICKS)) -DBENCH_TICKS_DEN=$(word 2,$(BENCH_TICKS))

# Make's own command line for the sub-builds, with this file added when the
# top-level Makefile does not include it yet.
BENCH_MAKE = $(MAKE) --no-print-directory -f $(CAIRN_ROOT)/Makefile \
    $(if $(shell grep -qs 'mk/bench.mk' $(CAIRN_ROOT)/Makefile && echo included),,-f $(CAIRN_ROOT)/mk/bench.mk)

# --- Objects -----------------------------------------------------------------

BENCH_COMMON_NAMES := bench_main bench_clock workloads workload_swift bench_timer
BENCH_COMMON_OBJECTS = $(addprefix $(BENCH_BUILD)/,$(addsuffix .o,$(BENCH_COMMON_NAMES)))

# Own rules rather than rules.mk's: the extra flags must not reach the
# flags stamp that every other object depends on.
$(BENCH_BUILD)/%.o: $(BENCH_DIR)/%.c $(BENCH_DIR)/bench.h $(CAIRN_ROOT)/Board/common/xorshift32.h $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(TARGET_CC) $(BENCH_CFLAGS) -c -o $@ $<

# bench_hooks.c includes the hooks' critical-section header by path.
$(BENCH_BUILD)/bench_hooks.o: $(BENCH_DIR)/bench_hooks.c $(BENCH_DIR)/bench.h \
    $(CAIRN_ROOT)/Sources/CairnPlatform/include/cairn_critical.h $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(TARGET_CC) $(BENCH_CFLAGS) -c -o $@ $<

$(BENCH_BUILD)/%.o: $(BENCH_DIR)/%.S
	@mkdir -p $(@D)
	$(TARGET_CC) $(CPU_CFLAGS) -c -o $@ $<

$(BENCH_BUILD)/heap_cairn.o: $(BENCH_DIR)/bench_heap_cairn.c $(BENCH_DIR)/bench.h $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(TARGET_CC) $(BENCH_CFLAGS) $(if $(filter bump,$(ALLOCATOR)),-DBENCH_CAIRN_BUMP) -c -o $@ $<

$(BENCH_BUILD)/heap_newlib_nano.o: $(BENCH_DIR)/bench_heap_newlib.c $(BENCH_DIR)/bench.h $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(TARGET_CC) $(BENCH_CFLAGS) -DBENCH_NEWLIB_NANO -c -o $@ $<

$(BENCH_BUILD)/heap_newlib_full.o: $(BENCH_DIR)/bench_heap_newlib.c $(BENCH_DIR)/bench.h $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(TARGET_CC) $(BENCH_CFLAGS) -c -o $@ $<

# The board's _sbrk always fails and is a strong symbol; the newlib builds
# link a copy of its object with _sbrk weakened, so newlib_support.c's
# _sbrk (over a static array) wins.
BENCH_SYSCALLS_OBJECT = $(call cairn_objects,$(CAIRN_ROOT)/Board/common/newlib_syscalls.c)
$(BENCH_BUILD)/newlib_syscalls_weak_sbrk.o: $(BENCH_SYSCALLS_OBJECT)
	@mkdir -p $(@D)
	$(TARGET_OBJCOPY) --weaken-symbol=_sbrk $< $@
BENCH_PEER_BOARD_OBJECTS = $(filter-out $(BENCH_SYSCALLS_OBJECT),$(BOARD_OBJECTS)) \
    $(BENCH_BUILD)/newlib_syscalls_weak_sbrk.o

# Workload 7: the runtime's posix_memalign and free references in the
# Swift object are renamed to the harness's wrappers (workload_swift.c).
BENCH_SWIFT_OBJECT = $(BENCH_BUILD)/SwiftWorkload.o
$(BENCH_BUILD)/SwiftWorkload-compiled.o: $(BENCH_DIR)/SwiftWorkload.swift $(BENCH_DIR)/SwiftWorkload-Bridging.h $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(SWIFTC) $(SWIFTC_EMBEDDED_FLAGS) -import-bridging-header $(BENCH_DIR)/SwiftWorkload-Bridging.h \
	    -module-name BenchSwift -c -o $@ $(BENCH_DIR)/SwiftWorkload.swift
$(BENCH_SWIFT_OBJECT): $(BENCH_BUILD)/SwiftWorkload-compiled.o
	$(TARGET_OBJCOPY) --redefine-sym posix_memalign=bench_swift_posix_memalign \
	    --redefine-sym free=bench_swift_free $< $@

BENCH_WORKLOAD_OBJECTS = $(BENCH_COMMON_OBJECTS) $(BENCH_SWIFT_OBJECT) $(SWIFT_UNICODE_TABLES)

# --- Firmware --------------------------------------------------------------------

# $(call bench_link,EXTRA_LDFLAGS): cairn_link with extra flags (the nano
# specs) given on the command line, not as a target variable, which would
# reach the prerequisites' flags stamp.
define bench_link
	@mkdir -p $(@D)
	$(TARGET_CC) $(TARGET_LDFLAGS) $(1) -Wl,-Map=$(@:.elf=.map) -o $@ $(filter %.o %.a,$^) $(TARGET_LDLIBS)
endef

BENCH_CAIRN_ELF = $(BENCH_BUILD)/bench-cairn-$(ALLOCATOR).elf
BENCH_NANO_ELF = $(BENCH_BUILD)/bench-newlib-nano.elf
BENCH_NEWLIB_ELF = $(BENCH_BUILD)/bench-newlib.elf

$(BENCH_CAIRN_ELF): $(BENCH_WORKLOAD_OBJECTS) $(BENCH_BUILD)/heap_cairn.o $(BENCH_BUILD)/bench_hooks.o $(BENCH_BUILD)/worst_case.o $(CAIRN_OBJECTS) $(BOARD_OBJECTS) $(CAIRN_LDSCRIPTS)
	$(call bench_link,)

$(BENCH_NANO_ELF): $(BENCH_WORKLOAD_OBJECTS) $(BENCH_BUILD)/heap_newlib_nano.o $(BENCH_BUILD)/newlib_support.o \
    $(BENCH_PEER_BOARD_OBJECTS) $(CAIRN_LDSCRIPTS)
	$(call bench_link,--specs=nano.specs)

$(BENCH_NEWLIB_ELF): $(BENCH_WORKLOAD_OBJECTS) $(BENCH_BUILD)/heap_newlib_full.o $(BENCH_BUILD)/newlib_support.o \
    $(BENCH_PEER_BOARD_OBJECTS) $(CAIRN_LDSCRIPTS)
	$(call bench_link,)

# --- Size probes: the same small program, per allocator ---------------------------
# size-none: no allocator use. size-LEVEL-ALLOC: LEVEL 1 malloc+free,
# 2 malloc/free/calloc/realloc/posix_memalign.

$(BENCH_BUILD)/size_probe_%.o: $(BENCH_DIR)/size_probe.c $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(TARGET_CC) $(TARGET_CFLAGS) -DBENCH_PROBE=$* -c -o $@ $<

$(BENCH_BUILD)/size-none.elf: $(BENCH_BUILD)/size_probe_0.o $(BOARD_OBJECTS) $(CAIRN_LDSCRIPTS)
	$(call bench_link,)
$(BENCH_BUILD)/size-%-cairn-$(ALLOCATOR).elf: $(BENCH_BUILD)/size_probe_%.o $(CAIRN_OBJECTS) $(BOARD_OBJECTS) $(CAIRN_LDSCRIPTS)
	$(call bench_link,)
$(BENCH_BUILD)/size-%-newlib-nano.elf: $(BENCH_BUILD)/size_probe_%.o $(BENCH_BUILD)/newlib_support.o \
    $(BENCH_PEER_BOARD_OBJECTS) $(CAIRN_LDSCRIPTS)
	$(call bench_link,--specs=nano.specs)
$(BENCH_BUILD)/size-%-newlib.elf: $(BENCH_BUILD)/size_probe_%.o $(BENCH_BUILD)/newlib_support.o \
    $(BENCH_PEER_BOARD_OBJECTS) $(CAIRN_LDSCRIPTS)
	$(call bench_link,)

# name=path pairs this configuration builds. The newlib builds do not
# depend on ALLOCATOR, so only the slab configuration builds them.
BENCH_FIRMWARE = cairn-$(ALLOCATOR)=$(BENCH_CAIRN_ELF) \
    size-1-cairn-$(ALLOCATOR)=$(BENCH_BUILD)/size-1-cairn-$(ALLOCATOR).elf \
    size-2-cairn-$(ALLOCATOR)=$(BENCH_BUILD)/size-2-cairn-$(ALLOCATOR).elf
ifeq ($(ALLOCATOR),slab)
BENCH_FIRMWARE += newlib-nano=$(BENCH_NANO_ELF) newlib=$(BENCH_NEWLIB_ELF) \
    size-none=$(BENCH_BUILD)/size-none.elf \
    $(foreach level,1 2,$(foreach peer,newlib-nano newlib,size-$(level)-$(peer)=$(BENCH_BUILD)/size-$(level)-$(peer).elf))
endif

.PHONY: bench bench-smoke bench-worst bench-firmware bench-paths

bench-firmware: $(foreach f,$(BENCH_FIRMWARE),$(lastword $(subst =, ,$(f))))

bench-paths:
	@$(foreach f,$(BENCH_FIRMWARE),echo '$(subst =, ,$(f))';)

# --- Running ---------------------------------------------------------------------

bench: deps
	python3 $(CAIRN_ROOT)/scripts/bench.py --make '$(BENCH_MAKE)' --timeout $(BENCH_QEMU_TIMEOUT) \
	    --markdown $(CAIRN_ROOT)/BENCHMARKS.md --chart $(BENCH_DIR)/chart.svg --arena-chart $(BENCH_DIR)/arena-chart.svg \
	    $(BENCH_ARGS)

bench-worst: deps
	python3 $(CAIRN_ROOT)/scripts/bench.py --make '$(BENCH_MAKE)' --timeout $(BENCH_QEMU_TIMEOUT) --worst-only \
	    $(BENCH_WORST_ARGS)

bench-smoke: deps
	BENCH_MAKE='$(BENCH_MAKE)' $(CAIRN_ROOT)/scripts/bench-smoke.sh

# --- Smallest arena ----------------------------------------------------------------
# Dedicated firmware (Benchmarks/arena_*.c, BENCHMARKS.md "Smallest arena"):
# one run gives the allocator an arena of the bytes named on the command
# line and runs one workload; scripts/arena.py bisects the bytes. Scale
# "large" on mps2-an386, "small" on microbit.
BENCH_ARENA_SMALL_mps2-an386 := 0
BENCH_ARENA_SMALL_microbit := 1
# The buffer each firmware cuts its probes' arenas from: the largest arena
# it can test. On microbit as much as fits in 16 KiB beside the 2 KiB
# stack, the static data and the workloads' table (the board's linker
# script refuses the link when RAM overflows); full newlib's static data
# (reentrancy structure, bin table) is about 2 KiB larger than the others'.
BENCH_ARENA_BYTES_mps2-an386_cairn-slab := 262144
BENCH_ARENA_BYTES_mps2-an386_newlib-nano := 262144
BENCH_ARENA_BYTES_mps2-an386_newlib := 262144
BENCH_ARENA_BYTES_microbit_cairn-slab := 11264
BENCH_ARENA_BYTES_microbit_newlib-nano := 12288
BENCH_ARENA_BYTES_microbit_newlib := 10240
bench_arena_bytes = $(BENCH_ARENA_BYTES_$(BOARD)_$(1))
# The arena firmware is built in a configuration of its own (own build
# directory), with Cairn's static heap array, which cairn_init_region
# replaces, shrunk to the least Cairn's build accepts: its RAM goes to the
# buffer. No PAGE_SIZE or LARGEST_CLASS: Cairn picks them for each region,
# unless they are given on the command line (make bench-arena PAGE_SIZE=256).
BENCH_ARENA_HEAP_SIZE ?= 1024

BENCH_ARENA_ALLOCATORS := cairn-slab newlib-nano newlib
BENCH_ARENA_BUILD = $(BENCH_BUILD)/arena
BENCH_ARENA_CFLAGS = $(BENCH_CFLAGS) -DBENCH_ARENA_SMALL=$(BENCH_ARENA_SMALL_$(BOARD))
# The arena objects also depend on their own flags, which rules.mk's stamp
# does not see.
BENCH_ARENA_STAMP = $(BENCH_ARENA_BUILD)/flags.stamp
BENCH_ARENA_FLAGS_TEXT = $(BENCH_ARENA_CFLAGS) $(foreach a,$(BENCH_ARENA_ALLOCATORS),$(call bench_arena_bytes,$(a)))
$(BENCH_ARENA_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(BENCH_ARENA_FLAGS_TEXT)' | cmp -s - $@ || echo '$(BENCH_ARENA_FLAGS_TEXT)' > $@

BENCH_ARENA_DEPS = $(BENCH_DIR)/arena.h $(CAIRN_ROOT)/Board/common/xorshift32.h $(BENCH_ARENA_STAMP) $(CAIRN_FLAGS_STAMP)

$(BENCH_ARENA_BUILD)/%.o: $(BENCH_DIR)/%.c $(BENCH_ARENA_DEPS)
	@mkdir -p $(@D)
	$(TARGET_CC) $(BENCH_ARENA_CFLAGS) -c -o $@ $<

$(BENCH_ARENA_BUILD)/arena_heap_cairn.o: $(BENCH_DIR)/arena_heap_cairn.c $(BENCH_ARENA_DEPS) \
    $(CAIRN_INCLUDE)/cairn.h $(CAIRN_INCLUDE)/cairn_geometry.h
	@mkdir -p $(@D)
	$(TARGET_CC) $(BENCH_ARENA_CFLAGS) -DBENCH_ARENA_BYTES=$(call bench_arena_bytes,cairn-slab) -c -o $@ $<

$(BENCH_ARENA_BUILD)/heap_newlib_nano.o: $(BENCH_DIR)/arena_heap_newlib.c $(BENCH_ARENA_DEPS)
	@mkdir -p $(@D)
	$(TARGET_CC) $(BENCH_ARENA_CFLAGS) -DBENCH_NEWLIB_NANO -c -o $@ $<

$(BENCH_ARENA_BUILD)/heap_newlib_full.o: $(BENCH_DIR)/arena_heap_newlib.c $(BENCH_ARENA_DEPS)
	@mkdir -p $(@D)
	$(TARGET_CC) $(BENCH_ARENA_CFLAGS) -c -o $@ $<

$(BENCH_ARENA_BUILD)/sbrk_newlib_nano.o: $(BENCH_DIR)/newlib_support.c $(BENCH_ARENA_DEPS)
	@mkdir -p $(@D)
	$(TARGET_CC) $(BENCH_ARENA_CFLAGS) -DBENCH_ARENA_BYTES=$(call bench_arena_bytes,newlib-nano) -c -o $@ $<

$(BENCH_ARENA_BUILD)/sbrk_newlib_full.o: $(BENCH_DIR)/newlib_support.c $(BENCH_ARENA_DEPS)
	@mkdir -p $(@D)
	$(TARGET_CC) $(BENCH_ARENA_CFLAGS) -DBENCH_ARENA_BYTES=$(call bench_arena_bytes,newlib) -c -o $@ $<

BENCH_ARENA_COMMON = $(addprefix $(BENCH_ARENA_BUILD)/,arena_main.o arena_blocks.o arena_workloads.o arena_swift_like.o)
bench_arena_elf = $(BENCH_BUILD)/arena-$(1).elf

$(call bench_arena_elf,cairn-slab): $(BENCH_ARENA_COMMON) $(BENCH_ARENA_BUILD)/arena_heap_cairn.o \
    $(CAIRN_OBJECTS) $(BOARD_OBJECTS) $(CAIRN_LDSCRIPTS)
	$(call bench_link,)

$(call bench_arena_elf,newlib-nano): $(BENCH_ARENA_COMMON) $(BENCH_ARENA_BUILD)/heap_newlib_nano.o \
    $(BENCH_ARENA_BUILD)/sbrk_newlib_nano.o $(BENCH_PEER_BOARD_OBJECTS) $(CAIRN_LDSCRIPTS)
	$(call bench_link,--specs=nano.specs)

$(call bench_arena_elf,newlib): $(BENCH_ARENA_COMMON) $(BENCH_ARENA_BUILD)/heap_newlib_full.o \
    $(BENCH_ARENA_BUILD)/sbrk_newlib_full.o $(BENCH_PEER_BOARD_OBJECTS) $(CAIRN_LDSCRIPTS)
	$(call bench_link,)

.PHONY: bench-arena bench-arena-firmware bench-arena-paths bench-arena-elfs bench-arena-elf-paths

# The public targets re-enter make in the arena configuration; the -elf
# targets do the work there.
BENCH_ARENA_MAKE = $(BENCH_MAKE) BOARD=$(BOARD) ALLOCATOR=slab CHECKED=0 HEAP_SIZE=$(BENCH_ARENA_HEAP_SIZE)

bench-arena-firmware:
	@$(BENCH_ARENA_MAKE) bench-arena-elfs

bench-arena-paths:
	@$(BENCH_ARENA_MAKE) -s bench-arena-elf-paths

bench-arena-elfs: $(foreach a,$(BENCH_ARENA_ALLOCATORS),$(call bench_arena_elf,$(a)))

bench-arena-elf-paths:
	@$(foreach a,$(BENCH_ARENA_ALLOCATORS),echo '$(a) $(call bench_arena_elf,$(a)) $(call bench_arena_bytes,$(a))';)

bench-arena: deps
	python3 $(CAIRN_ROOT)/scripts/bench.py --make '$(BENCH_MAKE)' --arena-only $(BENCH_ARENA_ARGS)
