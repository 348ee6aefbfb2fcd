// Vector table of the MPS2 AN505 (Cortex-M33, Secure state): 16 system
// entries, then the 92 interrupt lines of the AN505 image. Nothing enables
// an interrupt yet, so every IRQ lands in Default_Handler. The table is the
// Secure one, at INITSVTOR (0x10000000, the start of FLASH).
#include <stdint.h>

#include "board_internal.h"

enum { SYSTEM_VECTORS = 16, IRQ_VECTORS = 92 };

// Replaced by whoever uses them (mpu_fault_report.c, a test firmware); otherwise
// they report like Default_Handler, which reads the exception from IPSR.
__attribute__((weak)) void MemManage_Handler(void) { Default_Handler(); }
__attribute__((weak)) void SysTick_Handler(void) { Default_Handler(); }

// 108 entries: VTOR's alignment rule (the table size rounded up to a power
// of two, 512 bytes) is met by FLASH's start.
__attribute__((section(".vectors"), used))
const board_vector_t board_vectors[SYSTEM_VECTORS + IRQ_VECTORS] = {
    [0] = (board_vector_t)(uintptr_t)__stack_top,
    [1] = Reset_Handler,
    [2] = Default_Handler,    // NMI
    [3] = HardFault_Handler,
    // MemManage is enabled by the stack guard (mpu_guard.c). BusFault,
    // UsageFault and SecureFault stay disabled in SHCSR, so they escalate
    // to HardFault, whose report prints CFSR to tell them apart.
    [4] = MemManage_Handler,
    [5] = Default_Handler,    // BusFault
    [6] = Default_Handler,    // UsageFault
    [7] = Default_Handler,    // SecureFault
    [11] = Default_Handler,   // SVCall
    [12] = Default_Handler,   // DebugMonitor
    [14] = Default_Handler,   // PendSV
    [15] = SysTick_Handler,
    [SYSTEM_VECTORS ... SYSTEM_VECTORS + IRQ_VECTORS - 1] = Default_Handler,
};
