/* What Cairn's C hooks add to each call (Cairn builds only; the "hooks"
 * run). Two measurements:
 *
 * - The critical section alone: a function that enters and leaves it
 *   exactly as the hooks do (cairn_critical.h, included by path, so the
 *   asm is the hooks' own) against an empty function. The difference is
 *   the critical section's instructions.
 * - The whole hook: workload 1's 16-byte pair through malloc/free (the
 *   hooks) against the same pair through the Swift entry points the hooks
 *   call (cairn_swift_malloc/cairn_swift_free, the latter with caller 0).
 *   The difference is what the hook itself adds (the branch, and for free
 *   the caller argument).
 *
 * Every figure is taken HOOK_ROUNDS times, alternating, so that both paths
 * see the same heap state (one warm 16-byte block in a kept page); the
 * first, cold pair is untimed. Totals go on the RESULT line; scripts/
 * bench.py divides.
 */
#include <stdlib.h>

#include "bench.h"
#include "cairn.h"
#include "../Sources/CairnPlatform/include/cairn_critical.h"

enum { HOOK_ROUNDS = 200, HOOK_BYTES = 16 };

/* The callees: an empty function (its return is the one instruction) and
 * the hooks' critical section around nothing. noinline keeps each a real
 * call, as the hooks are. */
__attribute__((noinline)) void bench_hooks_empty(void) {
    __asm volatile("" ::: "memory");
}

__attribute__((noinline)) void bench_hooks_critical(void) {
    uint32_t saved = cairn_enter();
    cairn_leave(saved);
}

static uint64_t timed(const void *fn, uintptr_t a0, uintptr_t a1, void **result) {
    void *r = bench_time_call(fn, a0, a1, 0);
    if (result != NULL) *result = r;
    return bench_callee_instructions();
}

int bench_workload_hooks(void) {
    uint64_t empty = 0, critical = 0;
    uint64_t hook_malloc = 0, hook_free = 0, direct_malloc = 0, direct_free = 0;
    void *block = malloc(HOOK_BYTES);  /* cold: takes the page */
    if (block == NULL) return 60;
    free(block);
    for (int round = 0; round < HOOK_ROUNDS; round++) {
        empty += timed((const void *)bench_hooks_empty, 0, 0, NULL);
        critical += timed((const void *)bench_hooks_critical, 0, 0, NULL);
        hook_malloc += timed((const void *)malloc, HOOK_BYTES, 0, &block);
        if (block == NULL) return 61;
        hook_free += timed((const void *)free, (uintptr_t)block, 0, NULL);
        direct_malloc += timed((const void *)cairn_swift_malloc, HOOK_BYTES, 0, &block);
        if (block == NULL) return 62;
        direct_free += timed((const void *)cairn_swift_free, (uintptr_t)block, 0, NULL);
    }
    bench_report("hook_rounds", HOOK_ROUNDS);
    bench_report("empty_total", empty);
    bench_report("critical_total", critical);
    bench_report("hook_malloc_total", hook_malloc);
    bench_report("hook_free_total", hook_free);
    bench_report("direct_malloc_total", direct_malloc);
    bench_report("direct_free_total", direct_free);
    return 0;
}
