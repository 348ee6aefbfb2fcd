// Filling and checking test blocks (see block_pattern.h).
#include "block_pattern.h"

void ontarget_fill(void *block, size_t size, uint32_t tag) {
    uint8_t *bytes = block;
    for (size_t i = 0; i < size; i++) bytes[i] = ontarget_pattern_byte(tag, i);
}

size_t ontarget_first_changed_byte(const void *block, size_t size, uint32_t tag) {
    const uint8_t *bytes = block;
    for (size_t i = 0; i < size; i++) {
        if (bytes[i] != ontarget_pattern_byte(tag, i)) return i;
    }
    return size;
}
