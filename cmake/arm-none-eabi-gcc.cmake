# CMake toolchain file: bare-metal Arm Cortex-M with the GNU Arm toolchain
# (arm-none-eabi-gcc) and newlib, soft float, as Cairn's libraries are built.
#
#   cmake -S . -B build -DCMAKE_TOOLCHAIN_FILE=<cairn>/cmake/arm-none-eabi-gcc.cmake
#
# ARM_CPU (cache, default cortex-m4) is the -mcpu of everything compiled;
# it must be the core of the board Cairn is built for (CAIRN_BOARD in
# cmake/cairn.cmake): cortex-m4 for mps2-an386, cortex-m0 for microbit.
# The C library (--specs=nano.specs or not), the startup, the linker script
# and -nostartfiles are the firmware's, set in its CMakeLists.txt.

set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(ARM_CPU cortex-m4 CACHE STRING "-mcpu of the firmware (cortex-m4, cortex-m0, ...)")
# CMake's compiler checks read this file again in a project of their own.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ARM_CPU)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)

set(CMAKE_C_FLAGS_INIT "-mcpu=${ARM_CPU} -mthumb -mfloat-abi=soft")
set(CMAKE_CXX_FLAGS_INIT "${CMAKE_C_FLAGS_INIT}")
set(CMAKE_ASM_FLAGS_INIT "${CMAKE_C_FLAGS_INIT}")

# Linking an executable needs the firmware's startup code and linker
# script, which a compiler check does not have: the checks build a static
# library instead.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# Programs (make, objcopy) are the host's; libraries and headers the target's.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
