#!/usr/bin/env python3
"""Stated worst case of each C allocation entry point, in instructions,
derived from the built firmware.

Reads `arm-none-eabi-objdump -d -l` and `arm-none-eabi-nm` of an ELF that
links Cairn (the benchmark firmware), finds the C symbols malloc, free,
posix_memalign, realloc and calloc, follows their calls and tail branches
through the call graph, builds the control-flow graph of every function
reached, and computes the longest path from entry to return in executed
instructions (a call costs its `bl` plus the callee's longest path). Every
loop must have a bound in LOOP_BOUNDS below, matched by the function it is
in (after inlining, the name the line table gives its header); a loop
without one stops the analysis with its function and source line, so that
a new loop in the allocator cannot go unbounded unnoticed. A loop entered
many times inside another may instead share a total across it (the
reclaim's walks of every class's lists).

The figure counts every instruction on the path, the ones an IT block
skips included (QEMU's -icount counts those too), so a measured call
through the same path never exceeds it. What is left out, on purpose:

- realloc's copy (memcpy/memmove) and calloc's zeroing (memset): excluded
  calls, stated per byte apart (BENCHMARKS.md);
- indirect calls (`blx rN`): allowed only in the functions INDIRECT_CALLERS
  names, the misuse report's call of the misuse handler, which prints (the
  console's time, not the allocator's); the rest of the path is counted;
- the heap's set-up (SETUP_CALLS): done before main by the C shim's
  constructor, so no allocation reaches it, and the retry after it
  (ASSUMED_FALSE: heapWasUnconfigured() answers false).

A copy or fill of a constant size that the compiler emits (a struct copy)
is counted, with its loops bounded by that size, under every entry point.

Standard library only. Usage:
  scripts/wcet.py ELF [--board mps2-an386] [--json | --largest [--bytes N]] [--list-loops]
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts

ENTRY_POINTS = ["malloc", "free", "posix_memalign", "realloc", "calloc"]
# Calls whose cost is stated per byte, per entry point, instead of counted.
EXCLUDED_CALLS = {
    "realloc": {"memcpy", "memmove", "__aeabi_memcpy", "__aeabi_memmove"},
    "calloc": {"memset", "__aeabi_memset", "__aeabi_memclr"},
}
# Functions no allocation reaches once the heap is set up before main
# (cairn_hooks.c's constructor): the set-up itself. A substring of the
# (mangled) symbol.
SETUP_CALLS = ["configurePlatformHeap"]
# Functions that answer false (0) on every call once the heap is set up
# before main: the analysis follows only the branch their false answer
# takes (found in the few instructions after the call: `cbz`/`cbnz r0`,
# `cmp r0, #0` or `lsls r0, r0, #31` and a `beq`/`bne`). Where no such test
# is found, both ways are followed. A substring of the (mangled) symbol.
ASSUMED_FALSE = ["heapWasUnconfigured"]
# Functions allowed an indirect call or branch (`blx rN`, or `bx rN` with no
# literal target), which the analysis cannot follow: the misuse report's
# call of the misuse handler (it prints; reached only on a bad pointer),
# which the bump allocator makes from its free and the heap router from a
# free it refuses (a tail call the line table leaves in the router); and
# the calls into the regions after the first (`cairn_add_region`), whose
# table is set only when a firmware adds one: the stated figures are for a
# heap of one region (each added region can add its own path, the same
# code over another allocator). Anywhere else an indirect call stops the
# analysis. A substring of the demangled name: the symbol's, or the
# inlined function's that the line table gives.
INDIRECT_CALLERS = ["reportMisuse(", "MisuseReport.send(", "BumpAllocator.deallocate(", "HeapRouter.deallocate<", "RoutedPlatformHeap.deallocate(",
                    "allocateInOtherRegions(", "otherRegion(holding:", "freeOutsideArena(",
                    "OutOfLineHeap.resizeOrMeasure(", "OutOfLineHeap.usableSize(", "OutOfLineHeap.deallocate("]

# --- Loop bounds ---------------------------------------------------------------
#
# One entry per loop: (code, bound, why[, (scope, total)]). `code` is a
# substring of the demangled name of the function the loop is written in:
# the line table's (inlined) function at the loop's header, or else the
# function symbol holding it (a loop written in a function that is inlined
# elsewhere carries that function's name). An entry may bound several loops
# (the same function inlined twice); a loop that no entry names stops the
# analysis with its function and source line. `bound` is an expression of
# GEOMETRY (below), and for a library copy or fill of a constant size, of
# `n`, its bytes: the most times the loop's header runs each time the loop
# is entered (its iterations plus the test that leaves it).
#
# A loop entered many times inside another may share a total instead: with
# (scope, total), across one run of the loop `scope` names (an entry's
# code), this loop's header runs at most `total` times in all, however
# often it is entered. Inside that scope it is counted once per entry and
# its longest pass `total` times more, once; anywhere else, with `bound`.
LOOP_BOUNDS = [
    # Slab allocator (Sources/Cairn/Slab/).
    ("SlabAllocator.refillAndAllocate(", "2",
     "tries once, and once more after reclaimPages when that gave something back"),
    ("SlabAllocator.sizeClassSearch(", "classes + 1",
     "walks up from the looked-up class to the first whose block size meets the alignment"),
    ("SlabAllocator.reclaimPages(", "classes + 1", "every size class once",
     # It runs at most once per refill (refillAndAllocate's `reclaimed`).
     ("SlabAllocator.refillAndAllocate(", "classes + 1")),
    ("SlabAllocator.walkFreeList(", "blocks + 2",
     "a page's free list or a class's cache, cut at blocksPerPage + 1 links",
     # In the reclaim, one class's cache each (cachedBlocks): at most its
     # own page's blocks, + 2.
     ("SlabAllocator.reclaimPages(", "class_blocks + 2 * classes")),
    # Fit heap (Sources/Cairn/FitHeap/).
    ("FitHeap.bestFit(", "ownBinLook + 1", "the first ownBinLook blocks of one bin"),
    # Only when a check of a free block fails (FitHeap+LinkChecks.swift),
    # at most twice a search: every bin once, to abandon those it reaches.
    ("FitHeap.abandonBins(", "first_levels * second_levels + 1", "every bin"),
    ("FitHeap.findCheckedFreeBlock(", "3", "a search, and one more after a damaged block"),
    # The C library's copy and fill, where the compiler calls them for a
    # value of constant size `n` (newlib's memcpy-armv7m.S on Armv7-M,
    # its generic memcpy.c on Armv6-M): function@file:line of the header.
    # (Lines 113 and 135 are the Armv7-M build's block loops, 117 and 139
    # the Armv8-M Mainline build's, which copies with ldrd/strd.)
    ("memcpy@memcpy-armv7m.S:113", "n // 64 + 1", "64-byte blocks"),
    ("memcpy@memcpy-armv7m.S:117", "n // 64 + 1", "64-byte blocks"),
    ("memcpy@memcpy-armv7m.S:135", "min(n, 63) // 16 + 1", "16-byte blocks of the last 63 bytes"),
    ("memcpy@memcpy-armv7m.S:139", "min(n, 63) // 16 + 1", "16-byte blocks of the last 63 bytes"),
    ("memcpy@memcpy-armv7m.S:155", "min(n, 15) // 4 + 1", "words of the last 15 bytes"),
    ("memcpy@memcpy-armv7m.S:310", "min(n, 7) + 1", "bytes of a misaligned copy under 8 bytes"),
    ("memcpy@memcpy.c:81", "n // 16 + 1", "16-byte blocks"),
    ("memcpy@memcpy.c:91", "min(n, 15) // 4 + 1", "words of the last 15 bytes"),
    ("memcpy@memcpy.c:101", "min(n, 15) + 1", "bytes: the last 3, or all of a copy under 16 bytes"),
    # newlib's generic memmove.c (both cores): only realloc's copy calls it
    # with a size that is not a constant, from one live block to another,
    # both aligned to 8 bytes. They do not overlap, so the backward loop
    # never iterates, and the byte loop copies at most the last 3 bytes.
    ("memmove@memmove.c:93", "1", "bytes, backwards: only when the blocks overlap"),
    ("memmove@memmove.c:109", "n // 16 + 1", "16-byte blocks, both ends word-aligned"),
    ("memmove@memmove.c:119", "min(n, 15) // 4 + 1", "words of the last 15 bytes"),
    ("memmove@memmove.c:130", "min(n, 3) + 1", "the last 3 bytes (a misaligned copy would be all n)"),
    # newlib's generic memset.c (both cores).
    ("memset@memset.c:54", "min(n, 3) + 2", "bytes up to the first word boundary"),
    ("memset@memset.c:74", "n // 16 + 1", "16-byte blocks"),
    ("memset@memset.c:83", "min(n, 15) // 4 + 1", "words of the last 15 bytes"),
    ("memset@memset.c:93", "min(n, 3) + 1", "the last 3 bytes (a fill under 4 bytes, or the tail)"),
]
# The smallest size class (SlabConfiguration's standard classes start at 8).
SMALLEST_CLASS = 8
SOURCES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Sources", "Cairn")


def source_constant(name):
    """The integer a `static let <name> = ...` in Sources/Cairn sets: the
    bounds follow the code's own constants."""
    pattern = re.compile(rf"static let {name}(?:: \w+)? = (\d+)\b")
    for folder, _, files in sorted(os.walk(SOURCES)):
        for file in sorted(files):
            if file.endswith(".swift"):
                m = pattern.search(open(os.path.join(folder, file)).read())
                if m:
                    return int(m.group(1))
    raise AnalysisError(f"no `static let {name} = <integer>` in {SOURCES}")


