/* Cairn: the C view of the allocator.
 *
 * A C firmware includes this header and links libcairn.a; the standard
 * allocation functions (malloc, free, calloc, realloc, posix_memalign,
 * aligned_alloc, memalign, malloc_usable_size and newlib's _r variants) then
 * come from Cairn. The functions below are the Swift entry points behind
 * them plus the heap report.
 *
 * On the host (Linux, XCTest) this header declares nothing that is defined:
 * the host build exports no allocation symbols of Cairn's.
 */
#ifndef CAIRN_H
#define CAIRN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Swift entry points, one per C rule (Sources/Cairn/Platform). Each runs
 * with interrupts masked by the caller (the hooks in cairn_hooks.c). `caller`
 * is the return address of the hook, for fault reports. */
void *cairn_malloc(size_t size, uintptr_t caller);
void cairn_free(void *pointer, uintptr_t caller);
void *cairn_calloc(size_t count, size_t size, uintptr_t caller);
void *cairn_realloc(void *pointer, size_t size, uintptr_t caller);
int cairn_posix_memalign(void **out, size_t alignment, size_t size, uintptr_t caller);
void *cairn_aligned_alloc(size_t alignment, size_t size, uintptr_t caller);
size_t cairn_malloc_usable_size(void *pointer);

/* Prints the heap report (capacity, use, peak, classes, integrity) on the
 * console. Returns 0 when the integrity check passes. */
int cairn_print_report(void);

/* Runs the integrity check; returns 0 when every invariant holds. */
int cairn_check_integrity(void);

/* The heap storage and its configuration, defined by cairn_config.c from
 * build settings (HEAP_SIZE, PAGE_SIZE, SIZE_CLASSES, ALLOCATOR). */
struct cairn_heap_config {
    uint8_t *storage;
    size_t storage_size;
    size_t page_size;
    size_t largest_class;
    const uint16_t *size_classes; /* NULL: the standard classes */
    size_t size_class_count;
};
void cairn_platform_heap_config(struct cairn_heap_config *out);

/* Console output without allocation, for reports (the board provides it). */
void cairn_platform_write(const char *text, size_t length);

/* Called after a misuse was reported in a checked build: never returns. */
void cairn_platform_fatal(void) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif

#endif
