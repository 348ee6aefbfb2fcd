/* The allocator behind the hooks, chosen at run time, and the bump arena
 * beside the slab (Sources/Cairn/Heap/HeapRouter.swift has the rules).
 *
 * A build with BUMP_ARENA_SIZE=n (make) or -DCAIRN_BUMP_ARENA_SIZE=n (C)
 * carves a bump arena of n bytes from the end of the heap; the slab gets
 * the rest. A firmware can then boot with its permanent objects in it:
 *
 *     cairn_use_bump();
 *     ... tables, drivers, queues that live for ever ...
 *     cairn_use_slab();
 *
 * Whatever is selected, `free` goes to the allocator that owns the address
 * (a bump block's free is a counted no-op, or rolls the arena back when it
 * is the newest block), and interrupt handlers always allocate from the
 * slab. Swift code (`CairnHeap.withArena`) and C code
 * (`cairn_arena_open`/`cairn_arena_close`) can also open scoped arenas on
 * the bump arena. Slab builds only: with ALLOCATOR=bump the heap
 * is one bump allocator and there is nothing to switch.
 */
#ifndef CAIRN_ROUTING_H
#define CAIRN_ROUTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The allocator that serves thread-mode allocations outside scopes. */
enum cairn_allocator {
    CAIRN_ALLOCATOR_SLAB = 0,
    CAIRN_ALLOCATOR_BUMP = 1,
};

/* Selects the allocator; 0 when done, -1 when the build has no bump arena
 * (nothing changes). Interrupt-safe: one word changes with interrupts
 * masked. */
int cairn_use(enum cairn_allocator allocator);
static inline int cairn_use_bump(void) { return cairn_use(CAIRN_ALLOCATOR_BUMP); }
static inline int cairn_use_slab(void) { return cairn_use(CAIRN_ALLOCATOR_SLAB); }

/* A scoped arena, what CairnHeap.withArena is to Swift: between
 * cairn_arena_open and cairn_arena_close every thread-mode allocation
 * (malloc, Swift objects) comes from at most `bytes` bytes on top of the
 * bump arena, and closing releases all of it at once:
 *
 *     struct cairn_arena_scope scope;
 *     if (cairn_arena_open(&scope, 4096) == 0) {
 *         ... parse a message, build a reply: nothing freed one by one ...
 *         cairn_arena_close(&scope);
 *     }
 *
 * The record is the caller's (its stack will do) and must not be changed.
 * Scopes nest, an inner one taking its bytes from the outer's; close them
 * innermost first. Interrupt handlers keep allocating from the slab.
 * Nothing allocated inside may be used after the close; a block freed
 * after it is reported as a foreign pointer (unless a later allocation
 * has reused its address).
 * cairn_arena_open: 0, or -1 (nothing changes) without a bump arena, with
 * fewer than `bytes` bytes left in it, or in an interrupt handler.
 * cairn_arena_close: 0, or -1 (nothing changes) for a record that is not
 * the innermost open scope's (closed already, an outer one). */
struct cairn_arena_scope {
    uintptr_t top, last_block, end, limit, depth;
};
int cairn_arena_open(struct cairn_arena_scope *scope, size_t bytes);
int cairn_arena_close(const struct cairn_arena_scope *scope);

/* The bump arena's figures, in bytes. */
struct cairn_arena_stats {
    size_t capacity;        /* bytes of the bump arena: BUMP_ARENA_SIZE less the
                               router's own state (48 bytes) at its start; 0: none */
    size_t in_use;          /* from its start to the top */
    size_t peak_in_use;     /* highest in_use so far */
    size_t failed;          /* requests it could not hold */
    size_t ignored_frees;   /* frees of blocks below the newest: no-ops */
    size_t rollbacks;       /* frees of the newest block: the top went back */
    size_t late_frees;      /* frees above the top (after their scope closed): reported */
    size_t open_scopes;     /* scoped arenas open now */
    int selected;           /* enum cairn_allocator selected now */
};
void cairn_get_arena_stats(struct cairn_arena_stats *out);

/* Bytes of the bump arena this build carves from the heap (BUMP_ARENA_SIZE). */
size_t cairn_platform_bump_arena_size(void);

/* True in handler mode (an interrupt or fault handler runs): IPSR holds
 * the exception number, zero in thread mode. */
static inline __attribute__((always_inline)) bool cairn_in_handler_mode(void) {
#if defined(__arm__) && !defined(__linux__)
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    return ipsr != 0;
#else
    return false;
#endif
}

/* Swift entry points (Sources/Cairn/Firmware/HeapRouting.swift). */
int cairn_swift_use(int allocator);
int cairn_swift_arena_open(struct cairn_arena_scope *scope, uintptr_t bytes);
int cairn_swift_arena_close(const struct cairn_arena_scope *scope);
void cairn_swift_get_arena_stats(struct cairn_arena_stats *out);

#ifdef __cplusplus
}
#endif

#endif
