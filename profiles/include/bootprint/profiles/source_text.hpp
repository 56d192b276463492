// Reading a .wprp file into UTF-8 text: the one entry point every reader (validator, inspector) uses,
// so that line numbers mean the same thing everywhere. Handles UTF-8 with or without BOM and UTF-16
// LE/BE with BOM (Visual Studio saves profiles that way); refuses anything larger than kMaxSourceBytes.
//
//   BP_TRY(auto text, bp::profiles::read_source_file("boot.wprp"));
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "bootprint/common/result.hpp"

namespace bp::profiles {

// Real profiles are a few tens of KB; anything this big is not a profile.
inline constexpr std::size_t kMaxSourceBytes = 16u * 1024u * 1024u;

// Bytes as read from disk -> UTF-8 without BOM. Errors are Errc::corrupt (bad UTF-16) or
// Errc::unsupported (UTF-32).
Result<std::string> decode_source(std::string_view bytes);

// Reads and decodes a file. Errors carry the path.
Result<std::string> read_source_file(const std::filesystem::path& path);

}  // namespace bp::profiles
