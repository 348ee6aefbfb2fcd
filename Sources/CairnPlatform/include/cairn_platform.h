/* What the Swift side of Cairn needs from the platform: where the heap is
 * and how it is configured, a console that does not allocate, and a way to
 * stop. Defined in cairn_config.c (from build settings) with weak defaults
 * a board may override. Nothing here is defined on the host. */
#ifndef CAIRN_PLATFORM_H
#define CAIRN_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

struct cairn_heap_config {
    uint8_t *storage;             /* the static heap array, or HEAP_BASE_SYMBOL */
    size_t storage_size;          /* HEAP_SIZE, or up to HEAP_LIMIT_SYMBOL */
    size_t page_size;             /* PAGE_SIZE, or 0: chosen from the heap size */
    size_t largest_class;         /* LARGEST_CLASS (standard classes), or 0: chosen too */
    const uint16_t *size_classes; /* SIZE_CLASSES, or NULL for the standard ones */
    size_t size_class_count;
    size_t max_regions;           /* MAX_REGIONS: the heap's regions, the first included */
};

/* Heap figures in bytes, for firmware that logs its own way: of one region
 * (cairn_get_region_stats) or of the whole heap (cairn_get_stats: the
 * regions' sums; its peak is the sum of their peaks, and with several
 * regions its out_of_memory counts the allocations every region refused). */
struct cairn_heap_stats {
    size_t capacity;        /* bytes of the arena */
    size_t in_use;          /* bytes out of the pool (whole pages for the slab) */
    size_t peak_in_use;     /* highest in_use so far */
    size_t reserved;        /* bytes of live blocks */
    size_t live_blocks;     /* live blocks */
    size_t out_of_memory;   /* failed allocations */
    size_t misuse;          /* misuse detected: bad frees, heap corruption */
};
void cairn_platform_heap_config(struct cairn_heap_config *out);

/* The heap's regions after the first, as the first region's slow paths
 * reach them (Sources/Cairn/Firmware/PlatformRegions.swift): NULL until
 * cairn_add_region adds one and points it at a table of their entry
 * points. Only cairn_add_region names the table, so a firmware that never
 * calls it links none of the regions' code. Defined in cairn_hooks.c. */
struct cairn_other_regions_table {
    void *(*allocate)(uintptr_t size, uintptr_t alignment);   /* a block, or NULL */
    _Bool (*hold)(uintptr_t address);                          /* a region's fit heap holds it */
    intptr_t (*usable_size)(uintptr_t address);                /* of a live block, else -1 */
    void (*free_known_live)(uintptr_t address, uintptr_t caller);
};
extern const struct cairn_other_regions_table *cairn_other_regions;

/* Swift reads and clears it through these (a C global is not Swift 6
 * concurrency-safe to name); inlined, they cost nothing. */
static inline const struct cairn_other_regions_table *cairn_get_other_regions(void) { return cairn_other_regions; }

static inline void cairn_forget_other_regions(void) { cairn_other_regions = 0; }

/* Writes `length` bytes to the console; must not allocate. */
void cairn_platform_write(const char *text, size_t length);

/* A 32-bit word that differs from boot to boot where the board has a
 * source (a hardware RNG, an unpredictable timer at reset): the secret of
 * the key Cairn checks free-list links with. The default (weak) returns
 * 0, which gives a key fixed by the build: enough against an overwrite
 * that does not know it, not against one that read the firmware image.
 * Called once, when the heap is set up. */
uint32_t cairn_platform_entropy(void);

/* Stops the program after a fatal report (checked builds). */
void cairn_platform_fatal(void) __attribute__((noreturn));

#endif
