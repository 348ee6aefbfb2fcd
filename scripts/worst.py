"""The worst case per entry point: stated (scripts/wcet.py, from the
firmware) against measured (the adversarial runs of Benchmarks/worst_case.c
under QEMU -icount), per board. Used by scripts/bench.py (`make bench`,
and `--worst-only` for this section alone) and by `make bench-smoke`.
Standard library only.
"""
import concurrent.futures

import wcet

BEGIN = "<!-- bench:worst:begin -->"
END = "<!-- bench:worst:end -->"
# Entry point -> (adversarial run, RESULT field of its worst call). realloc
# and calloc are measured without their copy and zeroing (worst_case.c).
RUNS = {
    "malloc": ("worst-malloc", "alloc_worst"),
    "free": ("worst-free", "free_worst"),
    "posix_memalign": ("worst-memalign", "alloc_worst"),
    "realloc": ("worst-realloc", "realloc_net_worst"),
    "calloc": ("worst-calloc", "calloc_net_worst"),
}
# Other series the runs also time, counted toward the same entry point's
# measured worst (a free inside worst-malloc is a free).
ALSO = {"free": [("worst-malloc", "free_worst"), ("worst-memalign", "free_worst"), ("worst-realloc", "free_worst"),
                 ("worst-calloc", "free_worst")]}


def measure(targets, qemu, timeout, entries=None, jobs=2):
    """[{label, board, entry, stated, measured, ...}], the analyses and the
    problems. `targets` is [(label, board, ELF, entries or None)]: a Cairn
    benchmark firmware per row group, and the entry points compared on it
    (None: `entries`, default all five); `qemu(board, elf, run, timeout)` returns a
    RESULT line's fields (bench.py's)."""
    entries = entries or list(RUNS)
    analyses, problems = {}, []
    for label, board, elf, _ in targets:
        analyses[label] = wcet.analyse(elf, board)
        problems += [f"{label} wcet: {p}" for p in analyses[label]["problems"]]
        for name in analyses[label]["unused_bounds"]:
            print(f"worst: note: {label}: the bound for {name} bounds no loop (the code changed?)")
    runs = sorted({RUNS[e][0] for e in entries} | {r for e in entries for r, _ in ALSO.get(e, [])})
    results = {}
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futures = {pool.submit(qemu, board, elf, r, timeout): (label, r)
                   for label, board, elf, _ in targets for r in runs}
        for future in concurrent.futures.as_completed(futures):
            results[futures[future]] = future.result()
    rows = []
    for label, board, elf, only in targets:
        a = analyses[label]
        for entry in [e for e in entries if only is None or e in only]:
            run, field = RUNS[entry]
            measured = None
            for r, f in [(run, field)] + ALSO.get(entry, []):
                result = results.get((label, r), {})
                if "error" in result or result.get("exit") != 0 or f not in result:
                    if r == run:
                        problems.append(f"{label} {r}: exit {result.get('exit')} {result.get('error', '')}")
                    continue
                measured = max(measured or 0, int(result[f]))
            stated = a["stated"].get(entry)
            row = {"label": label, "board": board, "entry": entry, "run": run, "stated": stated,
                   "measured": measured, "copy": a["copy"].get(entry)}
            if stated is not None and measured is not None and measured > stated:
                problems.append(f"{label} {entry}: measured {measured} instructions above the stated {stated}")
            rows.append(row)
    return rows, analyses, problems


def table(rows, analyses):
    """The markdown section, between its own markers."""
    lines = [BEGIN, "### Worst case per entry point: stated against measured\n",
             "Instructions per call through the C hook, interrupts masked all along. *Stated*: the longest path "
             "through the built firmware (`scripts/wcet.py`, loop bounds from its table and the board's heap "
             "geometry); *measured*: the worst call of the entry point's adversarial run "
             "(`Benchmarks/worst_case.c`, QEMU -icount). realloc without its copy and calloc without its "
             "zeroing; the copy and the fill are stated per byte below. Measured above stated fails "
             "`make bench`.\n",
             "The bump allocator (no loops on its paths) shows how close the analysis comes where the code "
             "is constant-time (its realloc is left out: it copies from the block to the heap's top, a "
             "length the run cannot know, so its copy cannot be taken off).\n",
             "| board | entry point | stated | measured (run) | measured / stated |",
             "|---|---|---:|---:|---:|"]
    for r in rows:
        ratio = f"{r['measured'] / r['stated']:.4f}" if r["stated"] and r["measured"] is not None else "—"
        stated = r["stated"] if r["stated"] is not None else "—"
        measured = f"{r['measured']} ({r['run']})" if r["measured"] is not None else "—"
        lines.append(f"| {r['label']} | {r['entry']} | {stated} | {measured} | {ratio} |")
    lines.append("")
    copies = [(r["label"], r["entry"], r["copy"]) for r in rows if r["copy"] and "bump" not in r["label"]]
    if copies:
        lines.append("Excluded per byte (the longest path of the C library's routine for n bytes, "
                     "every loop bounded by n): " +
                     "; ".join(f"{b} {e}'s {c['function']} {c['fixed']} + {c['per_byte']:.2f} n"
                               for b, e, c in copies) + ".\n")
    lines.append("Loop bounds the stated figures use (per board: bound × longest pass, instructions; "
                 "\"1, +T in all\": once per entry and T passes shared across an enclosing loop, where "
                 "`scripts/wcet.py` gives the loop a shared total):\n")
    lines.append("| board | loop (code it bounds) | bound | longest pass |")
    lines.append("|---|---|---:|---:|")
    for board, a in analyses.items():
        if "bump" in board:
            continue
        seen = {}
        for loop in a["loops"]:
            if loop["entry"] == "copy":
                continue
            key = (loop["function"], loop["line"], str(loop["bound"]))
            seen.setdefault(key, loop)
            if loop["iteration"] > seen[key]["iteration"]:
                seen[key] = loop
        for (function, line, _), loop in sorted(seen.items()):
            name = function.split("@")[0].rstrip("(")
            lines.append(f"| {board} | `{name}` ({line}) | {loop['bound']} | {loop['iteration']} |")
    lines.append("")
    lines.append(END)
    return "\n".join(lines)
