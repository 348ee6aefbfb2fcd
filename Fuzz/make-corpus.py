#!/usr/bin/env python3
"""Writes the seed corpus of the allocator fuzzer (`make fuzz-corpus`).

Each seed is a small program in the input format decoded by
Tests/CairnTests/Regressions/Program/FuzzProgram.swift: a header, then
operations. The seeds only give libFuzzer a start in each corner (tiny and
large regions, explicit classes, large fit-heap blocks, bump marks, bad
frees); it finds the rest. The file names are historical (slab-runs seeds
the blocks that were page runs before the fit heap served them). Usage: make-corpus.py OUTPUT_DIRECTORY
"""
import os
import sys

# Opcodes (operation byte % 16), as in FuzzSlabRun.step / FuzzBumpRun.step.
MALLOC, ALLOCATE, FREE, REALLOC, MEMALIGN, CALLOC, ALIGNED_ALLOC = 0, 2, 3, 5, 6, 7, 8
SLAB_FREE_ALL, SLAB_THIN_OR_RECONFIGURE, SLAB_BURST = 9, 10, 11
SLAB_DOUBLE_FREE, SLAB_INTERIOR_FREE, BAD_FREE, SLAB_CHECK = 12, 13, 14, 15
# Checked builds only (a release build reads them as SLAB_DOUBLE_FREE):
# one byte past a live block then free; write into a quarantined block
# (takes an offset byte).
CHECKED_OVERFLOW, CHECKED_WRITE_AFTER_FREE = 0x10 | 12, 0x20 | 12
# Slab: a heap overflow (FuzzSlabAttack.swift): `target, count, word
# selectors...`; the run then continues in the reduced mode, whose
# operations are OVERFLOW_MALLOC size, OVERFLOW_FREE selector and
# OVERFLOW_AGAIN target count selectors...
OVERFLOW = 0xFF
OVERFLOW_MALLOC, OVERFLOW_FREE, OVERFLOW_AGAIN = 0, 2, 3
BUMP_RESET, BUMP_MARK, BUMP_DOUBLE_FREE, BUMP_REWIND = 9, 10, 12, 15
BUMP, EXPLICIT_CLASSES = 0x01, 0x06


def quarantine(slots):
    """Flags bits 5-7: quarantine slots of a checked slab (FuzzProgram.quarantineSlots)."""
    return [8, 0, 1, 2, 3, 5, 8, 16].index(slots) << 5


def size(n):
    """A request size (FuzzBytes.size)."""
    if n == "max":
        return [0xC0]
    if n < 64:
        return [n]
    if n < 1 << 14:
        return [0x40 | n >> 8, n & 0xFF]
    assert n < 1 << 22
    return [0x80 | n >> 16, n >> 8 & 0xFF, n & 0xFF]


def align(a):
    """An alignment (FuzzBytes.alignment); 3 is not a power of two."""
    return [0xF3] if a == 3 else [a.bit_length() - 1]


def header(flags=0, region_exp=5, region_frac=0, page_exp=4, largest=64, offset=0):
    """Region 2 KiB << region_exp (+ frac * 64), page 64 << page_exp,
    largest class largest * page / 128."""
    return [flags, region_exp, region_frac, page_exp, largest, offset]


def ops(*items):
    out = []
    for item in items:
        out += item
    return out


