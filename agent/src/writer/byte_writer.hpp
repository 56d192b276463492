// ByteWriter: the mirror of bp::ByteReader for the trace writer. Appends little-endian values to a
// growing byte vector with memcpy (no type punning). Private to the writer library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bootprint/common/byte_reader.hpp"
#include "bootprint/common/guid.hpp"

namespace bp::writer::detail {

class ByteWriter {
  public:
    ByteWriter() = default;
    explicit ByteWriter(std::size_t reserve) { out_.reserve(reserve); }

    void u8(std::uint8_t v) { put(v); }
    void u16(std::uint16_t v) { put(v); }
    void u32(std::uint32_t v) { put(v); }
    void u64(std::uint64_t v) { put(v); }
    void i32(std::int32_t v) { put(v); }
    void i64(std::int64_t v) { put(v); }
    // A pointer-sized value: 8 bytes, or the low 32 bits for pointer size 4.
    void pointer(std::uint64_t v, unsigned pointer_size) {
        if (pointer_size == 8) {
            u64(v);
        } else {
            u32(static_cast<std::uint32_t>(v));
        }
    }
    void guid(const Guid& g) { bytes(g.bytes); }
    void bytes(std::span<const std::byte> b) { out_.insert(out_.end(), b.begin(), b.end()); }
    void zeros(std::size_t n) { out_.insert(out_.end(), n, std::byte{0}); }
    // UTF-8 text as NUL-terminated UTF-16LE.
    void utf16z(std::string_view utf8) {
        const std::string units = utf8_to_utf16le(utf8);
        for (char c : units) out_.push_back(static_cast<std::byte>(c));
        u16(0);
    }
    // Bytes as stored plus a NUL terminator.
    void cstr(std::string_view text) {
        for (char c : text) out_.push_back(static_cast<std::byte>(c));
        u8(0);
    }
    // Overwrites an already written u16 / u32 at `pos`.
    void u16_at(std::size_t pos, std::uint16_t v) { std::memcpy(out_.data() + pos, &v, sizeof v); }
    void u32_at(std::size_t pos, std::uint32_t v) { std::memcpy(out_.data() + pos, &v, sizeof v); }

    std::size_t size() const { return out_.size(); }
    std::vector<std::byte>& data() { return out_; }
    std::vector<std::byte> take() { return std::move(out_); }

  private:
    template <class T>
    void put(T v) {
        const std::size_t at = out_.size();
        out_.resize(at + sizeof(T));
        std::memcpy(out_.data() + at, &v, sizeof(T));  // little-endian host (see byte_reader.cpp)
    }

    std::vector<std::byte> out_;
};

}  // namespace bp::writer::detail
