#include "bootprint/campaign/wpr_errors.hpp"

#include <catch2/catch.hpp>

#include <set>

#include "bootprint/host/wpr_contract.hpp"

using namespace bp::campaign;

namespace {
bp::host::ProcessOutput exited(std::uint32_t code, std::string err = {}) {
    bp::host::ProcessOutput o;
    o.exit_code = code;
    o.err = std::move(err);
    return o;
}
}  // namespace

TEST_CASE("wpr errors: every code of wpr-boot.md §2.5 has a distinct reason code and a sentence") {
    const std::uint32_t documented[] = {0xC5583000, 0xC5583001, 0xC5583014, 0xC558300C, 0xC5580612,
                                        0x800705AA, 0x800700B7, 0x80070008, 0x80071069, 0x80010106};
    std::set<std::string> codes;
    for (std::uint32_t c : documented) {
        const WprFailure f = describe_wpr_failure("addboot", exited(c));
        INFO(hex32(c));
        CHECK(f.code != "wpr_failed");
        CHECK(f.reason.find("wpr -addboot failed with " + hex32(c)) == 0);
        codes.insert(f.code);
    }
    CHECK(codes.size() == std::size(documented));
}

TEST_CASE("wpr errors: what the campaign does with each") {
    CHECK(describe_wpr_failure("stopboot", exited(bp::host::wpr::kNoProfilesRunning)).action ==
          Action::retry_iteration);
    CHECK(describe_wpr_failure("addboot", exited(bp::host::wpr::kCollectorInUse)).action == Action::fail);
    CHECK(describe_wpr_failure("stopboot", exited(bp::host::wpr::kDiskFull)).code == "disk_full");
    CHECK(describe_wpr_failure("addboot", exited(bp::host::wpr::kNoSystemResources)).action ==
          Action::retry_step);
}

TEST_CASE("wpr errors: an unknown code is retried and quoted with what wpr said") {
    const WprFailure f =
        describe_wpr_failure("stopboot", exited(0x8BADF00D, "\nSomething odd happened.\nmore\n"));
    CHECK(f.code == "wpr_failed");
    CHECK(f.action == Action::retry_step);
    CHECK(f.reason == "wpr -stopboot failed with exit code 0x8BADF00D (\"Something odd happened.\")");
    bp::host::ProcessOutput hung;
    hung.timed_out = true;
    CHECK(describe_wpr_failure("stopboot", hung).code == "wpr_timeout");
}
