#!/usr/bin/env python3
"""Draws a Cairn heap map as an SVG: one square cell per page of the arena.

    scripts/heapmap.py DUMP [-o OUT.svg] [--title TEXT] [--columns N]

DUMP is a file holding what `cairn_print_heap_map()` printed (QEMU's
console output as it is: lines before `map page=...` and after `map end`
are ignored; when the output holds several maps, the last one is drawn).
A heap of several regions (`cairn_add_region`) is drawn a grid a region,
the first region's on top.
`-` reads standard input. The format is described in
Sources/Cairn/Firmware/HeapMap.swift.

Colours: class pages in green, darker the fuller (blocks used / blocks per
page); other pages from grey (free fit-heap memory) to purple by the share
of the page in live fit-heap blocks (large blocks); pages with no byte in
the fit heap (the slab's tables) in white. Each cell carries a tooltip
(<title>) with its numbers. Python standard library only.
"""

import argparse
import sys
from xml.sax.saxutils import escape

# Colours at both ends of each scale: (empty, full).
CLASS_SCALE = ("#c7e9c0", "#1b7837")
FIT_SCALE = ("#e8e8e8", "#762a83")
OUTSIDE = "#ffffff"
CELL = 14
GAP = 1


class HeapMap:
    """One parsed dump: the header's fields and one entry per page."""

    def __init__(self):
        self.header = {}
        # Per page: ("c", class, block size, used, capacity) or ("f", live, free).
        self.pages = []
        self.bump = None
        self.arena = None  # the bump arena beside the slab (`map arena`), if any
        self.complete = False
        # The regions added with cairn_add_region (`map region=N`), in order.
        self.regions = []


def parse(lines):
    """The last complete (or, failing that, the last started) map in `lines`."""
    maps = []
    current = None
    target = None  # the map, or the region of it, that page lines go to
    for raw in lines:
        words = raw.strip().split()
        if not words:
            continue
        if words[0] == "map" and len(words) > 1:
            if words[1] == "end":
                if current is not None:
                    current.complete = True
                    maps.append(current)
                    current = None
            elif words[1] == "bump":
                current = HeapMap()
                current.bump = fields(words[2:])
            elif words[1].startswith("page="):
                current = target = HeapMap()
                current.header = fields(words[1:])
            elif words[1].startswith("region=") and current is not None and current.bump is None:
                target = HeapMap()
                target.header = fields(words[1:])
                current.regions.append(target)
            elif words[1] == "arena" and current is not None:
                current.arena = fields(words[2:])
            continue
        if current is None or current.bump is not None:
            continue
        try:
            if words[0] == "p" and len(words) >= 4 and words[2] == "c":
                used, capacity = words[5].split("/")
                put(target, int(words[1]), 1, ("c", int(words[3]), int(words[4]), int(used), int(capacity)))
            elif words[0] == "p" and len(words) >= 5 and words[2] == "f":
                put(target, int(words[1]), 1, ("f", int(words[3]), int(words[4])))
            elif words[0] == "r" and len(words) >= 6 and words[3] == "f":
                put(target, int(words[1]), int(words[2]), ("f", int(words[4]), int(words[5])))
        except (ValueError, IndexError):
            continue  # another program's line that happens to start alike
    if current is not None:
        maps.append(current)
    if not maps:
        raise SystemExit("heapmap: no heap map (a line `map page=...` or `map bump ...`) in the input")
    complete = [m for m in maps if m.complete]
    return complete[-1] if complete else maps[-1]


def fields(words):
    """`key=value` words as a dict of ints (hex `0x...` included)."""
    result = {}
    for word in words:
        key, _, value = word.partition("=")
        try:
            result[key] = int(value, 0)
        except ValueError:
            result[key] = value
    return result


def put(heap_map, first, count, entry):
    end = first + count
    if len(heap_map.pages) < end:
        heap_map.pages.extend([None] * (end - len(heap_map.pages)))
    for page in range(first, end):
        heap_map.pages[page] = entry


