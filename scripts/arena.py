"""The smallest-arena measure: for each memory workload, allocator and
scale, the smallest arena (in 256-byte steps) in which the workload runs
to the end with no refused allocation and every block intact.

One QEMU run per probe (the firmware of Benchmarks/arena_*.c, without
-icount: the result does not depend on time), bisection here. Pass/fail is
assumed monotone in the arena size; the size found is then confirmed by
running it and the size one step below again. It is not always monotone
(where blocks land depends on the arena's size, and a larger arena can
fragment worse), so a few sizes further below are tried as well and any
that pass are reported beside the bisected size. Standard library only; used by scripts/bench.py
(`make bench`, `make bench-arena`).
"""
import concurrent.futures
import os
import shlex
import subprocess
import sys
import time

import chart_legend

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEP = 256
# Sizes tried below the bisected one's failing neighbour, for the report.
BELOW_STEPS = 4
# Board -> the workloads' scale on it (BENCH_ARENA_SMALL in mk/bench.mk).
SCALES = {"mps2-an386": "large", "microbit": "small"}
# Table columns, in order.
ALLOCATORS = ["newlib-nano", "newlib", "cairn-slab"]
NEWLIBS = ["newlib-nano", "newlib"]
# (name on the firmware's command line, what it does: large [small])
WORKLOADS = [
    ("churn", "256 [32] slots, 10000 [3000] times a random one freed (if used) and refilled with 8..256 "
              "[8..128] B"),
    ("mixed", "the same over 128 [32] slots with 16..64 B, and one block in 16 of 256..2048 [128..512] B"),
    ("swift-like", "6 rounds of 640 [64] objects of 16..48 B pushed on 8 [4] lists, one in 4 steps dropping a "
                   "list's head, every other list freed whole at the end of a round; 4 [3] arrays appended to in "
                   "turn, doubling from 16 B to 2 [0.5] KiB (new block, copy, free old), then dropped and "
                   "restarted; all through posix_memalign(16)"),
    ("phases", "4 rounds of three phases, each filling to 32 [2.5] KiB live, then freeing at random: 8..32 B "
               "blocks, 3 in 4 freed; 64..256 [48..128] B, 7 in 8 freed; 512..2048 [256..768] B, 3 in 4 freed; "
               "a round's survivors are freed at the end of the next"),
]
BEGIN = "<!-- bench:arena:begin -->"
END = "<!-- bench:arena:end -->"
COLOURS = {"cairn-slab": "#1b7837", "newlib-nano": "#762a83", "newlib": "#af8dc3"}


# --- Firmware and probes ---------------------------------------------------------

def build(make, board):
    """Builds the board's arena firmware; returns {allocator: (elf, capacity)},
    capacity being the largest arena it can probe (a multiple of STEP)."""
    base = shlex.split(make) + [f"BOARD={board}"]
    proc = subprocess.run(base + ["bench-arena-firmware"], text=True, capture_output=True, cwd=ROOT)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"arena: building the {board} firmware failed")
    out = subprocess.run(base + ["-s", "bench-arena-paths"], text=True, capture_output=True, cwd=ROOT,
                         check=True).stdout
    firmware = {}
    for line in out.splitlines():
        name, path, capacity = line.split()
        if int(capacity) % STEP:
            raise SystemExit(f"arena: {board} {name}: capacity {capacity} is not a multiple of {STEP}")
        firmware[name] = (path, int(capacity))
    return firmware


def probe(board, elf, workload, size, timeout):
    """One run with an arena of `size` bytes: the ARENA line's fields, plus
    `exit`; `result` is "crash" when the firmware printed no ARENA line."""
    # Beside the ELF under its bare name, as scripts/bench.py runs the
    # timing firmware: the command line stays short and the same everywhere.
    proc = subprocess.run([os.path.join(ROOT, "scripts/qemu-run.sh"), board, os.path.basename(elf), str(timeout),
                           "-append", f"{workload} {size}"],
                          text=True, capture_output=True, cwd=os.path.dirname(elf))
    for line in proc.stdout.splitlines():
        if line.startswith("ARENA "):
            fields = dict(item.split("=", 1) for item in line.split()[1:])
            fields["exit"] = proc.returncode
            return fields
    return {"result": "crash", "exit": proc.returncode, "output": (proc.stdout + proc.stderr)[-300:]}


