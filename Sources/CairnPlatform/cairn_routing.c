/* The C face of the heap routing (cairn_routing.h) and the bump arena's
 * size from the build (BUMP_ARENA_SIZE, default 0: no bump arena, and
 * nothing taken from the heap). */
#if defined(__arm__) && !defined(__linux__)

#include "cairn.h"

#ifndef CAIRN_BUMP_ARENA_SIZE
#define CAIRN_BUMP_ARENA_SIZE 0
#endif
_Static_assert(CAIRN_BUMP_ARENA_SIZE % 8 == 0, "BUMP_ARENA_SIZE must be a multiple of 8");
_Static_assert(CAIRN_BUMP_ARENA_SIZE < CAIRN_HEAP_SIZE, "BUMP_ARENA_SIZE must leave the slab part of the heap");

size_t cairn_platform_bump_arena_size(void) { return CAIRN_BUMP_ARENA_SIZE; }

int cairn_use(enum cairn_allocator allocator) { return cairn_swift_use((int)allocator); }

void cairn_get_arena_stats(struct cairn_arena_stats *out) { cairn_swift_get_arena_stats(out); }

int cairn_arena_open(struct cairn_arena_scope *scope, size_t bytes) { return cairn_swift_arena_open(scope, bytes); }

int cairn_arena_close(const struct cairn_arena_scope *scope) { return cairn_swift_arena_close(scope); }

#endif
