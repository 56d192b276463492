#include "host/sim/json_file.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bootprint/host/file_system.hpp"

namespace bp::host::sim::detail {

Result<std::string> read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(Errc::not_found, "cannot open the file").with_path(path);
    std::stringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return make_error(Errc::io, "cannot read the file").with_path(path);
    return ss.str();
}

Result<nlohmann::json> read_json(const std::string& path, nlohmann::json missing) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return missing;
    BP_TRY(std::string text, read_text(path));
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) return make_error(Errc::corrupt, "not valid JSON").with_path(path);
    return j;
}

Status write_json(const std::string& path, const nlohmann::json& value) {
    LocalFileSystem files;
    return files.write_file(path, value.dump(2) + "\n");
}

Result<std::uint32_t> parse_code(const nlohmann::json& value) {
    if (value.is_number_unsigned()) return static_cast<std::uint32_t>(value.get<std::uint64_t>());
    if (value.is_number_integer()) return static_cast<std::uint32_t>(value.get<std::int64_t>());
    if (value.is_string()) {
        const std::string s = value.get<std::string>();
        char* end = nullptr;
        const unsigned long long v = std::strtoull(s.c_str(), &end, 0);
        if (!s.empty() && end && *end == '\0' && v <= 0xFFFFFFFFull) return static_cast<std::uint32_t>(v);
    }
    return make_error(Errc::invalid_argument, "not an exit code: " + value.dump());
}

std::string hex_code(std::uint32_t code) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08X", code);
    return buf;
}

}  // namespace bp::host::sim::detail