def smallest(board, allocator, elf, capacity, workload, timeout, below_steps=BELOW_STEPS):
    """Bisects the smallest passing size in STEP steps up to `capacity`, then
    tries `below_steps` sizes under its failing neighbour."""
    runs, problems = [0], []

    def passes(size):
        runs[0] += 1
        r = probe(board, elf, workload, size, timeout)
        if r["result"] not in ("pass", "refused", "no-heap"):
            problems.append(f"{board} {allocator} {workload} at {size} bytes: {r['result']} "
                            f"(exit {r['exit']}) {r.get('output', '')}".strip())
        return r["result"] == "pass", r

    ok, first = passes(capacity)
    cell = {"board": board, "allocator": allocator, "workload": workload, "capacity": capacity,
            "bytes": None, "peak_requested": None, "confirmed": None, "also_passes": [], "below_steps": below_steps,
            "problems": problems}
    if not ok:
        cell["probes"] = runs[0]
        return cell
    peak = int(first["peak_requested"])
    # Live blocks are disjoint inside the arena, so no size below the
    # requested peak can pass: start just under it (not run unless it is
    # the answer's lower neighbour, confirmed below).
    lo, hi = (peak - 1) // STEP * STEP, capacity
    # Most results lie within twice the peak: try that first.
    guess = -(-2 * peak // STEP) * STEP
    if lo < guess < hi:
        if passes(guess)[0]:
            hi = guess
        else:
            lo = guess
    while hi - lo > STEP:
        mid = lo + (hi - lo) // STEP // 2 * STEP
        if passes(mid)[0]:
            hi = mid
        else:
            lo = mid
    # Confirmation, run afresh: the size passes, one step below fails.
    above, below = passes(hi)[0], not passes(hi - STEP)[0]
    # Where pass/fail is not monotone, a smaller arena may pass after all.
    floor = (peak - 1) // STEP * STEP + STEP
    lower = range(hi - 2 * STEP, max(floor, hi - (below_steps + 1) * STEP) - 1, -STEP)
    also = sorted(size for size in lower if passes(size)[0])
    cell.update(bytes=hi, peak_requested=peak, confirmed=above and below, also_passes=also, probes=runs[0])
    return cell


def measure(make, boards, allocators=None, workloads=None, jobs=None, timeout=60, below_steps=BELOW_STEPS,
            log=print):
    """Builds and bisects every (board, allocator, workload); returns the
    cells and the seconds it took."""
    start = time.monotonic()
    allocators = allocators or ALLOCATORS
    names = workloads or [w[0] for w in WORKLOADS]
    tasks = []
    for board in boards:
        log(f"arena: building {board}")
        firmware = build(make, board)
        for allocator in allocators:
            elf, capacity = firmware[allocator]
            tasks += [(board, allocator, elf, capacity, w, timeout, below_steps) for w in names]
    log(f"arena: bisecting {len(tasks)} arenas under QEMU")
    with concurrent.futures.ThreadPoolExecutor(jobs or os.cpu_count() or 2) as pool:
        cells = list(pool.map(lambda t: smallest(*t), tasks))
    return cells, time.monotonic() - start


# --- Tables ----------------------------------------------------------------------

def _cell(cells, board, allocator, workload):
    return next((c for c in cells if (c["board"], c["allocator"], c["workload"]) == (board, allocator, workload)),
                None)


def _bytes_text(c):
    if c is None:
        return "—"
    if c["bytes"] is None:
        return f"> {c['capacity']}"
    return str(c["bytes"]) + ("" if c["confirmed"] else " (!)") + (" †" if c["also_passes"] else "")


def _ratio(cells, board, workload):
    """Cairn's smallest arena over the better newlib's, or None."""
    cairn = _cell(cells, board, "cairn-slab", workload)
    peers = [c["bytes"] for c in (_cell(cells, board, a, workload) for a in NEWLIBS) if c and c["bytes"]]
    if not cairn or not cairn["bytes"] or not peers:
        return None
    return cairn["bytes"] / min(peers)


def tables(cells):
    """The tables alone, one per scale (what `make bench-arena` prints)."""
    lines = []
    columns = [a for a in ALLOCATORS if any(c["allocator"] == a for c in cells)]
    for board, scale in SCALES.items():
        mine = [c for c in cells if c["board"] == board]
        if not mine:
            continue
        lines.append(f"#### Scale {scale} ({board})\n")
        lines.append("| workload | requested peak | " + " | ".join(columns) + " | cairn-slab ÷ better newlib |")
        lines.append("|---|---:|" + "---:|" * len(columns) + "---:|")
        for workload, _ in WORKLOADS:
            row = [c for c in mine if c["workload"] == workload]
            if not row:
                continue
            peak = next((c["peak_requested"] for c in row if c["peak_requested"]), None)
            ratio = _ratio(cells, board, workload)
            lines.append(f"| {workload} | {peak if peak else '—'} | "
                         + " | ".join(_bytes_text(_cell(cells, board, a, workload)) for a in columns)
                         + f" | {'—' if ratio is None else f'{ratio:.2f}'} |")
        lines.append("")
    probes = sum(c["probes"] for c in cells)
    unconfirmed = [c for c in cells if c["bytes"] is not None and not c["confirmed"]]
    if unconfirmed:
        lines.append("(!) not confirmed (the size failed on a rerun, or one step less passed: pass/fail is not "
                     "monotone there): " + ", ".join(f"{c['board']} {c['allocator']} {c['workload']}"
                                                       for c in unconfirmed) + ".\n")
    else:
        lines.append(f"Every size confirmed: it passes and {STEP} bytes less fails, each run again after the "
                     f"bisection ({probes} runs in all).\n")
    odd = [c for c in cells if c["also_passes"]]
    if odd:
        below = max(c["below_steps"] for c in cells)
        lines.append("† not monotone: the workload also runs in a smaller arena, below one that fails (tried: "
                     f"up to {below} steps under the failing neighbour): "
                     + "; ".join(f"{c['board']} {c['allocator']} {c['workload']} at "
                                 + ", ".join(map(str, c["also_passes"])) for c in odd) + ".\n")
    peaks = {}
    for c in cells:
        if c["peak_requested"]:
            peaks.setdefault((c["board"], c["workload"]), set()).add(c["peak_requested"])
    for (board, workload), values in peaks.items():
        if len(values) > 1:
            lines.append(f"Warning: {board} {workload} requested different peaks per allocator: {sorted(values)}.\n")
    return "\n".join(lines)


def section(cells, chart_path="Benchmarks/arena-chart.svg"):
    """The markdown section for BENCHMARKS.md's results, between its own
    markers so that `bench.py --arena-only --markdown` can replace it alone."""
    capacities = {}
    for c in cells:
        capacities.setdefault(c["board"], {})[c["allocator"]] = c["capacity"]
    limits = "; ".join(f"{board}: " + ", ".join(f"{a} {n}" for a, n in caps.items())
                       for board, caps in capacities.items())
    text = [BEGIN, "### Smallest arena\n",
            f"![Smallest arena per workload, as a multiple of its requested peak]({chart_path})\n",
            "The smallest arena, in bytes and in steps of 256, in which each workload runs to the end with no "
            "refused allocation and every block's contents intact (each block is filled with a pattern of its "
            "own when allocated and checked before it is freed and at the end). One QEMU run per probe, without "
            "-icount, on dedicated firmware (`Benchmarks/arena_*.c`); the probe's size is on the semihosting "
            "command line. Cairn: `cairn_init_region` on the first N bytes of a buffer, so its metadata counts "
            "inside the N bytes and it picks its geometry for N bytes, as for a heap of that size. newlib: the "
            "bench `_sbrk` refuses to move the break beyond N bytes (newlib's own static state, such as full "
            "newlib's 1 KiB bin table, is outside the arena, as is Cairn's allocator state). Sizes are bisected, "
            "assuming that a workload that runs in N bytes runs in more, then confirmed. Requested peak: the "
            "most bytes the workload had requested and not freed, the least any allocator could do with. "
            "Workloads (large on mps2-an386 [small on microbit]), seeded, source `Benchmarks/arena_workloads.c` "
            "and `Benchmarks/arena_swift_like.c`:\n"]
    text += [f"- **{name}**: {what}." for name, what in WORKLOADS]
    text.append(f"\n\"> N\": fails even at N bytes, the most that firmware can give ({limits}).\n")
    text.append(tables(cells))
    text.append(END)
    return "\n".join(text) + "\n"


# --- Chart -----------------------------------------------------------------------

def chart(cells, path):
    """Grouped bars, one group per workload and scale: the smallest arena as
    a multiple of the requested peak (so both scales share an axis), each
    bar labelled with its bytes."""
    groups = [(board, w) for board in SCALES for w, _ in WORKLOADS
              if any(c["board"] == board and c["workload"] == w for c in cells)]
    allocators = [a for a in ALLOCATORS if any(c["allocator"] == a for c in cells)]

    def value(board, allocator, workload):
        c = _cell(cells, board, allocator, workload)
        if c is None or c["bytes"] is None or not c["peak_requested"]:
            return None, c
        return c["bytes"] / c["peak_requested"], c

    values = [value(b, a, w)[0] for b, w in groups for a in allocators]
    top = max([v for v in values if v is not None] + [1.0]) * 1.1
    width, height, left, top_margin, plot_h = 900, 440, 60, 60, 300
    base = top_margin + plot_h
    group = (width - left - 20) / max(1, len(groups))
    bar = group / (len(allocators) + 1)
    y = lambda v: base - plot_h * v / top
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="15">Smallest arena each workload runs in, '
           f'as a multiple of its requested peak</text>',
           f'<text x="{width / 2}" y="38" text-anchor="middle" font-size="11">large: mps2-an386, small: microbit; '
           f'labels in KiB; QEMU, 256-byte steps</text>']
    step = 0.5 if top <= 4 else 1.0 if top <= 8 else 2.0 if top <= 16 else 5.0
    tick = 0.0
    while tick <= top:
        svg.append(f'<line x1="{left}" x2="{width - 20}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>')
        svg.append(f'<text x="{left - 5}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:.1f}</text>')
        tick += step
    svg.append(f'<line x1="{left}" x2="{width - 20}" y1="{y(1):.1f}" y2="{y(1):.1f}" stroke="#888" stroke-dasharray="4 3"/>')
    for gi, (board, workload) in enumerate(groups):
        x0 = left + gi * group + bar / 2
        for ai, allocator in enumerate(allocators):
            v, c = value(board, allocator, workload)
            x = x0 + ai * bar
            if v is None:
                label = "—" if c is None else f">{c['capacity'] / 1024:.0f}"
                svg.append(f'<text x="{x + bar * 0.45:.1f}" y="{base - 3}" text-anchor="middle" font-size="9">{label}</text>')
                continue
            svg.append(f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{bar * 0.9:.1f}" height="{base - y(v):.1f}" '
                       f'fill="{COLOURS[allocator]}"><title>{workload} ({SCALES[board]}) {allocator}: '
                       f'{c["bytes"]} B, {v:.2f} x requested peak {c["peak_requested"]} B</title></rect>')
            svg.append(f'<text x="{x + bar * 0.45:.1f}" y="{y(v) - 3:.1f}" text-anchor="middle" font-size="9">'
                       f'{c["bytes"] / 1024:.1f}</text>')
        centre = x0 + bar * (len(allocators) - 1) / 2 + bar * 0.45
        svg.append(f'<text x="{centre:.1f}" y="{base + 16}" text-anchor="middle">{workload}</text>')
        svg.append(f'<text x="{centre:.1f}" y="{base + 30}" text-anchor="middle" fill="#555">{SCALES[board]}</text>')
    svg += chart_legend.legend(allocators, COLOURS, left, height)
    x = left + len(allocators) * 160
    svg.append(f'<line x1="{x}" x2="{x + 20}" y1="{height - 16}" y2="{height - 16}" stroke="#888" stroke-dasharray="4 3"/>')
    svg.append(f'<text x="{x + 26}" y="{height - 12}">requested peak (1.0)</text>')
    svg.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(svg) + "\n")
