/* The C library's allocation functions, backed by Cairn.
 *
 * Each hook forwards to a Swift entry point that masks interrupts around
 * the operation (so every hook is safe from an interrupt handler); those
 * that can report misuse (free, realloc) pass their return address for the
 * report. newlib's reentrant _r
 * entry points are defined too, so that newlib's own allocations (printf
 * buffers, strdup) come from the same heap, and newlib's malloc is never
 * linked.
 *
 * Target only: the host build compiles this file to nothing, so the host
 * test binary keeps the system allocator.
 */
#if defined(__arm__) && !defined(__linux__)

#include <malloc.h>
#include <reent.h>
#include <stdlib.h>

#include "cairn.h"

#define CALLER ((uintptr_t)__builtin_return_address(0))

/* The hooks only forward: each Swift entry point masks interrupts itself
 * (cairn_critical.h, inlined into it), so a hook is a tail branch. Swift sets errno through
 * cairn_set_errno on the failure paths; in newlib's single-threaded build
 * that is the same word as the _r variants' r->_errno.
 *
 * errno lives in newlib's reentrancy structure (`impure_data`, about 1 KiB
 * of RAM and flash in the full newlib). Naming it here would link that
 * structure into every firmware, so the reference is weak: a firmware that
 * can read errno at all (errno, perror, strerror_r, printf...) links
 * _impure_ptr through newlib's own code, and Cairn then sets it; in one
 * that cannot, there is nothing to set. Nothing else in this file may name
 * _REENT or errno, or the structure comes back. */
#pragma weak _impure_ptr
void cairn_set_errno(int code) {
    if (&_impure_ptr != NULL) _impure_ptr->_errno = code;
}

/* The calls on hot paths (malloc, free, posix_memalign and realloc, whose
 * in-place resize is common) forward as a bare tail branch, and the Swift
 * entry point returns straight to the caller. free and realloc, which
 * report misuse, pass their return address as the extra last argument
 * (read through __builtin_return_address, GCC would save and restore lr
 * around a call: two more instructions); the allocating calls have
 * nothing to report and pass nothing.
 * Thumb-2 (Cortex-M3/M4/M7) branches anywhere with b.w. Thumb-1 (Cortex-M0)
 * reaches a far function only through a register: its address is loaded
 * from a literal after the branch into an argument register the call does
 * not use (bit 0 set, a Thumb address). */
/* TAIL_BRANCH(scratch, target): the body of a naked hook; `scratch`, an
 * argument register the call leaves free, may carry the target's address
 * (Thumb-1 only). */
#if defined(__thumb2__)
#define TAIL_BRANCH(scratch, target) "b.w " target
#else
#define TAIL_BRANCH(scratch, target) "ldr " scratch ", =" target "\n\tbx " scratch "\n\t.ltorg"
#endif
/* The same, with the caller's address in register `caller` first. */
#define TAIL_BRANCH_WITH_CALLER(caller, scratch, target) "mov " caller ", lr\n\t" TAIL_BRANCH(scratch, target)

/* A naked function's arguments are only in registers, read by the asm. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
__attribute__((naked)) void free(void *pointer) {
    __asm volatile(TAIL_BRANCH_WITH_CALLER("r1", "r2", "cairn_swift_free"));
}

__attribute__((naked)) void *malloc(size_t size) {
    __asm volatile(TAIL_BRANCH("r1", "cairn_swift_malloc"));
}

__attribute__((naked)) void *realloc(void *pointer, size_t size) {
    __asm volatile(TAIL_BRANCH_WITH_CALLER("r2", "r3", "cairn_swift_realloc"));
}

__attribute__((naked)) int posix_memalign(void **out, size_t alignment, size_t size) {
    __asm volatile(TAIL_BRANCH("r3", "cairn_swift_posix_memalign"));
}
#pragma GCC diagnostic pop

void *calloc(size_t count, size_t size) { return cairn_swift_calloc(count, size); }

void *aligned_alloc(size_t alignment, size_t size) { return cairn_swift_aligned_alloc(alignment, size); }

void *memalign(size_t alignment, size_t size) { return cairn_swift_aligned_alloc(alignment, size); }

size_t malloc_usable_size(void *pointer) { return cairn_swift_usable_size(pointer); }

/* newlib's reentrant entry points: the same functions. */
void *_malloc_r(struct _reent *r, size_t size) {
    (void)r;
    return cairn_swift_malloc(size);
}

