// End to end in the libraries: the test driver (real PDB) placed at a base address by a trace the
// project's writer writes, pool allocated from its functions, ingested into a real SQLite store with
// the store resolver: every frame gets the right function and offset; the public-only PDB gives the
// documented approximate answer; a trace ingested without symbols is re-symbolized later.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "bootprint/etl/etl_file.hpp"
#include "bootprint/footprint/analyzer.hpp"
#include "bootprint/store/agent_store.hpp"
#include "bootprint/symbols/symbols.hpp"
#include "bootprint/writer/boot_trace.hpp"
#include "support/pdb_fixture.hpp"
#include "support/process.hpp"

using bp::test::BuiltDriver;

namespace {

constexpr std::uint64_t kBase = 0xFFFFF80712340000ULL;

BuiltDriver build(const bp::test::TempDir& dir, bool public_only) {
    const std::string missing = bp::test::missing_pdb_tools();
    INFO("scripts/setup.sh installs clang-14, lld-14 and llvm-14; missing:" << missing);
    REQUIRE(missing.empty());
    BuiltDriver d = bp::test::build_test_driver(dir.path() / (public_only ? "pub" : "full"), public_only);
    INFO(d.error);
    REQUIRE(d.error.empty());
    return d;
}

std::string hex(std::uint64_t v) {
    char b[32];
    std::snprintf(b, sizeof b, "0x%" PRIX64, v);
    return b;
}

std::uint32_t rva_of(const BuiltDriver& d, const std::string& name) {
    const auto* s = d.find(name);
    INFO(name);
    REQUIRE(s);
    return s->rva;
}

// One allocation per stack; frame 0 is the kernel's allocator, the rest return addresses in the driver.
struct Alloc {
    std::string tag;
    std::uint64_t size;
    std::vector<std::uint32_t> driver_rvas;  // innermost first
};

std::string write_trace(const bp::test::TempDir& dir, const BuiltDriver& d, const std::vector<Alloc>& allocs,
                        const std::string& name) {
    nlohmann::json j;
    j["name"] = "symbols";
    j["duration_s"] = 5;
    j["pool_snapshots"] = false;
    j["resident_set"] = false;
    j["drivers"] = {{{"name", "pdbtest.sys"},
                     {"base", hex(kBase)},
                     {"size", hex(d.image_size)},
                     {"pdb", {{"guid", d.guid_text()}, {"age", d.age}, {"name", "C:\\build\\obj\\PdbTest.pdb"}}}}};
    j["events"] = nlohmann::json::array();
    std::uint64_t address = 0xFFFF8A0000100000ULL;
    double t = 0.5;
    for (const Alloc& a : allocs) {
        nlohmann::json stack = {"ntoskrnl.exe+0x1000"};
        for (std::uint32_t rva : a.driver_rvas) stack.push_back("pdbtest.sys+" + hex(rva));
        j["events"].push_back({{"t", t}, {"kind", "alloc"}, {"tag", a.tag}, {"size", a.size}, {"address", hex(address)},
                               {"pool_type", 1}, {"stack", stack}});
        address += 0x1000;
        t += 0.01;
    }
    auto scenario = bp::writer::parse_scenario(j.dump(), "symbols.json");
    REQUIRE(scenario);
    const std::string path = dir.file(name);
    auto written = bp::writer::write_boot_trace(*scenario, path);
    INFO((written ? "" : written.error().describe()));
    REQUIRE(written);
    return path;
}

std::int64_t ingest(bp::store::AgentStore& store, const std::string& etl, bp::footprint::FrameSymbolizer* sym) {
    auto file = bp::etl::EtlFile::open(etl);
    REQUIRE(file);
    static int traces = 0;  // a distinct stand-in digest per ingest (the store only needs uniqueness)
    char digest[65];
    std::snprintf(digest, sizeof digest, "%064d", ++traces);
    bp::store::TraceFacts facts = bp::store::facts_for(*file, digest);
    facts.symbolizer = sym;
    auto in = store.begin_ingest(facts);
    REQUIRE(in);
    auto info = bp::footprint::analyze_trace(*file, {}, **in);
    INFO((info ? "" : info.error().describe()));
    REQUIRE(info);
    REQUIRE((*in)->commit());
    return (*in)->trace_id();
}

// frames.text by address and caller flag, read back with SQL.
std::map<std::pair<std::uint64_t, int>, std::pair<std::string, int>> frames_of(const std::string& db_path,
                                                                              std::int64_t trace) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT address, caller, text, approximate FROM frames WHERE trace_id = ?1", -1, &q,
                               nullptr) == SQLITE_OK);
    sqlite3_bind_int64(q, 1, trace);
    std::map<std::pair<std::uint64_t, int>, std::pair<std::string, int>> out;
    while (sqlite3_step(q) == SQLITE_ROW) {
        out[{static_cast<std::uint64_t>(sqlite3_column_int64(q, 0)), sqlite3_column_int(q, 1)}] = {
            reinterpret_cast<const char*>(sqlite3_column_text(q, 2)), sqlite3_column_int(q, 3)};
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return out;
}

}  // namespace

