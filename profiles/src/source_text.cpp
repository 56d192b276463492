#include "bootprint/profiles/source_text.hpp"

#include <cstdint>
#include <fstream>
#include <iterator>

namespace bp::profiles {
namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

Result<std::string> utf16_to_utf8(std::string_view bytes, bool big_endian) {
    if (bytes.size() % 2 != 0) {
        return make_error_at(Errc::corrupt, bytes.size() - 1, "UTF-16 text has an odd number of bytes");
    }
    auto unit = [&](std::size_t i) {
        auto b0 = static_cast<std::uint8_t>(bytes[i]);
        auto b1 = static_cast<std::uint8_t>(bytes[i + 1]);
        return static_cast<std::uint32_t>(big_endian ? (b0 << 8) | b1 : (b1 << 8) | b0);
    };
    std::string out;
    out.reserve(bytes.size() / 2);
    for (std::size_t i = 0; i < bytes.size(); i += 2) {
        std::uint32_t u = unit(i);
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (i + 3 >= bytes.size() || unit(i + 2) < 0xDC00 || unit(i + 2) > 0xDFFF) {
                return make_error_at(Errc::corrupt, i, "UTF-16 text has an unpaired high surrogate");
            }
            u = 0x10000 + ((u - 0xD800) << 10) + (unit(i + 2) - 0xDC00);
            i += 2;
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
            return make_error_at(Errc::corrupt, i, "UTF-16 text has an unpaired low surrogate");
        }
        append_utf8(out, u);
    }
    return out;
}

}  // namespace

Result<std::string> decode_source(std::string_view bytes) {
    if (bytes.size() > kMaxSourceBytes) {
        return make_error(Errc::unsupported, "file has " + std::to_string(bytes.size()) +
                                                 " bytes; a .wprp profile is expected to be under " +
                                                 std::to_string(kMaxSourceBytes) + " bytes");
    }
    if (bytes.starts_with(std::string_view("\x00\x00\xFE\xFF", 4)) ||
        bytes.starts_with(std::string_view("\xFF\xFE\x00\x00", 4))) {
        return make_error(Errc::unsupported, "UTF-32 text is not supported; save the profile as UTF-8");
    }
    if (bytes.starts_with("\xEF\xBB\xBF")) return std::string(bytes.substr(3));
    if (bytes.starts_with("\xFF\xFE")) return utf16_to_utf8(bytes.substr(2), false);
    if (bytes.starts_with("\xFE\xFF")) return utf16_to_utf8(bytes.substr(2), true);
    return std::string(bytes);
}

Result<std::string> read_source_file(const std::filesystem::path& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        return make_error(Errc::io, "is a directory, not a .wprp file").with_path(path.string());
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(Errc::io, "cannot open file for reading").with_path(path.string());
    std::string bytes;
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        bytes.append(buf, static_cast<std::size_t>(in.gcount()));
        if (bytes.size() > kMaxSourceBytes) break;  // decode_source reports the size
    }
    if (in.bad()) return make_error(Errc::io, "read failed").with_path(path.string());
    auto text = decode_source(bytes);
    if (!text) return std::move(text).error().with_path(path.string());
    return text;
}

}  // namespace bp::profiles
