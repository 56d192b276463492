#include "bootprint/common/result.hpp"

#include <cstdio>

namespace bp {

const char* to_string(Errc code) {
    switch (code) {
        case Errc::io: return "io";
        case Errc::truncated: return "truncated";
        case Errc::corrupt: return "corrupt";
        case Errc::unsupported: return "unsupported";
        case Errc::invalid_argument: return "invalid_argument";
        case Errc::not_found: return "not_found";
        case Errc::conflict: return "conflict";
        case Errc::database: return "database";
        case Errc::internal: return "internal";
    }
    return "unknown";
}

std::string Error::describe() const {
    std::string out;
    if (!path.empty()) out += path + ": ";
    if (has_offset) {
        char buf[40];
        std::snprintf(buf, sizeof buf, "at offset 0x%llX: ", static_cast<unsigned long long>(offset));
        out += buf;
    }
    out += message;
    return out;
}

Error make_error(Errc code, std::string message) {
    Error e;
    e.code = code;
    e.message = std::move(message);
    return e;
}

Error make_error_at(Errc code, std::uint64_t offset, std::string message) {
    Error e = make_error(code, std::move(message));
    e.offset = offset;
    e.has_offset = true;
    return e;
}

}  // namespace bp
