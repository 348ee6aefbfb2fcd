# The example firmware packages in Examples/, built the way their READMEs
# tell a firmware developer to build them, and run under QEMU.
#
#   make examples-test   Examples/SwiftFirmware: SwiftPM with its toolset,
#                        from an empty scratch directory, then QEMU; fails
#                        unless the firmware exits 0
#   make outoftree-test  Examples/OutOfTreeFirmware copied outside the
#                        repository, pointed at this checkout by path, built
#                        with SwiftPM and its toolset, run under QEMU
#                        (Tests/Target/OutOfTree/check.sh)
#
# The examples have their own heap size and board (mps2-an386) in their
# toolsets and manifests: BOARD, HEAP_SIZE and ALLOCATOR do not apply.

ifndef cairn_examples_mk_included
cairn_examples_mk_included := 1

SWIFT ?= swift
SWIFT_FIRMWARE_EXAMPLE_DIR := $(CAIRN_ROOT)/Examples/SwiftFirmware
# Inside the example (and git-ignored), as the README's own commands leave it.
SWIFT_FIRMWARE_EXAMPLE_SCRATCH := $(SWIFT_FIRMWARE_EXAMPLE_DIR)/.build
SWIFT_FIRMWARE_EXAMPLE_BUILD = $(SWIFT) build --package-path $(SWIFT_FIRMWARE_EXAMPLE_DIR) \
    --scratch-path $(SWIFT_FIRMWARE_EXAMPLE_SCRATCH) \
    --triple armv7em-none-none-eabi --toolset $(SWIFT_FIRMWARE_EXAMPLE_DIR)/toolset.json -c release

.PHONY: examples-test outoftree-test

examples-test: deps
	rm -rf $(SWIFT_FIRMWARE_EXAMPLE_SCRATCH)
	$(SWIFT_FIRMWARE_EXAMPLE_BUILD)
	$(CAIRN_ROOT)/scripts/qemu-run.sh mps2-an386 \
	    "$$($(SWIFT_FIRMWARE_EXAMPLE_BUILD) --show-bin-path)/Firmware" $(QEMU_TIMEOUT)

outoftree-test: deps
	SWIFT=$(SWIFT) $(CAIRN_ROOT)/Tests/Target/OutOfTree/check.sh $(QEMU_TIMEOUT)

endif
