// The C half of the heap-routing firmware: see routing_tests.h.
#include "routing_tests.h"

#include <stdlib.h>

#include "board.h"
#include "launder.h"
#include "systick.h"

static uintptr_t heap_start, bump_start, heap_end;

static void find_regions(void) {
    if (heap_end != 0) return;
    struct cairn_heap_config config;
    cairn_platform_heap_config(&config);
    // The same cut as carveBumpArena (HeapRouting.swift): whole 8-byte
    // units at the end of the heap array.
    size_t bump = cairn_platform_bump_arena_size() & ~(size_t)7;
    heap_start = (uintptr_t)config.storage;
    heap_end = heap_start + config.storage_size;
    bump_start = heap_start + ((config.storage_size - bump) & ~(size_t)7);
}

bool routing_in_bump_arena(const void *p) {
    find_regions();
    return (uintptr_t)p >= bump_start && (uintptr_t)p < heap_end;
}

bool routing_in_slab(const void *p) {
    find_regions();
    return (uintptr_t)p >= heap_start && (uintptr_t)p < bump_start;
}

static struct cairn_arena_stats arena(void) {
    struct cairn_arena_stats stats;
    cairn_get_arena_stats(&stats);
    return stats;
}

// README: boot objects in the bump arena (the README shows this function).
struct sensor_table {
    uint32_t calibration[16];
};

static void run_c_scope_tests(void);

static struct sensor_table *make_boot_objects(void) {
    cairn_use_bump();                                   // permanent objects from here on
    struct sensor_table *table = malloc(sizeof *table); // no header, no fragmentation
    cairn_use_slab();                                   // everything that comes and goes
    return table;
}

void routing_run_c_tests(void) {
    find_regions();
    struct cairn_arena_stats before = arena();
    // The router's own state takes the arena's first bytes.
    ontarget_check_value(before.capacity < heap_end - bump_start && before.capacity + 64 >= heap_end - bump_start,
                         "bump arena size", "the arena is BUMP_ARENA_SIZE bytes at the heap's end, less the router's",
                         (uint32_t)before.capacity);
    ontarget_check(before.in_use == 0 && before.selected == CAIRN_ALLOCATOR_SLAB && before.open_scopes == 0,
                   "routing at boot", "the slab is selected and the bump arena empty");

    struct sensor_table *table = make_boot_objects();
    ontarget_check(routing_in_bump_arena(table) && arena().selected == CAIRN_ALLOCATOR_SLAB, "README example",
                   "the boot table lies in the bump arena and the slab is selected after it");
    table->calibration[15] = 42;

    void *slab_block = malloc(40);
    ontarget_check(routing_in_slab(slab_block), "default allocator", "malloc serves from the slab");

    ontarget_check(cairn_use_bump() == 0, "cairn_use_bump", "accepted in a build with a bump arena");
    void *boot_a = malloc(100);
    void *boot_b = calloc(4, 10);
    void *boot_c = NULL;
    int status = posix_memalign(&boot_c, 16, 24);
    void *boot_d = aligned_alloc(32, 32);
    ontarget_check(routing_in_bump_arena(boot_a) && routing_in_bump_arena(boot_b) && status == 0
                       && routing_in_bump_arena(boot_c) && routing_in_bump_arena(boot_d),
                   "bump selected", "malloc, calloc, posix_memalign and aligned_alloc serve from the bump arena");
    ontarget_check((uintptr_t)boot_c % 16 == 0 && (uintptr_t)boot_d % 32 == 0 && (uintptr_t)boot_a % 8 == 0,
                   "bump alignment", "bump blocks keep the requested alignment");
    ontarget_check((uintptr_t)boot_b > (uintptr_t)boot_a, "bump order", "bump blocks follow each other");
    uint8_t *zeroed = boot_b;
    bool all_zero = true;
    for (int i = 0; i < 40; i++) all_zero = all_zero && zeroed[i] == 0;
    ontarget_check(all_zero, "bump calloc", "calloc from the bump arena is zeroed");
    ontarget_check(arena().selected == CAIRN_ALLOCATOR_BUMP, "stats selection", "the statistics say bump");

    // A slab block freed while the bump arena is selected goes to the slab.
    struct cairn_heap_stats slab_before;
    cairn_get_stats(&slab_before);
    free(launder(slab_block));
    struct cairn_heap_stats slab_after;
    cairn_get_stats(&slab_after);
    ontarget_check(slab_after.live_blocks + 1 == slab_before.live_blocks, "free by owner",
                   "a slab block freed while bump is selected leaves the slab");

    // The newest bump block grows in place; an older one reports no size.
    size_t usable = malloc_usable_size(boot_d);
    ontarget_check_value(usable == 32, "bump usable size", "the newest block's size is known", (uint32_t)usable);
    ontarget_check(malloc_usable_size(boot_a) == 0, "bump usable size", "an older block's size is unknown (0)");
    void *grown = realloc(boot_d, 64);
    ontarget_check(grown == boot_d, "bump realloc", "the newest bump block grows in place");

    ontarget_check(cairn_use_slab() == 0, "cairn_use_slab", "the slab serves again");
    void *later = malloc(24);
    ontarget_check(routing_in_slab(later), "slab selected", "malloc serves from the slab after the switch");

    // Bump blocks freed after the switch: older ones are counted no-ops,
    // the newest rolls the arena back.
    struct cairn_arena_stats mid = arena();
    free(launder(boot_a));
    ontarget_check(arena().ignored_frees == mid.ignored_frees + 1 && arena().in_use == mid.in_use,
                   "bump free", "freeing an older bump block is a counted no-op");
    free(launder(grown));
    ontarget_check(arena().rollbacks == mid.rollbacks + 1 && arena().in_use < mid.in_use, "bump rollback",
                   "freeing the newest bump block rolls the arena back");
    // A bump block that must move goes where malloc goes now: the slab.
    void *moved = realloc(boot_b, 200);
    ontarget_check(routing_in_slab(moved), "bump realloc move", "a moved bump block lands in the allocator selected now");
    ontarget_check(((uint8_t *)moved)[39] == 0, "bump realloc move", "the contents move with it");
    free(moved);
    free(later);
    free(launder(boot_c));
    ontarget_check(arena().late_frees == 0, "late frees", "no free so far was late");
    ontarget_check(table->calibration[15] == 42, "README example", "the boot table keeps its data");
    ontarget_check(cairn_check_integrity() == 0, "integrity", "the slab is intact after the switches");
    run_c_scope_tests();
}

