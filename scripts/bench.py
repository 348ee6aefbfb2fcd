#!/usr/bin/env python3
"""Runs Cairn's benchmarks under QEMU and writes the results.

Builds the benchmark firmware for every board and allocator (through make),
runs each workload on each allocator with `-icount shift=6,align=off,
sleep=off`, measures flash with arm-none-eabi-size, measures the smallest
arena of the memory workloads (scripts/arena.py), prints the tables, and
replaces the results section of BENCHMARKS.md and the charts. With
--arena-only it measures the smallest arenas alone and prints their tables;
given --markdown too, it replaces only their section. Standard library
only. Called by `make bench` and `make bench-arena`; see mk/bench.mk.
"""
import argparse
import concurrent.futures
import os
import re
import shlex
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
import arena  # noqa: E402
import chart_legend  # noqa: E402
import report_section  # noqa: E402
import worst  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOARDS = ["mps2-an386", "microbit", "mps2-an505"]
# Boards the smallest-arena measure has a scale for (mk/bench.mk).
ARENA_BOARDS = ["mps2-an386", "microbit"]
ALLOCATORS = ["cairn-slab", "cairn-bump", "newlib-nano", "newlib"]
# (id, run name, title, series timed, bump runs it)
WORKLOADS = [
    ("1", "pair", "16-byte malloc/free pair", "alloc+free", True),
    ("2", "fifo", "blocks of 1..N bytes, freed FIFO", "alloc+free", True),
    ("3", "lifo", "blocks of 1..N bytes, freed LIFO", "alloc+free", True),
    ("4a", "realloc-in-place", "realloc grows in place (17 to 20 bytes)", "realloc", True),
    ("4b", "realloc-moving", "realloc grows, must move (16 to 200 bytes)", "realloc", True),
    ("5", "churn", "random churn, 8..256 bytes", "alloc+free", False),
    ("6", "mixed-churn", "random churn, 1 in 16 large", "alloc+free", False),
    ("7", "swift", "Embedded Swift (posix_memalign/free)", "alloc+free", False),
    ("8", "bound", "worst-case memory adversary", "alloc+free", False),
    ("9", "run-bound", "large-block adversary", "alloc+free", False),
]
# Runs outside the workload table: the hooks' own cost (Cairn builds only).
HOOK_RUN = "hooks"
HOOK_ALLOCATORS = ["cairn-slab", "cairn-bump"]
EXTRA_RUNS = {"swift": ["swift-total"]}
BEGIN = "<!-- bench:results:begin -->"
END = "<!-- bench:results:end -->"

# Targets for Cairn on the Cortex-M4 (mps2-an386), through the C hooks.
FAST_WORKLOADS = {"1", "2", "3", "5"}


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout


def build(make, board, allocator):
    base = shlex.split(make) + [f"BOARD={board}", f"ALLOCATOR={allocator}"]
    proc = subprocess.run(base + ["bench-firmware"], text=True, capture_output=True, cwd=ROOT)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"bench: building {board}/{allocator} failed")
    paths = {}
    for line in run(base + ["-s", "bench-paths"], cwd=ROOT).splitlines():
        name, path = line.split()
        paths[name] = path
    return paths


def qemu(board, elf, workload, timeout):
    env = dict(os.environ, ICOUNT="1")
    # QEMU hands the firmware its kernel path with the command line, and the
    # firmware's scan of that line costs instructions per character: run it
    # beside the ELF under its bare name, so that the instruction count (and
    # with it the counter's phase, which decides the rounding on microbit)
    # does not depend on where the repository is checked out.
    proc = subprocess.run([os.path.join(ROOT, "scripts/qemu-run.sh"), board, os.path.basename(elf), str(timeout),
                           "-append", workload],
                          text=True, capture_output=True, env=env, cwd=os.path.dirname(elf))
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            fields = dict(item.split("=", 1) for item in line.split()[1:])
            fields["exit"] = proc.returncode
            return fields
    return {"exit": proc.returncode, "error": (proc.stdout + proc.stderr)[-500:]}


