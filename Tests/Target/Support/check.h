/* The checks of the C firmware that take Cairn the way a firmware
 * developer's code would (CFirmwareLink, CMakeFirmware, GenericLink,
 * HeapSymbols, Regions): through newlib's stdio, with no board harness.
 * Each check counts; a failed one prints "<firmware>: FAILED <what>".
 * check_finish prints "<firmware>: N passed, N failed" and returns the
 * failures, which main returns as the exit status.
 *
 * The including file defines CHECK_FIRMWARE, its name in those lines,
 * first. One translation unit per firmware includes it: the counters are
 * that file's own.
 */
#ifndef CAIRN_TEST_CHECK_H
#define CAIRN_TEST_CHECK_H

#include <stdio.h>

#ifndef CHECK_FIRMWARE
#error "define CHECK_FIRMWARE (the firmware's name in its output) before including check.h"
#endif

static int check_passed, check_failed;

static inline void check(int ok, const char *what) {
    if (ok) {
        check_passed++;
    } else {
        check_failed++;
        printf(CHECK_FIRMWARE ": FAILED %s\n", what);
    }
}

/* The closing tally, flushed to the console; returns the failures. */
static inline int check_finish(void) {
    printf(CHECK_FIRMWARE ": %d passed, %d failed\n", check_passed, check_failed);
    fflush(stdout);
    return check_failed;
}

#endif
