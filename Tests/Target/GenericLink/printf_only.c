/* A firmware whose own code never names malloc nor anything of Cairn's:
 * only newlib (printf's stdout buffer) allocates. Linked with libcairn.a and
 * no -u flag, it must still get Cairn's allocator: the linker reaches
 * libcairn.a before any reference to malloc exists (newlib's printf is
 * linked after it), which is what libcairn.a's EXTERN(malloc) is for (see
 * LinkerScripts/libcairn.ld). check-link.sh proves it on the ELF and the
 * map; this run proves it on the board: the buffer lies in .bss, in Cairn's
 * heap array, not above it where _sbrk would have put newlib's heap.
 */
#include <stdio.h>

/* cortex-m4.ld's bounds of .bss. */
extern char _sbss[], _ebss[];

int main(void) {
    printf("generic-link (printf only): stdout's buffer comes from whichever malloc is linked\n");
    fflush(stdout);
    const char *buffer = (const char *)stdout->_bf._base;
    int in_bss = buffer != NULL && buffer >= _sbss && buffer < _ebss;
    printf("generic-link (printf only): the buffer at %p is %s\n", (const void *)buffer,
           in_bss ? "in .bss: Cairn's heap array" : "not in .bss: not Cairn's heap");
    printf("generic-link (printf only): %d passed, %d failed\n", in_bss, !in_bss);
    fflush(stdout);
    return !in_bss;
}
