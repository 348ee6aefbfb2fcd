// The C test suites. Each uses the allocation functions as C firmware does,
// through Cairn's real hooks and the firmware's one global heap, and records
// its checks with the harness.
#ifndef ONTARGET_C_SUITES_H
#define ONTARGET_C_SUITES_H

// malloc_family_tests.c: the C rules of every allocation function.
void ontarget_run_malloc_family_tests(void);

// global_heap_stress_tests.c: exhaustion and recovery, randomised churn,
// the integrity check (slab heap only: a bump heap never reuses memory).
void ontarget_run_global_heap_stress_tests(void);

// newlib_heap_tests.c: newlib's own allocations (strdup, stdio buffers)
// come from Cairn's heap.
void ontarget_run_newlib_heap_tests(void);

// Global heap integrity (cairn_check_integrity) at the end of the run.
void ontarget_check_global_heap_intact(void);

#endif
