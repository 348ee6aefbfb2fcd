#!/bin/sh
# Prints a fuzz input (a crash artifact, ideally minimised first with
# `build/fuzz/allocator-fuzzer -minimize_crash=1 -runs=10000 FILE`) as a
# Swift array literal for Tests/CairnTests/Regressions/FuzzRegressions.swift.
set -eu
file=${1:?usage: bytes-to-swift.sh FUZZ_INPUT}
od -An -v -tx1 "$file" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//; s/ /, 0x/g; s/^/[0x/; s/$/]/' | fold -s -w 100
echo
