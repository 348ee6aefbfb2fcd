# Fuzzing, sanitizers and the coverage floor (host only). Included by the
# top-level Makefile after the other mk files; uses CAIRN_ROOT.
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_FLAGS=...]  run libFuzzer on the allocators
#   make fuzz-checked [FUZZ_SECONDS=60] ...       the same on the checked build (-D CAIRN_CHECKED)
#   make fuzz-smoke                               short bounded runs of both builds on the committed corpus (for `make test`)
#   make fuzz-repro FUZZ_INPUT=file [CHECKED=1]   replay one input (a crash artifact) with a readable trace
#   make fuzz-corpus                              regenerate the seed corpus in Fuzz/corpus
#   make test-asan                                host tests under AddressSanitizer
#   make coverage                                 host tests with coverage; fails below coverage-floor.txt
#
# The fuzz target is one executable: the allocator sources (not Firmware/,
# which is target-only), the reference model shared with the randomized
# tests (Tests/CairnTests/Model), the fuzz program shared with the
# regression tests (Tests/CairnTests/Regressions/Program) and the libFuzzer
# entry point.
# New corpus entries go to build/fuzz/corpus (checked: corpus-checked),
# crashes to build/fuzz/artifacts (checked ones named checked-crash-...);
# the committed seeds in Fuzz/corpus are only read. A checked input is a
# different program (the model expects the checked allocator and decodes its
# misuse operations), so replay a checked artifact with CHECKED=1.

FUZZ_SECONDS ?= 60
FUZZ_FLAGS ?=
# Inputs up to a few hundred operations, from the start: libFuzzer's default
# length control would keep them to a handful of operations for minutes.
FUZZ_MAX_LEN ?= 1024
FUZZ_LEN_FLAGS = -max_len=$(FUZZ_MAX_LEN) -len_control=0
# Per build: fuzz-smoke runs the release and the checked fuzzer one after the
# other, so it takes about twice this (plus building them).
FUZZ_SMOKE_SECONDS ?= 18
FUZZ_SMOKE_RUNS ?= 200000

