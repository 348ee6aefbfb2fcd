// C side of the smoke firmware: static-data checks and a fault trigger.
#include <stdint.h>

#include "smoke.h"

// volatile: the compiler must read memory, not fold the initial values.
static volatile uint32_t smoke_data_word = 0xC0FFEE42u;
static volatile uint32_t smoke_bss_word;

int smoke_c_statics_intact(void) {
    return smoke_data_word == 0xC0FFEE42u && smoke_bss_word == 0;
}

void smoke_execute_undefined_instruction(void) {
    __asm volatile("udf #0");
}
