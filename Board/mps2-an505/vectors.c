// Vector table of the MPS2 AN505 (Cortex-M33, Secure state): the 92
// interrupt lines of the AN505 image (common/vector_table.h). The table is
// the Secure one, at INITSVTOR (0x10000000, the start of FLASH): its 108
// entries meet VTOR's alignment rule (the table size rounded up to a power
// of two, 512 bytes) there.
#include "vector_table.h"

// MemManage is enabled by the stack guard (mpu_guard.c). BusFault,
// UsageFault and SecureFault stay disabled in SHCSR, so they escalate to
// HardFault, whose report prints CFSR to tell them apart.
BOARD_VECTOR_TABLE(92,
    [4] = MemManage_Handler,
    [5] = Default_Handler,    // BusFault
    [6] = Default_Handler,    // UsageFault
    [7] = Default_Handler,    // SecureFault
    [12] = Default_Handler,   // DebugMonitor
);
