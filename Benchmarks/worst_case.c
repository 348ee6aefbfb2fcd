/* Adversarial workloads, one per C entry point (Cairn slab builds; the
 * runs worst-malloc, worst-free, worst-memalign, worst-realloc and
 * worst-calloc): each drives the heap into the states that the longest
 * path of scripts/wcet.py goes through, and times every call of its entry
 * point. scripts/bench.py sets the worst measured call beside the stated
 * one (BENCHMARKS.md, "Worst case per entry point").
 *
 * The shape every run starts from (shape_heap):
 *   1. every size class holds two full pages and a cache page;
 *   2. the smallest class has a partial list of PARTIAL_PAGES pages (most
 *      of the heap), none of them empty, each holding one live block: the
 *      longest walk reclaiming makes looking for an empty partial page;
 *   3. the fit heap is filled with large blocks down to the smallest
 *      large size, so that a class can take no page and the fit heap
 *      cannot serve: the next refill reclaims (every class walked, every
 *      cache page given back) and tries again.
 * Then each run exhausts the heap through its own entry point, every class
 * in turn, and frees everything. realloc and calloc are measured without
 * their copy and their zeroing: the memmove (what realloc copies with) or
 * memset of the same bytes at the same address is timed right after and
 * taken off (BENCHMARKS.md).
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cairn_geometry.h"

enum { PAGE = CAIRN_BUILD_PAGE_SIZE, LARGEST = CAIRN_BUILD_LARGEST_CLASS };
/* Pointers kept in a table; the smallest class's partial pages: as many
 * as fit beside every class's own pages, under the fit heap's 7/8 share
 * that classes may hold. */
#if CAIRN_HEAP_SIZE < 65536
enum { SLOTS = 64 };
#else
enum { SLOTS = 4096 };
#endif
enum { PARTIAL_PAGES = CAIRN_HEAP_SIZE / PAGE * 5 / 8 };
/* PageDescriptor.pageTail and SlabAllocator.freeMark. */
enum { PAGE_TAIL = 20 };
#define FREE_MARK 0xCACACACAu

static void *slots[SLOTS];
static size_t slot_bytes[SLOTS];
static unsigned slot_count;

static void keep(void *block, size_t bytes) {
    if (block == NULL) return;
    if (slot_count == SLOTS) {
        bench_free(block, bytes);
        return;
    }
    slots[slot_count] = block;
    slot_bytes[slot_count++] = bytes;
}

/* The standard size classes (SlabConfiguration): 8, then steps of a
 * quarter of the power of two below, at least 4, to the largest class. */
static size_t next_class(size_t size) {
    size_t power = 1;
    while (power * 2 <= size) power *= 2;
    return size + (power / 4 > 4 ? power / 4 : 4);
}

static size_t blocks_per_page(size_t size) { return (PAGE - PAGE_TAIL) / size; }

/* Blocks kept through their own first word (a heap of small blocks needs
 * no table of pointers): one live block in each of the smallest class's
 * partial pages. */
static void *partial_keepers;

/* Fills PARTIAL_PAGES pages of the smallest class, then frees every block
 * but one in each page: a partial list of pages none of which is empty,
 * which reclaiming walks to its end. */
static void make_partial_pages(void *(*allocate)(size_t)) {
    void *all = NULL;
    for (size_t i = 0; i < (size_t)PARTIAL_PAGES * blocks_per_page(8); i++) {
        void *block = allocate(8);
        if (block == NULL) break;
        *(void **)block = all;
        all = block;
    }
    uintptr_t last_page = UINTPTR_MAX;
    while (all != NULL) {
        void *next = *(void **)all;
        uintptr_t page = (uintptr_t)all / PAGE;
        if (page != last_page) {
            *(void **)all = partial_keepers;
            partial_keepers = all;
            last_page = page;
        } else {
            bench_free(all, 8);
        }
        all = next;
    }
}

/* Every run's starting shape (the file comment). `allocate` allocates
 * through the run's own entry point where it can. */
static void shape_heap(void *(*allocate)(size_t)) {
    for (size_t size = 8; size <= LARGEST; size = next_class(size)) {
        size_t count = 2 * blocks_per_page(size) + 1;
        for (size_t i = 0; i < count && slot_count < SLOTS / 2; i++) keep(allocate(size), size);
    }
    make_partial_pages(allocate);
    /* The fit heap, filled from large blocks down to the smallest large one. */
    for (size_t size = CAIRN_HEAP_SIZE / 8; size > LARGEST; size /= 2) {
        for (;;) {
            void *block = allocate(size);
            if (block == NULL || slot_count == SLOTS) {
                if (block != NULL) bench_free(block, size);
                break;
            }
            keep(block, size);
        }
    }
    for (;;) {
        void *block = allocate(LARGEST + 1);
        if (block == NULL || slot_count == SLOTS) {
            if (block != NULL) bench_free(block, LARGEST + 1);
            break;
        }
        keep(block, LARGEST + 1);
    }
}

static void free_all(void) {
    while (partial_keepers != NULL) {
        void *next = *(void **)partial_keepers;
        bench_free(partial_keepers, 8);
        partial_keepers = next;
    }
    /* From the last kept: the class pages empty one by one and go back to
     * the fit heap, which merges them with their neighbours. */
    while (slot_count > 0) {
        slot_count--;
        if (slots[slot_count] != NULL) bench_free(slots[slot_count], slot_bytes[slot_count]);
    }
}

