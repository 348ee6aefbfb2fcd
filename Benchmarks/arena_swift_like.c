/* The smallest-arena workload shaped like an Embedded Swift program, in C:
 * what the runtime asks of the allocator when a program keeps class
 * instances in linked lists and appends to arrays.
 *
 * - Objects: 16..48-byte class instances, posix_memalign(.., 16, ..) as
 *   swift_allocObject does. The first 8 bytes stand for the object header
 *   (here: the link to the next object, the size and the tag); the rest is
 *   patterned. Each step pushes one object on a list; one step in four
 *   also drops the head of a random list (an object going out of scope).
 * - Lists: at the end of each round every other list is freed whole (a
 *   list alternates, so each lives two rounds). Outside the heap each list
 *   keeps its count and the sum of its tags, so a block handed out twice
 *   or a broken link shows up when the list is walked.
 * - Arrays: each step appends 8 bytes to one array, in turn. A full array
 *   grows as Swift's does: a new block of twice the size (16-aligned), the
 *   contents copied, the old block freed. An array that would pass
 *   ARRAY_MAX is dropped and a new one starts at ARRAY_MIN.
 */
#include <string.h>

#include "arena.h"

#if BENCH_ARENA_SMALL
enum { LISTS = 4, ARRAYS = 3, ROUNDS = 6, STEPS_PER_ROUND = 64, ARRAY_MAX = 512 };
#else
enum { LISTS = 8, ARRAYS = 4, ROUNDS = 6, STEPS_PER_ROUND = 640, ARRAY_MAX = 2048 };
#endif
enum { OBJECT_MIN = 16, OBJECT_MAX = 48, ARRAY_MIN = 16, ELEMENT = 8, ALIGNMENT = 16 };
enum { SWIFT_LIKE_SEED = 0x5A1F7u };

struct object {
    struct object *next;
    uint16_t size;
    uint16_t tag;
    /* then size - 8 patterned bytes */
};
/* 8 bytes on the 32-bit targets, as Swift's header; it must fit the smallest object. */
_Static_assert(sizeof(struct object) <= OBJECT_MIN, "the object header must fit the smallest object");

struct list {
    struct object *head;
    uint32_t count;
    uint32_t tag_sum;
};

struct array {
    uint8_t *bytes;
    uint16_t capacity;
    uint16_t used;
    uint16_t tag;
};

static struct list lists[LISTS];
static struct array arrays[ARRAYS];

/* --- Objects and lists ---------------------------------------------------------- */

static void push_object(struct list *list) {
    size_t size = arena_between(OBJECT_MIN, OBJECT_MAX);
    struct object *object = arena_allocate(size, ALIGNMENT);
    object->next = list->head;
    object->size = (uint16_t)size;
    object->tag = arena_next_tag();
    arena_fill((uint8_t *)object, sizeof *object, size, object->tag);
    list->head = object;
    list->count++;
    list->tag_sum += object->tag;
}

static void check_object(const struct object *object) {
    if (object->size < OBJECT_MIN || object->size > OBJECT_MAX) arena_finish(ARENA_CORRUPT);
    arena_expect((const uint8_t *)object, sizeof *object, object->size, object->tag);
}

static void pop_object(struct list *list) {
    struct object *object = list->head;
    if (object == NULL) return;
    check_object(object);
    list->head = object->next;
    list->count--;
    list->tag_sum -= object->tag;
    arena_release(object, object->size);
}

/* Walks the list, checking every object, and frees each when `release`.
 * Ends the run when the walk does not find exactly the objects pushed. */
static void walk_list(struct list *list, int release) {
    uint32_t seen = 0, tag_sum = 0;
    struct object *object = list->head;
    while (object != NULL) {
        if (++seen > list->count) arena_finish(ARENA_CORRUPT);
        check_object(object);
        tag_sum += object->tag;
        struct object *next = object->next;
        if (release) arena_release(object, object->size);
        object = next;
    }
    if (seen != list->count || tag_sum != list->tag_sum) arena_finish(ARENA_CORRUPT);
    if (release) *list = (struct list){ NULL, 0, 0 };
}

/* --- Arrays ------------------------------------------------------------------------ */

static void start_array(struct array *array) {
    array->bytes = arena_allocate(ARRAY_MIN, ALIGNMENT);
    array->capacity = ARRAY_MIN;
    array->used = 0;
    array->tag = arena_next_tag();
}

static void drop_array(struct array *array) {
    arena_expect(array->bytes, 0, array->used, array->tag);
    arena_release(array->bytes, array->capacity);
    array->bytes = NULL;
}

static void append(struct array *array) {
    if (array->used + ELEMENT > array->capacity) {
        if (array->capacity * 2 > ARRAY_MAX) {
            drop_array(array);
            start_array(array);
        } else {
            /* Grow: the new block is taken while the old one is live. */
            arena_expect(array->bytes, 0, array->used, array->tag);
            uint8_t *grown = arena_allocate(array->capacity * 2u, ALIGNMENT);
            memcpy(grown, array->bytes, array->used);
            arena_release(array->bytes, array->capacity);
            array->bytes = grown;
            array->capacity *= 2;
        }
    }
    arena_fill(array->bytes, array->used, array->used + ELEMENT, array->tag);
    array->used += ELEMENT;
}

/* --- The program ------------------------------------------------------------------ */

void arena_workload_swift_like(void) {
    arena_seed(SWIFT_LIKE_SEED);
    memset(lists, 0, sizeof lists);
    for (unsigned a = 0; a < ARRAYS; a++) start_array(&arrays[a]);
    for (unsigned round = 0; round < ROUNDS; round++) {
        for (unsigned step = 0; step < STEPS_PER_ROUND; step++) {
            push_object(&lists[arena_random() % LISTS]);
            if ((arena_random() & 3) == 0) pop_object(&lists[arena_random() % LISTS]);
            append(&arrays[step % ARRAYS]);
        }
        for (unsigned l = round % 2; l < LISTS; l += 2) walk_list(&lists[l], 1);
    }
    for (unsigned l = 0; l < LISTS; l++) walk_list(&lists[l], 0);
    for (unsigned a = 0; a < ARRAYS; a++) arena_expect(arrays[a].bytes, 0, arrays[a].used, arrays[a].tag);
    for (unsigned l = 0; l < LISTS; l++) walk_list(&lists[l], 1);
    for (unsigned a = 0; a < ARRAYS; a++) drop_array(&arrays[a]);
}
