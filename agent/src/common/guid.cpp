#include "bootprint/common/guid.hpp"

#include <cstdio>

namespace bp {

namespace {
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
std::uint8_t b(const Guid& g, int i) { return static_cast<std::uint8_t>(g.bytes[static_cast<std::size_t>(i)]); }
}  // namespace

std::string Guid::to_string() const {
    char buf[40];
    std::snprintf(buf, sizeof buf, "{%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x}",
                  b(*this, 3), b(*this, 2), b(*this, 1), b(*this, 0), b(*this, 5), b(*this, 4), b(*this, 7),
                  b(*this, 6), b(*this, 8), b(*this, 9), b(*this, 10), b(*this, 11), b(*this, 12), b(*this, 13),
                  b(*this, 14), b(*this, 15));
    return buf;
}

std::optional<Guid> Guid::parse(std::string_view text) {
    if (text.size() == 38 && text.front() == '{' && text.back() == '}') text = text.substr(1, 36);
    if (text.size() != 36) return std::nullopt;
    // Text order of the 16 bytes; Data1/2/3 are stored little-endian.
    static constexpr int kOrder[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    Guid g;
    int n = 0;
    for (std::size_t i = 0; i < text.size();) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i] != '-') return std::nullopt;
            ++i;
            continue;
        }
        int hi = hex_value(text[i]);
        int lo = hex_value(text[i + 1]);
        if (hi < 0 || lo < 0 || n >= 16) return std::nullopt;
        g.bytes[static_cast<std::size_t>(kOrder[n])] = static_cast<std::byte>(hi * 16 + lo);
        ++n;
        i += 2;
    }
    if (n != 16) return std::nullopt;
    return g;
}

}  // namespace bp
