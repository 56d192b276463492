// ByteReader (bootprint/common) bounds: every read is checked and leaves the position alone on failure.
// Lives with the etl tests because the reader is the etl library's only way into bytes.
#include "bootprint/common/byte_reader.hpp"

#include <catch2/catch.hpp>

#include <vector>

#include "unit/etl/trace_files.hpp"

using bp::ByteReader;
using bp::test::bytes_of;

TEST_CASE("ByteReader reads little-endian values and refuses to overrun", "[byte_reader]") {
    const auto data = bytes_of({0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09});
    ByteReader r(data, 0x100);
    std::uint32_t v32 = 0;
    REQUIRE(r.u32(v32));
    CHECK(v32 == 0x04030201u);
    CHECK(r.offset() == 0x104);
    std::uint64_t v64 = 0xDEAD;
    CHECK_FALSE(r.u64(v64));  // 5 bytes left
    CHECK(v64 == 0xDEAD);
    CHECK(r.pos() == 4);
    std::uint64_t p = 0;
    REQUIRE(r.pointer(p, 4));
    CHECK(p == 0x08070605u);
    CHECK_FALSE(r.pointer(p, 8));
    std::uint16_t v16 = 0;
    CHECK_FALSE(r.u16(v16));
    std::uint8_t v8 = 0;
    REQUIRE(r.u8(v8));
    CHECK(v8 == 9);
    CHECK(r.empty());
    CHECK_FALSE(r.u8(v8));
    CHECK_FALSE(r.skip(1));
    CHECK(r.skip(0));
    CHECK_FALSE(r.seek(10));
    CHECK(r.seek(9));
}

TEST_CASE("ByteReader sub-readers keep absolute offsets and bounds", "[byte_reader]") {
    const auto data = bytes_of({0, 1, 2, 3, 4, 5, 6, 7});
    ByteReader r(data, 0x1000);
    REQUIRE(r.skip(2));
    ByteReader sub;
    REQUIRE(r.sub_reader(4, sub));
    CHECK(sub.base_offset() == 0x1002);
    CHECK(sub.size() == 4);
    CHECK(r.pos() == 6);
    std::uint32_t v = 0;
    REQUIRE(sub.u32(v));
    CHECK(v == 0x05040302u);
    std::uint8_t b8 = 0;
    CHECK_FALSE(sub.u8(b8));
    ByteReader too_big;
    CHECK_FALSE(r.sub_reader(3, too_big));
    CHECK(r.pos() == 6);
    std::span<const std::byte> span;
    CHECK_FALSE(r.bytes(3, span));
    REQUIRE(r.bytes(2, span));
    CHECK(span.size() == 2);
    bp::Guid g;
    ByteReader short_guid(data);
    CHECK_FALSE(short_guid.guid(g));
}

TEST_CASE("ByteReader strings: terminated, unterminated, odd lengths", "[byte_reader]") {
    SECTION("UTF-16 with a terminator, then more") {
        const auto data = bytes_of({'h', 0, 'i', 0, 0, 0, 'x', 0});
        ByteReader r(data);
        std::string s;
        REQUIRE(r.utf16z(s));
        CHECK(s == "hi");
        CHECK(r.pos() == 6);
    }
    SECTION("UTF-16 without a terminator fails unless allowed") {
        const auto data = bytes_of({'a', 0, 'b', 0, 'c'});
        ByteReader r(data);
        std::string s;
        CHECK_FALSE(r.utf16z(s));
        CHECK(r.pos() == 0);
        REQUIRE(r.utf16z(s, true));
        CHECK(s == "ab");
        CHECK(r.empty());
    }
    SECTION("non-ASCII UTF-16 round trips through utf8_to_utf16le") {
        const std::string text =
            "C:\\Pr\xC3\xBC"
            "fung\\\xF0\x9F\x98\x80.sys";
        const std::string units = bp::utf8_to_utf16le(text);
        std::vector<std::byte> data(units.size() + 2, std::byte{0});
        std::memcpy(data.data(), units.data(), units.size());
        ByteReader r(data);
        std::string s;
        REQUIRE(r.utf16z(s));
        CHECK(s == text);
    }
    SECTION("8-bit strings") {
        const auto data = bytes_of({'n', 't', 0, 'x'});
        ByteReader r(data);
        std::string s;
        REQUIRE(r.cstr(s));
        CHECK(s == "nt");
        CHECK_FALSE(r.cstr(s));
        REQUIRE(r.cstr(s, true));
        CHECK(s == "x");
    }
}
