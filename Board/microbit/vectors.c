// Vector table of the nRF51822 (Cortex-M0): 16 system entries, then the 32
// interrupt lines of the nRF51 (26 are wired). Nothing enables an interrupt
// yet, so every IRQ lands in Default_Handler.
#include <stdint.h>

#include "board_internal.h"

enum { SYSTEM_VECTORS = 16, IRQ_VECTORS = 32 };

// Replaced by a test firmware that uses it; otherwise it reports like
// Default_Handler.
__attribute__((weak)) void SysTick_Handler(void) { Default_Handler(); }

__attribute__((section(".vectors"), used))
const board_vector_t board_vectors[SYSTEM_VECTORS + IRQ_VECTORS] = {
    [0] = (board_vector_t)(uintptr_t)__stack_top,
    [1] = Reset_Handler,
    [2] = Default_Handler,    // NMI
    [3] = HardFault_Handler,  // ARMv6-M has no other fault exceptions
    [11] = Default_Handler,   // SVCall
    [14] = Default_Handler,   // PendSV
    [15] = SysTick_Handler,
    [SYSTEM_VECTORS ... SYSTEM_VECTORS + IRQ_VECTORS - 1] = Default_Handler,
};
