#include "bootprint/host/windows_host.hpp"

#include <algorithm>
#include <chrono>

#include <catch2/catch.hpp>

#include "windows_test_support.hpp"

using bp::Errc;
using bp::host::RunOptions;
using bp::host::win32::command_line;
using bp::host::win32::Win32ProcessRunner;

namespace {
std::string child() {
    return bp::wintest::exe_dir() + "\\test_child.exe";
}
std::size_t lines(const std::string& s) {
    return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}
}  // namespace

TEST_CASE("process: the command line quotes as the child's runtime parses it back") {
    CHECK(command_line({"a", "b c", ""}) == "a \"b c\" \"\"");
    CHECK(command_line({"say \"hi\""}) == "\"say \\\"hi\\\"\"");
    CHECK(command_line({"C:\\dir with space\\"}) == "\"C:\\dir with space\\\\\"");
    CHECK(command_line({"C:\\plain\\path"}) == "C:\\plain\\path");

    Win32ProcessRunner runner;
    const std::vector<std::string> args = {"plain",         "two words",      "",
                                           "quote\"inside", "C:\\trailing\\", "a\\\\\"b"};
    std::vector<std::string> argv = {child(), "echo"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto out = runner.run(argv, {});
    REQUIRE(out);
    CHECK(out->exit_code == 0);
    std::string expected;
    for (const auto& a : args) expected += "[" + a + "]\r\n";
    CHECK(out->out == expected);
}

TEST_CASE("process: stdout, stderr and the full 32-bit exit code") {
    Win32ProcessRunner runner;
    for (std::uint32_t code : {0u, 1u, 0x100u, 0xC5583001u, 0x80070070u}) {
        auto out = runner.run({child(), "exit", std::to_string(code)}, {});
        REQUIRE(out);
        CHECK(out->exit_code == code);
        CHECK(!out->timed_out);
        CHECK(out->out == "to stdout\r\n");
        CHECK(out->err == "to stderr\r\n");
    }
}

TEST_CASE("process: large output on both pipes does not deadlock") {
    Win32ProcessRunner runner;
    auto out = runner.run({child(), "bulk", "20000"}, {});
    REQUIRE(out);
    CHECK(out->exit_code == 0);
    CHECK(lines(out->out) == 20000);
    CHECK(lines(out->err) == 20000);
    CHECK(out->out.size() == 20000u * 60u);  // 58 bytes + CRLF per line
}

TEST_CASE("process: a missing program is not_found, before anything runs") {
    Win32ProcessRunner runner;
    auto out = runner.run({bp::wintest::exe_dir() + "\\no-such-wpr.exe", "-status"}, {});
    REQUIRE(!out);
    CHECK(out.error().code == Errc::not_found);
    CHECK(out.error().path.find("no-such-wpr.exe") != std::string::npos);
    auto empty = runner.run({}, {});
    REQUIRE(!empty);
    CHECK(empty.error().code == Errc::invalid_argument);
}

TEST_CASE("process: a program that hangs past its timeout is killed, with what it started") {
    Win32ProcessRunner runner;
    RunOptions options;
    options.timeout = std::chrono::milliseconds(700);
    for (const char* mode : {"hang", "spawn-hang"}) {
        INFO(mode);
        const auto start = std::chrono::steady_clock::now();
        auto out = runner.run({child(), mode}, options);
        const auto took = std::chrono::steady_clock::now() - start;
        REQUIRE(out);
        CHECK(out->timed_out);
        CHECK(took >= std::chrono::milliseconds(700));
        // An hour-long sleep: returning at all proves the kill (and that no grandchild kept the pipes).
        CHECK(took < std::chrono::seconds(60));
    }
}
