// The C half of the demo: what C firmware does with the heap. Its blocks,
// and newlib's own (printf's buffers, strdup), come from Cairn.
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"
#include "stack_guard.h"
#include "Demo-Bridging.h"

int demo_c_exercise(void) {
    int failures = 0;
    char *name = strdup("cairn");
    int *table = calloc(16, sizeof *table);
    if (name == NULL || table == NULL) failures++;
    for (int i = 0; table != NULL && i < 16; i++) table[i] = i * i;
    int *grown = table != NULL ? realloc(table, 64 * sizeof *table) : NULL;
    if (grown == NULL || grown[15] != 225) failures++;
    else table = grown;
    printf("  C: strdup \"%s\", calloc+realloc %u bytes usable, printf via newlib\n",
           name != NULL ? name : "?", (unsigned)malloc_usable_size(table));
    fflush(stdout);
    free(name);
    free(table);
    return failures;
}

void demo_report_stack(void) {
    size_t reserved = (size_t)((uintptr_t)__stack_top - (uintptr_t)__stack_limit);
    printf("  stack: %u of %u bytes used at most\n", (unsigned)board_stack_high_water(), (unsigned)reserved);
    fflush(stdout);
}

void demo_exit(int status) {
    fflush(stdout);
    board_exit(status);
}
