#include "bootprint/controller/auth.hpp"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <span>

#include "bootprint/store/sha256.hpp"

namespace bp::controller {

Result<std::string> generate_token() {
    std::array<unsigned char, 32> bytes{};
    std::size_t filled = 0;
    while (filled < bytes.size()) {
        const ssize_t n = ::getrandom(bytes.data() + filled, bytes.size() - filled, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return make_error(Errc::io, std::string("getrandom: ") + std::strerror(errno));
        }
        filled += static_cast<std::size_t>(n);
    }
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (unsigned char b : bytes) {
        acc = (acc << 8) | b;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(kAlphabet[(acc >> bits) & 0x3f]);
        }
    }
    if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3f]);
    return out;
}

std::string token_hash(std::string_view token) {
    return store::sha256_hex(std::as_bytes(std::span<const char>(token.data(), token.size())));
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    // The lengths of our secrets are not secret (tokens are fixed-size, hashes too).
    if (a.size() != b.size()) return false;
    volatile unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff = static_cast<unsigned char>(diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
    }
    return diff == 0;
}

std::string_view bearer_token(std::string_view authorization) {
    constexpr std::string_view kScheme = "Bearer ";
    if (authorization.size() <= kScheme.size()) return {};
    for (std::size_t i = 0; i < kScheme.size(); ++i) {
        const char c = authorization[i];
        const char want = kScheme[i];
        if ((c | 0x20) != (want | 0x20)) return {};
    }
    std::string_view token = authorization.substr(kScheme.size());
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (token.size() > 512) return {};
    return token;
}

}  // namespace bp::controller
