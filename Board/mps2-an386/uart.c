// Console on UART0 of the MPS2 AN386: an Arm CMSDK APB UART.
#include "board.h"
#include "board_internal.h"
#include "cmsdk_uart.h"

#define UART0_BASE 0x40004000u

// 25 MHz peripheral clock / 115200 baud.
#define BAUDDIV_115200 217u

void board_console_init(void) { cmsdk_uart_init(UART0_BASE, BAUDDIV_115200); }

void board_putchar(int c) { cmsdk_uart_putchar(UART0_BASE, c); }
