"""The legend along the bottom of the benchmark charts (Benchmarks/chart.svg,
Benchmarks/arena-chart.svg): a swatch and a name per allocator."""


def legend(names, colours, left, height):
    """SVG elements for `names` in order, 160 px apart from `left`, on the
    last 22 px of a chart `height` px tall; `colours` maps a name to its
    fill."""
    elements = []
    for i, name in enumerate(names):
        x = left + i * 160
        elements.append(f'<rect x="{x}" y="{height - 22}" width="12" height="12" fill="{colours[name]}"/>')
        elements.append(f'<text x="{x + 16}" y="{height - 12}">{name}</text>')
    return elements
