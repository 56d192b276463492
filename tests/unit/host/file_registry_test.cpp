#include "bootprint/host/sim_machine.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "bootprint/host/wpr_contract.hpp"
#include "support/process.hpp"

using namespace bp::host;

namespace {
class StepClock final : public Clock {
  public:
    std::int64_t now_us() override { return now += 10; }
    void sleep_for(std::chrono::milliseconds) override {}
    std::int64_t now = 100;
};
}  // namespace

TEST_CASE("sim registry: values and last-write times persist in the file") {
    bp::test::TempDir dir;
    StepClock clock;
    sim::FileRegistry reg(dir.file("registry.json"), clock);
    auto missing = reg.read_dword(kMemoryManagementKey, kDisablePagingExecutive);
    REQUIRE(missing);
    CHECK_FALSE(missing->has_value());
    auto no_key = reg.key_last_write_us(kMemoryManagementKey);
    REQUIRE(no_key);
    CHECK_FALSE(no_key->has_value());

    REQUIRE(reg.write_dword(kMemoryManagementKey, kDisablePagingExecutive, 1));
    sim::FileRegistry again(dir.file("registry.json"), clock);
    CHECK(again.read_dword(kMemoryManagementKey, kDisablePagingExecutive).value() == 1u);
    CHECK(again.key_last_write_us(kMemoryManagementKey).value() == 110);
    REQUIRE(again.delete_value(kMemoryManagementKey, kDisablePagingExecutive));
    CHECK_FALSE(again.read_dword(kMemoryManagementKey, kDisablePagingExecutive).value().has_value());
    CHECK(again.delete_value(kMemoryManagementKey, kDisablePagingExecutive));  // absent: fine
}

TEST_CASE("sim machine: power on gives a new boot identity and lets an armed autologger record it") {
    bp::test::TempDir dir;
    sim::SimMachine::InitOptions options;
    options.wpr_program = "/bin/true";
    options.disable_paging_executive = 0;
    auto m = sim::SimMachine::init(dir.file("m"), options);
    REQUIRE(m);
    CHECK_FALSE(sim::SimMachine::init(dir.file("m"), options));  // once only
    auto b1 = m->power_on();
    REQUIRE(b1);
    sim::WprState armed;
    armed.armed = true;
    armed.profile = "p.wprp!P.Verbose";
    armed.armed_boot = b1->number;
    REQUIRE(m->save_wpr_state(armed));
    auto b2 = m->power_on();
    REQUIRE(b2);
    CHECK(b2->number == b1->number + 1);
    CHECK(b2->id != b1->id);
    CHECK(b2->boot_time_us > b1->boot_time_us);
    CHECK(m->wpr_state()->recorded_boot == b2->number);
    SystemClock clock;
    sim::FileRegistry reg(m->path("registry.json"), clock);
    CHECK(reg.read_dword(wpr::kBootAutologgerKey, wpr::kAutologgerStatus).value() == 0u);
}

TEST_CASE("sim machine: counted faults are consumed and crash points fire once") {
    bp::test::TempDir dir;
    sim::SimMachine::InitOptions options;
    options.wpr_program = "/bin/true";
    auto m = sim::SimMachine::init(dir.file("m"), options);
    REQUIRE(m);
    std::ofstream(m->path("faults.json"))
        << R"({"wpr": [{"command": "addboot", "code": "0xC5583014", "times": 2}], "crash_at": ["ingest"]})";
    CHECK(m->take_wpr_fault("stopboot").value() == std::nullopt);
    CHECK(m->take_wpr_fault("addboot").value() == std::optional<std::uint32_t>(0xC5583014));
    CHECK(m->take_wpr_fault("addboot").value() == std::optional<std::uint32_t>(0xC5583014));
    CHECK(m->take_wpr_fault("addboot").value() == std::nullopt);
    CHECK(m->take_crash_point("ingest").value());
    CHECK_FALSE(m->take_crash_point("ingest").value());
}

TEST_CASE("posix runner: output, exit codes, the 32-bit exit code file, timeouts, missing programs") {
    bp::test::TempDir dir;
    sim::PosixProcessRunner runner(dir.file("scratch"));
    auto out = runner.run({"/bin/sh", "-c", "echo hello; echo oops >&2; exit 3"}, {});
    REQUIRE(out);
    CHECK(out->exit_code == 3);
    CHECK(out->out == "hello\n");
    CHECK(out->err == "oops\n");
    auto wide =
        runner.run({"/bin/sh", "-c", "printf 0xC5583001 > \"$BOOTPRINT_SIM_EXIT_CODE_FILE\"; exit 1"}, {});
    REQUIRE(wide);
    CHECK(wide->exit_code == 0xC5583001u);
    RunOptions quick;
    quick.timeout = std::chrono::milliseconds(100);
    auto hung = runner.run({"/bin/sleep", "5"}, quick);
    REQUIRE(hung);
    CHECK(hung->timed_out);
    auto missing = runner.run({dir.file("no-such-program")}, {});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == bp::Errc::not_found);
}

TEST_CASE("local file system: atomic writes, sizes, missing files") {
    bp::test::TempDir dir;
    LocalFileSystem fs;
    REQUIRE(fs.create_directories(dir.file("a/b")));
    REQUIRE(fs.write_file(dir.file("a/b/x.txt"), "12345"));
    CHECK(fs.file_size(dir.file("a/b/x.txt")).value() == std::optional<std::uint64_t>(5));
    CHECK(fs.file_size(dir.file("a/b/none")).value() == std::nullopt);
    REQUIRE(fs.remove_file(dir.file("a/b/x.txt")));
    REQUIRE(fs.remove_file(dir.file("a/b/x.txt")));
    CHECK_FALSE(fs.write_file(dir.file("missing-dir/x.txt"), "1"));
}
