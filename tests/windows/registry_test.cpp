#include "bootprint/host/windows_host.hpp"

#include <catch2/catch.hpp>

#include "bootprint/host/registry.hpp"
#include "windows_test_support.hpp"

using bp::Errc;
using bp::host::win32::Win32Registry;

namespace {
const std::string kTestKey =
    "HKLM\\SOFTWARE\\BootprintTests\\registry-" + std::to_string(::GetCurrentProcessId());
std::int64_t now_us() {
    return bp::host::SystemClock().now_us();
}
}  // namespace

TEST_CASE("registry: a DWORD round trip creates the key, overwrites, deletes") {
    Win32Registry reg;
    REQUIRE(reg.delete_key(kTestKey));
    auto missing = reg.read_dword(kTestKey, "Value");
    REQUIRE(missing);
    CHECK(!missing->has_value());
    auto no_key = reg.key_last_write_us(kTestKey);
    REQUIRE(no_key);
    CHECK(!no_key->has_value());

    const std::int64_t before = now_us();
    REQUIRE(reg.write_dword(kTestKey, "Value", 7));
    const std::int64_t after = now_us();
    auto seven = reg.read_dword(kTestKey, "Value");
    REQUIRE(seven);
    REQUIRE(seven->has_value());
    CHECK(**seven == 7u);
    auto written = reg.key_last_write_us(kTestKey);
    REQUIRE(written);
    REQUIRE(written->has_value());
    // FILETIME has 100 ns units; the registry stores the time of the write.
    CHECK(**written >= before - 2'000'000);
    CHECK(**written <= after + 2'000'000);

    REQUIRE(reg.write_dword(kTestKey, "Value", 0xFFFFFFFFu));
    CHECK(**reg.read_dword(kTestKey, "Value") == 0xFFFFFFFFu);
    REQUIRE(reg.delete_value(kTestKey, "Value"));
    CHECK(!reg.read_dword(kTestKey, "Value")->has_value());
    CHECK(reg.delete_value(kTestKey, "Value"));  // already gone: fine
    REQUIRE(reg.delete_key(kTestKey));
    CHECK(!reg.key_last_write_us(kTestKey)->has_value());
}

TEST_CASE("registry: DisablePagingExecutive under Memory Management is written and restored") {
    Win32Registry reg;
    auto original = reg.read_dword(bp::host::kMemoryManagementKey, bp::host::kDisablePagingExecutive);
    REQUIRE(original);
    REQUIRE(reg.write_dword(bp::host::kMemoryManagementKey, bp::host::kDisablePagingExecutive, 1));
    CHECK(**reg.read_dword(bp::host::kMemoryManagementKey, bp::host::kDisablePagingExecutive) == 1u);
    if (original->has_value()) {
        REQUIRE(
            reg.write_dword(bp::host::kMemoryManagementKey, bp::host::kDisablePagingExecutive, **original));
    } else {
        REQUIRE(reg.delete_value(bp::host::kMemoryManagementKey, bp::host::kDisablePagingExecutive));
    }
    CHECK(*reg.read_dword(bp::host::kMemoryManagementKey, bp::host::kDisablePagingExecutive) == *original);
}

TEST_CASE("registry: a value of another type is an error, not a number") {
    Win32Registry reg;
    const std::string key = kTestKey + "-types";
    // reg.exe writes the REG_SZ: the registry as another program left it.
    wchar_t system[MAX_PATH];
    const UINT n = ::GetSystemDirectoryW(system, MAX_PATH);
    const std::string reg_exe = bp::host::win32::narrow(std::wstring(system, n) + L"\\reg.exe").value();
    bp::host::win32::Win32ProcessRunner runner;
    auto added = runner.run({reg_exe, "add", key, "/v", "Text", "/t", "REG_SZ", "/d", "hello", "/f"}, {});
    REQUIRE(added);
    REQUIRE(added->exit_code == 0);
    auto read = reg.read_dword(key, "Text");
    REQUIRE(!read);
    CHECK(read.error().code == Errc::corrupt);
    CHECK(read.error().message.find("REG_DWORD") != std::string::npos);
    REQUIRE(reg.delete_key(key));
}

TEST_CASE("registry: keys outside HKLM and HKCU are refused") {
    Win32Registry reg;
    auto r = reg.read_dword("HKEY_USERS\\x", "y");
    REQUIRE(!r);
    CHECK(r.error().code == Errc::invalid_argument);
    CHECK(!reg.write_dword("HKLM", "y", 1));
}
