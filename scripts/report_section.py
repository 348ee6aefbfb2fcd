"""A section of BENCHMARKS.md that one measure writes alone (`make
bench-arena`, `make bench-worst`), between its own begin and end markers,
inside the results `make bench` writes."""


def replace_section(markdown, new, begin, end, results_end):
    """`markdown` with the section from `begin` to `end` replaced by `new`
    (which holds both markers), or `new` put before `results_end`, a blank
    line after it, when there is no such section yet."""
    if begin in markdown and end in markdown:
        head, rest = markdown.split(begin, 1)
        return head + new.rstrip("\n") + rest.split(end, 1)[1]
    if results_end in markdown:
        head, tail = markdown.split(results_end, 1)
        return head + new.rstrip("\n") + "\n\n" + results_end + tail
    return markdown + "\n" + new
