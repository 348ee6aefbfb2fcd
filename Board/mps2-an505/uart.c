// Console on UART0 of the MPS2 AN505: an Arm CMSDK APB UART, at
// 0x40200000 behind the FPGA's APB peripheral protection controller, and
// at 0x50200000 through its secure alias, which the Secure state uses.
// That controller resets with every port secure and privileged, which is
// what this firmware is, so the UART needs no set-up beyond its own.
#include "board.h"
#include "board_internal.h"
#include "cmsdk_uart.h"

#define UART0_BASE 0x50200000u

// 20 MHz peripheral clock / 115200 baud.
#define BAUDDIV_115200 173u

void board_console_init(void) { cmsdk_uart_init(UART0_BASE, BAUDDIV_115200); }

void board_putchar(int c) { cmsdk_uart_putchar(UART0_BASE, c); }
