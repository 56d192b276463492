// End to end through the real programs: a golden scenario → `bootprint trace write` → .etl file →
// `bootprint ingest` into SQLite → `bootprint pool/residentset/summary` output, checked against
// numbers computed by hand from the scenario (kernel-events.md §3–§4 rules).
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/process.hpp"

using nlohmann::json;
using bp::test::run_process;

namespace {

const char* kScenario = R"json({
  "name": "golden-cli", "duration_s": 10, "processors": 2, "pool_snapshots": false,
  "drivers": [{"name": "ACPI.sys", "size": "0x20000", "code_pages": 10, "standby_pages": 3}],
  "events": [
    {"t": 1.0, "kind": "alloc", "tag": "Abcd", "size": 100, "address": "0xFFFF8A0000100000", "pool_type": 1,
     "stack": ["ntoskrnl.exe+0x1000", "ACPI.sys+0x1010"]},
    {"t": 2.0, "kind": "free",  "tag": "Abcd", "size": 100, "address": "0xFFFF8A0000100000", "pool_type": 1},
    {"t": 3.0, "kind": "alloc", "tag": "Abcd", "size": 200, "address": "0xFFFF8A0000200000", "pool_type": 1,
     "stack": ["ntoskrnl.exe+0x1000", "ACPI.sys+0x1010"]},
    {"t": 4.0, "kind": "free",  "tag": "Abcd", "size": 50, "address": "0xFFFF8A0000300000", "pool_type": 1},
    {"t": 5.0, "kind": "alloc", "tag": "Nonp", "size": 4096, "address": "0xFFFF9B0000400000", "pool_type": "0x200",
     "stack": ["ntoskrnl.exe+0x1000", "ACPI.sys+0x2020"]}
  ]})json";

json parse(const bp::test::ProcessResult& r) {
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
}

const json* find_row(const json& rows, const std::string& tag, const std::string& type) {
    for (const auto& r : rows) {
        if (r["tag"] == tag && r["type"] == type) return &r;
    }
    return nullptr;
}

}  // namespace

