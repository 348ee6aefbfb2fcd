// Stack guard for the Cortex-M33 of the MPS2 AN505: the 1 KiB right below
// the stack, [__stack_guard_start, __stack_guard_end) (placed by
// LinkerScripts/mps2-an505.ld), becomes no-access before main. The first
// load or store that overflows the stack into it raises MemManage, which
// reports `stack overflow` and exits BOARD_EXIT_STACK_OVERFLOW, with the
// same report as mps2-an386.
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
// the Secure banks of SHCSR and CFSR; CFSR and MMFAR have the same layout
// as on Armv7-M.
//
// What happens on an overflow, on hardware and in QEMU alike:
//   1. The overflowing access faults (CFSR.DACCVIOL, MMFAR = its address,
//      CFSR.MMARVALID).
//   2. Exception entry pushes its frame below the same stack pointer: into
//      the guard, so the push faults too (CFSR.MSTKERR). The core still
//      enters the handler, with SP lowered by the frame size but nothing
//      written: the faulting PC is lost.
//   3. The handler must not push anything on that SP. It switches to
//      board_fault_stack first, and reads the frame only if it lies wholly
//      outside the guard.
// A guard hit while MemManage cannot preempt (in a handler of the same or
// higher priority) escalates to HardFault instead; fault.c's reporter asks
// board_check_stack_overflow first, so the report is the same. HardFault
// runs with the MPU off (MPU_CTRL.HFNMIENA = 0), so it never faults again.
#include <stdint.h>

#include "board.h"
#include "stack_guard.h"

#define SCB_SHCSR (*(volatile uint32_t *)0xE000ED24u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_MMFAR (*(volatile uint32_t *)0xE000ED34u)
#define MPU_TYPE (*(volatile uint32_t *)0xE000ED90u)
#define MPU_CTRL (*(volatile uint32_t *)0xE000ED94u)
#define MPU_RNR (*(volatile uint32_t *)0xE000ED98u)
#define MPU_RBAR (*(volatile uint32_t *)0xE000ED9Cu)
#define MPU_RLAR (*(volatile uint32_t *)0xE000EDA0u)
#define MPU_MAIR0 (*(volatile uint32_t *)0xE000EDC0u)

#define SHCSR_MEMFAULTENA (1u << 16)
#define CFSR_MUNSTKERR (1u << 3)
#define CFSR_MSTKERR (1u << 4)
#define CFSR_MMARVALID (1u << 7)
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

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

// What the CPU pushes on exception entry, lowest address first.
enum { FRAME_WORDS = 8, FRAME_PC = 6 };

static uint32_t guard_start(void) { return (uint32_t)(uintptr_t)__stack_guard_start; }
static uint32_t guard_end(void) { return (uint32_t)(uintptr_t)__stack_guard_end; }

static int in_guard(uint32_t address) {
    return address >= guard_start() && address < guard_end();
}

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
        MPU_RBAR = guard_start() | RBAR_XN;
        MPU_RLAR = ((guard_end() - 1u) & ~GRANULE_MASK) | RLAR_ENABLE;
    }
    MPU_CTRL = MPU_CTRL_PRIVDEFENA | MPU_CTRL_ENABLE;
    SCB_SHCSR |= SHCSR_MEMFAULTENA;
    // The new map applies to the next access only after these.
    __asm volatile("dsb\n\tisb" ::: "memory");
}

// The frame's words are all outside the guard (and below the stack top).
static int frame_is_readable(const uint32_t *frame) {
    uint32_t low = (uint32_t)(uintptr_t)frame;
    uint32_t high = low + FRAME_WORDS * 4u;
    return (high <= guard_start() || low >= guard_end()) && high <= (uint32_t)(uintptr_t)__stack_top;
}

void board_check_stack_overflow(const uint32_t *frame, uint32_t exc_return) {
    uint32_t cfsr = SCB_CFSR;
    uint32_t sp = (uint32_t)(uintptr_t)frame;
    int address_in_guard = (cfsr & CFSR_MMARVALID) && in_guard(SCB_MMFAR);
    // A frame push or pop that faulted with the stack pointer at the guard.
    int stacking_in_guard = (cfsr & (CFSR_MSTKERR | CFSR_MUNSTKERR)) && sp < guard_end() + FRAME_WORDS * 4u
        && sp + FRAME_WORDS * 4u > guard_start();
    if (!address_in_guard && !stacking_in_guard) {
        return;
    }
    board_puts("\nstack overflow: ");
    if (address_in_guard) {
        board_puts("access to ");
        board_puthex32(SCB_MMFAR);
        board_puts(" in the stack guard ");
    } else {
        board_puts("exception frame in the stack guard ");
    }
    board_puthex32(guard_start());
    board_puts("-");
    board_puthex32(guard_end());
    board_puts(", SP=");
    board_puthex32(sp);
    if (frame_is_readable(frame)) {
        board_puts(", PC=");
        board_puthex32(frame[FRAME_PC]);
    } else {
        // Step 2 above: the frame was never written.
        board_puts(", PC lost (the exception frame fell in the guard)");
    }
    // IPSR: 4 when MemManage took it, 3 when it escalated to HardFault.
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    board_puts(", IPSR=");
    board_puthex32(ipsr);
    board_puts(" EXC_RETURN=");
    board_puthex32(exc_return);
    board_puts(" CFSR=");
    board_puthex32(cfsr);
    board_puts("\n");
    board_exit(BOARD_EXIT_STACK_OVERFLOW);
}

// Any MemManage that is not a guard hit (an MPU region added later, or
// an execute-never fetch) is reported like a HardFault.
void board_report_mem_manage(const uint32_t *frame, uint32_t exc_return) __attribute__((noreturn, used));

void board_report_mem_manage(const uint32_t *frame, uint32_t exc_return) {
    board_check_stack_overflow(frame, exc_return);
    board_puts("\nMemManage: ");
    if (SCB_CFSR & CFSR_MMARVALID) {
        board_puts("access to ");
        board_puthex32(SCB_MMFAR);
        board_puts(", ");
    }
    if (frame_is_readable(frame)) {
        board_puts("PC=");
        board_puthex32(frame[FRAME_PC]);
        board_puts(", ");
    }
    board_puts("CFSR=");
    board_puthex32(SCB_CFSR);
    board_puts("\n");
    board_exit(BOARD_EXIT_HARD_FAULT);
}

// Step 3: picks the stack the frame went to (EXC_RETURN bit 2, SPSEL: 0
// MSP, 1 PSP; both are the Secure ones here), moves to board_fault_stack
// before anything is pushed, and jumps to the C reporter with
// (frame, EXC_RETURN).
__attribute__((naked)) void MemManage_Handler(void) {
    __asm volatile(
        "tst   lr, #4\n\t"
        "ite   eq\n\t"
        "mrseq r0, msp\n\t"
        "mrsne r0, psp\n\t"
        "mov   r1, lr\n\t"
        "ldr   r2, =board_fault_stack + " STRINGIFY(BOARD_FAULT_STACK_BYTES) "\n\t"
        "mov   sp, r2\n\t"
        "b     board_report_mem_manage\n\t"
        ".ltorg\n");
}
