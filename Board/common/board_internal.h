// Names shared between the files of the board layer only; Cairn and firmware
// use board.h. Vector tables (vector_table.h) reference the handlers declared
// here.
#ifndef CAIRN_BOARD_INTERNAL_H
#define CAIRN_BOARD_INTERNAL_H

#include <stdint.h>

// One entry of a Cortex-M vector table.
typedef void (*board_vector_t)(void);

// Provided by the linker script: initial stack pointer (top of RAM).
extern uint32_t __stack_top[];

void Reset_Handler(void) __attribute__((noreturn));
void HardFault_Handler(void);
void Default_Handler(void);
// Weak in fault.c, reporting like Default_Handler; replaced by whoever uses
// them (mpu_fault_report.c, a test firmware).
void MemManage_Handler(void);
void SysTick_Handler(void);

// Per board (uart.c): makes board_putchar usable. Touches only peripheral
// registers, so Reset_Handler can call it before RAM is initialised and a
// fault at any time still gets printed.
void board_console_init(void);

#endif
