#include "bootprint/host/windows_host.hpp"

#include <catch2/catch.hpp>

#include "windows_test_support.hpp"

namespace hw = bp::host::win32;

TEST_CASE("wpr: an explicit path must exist") {
    const std::string here = bp::wintest::exe_dir() + "\\test_child.exe";
    auto found = hw::locate_wpr(here);
    REQUIRE(found);
    CHECK(*found == here);
    auto missing = hw::locate_wpr(bp::wintest::exe_dir() + "\\missing\\wpr.exe");
    REQUIRE(!missing);
    CHECK(missing.error().code == bp::Errc::not_found);
    CHECK(missing.error().path.find("missing\\wpr.exe") != std::string::npos);
}

TEST_CASE("wpr: without one installed the lookup names every place it tried") {
    if (!bp::wintest::under_wine()) {
        WARN("a real Windows has wpr.exe in System32: nothing to check");
        return;
    }
    auto missing = hw::locate_wpr();
    REQUIRE(!missing);
    CHECK(missing.error().code == bp::Errc::not_found);
    CHECK(missing.error().message.find("\\wpr.exe") != std::string::npos);
    CHECK(missing.error().message.find("Windows Performance Toolkit") != std::string::npos);
}

TEST_CASE("wpr: the host refuses to start without wpr.exe") {
    bp::wintest::ScratchDir scratch("bootprint-host");
    hw::WindowsHost machine({scratch.str(), scratch.str() + "\\no-wpr.exe", false});
    auto host = machine.host();
    REQUIRE(!host);
    CHECK(host.error().code == bp::Errc::not_found);
}
