/* The slab geometry Cairn picks from the heap size, for a build that sets
 * only HEAP_SIZE: one rule, read by Swift (SlabConfiguration(heapBytes:)
 * calls cairn_page_size_for_heap) and by C as constant expressions (the
 * benchmark's adversaries and the on-target tests size themselves by it).
 *
 *   heap              page size   largest class
 *   under 4 KiB              64              32
 *   under 16 KiB            128              64
 *   under 256 KiB           256             128
 *   256 KiB or more        1024             512
 *
 * Why these: DESIGN.md, "Geometry from the heap size". */
#ifndef CAIRN_GEOMETRY_H
#define CAIRN_GEOMETRY_H

#include <stddef.h>

#define CAIRN_PAGE_SIZE_FOR_HEAP(bytes) \
    ((bytes) < 4096 ? 64 : (bytes) < 16384 ? 128 : (bytes) < 262144 ? 256 : 1024)
/* Blocks above half a page take page runs. */
#define CAIRN_LARGEST_CLASS_FOR_PAGE(page) ((page) / 2)

static inline size_t cairn_page_size_for_heap(size_t bytes) { return CAIRN_PAGE_SIZE_FOR_HEAP(bytes); }

static inline size_t cairn_largest_class_for_page(size_t page) { return CAIRN_LARGEST_CLASS_FOR_PAGE(page); }

/* The geometry of this build's heap array: PAGE_SIZE and LARGEST_CLASS
 * where the build gives them, else the rule above for HEAP_SIZE. */
#ifdef CAIRN_HEAP_SIZE
#ifdef CAIRN_PAGE_SIZE
#define CAIRN_BUILD_PAGE_SIZE CAIRN_PAGE_SIZE
#else
#define CAIRN_BUILD_PAGE_SIZE CAIRN_PAGE_SIZE_FOR_HEAP(CAIRN_HEAP_SIZE)
#endif
#ifdef CAIRN_LARGEST_CLASS
#define CAIRN_BUILD_LARGEST_CLASS CAIRN_LARGEST_CLASS
#else
#define CAIRN_BUILD_LARGEST_CLASS CAIRN_LARGEST_CLASS_FOR_PAGE(CAIRN_BUILD_PAGE_SIZE)
#endif
#endif

#endif
