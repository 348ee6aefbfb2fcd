// Reset and the vector table of the MPS2 AN386 (Cortex-M4).
#include <stdint.h>

#include "board.h"

typedef void (*vector_t)(void);

int main(void);
void console_init(void);

// From the linker script (Toolchain/mps2-an386.ld); each range is word aligned.
extern uint32_t __data_start[], __data_end[], __data_load[];
extern uint32_t __bss_start[], __bss_end[];
extern vector_t __init_array_start[], __init_array_end[];
extern uint32_t __stack_top[];

void Reset_Handler(void) {
    console_init();
    const uint32_t *from = __data_load;
    for (uint32_t *to = __data_start; to < __data_end; to++) *to = *from++;
    for (uint32_t *to = __bss_start; to < __bss_end; to++) *to = 0;
    // Cairn sets its heap up in a constructor, before anything allocates.
    for (vector_t *f = __init_array_start; f < __init_array_end; f++) (*f)();
    board_exit(main());
}

// Any fault or unexpected interrupt ends the run with status 101.
static void Fault_Handler(void) {
    board_exit(101);
}

__attribute__((section(".vectors"), used))
static const vector_t vectors[16 + 32] = {
    [0] = (vector_t)(uintptr_t)__stack_top,
    [1] = Reset_Handler,
    [2 ... 16 + 32 - 1] = Fault_Handler,
};