void _free_r(struct _reent *r, void *pointer) {
    (void)r;
    cairn_swift_free(pointer, CALLER);
}

void *_calloc_r(struct _reent *r, size_t count, size_t size) {
    (void)r;
    return cairn_swift_calloc(count, size);
}

void *_realloc_r(struct _reent *r, void *pointer, size_t size) {
    (void)r;
    return cairn_swift_realloc(pointer, size, CALLER);
}

void *_memalign_r(struct _reent *r, size_t alignment, size_t size) {
    (void)r;
    return cairn_swift_aligned_alloc(alignment, size);
}

size_t _malloc_usable_size_r(struct _reent *r, void *pointer) {
    (void)r;
    return cairn_swift_usable_size(pointer);
}

/* newlib keeps mallinfo, malloc_stats, mallopt and malloc_trim in objects
 * that would drag its own allocator in beside Cairn's (duplicate _malloc_r):
 * Cairn answers them itself. */
struct mallinfo _mallinfo_r(struct _reent *r) {
    (void)r;
    struct cairn_heap_stats stats;
    cairn_get_stats(&stats);
    struct mallinfo info = {0};
    info.arena = stats.capacity;
    info.uordblks = stats.reserved;
    info.fordblks = stats.capacity - stats.in_use;
    info.usmblks = stats.peak_in_use;
    info.ordblks = stats.live_blocks;
    return info;
}

struct mallinfo mallinfo(void) { return _mallinfo_r(NULL); }

void _malloc_stats_r(struct _reent *r) {
    (void)r;
    cairn_print_report();
}

void malloc_stats(void) { cairn_print_report(); }

/* No tunables: every option is refused, as mallopt's contract allows. */
int _mallopt_r(struct _reent *r, int parameter, int value) {
    (void)r; (void)parameter; (void)value;
    return 0;
}

int mallopt(int parameter, int value) { return _mallopt_r(NULL, parameter, value); }

/* Empty pages go back to Cairn's pool (the few that classes keep, as soon as
 * the pool runs dry); there is no system to return memory to. */
int _malloc_trim_r(struct _reent *r, size_t pad) {
    (void)r; (void)pad;
    return 0;
}

int malloc_trim(size_t pad) { return _malloc_trim_r(NULL, pad); }

/* The report and the check run with interrupts masked too (inside Swift):
 * they walk structures an interrupt could otherwise change under them. */
int cairn_init(void) { return cairn_swift_init(); }

/* The heap is set up before main (the startup code runs constructors after
 * zeroing .bss), so that no allocation, the first included, pays for
 * writing the page table with interrupts masked. A firmware that gives the
 * heap a region of its own (cairn_init_region) replaces this one. */
__attribute__((constructor)) static void cairn_init_at_startup(void) { (void)cairn_swift_init(); }

int cairn_init_region(void *base, size_t bytes) { return cairn_swift_init_region(base, bytes); }

const struct cairn_other_regions_table *cairn_other_regions;

static const struct cairn_other_regions_table cairn_other_regions_entries = {
    cairn_swift_regions_allocate,
    cairn_swift_regions_hold,
    cairn_swift_regions_usable_size,
    cairn_swift_regions_free_known_live,
};

/* The table is set after the region is added: an allocation in between
 * (an interrupt) only does not try the new region yet. */
int cairn_add_region(void *base, size_t bytes) {
    int result = cairn_swift_add_region(base, bytes);
    if (result == 0) cairn_other_regions = &cairn_other_regions_entries;
    return result;
}

size_t cairn_region_count(void) { return cairn_swift_region_count(); }

int cairn_get_region_stats(size_t index, struct cairn_heap_stats *out) { return cairn_swift_get_region_stats(index, out); }

int cairn_print_report(void) { return cairn_swift_print_report(); }

void cairn_print_heap_map(void) { cairn_swift_print_heap_map(); }

int cairn_check_integrity(void) { return cairn_swift_check_integrity(); }

void cairn_get_stats(struct cairn_heap_stats *out) { cairn_swift_get_stats(out); }

void cairn_set_corruption_hook(cairn_corruption_hook hook) { cairn_swift_set_corruption_hook(hook); }

size_t cairn_corruption_count(size_t *lost_blocks) { return cairn_swift_corruption_count(lost_blocks); }

#endif
