// A Windows GUID in its on-disk byte order (Data1/2/3 little-endian, Data4 as bytes).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace bp {

struct Guid {
    std::array<std::byte, 16> bytes{};

    // "{3d6fa8d0-fe05-11d0-9dda-00c04fd7ba7c}", lower case, braces.
    std::string to_string() const;
    // Accepts the form above with or without braces, any case.
    static std::optional<Guid> parse(std::string_view text);

    bool operator==(const Guid&) const = default;
    auto operator<=>(const Guid&) const = default;
};

}  // namespace bp

template <>
struct std::hash<bp::Guid> {
    std::size_t operator()(const bp::Guid& g) const noexcept {
        std::uint64_t a = 0;
        std::uint64_t b = 0;
        for (int i = 0; i < 8; ++i) a = (a << 8) | static_cast<std::uint8_t>(g.bytes[static_cast<std::size_t>(i)]);
        for (int i = 8; i < 16; ++i) b = (b << 8) | static_cast<std::uint8_t>(g.bytes[static_cast<std::size_t>(i)]);
        return static_cast<std::size_t>(a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL + (a << 6)));
    }
};
