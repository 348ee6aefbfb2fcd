/* The C library's allocation functions, backed by Cairn.
 *
 * Each hook masks interrupts around one call into Swift (so every hook is
 * safe from an interrupt handler), passes its own return address for fault
 * reports, and sets errno where the C rule says so. newlib's reentrant _r
 * entry points are defined too, so that newlib's own allocations (printf
 * buffers, strdup) come from the same heap, and newlib's malloc is never
 * linked.
 *
 * Target only: the host build compiles this file to nothing, so the host
 * test binary keeps the system allocator.
 */
#if defined(__arm__) && !defined(__linux__)

#include <errno.h>
#include <malloc.h>
#include <reent.h>
#include <stdlib.h>

#include "cairn.h"
#include "cairn_critical.h"

#define CALLER ((uintptr_t)__builtin_return_address(0))

int posix_memalign(void **out, size_t alignment, size_t size) {
    uint32_t saved = cairn_enter();
    int result = cairn_swift_posix_memalign(out, alignment, size, CALLER);
    cairn_leave(saved);
    return result;
}

void free(void *pointer) {
    uint32_t saved = cairn_enter();
    cairn_swift_free(pointer, CALLER);
    cairn_leave(saved);
}

void *malloc(size_t size) {
    uint32_t saved = cairn_enter();
    void *block = cairn_swift_malloc(size, CALLER);
    cairn_leave(saved);
    if (block == NULL) errno = ENOMEM;
    return block;
}

void *calloc(size_t count, size_t size) {
    uint32_t saved = cairn_enter();
    void *block = cairn_swift_calloc(count, size, CALLER);
    cairn_leave(saved);
    if (block == NULL) errno = ENOMEM;
    return block;
}

void *realloc(void *pointer, size_t size) {
    uint32_t saved = cairn_enter();
    void *block = cairn_swift_realloc(pointer, size, CALLER);
    cairn_leave(saved);
    if (block == NULL) errno = ENOMEM;
    return block;
}

static void *aligned(size_t alignment, size_t size, uintptr_t caller) {
    int error = 0;
    uint32_t saved = cairn_enter();
    void *block = cairn_swift_aligned_alloc(alignment, size, &error, caller);
    cairn_leave(saved);
    if (block == NULL) errno = error;
    return block;
}

void *aligned_alloc(size_t alignment, size_t size) { return aligned(alignment, size, CALLER); }
void *memalign(size_t alignment, size_t size) { return aligned(alignment, size, CALLER); }

size_t malloc_usable_size(void *pointer) {
    uint32_t saved = cairn_enter();
    size_t size = cairn_swift_usable_size(pointer);
    cairn_leave(saved);
    return size;
}

/* newlib's reentrant entry points: the same functions, errno in `r`. */
void *_malloc_r(struct _reent *r, size_t size) {
    uint32_t saved = cairn_enter();
    void *block = cairn_swift_malloc(size, CALLER);
    cairn_leave(saved);
    if (block == NULL) r->_errno = ENOMEM;
    return block;
}

void _free_r(struct _reent *r, void *pointer) {
    (void)r;
    uint32_t saved = cairn_enter();
    cairn_swift_free(pointer, CALLER);
    cairn_leave(saved);
}

void *_calloc_r(struct _reent *r, size_t count, size_t size) {
    uint32_t saved = cairn_enter();
    void *block = cairn_swift_calloc(count, size, CALLER);
    cairn_leave(saved);
    if (block == NULL) r->_errno = ENOMEM;
    return block;
}

void *_realloc_r(struct _reent *r, void *pointer, size_t size) {
    uint32_t saved = cairn_enter();
    void *block = cairn_swift_realloc(pointer, size, CALLER);
    cairn_leave(saved);
    if (block == NULL) r->_errno = ENOMEM;
    return block;
}

void *_memalign_r(struct _reent *r, size_t alignment, size_t size) {
    int error = 0;
    uint32_t saved = cairn_enter();
    void *block = cairn_swift_aligned_alloc(alignment, size, &error, CALLER);
    cairn_leave(saved);
    if (block == NULL) r->_errno = error;
    return block;
}

size_t _malloc_usable_size_r(struct _reent *r, void *pointer) {
    (void)r;
    return malloc_usable_size(pointer);
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

struct mallinfo mallinfo(void) { return _mallinfo_r(_REENT); }

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

int mallopt(int parameter, int value) { return _mallopt_r(_REENT, parameter, value); }

/* Empty pages already go back to Cairn's pool; there is no system to return
 * memory to. */
int _malloc_trim_r(struct _reent *r, size_t pad) {
    (void)r; (void)pad;
    return 0;
}

int malloc_trim(size_t pad) { return _malloc_trim_r(_REENT, pad); }

/* The report and the check run with interrupts masked too: they walk
 * structures an interrupt could otherwise change under them. */
int cairn_print_report(void) {
    uint32_t saved = cairn_enter();
    int result = cairn_swift_print_report();
    cairn_leave(saved);
    return result;
}

int cairn_check_integrity(void) {
    uint32_t saved = cairn_enter();
    int result = cairn_swift_check_integrity();
    cairn_leave(saved);
    return result;
}

void cairn_get_stats(struct cairn_heap_stats *out) {
    uint32_t saved = cairn_enter();
    cairn_swift_get_stats(out);
    cairn_leave(saved);
}

#endif
