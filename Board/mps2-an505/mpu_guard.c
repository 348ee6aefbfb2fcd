// Stack guard for the Cortex-M33 of the MPS2 AN505: the 1 KiB right below
// the stack, [__stack_guard_start, __stack_guard_end) (placed by
// LinkerScripts/mps2-an505.ld), becomes no-access before main, and
// MemManage is enabled. Board/common/mpu_fault_report.c turns a fault in
// it into the same `stack overflow` report as on mps2-an386.
//
// The M33 has the Armv8-M MPU (PMSAv8), not the M4's PMSAv7: a region is a
// base (MPU_RBAR, with the access permissions) and an inclusive limit
// (MPU_RLAR, with an index into the MAIR attributes), both 32-byte
// granular. PMSAv8 has no "no access" permission; instead an address that
// falls in two enabled regions always faults, whatever the regions allow.
// The guard is therefore the same range twice, in the two highest regions.
// Everything else matches no region and keeps the default memory map
// (MPU_CTRL.PRIVDEFENA; all of this firmware is privileged).
//
// The firmware runs in the Secure state, so these are the Secure MPU and
// the Secure bank of SHCSR.
#include <stdint.h>

#include "stack_guard.h"

#define SCB_SHCSR (*(volatile uint32_t *)0xE000ED24u)
#define MPU_TYPE (*(volatile uint32_t *)0xE000ED90u)
#define MPU_CTRL (*(volatile uint32_t *)0xE000ED94u)
#define MPU_RNR (*(volatile uint32_t *)0xE000ED98u)
#define MPU_RBAR (*(volatile uint32_t *)0xE000ED9Cu)
#define MPU_RLAR (*(volatile uint32_t *)0xE000EDA0u)
#define MPU_MAIR0 (*(volatile uint32_t *)0xE000EDC0u)

#define SHCSR_MEMFAULTENA (1u << 16)
#define MPU_CTRL_ENABLE (1u << 0)
#define MPU_CTRL_PRIVDEFENA (1u << 2)   // privileged code keeps the default map
// RBAR: base in bits 31:5, SH 4:3 = 0 (non-shareable), AP 2:1 = 0b00
// (read-write, privileged only), XN in bit 0.
#define RBAR_XN (1u << 0)
// RLAR: limit (the last 32-byte granule, inclusive) in bits 31:5,
// AttrIndx 3:1 = 0 (MAIR0 byte 0), EN in bit 0.
#define RLAR_ENABLE (1u << 0)
#define GRANULE_MASK 0x1Fu
// MAIR0 attribute 0: normal memory, non-cacheable. The guard is never
// accessed successfully, so only a valid attribute matters.
#define MAIR_NORMAL_NON_CACHEABLE 0x44u
enum { GUARD_REGIONS = 2 };

// A C constructor, so it runs from Reset_Handler before main (and before
// any other code could have used much of the stack).
__attribute__((constructor)) static void stack_guard_enable(void) {
    uint32_t regions = (MPU_TYPE >> 8) & 0xFFu;
    if (regions < GUARD_REGIONS) {
        return;   // no MPU (or too small a one): nothing to guard with
    }
    MPU_MAIR0 = MAIR_NORMAL_NON_CACHEABLE;
    // Both ends are 32-byte aligned by the linker script (the guard is a
    // power of two of at least 32 bytes, aligned to its size).
    for (uint32_t region = regions - GUARD_REGIONS; region < regions; region++) {
        MPU_RNR = region;
        MPU_RBAR = board_stack_guard_start() | RBAR_XN;
        MPU_RLAR = ((board_stack_guard_end() - 1u) & ~GRANULE_MASK) | RLAR_ENABLE;
    }
    MPU_CTRL = MPU_CTRL_PRIVDEFENA | MPU_CTRL_ENABLE;
    SCB_SHCSR |= SHCSR_MEMFAULTENA;
    // The new map applies to the next access only after these.
    __asm volatile("dsb\n\tisb" ::: "memory");
}
