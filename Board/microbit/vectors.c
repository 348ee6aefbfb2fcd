// Vector table of the nRF51822 (Cortex-M0): the 32 interrupt lines of the
// nRF51, 26 of them wired (common/vector_table.h). ARMv6-M has no fault
// exception but HardFault, and no DebugMonitor.
#include "vector_table.h"

BOARD_VECTOR_TABLE(32);
