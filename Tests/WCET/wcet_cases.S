/* Functions with known longest paths for scripts/wcet.py's test
 * (test_wcet.py): each comment gives the instructions on the path the
 * analysis must find. Assembled for the Cortex-M4, linked at 0, never run.
 */
    .syntax unified
    .thumb
    .text

/* Two arms: the longer one, 6. */
    .global malloc
    .type malloc, %function
    .thumb_func
malloc:
    cmp r0, #0
    beq 1f
    adds r0, #1
    adds r0, #1
    adds r0, #1
    bx lr
1:  bx lr
    .size malloc, . - malloc

/* Nested loops, outer 3 passes, inner 4: 1 + 3 * (1 + 4 * 3 + 3) + 1 = 50. */
    .global free
    .type free, %function
    .thumb_func
free:
    movs r1, #0
outer_loop:
    movs r2, #0
inner_loop:
    adds r2, #1
    cmp r2, #4
    bne inner_loop
    adds r1, #1
    cmp r1, #3
    bne outer_loop
    bx lr
    .size free, . - free

/* A call (3) and a tail branch (2): push, bl + 3, pop, b.w + 2 = 9. */
    .global posix_memalign
    .type posix_memalign, %function
    .thumb_func
posix_memalign:
    push {r4, lr}
    bl helper
    pop {r4, lr}
    b.w tailee
    .size posix_memalign, . - posix_memalign

    .type helper, %function
    .thumb_func
helper:
    adds r0, #1
    adds r0, #1
    bx lr
    .size helper, . - helper

    .type tailee, %function
    .thumb_func
tailee:
    movs r0, #0
    bx lr
    .size tailee, . - tailee

/* A return inside an IT block (4 on its way), a trap that is not a
 * return, and a call that never returns (its path, 14 long, does not
 * count): the longest return is 11. */
    .global realloc
    .type realloc, %function
    .thumb_func
realloc:
    push {r4, lr}
    cmp r0, #0
    it eq
    popeq {r4, pc}
    cmp r1, #0
    beq 2f
    cmp r2, #0
    beq 3f
    adds r0, #1
    adds r0, #1
    pop {r4, pc}
2:  udf #0
3:  adds r0, #1
    adds r0, #1
    adds r0, #1
    adds r0, #1
    bl stops
    pop {r4, pc}
    .size realloc, . - realloc

    .type stops, %function
    .thumb_func
stops:
    udf #1
    .size stops, . - stops

/* A tail branch through a register loaded from a literal (Thumb-1's far
 * branch): 2 + tailee's 2 = 4. */
    .global calloc
    .type calloc, %function
    .thumb_func
calloc:
    ldr r2, =tailee
    bx r2
    .ltorg
    .size calloc, . - calloc

/* A loop no bound names: the analysis must stop. */
    .global unbounded
    .type unbounded, %function
    .thumb_func
unbounded:
    subs r0, #1
    bne unbounded
    bx lr
    .size unbounded, . - unbounded

/* A jump table (tbb) of three cases, 1, 3 and 2 instructions long after
 * the dispatch: cmp, bhi, tbb, then the longest case (3 and its return)
 * = 3 + 4 = 7. */
    .global switching
    .type switching, %function
    .thumb_func
switching:
    cmp r0, #2
    bhi 9f
    tbb [pc, r0]
1:  .byte (case0 - 1b) / 2, (case1 - 1b) / 2, (case2 - 1b) / 2, 0
case0:
    bx lr
case1:
    adds r0, #1
    adds r0, #1
    adds r0, #1
    bx lr
case2:
    adds r0, #1
    adds r0, #1
    bx lr
9:  movs r0, #0
    bx lr
    .size switching, . - switching

/* A call of heapWasUnconfigured (ASSUMED_FALSE): only its false branch is
 * followed. push, bl + 2, lsls, beq, then the false way: movs, pop = 8
 * (the true way, 4 adds more before them, would be 12). */
    .global assumed
    .type assumed, %function
    .thumb_func
assumed:
    push {r4, lr}
    bl heapWasUnconfigured
    lsls r0, r0, #31
    beq 1f
    adds r0, #1
    adds r0, #1
    adds r0, #1
    adds r0, #1
1:  movs r0, #0
    pop {r4, pc}
    .size assumed, . - assumed

    .type heapWasUnconfigured, %function
    .thumb_func
heapWasUnconfigured:
    movs r0, #0
    bx lr
    .size heapWasUnconfigured, . - heapWasUnconfigured

/* A loop sharing a total: walker's loop runs at most 10 times each call,
 * but at most 6 times in all across one run of shared's loop (4 passes).
 * Shared: push, movs, 4 passes of (mov, bl + walker's once-through 3,
 * adds, cmp, bne) = 4 * 8, its 6 shared passes of 2, pop: 2 + 32 + 12 + 1
 * = 47 (counting walker's bound each call would give 107). Called on its
 * own, walker counts its bound: push, bl + (9 * 2 + 2 + 1), pop = 24. */
    .global shared
    .type shared, %function
    .thumb_func
shared:
    push {r4, lr}
    movs r4, #0
shared_outer:
    mov r0, r4
    bl walker
    adds r4, #1
    cmp r4, #4
    bne shared_outer
    pop {r4, pc}
    .size shared, . - shared

    .global unshared
    .type unshared, %function
    .thumb_func
unshared:
    push {r4, lr}
    bl walker
    pop {r4, pc}
    .size unshared, . - unshared

    .type walker, %function
    .thumb_func
walker:
walker_loop:
    subs r0, #1
    bne walker_loop
    bx lr
    .size walker, . - walker
