// The symbol commands end to end through the real programs: the test driver's PDB (built by the test)
// in a local store, a trace written by `bootprint trace write` that places the driver and allocates
// pool from its functions, `ingest` without symbols, `symbolize` from the store, then
// `pool --by function` and `stacks`; and `ingest` with the store from _NT_SYMBOL_PATH.
#include <catch2/catch.hpp>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/pdb_fixture.hpp"
#include "support/process.hpp"

using nlohmann::json;
using bp::test::run_process;

namespace {

std::string hex(std::uint64_t v) {
    char b[32];
    std::snprintf(b, sizeof b, "0x%" PRIX64, v);
    return b;
}

json run_json(const std::vector<std::string>& argv) {
    auto r = run_process(argv);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
}

}  // namespace

TEST_CASE("CLI: ingest, symbolize from a store, pool --by function, stacks", "[integration][symbols]") {
    const std::string missing = bp::test::missing_pdb_tools();
    INFO("scripts/setup.sh installs clang-14, lld-14 and llvm-14; missing:" << missing);
    REQUIRE(missing.empty());
    bp::test::TempDir dir;
    const auto d = bp::test::build_test_driver(dir.path() / "drv", false);
    INFO(d.error);
    REQUIRE(d.error.empty());
    const auto store = dir.path() / "symstore";
    bp::test::add_to_store(d, store);
    const std::uint32_t entry = d.find("DriverEntry")->rva;
    const std::uint32_t add = d.find("StaticHelperAdd")->rva;
    const std::uint32_t spin = d.find("?Spin@Widget@pdbtest@@QEBAHH@Z")->rva;

    json scenario = {
        {"name", "symbols-cli"}, {"duration_s", 5}, {"pool_snapshots", false}, {"resident_set", false},
        {"drivers", {{{"name", "pdbtest.sys"}, {"size", hex(d.image_size)},
                      {"pdb", {{"guid", d.guid_text()}, {"age", d.age}, {"name", "pdbtest.pdb"}}}}}},
        {"events", json::array()}};
    for (int i = 0; i < 6; ++i) {
        const bool via_add = i < 4;
        json stack = {"ntoskrnl.exe+0x1000"};
        if (via_add) stack.push_back("pdbtest.sys+" + hex(add + 0x20));
        else stack.push_back("pdbtest.sys+" + hex(spin + 0x10));
        stack.push_back("pdbtest.sys+" + hex(entry + 0x15));
        scenario["events"].push_back({{"t", 1.0 + i * 0.1}, {"kind", "alloc"}, {"tag", "Symt"},
                                      {"size", via_add ? 1000 : 50}, {"address", hex(0xFFFF8A0000100000ULL + i * 0x1000)},
                                      {"pool_type", 1}, {"stack", stack}});
    }
    const std::string scenario_path = dir.file("sym.json");
    std::ofstream(scenario_path) << scenario.dump();
    const std::string etl = dir.file("sym.etl");
    auto w = run_process({BOOTPRINT_CLI, "trace", "write", "--scenario", scenario_path, "-o", etl});
    INFO(w.err);
    REQUIRE(w.exit_code == 0);

    // Before the symbols: module+offset.
    const std::string db = dir.file("fp.db");
    auto in = run_process({BOOTPRINT_CLI, "ingest", etl, "--db", db, "--symbols", (dir.path() / "empty").string()});
    INFO(in.err);
    REQUIRE(in.exit_code == 0);
    json rows = run_json({BOOTPRINT_CLI, "pool", db, "--by", "function", "--tag", "Symt", "--json"});
    REQUIRE(rows.size() == 2);
    CHECK(rows[0]["function"] == "pdbtest.sys+" + hex(add + 0x20));

    // A damaged PDB in the store: refused with its reason, the frames stay module+offset.
    const auto broken = dir.path() / "broken";
    const std::string broken_pdb = bp::test::add_to_store(d, broken);
    std::filesystem::resize_file(broken_pdb, 3 * 4096);
    json damaged = run_json({BOOTPRINT_CLI, "symbolize", db, "--json", "--symbols", broken.string()});
    REQUIRE(damaged.size() == 1);
    CHECK(damaged[0]["frames_named"] == 0);
    bool corrupt = false;
    for (const auto& im : damaged[0]["images"]) {
        corrupt = corrupt || (im["image"] == "pdbtest.sys" && im["status"] == "corrupt" &&
                              im["detail"].get<std::string>().find(broken_pdb) != std::string::npos);
    }
    CHECK(corrupt);
    rows = run_json({BOOTPRINT_CLI, "pool", db, "--by", "function", "--tag", "Symt", "--json"});
    REQUIRE(rows.size() == 2);
    CHECK(rows[0]["function"] == "pdbtest.sys+" + hex(add + 0x20));

    // A server element is refused; the local cache of a srv* element is used.
    auto bad = run_process({BOOTPRINT_CLI, "symbolize", db, "--symbols", "https://msdl.microsoft.com/download/symbols"});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("local") != std::string::npos);
    json sym = run_json({BOOTPRINT_CLI, "symbolize", db, "--json", "--symbols",
                         "srv*" + store.string() + "*https://msdl.microsoft.com/download/symbols"});
    REQUIRE(sym.size() == 1);
    CHECK(sym[0]["frames_named"] == 3);
    bool full = false;
    for (const auto& im : sym[0]["images"]) full = full || (im["image"] == "pdbtest.sys" && im["status"] == "full");
    CHECK(full);

    rows = run_json({BOOTPRINT_CLI, "pool", db, "--by", "function", "--tag", "Symt", "--json"});
    REQUIRE(rows.size() == 2);
    CHECK(rows[0]["module"] == "pdbtest.sys");
    CHECK(rows[0]["function"] == "pdbtest.sys!StaticHelperAdd");
    CHECK(rows[0]["count"] == 4);
    CHECK(rows[0]["size"] == 4000);
    CHECK(rows[0]["approximate"] == false);
    CHECK(rows[1]["function"] == "pdbtest.sys!pdbtest::Widget::Spin");
    CHECK(rows[1]["count"] == 2);
    CHECK(rows[1]["size"] == 100);

    json tree = run_json({BOOTPRINT_CLI, "stacks", db, "--tag", "Symt", "--json"});
    REQUIRE(tree.size() == 1);
    CHECK(tree[0]["count"] == 6);
    CHECK(tree[0]["size"] == 4100);
    REQUIRE(tree[0]["callees"].size() == 1);
    const json& root = tree[0]["callees"][0];
    CHECK(root["frame"] == "pdbtest.sys!DriverEntry");
    CHECK(root["count"] == 6);
    REQUIRE(root["callees"].size() == 2);
    CHECK(root["callees"][0]["frame"] == "pdbtest.sys!StaticHelperAdd");
    CHECK(root["callees"][0]["size"] == 4000);
    CHECK(root["callees"][0]["callees"][0]["frame"] == "ntoskrnl.exe+0x1000");
    auto text = run_process({BOOTPRINT_CLI, "stacks", db, "--tag", "Symt"});
    CHECK(text.exit_code == 0);
    CHECK(text.out.find("pdbtest.sys!pdbtest::Widget::Spin") != std::string::npos);

    // Ingest with the store named by _NT_SYMBOL_PATH: symbolized at once.
    ::setenv("_NT_SYMBOL_PATH", ("srv*" + store.string()).c_str(), 1);
    const std::string db2 = dir.file("fp2.db");
    auto in2 = run_process({BOOTPRINT_CLI, "ingest", etl, "--db", db2});
    ::unsetenv("_NT_SYMBOL_PATH");
    INFO(in2.err);
    REQUIRE(in2.exit_code == 0);
    CHECK(in2.out.find("3 named") != std::string::npos);
    rows = run_json({BOOTPRINT_CLI, "pool", db2, "--by", "function", "--json"});
    REQUIRE(rows.size() == 2);
    CHECK(rows[0]["function"] == "pdbtest.sys!StaticHelperAdd");
}
