# Board selection. Include this first; it sets CAIRN_ROOT and pulls in
# mk/board-$(BOARD).mk, which defines the per-board variables.
#   BOARD       mps2-an386 (default, Cortex-M4), mps2-an505 (Cortex-M33) or
#               microbit (Cortex-M0)

BOARD ?= mps2-an386
# Immediate (:=): MAKEFILE_LIST grows with every later include.
ifndef CAIRN_ROOT
CAIRN_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
endif

ifeq ($(wildcard $(CAIRN_ROOT)/mk/board-$(BOARD).mk),)
$(error unknown BOARD '$(BOARD)': expected one of $(patsubst board-%.mk,%,$(notdir $(wildcard $(CAIRN_ROOT)/mk/board-*.mk))))
endif
include $(CAIRN_ROOT)/mk/board-$(BOARD).mk

# Board layer sources every board shares.
BOARD_COMMON_C_SOURCES = $(addprefix $(CAIRN_ROOT)/Board/common/,\
    reset.c semihosting.c console.c fault.c newlib_syscalls.c runtime_support.c)
