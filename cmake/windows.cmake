# The Windows (MinGW-w64) build's dependencies, included by the top CMakeLists.txt when WIN32.
# Header-only libraries come from Debian's packages through a folder of symlinks (never /usr/include
# itself: glibc headers would shadow MinGW's). SQLite (amalgamation) and pugixml are compiled from the
# sources scripts/windows.sh fetched and checked into BOOTPRINT_THIRD_PARTY_DIR (versions in its
# VERSIONS file). The targets carry the names the Linux build gets from find_package.
set(BOOTPRINT_THIRD_PARTY_DIR "" CACHE PATH "sqlite/ and pugixml/ sources (scripts/windows.sh)")
if(NOT EXISTS "${BOOTPRINT_THIRD_PARTY_DIR}/sqlite/sqlite3.c" OR
   NOT EXISTS "${BOOTPRINT_THIRD_PARTY_DIR}/pugixml/pugixml.cpp")
  message(FATAL_ERROR "BOOTPRINT_THIRD_PARTY_DIR must hold sqlite/sqlite3.c and pugixml/pugixml.cpp: "
                      "run scripts/windows.sh (it fetches and checks them)")
endif()

set(_headers ${CMAKE_BINARY_DIR}/debian-headers)
file(MAKE_DIRECTORY ${_headers})
foreach(_dir boost fmt spdlog nlohmann catch2 CLI)
  if(NOT EXISTS /usr/include/${_dir})
    message(FATAL_ERROR "/usr/include/${_dir} is missing: run scripts/setup.sh")
  endif()
  if(NOT EXISTS ${_headers}/${_dir})
    file(CREATE_LINK /usr/include/${_dir} ${_headers}/${_dir} SYMBOLIC)
  endif()
endforeach()

add_library(bootprint_debian_headers INTERFACE)
target_include_directories(bootprint_debian_headers SYSTEM INTERFACE ${_headers})
# Debian's spdlog wants an external fmt; Debian's fmt is used header-only.
target_compile_definitions(bootprint_debian_headers INTERFACE FMT_HEADER_ONLY SPDLOG_HEADER_ONLY
  SPDLOG_FMT_EXTERNAL _WIN32_WINNT=0x0A00 WIN32_LEAN_AND_MEAN NOMINMAX UNICODE _UNICODE)
foreach(_alias nlohmann_json::nlohmann_json CLI11::CLI11 spdlog::spdlog_header_only Boost::headers
               Catch2::Catch2)
  add_library(${_alias} ALIAS bootprint_debian_headers)
endforeach()

add_library(bootprint_sqlite3 STATIC ${BOOTPRINT_THIRD_PARTY_DIR}/sqlite/sqlite3.c)
target_include_directories(bootprint_sqlite3 SYSTEM PUBLIC ${BOOTPRINT_THIRD_PARTY_DIR}/sqlite)
target_compile_definitions(bootprint_sqlite3 PRIVATE SQLITE_THREADSAFE=1 SQLITE_OMIT_LOAD_EXTENSION
  SQLITE_DQS=0)
# -O1: the amalgamation takes 14 s instead of 28-39 s at -O2/-O3 (windows-on-linux.md §2).
set_source_files_properties(${BOOTPRINT_THIRD_PARTY_DIR}/sqlite/sqlite3.c PROPERTIES COMPILE_OPTIONS "-O1;-w")
add_library(SQLite::SQLite3 ALIAS bootprint_sqlite3)

add_library(bootprint_pugixml STATIC ${BOOTPRINT_THIRD_PARTY_DIR}/pugixml/pugixml.cpp)
target_include_directories(bootprint_pugixml SYSTEM PUBLIC ${BOOTPRINT_THIRD_PARTY_DIR}/pugixml)
set_source_files_properties(${BOOTPRINT_THIRD_PARTY_DIR}/pugixml/pugixml.cpp PROPERTIES COMPILE_OPTIONS "-w")
add_library(pugixml::pugixml ALIAS bootprint_pugixml)

add_library(Threads::Threads INTERFACE IMPORTED)
