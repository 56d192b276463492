# Cross-build of the Windows agent with Debian's MinGW-w64 (g++-mingw-w64-x86-64-posix): the posix
# thread model, named explicitly (the win32 model lacks std::mutex). docs/windows-agent.md.
#   cmake -G Ninja -S . -B build/windows -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw64.cmake \
#         -DBOOTPRINT_THIRD_PARTY_DIR=build/windows-third-party
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(_bp_triple x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${_bp_triple}-gcc-posix)
set(CMAKE_CXX_COMPILER ${_bp_triple}-g++-posix)
set(CMAKE_RC_COMPILER ${_bp_triple}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${_bp_triple})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Static: the exes import only Windows' own DLLs (nothing to ship beside the service, and Wine finds no
# libstdc++-6.dll otherwise: rc 53).
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
# ctest runs the Windows test binaries under Wine (scripts/wine-emu.sh sets a safe environment).
set(CMAKE_CROSSCOMPILING_EMULATOR "${CMAKE_CURRENT_LIST_DIR}/../scripts/wine-emu.sh")
