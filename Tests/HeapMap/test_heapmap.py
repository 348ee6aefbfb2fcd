#!/usr/bin/env python3
"""Tests of scripts/heapmap.py: it renders the committed demo dump
(demo-mps2-an386.txt, the console output of `make heapmap` on mps2-an386,
other lines included) and small dumps written here, and the SVG must have
one cell per page, the colours of known pages and the header's figures in
its legend. Python standard library only; prints "heapmap: N passed,
N failed" last and exits 1 on any failure.

    python3 Tests/HeapMap/test_heapmap.py
"""

import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "scripts", "heapmap.py")
DEMO_DUMP = os.path.join(HERE, "demo-mps2-an386.txt")
SVG = "{http://www.w3.org/2000/svg}"

passed = 0
failed = 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print("FAIL %s %s" % (name, detail))


def render(dump_text, *extra):
    """The SVG heapmap.py writes for `dump_text`, parsed."""
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "dump.txt")
        out = os.path.join(tmp, "map.svg")
        with open(dump, "w") as f:
            f.write(dump_text)
        subprocess.run([sys.executable, SCRIPT, dump, "-o", out] + list(extra), check=True)
        return ET.parse(out).getroot()


def cells(root):
    return {r.get("id"): r for r in root.iter(SVG + "rect") if re.fullmatch(r"p\d+", r.get("id") or "")}


def texts(root):
    return [t.text or "" for t in root.iter(SVG + "text")]


def test_demo_dump_has_a_cell_per_page_with_known_colours():
    with open(DEMO_DUMP) as f:
        root = render(f.read(), "--title", "demo")
    grid = cells(root)
    check("demo: one cell per page", len(grid) == 1022, "(%d cells)" % len(grid))
    expected = {
        "p0": "#e8e7e8",     # 4 live bytes (the next class page's header), the rest tables or free
        "p1": "#c7e9c0",     # class 5, 0/35 used
        "p4": "#b9e0b5",     # class 11, 1/12 used
        "p10": "#b18db7",    # fit heap, 492 of 1024 bytes live
        "p15": "#762a83",    # a page wholly in large blocks
        "p500": "#e8e8e8",   # inside the run of free pages
        "p1021": "#e8e8e8",  # the last page: free (its last 4 bytes are past the heap)
    }
    for page, colour in expected.items():
        fill = grid[page].get("fill") if page in grid else None
        check("demo: colour of %s" % page, fill == colour, "(%s, want %s)" % (fill, colour))
    tooltip = grid["p4"].find(SVG + "title")
    check("demo: class page tooltip", tooltip is not None and "class 11 (80 B blocks): 1/12 used" in tooltip.text)
    run_tooltip = grid["p17"].find(SVG + "title")
    check("demo: one tooltip per run", run_tooltip is not None and run_tooltip.text.startswith("pages 17-1020:")
          and grid["p18"].find(SVG + "title") is None)
    legend = texts(root)
    for line in ["1022 pages of 1024 bytes", "fit heap capacity 1045872 bytes", "in use 14368 bytes (peak 14368)",
                 "free 1031504 bytes, largest block 1030136", "12 class pages, 2 live class blocks",
                 "2 large blocks", "out of memory 0, misuse 0"]:
        check("demo: legend %r" % line, line in legend)
    check("demo: title", "demo" in legend)


def test_other_console_lines_and_earlier_maps_are_ignored():
    dump = "\n".join([
        "boot: p 0 c 1 2 3/4 is not a map line",
        "map page=256 pages=4 base=0x20000000 first=100 end=1024 capacity=920 inuse=0 peak=0 free=920 "
        "largest=920 classpages=0 large=0 live=0 oom=0 misuse=0",
        "r 0 4 f 0 256",
        "map end",
        "p 1 c 0 8 3/4",
        "map page=256 pages=4 base=0x20000000 first=100 end=1024 capacity=920 inuse=512 peak=512 free=408 "
        "largest=252 classpages=1 large=1 live=6 oom=3 misuse=1",
        "p 0 f 0 152",
        "some other line",
        "p 1 c 2 16 12/15",
        "p 2 f 256 0",
        "p 3 f 128 124",
        "map end",
        "done",
    ]) + "\n"
    root = render(dump)
    grid = cells(root)
    check("last map: 4 cells", len(grid) == 4, "(%d)" % len(grid))
    check("last map: tables page is free-ish", grid["p0"].get("fill") == "#e8e8e8", grid["p0"].get("fill"))
    check("last map: class page 12/15", grid["p1"].get("fill") == "#3d8f52", grid["p1"].get("fill"))
    check("last map: full large page", grid["p2"].get("fill") == "#762a83", grid["p2"].get("fill"))
    check("last map: half live page", grid["p3"].get("fill") == "#af89b6", grid["p3"].get("fill"))
    legend = texts(root)
    check("last map: its figures", "out of memory 3, misuse 1" in legend and "1 large blocks" in legend)


