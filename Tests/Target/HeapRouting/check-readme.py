#!/usr/bin/env python3
"""Fails unless every code block of README.md's section "Boot objects in a
bump arena, scoped arenas" appears, line for line (indentation aside), in
the test source the section names for it: the examples are the code the
routing firmware compiles and runs. Standard library only.

    check-readme.py README.md Tests/Target/HeapRouting
"""
import os
import re
import sys

readme, folder = sys.argv[1], sys.argv[2]
text = open(readme, encoding="utf-8").read()
section = re.search(r"^## Boot objects in a bump arena, scoped arenas\n(.*?)^## ", text, re.S | re.M)
if not section:
    sys.exit("check-readme: no section 'Boot objects in a bump arena, scoped arenas' in " + readme)
blocks = re.findall(r"```(?:c|swift)\n(.*?)```", section.group(1), re.S)
sources = {name: [line.strip() for line in open(os.path.join(folder, name), encoding="utf-8")]
           for name in ("routing_tests.c", "main.swift")}
failed = 0
for block in blocks:
    lines = [line.strip() for line in block.strip("\n").splitlines()]
    found = any(source[i:i + len(lines)] == lines
                for source in sources.values() for i in range(len(source)))
    if not found:
        failed += 1
        print("check-readme: README example not in %s:\n%s" % (folder, block))
if not blocks:
    sys.exit("check-readme: no code blocks in the section")
print("check-readme: %d README examples found in the routing firmware's sources" % (len(blocks) - failed))
sys.exit(1 if failed else 0)
