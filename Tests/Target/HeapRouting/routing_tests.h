// The C side of the heap-routing firmware (main.swift): checks through the
// real hooks, the interrupt that allocates while Swift code has selected
// the bump arena or opened a scope, and the regions, for Swift to test
// addresses against.
#ifndef ROUTING_TESTS_H
#define ROUTING_TESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "cairn.h"
#include "harness.h"

// The malloc family through the hooks with the bump arena selected and
// not: where blocks come from, frees by owner, realloc, usable size,
// statistics. Leaves the slab selected and the bump arena empty.
void routing_run_c_tests(void);

// True when `p` lies in the bump arena / in the slab's part of the heap.
bool routing_in_bump_arena(const void *p);
bool routing_in_slab(const void *p);

// Pends SysTick: its handler runs at once (interrupts are enabled) and
// mallocs, checks and frees blocks of its own, keeping one across calls.
void routing_interrupt(void);
// Handler runs so far, and how many of its blocks were not slab blocks.
uint32_t routing_interrupt_runs(void);
uint32_t routing_interrupt_misplaced(void);
// Starts SysTick firing every `reload` core clocks (the same handler), so
// that interrupts also land at arbitrary points: inside the hooks, in the
// middle of opening or closing a scope; stops it.
void routing_timer_start(uint32_t reload);
void routing_timer_stop(void);
// Frees the block the handler keeps.
void routing_interrupt_release(void);

// Prints `misuse: late free, expect <p>` (for check-misuse.sh).
void routing_announce_misuse(const void *p);

// Frees `p` through the hook (named so for check-misuse.sh: the report's
// caller must lie in it).
void commit_misuse(void *p);

#endif