def flash_bytes(elf):
    out = run(["arm-none-eabi-size", "-A", elf])
    total = 0
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] in (".vectors", ".text", ".rodata", ".init_array", ".data"):
            total += int(parts[1])
    return total


def summarise(result, series):
    """Average and worst instructions per timed call of the workload."""
    names = ["realloc"] if series == "realloc" else ["alloc", "free"]
    ops = sum(int(result[f"{n}_ops"]) for n in names)
    total = sum(int(result[f"{n}_total"]) for n in names)
    return {
        "ops": ops,
        "avg": total / ops if ops else None,
        "worst": max(int(result[f"{n}_worst"]) for n in names),
        "warm": max(int(result[f"{n}_warm_worst"]) for n in names),
        "alloc_avg": int(result["alloc_total"]) / int(result["alloc_ops"]) if int(result["alloc_ops"]) else None,
        "free_avg": int(result["free_total"]) / int(result["free_ops"]) if int(result["free_ops"]) else None,
        "failures": sum(int(result[f"{n}_failures"]) for n in ("alloc", "free", "realloc")),
        "ratio": int(result["peak_arena"]) / int(result["peak_requested"]) if int(result["peak_requested"]) else None,
        "peak_arena": int(result["peak_arena"]),
        "peak_requested": int(result["peak_requested"]),
        "overhead": int(result["overhead_x100"]) / 100 if "overhead_x100" in result else None,
        "setup": int(result["setup"]),
        "status": int(result["status"]),
        "result": result,
    }


# Bytes at a class page's end that hold no block (PageDescriptor.pageTail).
PAGE_TAIL = 20


def standard_classes(page, largest):
    sizes, size = [], 8
    while size <= min(page - PAGE_TAIL, largest) and len(sizes) < 64:
        sizes.append(size)
        power = 1 << (size.bit_length() - 1)
        size += max(4, power >> 2)
    return sizes


def class_bound_pages(live, page, largest, alignment):
    """Upper bound on class pages for live bytes <= `live` (BENCHMARKS.md)."""
    pages, smallest = 0, 1
    for size in standard_classes(page, largest):
        if size % alignment:
            continue
        per_page = (page - PAGE_TAIL) // size
        pages += live // (per_page * smallest) + 1
        smallest = size + 1
    return pages


