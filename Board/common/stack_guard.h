// Stack overflow, caught or measured.
//
// On a core with an MPU (mps2-an386 and mps2-an505, mpu_guard.c) a no-access region sits
// right below the stack; the first access to it is reported as
// `stack overflow` and the firmware exits BOARD_EXIT_STACK_OVERFLOW before
// the overflow can reach the heap. On every board (stack_paint.c) the free
// part of the stack is painted at reset, so the deepest stack use so far
// can be read back at any time.
#ifndef CAIRN_STACK_GUARD_H
#define CAIRN_STACK_GUARD_H

#include <stddef.h>
#include <stdint.h>

// Exit status after a stack overflow report (see board.h for 101, 102).
enum { BOARD_EXIT_STACK_OVERFLOW = 103 };

// Word that stack_paint.c writes over the unused stack at reset.
#define BOARD_STACK_PAINT 0x57AC57ACu

// Linker-script symbols: the stack is [__stack_limit, __stack_top); the
// guard (MPU boards only) is [__stack_guard_start, __stack_guard_end),
// with __stack_guard_end <= __stack_limit.
extern uint32_t __stack_limit[], __stack_top[];
extern uint32_t __stack_guard_start[], __stack_guard_end[];

// The guard's bounds as addresses (MPU boards only).
static inline uint32_t board_stack_guard_start(void) { return (uint32_t)(uintptr_t)__stack_guard_start; }
static inline uint32_t board_stack_guard_end(void) { return (uint32_t)(uintptr_t)__stack_guard_end; }

// Bytes of stack ever used since reset (deepest point, measured from
// __stack_top): the painted words that are gone. Counts only main's stack
// and the handlers that run on it. Never allocates.
size_t board_stack_high_water(void);

// The small stack the fatal fault handlers switch to on ARMv7-M and ARMv8-M
// Mainline (fault.c),
// so that a report still runs when the faulting stack pointer sits in the
// guard. The handlers never return, so they may share it.
#define BOARD_FAULT_STACK_BYTES 512
extern uint64_t board_fault_stack[BOARD_FAULT_STACK_BYTES / 8];

// Called by the HardFault reporter before its own report: when the fault
// is an access to the stack guard, prints `stack overflow ...` and exits
// BOARD_EXIT_STACK_OVERFLOW; otherwise returns. A no-op on boards without
// a guard (weak default in fault.c).
void board_check_stack_overflow(const uint32_t *frame, uint32_t exc_return);

#endif
