// ByteReader: the only way the project reads binary input. Every read is bounds-checked against the
// span it was given; values are assembled little-endian with memcpy (no type punning, no alignment
// assumptions). A reader remembers the absolute offset of its first byte so that an error can name the
// file offset of the problem.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "bootprint/common/guid.hpp"

namespace bp {

class ByteReader {
public:
    ByteReader() = default;
    ByteReader(std::span<const std::byte> data, std::uint64_t base_offset = 0)
        : data_(data), base_(base_offset) {}

    std::size_t size() const { return data_.size(); }
    std::size_t pos() const { return pos_; }
    std::size_t remaining() const { return data_.size() - pos_; }
    bool empty() const { return pos_ >= data_.size(); }
    std::uint64_t base_offset() const { return base_; }
    // Absolute offset (in the file) of the current read position.
    std::uint64_t offset() const { return base_ + pos_; }
    std::span<const std::byte> data() const { return data_; }
    std::span<const std::byte> rest() const { return data_.subspan(pos_); }

    bool can_read(std::size_t n) const { return n <= remaining(); }

    // Checked reads: return false (and leave the position unchanged) when fewer bytes remain.
    bool u8(std::uint8_t& out) { return read_le(out); }
    bool u16(std::uint16_t& out) { return read_le(out); }
    bool u32(std::uint32_t& out) { return read_le(out); }
    bool u64(std::uint64_t& out) { return read_le(out); }
    bool i32(std::int32_t& out) { return read_le(out); }
    bool i64(std::int64_t& out) { return read_le(out); }
    // A pointer-sized value (4 or 8 bytes) widened to 64 bits.
    bool pointer(std::uint64_t& out, unsigned pointer_size) {
        if (pointer_size == 8) return u64(out);
        std::uint32_t v = 0;
        if (!u32(v)) return false;
        out = v;
        return true;
    }
    bool guid(Guid& out) {
        if (!can_read(16)) return false;
        std::memcpy(out.bytes.data(), data_.data() + pos_, 16);
        pos_ += 16;
        return true;
    }
    bool bytes(std::size_t n, std::span<const std::byte>& out) {
        if (!can_read(n)) return false;
        out = data_.subspan(pos_, n);
        pos_ += n;
        return true;
    }
    bool skip(std::size_t n) {
        if (!can_read(n)) return false;
        pos_ += n;
        return true;
    }
    bool seek(std::size_t p) {
        if (p > data_.size()) return false;
        pos_ = p;
        return true;
    }
    // A child reader over the next n bytes; advances this reader past them.
    bool sub_reader(std::size_t n, ByteReader& out) {
        if (!can_read(n)) return false;
        out = ByteReader(data_.subspan(pos_, n), base_ + pos_);
        pos_ += n;
        return true;
    }
    // NUL-terminated UTF-16LE string converted to UTF-8. Returns false when no terminator is found
    // before the end (unless `allow_unterminated`, in which case the rest is taken).
    bool utf16z(std::string& out, bool allow_unterminated = false);
    // NUL-terminated 8-bit string (ANSI/UTF-8 as stored).
    bool cstr(std::string& out, bool allow_unterminated = false);

    // Unchecked peeks at a fixed position relative to the start; the caller has checked the size.
    template <class T>
    T at(std::size_t p) const {
        T v{};
        std::memcpy(&v, data_.data() + p, sizeof(T));
        return v;  // little-endian host assumed; see static_assert in byte_reader.cpp
    }

private:
    template <class T>
    bool read_le(T& out) {
        if (!can_read(sizeof(T))) return false;
        std::memcpy(&out, data_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return true;
    }

    std::span<const std::byte> data_;
    std::uint64_t base_ = 0;
    std::size_t pos_ = 0;
};

// Little-endian loads from raw memory the caller has bounds-checked.
template <class T>
inline T load_le(const std::byte* p) {
    T v{};
    std::memcpy(&v, p, sizeof(T));
    return v;
}

// Append UTF-8 for one code point.
void append_utf8(std::string& out, char32_t cp);

// UTF-16LE code units to UTF-8 (unpaired surrogates become U+FFFD).
std::string utf16le_to_utf8(std::span<const std::byte> units);

// UTF-8 to UTF-16LE bytes (for the trace writer).
std::string utf8_to_utf16le(std::string_view s);

}  // namespace bp