SEEDS = {
    # 64 KiB, 1 KiB pages, classes to 512: the firmware default.
    "slab-default": header(region_exp=5, page_exp=4, largest=64) + ops(
        [MALLOC] + size(24), [MALLOC] + size(0), [MALLOC] + size(100), [MALLOC] + size(512),
        [MALLOC] + size(513), [MALLOC] + size(3000), [FREE, 1], [REALLOC, 0] + size(40),
        [REALLOC, 2] + size(9000), [CALLOC] + size(3) + size(33), [MEMALIGN] + align(64) + size(48),
        [ALIGNED_ALLOC] + align(16) + size(8), [SLAB_CHECK], [FREE, 3], [FREE, 0],
        [SLAB_THIN_OR_RECONFIGURE, 1], [SLAB_FREE_ALL, 1]),
    # 2 KiB with 64-byte pages: fills up at once, then out of memory.
    "slab-tiny": header(region_exp=0, page_exp=0, largest=128, offset=13) + ops(
        [SLAB_BURST, 31] + size(8), [SLAB_BURST, 8] + size(60), [MALLOC] + size(200),
        [FREE, 5], [FREE, 9], [MALLOC] + size(8), [SLAB_FREE_ALL, 2], [MALLOC] + size(700)),
    # Explicit classes 12, 20, 44, 72 on 256-byte pages: only 72 is 8-aligned.
    "slab-explicit": header(flags=EXPLICIT_CLASSES, region_exp=3, page_exp=2) + [3, 2, 1, 5, 6] + ops(
        [MALLOC] + size(10), [ALLOCATE] + size(10) + align(4), [ALLOCATE] + size(16) + align(8),
        [MALLOC] + size(70), [MALLOC] + size(80), [REALLOC, 0] + size(60), [SLAB_CHECK]),
    # Large blocks (the fit heap): big blocks, alignments above the page, grow
    # and shrink in place, a burst that fills the heap.
    "slab-runs": header(region_exp=7, page_exp=2, largest=32, offset=40) + ops(
        [MALLOC] + size(5000), [ALLOCATE] + size(300) + align(4096), [ALLOCATE] + size(40000) + align(65536),
        [REALLOC, 0] + size(20000), [REALLOC, 0] + size(100), [REALLOC, 1] + size(0),
        [MALLOC] + size("max"), [ALLOCATE] + size(64) + align(3), [CALLOC] + size("max") + size(2),
        [FREE, 0], [SLAB_BURST, 20] + size(9000), [SLAB_THIN_OR_RECONFIGURE, 0], [MALLOC] + size(100000)),
    # Bad frees: double, interior (free and realloc), foreign, non-block.
    "slab-misuse": header(region_exp=2, page_exp=3, largest=128) + ops(
        [MALLOC] + size(40), [MALLOC] + size(40), [MALLOC] + size(2000), [SLAB_DOUBLE_FREE, 0],
        [SLAB_INTERIOR_FREE, 0, 0, 3], [SLAB_INTERIOR_FREE, 0x81, 1, 0], [BAD_FREE, 0x02, 0, 0, 0],
        [BAD_FREE, 0x81, 0, 0x10, 0x04], [SLAB_DOUBLE_FREE, 1], [MALLOC] + size(40), [SLAB_CHECK]),
    # Checked build: overflow of class and fit-heap blocks, writes after free
    # (pushed out of quarantine, or out by a full heap), double free in
    # quarantine; one quarantine slot, so the full heap comes soon.
    "slab-checked": header(flags=quarantine(1), region_exp=0, page_exp=0, largest=128) + ops(
        [MALLOC] + size(24), [MALLOC] + size(5), [CHECKED_OVERFLOW, 1], [CHECKED_WRITE_AFTER_FREE, 1, 12],
        [MALLOC] + size(40), [SLAB_DOUBLE_FREE, 1], [MALLOC] + size(200), [CHECKED_OVERFLOW, 1],
        [SLAB_BURST, 31] + size(8), [SLAB_BURST, 31] + size(8), [CHECKED_WRITE_AFTER_FREE, 0, 9],
        [CHECKED_WRITE_AFTER_FREE, 3, 2], [SLAB_CHECK]),
    # Heap overflows: eight 24-byte blocks, four freed, then words past a
    # live block's end and into freed blocks (absolute, relative, all-ones,
    # input words, the old fixed mark), and malloc after each: class blocks
    # (1 KiB pages) and fit-heap blocks (largest class 12).
    "slab-overflow": header(region_exp=5, page_exp=4, largest=64) + ops(
        *([[MALLOC] + size(24)] * 8), [FREE, 1], [FREE, 2], [FREE, 3], [FREE, 4],
        [OVERFLOW, 0, 3, 1, 1, 1], *([[OVERFLOW_MALLOC] + size(24)] * 6),
        [OVERFLOW_AGAIN, 1, 2, 4, 4], [OVERFLOW_MALLOC] + size(24), [OVERFLOW_MALLOC] + size(24),
        [OVERFLOW_FREE, 0], [OVERFLOW_AGAIN, 3, 2, 6, 6], *([[OVERFLOW_MALLOC] + size(24)] * 4),
        [OVERFLOW_AGAIN, 2, 4, 5, 0x12, 0x34, 0x56, 0x78, 2, 7, 3], *([[OVERFLOW_MALLOC] + size(24)] * 4)),
    "slab-overflow-fit": header(region_exp=0, page_exp=2, largest=6) + ops(
        *([[MALLOC] + size(24)] * 8), [FREE, 1], [FREE, 2], [FREE, 3], [FREE, 4],
        [OVERFLOW, 0, 3, 3, 3, 3], *([[OVERFLOW_MALLOC] + size(24)] * 6),
        [OVERFLOW_FREE, 1], [OVERFLOW_AGAIN, 1, 3, 0, 9, 0, 9, 7], [OVERFLOW_FREE, 0], [OVERFLOW_FREE, 0],
        *([[OVERFLOW_MALLOC] + size(24)] * 4), [OVERFLOW_AGAIN, 4, 6, 4, 1, 4, 1, 2, 3],
        *([[OVERFLOW_MALLOC] + size(40)] * 4)),
    # Bump: marks, rewinds (one stale), newest-block realloc and rollback.
    "bump-marks": header(flags=BUMP, region_exp=1, offset=7) + ops(
        [MALLOC] + size(10), [BUMP_MARK], [MALLOC] + size(100), [REALLOC, 1] + size(300),
        [BUMP_MARK], [ALLOCATE] + size(5) + align(64), [BUMP_REWIND, 0], [BUMP_REWIND, 1],
        [FREE, 0], [BUMP_DOUBLE_FREE, 0], [MALLOC] + size(0), [REALLOC, 0] + size(0),
        [CALLOC] + size(4) + size(4), [BUMP_RESET], [MALLOC] + size(1)),
    # Bump: out of memory, hostile sizes, bad frees.
    "bump-exhaust": header(flags=BUMP | 0x08, region_exp=0) + ops(
        [MALLOC] + size(1000), [MALLOC] + size(1000), [MALLOC] + size(100), [MALLOC] + size("max"),
        [MEMALIGN] + align(2) + size(8), [ALIGNED_ALLOC] + align(3) + size(8), [ALLOCATE] + size(1) + align(4096),
        [BAD_FREE, 0x00, 0, 0, 0], [BAD_FREE, 0x80, 0, 1, 0], [SLAB_INTERIOR_FREE, 0, 0, 9]),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes(data))
    print(f"{len(SEEDS)} seeds in {out}")


if __name__ == "__main__":
    main()
