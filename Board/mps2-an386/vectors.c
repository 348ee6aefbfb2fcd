// Vector table of the MPS2 AN386 (Cortex-M4): the 32 interrupt lines of the
// AN386 image (common/vector_table.h).
#include "vector_table.h"

// MemManage is enabled by the stack guard (mpu_guard.c). BusFault and
// UsageFault stay disabled in SHCSR, so they escalate to HardFault, whose
// report prints CFSR to tell them apart.
BOARD_VECTOR_TABLE(32,
    [4] = MemManage_Handler,
    [5] = Default_Handler,    // BusFault
    [6] = Default_Handler,    // UsageFault
    [12] = Default_Handler,   // DebugMonitor
);
