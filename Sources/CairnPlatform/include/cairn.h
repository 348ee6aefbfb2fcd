/* Cairn for C firmware.
 *
 * Link libcairn.a and the standard allocation functions come from Cairn:
 * malloc, free, calloc, realloc, posix_memalign, aligned_alloc, memalign,
 * malloc_usable_size and newlib's _malloc_r family. All of them may be
 * called from interrupt handlers (each runs with interrupts masked).
 * This header adds the heap report and the integrity check.
 */
#ifndef CAIRN_H
#define CAIRN_H

#include "cairn_platform.h"
#include "cairn_routing.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Sets the heap up, if it is not yet: a constructor in libcairn does it
 * before main (its tables and the fit heap's control block), so no
 * allocation pays for it. Call it from
 * startup code that does not run constructors, or to choose when the
 * set-up happens. Returns 0 when the heap is ready (also when it already
 * was), -1 when the build's settings cannot make one (every allocation
 * then fails). */
int cairn_init(void);

/* Gives the heap `bytes` bytes at `base` (word aligned) instead of the
 * build's static array, with the geometry the build chose for HEAP_SIZE
 * (or derived from `bytes` where the build left it open). Everything
 * allocated before is forgotten, and so is every region cairn_add_region
 * added: call it at startup, before anything allocates. Returns 0 when the
 * heap is ready, -1 when the region cannot hold one (the heap is then
 * unchanged). */
int cairn_init_region(void *base, size_t bytes);

/* Gives the heap one more region, `bytes` bytes at `base` (another SRAM
 * bank, say), besides its first (the static array, the linker symbols'
 * region, or cairn_init_region's). The first region keeps its fast paths;
 * the others are tried in the order they were added when it cannot serve
 * an allocation, and free, realloc and malloc_usable_size find the region
 * that holds a block. Each region is an allocator of its own, with its
 * tables at its start and the geometry of its own size (PAGE_SIZE and
 * LARGEST_CLASS still apply), so a block never spans two regions. A
 * region uses at most its first 16 MiB (a fit-heap header holds its size
 * in 24 bits): add a larger memory as several regions. At most
 * MAX_REGIONS regions (4 unless the build says otherwise), the first
 * included. Returns 0 when the region is the heap's, -1 when it is not
 * (NULL, too small for its tables and a page, overlapping another region
 * or the page below the first region's arena, MAX_REGIONS reached, or a
 * bump build, which has one region); the heap is then unchanged (a
 * region refused for its size may have had its first bytes written). Call
 * it at startup; cairn_init_region forgets every region added. */
int cairn_add_region(void *base, size_t bytes);

/* The heap's regions: 1 + those added. */
size_t cairn_region_count(void);

/* Figures of region `index` (0: the first, then in the order added).
 * Returns 0, or -1 (and `out` untouched) when there is no such region. */
int cairn_get_region_stats(size_t index, struct cairn_heap_stats *out);

/* Prints the heap report (capacity, use, peak, size classes, out-of-memory
 * count, integrity verdict) on the console; with several regions, the
 * first region's report, then a line per region and the total. Returns 0
 * when the heap (every region) is intact. */
int cairn_print_report(void);

/* Prints a map of the heap on the console, one line per page of the
 * slab's arena (runs of alike pages folded): class pages with their fill,
 * other pages with the bytes of live and free fit-heap blocks in them;
 * then the same for each region cairn_add_region added. The
 * format is described in Sources/Cairn/Firmware/HeapMap.swift;
 * scripts/heapmap.py draws it (`make heapmap`). A bump build prints one
 * line. Allocates nothing; runs with interrupts masked. */
void cairn_print_heap_map(void);

/* Runs the integrity check over every region; 0 when every invariant
 * holds, else the number of the first broken invariant (see
 * IntegrityProblem in the Swift sources). */
int cairn_check_integrity(void);

/* The whole heap's figures (every region; see struct cairn_heap_stats). */
void cairn_get_stats(struct cairn_heap_stats *out);

/* Heap corruption: a free-list link or other heap metadata in free memory
 * (a free block's link, a class page's descriptor, a fit-heap header or bin
 * link) that an overflow or a write after free changed. Cairn checks each
 * such word before it follows it. The release build never follows a bad
 * one: it abandons that list (cairn_corruption_count counts it and the
 * free blocks lost with it), raises stats.misuse, prints a
 * report line and calls the hook set here, if any, with the damaged
 * block's address and its size class (-1 for the fit heap); the hook may
 * log, reset the system, or return to carry on. It runs with interrupts
 * masked and must not allocate. The checked build reports and stops, like
 * every misuse. NULL removes the hook. cairn_corruption_count returns the
 * corruptions detected so far and stores the free blocks lost with them
 * in *lost_blocks (when not NULL). */
typedef void (*cairn_corruption_hook)(void *address, int size_class);
void cairn_set_corruption_hook(cairn_corruption_hook hook);
size_t cairn_corruption_count(size_t *lost_blocks);

/* The Swift entry points behind the hooks (cairn_hooks.c forwards to them;
 * firmware calls the standard names instead). Each masks interrupts around
 * its work. `caller` is the hook's return address, for misuse reports. */
void *cairn_swift_malloc(size_t size);
void cairn_swift_free(void *pointer, uintptr_t caller);
void *cairn_swift_calloc(size_t count, size_t size);
void *cairn_swift_realloc(void *pointer, size_t size, uintptr_t caller);
int cairn_swift_posix_memalign(void **out, size_t alignment, size_t size);
void *cairn_swift_aligned_alloc(size_t alignment, size_t size);
size_t cairn_swift_usable_size(void *pointer);
int cairn_swift_init(void);
int cairn_swift_init_region(void *base, size_t bytes);
int cairn_swift_add_region(void *base, size_t bytes);
size_t cairn_swift_region_count(void);
int cairn_swift_get_region_stats(size_t index, struct cairn_heap_stats *out);
void *cairn_swift_regions_allocate(uintptr_t size, uintptr_t alignment);
_Bool cairn_swift_regions_hold(uintptr_t address);
intptr_t cairn_swift_regions_usable_size(uintptr_t address);
void cairn_swift_regions_free_known_live(uintptr_t address, uintptr_t caller);
int cairn_swift_print_report(void);
void cairn_swift_print_heap_map(void);
int cairn_swift_check_integrity(void);
void cairn_swift_get_stats(struct cairn_heap_stats *out);
void cairn_swift_set_corruption_hook(cairn_corruption_hook hook);
size_t cairn_swift_corruption_count(size_t *lost_blocks);

/* Sets errno (the Swift side's failure paths call it). */
void cairn_set_errno(int code);

#ifdef __cplusplus
}
#endif

#endif