def test_page_outside_the_fit_heap_is_white_and_missing_end_is_said():
    dump = ("map page=128 pages=3 base=0x20000000 first=300 end=384 capacity=80 inuse=0 peak=0 free=80 "
            "largest=80 classpages=0 large=0 live=0 oom=0 misuse=0\n"
            "r 0 2 f 0 0\np 2 f 0 80\n")
    root = render(dump)
    grid = cells(root)
    check("outside: white", grid["p0"].get("fill") == "#ffffff" and grid["p1"].get("fill") == "#ffffff")
    check("outside: incomplete noted", "(incomplete dump: no `map end`)" in texts(root))


def test_bump_dump_draws_one_bar():
    root = render("hello\nmap bump capacity=1000 used=250 peak=400\nmap end\n")
    used = [r for r in root.iter(SVG + "rect") if r.get("id") == "used"]
    check("bump: a used bar a quarter long", len(used) == 1 and used[0].get("width") == "150")
    check("bump: figures", "bump arena: 250 of 1000 bytes used (peak 400)" in texts(root))


def test_bump_arena_beside_the_slab_is_in_the_legend():
    dump = ("map page=128 pages=2 base=0x20000000 first=100 end=256 capacity=150 inuse=0 peak=0 free=150 "
            "largest=150 classpages=0 large=0 live=0 oom=0 misuse=0\n"
            "r 0 2 f 0 75\n"
            "map arena base=0x20000800 capacity=2000 used=300 peak=576 selected=1 scopes=2\n"
            "map end\n")
    root = render(dump)
    check("arena: still 2 cells", len(cells(root)) == 2)
    legend = texts(root)
    check("arena: figures", "bump arena: 300 of 2000 bytes used (peak 576)" in legend, repr(legend[-3:]))
    check("arena: selection and scopes", "  bump selected, 2 scopes open" in legend, repr(legend[-3:]))


def test_each_added_region_gets_a_grid_of_its_own():
    dump = ("map page=128 pages=2 base=0x20000000 first=100 end=256 capacity=150 inuse=0 peak=0 free=150 "
            "largest=150 classpages=0 large=0 live=0 oom=0 misuse=0\n"
            "r 0 2 f 0 75\n"
            "map region=1 page=256 pages=3 base=0x21000000 first=60 end=768 capacity=700 inuse=256 peak=256 "
            "free=444 largest=444 classpages=1 large=0 live=2 oom=0 misuse=0\n"
            "p 0 f 0 196\n"
            "p 1 c 4 24 2/10\n"
            "p 2 f 0 248\n"
            "map end\n")
    root = render(dump)
    first = cells(root)
    second = {r.get("id"): r for r in root.iter(SVG + "rect") if re.fullmatch(r"r1p\d+", r.get("id") or "")}
    check("regions: the first region's 2 cells", sorted(first) == ["p0", "p1"], repr(sorted(first)))
    check("regions: the added region's 3 cells", sorted(second) == ["r1p0", "r1p1", "r1p2"], repr(sorted(second)))
    check("regions: its class page is green", second["r1p1"].get("fill") != "#ffffff"
          and "class 4 (24 B blocks): 2/10 used" in (second["r1p1"].find(SVG + "title").text or ""))
    check("regions: below the first", float(second["r1p0"].get("y")) > float(first["p0"].get("y")))
    legend = texts(root)
    check("regions: labelled", "region 1" in legend, repr(legend))
    check("regions: its figures", "region 1: 3 pages of 256 bytes, in use 256 of 700" in legend, repr(legend[-3:]))


def test_input_without_a_map_fails():
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "dump.txt")
        with open(dump, "w") as f:
            f.write("no map here\n")
        result = subprocess.run([sys.executable, SCRIPT, dump], capture_output=True, text=True)
    check("no map: fails", result.returncode != 0 and "no heap map" in result.stderr)


if __name__ == "__main__":
    for name, test in sorted(globals().items()):
        if name.startswith("test_") and callable(test):
            try:
                test()
            except Exception as error:  # a crash counts as one failure
                check(name, False, "(raised %r)" % error)
    print("heapmap: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
