# Cairn for a CMake firmware: builds libcairn.a with Cairn's own Makefile
# (`make lib`) for the board and heap in the cache, and provides it as the
# imported static library cairn::cairn, with its headers (cairn.h).
#
#   include(<cairn>/cmake/cairn.cmake)
#   target_link_libraries(firmware PRIVATE cairn::cairn)
#
# Cache variables, each the make variable of the same name without CAIRN_
# (README.md, "Configuration"):
#   CAIRN_BOARD       mps2-an386 (Cortex-M4) or microbit (Cortex-M0): the
#                     core the library is built for
#   CAIRN_HEAP_SIZE   bytes of the heap array; empty: the board's default
#   CAIRN_ALLOCATOR   slab or bump
#   CAIRN_CHECKED     ON for the checked build
#   CAIRN_MAKE_ARGS   more make variables, a list: PAGE_SIZE=512;LARGEST_CLASS=256
#
# Building needs what `make lib` needs: GNU make, swiftc (Swift 6.3) and the
# Arm toolchain. Cairn's objects and the library are built in this build
# tree (cairn-<board>-<allocator>/), not in Cairn's.
#
# Link it like any static library, ahead of the C library (CMake puts it
# after the firmware's objects; the compiler driver adds libc after it).
# libcairn.a asks the linker for malloc itself, and its heap is zero-fill
# data that the firmware's linker script places in .bss, unedited.

include_guard(GLOBAL)

set(CAIRN_BOARD mps2-an386 CACHE STRING "Board (core) libcairn.a is built for: mps2-an386 or microbit")
set_property(CACHE CAIRN_BOARD PROPERTY STRINGS mps2-an386 microbit)
set(CAIRN_HEAP_SIZE "" CACHE STRING "Bytes of Cairn's heap array (empty: the board's default)")
set(CAIRN_ALLOCATOR slab CACHE STRING "Cairn's allocator: slab or bump")
set_property(CACHE CAIRN_ALLOCATOR PROPERTY STRINGS slab bump)
option(CAIRN_CHECKED "Cairn's checked build (misuse stops the firmware)" OFF)
set(CAIRN_MAKE_ARGS "" CACHE STRING "More make variables for `make lib` (a list), e.g. PAGE_SIZE=512")

get_filename_component(CAIRN_ROOT "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
find_program(CAIRN_MAKE_PROGRAM NAMES gmake make REQUIRED)

# One directory per board and allocator: the flags that make tracks
# (HEAP_SIZE, CHECKED, PAGE_SIZE...) rebuild what they change, the choice
# of allocator would not.
set(_cairn_build_dir "${CMAKE_BINARY_DIR}/cairn-${CAIRN_BOARD}-${CAIRN_ALLOCATOR}")
set(_cairn_lib_dir "${_cairn_build_dir}/lib")
set(_cairn_make_args BOARD=${CAIRN_BOARD} ALLOCATOR=${CAIRN_ALLOCATOR} BUILD_DIR=${_cairn_build_dir})
if(NOT CAIRN_HEAP_SIZE STREQUAL "")
    list(APPEND _cairn_make_args HEAP_SIZE=${CAIRN_HEAP_SIZE})
endif()
if(CAIRN_CHECKED)
    list(APPEND _cairn_make_args CHECKED=1)
endif()
list(APPEND _cairn_make_args ${CAIRN_MAKE_ARGS})

# Always run: make decides what is out of date, and leaves libcairn.a
# untouched (so the firmware is not relinked) when nothing is. The
# environment of an enclosing make (its flags, its command-line variables)
# must not reach Cairn's.
add_custom_target(cairn_lib
    COMMAND ${CMAKE_COMMAND} -E env --unset=MAKEFLAGS --unset=MFLAGS --unset=MAKELEVEL
            ${CAIRN_MAKE_PROGRAM} --no-print-directory -C ${CAIRN_ROOT} lib ${_cairn_make_args}
    BYPRODUCTS ${_cairn_lib_dir}/libcairn.a ${_cairn_lib_dir}/archive/libcairn.a
    COMMENT "Building libcairn.a for ${CAIRN_BOARD} (make lib in ${CAIRN_ROOT})"
    VERBATIM)

# An imported target's include directory must exist when CMake generates.
file(MAKE_DIRECTORY ${_cairn_lib_dir}/include)
add_library(cairn::cairn STATIC IMPORTED GLOBAL)
set_target_properties(cairn::cairn PROPERTIES
    IMPORTED_LOCATION ${_cairn_lib_dir}/libcairn.a
    INTERFACE_INCLUDE_DIRECTORIES ${_cairn_lib_dir}/include)
add_dependencies(cairn::cairn cairn_lib)