def mix(scale, fraction):
    """The colour `fraction` (0...1) of the way along `scale`, as #rrggbb."""
    fraction = min(1.0, max(0.0, fraction))
    low = [int(scale[0][i:i + 2], 16) for i in (1, 3, 5)]
    high = [int(scale[1][i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join("%02x" % round(a + (b - a) * fraction) for a, b in zip(low, high))


def cell_colour(entry, page_size):
    """Fill and tooltip text of one page."""
    if entry is None:
        return OUTSIDE, "not in the map"
    if entry[0] == "c":
        _, size_class, block, used, capacity = entry
        fill = mix(CLASS_SCALE, used / capacity if capacity else 0)
        return fill, "class %d (%d B blocks): %d/%d used" % (size_class, block, used, capacity)
    _, live, free = entry
    if live + free == 0:
        return OUTSIDE, "outside the fit heap"
    return mix(FIT_SCALE, live / page_size), "fit heap: %d B live, %d B free" % (live, free)


def grid_shape(heap_map, columns):
    """Pages, columns and rows of one region's grid."""
    count = heap_map.header.get("pages", len(heap_map.pages))
    if columns is None:
        columns = 32 if count > 256 else 16 if count > 64 else 8
    return count, columns, (count + columns - 1) // columns


def draw_grid(out, heap_map, left, top, columns, id_prefix):
    """One region's cells, page 0 at (`left`, `top`); returns the height used."""
    page_size = heap_map.header.get("page", 1) or 1
    count, columns, rows = grid_shape(heap_map, columns)
    pages = heap_map.pages + [None] * max(0, count - len(heap_map.pages))
    out.append('<g stroke="#bbb" stroke-width="0.5">')
    for page in range(count):
        entry = pages[page]
        fill, text = cell_colour(entry, page_size)
        x = left + (page % columns) * (CELL + GAP)
        y = top + (page // columns) * (CELL + GAP)
        cell = '<rect id="%sp%d" x="%d" y="%d" width="%d" height="%d" fill="%s"' % (
            id_prefix, page, x, y, CELL, CELL, fill)
        # A run (one `r` line: the same entry object) gets one tooltip, on its first page.
        if page > 0 and entry is not None and entry is pages[page - 1]:
            out.append(cell + "/>")
            continue
        last = page
        while last + 1 < count and entry is not None and pages[last + 1] is entry:
            last += 1
        pages_text = "page %d" % page if last == page else "pages %d-%d" % (page, last)
        out.append(cell + "><title>%s: %s</title></rect>" % (pages_text, escape(text)))
    out.append("</g>")
    out.append('<text x="%d" y="%d" fill="#555">page 0 at top left, %d a row</text>'
               % (left, top + rows * (CELL + GAP) + 16, columns))
    return rows * (CELL + GAP) + 30


def render(heap_map, title, columns=None):
    if heap_map.bump is not None:
        return render_bump(heap_map.bump, title)
    left, top = 20, 40
    regions = [heap_map] + heap_map.regions
    shapes = [grid_shape(region, columns) for region in regions]
    grid_width = max(columns_ * (CELL + GAP) for _, columns_, _ in shapes)
    legend_x = left + max(grid_width, 200) + 30
    width = legend_x + 330
    # Each region after the first gets a label line above its grid.
    grids_height = sum(rows * (CELL + GAP) + 30 for _, _, rows in shapes) + 20 * len(heap_map.regions)
    legend = legend_lines(heap_map.header, heap_map)
    legend_height = 7 * (CELL + 6) + 10 + 16 * len(legend)
    height = max(top + grids_height, top + legend_height + 10, 330)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="12">' % (width, height),
           '<rect width="%d" height="%d" fill="white"/>' % (width, height),
           '<text x="%d" y="22" font-size="15">%s</text>' % (left, escape(title))]
    y = top
    for index, region in enumerate(regions):
        if index > 0:
            y += 14
            out.append('<text x="%d" y="%d">region %s</text>' % (left, y, region.header.get("region", index)))
            y += 6
        y += draw_grid(out, region, left, y, columns, "" if index == 0 else "r%d" % index)
    y = top
    swatches = [
        (CLASS_SCALE[1], "class page, all blocks used"),
        (mix(CLASS_SCALE, 0.5), "class page, half used"),
        (CLASS_SCALE[0], "class page, no block used"),
        (FIT_SCALE[1], "fit heap: page in large blocks"),
        (mix(FIT_SCALE, 0.5), "fit heap: half live"),
        (FIT_SCALE[0], "fit heap: free"),
        (OUTSIDE, "outside the fit heap (tables)"),
    ]
    for fill, text in swatches:
        out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#bbb" stroke-width="0.5"/>'
                   % (legend_x, y, CELL, CELL, fill))
        out.append('<text x="%d" y="%d">%s</text>' % (legend_x + CELL + 8, y + 11, escape(text)))
        y += CELL + 6
    y += 10
    for text in legend:
        out.append('<text x="%d" y="%d">%s</text>' % (legend_x, y, escape(text)))
        y += 16
    out.append("</svg>")
    return "\n".join(out) + "\n"


def legend_lines(header, heap_map):
    h = lambda key: header.get(key, "?")
    lines = [
        "%s pages of %s bytes" % (h("pages"), h("page")),
        "fit heap capacity %s bytes" % h("capacity"),
        "in use %s bytes (peak %s)" % (h("inuse"), h("peak")),
        "free %s bytes, largest block %s" % (h("free"), h("largest")),
        "%s class pages, %s live class blocks" % (h("classpages"), h("live")),
        "%s large blocks" % h("large"),
        "out of memory %s, misuse %s" % (h("oom"), h("misuse")),
    ]
    for region in heap_map.regions:
        r = lambda key: region.header.get(key, "?")
        lines.append("region %s: %s pages of %s bytes, in use %s of %s"
                     % (r("region"), r("pages"), r("page"), r("inuse"), r("capacity")))
    if heap_map.arena is not None:
        a = lambda key: heap_map.arena.get(key, "?")
        lines.append("bump arena: %s of %s bytes used (peak %s)" % (a("used"), a("capacity"), a("peak")))
        lines.append("  %s selected, %s scopes open" % ("bump" if a("selected") == 1 else "slab", a("scopes")))
    if not heap_map.complete:
        lines.append("(incomplete dump: no `map end`)")
    return lines


def render_bump(bump, title):
    capacity = bump.get("capacity", 0) or 1
    used = bump.get("used", 0)
    bar = 600
    filled = round(bar * min(1.0, used / capacity))
    return "\n".join([
        '<svg xmlns="http://www.w3.org/2000/svg" width="660" height="110" font-family="sans-serif" font-size="12">',
        '<rect width="660" height="110" fill="white"/>',
        '<text x="20" y="22" font-size="15">%s</text>' % escape(title),
        '<rect x="20" y="40" width="%d" height="24" fill="%s" stroke="#bbb"/>' % (bar, FIT_SCALE[0]),
        '<rect id="used" x="20" y="40" width="%d" height="24" fill="%s"/>' % (filled, FIT_SCALE[1]),
        '<text x="20" y="84">bump arena: %s of %s bytes used (peak %s)</text>'
        % (used, bump.get("capacity", "?"), bump.get("peak", "?")),
        "</svg>",
    ]) + "\n"


def main():
    parser = argparse.ArgumentParser(description="Draw a Cairn heap map (cairn_print_heap_map output) as SVG.")
    parser.add_argument("dump", help="console output holding the map, or - for standard input")
    parser.add_argument("-o", "--output", help="SVG file to write (default: standard output)")
    parser.add_argument("--title", default="Cairn heap map")
    parser.add_argument("--columns", type=int, help="cells per row (default: from the page count)")
    args = parser.parse_args()
    if args.dump == "-":
        lines = sys.stdin.read().splitlines()
    else:
        with open(args.dump, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    svg = render(parse(lines), args.title, args.columns)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(svg)
    else:
        sys.stdout.write(svg)


if __name__ == "__main__":
    main()
