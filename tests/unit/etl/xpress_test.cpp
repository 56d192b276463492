// MS-XCA plain LZ77: round trips through our compressor and hand-built malformed streams.
#include "bootprint/etl/xpress.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "unit/etl/trace_files.hpp"

using bp::etl::xpress_compress;
using bp::etl::xpress_decompress;
using bp::test::bytes_of;

namespace {

std::vector<std::byte> random_bytes(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<std::byte> out(n);
    for (auto& b : out) b = static_cast<std::byte>(rng() & 0xFF);
    return out;
}

void require_round_trip(const std::vector<std::byte>& in) {
    const std::vector<std::byte> packed = xpress_compress(in);
    std::vector<std::byte> out;
    auto st = xpress_decompress(packed, in.size(), out);
    INFO((st ? std::string() : st.error().describe()));
    REQUIRE(st.has_value());
    REQUIRE(out == in);
}

}  // namespace

TEST_CASE("xpress round trips random, repetitive and mixed data", "[xpress]") {
    SECTION("empty") {
        require_round_trip({});
    }
    SECTION("one byte") {
        require_round_trip(bytes_of({0x42}));
    }
    SECTION("random data (incompressible)") {
        const auto in = random_bytes(70'000, 1);
        require_round_trip(in);
    }
    SECTION("repetitive text compresses") {
        std::vector<std::byte> in;
        const auto phrase = bp::test::text_bytes("PoolAlloc Irp  0x200 NonPagedPoolNx; ");
        while (in.size() < 65'536) in.insert(in.end(), phrase.begin(), phrase.end());
        require_round_trip(in);
        CHECK(xpress_compress(in).size() < in.size() / 10);
    }
    SECTION("mixed random and repeated runs, many flag words") {
        std::vector<std::byte> in;
        std::mt19937 rng(7);
        for (int i = 0; i < 300; ++i) {
            const auto run = random_bytes(rng() % 40, static_cast<std::uint32_t>(i));
            in.insert(in.end(), run.begin(), run.end());
            const std::size_t rep = rng() % 300;
            for (std::size_t k = 0; k < rep && !in.empty(); ++k) in.push_back(in[in.size() - 1 - (k % 5)]);
        }
        require_round_trip(in);
    }
}

TEST_CASE("xpress long matches use the 4-bit, 8-bit, 16-bit and 32-bit length forms", "[xpress]") {
    // A run of one byte compresses into a single overlapping match whose length decides the form:
    // < 10 → token only, < 25 → nibble, < 280 → byte, <= 0xFFFF+3 → u16, larger → u32.
    for (std::size_t n :
         {std::size_t{9}, std::size_t{20}, std::size_t{200}, std::size_t{5'000}, std::size_t{65'538},
          std::size_t{65'539}, std::size_t{65'540}, std::size_t{200'000}}) {
        INFO("run of " << n);
        std::vector<std::byte> in(n, std::byte{0xAB});
        require_round_trip(in);
    }
    SECTION("a 200000-byte run needs the 32-bit form: literal, token, nibble, 255, u16 0, u32") {
        std::vector<std::byte> in(200'000, std::byte{0});
        const auto packed = xpress_compress(in);
        // flags(4) + literal(1) + token(2) + nibble(1) + 0xFF(1) + u16 0 (2) + u32 length (4) = 15.
        REQUIRE(packed.size() == 15);
        CHECK(bp::test::get_le<std::uint16_t>(packed, 9) == 0);
        CHECK(bp::test::get_le<std::uint32_t>(packed, 11) == 200'000 - 1 - 3);
    }
}

TEST_CASE("xpress decodes a hand-made stream", "[xpress]") {
    // Flags 0b01 then ones: literal 'a', then match offset 1 length 5 ("aaaaa"), then end.
    // Flag word: bit31 = 0 (literal), bit30 = 1 (match), rest 1 (end marker).
    const std::uint32_t flags = 0x7FFFFFFF;
    std::vector<std::byte> s =
        bytes_of({static_cast<int>(flags & 0xFF), static_cast<int>((flags >> 8) & 0xFF),
                  static_cast<int>((flags >> 16) & 0xFF), static_cast<int>(flags >> 24), 'a',
                  /*token: (0 << 3) | (5 - 3)*/ 0x02, 0x00});
    std::vector<std::byte> out;
    REQUIRE(xpress_decompress(s, 6, out).has_value());
    CHECK(out == bp::test::text_bytes("aaaaaa"));
}

TEST_CASE("xpress rejects malformed streams without reading or writing out of bounds", "[xpress]") {
    std::vector<std::byte> out;
    SECTION("flag word cut short") {
        auto st = xpress_decompress(bytes_of({0x00, 0x00}), 4, out);
        REQUIRE_FALSE(st.has_value());
        CHECK(st.error().code == bp::Errc::corrupt);
        CHECK(st.error().offset == 0);
    }
    SECTION("stream ends before the expected size") {
        const auto packed = xpress_compress(bp::test::text_bytes("hello world"));
        auto truncated = packed;
        truncated.resize(7);  // flag word + 3 literals
        auto st = xpress_decompress(truncated, 11, out);
        REQUIRE_FALSE(st.has_value());
        CHECK(st.error().message.find("produced 3 bytes; expected 11") != std::string::npos);
    }
    SECTION("match refers before the start of the output") {
        // flags: bit31 literal, bit30 match; literal 'x', token offset 4 (v >> 3 = 3) length 3.
        auto s = bytes_of({0xFF, 0xFF, 0xFF, 0x7F, 'x', 0x18, 0x00});
        auto st = xpress_decompress(s, 4, out);
        REQUIRE_FALSE(st.has_value());
        CHECK(st.error().offset == 5);
        CHECK(st.error().message.find("4 bytes back but only 1") != std::string::npos);
    }
    SECTION("match overruns the expected size") {
        auto s = bytes_of({0xFF, 0xFF, 0xFF, 0x7F, 'x', 0x06, 0x00});  // offset 1, length 9
        auto st = xpress_decompress(s, 5, out);
        REQUIRE_FALSE(st.has_value());
        CHECK(st.error().message.find("overruns") != std::string::npos);
    }
    SECTION("literals beyond the expected size") {
        const auto packed = xpress_compress(random_bytes(64, 3));
        auto st = xpress_decompress(packed, 32, out);
        REQUIRE_FALSE(st.has_value());
        CHECK(st.error().code == bp::Errc::corrupt);
    }
    SECTION("extended length bytes missing") {
        // literal 'x' then a match with length field 7 and no nibble byte.
        auto s = bytes_of({0xFF, 0xFF, 0xFF, 0x7F, 'x', 0x07, 0x00});
        auto st = xpress_decompress(s, 40, out);
        REQUIRE_FALSE(st.has_value());
        CHECK(st.error().message.find("nibble") != std::string::npos);
    }
    SECTION("16-bit length below the 22 the encoding implies") {
        auto s = bytes_of({0xFF, 0xFF, 0xFF, 0x7F, 'x', 0x07, 0x00, 0x0F, 0xFF, 0x05, 0x00});
        auto st = xpress_decompress(s, 400, out);
        REQUIRE_FALSE(st.has_value());
        CHECK(st.error().message.find("below 22") != std::string::npos);
    }
}

// 2026-11-21, libFuzzer (fuzz_xpress, CI run on a clean clone), crash-b99bbda469a19915d80dba83830a3dabd25c0424:
// input 00 00 04 00 00 00 asks for 0 output bytes; the literal-run path called memcpy with the empty
// output's null pointer and length 0 (UBSan: null pointer passed as argument 1).
TEST_CASE("fuzz regression: xpress-crash-b99bbda4 (memcpy into an empty output)", "[xpress][fuzz-regression]") {
    const std::vector<std::byte> stream = {std::byte{0x04}, std::byte{0x00}, std::byte{0x00}, std::byte{0x00}};
    std::vector<std::byte> out;
    auto st = bp::etl::xpress_decompress(stream, 0, out);
    CHECK(out.empty());
    (void)st;  // either outcome is fine; undefined behaviour is not (UBSan aborts the test)
    // The fuzzer's own input: two bytes of expected length (0), then the stream.
    const auto input = bp::test::read_bytes(std::string(BOOTPRINT_SOURCE_DIR) + "/tests/fuzz/regressions/xpress-crash-b99bbda4");
    REQUIRE(input.size() == 6);
    const std::size_t expected = (static_cast<std::size_t>(input[0]) << 8 | static_cast<std::size_t>(input[1])) * 4;
    (void)bp::etl::xpress_decompress(std::span<const std::byte>(input).subspan(2), expected, out);
}
