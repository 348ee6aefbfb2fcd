// Stack-guard fault reports, shared by the boards whose mpu_guard.c makes
// [__stack_guard_start, __stack_guard_end) a region that faults when
// touched (mps2-an386: PMSAv7, mps2-an505: PMSAv8). The first load or
// store that overflows the stack into it raises MemManage, which reports
// `stack overflow` and exits BOARD_EXIT_STACK_OVERFLOW. CFSR and MMFAR
// have the same layout on Armv7-M and Armv8-M Mainline.
//
// What the core does then, on hardware and in QEMU alike:
//   1. The overflowing access faults (CFSR.DACCVIOL, MMFAR = its address,
//      CFSR.MMARVALID).
//   2. Exception entry pushes the 8-word frame below the same stack
//      pointer: into the guard, so the push faults too (CFSR.MSTKERR). The
//      core still enters the handler, with SP lowered by the frame size but
//      nothing written: the faulting PC is lost.
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

#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_MMFAR (*(volatile uint32_t *)0xE000ED34u)

#define CFSR_MUNSTKERR (1u << 3)
#define CFSR_MSTKERR (1u << 4)
#define CFSR_MMARVALID (1u << 7)

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

// What the CPU pushes on exception entry, lowest address first.
enum { FRAME_WORDS = 8, FRAME_PC = 6 };

static int in_guard(uint32_t address) {
    return address >= board_stack_guard_start() && address < board_stack_guard_end();
}

// The frame's words are all outside the guard (and below the stack top).
static int frame_is_readable(const uint32_t *frame) {
    uint32_t low = (uint32_t)(uintptr_t)frame;
    uint32_t high = low + FRAME_WORDS * 4u;
    return (high <= board_stack_guard_start() || low >= board_stack_guard_end()) && high <= (uint32_t)(uintptr_t)__stack_top;
}

void board_check_stack_overflow(const uint32_t *frame, uint32_t exc_return) {
    uint32_t cfsr = SCB_CFSR;
    uint32_t sp = (uint32_t)(uintptr_t)frame;
    int address_in_guard = (cfsr & CFSR_MMARVALID) && in_guard(SCB_MMFAR);
    // A frame push or pop that faulted with the stack pointer at the guard.
    int stacking_in_guard = (cfsr & (CFSR_MSTKERR | CFSR_MUNSTKERR)) && sp < board_stack_guard_end() + FRAME_WORDS * 4u
        && sp + FRAME_WORDS * 4u > board_stack_guard_start();
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
    board_puthex32(board_stack_guard_start());
    board_puts("-");
    board_puthex32(board_stack_guard_end());
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
// MSP, 1 PSP; on the AN505 both are the Secure ones), moves to
// board_fault_stack before anything is pushed, and jumps to the C reporter
// with (frame, EXC_RETURN).
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
