#include "bootprint/profiles/source_text.hpp"

#include <catch2/catch.hpp>

#include "profiles_test_support.hpp"

using namespace bp::profiles;

TEST_CASE("source text: UTF-8 with and without BOM") {
    CHECK(*decode_source("<a/>") == "<a/>");
    CHECK(*decode_source("\xEF\xBB\xBF<a/>") == "<a/>");
}

TEST_CASE("source text: UTF-16 with BOM becomes UTF-8") {
    const std::string le("\xFF\xFE<\0a\0\xE9\0/\0>\0\x3D\xD8\x00\xDE", 16);  // "<a\u00E9/>" + U+1F600
    CHECK(*decode_source(le) == "<a\xC3\xA9/>\xF0\x9F\x98\x80");
    const std::string be("\xFE\xFF\0<\0a\0/\0>", 10);
    CHECK(*decode_source(be) == "<a/>");
}

TEST_CASE("source text: damaged UTF-16 and UTF-32 are refused") {
    CHECK(decode_source(std::string("\xFF\xFE<", 3)).error().code == bp::Errc::corrupt);
    CHECK(decode_source(std::string("\xFF\xFE\x00\xDC", 4)).error().code == bp::Errc::corrupt);
    CHECK(decode_source(std::string("\xFF\xFE\0\0<\0\0\0", 8)).error().code == bp::Errc::unsupported);
}

TEST_CASE("source text: missing files and directories name the path") {
    auto missing = read_source_file("/nonexistent/boot.wprp");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == bp::Errc::io);
    CHECK(missing.error().describe() == "/nonexistent/boot.wprp: cannot open file for reading");
    bp::profiles::testing::TempDir dir;
    CHECK(read_source_file(dir.path()).error().message == "is a directory, not a .wprp file");
}