TEST_CASE("ingest with a symbol store: every frame names its function and offset", "[symbols][store]") {
    bp::test::TempDir dir;
    const BuiltDriver d = build(dir, false);
    bp::test::add_to_store(d, dir.path() / "store");

    const std::uint32_t entry = rva_of(d, "DriverEntry");
    const std::uint32_t compute = rva_of(d, "PublicCompute");
    const std::uint32_t add = rva_of(d, "StaticHelperAdd");
    const std::uint32_t mix = rva_of(d, "StaticHelperMix");
    const std::uint32_t spin = rva_of(d, "?Spin@Widget@pdbtest@@QEBAHH@Z");
    const std::uint32_t templ = rva_of(d, "??$TemplAdd@_J@pdbtest@@YA_J_J0@Z");
    const std::uint32_t helper = rva_of(d, "CppEntryHelper");
    std::uint32_t anon = 0;
    for (const auto& s : d.code) {
        if (s.name.find("AnonNsHelper") != std::string::npos) anon = s.rva;
    }
    REQUIRE(anon != 0);

    const std::vector<Alloc> allocs = {
        {"Sym1", 100, {mix + 0x18, add + 0x20, compute + 0x10, entry + 0x15}},
        {"Sym1", 300, {mix + 0x18, add + 0x20, compute + 0x10, entry + 0x15}},  // the same stack again
        {"Sym1", 200, {spin + 0x10, anon + 0x15, helper + 0x8}},
        {"Sym2", 64, {templ + 0x4, helper + 0x30}},
        // A return address right at the next function's start: the call was the last instruction of
        // the function before (looked up at address - 1).
        {"Sym2", 32, {entry}},
    };
    const std::string etl = write_trace(dir, d, allocs, "sym.etl");
    const std::string db = dir.file("fp.db");
    auto store = bp::store::AgentStore::open(db);
    REQUIRE(store);
    bp::symbols::StoreSymbolizer sym({(dir.path() / "store").string()});
    const std::int64_t trace = ingest(*store, etl, &sym);

    const auto frames = frames_of(db, trace);
    auto text = [&](std::uint32_t rva) {
        auto it = frames.find({kBase + rva, 1});
        return it == frames.end() ? std::string("(missing)") : it->second.first;
    };
    CHECK(text(mix + 0x18) == "pdbtest.sys!StaticHelperMix+0x18");
    CHECK(text(add + 0x20) == "pdbtest.sys!StaticHelperAdd+0x20");
    CHECK(text(compute + 0x10) == "pdbtest.sys!PublicCompute+0x10");
    CHECK(text(entry + 0x15) == "pdbtest.sys!DriverEntry+0x15");
    CHECK(text(spin + 0x10) == "pdbtest.sys!pdbtest::Widget::Spin+0x10");
    CHECK(text(anon + 0x15) == "pdbtest.sys!pdbtest::`anonymous namespace'::AnonNsHelper+0x15");
    CHECK(text(helper + 0x8) == "pdbtest.sys!CppEntryHelper+0x8");
    CHECK(text(templ + 0x4) == "pdbtest.sys!pdbtest::TemplAdd<long long>+0x4");
    CHECK(text(helper + 0x30) == "pdbtest.sys!CppEntryHelper+0x30");
    // entry as a return address: the previous function by address, offset past its start.
    const bp::test::MapSymbol* before = nullptr;
    for (const auto& s : d.code) {
        if (s.rva < entry) before = &s;
    }
    REQUIRE(before);
    CHECK(text(entry) == "pdbtest.sys!" + std::string(before->name) + "+" + hex(entry - before->rva));
    auto kernel = frames.find({kBase - kBase + 0xFFFFF80000001000ULL, 0});
    REQUIRE(kernel != frames.end());
    CHECK(kernel->second.first == "ntoskrnl.exe+0x1000");  // no identity for the kernel: module+offset
    for (const auto& [key, value] : frames) CHECK(value.second == 0);  // nothing approximate

    // Grouped by the first frame outside the kernel's allocator: the driver's innermost function.
    bp::store::FunctionQuery fq;
    fq.tag = "Sym1";
    auto rows = store->pool_by_function(fq);
    REQUIRE(rows);
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[0].function == "pdbtest.sys!StaticHelperMix");
    CHECK((*rows)[0].count == 2);
    CHECK((*rows)[0].size == 400);
    CHECK((*rows)[0].module == "pdbtest.sys");
    CHECK((*rows)[1].function == "pdbtest.sys!pdbtest::Widget::Spin");
    CHECK((*rows)[1].size == 200);

    auto stacks = store->tag_stacks({}, "Sym1");
    REQUIRE(stacks);
    REQUIRE(stacks->size() == 2);
    CHECK((*stacks)[0].count == 2);
    CHECK((*stacks)[0].size == 400);
    REQUIRE((*stacks)[0].frames.size() == 5);
    CHECK((*stacks)[0].frames[4].label == "pdbtest.sys!DriverEntry");
    CHECK((*stacks)[0].frames[0].in_kernel);
}

