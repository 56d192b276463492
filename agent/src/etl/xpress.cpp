// Plain LZ77 per [MS-XCA] 2.3 (compression) and 2.4 (decompression).
//
// Stream: a 32-bit little-endian flag word precedes every 32 items; bit 31 describes the first item.
// A clear bit is a literal byte. A set bit is a 16-bit token: offset = (token >> 3) + 1,
// length = (token & 7) + 3, where 7 means "read more": a nibble (two matches share one byte, low
// nibble first), 15 in the nibble means "read a byte", 255 in the byte means "read a u16 holding the
// whole length - 3", and 0 in that u16 means "read a u32". The compressor ends the stream with set
// flag bits and no token, which the decompressor treats as the end.
#include "bootprint/etl/xpress.hpp"

#include <algorithm>
#include <bit>
#include <array>
#include <cstring>
#include <string>

#include "bootprint/common/byte_reader.hpp"

namespace bp::etl {

Status xpress_decompress(std::span<const std::byte> in, std::size_t expected_size, std::vector<std::byte>& out) {
    out.resize(expected_size);
    const std::byte* src = in.data();
    const std::size_t n = in.size();
    std::byte* dst = out.data();
    std::size_t ip = 0;
    std::size_t op = 0;
    std::uint32_t flags = 0;
    int flag_count = 0;
    std::size_t half_byte_pos = 0;  // 0 = no pending shared nibble (position 0 is always a flag word)

    auto fail = [&](std::size_t at, const std::string& what) {
        return make_error_at(Errc::corrupt, at, "XPRESS stream: " + what);
    };

    for (;;) {
        if (flag_count == 0) {
            if (ip == n) break;
            if (n - ip < 4) return fail(ip, "flag word cut short");
            flags = load_le<std::uint32_t>(src + ip);
            ip += 4;
            flag_count = 32;
        }
        if ((flags & (1u << (flag_count - 1))) == 0) {
            // A run of literal flags: count them at once and copy the bytes with one memcpy.
            const std::uint32_t pending = flag_count == 32 ? flags : (flags & ((1u << flag_count) - 1));
            const int run = pending ? flag_count - (32 - std::countl_zero(pending)) : flag_count;
            const std::size_t take = std::min<std::size_t>(static_cast<std::size_t>(run), n - ip);
            if (take > expected_size - op) {
                return fail(ip, "output exceeds the expected " + std::to_string(expected_size) + " bytes");
            }
            if (take) std::memcpy(dst + op, src + ip, take);  // never memcpy with a null pointer (empty output)
            op += take;
            ip += take;
            flag_count -= run;
            if (take < static_cast<std::size_t>(run)) break;  // literal flags with no input: end of stream
            continue;
        }
        --flag_count;
        if (ip == n) break;  // a match flag with no input left marks the end
        if (n - ip < 2) return fail(ip, "match token cut short");
        const std::uint32_t token = load_le<std::uint16_t>(src + ip);
        ip += 2;
        std::size_t length = token & 7;
        const std::size_t distance = (token >> 3) + 1;
        if (length == 7) {
            if (half_byte_pos == 0) {
                if (ip >= n) return fail(ip, "length nibble missing");
                length = static_cast<std::uint8_t>(src[ip]) & 0x0F;
                half_byte_pos = ip;
                ++ip;
            } else {
                length = static_cast<std::uint8_t>(src[half_byte_pos]) >> 4;
                half_byte_pos = 0;
            }
            if (length == 15) {
                if (ip >= n) return fail(ip, "length byte missing");
                length = static_cast<std::uint8_t>(src[ip]);
                ++ip;
                if (length == 255) {
                    if (n - ip < 2) return fail(ip, "16-bit length missing");
                    length = load_le<std::uint16_t>(src + ip);
                    ip += 2;
                    if (length == 0) {
                        if (n - ip < 4) return fail(ip, "32-bit length missing");
                        length = load_le<std::uint32_t>(src + ip);
                        ip += 4;
                    }
                    if (length < 15 + 7) return fail(ip, "extended length below 22");
                    length -= 15 + 7;
                }
                length += 15;
            }
            length += 7;
        }
        length += 3;
        if (distance > op) {
            return fail(ip - 2, "match refers " + std::to_string(distance) + " bytes back but only " +
                                    std::to_string(op) + " bytes were produced");
        }
        if (length > expected_size - op) {
            return fail(ip - 2, "match of " + std::to_string(length) + " bytes overruns the expected " +
                                    std::to_string(expected_size) + " bytes");
        }
        std::byte* d = dst + op;
        const std::byte* s = d - distance;
        if (distance >= length) {
            std::memcpy(d, s, length);
        } else if (distance >= 8) {
            // Overlapping, but every 8-byte chunk reads bytes written before it.
            std::size_t i = 0;
            for (; i + 8 <= length; i += 8) std::memcpy(d + i, s + i, 8);
            for (; i < length; ++i) d[i] = s[i];
        } else {
            for (std::size_t i = 0; i < length; ++i) d[i] = s[i];  // short period (runs): byte by byte
        }
        op += length;
    }
    if (op != expected_size) {
        return make_error_at(Errc::corrupt, ip,
                             "XPRESS stream produced " + std::to_string(op) + " bytes; expected " +
                                 std::to_string(expected_size));
    }
    return {};
}

namespace {
// Length of the common prefix of a and b (at most max), 8 bytes at a time.
std::size_t match_length(const std::byte* a, const std::byte* b, std::size_t max) {
    std::size_t len = 0;
    while (len + 8 <= max) {
        const std::uint64_t diff = load_le<std::uint64_t>(a + len) ^ load_le<std::uint64_t>(b + len);
        if (diff) return len + static_cast<std::size_t>(std::countr_zero(diff)) / 8;
        len += 8;
    }
    while (len < max && a[len] == b[len]) ++len;
    return len;
}
}  // namespace

std::vector<std::byte> xpress_compress(std::span<const std::byte> in) {
    constexpr std::size_t kWindow = 8192;  // 13-bit offsets
    constexpr std::size_t kHashBits = 14;
    constexpr std::size_t kMaxChain = 8;
    std::vector<std::byte> out;
    out.reserve(in.size() + in.size() / 8 + 16);
    std::vector<std::int64_t> head(std::size_t{1} << kHashBits, -1);
    std::vector<std::int64_t> prev(in.size(), -1);

    std::size_t flag_pos = 0;
    std::uint32_t flags = 0;
    int flag_count = 0;
    std::size_t half_byte_pos = 0;
    bool half_byte_pending = false;

    auto put8 = [&](std::uint8_t v) { out.push_back(static_cast<std::byte>(v)); };
    auto put16 = [&](std::uint16_t v) {
        put8(static_cast<std::uint8_t>(v));
        put8(static_cast<std::uint8_t>(v >> 8));
    };
    auto put32_at = [&](std::size_t at, std::uint32_t v) { std::memcpy(out.data() + at, &v, 4); };
    auto reserve_flags = [&] {
        flag_pos = out.size();
        out.resize(out.size() + 4);
        flags = 0;
        flag_count = 0;
    };
    auto push_flag = [&](bool match) {
        flags = (flags << 1) | (match ? 1u : 0u);
        if (++flag_count == 32) {
            put32_at(flag_pos, flags);
            reserve_flags();
        }
    };
    auto hash3 = [&](std::size_t i) {
        const std::uint32_t v = static_cast<std::uint32_t>(in[i]) | (static_cast<std::uint32_t>(in[i + 1]) << 8) |
                                (static_cast<std::uint32_t>(in[i + 2]) << 16);
        return static_cast<std::size_t>((v * 2654435761u) >> (32 - kHashBits));
    };
    auto insert = [&](std::size_t i) {
        if (i + 3 > in.size()) return;
        const std::size_t h = hash3(i);
        prev[i] = head[h];
        head[h] = static_cast<std::int64_t>(i);
    };

    reserve_flags();
    std::size_t i = 0;
    while (i < in.size()) {
        std::size_t best_len = 0;
        std::size_t best_dist = 0;
        if (i + 3 <= in.size()) {
            std::int64_t cand = head[hash3(i)];
            for (std::size_t chain = 0; cand >= 0 && chain < kMaxChain; ++chain) {
                const auto c = static_cast<std::size_t>(cand);
                const std::size_t dist = i - c;
                if (dist > kWindow) break;
                const std::size_t len = match_length(in.data() + c, in.data() + i, in.size() - i);
                if (len > best_len) {
                    best_len = len;
                    best_dist = dist;
                    if (len >= 64) break;  // good enough: longer chains rarely pay
                }
                cand = prev[c];
            }
        }
        if (best_len < 3) {
            // Data first, then the flag: a full flag word reserves the next one after this item.
            put8(static_cast<std::uint8_t>(in[i]));
            push_flag(false);
            insert(i);
            ++i;
            continue;
        }
        const std::size_t ml = best_len - 3;
        const auto off_bits = static_cast<std::uint16_t>((best_dist - 1) << 3);
        if (ml < 7) {
            put16(static_cast<std::uint16_t>(off_bits | ml));
        } else {
            put16(static_cast<std::uint16_t>(off_bits | 7));
            const std::size_t m2 = ml - 7;
            const std::uint8_t nibble = m2 < 15 ? static_cast<std::uint8_t>(m2) : 15;
            if (!half_byte_pending) {
                half_byte_pos = out.size();
                put8(nibble);
                half_byte_pending = true;
            } else {
                out[half_byte_pos] |= static_cast<std::byte>(nibble << 4);
                half_byte_pending = false;
            }
            if (m2 >= 15) {
                const std::size_t m3 = m2 - 15;
                if (m3 < 255) {
                    put8(static_cast<std::uint8_t>(m3));
                } else {
                    put8(255);
                    if (ml <= 0xFFFF) {
                        put16(static_cast<std::uint16_t>(ml));
                    } else {
                        put16(0);
                        const auto v = static_cast<std::uint32_t>(ml);
                        for (int k = 0; k < 4; ++k) put8(static_cast<std::uint8_t>(v >> (8 * k)));
                    }
                }
            }
        }
        push_flag(true);
        // Index the positions inside the match too, but not every byte of a very long one.
        const std::size_t step = best_len > 32 ? 4 : 1;
        for (std::size_t k = 0; k < best_len; k += step) insert(i + k);
        i += best_len;
    }
    // Terminate: the remaining flag bits are set (a "match" with no input left ends the stream).
    const int used = flag_count;
    std::uint32_t final_flags = used == 0 ? 0xFFFFFFFFu : ((flags << (32 - used)) | ((1u << (32 - used)) - 1));
    put32_at(flag_pos, final_flags);
    return out;
}

}  // namespace bp::etl
