#include "bootprint/common/byte_reader.hpp"

#include <bit>

namespace bp {

static_assert(std::endian::native == std::endian::little,
              "ByteReader::at and load_le assume a little-endian host (x86-64, ARM64)");

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::string utf16le_to_utf8(std::span<const std::byte> units) {
    std::string out;
    out.reserve(units.size() / 2);
    const std::size_t n = units.size() / 2;
    for (std::size_t i = 0; i < n; ++i) {
        char32_t u = load_le<std::uint16_t>(units.data() + 2 * i);
        if (u >= 0xD800 && u <= 0xDBFF && i + 1 < n) {
            char32_t lo = load_le<std::uint16_t>(units.data() + 2 * (i + 1));
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
                ++i;
                continue;
            }
        }
        if (u >= 0xD800 && u <= 0xDFFF) u = 0xFFFD;
        append_utf8(out, u);
    }
    return out;
}

std::string utf8_to_utf16le(std::string_view s) {
    std::string out;
    out.reserve(s.size() * 2);
    auto put = [&](char32_t u) {
        out.push_back(static_cast<char>(u & 0xFF));
        out.push_back(static_cast<char>((u >> 8) & 0xFF));
    };
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        char32_t cp = 0xFFFD;
        std::size_t len = 1;
        if (c < 0x80) {
            cp = c;
        } else if ((c >> 5) == 6 && i + 1 < s.size()) {
            cp = ((c & 0x1F) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3F);
            len = 2;
        } else if ((c >> 4) == 14 && i + 2 < s.size()) {
            cp = ((c & 0x0F) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3F) << 6) |
                 (static_cast<unsigned char>(s[i + 2]) & 0x3F);
            len = 3;
        } else if ((c >> 3) == 30 && i + 3 < s.size()) {
            cp = ((c & 0x07) << 18) | ((static_cast<unsigned char>(s[i + 1]) & 0x3F) << 12) |
                 ((static_cast<unsigned char>(s[i + 2]) & 0x3F) << 6) | (static_cast<unsigned char>(s[i + 3]) & 0x3F);
            len = 4;
        }
        i += len;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            put(0xD800 + (cp >> 10));
            put(0xDC00 + (cp & 0x3FF));
        } else {
            put(cp);
        }
    }
    return out;
}

bool ByteReader::utf16z(std::string& out, bool allow_unterminated) {
    const std::size_t start = pos_;
    std::size_t p = pos_;
    while (p + 2 <= data_.size()) {
        if (data_[p] == std::byte{0} && data_[p + 1] == std::byte{0}) {
            out = utf16le_to_utf8(data_.subspan(start, p - start));
            pos_ = p + 2;
            return true;
        }
        p += 2;
    }
    if (!allow_unterminated) return false;
    out = utf16le_to_utf8(data_.subspan(start, (data_.size() - start) & ~std::size_t{1}));
    pos_ = data_.size();
    return true;
}

bool ByteReader::cstr(std::string& out, bool allow_unterminated) {
    const std::size_t start = pos_;
    for (std::size_t p = pos_; p < data_.size(); ++p) {
        if (data_[p] == std::byte{0}) {
            out.assign(reinterpret_cast<const char*>(data_.data() + start), p - start);
            pos_ = p + 1;
            return true;
        }
    }
    if (!allow_unterminated) return false;
    out.assign(reinterpret_cast<const char*>(data_.data() + start), data_.size() - start);
    pos_ = data_.size();
    return true;
}

}  // namespace bp
