# The build's configuration defaults, written once: the top-level Makefile
# reads them before it names its build directory, mk/cairn.mk for a
# firmware that includes it alone. (HEAP_SIZE and STACK_SIZE are the
# board's: mk/board-*.mk.)
ifndef CAIRN_DEFAULTS_MK_INCLUDED
CAIRN_DEFAULTS_MK_INCLUDED := 1

ALLOCATOR ?= slab
CHECKED ?= 0
ifeq ($(filter slab bump,$(ALLOCATOR)),)
$(error ALLOCATOR must be slab or bump, not '$(ALLOCATOR)')
endif

endif
