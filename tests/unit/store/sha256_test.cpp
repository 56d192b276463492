#include "bootprint/store/sha256.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "support/process.hpp"

using bp::store::Sha256;
using bp::store::sha256_hex;

namespace {
std::span<const std::byte> bytes_of(const std::string& s) {
    return std::as_bytes(std::span<const char>(s.data(), s.size()));
}
}  // namespace

// FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf").
TEST_CASE("sha256: NIST test vectors") {
    CHECK(sha256_hex(bytes_of("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex(bytes_of("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex(bytes_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("sha256: chunking does not change the digest") {
    const std::string million(1'000'000, 'a');
    for (std::size_t chunk : {std::size_t{1}, std::size_t{63}, std::size_t{64}, std::size_t{65},
                              std::size_t{4096}, million.size()}) {
        INFO("chunk " << chunk);
        Sha256 h;
        for (std::size_t at = 0; at < million.size(); at += chunk) {
            h.update(bytes_of(million.substr(at, chunk)));
        }
        const auto digest = h.finish();
        CHECK(bp::store::to_hex(digest) ==
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    }
    // Lengths around the padding boundary (55, 56, 64 bytes) agree with one-shot hashing.
    for (std::size_t n :
         {std::size_t{55}, std::size_t{56}, std::size_t{57}, std::size_t{63}, std::size_t{64}}) {
        const std::string s(n, 'x');
        Sha256 h;
        h.update(bytes_of(s.substr(0, n / 2)));
        h.update(bytes_of(s.substr(n / 2)));
        const auto digest = h.finish();
        CHECK(bp::store::to_hex(digest) == sha256_hex(bytes_of(s)));
    }
    CHECK(sha256_hex(bytes_of(std::string(56, 'x'))) != sha256_hex(bytes_of(std::string(55, 'x'))));
}

TEST_CASE("sha256: files, with progress, and a missing file") {
    bp::test::TempDir dir;
    const std::string path = dir.file("t.bin");
    {
        std::ofstream out(path, std::ios::binary);
        out << "abc";
    }
    std::vector<std::uint64_t> seen;
    auto digest = bp::store::sha256_file(path, [&](std::uint64_t done, std::uint64_t total) {
        seen.push_back(done);
        CHECK(total == 3);
    });
    REQUIRE(digest);
    CHECK(*digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(seen == std::vector<std::uint64_t>{3});

    auto missing = bp::store::sha256_file(dir.file("nope.etl"));
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == bp::Errc::io);
    CHECK_THAT(missing.error().describe(), Catch::Contains("nope.etl"));
}
