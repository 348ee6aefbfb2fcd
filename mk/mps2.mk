# What the two MPS2 boards share (mk/board-mps2-an386.mk and
# mk/board-mps2-an505.mk include it after their CPU and defaults): Swift
# built for armv7em, 4 MiB of RAM, a CMSDK UART and an MPU stack guard. The
# linker script, the QEMU machine and the board's own sources are named
# after BOARD.

SWIFT_TRIPLE := armv7em-none-none-eabi
LDSCRIPT := $(CAIRN_ROOT)/LinkerScripts/$(BOARD).ld
QEMU_MACHINE := $(BOARD)
RAM_SIZE := 4194304
BOARD_C_SOURCES = $(BOARD_COMMON_C_SOURCES) \
    $(addprefix $(CAIRN_ROOT)/Board/common/, stack_paint.c mpu_fault_report.c) \
    $(addprefix $(CAIRN_ROOT)/Board/$(BOARD)/, vectors.c uart.c mpu_guard.c)