/* Exhausts every class through `allocate`, the largest first (the
 * smallest class's long partial list is walked by every reclaim until its
 * own turn takes the pages back): the failing call of each went through
 * the reclaim path. */
static void exhaust(void *(*allocate)(size_t)) {
    size_t classes[64];
    unsigned count = 0;
    for (size_t size = 8; size <= LARGEST && count < 64; size = next_class(size)) classes[count++] = size;
    while (count > 0) {
        size_t size = classes[--count];
        for (;;) {
            void *block = allocate(size);
            if (block == NULL) break;
            keep(block, size);
            if (slot_count == SLOTS) return;
        }
    }
}

/* --- malloc --------------------------------------------------------------- */

int bench_workload_worst_malloc(void) {
    bench_warm = 1;
    shape_heap(bench_malloc);
    exhaust(bench_malloc);
    free_all();
    shape_heap(bench_malloc);
    exhaust(bench_malloc);
    free_all();
    return 0;
}

/* --- free ------------------------------------------------------------------ */

/* A live block whose first two words look like a free block's (word 1 =
 * word 0 XOR the free mark): free must walk its page's free list and the
 * class's cache to tell it from a double free. The page's free list is
 * made as long as it gets (every other block of the page freed). */
static int free_lookalike(void) {
    size_t per_page = blocks_per_page(8);
    unsigned first = slot_count;
    for (size_t i = 0; i < 2 * per_page && slot_count < SLOTS; i++) keep(malloc(8), 8);
    unsigned last = slot_count;
    for (unsigned i = first; i + 1 < last; i++) {
        bench_free(slots[i], 8);
        slots[i] = NULL;
    }
    uint32_t *words = slots[last - 1];
    if (words == NULL) return 70;
    words[0] = 0;
    words[1] = FREE_MARK;
    return 0;
}

int bench_workload_worst_free(void) {
    bench_warm = 1;
    shape_heap(malloc);
    exhaust(malloc);
    int status = free_lookalike();
    free_all();
    shape_heap(malloc);
    free_all();
    return status;
}

/* --- posix_memalign ------------------------------------------------------- */

static size_t alignment = 8;

static void *timed_memalign(size_t bytes) {
    void *block = NULL;
    int code = (int)(intptr_t)bench_time_call((const void *)posix_memalign, (uintptr_t)&block, alignment, bytes);
    bench_series_add(&bench_allocs, bench_callee_instructions());
    if (code != 0) {
        bench_allocs.failures++;
        return NULL;
    }
    bench_note_alloc(bytes);
    return block;
}

int bench_workload_worst_memalign(void) {
    bench_warm = 1;
    for (alignment = 8; alignment <= 4 * PAGE; alignment *= 4) {
        shape_heap(timed_memalign);
        exhaust(timed_memalign);
        free_all();
    }
    return 0;
}

/* --- realloc, without its copy ------------------------------------------ */

static uint32_t net_worst;

static void note_net(uint32_t total, uint32_t part) {
    uint32_t net = total > part ? total - part : 0;
    if (net > net_worst) net_worst = net;
}

/* Grows every kept block to the next class (or double its size), which
 * must move it while the heap is full. */
static void grow_all(void) {
    for (unsigned i = 0; i < slot_count; i++) {
        if (slots[i] == NULL) continue;
        size_t old = slot_bytes[i];
        size_t bytes = old <= LARGEST ? next_class(old) : 2 * old;
        size_t copied = malloc_usable_size(slots[i]);
        void *moved = bench_time_call((const void *)realloc, (uintptr_t)slots[i], bytes, 0);
        uint32_t total = bench_callee_instructions();
        bench_series_add(&bench_reallocs, total);
        if (moved == NULL) {
            bench_reallocs.failures++;
            note_net(total, 0);
            continue;
        }
        if (moved == slots[i]) {
            note_net(total, 0);
        } else {
            if (copied > bytes) copied = bytes;
            bench_time_call((const void *)memmove, (uintptr_t)moved, (uintptr_t)moved, copied);
            note_net(total, bench_callee_instructions());
        }
        bench_note_free(old);
        bench_note_alloc(bytes);
        slots[i] = moved;
        slot_bytes[i] = bytes;
    }
}

int bench_workload_worst_realloc(void) {
    bench_warm = 1;
    for (int round = 0; round < 2; round++) {
        shape_heap(malloc);
        grow_all();
        exhaust(malloc);
        grow_all();
        free_all();
    }
    bench_report("realloc_net_worst", net_worst);
    return 0;
}

/* --- calloc, without its zeroing ---------------------------------------- */

static void *timed_calloc(size_t bytes) {
    void *block = bench_time_call((const void *)calloc, 1, bytes, 0);
    uint32_t total = bench_callee_instructions();
    bench_series_add(&bench_allocs, total);
    if (block == NULL) {
        bench_allocs.failures++;
        note_net(total, 0);
        return NULL;
    }
    bench_time_call((const void *)memset, (uintptr_t)block, 0, bytes);
    note_net(total, bench_callee_instructions());
    bench_note_alloc(bytes);
    return block;
}

int bench_workload_worst_calloc(void) {
    bench_warm = 1;
    for (int round = 0; round < 2; round++) {
        shape_heap(timed_calloc);
        exhaust(timed_calloc);
        free_all();
    }
    bench_report("calloc_net_worst", net_worst);
    return 0;
}
