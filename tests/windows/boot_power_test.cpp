#include "bootprint/host/windows_host.hpp"

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include "bootprint/host/wpr_contract.hpp"
#include "windows_test_support.hpp"

namespace hw = bp::host::win32;

TEST_CASE("boot identity: stable within a boot, from GetTickCount64, kept in its marker") {
    bp::wintest::ScratchDir scratch("bootprint-boot");
    hw::Win32FileSystem fs;
    bp::host::SystemClock clock;
    const std::string marker = scratch.str() + "\\boot.json";
    hw::Win32BootIdentity boot(marker, fs, clock);
    auto a = boot.current();
    REQUIRE(a);
    const std::int64_t now = clock.now_us();
    const std::int64_t uptime_us = static_cast<std::int64_t>(::GetTickCount64()) * 1000;
    CHECK(a->boot_time_us <= now);
    CHECK(std::llabs(a->boot_time_us - (now - uptime_us)) < 5'000'000);
    auto b = boot.current();
    REQUIRE(b);
    CHECK(b->id == a->id);
    CHECK(b->boot_time_us == a->boot_time_us);
    REQUIRE(fs.file_size(marker)->has_value());

    // A marker from another boot (a day earlier) is replaced: a new id.
    REQUIRE(fs.write_file(
        marker,
        nlohmann::json{{"id", "boot-old"}, {"boot_time_us", a->boot_time_us - 86'400'000'000}}.dump()));
    auto c = boot.current();
    REQUIRE(c);
    CHECK(c->id != "boot-old");
    CHECK(std::llabs(c->boot_time_us - a->boot_time_us) < 5'000'000);  // this boot again
    CHECK(boot.current()->id == c->id);                                // and kept from now on

    REQUIRE(fs.write_file(marker, "not json"));
    auto bad = boot.current();
    REQUIRE(!bad);
    CHECK(bad.error().code == bp::Errc::corrupt);
    CHECK(bad.error().path == marker);
}

TEST_CASE("power double: a recorded reboot becomes a new boot at the next start") {
    bp::wintest::ScratchDir scratch("bootprint-power");
    hw::Win32FileSystem fs;
    hw::Win32Registry reg;
    bp::host::SystemClock clock;
    const std::string request = scratch.str() + "\\reboot-request.json";
    const std::string simulated = scratch.str() + "\\sim-boot.json";
    hw::Win32BootIdentity boot(scratch.str() + "\\boot.json", fs, clock, simulated);
    auto before = boot.current();
    REQUIRE(before);

    // Nothing recorded: nothing happens.
    auto none = hw::apply_recorded_reboot(request, simulated, fs, clock, reg);
    REQUIRE(none);
    CHECK(!*none);

    REQUIRE(reg.write_dword(bp::host::wpr::kBootAutologgerKey, bp::host::wpr::kAutologgerStart, 1));
    REQUIRE(reg.delete_value(bp::host::wpr::kBootAutologgerKey, bp::host::wpr::kAutologgerStatus));
    hw::RecordingPower power(request, fs, clock);
    REQUIRE(power.reboot({"bootprint test reboot 1/3", bp::host::kPlannedMaintenanceReboot}));
    REQUIRE(fs.file_size(request)->has_value());
    CHECK(boot.current()->id == before->id);  // not yet: the machine has not restarted

    const std::int64_t replay_at = clock.now_us();
    auto played = hw::apply_recorded_reboot(request, simulated, fs, clock, reg);
    REQUIRE(played);
    CHECK(*played);
    CHECK(!fs.file_size(request)->has_value());
    auto after = boot.current();
    REQUIRE(after);
    CHECK(after->id != before->id);
    CHECK(after->boot_time_us >= replay_at);
    // The armed autologger "ran" at that boot.
    CHECK(**reg.read_dword(bp::host::wpr::kBootAutologgerKey, bp::host::wpr::kAutologgerStatus) == 0u);
    REQUIRE(reg.delete_key(bp::host::wpr::kBootAutologgerKey));

    REQUIRE(power.reboot({"bootprint test reboot 2/3", bp::host::kPlannedMaintenanceReboot}));
    REQUIRE(*hw::apply_recorded_reboot(request, simulated, fs, clock, reg));
    auto third = boot.current();
    REQUIRE(third);
    CHECK(third->id != after->id);
    CHECK(!reg.read_dword(bp::host::wpr::kBootAutologgerKey, bp::host::wpr::kAutologgerStatus)->has_value());
}

TEST_CASE("power: the real restart path under Wine only (Wine's InitiateSystemShutdownExW is a stub)") {
    if (!bp::wintest::under_wine()) {
        WARN("not under Wine: the real restart is not exercised by a test");
        return;
    }
    // Enables SeShutdownPrivilege and calls InitiateSystemShutdownExW with the planned reason; Wine
    // returns TRUE without doing anything (windows-on-linux.md §3).
    hw::Win32Power power;
    auto s = power.reboot({"bootprint unit test (Wine stub)", bp::host::kPlannedMaintenanceReboot});
    CHECK(s);
}