def geometry(config, classes):
    """The names a bound may use, from the board's heap (bench.py's
    board_config), its class list and the allocator's constants."""
    page, largest, heap = config["page"], config["largest"], config["heap"]
    tail = source_constant("pageTail")          # PageDescriptor.pageTail
    return {
        "page": page,                                   # class-page bytes
        "largest": largest,                             # largest size class
        "heap": heap,                                   # heap bytes
        "pages": heap // page,                          # pages in the heap
        "classes": len(classes),                        # size classes
        "blocks": (page - tail) // SMALLEST_CLASS,      # most blocks in a class page
        "class_blocks": sum((page - tail) // c for c in classes),  # one page of every class
        "ownBinLook": source_constant("ownBinLook"),    # FitHeap.ownBinLook
        "first_levels": min(32, heap.bit_length()),     # fit-heap first levels, at most
        "second_levels": 1 << source_constant("secondLevelShift"),  # FitHeap.secondLevelCount
        "min": min,
    }


# --- Disassembly ---------------------------------------------------------------

class Instruction:
    __slots__ = ("address", "size", "mnemonic", "operands", "function", "line")

    def __init__(self, address, mnemonic, operands, function, line):
        self.address, self.mnemonic, self.operands = address, mnemonic, operands
        self.function, self.line = function, line
        self.size = 2


def tool(name):
    return os.environ.get("CROSS_PREFIX", "arm-none-eabi-") + name


def demangler(names):
    """mangled -> readable, through swift-demangle when it is there."""
    names = sorted(set(names))
    try:
        out = subprocess.run(["swift-demangle", "--simplified", "--compact"], input="\n".join(names) + "\n",
                             text=True, capture_output=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return {}
    return dict(zip(names, out)) if len(out) == len(names) else {}


def read_symbols(elf):
    """Function symbols: address -> (name, size), from nm (objdump hides
    Embedded Swift's `$e...` names, which look like Arm mapping symbols)."""
    out = subprocess.run([tool("nm"), "-S", "-n", "--defined-only", elf], text=True, capture_output=True,
                         check=True).stdout
    functions = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "TtWw":
            address, size, name = int(parts[0], 16) & ~1, int(parts[1], 16), parts[3]
            if size:
                functions.setdefault(address, (name, size))
    return functions


INSTRUCTION = re.compile(r"^\s*([0-9a-f]+):\t([0-9a-f]{4}(?: [0-9a-f]{4})?)\s*\t(\S+)(?:\t(.*))?$")
DATA = re.compile(r"^\s*([0-9a-f]+):\t([0-9a-f]+)\s*\t(\.\w+)\t(\S+)")
SOURCE = re.compile(r"^(/\S+|\S+\.\w+):(\d+)")
INLINED = re.compile(r"^(\S+)\(\):$")


def read_code(elf):
    """address -> Instruction, and address -> word for literal data. Each
    instruction carries the line table's function and file:line."""
    out = subprocess.run([tool("objdump"), "-d", "-l", elf], text=True, capture_output=True, check=True).stdout
    code, words, data_bytes = {}, {}, {}
    function, line = "?", None
    for text in out.splitlines():
        m = DATA.match(text)
        if m:
            address, value = int(m.group(1), 16), int(m.group(4), 16)
            if m.group(3) == ".word":
                words[address] = value
            width = {".word": 4, ".short": 2, ".byte": 1}.get(m.group(3), 0)
            for i in range(width):   # little-endian bytes, for jump tables
                data_bytes[address + i] = (value >> (8 * i)) & 0xFF
            continue
        m = INSTRUCTION.match(text)
        if m:
            address, raw, mnemonic, operands = int(m.group(1), 16), m.group(2), m.group(3), (m.group(4) or "")
            operands = operands.split("\t@")[0].split(";")[0].strip()
            ins = Instruction(address, mnemonic, operands, function, line)
            ins.size = 2 * len(raw.split())   # one or two halfwords
            code[address] = ins
            continue
        m = INLINED.match(text)
        if m:
            function = m.group(1)
            continue
        m = SOURCE.match(text)
        if m:
            line = f"{os.path.basename(m.group(1))}:{m.group(2)}"
            continue
        if text.endswith(">:"):
            function, line = text.split("<", 1)[1][:-2], None
    return code, words, data_bytes


# --- Control flow --------------------------------------------------------------

CONDITIONS = "eq|ne|cs|cc|hs|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le"
BRANCH = re.compile(rf"^b({CONDITIONS})?(\.n|\.w)?$")
POP_PC = re.compile(rf"^(pop|ldmia)({CONDITIONS})?(\.w)?$")
BX = re.compile(rf"^bx({CONDITIONS})?(\.n)?$")
CALL = re.compile(rf"^blx?({CONDITIONS})?(\.w)?$")
TARGET = re.compile(r"^([0-9a-f]+)\b")
# The C library's copy and fill: called by the compiler for values of
# constant size, whose loops are bounded by that size (`n`).
LIBRARY_COPIES = {"memcpy", "memmove", "memset", "__aeabi_memcpy", "__aeabi_memcpy4", "__aeabi_memmove",
                  "__aeabi_memset", "__aeabi_memclr", "__aeabi_memclr4"}
# Register holding the byte count at a call of each.
COUNT_REGISTER = {"__aeabi_memset": "r1", "__aeabi_memclr": "r1", "__aeabi_memclr4": "r1"}


class AnalysisError(Exception):
    pass


class Program:
    def __init__(self, elf, env):
        self.symbols = read_symbols(elf)
        self.code, self.words, self.data_bytes = read_code(elf)
        self.by_name = {name: address for address, (name, _) in self.symbols.items()}
        self.readable = demangler([n for n, _ in self.symbols.values()] + [i.function for i in self.code.values()])
        self.env = env
        self.scope_codes = {entry[3][0] for entry in LOOP_BOUNDS if len(entry) > 3}
        self.cache = {}
        self.in_progress = set()
        self.used_bounds = set()
        self.loops = set()        # (entry, function, line, bound, iteration)
        self.calls = set()        # (entry, caller, callee)
        self.excluded = set()     # (entry, callee): the copies and fills left out
        self.indirect = set()     # (entry, function) with an indirect call or branch
        self.list_loops = False   # --list-loops: a missing bound counts 1 and is listed
        self.unbounded = set()
        self.current = None

    def pretty(self, name):
        return self.readable.get(name, name)

    def name(self, address):
        return self.symbols[address][0] if address in self.symbols else f"0x{address:x}"

    def containing(self, address):
        for start, (name, size) in self.symbols.items():
            if start <= address < start + size:
                return name
        return "?"

    def function_range(self, start):
        if start not in self.symbols:
            raise AnalysisError(f"branch to 0x{start:x}, which starts no function")
        return start, start + self.symbols[start][1]

    def previous(self, ins, count=8):
        """Up to `count` instructions before `ins` in straight-line order."""
        out, address = [], ins.address
        for _ in range(count):
            prev = self.code.get(address - 2) or self.code.get(address - 4)
            if prev is None or prev.address + prev.size != address:
                break
            if (BRANCH.match(prev.mnemonic) or prev.mnemonic in ("cbz", "cbnz") or POP_PC.match(prev.mnemonic)
                    or prev.mnemonic.startswith("bl")):
                break   # a call clobbers r0-r3
            out.append(prev)
            address = prev.address
        return out

    @staticmethod
    def writes(prev, register):
        """True when `prev` may write `register`."""
        if prev.operands.startswith(register + ","):
            return True
        multiple = prev.mnemonic.startswith(("ldm", "pop", "ldrd", "umull", "smull", "umlal", "smlal"))
        return multiple and re.search(rf"\b{register}\b", prev.operands) is not None

    def literal(self, ins, register):
        """The word a `ldr register, [pc, #n]` shortly before `ins` loads."""
        for prev in self.previous(ins):
            if self.writes(prev, register):
                if prev.mnemonic.startswith("ldr") and "[pc" in prev.operands:
                    m = re.search(r"#(\d+)\]", prev.operands)
                    base = (prev.address + 4) & ~3
                    return self.words.get(base + (int(m.group(1)) if m else 0))
                return None
        return None

    def constant(self, ins, register):
        """The constant a `mov register, #n` shortly before `ins` sets."""
        for prev in self.previous(ins):
            if self.writes(prev, register):
                m = re.match(r"^movs?(\.w)?$|^movw$", prev.mnemonic) and re.search(r"#(\d+)$", prev.operands)
                return int(m.group(1)) if m else None
        return None

    def successors(self, ins, lo, hi):
        """[(kind, target)]: 'jump' (inside the function), 'call', 'tail'
        (a branch to another function), 'return', 'stop' (a trap),
        'indirect' (a call or branch through a register)."""
        m, ops = ins.mnemonic, ins.operands
        nxt = ins.address + ins.size
        if m in ("cbz", "cbnz"):
            target = int(TARGET.match(ops.split(",")[1].strip()).group(1), 16)
            return [("jump", target), ("jump", nxt)]
        b = BRANCH.match(m)
        if b:
            target = int(TARGET.match(ops).group(1), 16)
            out = [("jump", target)] if lo <= target < hi else [("tail", target)]
            return out + ([("jump", nxt)] if b.group(1) else [])
        if CALL.match(m) and TARGET.match(ops):
            return [("call", int(TARGET.match(ops).group(1), 16)), ("jump", nxt)]
        if m.startswith("blx") and ops.startswith("r"):
            return [("indirect", None), ("jump", nxt)]
        if m.startswith("bl"):
            raise AnalysisError(f"unhandled call {m} {ops} at 0x{ins.address:x}")
        x = BX.match(m)
        if x:
            if ops == "lr":
                out = [("return", None)]
            else:
                word = self.literal(ins, ops)
                out = [("tail", word & ~1)] if word is not None else [("indirect-tail", None)]
            return out + ([("jump", nxt)] if x.group(1) else [])
        p = POP_PC.match(m)
        if p and "pc" in ops:
            return [("return", None)] + ([("jump", nxt)] if p.group(2) else [])
        if m.startswith(("udf", "bkpt")):
            return [("stop", None)]
        if m in ("tbb", "tbh"):
            return [("jump", t) for t in self.jump_table(ins, lo, hi)]
        if ops.split(",")[0].strip() == "pc" and not m.startswith(("str", "cmp")):
            raise AnalysisError(f"unhandled control flow {m} {ops} at 0x{ins.address:x} in "
                                f"{self.pretty(self.name(lo))}")
        return [("jump", nxt)]

    def jump_table(self, ins, lo, hi):
        """Targets of a tbb/tbh: its table follows it and ends where code
        resumes; every entry that lands on an instruction of the function is
        a target (a last entry may be padding)."""
        table = ins.address + 4
        end = min([a for a in self.code if a > ins.address] + [hi])
        step = 1 if ins.mnemonic == "tbb" else 2
        targets = set()
        for at in range(table, end - step + 1, step):
            if any(at + i not in self.data_bytes for i in range(step)):
                break
            offset = sum(self.data_bytes[at + i] << (8 * i) for i in range(step))
            target = table + 2 * offset
            if lo <= target < hi and target in self.code and target >= end:
                targets.add(target)
        if not targets:
            raise AnalysisError(f"jump table at 0x{ins.address:x} with no target")
        return sorted(targets)

    def cost(self, start, entry, n=None):
        """Longest path of the function at `start` (entry to return,
        inclusive), or None when no path returns."""
        return self.cost_and_claims(start, entry, n, frozenset())[0]

    def cost_and_claims(self, start, entry, n, scopes):
        """(longest path, claims): `scopes` are the LOOP_BOUNDS codes of the
        loops the path is inside, whose shared totals are open; a loop
        counted against one of them runs once here and claims its pass
        (claims: entry index -> longest pass), which that scope's loop adds
        `total` times."""
        key = (start, entry, n, scopes)
        if key in self.cache:
            return self.cache[key]
        if key in self.in_progress:
            raise AnalysisError(f"recursion through {self.pretty(self.name(start))}")
        self.in_progress.add(key)
        caller, self.current = self.current, self.name(start)
        try:
            opened = scopes
            while True:
                try:
                    result = self.walk(start, entry, n, opened)
                    break
                except Reopen as reopen:
                    # A loop here is the scope of shared totals: the whole
                    # function again, with it open.
                    opened = opened | {reopen.scope}
            stray = [i for i in result[1] if LOOP_BOUNDS[i][3][0] in opened - scopes]
            if stray:
                raise AnalysisError(f"{LOOP_BOUNDS[stray[0]][0]} runs outside the loop its total is shared in "
                                    f"({LOOP_BOUNDS[stray[0]][3][0]}), in {self.pretty(self.name(start))}")
        finally:
            self.current = caller
            self.in_progress.discard(key)
        self.cache[key] = result
        return result

    def callee_cost(self, ins, target, entry, n, scopes):
        """(cost, claims) of a call or tail branch to `target` from `ins`:
        0 for an excluded call and the set-up, None for a callee that never
        returns."""
        name = self.name(target)
        self.calls.add((entry, self.current, name))
        if any(s in name for s in SETUP_CALLS):
            return 0, {}
        if name in LIBRARY_COPIES and self.current not in LIBRARY_COPIES:
            # A copy or fill of a constant size is counted with that size;
            # of any other size, it is the excluded copy or fill of realloc
            # or calloc, or an error.
            n = self.constant(ins, COUNT_REGISTER.get(name, "r2"))
            if n is None:
                if name in EXCLUDED_CALLS.get(entry, ()):
                    self.excluded.add((entry, name))
                    return 0, {}
                raise AnalysisError(f"{name} of a size that is not a constant at 0x{ins.address:x} in "
                                    f"{self.pretty(self.current)}")
        return self.cost_and_claims(target, entry, n, scopes)

    def forced_branches(self, lo, hi):
        """Conditional branch -> the one successor kept: the way an
        ASSUMED_FALSE call's false answer goes."""
        forced = {}
        for a in range(lo, hi, 2):
            ins = self.code.get(a)
            if ins is None or not CALL.match(ins.mnemonic) or not TARGET.match(ins.operands):
                continue
            callee = self.name(int(TARGET.match(ins.operands).group(1), 16))
            if not any(name in callee for name in ASSUMED_FALSE):
                continue
            tested, at = False, a + ins.size
            for _ in range(4):
                nxt = self.code.get(at)
                if nxt is None:
                    break
                m, ops = nxt.mnemonic, nxt.operands.replace(" ", "")
                if m in ("cbz", "cbnz") and ops.startswith("r0,"):
                    target = int(TARGET.match(ops.split(",")[1]).group(1), 16)
                    forced[at] = target if m == "cbz" else at + nxt.size
                    break
                if (m.startswith("cmp") and ops == "r0,#0") or (m.startswith("lsls") and ops == "r0,r0,#31"):
                    tested = True
                elif tested and BRANCH.match(m) and BRANCH.match(m).group(1) in ("eq", "ne"):
                    target = int(TARGET.match(nxt.operands).group(1), 16)
                    forced[at] = target if BRANCH.match(m).group(1) == "eq" else at + nxt.size
                    break
                elif ops.startswith("r0,") or BRANCH.match(m):
                    break
                at += nxt.size
        return forced

    def walk(self, start, entry, n, scopes):
        lo, hi = self.function_range(start)
        forced = self.forced_branches(lo, hi)
        # Nodes: instruction addresses; weight: the instruction and its callee.
        weight, edges, exits, claims = {}, {}, {}, {}
        work, seen = [start], set()
        while work:
            a = work.pop()
            if a in seen:
                continue
            seen.add(a)
            ins = self.code.get(a)
            if ins is None or not lo <= a < hi:
                raise AnalysisError(f"path runs off {self.pretty(self.name(start))} at 0x{a:x}")
            w, out, ends, trapped, mine = 1, [], None, False, {}
            for kind, target in self.successors(ins, lo, hi):
                if kind == "jump":
                    out.append(target)
                elif kind == "call":
                    c, cl = self.callee_cost(ins, target, entry, n, scopes)
                    if c is None:
                        trapped = True
                    else:
                        w += c
                        merge(mine, cl)
                elif kind == "tail":
                    c, cl = self.callee_cost(ins, target, entry, n, scopes)
                    if c is not None:
                        ends = max(ends or 0, c)
                        merge(mine, cl)
                elif kind == "return":
                    ends = max(ends or 0, 0)
                elif kind in ("indirect", "indirect-tail"):
                    caller = self.pretty(self.current)
                    # The symbol, or the inlined function the line table names.
                    where = (caller, self.pretty(ins.function))
                    if not any(name in w for name in INDIRECT_CALLERS for w in where):
                        raise AnalysisError(f"indirect call or branch at 0x{a:x} in {caller}, "
                                            "which INDIRECT_CALLERS does not allow")
                    self.indirect.add((entry, caller))
                    if kind == "indirect-tail":
                        ends = max(ends or 0, 0)
            if trapped:
                out, ends = [], None
            if a in forced:
                out = [forced[a]]
            weight[a], edges[a], claims[a] = w, out, mine
            if ends is not None:
                exits[a] = ends
            work.extend(out)
        return self.longest(start, weight, edges, exits, claims, entry, n, scopes)

    def longest(self, start, weight, edges, exits, claims, entry, n, scopes):
        """(longest entry-to-exit path, claims), every loop collapsed into
        one node of its bounded cost, innermost first."""
        while True:
            loop = innermost_loop(start, edges)
            if loop is None:
                break
            header, body = loop
            ins = self.code[header]
            bound, key, index = self.bound_for(ins, n, body)
            if key in self.scope_codes and key not in scopes:
                raise Reopen(key)
            # One pass: from the header to a back edge's source, in the body.
            inner = {a: [b for b in edges[a] if b in body and b != header] for a in body}
            best = longest_from(header, weight, inner)
            iteration = max(best[a] for a in body if header in edges[a] and a in best)
            leaving = max([best[a] + exits.get(a, 0) for a in body
                           if a in best and (a in exits or any(b not in body for b in edges[a]))] + [0])
            # Claims of loops whose total is shared in this one: their
            # passes, `total` times in all, once.
            held, shared = {}, 0
            for a in body:
                merge(held, claims.get(a, {}))
            for i in [i for i in held if LOOP_BOUNDS[i][3][0] == key]:
                shared += self.total(i, n) * held.pop(i)
            budgeted = index is not None and len(LOOP_BOUNDS[index]) > 3 and LOOP_BOUNDS[index][3][0] in scopes
            if budgeted:
                # Counted against an enclosing loop's total: one pass here.
                cost = leaving + shared
                held[index] = max(held.get(index, 0), iteration)
                shown = f"1, +{self.total(index, n)} in all"
            else:
                cost = (bound - 1) * iteration + leaving + shared
                shown = bound
            self.loops.add((entry, key, ins.line, shown, iteration))
            out = sorted({b for a in body for b in edges[a] if b not in body})
            has_exit = any(a in exits for a in body)
            for a in body:
                if a != header:
                    del weight[a], edges[a]
                    exits.pop(a, None)
                    claims.pop(a, None)
            # The collapsed node's weight already holds the leaving path's
            # exit cost; leaving by a plain exit edge costs no more.
            weight[header] = cost
            edges[header] = out
            claims[header] = held
            if has_exit:
                exits[header] = 0
            else:
                exits.pop(header, None)
        best = longest_from(start, weight, edges)
        ends = [best[a] + exits[a] for a in exits if a in best]
        held = {}
        for a in claims:
            merge(held, claims[a])
        return (max(ends) if ends else None), held

    def total(self, index, n):
        env = dict(self.env, n=n if n is not None else 0)
        return int(eval(LOOP_BOUNDS[index][3][1], {"__builtins__": {}}, env))

    def bound_for(self, ins, n, body):
        where = self.pretty(ins.function)
        holder = self.pretty(self.containing(ins.address))

        def matches(name):
            found = []
            for i, bound_entry in enumerate(LOOP_BOUNDS):
                function, _, at = bound_entry[0].partition("@")
                if function in name and (not at or at == ins.line):
                    found.append(i)
            return found

        # The header's function; else the one entry the body's functions
        # name (where they name several, as when loops nested in the body
        # were inlined, the one the symbol holding the loop names); else
        # the symbol holding the loop.
        found = matches(where)
        if not found:
            names = {self.pretty(self.code[a].function) for a in body}
            found = sorted({i for name in names for i in matches(name)})
            if len(found) > 1:
                found = [i for i in matches(holder) if i in found] or found
            found = found or matches(holder)
        if len(found) != 1:
            if self.list_loops:
                self.unbounded.add((where, holder, ins.line))
                return 1, where, None
            what = "no bound" if not found else "more than one bound"
            raise AnalysisError(f"loop with {what} in LOOP_BOUNDS: header 0x{ins.address:x} in {where} "
                                f"(in {holder}, {ins.line})")
        self.used_bounds.add(found[0])
        env = dict(self.env, n=n if n is not None else 0)
        if n is None and re.search(r"\bn\b", LOOP_BOUNDS[found[0]][1]):
            raise AnalysisError(f"loop in {where} ({ins.line}) is bounded by a size that is not known here")
        return int(eval(LOOP_BOUNDS[found[0]][1], {"__builtins__": {}}, env)), LOOP_BOUNDS[found[0]][0], found[0]


class Reopen(Exception):
    """A loop that is the scope of shared totals was met with them closed."""

    def __init__(self, scope):
        super().__init__(scope)
        self.scope = scope


def merge(claims, more):
    """Claims: entry index -> longest pass, the larger kept."""
    for i, passes in more.items():
        claims[i] = max(claims.get(i, 0), passes)


def longest_from(start, weight, edges):
    """Heaviest path from `start` to each node of an acyclic graph."""
    best = {start: weight[start]}
    for a in topological(start, edges):
        if a not in best:
            continue
        for b in edges[a]:
            best[b] = max(best.get(b, -1), best[a] + weight[b])
    return best


def dominators(start, edges):
    nodes = topological(start, edges, allow_cycles=True)
    preds = {a: [] for a in nodes}
    for a in nodes:
        for b in edges[a]:
            preds[b].append(a)
    dom = {a: set(nodes) for a in nodes}
    dom[start] = {start}
    changed = True
    while changed:
        changed = False
        for a in nodes:
            if a == start:
                continue
            new = set.intersection(*(dom[p] for p in preds[a])) | {a} if preds[a] else {a}
            if new != dom[a]:
                dom[a], changed = new, True
    return dom, preds


def innermost_loop(start, edges):
    """(header, body) of a natural loop that contains no other loop's
    header, or None. Loops sharing a header are one loop."""
    dom, preds = dominators(start, edges)
    back = [(a, h) for a in dom for h in edges[a] if h in dom[a]]
    retreating = [(a, h) for a in dom for h in edges[a] if h not in dom[a] and reaches(h, a, edges)]
    if not back:
        if retreating:
            raise AnalysisError(f"irreducible control flow: a retreating edge 0x{retreating[0][0]:x} -> 0x{retreating[0][1]:x}")
        return None
    loops = {}
    for a, h in back:
        body = loops.setdefault(h, {h})
        stack = [a]
        while stack:
            n = stack.pop()
            if n not in body:
                body.add(n)
                stack.extend(preds[n])
    for h, body in sorted(loops.items(), key=lambda item: len(item[1])):
        if not any(other != h and other in body for other in loops):
            return h, body
    raise AnalysisError("no innermost loop")


def reaches(a, b, edges):
    stack, seen = [a], set()
    while stack:
        n = stack.pop()
        if n == b:
            return True
        if n not in seen:
            seen.add(n)
            stack.extend(edges[n])
    return False


def topological(start, edges, allow_cycles=False):
    order, state = [], {}
    stack = [(start, iter(edges[start]))]
    state[start] = 1
    while stack:
        node, it = stack[-1]
        for b in it:
            if state.get(b) == 1 and not allow_cycles:
                raise AnalysisError(f"cycle left after collapsing loops at 0x{b:x}")
            if b not in state:
                state[b] = 1
                stack.append((b, iter(edges[b])))
                break
        else:
            stack.pop()
            state[node] = 2
            order.append(node)
    return order[::-1]


# --- Driver ----------------------------------------------------------------------

def analyse(elf, board, list_loops=False):
    """Stated worst case of each entry point in `elf`, built for `board`."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bench
    config = bench.board_config(board)
    env = geometry(config, bench.standard_classes(config["page"], config["largest"]))
    program = Program(elf, env)
    program.list_loops = list_loops
    stated, problems = {}, []
    for entry in ENTRY_POINTS:
        if entry not in program.by_name:
            problems.append(f"{entry}: no such symbol")
            continue
        try:
            stated[entry] = program.cost(program.by_name[entry], entry)
        except AnalysisError as error:
            problems.append(f"{entry}: {error}")
    # The excluded copy and fill, per byte: their longest path for n bytes
    # is a + b * n (every loop bound above is linear in n, or capped).
    per_byte = {}
    for entry, name in sorted(program.excluded):
        try:
            small = program.cost(program.by_name[name], "copy", 0)
            large = program.cost(program.by_name[name], "copy", 1 << 16)
        except AnalysisError as error:
            problems.append(f"{entry}'s {name}: {error}")
            continue
        known = per_byte.get(entry)
        if known is None or large > known["fixed"] + known["per_byte"] * (1 << 16):
            per_byte[entry] = {"function": name, "fixed": small, "per_byte": (large - small) / (1 << 16)}
    problems += [f"loop with no bound: {f} in {h} ({l})" for f, h, l in sorted(program.unbounded)]
    # Bounds of Cairn's own loops that no loop used: the code changed. (The
    # C library's are per core.)
    unused = [LOOP_BOUNDS[i][0] for i in range(len(LOOP_BOUNDS))
              if i not in program.used_bounds and "@" not in LOOP_BOUNDS[i][0]]
    env = {k: v for k, v in env.items() if k != "min"}
    return {"board": board, "stated": stated, "copy": per_byte, "problems": problems, "unused_bounds": unused,
            "geometry": env, "indirect": sorted(program.indirect),
            "loops": [{"entry": e, "function": f, "line": l, "bound": b, "iteration": i}
                      for e, f, l, b, i in sorted(program.loops, key=str)]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("elf")
    parser.add_argument("--board", default="mps2-an386", help="board whose heap geometry bounds the loops")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--largest", action="store_true",
                        help="print only the largest stated figure of the entry points the ELF has")
    parser.add_argument("--bytes", type=int, default=0,
                        help="with --largest: realloc and calloc copy or fill this many bytes (their excluded "
                             "routine's stated cost for that many is added)")
    parser.add_argument("--list-loops", action="store_true",
                        help="count a loop with no bound as one pass and list it, instead of stopping")
    args = parser.parse_args()
    result = analyse(args.elf, args.board, args.list_loops)
    if args.largest:
        # A firmware need not link all five; a failed analysis is still fatal.
        problems = [p for p in result["problems"] if not p.endswith("no such symbol")]
        for p in problems:
            print(f"wcet: {p}", file=sys.stderr)
        if problems or not result["stated"]:
            return 1
        stated = dict(result["stated"])
        for entry, c in result["copy"].items():
            if entry in stated:
                stated[entry] += c["fixed"] + math.ceil(c["per_byte"] * args.bytes)
        print(max(stated.values()))
        return 0
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(f"stated worst case, instructions ({args.board}, {os.path.basename(args.elf)}):")
        for entry in ENTRY_POINTS:
            print(f"  {entry}: {result['stated'].get(entry, '—')}")
        for entry, c in result["copy"].items():
            print(f"  {entry}'s {c['function']}: {c['fixed']} + {c['per_byte']:.3f} per byte")
        print("loops (bound x longest pass):")
        for loop in result["loops"]:
            print(f"  {loop['entry']}: {loop['function']} ({loop['line']}): {loop['bound']} x {loop['iteration']}")
        for entry, function in result["indirect"]:
            print(f"indirect call or branch (the misuse handler, not counted): {function} under {entry}")
        for name in result["unused_bounds"]:
            print(f"bound that matched no loop: {name}")
        for p in result["problems"]:
            print(f"wcet: {p}")
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
