// The on-target test harness, shared by the C tests and (through the
// bridging header) the Swift scenarios: it counts checks, prints one line
// per failure, `FAIL <test>: <detail>`, and ends the run with the line
// `N passed, N failed` and a non-zero exit status when anything failed.
//
// Nothing here allocates: every line goes straight to the board console,
// so reporting a failure never disturbs the heap under test.
#ifndef ONTARGET_HARNESS_H
#define ONTARGET_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

// Records one check. `test` names the behaviour; `detail` says what was
// wrong when it fails. With `has_value`, `value` is printed after it, in
// decimal and hex. Lengths are explicit so that Swift can pass its static
// strings without copying them. Returns `passed`.
bool ontarget_record(bool passed, const char *test, size_t test_length, const char *detail,
                     size_t detail_length, bool has_value, uint32_t value);

// C spelling of ontarget_record, for NUL-terminated names.
static inline bool ontarget_check(bool passed, const char *test, const char *detail) {
    return ontarget_record(passed, test, strlen(test), detail, strlen(detail), false, 0);
}

// As ontarget_check, printing `value` (what was seen) when it fails.
static inline bool ontarget_check_value(bool passed, const char *test, const char *detail, uint32_t value) {
    return ontarget_record(passed, test, strlen(test), detail, strlen(detail), true, value);
}

// Prints `text` on the console (a progress line between suites).
void ontarget_say(const char *text, size_t length);

// Prints `  replay with TEST_SEED=<seed>` once a randomised test failed.
void ontarget_print_replay_seed(uint32_t seed);

// Number of failed checks so far.
uint32_t ontarget_failures(void);

// Prints the closing tally and exits: 0 when every check passed, else 1.
void ontarget_finish(void) __attribute__((noreturn));

#endif
