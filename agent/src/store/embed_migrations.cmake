# Build-time script: compiles schema/agent/NNN_*.sql into a C++ source, so the store needs no schema
# file at run time. The numbers must run 1, 2, 3, ... without gaps: NNN becomes PRAGMA user_version.
# Usage: cmake -DOUTPUT=<file.cpp> -DINPUTS=<001_a.sql|002_b.sql|...> -P embed_migrations.cmake
string(REPLACE "|" ";" _inputs "${INPUTS}")
list(SORT _inputs)
set(_arrays "")
set(_entries "")
set(_expected 1)
foreach(_input IN LISTS _inputs)
  get_filename_component(_file "${_input}" NAME)
  if(NOT _file MATCHES "^([0-9][0-9][0-9])_[a-z0-9_]+\\.sql$")
    message(FATAL_ERROR "${_input}: a migration is named NNN_description.sql (lower case)")
  endif()
  math(EXPR _version "${CMAKE_MATCH_1}")  # drops leading zeros
  if(NOT _version EQUAL _expected)
    message(FATAL_ERROR
      "${_input}: expected migration number ${_expected}; numbers run 1, 2, 3, ... without gaps")
  endif()
  file(READ "${_input}" _hex HEX)
  string(LENGTH "${_hex}" _digits)
  math(EXPR _bytes "${_digits} / 2")
  # A char array of exactly the file's bytes (no NUL needed: the length is known), 16 per line.
  set(_chars "")
  set(_at 0)
  while(_at LESS _digits)
    string(SUBSTRING "${_hex}" ${_at} 32 _line)
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," _line "${_line}")
    string(APPEND _chars "\n    ${_line}")
    math(EXPR _at "${_at} + 32")
  endwhile()
  string(APPEND _arrays "constexpr char kSql${_version}[${_bytes}] = {${_chars}\n};\n")
  string(APPEND _entries "    {${_version}, \"${_file}\", std::string_view(kSql${_version}, ${_bytes})},\n")
  math(EXPR _expected "${_expected} + 1")
endforeach()
if(_expected EQUAL 1)
  message(FATAL_ERROR "no migrations given (INPUTS is empty)")
endif()
file(WRITE "${OUTPUT}.tmp" "// Generated from schema/agent/*.sql by agent/src/store/embed_migrations.cmake.
#include \"store/migrations.hpp\"

namespace bp::store::detail {
namespace {
${_arrays}
constexpr Migration kMigrations[] = {
${_entries}};
}  // namespace

std::span<const Migration> embedded_migrations() { return kMigrations; }

}  // namespace bp::store::detail
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
