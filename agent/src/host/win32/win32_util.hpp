// Private helpers of the Windows host: Win32 error texts and a UTF-16 file read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <windows.h>

#include "bootprint/common/result.hpp"

namespace bp::host::win32::detail {

// "what: <FormatMessage text> (error N)".
Error win32_error(Errc code, const std::string& what, DWORD error);
// The same with GetLastError().
Error last_error(Errc code, const std::string& what);
// The whole file; nullopt when it does not exist.
Result<std::optional<std::string>> read_file(const std::string& path);
// FILETIME (100 ns since 1601) -> microseconds since 1970.
std::int64_t filetime_to_unix_us(const FILETIME& ft);

}  // namespace bp::host::win32::detail
