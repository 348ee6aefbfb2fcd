// Stack guard for the Cortex-M4 of the MPS2 AN386: one MPU region with no
// access, [__stack_guard_start, __stack_guard_end) right below the stack
// (placed by LinkerScripts/mps2-an386.ld), set up before main, and
// MemManage enabled. Board/common/mpu_fault_report.c turns a fault in it
// into the `stack overflow` report.
#include <stdint.h>

#include "stack_guard.h"

#define SCB_SHCSR (*(volatile uint32_t *)0xE000ED24u)
#define MPU_TYPE (*(volatile uint32_t *)0xE000ED90u)
#define MPU_CTRL (*(volatile uint32_t *)0xE000ED94u)
#define MPU_RNR (*(volatile uint32_t *)0xE000ED98u)
#define MPU_RBAR (*(volatile uint32_t *)0xE000ED9Cu)
#define MPU_RASR (*(volatile uint32_t *)0xE000EDA0u)

#define SHCSR_MEMFAULTENA (1u << 16)
#define MPU_CTRL_ENABLE (1u << 0)
#define MPU_CTRL_PRIVDEFENA (1u << 2)   // privileged code keeps the default map
#define RASR_ENABLE (1u << 0)
#define RASR_XN (1u << 28)              // AP = 0b000 (bits 26:24): no access at all
#define RASR_SIZE(log2_bytes) (((uint32_t)(log2_bytes) - 1u) << 1)

// Log2 of a power of two. Undefined for zero.
static uint32_t log2_of(uint32_t power_of_two) {
    return 31u - (uint32_t)__builtin_clz(power_of_two);
}

// A C constructor, so it runs from Reset_Handler before main (and before
// any other code could have used much of the stack).
__attribute__((constructor)) static void stack_guard_enable(void) {
    uint32_t regions = (MPU_TYPE >> 8) & 0xFFu;
    if (regions == 0) {
        return;   // no MPU: nothing to guard with
    }
    uint32_t size = board_stack_guard_end() - board_stack_guard_start();
    // The highest-numbered region wins where regions overlap: the guard
    // takes the last one, so a region added later cannot open it up.
    MPU_RNR = regions - 1u;
    MPU_RBAR = board_stack_guard_start();   // aligned to its size by the linker script
    MPU_RASR = RASR_XN | RASR_SIZE(log2_of(size)) | RASR_ENABLE;
    MPU_CTRL = MPU_CTRL_PRIVDEFENA | MPU_CTRL_ENABLE;
    SCB_SHCSR |= SHCSR_MEMFAULTENA;
    // The new map applies to the next access only after these.
    __asm volatile("dsb\n\tisb" ::: "memory");
}
