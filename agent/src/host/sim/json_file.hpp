// Small JSON-file helpers of the simulated machine: read (missing file → default), write atomically.
// nlohmann_json throws on type mismatches; these helpers and their callers catch at the call site.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "bootprint/common/result.hpp"

namespace bp::host::sim::detail {

// The file's JSON, or `missing` when the file does not exist.
Result<nlohmann::json> read_json(const std::string& path, nlohmann::json missing = nlohmann::json::object());
Status write_json(const std::string& path, const nlohmann::json& value);
Result<std::string> read_text(const std::string& path);

// "0xC5583014", "3311939604" or a number → the 32-bit value.
Result<std::uint32_t> parse_code(const nlohmann::json& value);
std::string hex_code(std::uint32_t code);

}  // namespace bp::host::sim::detail
