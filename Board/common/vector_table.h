// The vector table, as each board's vectors.c defines it: the entries every
// Cortex-M board shares, the board's own fault entries, and its interrupt
// lines. Nothing enables an interrupt yet, so every IRQ lands in
// Default_Handler. Used once per board, at file scope:
//
//     BOARD_VECTOR_TABLE(IRQ_LINES, [4] = MemManage_Handler, ...);
//
// The table goes to section .vectors, which the linker script puts first in
// flash, where the core reads the reset vector table.
#ifndef CAIRN_BOARD_VECTOR_TABLE_H
#define CAIRN_BOARD_VECTOR_TABLE_H

#include <stdint.h>

#include "board_internal.h"

// Exceptions 0-15 of the architecture, before the first interrupt line.
#define BOARD_SYSTEM_VECTORS 16

// Entries 4-13 are the board's: the second argument on (ARMv6-M has none
// there; ARMv7-M and ARMv8-M have their configurable faults and
// DebugMonitor). Left out, an entry is 0 (reserved).
#define BOARD_VECTOR_TABLE(irq_lines, ...)                                             \
    __attribute__((section(".vectors"), used))                                         \
    const board_vector_t board_vectors[BOARD_SYSTEM_VECTORS + (irq_lines)] = {         \
        [0] = (board_vector_t)(uintptr_t)__stack_top,                                  \
        [1] = Reset_Handler,                                                           \
        [2] = Default_Handler, /* NMI */                                               \
        [3] = HardFault_Handler,                                                       \
        __VA_ARGS__                                                                    \
        [11] = Default_Handler, /* SVCall */                                           \
        [14] = Default_Handler, /* PendSV */                                           \
        [15] = SysTick_Handler,                                                        \
        [BOARD_SYSTEM_VECTORS ... BOARD_SYSTEM_VECTORS + (irq_lines) - 1] = Default_Handler, \
    }

#endif