// --- Scoped arenas from C ----------------------------------------------------

static void run_c_scope_tests(void) {
    struct cairn_arena_stats start = arena();
    struct cairn_arena_scope outer, inner;
    ontarget_check(cairn_arena_open(&outer, 1024) == 0 && arena().open_scopes == start.open_scopes + 1,
                   "C scope", "cairn_arena_open opens a scope");
    void *a = malloc(100);
    ontarget_check(routing_in_bump_arena(a), "C scope", "malloc in a scope comes from the bump arena");
    ontarget_check(cairn_arena_open(&inner, 256) == 0, "C scope", "scopes nest");
    void *b = malloc(64);
    ontarget_check(routing_in_bump_arena(b) && (uintptr_t)b > (uintptr_t)a, "C scope",
                   "the inner scope's blocks follow the outer's");
    ontarget_check(cairn_arena_close(&outer) == -1 && arena().open_scopes == start.open_scopes + 2, "C scope",
                   "an outer scope does not close while an inner one is open");
    ontarget_check(cairn_arena_close(&inner) == 0, "C scope", "the inner scope closes");
    ontarget_check(cairn_arena_close(&inner) == -1, "C scope", "a scope closes once");
    ontarget_check(cairn_arena_close(&outer) == 0 && arena().in_use == start.in_use
                   && arena().open_scopes == start.open_scopes, "C scope", "closing releases everything");
    void *c = malloc(32);
    ontarget_check(routing_in_slab(c), "C scope", "after the scopes the slab serves again");
    free(c);
    ontarget_check(cairn_arena_open(&outer, SIZE_MAX) == -1 && arena().open_scopes == start.open_scopes,
                   "C scope", "a scope larger than what is left does not open");
}

// --- The interrupt ------------------------------------------------------------

static volatile uint32_t interrupt_runs, interrupt_misplaced;
static void *interrupt_kept;

void SysTick_Handler(void) {
    interrupt_runs++;
    uint8_t *block = malloc(24 + (interrupt_runs % 5) * 16);
    if (!routing_in_slab(block)) interrupt_misplaced++;
    if (block != NULL) {
        for (int i = 0; i < 24; i++) block[i] = (uint8_t)i;
    }
    // Keep every other block until the next run, so that slab blocks are
    // freed while thread mode has a scope open.
    if (interrupt_kept != NULL) {
        free(interrupt_kept);
        interrupt_kept = NULL;
        free(block);
    } else {
        interrupt_kept = block;
    }
}

void routing_interrupt(void) { systick_pend(); }

void routing_timer_start(uint32_t reload) { systick_start_periodic(reload); }

void routing_timer_stop(void) { systick_stop(); }

uint32_t routing_interrupt_runs(void) { return interrupt_runs; }

uint32_t routing_interrupt_misplaced(void) { return interrupt_misplaced; }

void routing_interrupt_release(void) {
    free(interrupt_kept);
    interrupt_kept = NULL;
}

void routing_announce_misuse(const void *p) {
    board_puts("misuse: late free, expect ");
    board_puthex32((uint32_t)(uintptr_t)p);
    board_puts("\n");
}

__attribute__((noinline)) void commit_misuse(void *p) {
    free(launder(p));
    // Not a tail call: the hook's return address (the report's caller)
    // must lie in this function, and this must run after free returns.
    __asm volatile("" ::: "memory");
}
