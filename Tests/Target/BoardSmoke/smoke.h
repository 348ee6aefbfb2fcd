// C helpers the smoke firmware calls from Swift (bridging header).
#ifndef BOARD_SMOKE_H
#define BOARD_SMOKE_H

#include <stdint.h>

#include "cairn.h"

// 1 when a C global with an initializer reads back its value (Reset_Handler
// copied .data) and a zero-initialised one reads 0 (it zeroed .bss).
int smoke_c_statics_intact(void);

// Executes a permanently undefined instruction: a UsageFault on Cortex-M4
// (escalated to HardFault), a HardFault on Cortex-M0.
void smoke_execute_undefined_instruction(void);

#endif
