# Build rules for target objects. Include after mk/toolchain.mk, with
# BUILD_DIR set (default build/$(BOARD)).
#
#   $(call cairn_objects,SOURCES)  object paths for C files under CAIRN_ROOT
#   BOARD_OBJECTS                  objects of BOARD_C_SOURCES
#   CAIRN_LDSCRIPTS                the linker scripts an .elf depends on
#   cairn_compile_swift            recipe: $@ from the .swift prerequisites,
#                                  module name in SWIFT_MODULE_NAME
#   cairn_link                     recipe: $@ (an .elf) from the .o prerequisites

BUILD_DIR ?= build/$(BOARD)

# The rules below must not become the including Makefile's default goal.
cairn_saved_default_goal := $(.DEFAULT_GOAL)

cairn_objects = $(patsubst $(CAIRN_ROOT)/%.c,$(BUILD_DIR)/obj/%.o,$(abspath $(1)))
BOARD_OBJECTS = $(call cairn_objects,$(BOARD_C_SOURCES))
CAIRN_LDSCRIPTS = $(LDSCRIPT) $(CAIRN_ROOT)/LinkerScripts/cairn-sections.ld

# Objects depend on the flags, so changing HEAP_SIZE or BOARD rebuilds them.
CAIRN_FLAGS_STAMP = $(BUILD_DIR)/flags.stamp
CAIRN_FLAGS_TEXT = $(SWIFTC_EMBEDDED_FLAGS) | $(TARGET_CFLAGS) | $(TARGET_LDFLAGS) | $(TARGET_LDLIBS)
$(CAIRN_FLAGS_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(CAIRN_FLAGS_TEXT)' | cmp -s - $@ || echo '$(CAIRN_FLAGS_TEXT)' > $@

$(BUILD_DIR)/obj/%.o: $(CAIRN_ROOT)/%.c $(CAIRN_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(TARGET_CC) $(TARGET_CFLAGS) -MMD -MP -c -o $@ $<

define cairn_compile_swift
	@mkdir -p $(@D)
	$(SWIFTC) $(SWIFTC_EMBEDDED_FLAGS) -module-name $(SWIFT_MODULE_NAME) -c -o $@ $(filter %.swift,$^)
endef

define cairn_link
	@mkdir -p $(@D)
	$(TARGET_CC) $(TARGET_LDFLAGS) -Wl,-Map=$(@:.elf=.map) -o $@ $(filter %.o %.a,$^) $(TARGET_LDLIBS)
endef

%.bin: %.elf
	$(TARGET_OBJCOPY) -O binary $< $@

%.hex: %.elf
	$(TARGET_OBJCOPY) -O ihex $< $@

.PHONY: FORCE
FORCE:

-include $(BOARD_OBJECTS:.o=.d)

.DEFAULT_GOAL := $(cairn_saved_default_goal)
