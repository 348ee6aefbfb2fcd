// Text output on top of the board's board_putchar. Nothing here allocates,
// so the fault printer and the allocator's own diagnostics can use it.
#include <stdint.h>

#include "board.h"

void board_puts(const char *s) {
    while (*s != '\0') {
        board_putchar(*s++);
    }
}

void board_puthex32(uint32_t value) {
    static const char digits[] = "0123456789abcdef";
    board_puts("0x");
    for (int shift = 28; shift >= 0; shift -= 4) {
        board_putchar(digits[(value >> shift) & 0xF]);
    }
}

void board_putdec32(uint32_t value) {
    char digits[10];  // UINT32_MAX has 10 decimal digits
    int count = 0;
    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (count > 0) board_putchar(digits[--count]);
}

// Embedded Swift's print() writes through putchar. Defined here (and
// <stdio.h> not included) so newlib's buffered stdio is never pulled in.
int putchar(int c) {
    board_putchar(c);
    return (unsigned char)c;
}
