// Reset_Handler: what a C runtime must do before main on real hardware,
// since QEMU's zero-filled RAM would hide a missing step.
#include <stdint.h>

#include "board.h"
#include "board_internal.h"

int main(void);

// Linker-script symbols; each pair is word aligned by the script.
extern uint32_t __data_start[], __data_end[], __data_load_start[];
extern uint32_t __bss_start[], __bss_end[];
extern board_vector_t __preinit_array_start[], __preinit_array_end[];
extern board_vector_t __init_array_start[], __init_array_end[];

// Run C constructors ourselves rather than newlib's __libc_init_array: that
// one also calls _init from crti.o, which -nostartfiles leaves out.
static void run_init_arrays(void) {
    for (board_vector_t *f = __preinit_array_start; f < __preinit_array_end; f++) {
        (*f)();
    }
    for (board_vector_t *f = __init_array_start; f < __init_array_end; f++) {
        (*f)();
    }
}

void Reset_Handler(void) {
    board_console_init();

    // .data lives in flash (its LMA) and must be copied to RAM (its VMA).
    const uint32_t *src = __data_load_start;
    for (uint32_t *dst = __data_start; dst < __data_end; dst++) {
        *dst = *src++;
    }
    for (uint32_t *dst = __bss_start; dst < __bss_end; dst++) {
        *dst = 0;
    }

    run_init_arrays();
    board_exit(main());
}