FUZZ_DIR := $(CAIRN_ROOT)/build/fuzz
FUZZ_BIN := $(FUZZ_DIR)/allocator-fuzzer
FUZZ_DEBUG_BIN := $(FUZZ_DIR)/allocator-fuzzer-debug
FUZZ_CHECKED_BIN := $(FUZZ_DIR)/allocator-fuzzer-checked
FUZZ_CHECKED_DEBUG_BIN := $(FUZZ_DIR)/allocator-fuzzer-checked-debug
FUZZ_SEEDS := $(CAIRN_ROOT)/Fuzz/corpus
FUZZ_SOURCES := $(filter-out %/Firmware/%,$(wildcard $(CAIRN_ROOT)/Sources/Cairn/*/*.swift)) \
    $(wildcard $(CAIRN_ROOT)/Tests/CairnTests/Model/*.swift) \
    $(wildcard $(CAIRN_ROOT)/Tests/CairnTests/Regressions/Program/*.swift) \
    $(CAIRN_ROOT)/Fuzz/AllocatorFuzzer.swift
# The allocator imports CairnPlatform for the geometry rule (static inline
# functions in cairn_geometry.h): its headers and module map, no C objects.
FUZZ_HEADERS := $(wildcard $(CAIRN_ROOT)/Sources/CairnPlatform/include/*)
# lld: gold warns about every ASan symbol it cannot export. -g in both builds
# for symbolised traces; the debug build (-Onone) keeps every check and frame.
FUZZ_SWIFTC_FLAGS := -sanitize=fuzzer,address -parse-as-library -g -use-ld=lld \
    -D CAIRN_FUZZER -module-name CairnFuzz -I $(CAIRN_ROOT)/Sources/CairnPlatform/include
# The Swift runtime's backtracer reads raw memory and trips ASan; libFuzzer
# and ASan print the trace instead.
FUZZ_ENV := SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:abort_on_error=0

.PHONY: fuzz fuzz-checked fuzz-build fuzz-smoke fuzz-repro fuzz-corpus test-asan coverage

$(FUZZ_BIN): $(FUZZ_SOURCES) $(FUZZ_HEADERS)
	@mkdir -p $(@D)
	$(SWIFTC) $(FUZZ_SWIFTC_FLAGS) -O -o $@ $(FUZZ_SOURCES)

$(FUZZ_DEBUG_BIN): $(FUZZ_SOURCES) $(FUZZ_HEADERS)
	@mkdir -p $(@D)
	$(SWIFTC) $(FUZZ_SWIFTC_FLAGS) -Onone -o $@ $(FUZZ_SOURCES)

$(FUZZ_CHECKED_BIN): $(FUZZ_SOURCES) $(FUZZ_HEADERS)
	@mkdir -p $(@D)
	$(SWIFTC) $(FUZZ_SWIFTC_FLAGS) -D CAIRN_CHECKED -O -o $@ $(FUZZ_SOURCES)

$(FUZZ_CHECKED_DEBUG_BIN): $(FUZZ_SOURCES) $(FUZZ_HEADERS)
	@mkdir -p $(@D)
	$(SWIFTC) $(FUZZ_SWIFTC_FLAGS) -D CAIRN_CHECKED -Onone -o $@ $(FUZZ_SOURCES)

fuzz-build: $(FUZZ_BIN) $(FUZZ_CHECKED_BIN)

# $(call fuzz-run,binary,corpus directory,artifact prefix)
fuzz-run = mkdir -p $(FUZZ_DIR)/$(2) $(FUZZ_DIR)/artifacts && \
    $(FUZZ_ENV) $(1) -max_total_time=$(FUZZ_SECONDS) $(FUZZ_LEN_FLAGS) -print_final_stats=1 \
    -artifact_prefix=$(FUZZ_DIR)/artifacts/$(3) $(FUZZ_FLAGS) $(FUZZ_DIR)/$(2) $(FUZZ_SEEDS)

fuzz: $(FUZZ_BIN)
	$(call fuzz-run,$(FUZZ_BIN),corpus,)

fuzz-checked: $(FUZZ_CHECKED_BIN)
	$(call fuzz-run,$(FUZZ_CHECKED_BIN),corpus-checked,checked-)

# Bounded in time and runs, release build then checked build; libFuzzer
# exits non-zero on the first finding, and so does the target. New inputs go
# to scratch directories, so each run starts from the seeds.
# $(call fuzz-smoke-run,binary,name)
fuzz-smoke-run = rm -rf $(FUZZ_DIR)/smoke-corpus$(2) && mkdir -p $(FUZZ_DIR)/smoke-corpus$(2) $(FUZZ_DIR)/artifacts && \
    $(FUZZ_ENV) $(1) -max_total_time=$(FUZZ_SMOKE_SECONDS) -runs=$(FUZZ_SMOKE_RUNS) $(FUZZ_LEN_FLAGS) \
    -seed=1 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/artifacts/smoke$(2)- \
    $(FUZZ_DIR)/smoke-corpus$(2) $(FUZZ_SEEDS)

fuzz-smoke: $(FUZZ_BIN) $(FUZZ_CHECKED_BIN)
	@echo "fuzz-smoke: release build"
	$(call fuzz-smoke-run,$(FUZZ_BIN),)
	@echo "fuzz-smoke: checked build"
	$(call fuzz-smoke-run,$(FUZZ_CHECKED_BIN),-checked)

FUZZ_REPRO_BIN := $(if $(filter 1,$(CHECKED)),$(FUZZ_CHECKED_DEBUG_BIN),$(FUZZ_DEBUG_BIN))

fuzz-repro: $(FUZZ_REPRO_BIN)
	@test -n "$(FUZZ_INPUT)" || { echo "usage: make fuzz-repro FUZZ_INPUT=build/fuzz/artifacts/crash-... [CHECKED=1]"; exit 2; }
	$(FUZZ_ENV) $(FUZZ_REPRO_BIN) $(FUZZ_INPUT)
	@echo "as a regression test$(if $(filter 1,$(CHECKED)), (checked build: inside #if CAIRN_CHECKED)):"; \
	    $(CAIRN_ROOT)/Fuzz/bytes-to-swift.sh $(FUZZ_INPUT)

fuzz-corpus:
	python3 $(CAIRN_ROOT)/Fuzz/make-corpus.py $(FUZZ_SEEDS)

# --- Sanitizers -----------------------------------------------------------------
# A separate scratch path: the sanitized build does not throw away the normal
# one. Leak detection is off because XCTest itself leaks (a weak reference
# per test case, the test names) and LeakSanitizer would fail every run.
# There is no UBSan run: this toolchain refuses `--sanitize=undefined` for
# x86_64-unknown-linux-gnu ("unsupported option"); Swift's own overflow and
# bounds traps stay on in the debug build the tests use.

test-asan:
	cd $(CAIRN_ROOT) && ASAN_OPTIONS=detect_leaks=0 swift test --sanitize=address --scratch-path .build-asan

# --- Coverage floor ------------------------------------------------------------

# The floor is checked even when a test fails (from what ran), and the target
# fails if either did.
coverage:
	@cd $(CAIRN_ROOT) && rm -f .build-coverage/*/debug/codecov/*.profraw; \
	swift test --enable-code-coverage --scratch-path .build-coverage; tests=$$?; \
	scripts/coverage-floor.sh "$$(swift test --show-codecov-path --scratch-path .build-coverage)" || exit 1; \
	exit $$tests