TEST_CASE("public-only PDB: statics come out as the preceding public, marked approximate", "[symbols][store]") {
    bp::test::TempDir dir;
    const BuiltDriver d = build(dir, true);
    bp::test::add_to_store(d, dir.path() / "store");
    const std::uint32_t compute = rva_of(d, "PublicCompute");
    const std::uint32_t add = rva_of(d, "StaticHelperAdd");
    const std::uint32_t entry = rva_of(d, "DriverEntry");
    REQUIRE(add > compute);
    const std::string etl = write_trace(dir, d, {{"Pub1", 128, {add + 0x20, entry + 0x15}}}, "pub.etl");
    const std::string db = dir.file("fp.db");
    auto store = bp::store::AgentStore::open(db);
    REQUIRE(store);
    bp::symbols::StoreSymbolizer sym({(dir.path() / "store").string()});
    const std::int64_t trace = ingest(*store, etl, &sym);
    const auto frames = frames_of(db, trace);
    auto f = frames.find({kBase + add + 0x20, 1});
    REQUIRE(f != frames.end());
    CHECK(f->second.first == "pdbtest.sys!PublicCompute+" + hex(add + 0x20 - compute));
    CHECK(f->second.second == 1);
    f = frames.find({kBase + entry + 0x15, 1});
    REQUIRE(f != frames.end());
    CHECK(f->second.first == "pdbtest.sys!DriverEntry+0x15");
    CHECK(f->second.second == 1);

    bp::store::FunctionQuery fq;
    auto rows = store->pool_by_function(fq);
    REQUIRE(rows);
    REQUIRE(rows->size() == 1);
    CHECK(rows->front().function == "pdbtest.sys!PublicCompute");
    CHECK(rows->front().approximate);
}

TEST_CASE("a trace ingested before its symbols were available is re-symbolized", "[symbols][store]") {
    bp::test::TempDir dir;
    const BuiltDriver d = build(dir, false);
    const std::uint32_t entry = rva_of(d, "DriverEntry");
    const std::string etl = write_trace(dir, d, {{"Late", 10, {entry + 0x15}}}, "late.etl");
    const std::string db = dir.file("fp.db");
    auto store = bp::store::AgentStore::open(db);
    REQUIRE(store);
    const std::int64_t trace = ingest(*store, etl, nullptr);
    CHECK(frames_of(db, trace).at({kBase + entry + 0x15, 1}).first == "pdbtest.sys+" + hex(entry + 0x15));

    bp::symbols::StoreSymbolizer empty_store({(dir.path() / "store").string()});
    auto before = store->symbolize(trace, empty_store);
    REQUIRE(before);
    CHECK(before->frames_named == 0);
    bool saw = false;
    for (const auto& im : before->images) {
        if (im.name == "pdbtest.sys") {
            saw = true;
            CHECK(im.status.status == "not-found");
        }
    }
    CHECK(saw);

    bp::test::add_to_store(d, dir.path() / "store");
    bp::symbols::StoreSymbolizer sym({(dir.path() / "store").string()});
    auto after = store->symbolize(trace, sym);
    REQUIRE(after);
    CHECK(after->frames == 2);
    CHECK(after->frames_named == 1);
    CHECK(frames_of(db, trace).at({kBase + entry + 0x15, 1}).first == "pdbtest.sys!DriverEntry+0x15");
    auto counts = store->table_row_counts();
    REQUIRE(counts);
    CHECK(counts->at("frames") == 2);  // rewritten, not appended
    CHECK(counts->at("stack_frames") == 2);

    auto missing = store->symbolize(trace + 100, sym);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == bp::Errc::not_found);
}