TEST_CASE("golden scenario: trace write -> ingest -> pool, residentset, summary", "[integration][footprint]") {
    bp::test::TempDir dir;
    const std::string scenario = dir.file("golden.json");
    std::ofstream(scenario) << kScenario;
    const std::string db = dir.file("fp.db");
    for (int boot = 1; boot <= 3; ++boot) {
        const std::string etl = dir.file("boot" + std::to_string(boot) + ".etl");
        auto w = run_process({BOOTPRINT_CLI, "trace", "write", "--scenario", scenario, "--boot", std::to_string(boot),
                              "-o", etl});
        INFO(w.err);
        REQUIRE(w.exit_code == 0);
        auto in = run_process({BOOTPRINT_CLI, "ingest", etl, "--db", db, "--campaign", "golden", "--iteration",
                               std::to_string(boot), "--build", "100.1", "--machine", "lab-01"});
        INFO(in.err);
        REQUIRE(in.exit_code == 0);
    }

    // The pool table of one trace, as JSON with the issue's field names.
    const json pool = parse(run_process({BOOTPRINT_CLI, "pool", db, "--trace", "1", "--json"}));
    const json* aifi = find_row(pool, "Abcd", "AIFI");
    REQUIRE(aifi);
    CHECK((*aifi)["module"] == "ACPI.sys");
    CHECK((*aifi)["paged"] == true);
    CHECK((*aifi)["impacting"] == "Transient");
    CHECK((*aifi)["count"] == 1);
    CHECK((*aifi)["size"] == 100);
    CHECK((*aifi)["impacting_size"] == 0);
    const json* aifo = find_row(pool, "Abcd", "AIFO");
    REQUIRE(aifo);
    CHECK((*aifo)["impacting"] == "Impacting");
    CHECK((*aifo)["impacting_size"] == 200);
    const json* aofi = find_row(pool, "Abcd", "AOFI");
    REQUIRE(aofi);
    CHECK((*aofi)["module"] == "Unknown");
    CHECK((*aofi)["impacting_size"] == -50);
    const json* nonp = find_row(pool, "Nonp", "AIFO");
    REQUIRE(nonp);
    CHECK((*nonp)["paged"] == false);
    // Sorted by impacting size: Nonp (4096) first.
    CHECK(pool[0]["tag"] == "Nonp");

    // A window: 1.5 s .. 4.5 s. Abcd@1-2 → AOFI (−100); Abcd@3 → AIFO; the free at 4 → AOFI (−50).
    const json windowed = parse(run_process({BOOTPRINT_CLI, "pool", db, "--trace", "1", "--tag", "Abcd", "--from", "1.5",
                                             "--to", "4.5", "--json"}));
    const json* w_aofi = find_row(windowed, "Abcd", "AOFI");
    REQUIRE(w_aofi);
    std::int64_t aofi_total = 0;
    for (const auto& r : windowed) {
        if (r["type"] == "AOFI") aofi_total += r["impacting_size"].get<std::int64_t>();
    }
    CHECK(aofi_total == -150);
    CHECK(find_row(windowed, "Abcd", "AIFO"));

    // CSV: a header line with the issue's fields first.
    const auto csv = run_process({BOOTPRINT_CLI, "pool", db, "--trace", "1", "--csv"});
    REQUIRE(csv.exit_code == 0);
    CHECK(csv.out.rfind("tag,module,paged,type,impacting,count,size,impacting_size", 0) == 0);

    // Resident set: the driver's code (Driver, Active) = 10 pages = 40960 bytes.
    const json rs = parse(run_process({BOOTPRINT_CLI, "residentset", db, "--trace", "1", "--category", "Driver",
                                       "--list", "Active", "--json"}));
    REQUIRE(rs.size() == 1);
    CHECK(rs[0]["category"] == "Driver");
    CHECK(rs[0]["list"] == "Active");
    CHECK(rs[0]["pages"] == 10);
    CHECK(rs[0]["bytes"] == 40960);
    CHECK(rs[0]["path"].get<std::string>().find("ACPI.sys") != std::string::npos);

    // The campaign summary across the 3 iterations (identical explicit events: no spread).
    const auto summary = run_process({BOOTPRINT_CLI, "summary", db, "--campaign", "golden", "--json"});
    INFO(summary.err);
    REQUIRE(summary.exit_code == 0);
    CHECK(summary.out.find("Nonp") != std::string::npos);
    CHECK(summary.out.find("ACPI.sys") != std::string::npos);

    // Ingesting the same file again changes nothing.
    const auto before = run_process({BOOTPRINT_CLI, "traces", db, "--json"});
    const auto again = run_process({BOOTPRINT_CLI, "ingest", dir.file("boot1.etl"), "--db", db});
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("already ingested") != std::string::npos);
    CHECK(run_process({BOOTPRINT_CLI, "traces", db, "--json"}).out == before.out);
}

TEST_CASE("a damaged trace is refused with its offset and leaves no rows", "[integration][footprint]") {
    bp::test::TempDir dir;
    const std::string etl = dir.file("boot.etl");
    const std::string scenario = dir.file("golden.json");
    std::ofstream(scenario) << kScenario;
    REQUIRE(run_process({BOOTPRINT_CLI, "trace", "write", "--scenario", scenario, "-o", etl}).exit_code == 0);
    // Truncate the file in the middle of its last buffer.
    const auto size = std::filesystem::file_size(etl);
    std::filesystem::resize_file(etl, size - 100);
    const std::string db = dir.file("fp.db");
    const auto r = run_process({BOOTPRINT_CLI, "ingest", etl, "--db", db});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("boot.etl") != std::string::npos);
    CHECK(r.err.find("offset 0x") != std::string::npos);
    const auto traces = run_process({BOOTPRINT_CLI, "traces", db, "--json"});
    CHECK(traces.out.find("boot.etl") == std::string::npos);
}
