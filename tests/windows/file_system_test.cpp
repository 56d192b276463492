#include "bootprint/host/windows_host.hpp"

#include <filesystem>

#include <catch2/catch.hpp>

#include "windows_test_support.hpp"

using bp::host::win32::Win32FileSystem;

TEST_CASE("files: UTF-16 paths end to end (write, size, overwrite, remove)") {
    bp::wintest::ScratchDir scratch("bootprint-files");
    Win32FileSystem fs;
    // "Prüfung" and "測試": not representable in the ANSI code page of most machines.
    const std::string dir = scratch.str() +
                            "\\Pr\xC3\xBC"
                            "fung\\\xE6\xB8\xAC\xE8\xA9\xA6";
    REQUIRE(fs.create_directories(dir));
    REQUIRE(fs.create_directories(dir));  // again: fine
    const std::string file = dir + "\\trace-\xC3\xA9t\xC3\xA9.etl";
    auto none = fs.file_size(file);
    REQUIRE(none);
    CHECK(!none->has_value());
    REQUIRE(fs.write_file(file, "hello"));
    CHECK(**fs.file_size(file) == 5u);
    // The name on disk is the UTF-16 one, not a mangled ANSI rendering.
    const std::filesystem::path wide =
        scratch.path() / L"Pr\u00FCfung" / L"\u6E2C\u8A66" / L"trace-\u00E9t\u00E9.etl";
    CHECK(std::filesystem::exists(wide));
    CHECK(std::filesystem::file_size(wide) == 5u);

    std::string big(3u << 20, 'x');  // more than one write chunk
    REQUIRE(fs.write_file(file, big));
    CHECK(**fs.file_size(file) == big.size());
    CHECK(!std::filesystem::exists(std::filesystem::path(wide.wstring() + L".tmp")));

    REQUIRE(fs.remove_file(file));
    CHECK(!std::filesystem::exists(wide));
    CHECK(fs.remove_file(file));  // already gone: fine
    auto of_dir = fs.file_size(dir);
    REQUIRE(!of_dir);
    CHECK(of_dir.error().path == dir);
}

TEST_CASE("files: writing into a missing folder fails and names the path") {
    bp::wintest::ScratchDir scratch("bootprint-files");
    Win32FileSystem fs;
    const std::string file = scratch.str() + "\\missing\\x.json";
    auto s = fs.write_file(file, "{}");
    REQUIRE(!s);
    CHECK(s.error().code == bp::Errc::io);
    CHECK(s.error().path.find("x.json") != std::string::npos);
}

TEST_CASE("files: invalid UTF-8 in a path is refused") {
    Win32FileSystem fs;
    auto s = fs.file_size("C:\\bad\xFF\xFEname");
    REQUIRE(!s);
    CHECK(s.error().code == bp::Errc::invalid_argument);
}
