#!/usr/bin/env python3
"""scripts/wcet.py on functions whose longest paths are known
(wcet_cases.S): branches, nested loops with their bounds, calls and tail
branches, a return in an IT block, traps and calls that never return, a
branch through a literal, a jump table, the false answer of an
ASSUMED_FALSE call, a total shared across an enclosing loop, and a loop
without a bound. Assembles the cases
with arm-none-eabi-gcc; standard library only. Run by `make bench-smoke`.
"""
import os
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import wcet  # noqa: E402

SOURCE = os.path.join(HERE, "wcet_cases.S")


def line_of(label):
    with open(SOURCE) as f:
        for number, text in enumerate(f, 1):
            if text.startswith(label + ":"):
                # The header is the instruction after the label.
                return number + 1
    raise AssertionError(label)


class WcetTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.scratch = tempfile.TemporaryDirectory()
        cls.elf = os.path.join(cls.scratch.name, "cases.elf")
        subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-g", "-nostdlib", "-Wl,-Ttext=0",
                        "-Wl,-e,malloc", "-o", cls.elf, SOURCE], check=True)
        cls.saved = wcet.LOOP_BOUNDS
        wcet.LOOP_BOUNDS = [
            (f"free@wcet_cases.S:{line_of('outer_loop')}", "passes", "outer loop"),
            (f"free@wcet_cases.S:{line_of('inner_loop')}", "4", "inner loop"),
            (f"shared@wcet_cases.S:{line_of('shared_outer')}", "4", "shared's loop"),
            ("walker", "10", "walker's loop", (f"shared@wcet_cases.S:{line_of('shared_outer')}", "6")),
        ]
        cls.program = wcet.Program(cls.elf, {"passes": 3})

    @classmethod
    def tearDownClass(cls):
        wcet.LOOP_BOUNDS = cls.saved
        cls.scratch.cleanup()

    def cost(self, name):
        return self.program.cost(self.program.by_name[name], name)

    def test_longer_arm(self):
        self.assertEqual(self.cost("malloc"), 6)

    def test_nested_loops_with_bounds_from_the_geometry(self):
        self.assertEqual(self.cost("free"), 50)

    def test_call_and_tail_branch(self):
        self.assertEqual(self.cost("posix_memalign"), 9)

    def test_it_block_return_traps_and_calls_that_never_return(self):
        self.assertEqual(self.cost("realloc"), 11)

    def test_branch_through_a_literal(self):
        self.assertEqual(self.cost("calloc"), 4)

    def test_jump_table(self):
        self.assertEqual(self.cost("switching"), 7)

    def test_only_the_false_answer_of_an_assumed_false_call(self):
        self.assertEqual(self.cost("assumed"), 8)

    def test_a_total_shared_across_an_enclosing_loop(self):
        self.assertEqual(self.cost("shared"), 47)

    def test_the_bound_outside_the_shared_total_s_scope(self):
        self.assertEqual(self.cost("unshared"), 24)

    def test_loop_without_a_bound_stops_the_analysis(self):
        with self.assertRaisesRegex(wcet.AnalysisError, "no bound"):
            self.cost("unbounded")


if __name__ == "__main__":
    unittest.main()