def run_bound_pages(live, page, largest):
    """First fit's guarantee, for comparison (BENCHMARKS.md; not Cairn's bound):
    (M / S + 1) * (ceil(log2(n / S)) + 1) pages."""
    pages = max(1, -(-largest // page))
    return (live // page + 1) * ((pages - 1).bit_length() + 1)


def hook_costs(result):
    """Per-call averages of the hooks run: instructions of each callee."""
    rounds = int(result["hook_rounds"])
    avg = {k: int(result[f"{k}_total"]) / rounds
           for k in ("empty", "critical", "hook_malloc", "hook_free", "direct_malloc", "direct_free")}
    avg["section"] = avg["critical"] - avg["empty"]
    avg["malloc_hook"] = avg["hook_malloc"] - avg["direct_malloc"]
    avg["free_hook"] = avg["hook_free"] - avg["direct_free"]
    return avg


def geometry_for_heap(heap):
    """Page size and largest class Cairn picks for a heap of `heap` bytes,
    asked of the one place that rule is written (cairn_geometry.h) by
    compiling it into a two-line host program."""
    include = os.path.join(ROOT, "Sources/CairnPlatform/include")
    source = ('#include <stdio.h>\n#include "cairn_geometry.h"\n'
              f'int main(void) {{ printf("%d %d\\n", (int)CAIRN_PAGE_SIZE_FOR_HEAP({heap}), '
              f'(int)CAIRN_LARGEST_CLASS_FOR_HEAP({heap})); return 0; }}\n')
    with tempfile.TemporaryDirectory() as scratch:
        program = os.path.join(scratch, "geometry")
        subprocess.run(["cc", "-I", include, "-x", "c", "-o", program, "-"], input=source, text=True, check=True)
        page, largest = run([program]).split()
    return int(page), int(largest)


def board_config(board):
    """The timing firmware's heap: HEAP_SIZE from the board's make file, and
    PAGE_SIZE / LARGEST_CLASS from it where it sets them, else Cairn's rule."""
    text = open(os.path.join(ROOT, "mk", f"board-{board}.mk")).read()
    get = lambda key: (lambda m: int(m.group(1)) if m else None)(re.search(rf"^{key} \?= (\d+)", text, re.M))
    heap = get("HEAP_SIZE")
    page, largest = geometry_for_heap(heap)
    return {"page": get("PAGE_SIZE") or page, "largest": get("LARGEST_CLASS") or largest, "heap": heap}


def fmt(value, digits=1):
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def evaluate_targets(rows, sizes):
    """Each target for Cairn on mps2-an386: (text, met, measured)."""
    m = {(r["allocator"], r["id"]): r for r in rows if r["board"] == "mps2-an386"}
    out = []
    for wid in sorted(FAST_WORKLOADS):
        r = m.get(("cairn-slab", wid))
        if r:
            out.append((f"W{wid} slab avg ≤ 25", r["avg"] <= 25, f"{r['avg']:.1f}"))
            out.append((f"W{wid} slab worst ≤ 40", r["worst"] <= 40, f"{r['worst']} (warm {r['warm']})"))
    s, n = m.get(("cairn-slab", "5")), m.get(("newlib-nano", "5"))
    if s and n:
        out.append(("W5 slab ≥ 4x fewer than newlib-nano", n["avg"] >= 4 * s["avg"], f"{n['avg'] / s['avg']:.2f}x"))
    r = m.get(("cairn-slab", "6"))
    if r:
        out.append(("W6 slab avg ≤ 60", r["avg"] <= 60, f"{r['avg']:.1f}"))
    for wid in ("1", "2", "3"):
        r = m.get(("cairn-bump", wid))
        if r:
            out.append((f"W{wid} bump ≤ 10 per alloc", r["alloc_avg"] <= 10, f"{r['alloc_avg']:.1f}"))
    for (alloc, wid), r in sorted(m.items()):
        if not alloc.startswith("cairn") or r["avg"] is None:
            continue
        for peer in ("newlib-nano", "newlib"):
            p = m.get((peer, wid))
            if p and p["avg"] is not None:
                out.append((f"W{wid} {alloc} not slower than {peer}", r["avg"] <= p["avg"],
                            f"{r['avg']:.1f} vs {p['avg']:.1f}"))
    flash = sizes.get(("mps2-an386", "cairn-slab", 2))
    if flash is not None:
        out.append(("flash slab + hooks ≤ 1536 B (armv7em)", flash <= 1536, f"{flash} B"))
    flash = sizes.get(("mps2-an386", "cairn-bump", 2))
    if flash is not None:
        out.append(("flash bump + hooks ≤ 1536 B (armv7em)", flash <= 1536, f"{flash} B"))
    r = m.get(("cairn-slab", "5"))
    if r and r["ratio"] is not None:
        out.append(("W5 slab memory ratio ≤ 1.30", r["ratio"] <= 1.30, f"{r['ratio']:.2f}"))
    return out


def target_cell(row, targets):
    if row["board"] != "mps2-an386" or not row["allocator"].startswith("cairn"):
        return ""
    key = f"W{row['id']} {row['allocator'].split('-')[1]} "
    mine = [t for t in targets if t[0].startswith(key) or t[0].startswith(f"W{row['id']} {row['allocator']} ")]
    if not mine:
        return ""
    missed = [t for t in mine if not t[1]]
    return "met" if not missed else "missed: " + "; ".join(t[0].split(" ", 1)[1] for t in missed)


def tables(rows, sizes, swift, bounds, run_bounds, hooks, targets, arena_text, command):
    lines = []
    for board in BOARDS:
        lines.append(f"### {board}\n")
        lines.append("Instructions per call (entry to return of the C function); memory at the workload's peak.\n")
        lines.append("| W | workload | allocator | calls | avg | worst | warm worst | alloc avg | free avg | fail | "
                     "peak arena / requested | overhead B/block | target |")
        lines.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in rows:
            if r["board"] != board:
                continue
            ratio = "—" if r["ratio"] is None else f"{r['ratio']:.2f} ({r['peak_arena']}/{r['peak_requested']})"
            lines.append(f"| {r['id']} | {r['title']} | {r['allocator']} | {r['ops']} | {fmt(r['avg'])} | {r['worst']} | "
                         f"{r['warm']} | {fmt(r['alloc_avg'])} | {fmt(r['free_avg'])} | {r['failures']} | {ratio} | "
                         f"{fmt(r['overhead'], 2)} | {target_cell(r, targets)} |")
        lines.append("")
        lines.append("Workload 7, whole program (instructions, allocator calls included):\n")
        lines.append("| allocator | workload instructions | in allocator calls | share | allocator calls |")
        lines.append("|---|---:|---:|---:|---:|")
        for (b, alloc), s in swift.items():
            if b == board:
                lines.append(f"| {alloc} | {s['total']} | {s['in_alloc']} | {100 * s['in_alloc'] / s['total']:.1f}% | {s['calls']} |")
        lines.append("")
        lines.append("First call (an impossible malloc, which sets the allocator up):  " +
                     ", ".join(f"{r['allocator']} {r['setup']}" for r in rows
                               if r["board"] == board and r["id"] == "1") + " instructions.\n")
        mine = [(alloc, h) for (b, alloc), h in hooks.items() if b == board]
        if mine:
            lines.append("Critical section and hook cost (instructions per call, warm 16-byte pair; "
                         + ("exact" if board == "mps2-an386" else "averages, each call ±1") + "):\n")
            lines.append("| allocator | empty function | critical section only | critical section | "
                         "malloc (hook) | cairn_swift_malloc | malloc hook adds | "
                         "free (hook) | cairn_swift_free | free hook adds |")
            lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            for alloc, h in sorted(mine, key=lambda x: ALLOCATORS.index(x[0])):
                lines.append(f"| {alloc} | {h['empty']:.1f} | {h['critical']:.1f} | **{h['section']:.1f}** | "
                             f"{h['hook_malloc']:.1f} | {h['direct_malloc']:.1f} | **{h['malloc_hook']:.1f}** | "
                             f"{h['hook_free']:.1f} | {h['direct_free']:.1f} | **{h['free_hook']:.1f}** |")
            lines.append("")
    lines.append("### Flash each allocator adds\n")
    lines.append("Bytes of flash (.vectors, .text, .rodata, .init_array, .data) over the same program "
                 "with no allocator call.\n")
    lines.append("| board | allocator | malloc + free | + calloc, realloc, posix_memalign |")
    lines.append("|---|---|---:|---:|")
    for board in BOARDS:
        for alloc in ALLOCATORS:
            if (board, alloc, 1) in sizes:
                lines.append(f"| {board} | {alloc} | {sizes[(board, alloc, 1)]} | {sizes[(board, alloc, 2)]} |")
    lines.append("")
    lines.append("### Worst-case memory: formula against the adversary (workload 8)\n")
    lines.append("| board | live bytes M | class-page bound (formula) | Cairn slab measured | newlib-nano | newlib |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for board, b in bounds.items():
        lines.append(f"| {board} | {b['live']} | {b['bound']} B ({b['bound'] // b['page']} pages) | "
                     f"{b.get('cairn-slab', '—')} B | {b.get('newlib-nano', '—')} B | {b.get('newlib', '—')} B |")
    lines.append("")
    lines.append("### Worst-case memory for large blocks: the adversary against first fit's guarantee (workload 9)\n")
    lines.append("Arena reached: Cairn, from the start of its lowest block to the end of its highest; newlib, the "
                 "`_sbrk` high-water mark.\n")
    lines.append("| board | live bytes M | largest block n | first fit's guarantee (comparison) | Cairn slab reached | "
                 "newlib-nano | newlib |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for board, b in run_bounds.items():
        lines.append(f"| {board} | {b['live']} | {b['largest']} | {b['bound']} B ({b['bound'] // b['page']} pages) | "
                     + " | ".join(f"{b[a]} B" if a in b else "—" for a in ("cairn-slab", "newlib-nano", "newlib"))
                     + " |")
    lines.append("")
    lines.append(arena_text)
    lines.append("### Targets (Cortex-M4, mps2-an386)\n")
    lines.append("| target | measured | verdict |")
    lines.append("|---|---|---|")
    for text, met, measured in targets:
        lines.append(f"| {text} | {measured} | {'met' if met else '**missed**'} |")
    lines.append("")
    lines.append(f"Command: `{command}`\n")
    return "\n".join(lines)


def chart(rows, path):
    """Grouped bars: average instructions per call, mps2-an386, by workload."""
    data = [r for r in rows if r["board"] == "mps2-an386" and r["avg"] is not None]
    ids = [w[0] for w in WORKLOADS if any(r["id"] == w[0] for r in data)]
    colours = {"cairn-slab": "#1b7837", "cairn-bump": "#7fbf7b", "newlib-nano": "#762a83", "newlib": "#af8dc3"}
    top = max(r["avg"] for r in data)
    width, height, left, bottom, plot_h = 900, 420, 60, 60, 300
    group = (width - left - 20) / len(ids)
    bar = group / (len(ALLOCATORS) + 1)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="15">Average instructions per allocator call, '
           f'Cortex-M4 (mps2-an386, QEMU -icount)</text>']
    step = 10 ** (len(str(int(top))) - 1)
    for tick in range(0, int(top) + step, step):
        y = bottom - 30 + plot_h - plot_h * tick / top + 30
        if tick > top:
            break
        svg.append(f'<line x1="{left}" x2="{width - 20}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        svg.append(f'<text x="{left - 5}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    base = bottom + plot_h
    for gi, wid in enumerate(ids):
        x0 = left + gi * group + bar / 2
        for ai, alloc in enumerate(ALLOCATORS):
            r = next((r for r in data if r["id"] == wid and r["allocator"] == alloc), None)
            if r is None:
                continue
            h = plot_h * r["avg"] / top
            x = x0 + ai * bar
            svg.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar * 0.9:.1f}" height="{h:.1f}" fill="{colours[alloc]}">'
                       f'<title>W{wid} {alloc}: {r["avg"]:.1f}</title></rect>')
            svg.append(f'<text x="{x + bar * 0.45:.1f}" y="{base - h - 3:.1f}" text-anchor="middle" font-size="9">{r["avg"]:.0f}</text>')
        svg.append(f'<text x="{x0 + bar * 2:.1f}" y="{base + 16}" text-anchor="middle">W{wid}</text>')
    svg += chart_legend.legend(ALLOCATORS, colours, left, height)
    svg.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(svg) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--make", default="make", help="make command line for the builds")
    parser.add_argument("--timeout", type=int, default=120)
    parser.add_argument("--markdown", help="file whose results section (with --arena-only: arena section) is replaced")
    parser.add_argument("--chart", help="SVG of the instruction counts")
    parser.add_argument("--arena-chart", help="SVG of the smallest arenas")
    parser.add_argument("--arena-only", action="store_true", help="only the smallest-arena measure")
    parser.add_argument("--arena-allocators", help="comma-separated subset of " + ",".join(arena.ALLOCATORS))
    parser.add_argument("--arena-workloads", help="comma-separated subset of " + ",".join(w[0] for w in arena.WORKLOADS))
    parser.add_argument("--arena-below", type=int, default=arena.BELOW_STEPS,
                        help="sizes tried below each bisected arena's failing neighbour, to catch non-monotone "
                             "cases (0: none; a large number: every size down to the requested peak)")
    parser.add_argument("--worst-only", action="store_true",
                        help="only the worst case per entry point, stated against measured")
    parser.add_argument("--worst-entries", help="comma-separated subset of " + ",".join(worst.RUNS))
    parser.add_argument("--boards", default=",".join(BOARDS))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    boards = args.boards.split(",")
    if args.arena_only:
        return arena_only(args, boards)
    if args.worst_only:
        return worst_only(args, boards)

    firmware = {}
    for board in boards:
        for allocator in ("slab", "bump"):
            print(f"bench: building {board} {allocator}", flush=True)
            for name, path in build(args.make, board, allocator).items():
                firmware[(board, name)] = path

    jobs = []
    for board in boards:
        for alloc in ALLOCATORS:
            for wid, name, title, series, bump_ok in WORKLOADS:
                if alloc == "cairn-bump" and not bump_ok:
                    continue
                for run_name in [name] + EXTRA_RUNS.get(name, []):
                    jobs.append((board, alloc, run_name, firmware[(board, alloc)]))
        for alloc in HOOK_ALLOCATORS:
            jobs.append((board, alloc, HOOK_RUN, firmware[(board, alloc)]))
    print(f"bench: {len(jobs)} runs under QEMU -icount", flush=True)
    results = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(qemu, b, elf, w, args.timeout): (b, a, w) for b, a, w, elf in jobs}
        for future in concurrent.futures.as_completed(futures):
            results[futures[future]] = future.result()

    rows, problems, swift, bounds, run_bounds, hooks = [], [], {}, {}, {}, {}
    for board in boards:
        cfg = board_config(board)
        for wid, name, title, series, bump_ok in WORKLOADS:
            for alloc in ALLOCATORS:
                result = results.get((board, alloc, name))
                if result is None:
                    continue
                if "error" in result or result["exit"] != 0:
                    problems.append(f"{board} {alloc} {name}: exit {result['exit']} {result.get('error', '')}")
                    continue
                row = summarise(result, series)
                row.update(board=board, allocator=alloc, id=wid, title=title)
                if name == "run-bound" and alloc.startswith("cairn"):
                    # Large blocks: the arena the program needs is how far
                    # its blocks reached, not how many bytes were out at once.
                    row["peak_arena"] = int(result["touched"])
                    row["ratio"] = row["peak_arena"] / row["peak_requested"]
                rows.append(row)
                if name == "swift":
                    total = results.get((board, alloc, "swift-total"), {})
                    if "workload_instructions" in total:
                        swift[(board, alloc)] = {"total": int(total["workload_instructions"]),
                                                 "in_alloc": int(result["alloc_total"]) + int(result["free_total"]),
                                                 "calls": row["ops"]}
                if name == "bound":
                    b = bounds.setdefault(board, {"live": row["peak_requested"], "page": cfg["page"]})
                    b["bound"] = cfg["page"] * class_bound_pages(b["live"], cfg["page"], cfg["largest"], 8)
                    b[alloc] = row["peak_arena"]
                if name == "run-bound":
                    b = run_bounds.setdefault(board, {"live": row["peak_requested"], "page": cfg["page"],
                                                      "largest": int(result["largest_request"])})
                    b["bound"] = cfg["page"] * run_bound_pages(b["live"], cfg["page"], b["largest"])
                    b[alloc] = row["peak_arena"]
        for alloc in HOOK_ALLOCATORS:
            result = results.get((board, alloc, HOOK_RUN))
            if result is None:
                continue
            if "error" in result or result["exit"] != 0 or "hook_rounds" not in result:
                problems.append(f"{board} {alloc} {HOOK_RUN}: exit {result['exit']} {result.get('error', '')}")
                continue
            hooks[(board, alloc)] = hook_costs(result)
    sizes = {}
    for board in boards:
        none = firmware.get((board, "size-none"))
        for alloc in ALLOCATORS:
            for level in (1, 2):
                elf = firmware.get((board, f"size-{level}-{alloc}"))
                if elf and none:
                    sizes[(board, alloc, level)] = flash_bytes(elf) - flash_bytes(none)

    cells, _ = measure_arenas(args, [b for b in boards if b in ARENA_BOARDS])
    problems += [p for c in cells for p in c["problems"]]
    worst_rows, analyses, worst_problems = worst.measure(
        worst_targets(boards, lambda board, name: firmware[(board, name)]), qemu, args.timeout, jobs=args.jobs)
    problems += worst_problems

    targets = evaluate_targets(rows, sizes)
    command = "make bench"
    text = tables(rows, sizes, swift, bounds, run_bounds, hooks, targets,
                  arena.section(cells) + "\n" + worst.table(worst_rows, analyses) + "\n", command)
    print(text)
    for p in problems:
        print("bench: FAILED RUN " + p)
    if args.markdown:
        old = open(args.markdown).read() if os.path.exists(args.markdown) else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
        if BEGIN not in old:
            old += f"\n{BEGIN}\n{END}\n"
        head, rest = old.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        with open(args.markdown, "w") as f:
            f.write(f"{head}{BEGIN}\n{text}\n{END}{tail}")
    if args.chart:
        chart(rows, args.chart)
    if args.arena_chart:
        arena.chart(cells, args.arena_chart)
    return 1 if problems else 0


def measure_arenas(args, boards):
    """scripts/arena.py's measure with this command line's options."""
    split = lambda text: text.split(",") if text else None
    return arena.measure(args.make, boards, allocators=split(args.arena_allocators),
                         workloads=split(args.arena_workloads), jobs=args.jobs, timeout=args.timeout,
                         below_steps=args.arena_below,
                         log=lambda line: print(line, flush=True))


def worst_targets(boards, elf):
    """(label, board, ELF) for the worst-case table: Cairn slab on every
    board, and the bump allocator on mps2-an386 for comparison."""
    targets = [(board, board, elf(board, "cairn-slab"), None) for board in boards]
    if "mps2-an386" in boards:
        # Its realloc copies up to the heap's top: no measured figure
        # without the copy (scripts/worst.py).
        targets.append(("mps2-an386 bump", "mps2-an386", elf("mps2-an386", "cairn-bump"),
                        ["malloc", "free", "posix_memalign", "calloc"]))
    return targets


def worst_only(args, boards):
    """The worst case per entry point alone: printed, and its section of
    --markdown replaced when given. Fails when a measured call exceeds its
    stated worst case or the analysis fails."""
    firmware = {}
    for board in boards:
        for allocator in ("slab", "bump") if board == "mps2-an386" else ("slab",):
            print(f"bench: building {board} {allocator}", flush=True)
            firmware[(board, f"cairn-{allocator}")] = build(args.make, board, allocator)[f"cairn-{allocator}"]
    entries = args.worst_entries.split(",") if args.worst_entries else None
    rows, analyses, problems = worst.measure(worst_targets(boards, lambda board, name: firmware[(board, name)]),
                                             qemu, args.timeout, entries, jobs=args.jobs)
    text = worst.table(rows, analyses)
    print(text)
    for p in problems:
        print("worst: FAILED " + p)
    if args.markdown:
        old = open(args.markdown).read()
        with open(args.markdown, "w") as f:
            f.write(report_section.replace_section(old, text, worst.BEGIN, worst.END, END))
    return 1 if problems else 0


def arena_only(args, boards):
    """`make bench-arena`: the smallest arenas alone, printed; written to
    --markdown (their section only) and --arena-chart when given."""
    cells, seconds = measure_arenas(args, boards)
    print()
    print(arena.tables(cells))
    problems = [p for c in cells for p in c["problems"]]
    for p in problems:
        print("arena: FAILED RUN " + p)
    print(f"arena: {sum(c['probes'] for c in cells)} runs, {seconds:.1f} s")
    if args.markdown:
        old = open(args.markdown).read()
        with open(args.markdown, "w") as f:
            f.write(report_section.replace_section(old, arena.section(cells), arena.BEGIN, arena.END, END))
    if args.arena_chart:
        arena.chart(cells, args.arena_chart)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
