/* The slab geometry Cairn picks from the heap size, for a build that sets
 * only HEAP_SIZE: one rule, read by Swift (SlabConfiguration(heapBytes:)
 * calls the two functions below) and by C as constant expressions (the
 * benchmark's adversaries and the on-target tests size themselves by it).
 *
 *   heap              page size   largest class
 *   under 16 KiB            128              12
 *   under 256 KiB           256              12
 *   256 KiB or more        1024             512
 *
 * Blocks above the largest class come from the fit heap (4 bytes of header,
 * 8-byte granularity). A heap of less than 256 KiB is one where RAM is
 * short: there a page held by a class serves that class alone, and sizes
 * spread over many classes need less memory as fit-heap blocks; the
 * classes kept (8, 12) are those whose blocks the 4-byte header and 8-byte
 * granularity would double. A larger heap buys speed with its pages.
 * Why these: DESIGN.md, "Geometry from the heap size". */
#ifndef CAIRN_GEOMETRY_H
#define CAIRN_GEOMETRY_H

#include <stddef.h>

/* The bounds of a page size, and the geometry of a large heap (also
 * SlabConfiguration's defaults): written here once, for Swift and C. */
#define CAIRN_MIN_PAGE_SIZE 64
#define CAIRN_MAX_PAGE_SIZE 32768
#define CAIRN_DEFAULT_PAGE_SIZE 1024
#define CAIRN_DEFAULT_LARGEST_CLASS 512

#define CAIRN_PAGE_SIZE_FOR_HEAP(bytes) ((bytes) < 16384 ? 128 : (bytes) < 262144 ? 256 : CAIRN_DEFAULT_PAGE_SIZE)
#define CAIRN_LARGEST_CLASS_FOR_HEAP(bytes) ((bytes) < 262144 ? 12 : CAIRN_DEFAULT_LARGEST_CLASS)

static inline size_t cairn_page_size_for_heap(size_t bytes) { return CAIRN_PAGE_SIZE_FOR_HEAP(bytes); }

static inline size_t cairn_largest_class_for_heap(size_t bytes) { return CAIRN_LARGEST_CLASS_FOR_HEAP(bytes); }

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
#define CAIRN_BUILD_LARGEST_CLASS CAIRN_LARGEST_CLASS_FOR_HEAP(CAIRN_HEAP_SIZE)
#endif
#endif

#endif
