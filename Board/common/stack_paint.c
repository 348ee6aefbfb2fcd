// Stack high-water mark, on every board: the free part of the stack is
// painted with BOARD_STACK_PAINT before main, and the deepest point the
// stack ever reached is where the paint starts to be intact.
//
// Reads only: a firmware may call board_stack_high_water() at any time, as
// often as it likes. A frame that reserves stack it never writes (a large
// array left untouched) is not seen, so the figure is a lower bound.
#include <stddef.h>
#include <stdint.h>

#include "stack_guard.h"

// A C constructor: Reset_Handler runs it before main, when only its own
// few frames are on the stack. Everything below the current stack pointer
// is free, and nothing else runs (no interrupt is enabled yet), so the
// loop may write right up to it.
__attribute__((constructor)) static void stack_paint(void) {
    uint32_t *sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *word = __stack_limit; word < sp; word++) {
        *(volatile uint32_t *)word = BOARD_STACK_PAINT;
    }
}

size_t board_stack_high_water(void) {
    const volatile uint32_t *word = __stack_limit;
    while (word < __stack_top && *word == BOARD_STACK_PAINT) {
        word++;
    }
    return (size_t)((uintptr_t)__stack_top - (uintptr_t)word);
}
