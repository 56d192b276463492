// Golden scenarios with hand-computed answers for every pool and resident-set rule, end to end:
// scenario → the project's trace writer → .etl file → reader → analyzer. The expected numbers below
// come from the scenario text and the rules of kernel-events.md §3–§4, not from the implementation.
#include "bootprint/footprint/analyzer.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <limits>
#include <map>
#include <set>

#include "bootprint/etl/etl_file.hpp"
#include "bootprint/etl/event_decoders.hpp"
#include "bootprint/footprint/memory_sink.hpp"
#include "bootprint/writer/boot_trace.hpp"
#include "support/process.hpp"

using namespace bp;
using footprint::PoolLifetimeType;

namespace {

// Paged pool tag 'Abcd' from ACPI.sys, a re-used address, session keys, big pool, a kernel-only stack,
// an allocation without stack (pooltag fallback). Times in seconds after the trace start.
const char* kPoolScenario = R"json({
  "name": "golden-pool", "duration_s": 10, "processors": 2, "pool_snapshots": false, "resident_set": false,
  "drivers": [{"name": "ACPI.sys", "size": "0x20000"}, {"name": "dxg.sys", "size": "0x20000"}],
  "events": [
    {"t": 1.0, "kind": "alloc", "tag": "Abcd", "size": 100, "address": "0xFFFF8A0000100000", "pool_type": 1,
     "stack": ["ntoskrnl.exe+0x1000", "ACPI.sys+0x1010", "ntoskrnl.exe+0x5000"]},
    {"t": 2.0, "kind": "free",  "tag": "Abcd", "size": 100, "address": "0xFFFF8A0000100000", "pool_type": 1,
     "stack": ["ntoskrnl.exe+0x1800", "ACPI.sys+0x6060"]},
    {"t": 3.0, "kind": "alloc", "tag": "Abcd", "size": 200, "address": "0xFFFF8A0000200000", "pool_type": 1,
     "stack": ["ntoskrnl.exe+0x1000", "ACPI.sys+0x1010"]},
    {"t": 4.0, "kind": "free",  "tag": "Abcd", "size": 50, "address": "0xFFFF8A0000300000", "pool_type": 1,
     "stack": ["ntoskrnl.exe+0x1800", "ACPI.sys+0x6060"]},
    {"t": 5.0, "kind": "alloc", "tag": "Reus", "size": 64, "address": "0xFFFF9B0000400000", "pool_type": "0x200",
     "stack": ["ntoskrnl.exe+0x1000", "ACPI.sys+0x2020"]},
    {"t": 6.0, "kind": "alloc", "tag": "Reus", "size": 64, "address": "0xFFFF9B0000400000", "pool_type": "0x200",
     "stack": ["ntoskrnl.exe+0x1000", "ACPI.sys+0x2020"]},
    {"t": 1.5, "kind": "alloc", "tag": "Sess", "size": 300, "address": "0xFFFF980000500000", "pool_type": 1, "session": 1,
     "stack": ["ntoskrnl.exe+0x1000", "dxg.sys+0x100"]},
    {"t": 1.7, "kind": "free",  "tag": "Sess", "size": 300, "address": "0xFFFF980000500000", "pool_type": 1, "session": 2,
     "stack": ["ntoskrnl.exe+0x1800", "dxg.sys+0x200"]},
    {"t": 2.5, "kind": "alloc", "tag": "BigP", "size": 8192, "address": "0xFFFF9D0000600000", "pool_type": "0x200",
     "stack": ["ntoskrnl.exe+0x1000", "ACPI.sys+0x3030"]},
    {"t": 3.5, "kind": "alloc", "tag": "Kern", "size": 32, "address": "0xFFFF9B0000700000", "pool_type": "0x200",
     "stack": ["ntoskrnl.exe+0x1000", "ntoskrnl.exe+0x2000"]},
    {"t": 4.5, "kind": "alloc", "tag": "Ptag", "size": 48, "address": "0xFFFF9B0000800000", "pool_type": "0x200"}
  ]
})json";

struct Analysed {
    footprint::MemorySink sink;
    footprint::TraceInfo info;
    std::int64_t freq = 10'000'000;
    std::int64_t start = 0;
    footprint::Window window(double from_s, double to_s) const {
        return {start + static_cast<std::int64_t>(from_s * freq), start + static_cast<std::int64_t>(to_s * freq)};
    }
};

Analysed analyse(const char* scenario_json, unsigned pointer_size, bool compress, const footprint::PoolTagMap* tags) {
    test::TempDir dir;
    auto scenario = writer::parse_scenario(scenario_json, "golden");
    REQUIRE(scenario);
    writer::BootTraceOptions opt;
    opt.pointer_size = pointer_size;
    opt.compress = compress;
    const std::string path = dir.file("golden.etl");
    auto written = writer::write_boot_trace(*scenario, path, opt);
    INFO((written ? "" : written.error().describe()));
    REQUIRE(written);
    auto file = etl::EtlFile::open(path);
    REQUIRE(file);
    Analysed a;
    footprint::AnalyzerOptions aopt;
    aopt.pooltags = tags;
    auto info = footprint::analyze_trace(*file, aopt, a.sink);
    INFO((info ? "" : info.error().describe()));
    REQUIRE(info);
    a.info = *info;
    a.start = file->clock().start_raw();
    a.freq = static_cast<std::int64_t>(file->header().perf_freq);
    return a;
}

const footprint::PoolSummaryRow* find(const std::vector<footprint::PoolSummaryRow>& rows, const std::string& tag,
                                      const std::string& module, PoolLifetimeType type) {
    for (const auto& r : rows) {
        if (r.tag == tag && r.module == module && r.type == type) return &r;
    }
    return nullptr;
}

}  // namespace

TEST_CASE("pool lifetimes, types and module attribution over the whole trace", "[footprint][golden]") {
    auto tags = footprint::PoolTagMap::parse("Ptag - ptagdrv.sys - a driver known only from pooltag.txt\n");
    REQUIRE(tags);
    for (unsigned ptr : {8u, 4u}) {
        if (ptr == 4) continue;  // addresses of this scenario are 64-bit; the 32-bit variant is below
        for (bool compress : {false, true}) {
            DYNAMIC_SECTION("pointer size " << ptr << (compress ? ", compressed" : "")) {
                const Analysed a = analyse(kPoolScenario, ptr, compress, &*tags);
                const auto rows = a.sink.pool_table();
                CHECK(a.sink.pool.size() == 10);  // 11 events; the alloc and free at 1 s and 2 s are one row

                // 'Abcd': allocated at 1 s, freed at 2 s → AIFI (transient, no impact).
                auto* r = find(rows, "Abcd", "ACPI.sys", PoolLifetimeType::aifi);
                REQUIRE(r);
                CHECK(r->paged);
                CHECK(r->count == 1);
                CHECK(r->size == 100);
                CHECK(r->impacting_size == 0);
                // Allocated at 3 s, never freed → AIFO: +200.
                r = find(rows, "Abcd", "ACPI.sys", PoolLifetimeType::aifo);
                REQUIRE(r);
                CHECK(r->impacting_size == 200);
                CHECK(r->peak_outstanding == 200);
                // A free without allocation → allocated outside, freed inside: −50, no allocation stack.
                r = find(rows, "Abcd", "Unknown", PoolLifetimeType::aofi);
                REQUIRE(r);
                CHECK(r->size == 50);
                CHECK(r->impacting_size == -50);
                CHECK(r->peak_outstanding == 50);  // outstanding from the start until its free

                // Re-used address: the first row is closed by the second allocation (lost free).
                r = find(rows, "Reus", "ACPI.sys", PoolLifetimeType::aifi);
                REQUIRE(r);
                CHECK(!r->paged);
                CHECK(r->count == 1);
                r = find(rows, "Reus", "ACPI.sys", PoolLifetimeType::aifo);
                REQUIRE(r);
                CHECK(r->impacting_size == 64);
                CHECK(r->peak_outstanding == 64);  // never both at once
                int implicit = 0;
                for (const auto& row : a.sink.pool) implicit += row.implicitly_freed;
                CHECK(implicit == 1);

                // Session keys: a free in session 2 does not close session 1's allocation.
                r = find(rows, "Sess", "dxg.sys", PoolLifetimeType::aifo);
                REQUIRE(r);
                CHECK(r->impacting_size == 300);
                r = find(rows, "Sess", "Unknown", PoolLifetimeType::aofi);
                REQUIRE(r);
                CHECK(r->impacting_size == -300);

                // Big pool: > 0xFE0 bytes.
                r = find(rows, "BigP", "ACPI.sys", PoolLifetimeType::aifo);
                REQUIRE(r);
                CHECK(r->size == 8192);
                // All frames in the kernel image → the kernel image.
                r = find(rows, "Kern", "ntoskrnl.exe", PoolLifetimeType::aifo);
                REQUIRE(r);
                // No stack → pooltag.txt.
                r = find(rows, "Ptag", "ptagdrv.sys", PoolLifetimeType::aifo);
                REQUIRE(r);

                // Sorted by impacting size: BigP (8192) first.
                CHECK(rows.front().tag == "BigP");
                CHECK(rows.front().impacting_size == 8192);

                // Attribution sources recorded per row.
                for (const auto& row : a.sink.pool) {
                    const std::string tag = etl::pool_tag_string(row.tag);
                    if (tag == "Kern") CHECK(row.attribution == footprint::Attribution::kernel_only);
                    if (tag == "Ptag") CHECK(row.attribution == footprint::Attribution::pooltag);
                    if (tag == "BigP") {
                        CHECK(row.attribution == footprint::Attribution::stack);
                        CHECK(etl::pool_is_big(row.pool_type));
                        CHECK(etl::pool_is_nx(row.pool_type));
                    }
                    if (tag == "Sess" && row.alloc_known) CHECK(row.session_id == 1);
                }
            }
        }
    }
}

TEST_CASE("pool types against a window: edges of the from-to window", "[footprint][golden]") {
    const Analysed a = analyse(kPoolScenario, 8, false, nullptr);
    const auto w = a.window(2.0, 5.0);
    const auto rows = a.sink.pool_table(&w);
    // Abcd 1 s → 2 s: allocated before the window, freed at its start (F >= S) → AOFI.
    auto* r = find(rows, "Abcd", "ACPI.sys", PoolLifetimeType::aofi);
    REQUIRE(r);
    CHECK(r->size == 100);
    CHECK(r->impacting_size == -100);
    // Abcd 3 s → never: AIFO.
    CHECK(find(rows, "Abcd", "ACPI.sys", PoolLifetimeType::aifo));
    // Reus 5 s → 6 s: allocated exactly at E (A > E is false → inside), freed after → AIFO.
    r = find(rows, "Reus", "ACPI.sys", PoolLifetimeType::aifo);
    REQUIRE(r);
    CHECK(r->count == 1);
    // Reus 6 s → never: allocated after the window → AOFO (persistent, no impact).
    r = find(rows, "Reus", "ACPI.sys", PoolLifetimeType::aofo);
    REQUIRE(r);
    CHECK(r->impacting_size == 0);
    // Sess in session 1, allocated at 1.5 s, never freed → allocated outside, freed outside → AOFO.
    CHECK(find(rows, "Sess", "dxg.sys", PoolLifetimeType::aofo));
    // Ptag (no pooltag map given) → Unknown, 4.5 s inside.
    CHECK(find(rows, "Ptag", "Unknown", PoolLifetimeType::aifo));
}

TEST_CASE("32-bit traces give the same lifetimes", "[footprint][golden]") {
    const char* scenario = R"json({
      "name": "golden-32", "duration_s": 4, "pointer_size": 4, "resident_set": false, "pool_snapshots": false,
      "drivers": [{"name": "ACPI.sys", "size": "0x20000"}],
      "events": [
        {"t": 1.0, "kind": "alloc", "tag": "Abcd", "size": 100, "address": "0xE1000100", "pool_type": 1,
         "stack": ["ntoskrnl.exe+0x1000", "ACPI.sys+0x10"]},
        {"t": 2.0, "kind": "free", "tag": "Abcd", "size": 100, "address": "0xE1000100", "pool_type": 1},
        {"t": 3.0, "kind": "alloc", "tag": "Abcd", "size": 40, "address": "0xE1000200", "pool_type": 1,
         "stack": ["ntoskrnl.exe+0x1000", "ACPI.sys+0x10"]}
      ]})json";
    const Analysed a = analyse(scenario, 4, false, nullptr);
    const auto rows = a.sink.pool_table();
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].type == PoolLifetimeType::aifo);
    CHECK(rows[0].impacting_size == 40);
    CHECK(rows[0].module == "ACPI.sys");
    CHECK(rows[1].type == PoolLifetimeType::aifi);
    CHECK(a.info.pointer_size == 4);
}

TEST_CASE("resident set: categories, paths, lists and big-pool tags", "[footprint][golden]") {
    const char* scenario = R"json({
      "name": "golden-resident", "duration_s": 3, "pool_snapshots": false,
      "drivers": [{"name": "ACPI.sys", "size": "0x20000", "code_pages": 10, "standby_pages": 3, "data_pages": 2}],
      "events": [
        {"t": 1.0, "kind": "alloc", "tag": "BigP", "size": 8192, "address": "0xFFFF9D0000600000", "pool_type": "0x200"}
      ],
      "pages": [
        {"use": "PagedPool", "list": "Active", "va": "0xFFFF8A0000000000", "count": 5},
        {"use": "NonPagedPool", "list": "Active", "va": "0xFFFF9D0000600000", "count": 2},
        {"use": "File", "list": "Standby", "file": "\\Device\\HarddiskVolume3\\Windows\\System32\\config\\SYSTEM", "count": 4},
        {"use": "File", "list": "Modified", "file": "\\Device\\HarddiskVolume3\\data.bin", "count": 6},
        {"use": "ProcessPrivate", "list": "Active", "pid": 340, "count": 7},
        {"use": "KernelStack", "list": "Active", "count": 2}
      ]})json";
    const Analysed a = analyse(scenario, 8, false, nullptr);
    auto pages = [&](const std::string& cat, const std::string& path, const std::string& list) -> std::uint64_t {
        for (const auto& r : a.sink.resident) {
            if (r.category == cat && r.path == path && r.list == list) return r.pages;
        }
        return 0;
    };
    const std::string acpi = "\\Device\\HarddiskVolume3\\Windows\\System32\\drivers\\ACPI.sys";
    CHECK(pages("Driver", acpi, "Active") == 10);  // the driver's code: what the exercise reads
    CHECK(pages("Driver", acpi, "Standby") == 3);
    CHECK(pages("DriverFile", acpi, "Active") == 2);
    CHECK(pages("PagedPool", "OtherPool", "Active") == 5);
    CHECK(pages("NonPagedPool", "BigPool BigP", "Active") == 2);
    CHECK(pages("RegistryFile", "\\Device\\HarddiskVolume3\\Windows\\System32\\config\\SYSTEM", "Standby") == 4);
    CHECK(pages("MapFile", "\\Device\\HarddiskVolume3\\data.bin", "Modified") == 6);
    CHECK(pages("ProcessPrivate", "smss.exe", "Active") == 7);
    CHECK(pages("KernelStack", "KernelStack:Page", "Active") == 2);
    std::uint64_t total = 0;
    for (const auto& r : a.sink.resident) total += r.pages;
    CHECK(total == 10 + 3 + 2 + 5 + 2 + 4 + 6 + 7 + 2);
    for (const auto& r : a.sink.resident) CHECK(r.bytes() == r.pages * 4096);
    CHECK(a.sink.meminfo.size() == 1);
}

TEST_CASE("generated boots vary with the boot number but are reproducible", "[footprint][writer]") {
    auto scenario = writer::parse_scenario(writer::default_scenario_json(), "default");
    REQUIRE(scenario);
    test::TempDir dir;
    auto count_allocs = [&](std::uint64_t boot) {
        writer::BootTraceOptions opt;
        opt.boot = boot;
        auto s = writer::write_boot_trace(*scenario, dir.file("b" + std::to_string(boot) + ".etl"), opt);
        REQUIRE(s);
        return s->allocations;
    };
    const auto b1 = count_allocs(1);
    CHECK(count_allocs(1) == b1);
    CHECK(count_allocs(2) != b1);
}

TEST_CASE("the boot-trace writer applies a profile's pool tag filter like the kernel", "[footprint][writer]") {
    auto tag = [](const char* t) {
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(t[i])) << (8 * i);
        return v;
    };
    CHECK(writer::pool_tag_passes(tag("Irp "), {}));
    CHECK(writer::pool_tag_passes(tag("Irp "), {"Irp"}));    // a short pattern: padded with spaces
    CHECK(writer::pool_tag_passes(tag("Irp "), {"Irp "}));
    CHECK_FALSE(writer::pool_tag_passes(tag("IrpX"), {"Irp"}));
    CHECK(writer::pool_tag_passes(tag("NtfF"), {"Ntf*"}));
    CHECK(writer::pool_tag_passes(tag("NtFs"), {"N?Fs"}));
    CHECK_FALSE(writer::pool_tag_passes(tag("ntfs"), {"Ntf*"}));  // case-sensitive
    CHECK(writer::pool_tag_passes(tag("Cnto"), {"Abcd", "Cnto"}));

    // A trace written with a filter holds only the matching tags.
    auto scenario = writer::parse_scenario(writer::default_scenario_json(), "default");
    REQUIRE(scenario);
    test::TempDir dir;
    writer::BootTraceOptions opt;
    opt.pool_tag_filter = {"Ntf*", "Irp"};
    REQUIRE(writer::write_boot_trace(*scenario, dir.file("f.etl"), opt));
    auto file = etl::EtlFile::open(dir.file("f.etl"));
    REQUIRE(file);
    footprint::MemorySink sink;
    REQUIRE(footprint::analyze_trace(*file, {}, sink));
    std::set<std::string> tags;
    for (const auto& row : sink.pool) tags.insert(etl::pool_tag_string(row.tag));
    CHECK(tags == std::set<std::string>{"Irp ", "NtfF", "Ntfx"});
}

// 2026-11-21, libFuzzer (fuzz_etl_reader, local run), crash-129fe38da4dd473a2ac5b4d5134f4ce90505e811: pool
// events with sizes near 2^63 overflowed the impacting-size sum (UBSan: signed integer overflow in
// PoolSummarizer::add). Sums now saturate; this input must analyse without undefined behaviour.
TEST_CASE("fuzz regression: etl_reader-crash-129fe38d (impacting size overflow)", "[footprint][fuzz-regression]") {
    const std::string path = std::string(BOOTPRINT_SOURCE_DIR) + "/tests/fuzz/regressions/etl_reader-crash-129fe38d.etl";
    for (bool lenient : {false, true}) {
        auto file = etl::EtlFile::open(path, {lenient});
        if (!file) continue;
        footprint::MemorySink sink;
        if (footprint::analyze_trace(*file, {}, sink)) (void)sink.pool_table();
    }
    footprint::PoolSummarizer s({0, 100});
    footprint::PoolAllocation huge;
    huge.alloc_time = 10;
    huge.size = ~0ULL;
    s.add(huge);
    s.add(huge);
    const auto rows = s.finish();
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].impacting_size == std::numeric_limits<std::int64_t>::max());
}

TEST_CASE("a scenario driver's PDB identity travels as DbgID_RSDS to the analyzer's images", "[footprint][writer]") {
    const char* json = R"json({"name": "rsds", "duration_s": 2, "pool_snapshots": false, "resident_set": false,
      "drivers": [
        {"name": "early.sys", "pdb": {"guid": "{815807F7-ECD2-C2D9-4C4C-44205044422E}", "age": 3,
                                      "name": "C:\\build\\early.pdb"}},
        {"name": "late.sys", "load_at_s": 0.5, "pdb": {"guid": "{3844dbb9-2017-4967-be7a-a4a2c20430fa}",
                                                        "name": "late.pdb"}},
        {"name": "none.sys"}]})json";
    for (unsigned p : {4u, 8u}) {
        INFO("pointer size " << p);
        const Analysed a = analyse(json, p, p == 8, nullptr);
        std::map<std::string, const footprint::Image*> by_name;
        for (const auto& im : a.sink.images) by_name[im.name] = &im;
        REQUIRE(by_name.count("early.sys"));
        REQUIRE(by_name.count("late.sys"));
        REQUIRE(by_name.count("none.sys"));
        REQUIRE(by_name["early.sys"]->pdb_guid);
        CHECK(*by_name["early.sys"]->pdb_guid == *Guid::parse("{815807F7-ECD2-C2D9-4C4C-44205044422E}"));
        CHECK(by_name["early.sys"]->pdb_age == 3);
        CHECK(by_name["early.sys"]->pdb_name == "C:\\build\\early.pdb");
        REQUIRE(by_name["late.sys"]->pdb_guid);
        CHECK(by_name["late.sys"]->pdb_age == 1);  // the default age
        CHECK(by_name["late.sys"]->pdb_name == "late.pdb");
        CHECK_FALSE(by_name["none.sys"]->pdb_guid);
    }
    auto bad = writer::parse_scenario(R"({"drivers": [{"name": "x.sys", "pdb": {"guid": "nope", "name": "x.pdb"}}]})",
                                      "bad.json");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("not a GUID") != std::string::npos);
}

namespace {
// The default scenario ×3 in `dir`: over 2 × 65,536 events, so that what the analyzer does every
// 65,536 events (the caller's check, early rows) happens more than once.
std::string write_busy_boot(const test::TempDir& dir) {
    auto scenario = writer::parse_scenario(writer::default_scenario_json(), "default");
    REQUIRE(scenario);
    const std::string path = dir.file("boot.etl");
    writer::BootTraceOptions opt;
    opt.scale = 3;
    auto written = writer::write_boot_trace(*scenario, path, opt);
    REQUIRE(written);
    REQUIRE(written->write.events > 2 * 65536);
    return path;
}
}  // namespace

TEST_CASE("the caller's check stops the analysis with its error", "[footprint]") {
    test::TempDir dir;
    const std::string path = write_busy_boot(dir);
    auto file = etl::EtlFile::open(path);
    REQUIRE(file);

    int calls = 0;
    footprint::AnalyzerOptions options;
    options.check = [&]() -> Status {
        if (++calls < 2) return {};
        return make_error(Errc::conflict, "stop here");
    };
    footprint::MemorySink sink;
    auto info = footprint::analyze_trace(*file, options, sink);
    REQUIRE_FALSE(info);
    CHECK(info.error().message == "stop here");
    CHECK(calls == 2);
    CHECK(sink.resident.empty());  // emitted at the end only: the end was never reached
}

namespace {

// Records what an analysis with early rows hands over, checking the on_pool_open/on_pool_closed
// contract as it goes.
class EarlyRecorder final : public footprint::FootprintSink {
public:
    Status on_image(const footprint::Image&) override { return {}; }
    Status on_stack(const footprint::Stack&) override { return {}; }
    Status on_pool_allocation(const footprint::PoolAllocation& row) override {
        first_sent.push_back(row.row);
        complete.push_back(row);
        return {};
    }
    Status on_pool_open(const footprint::PoolAllocation& row) override {
        first_sent.push_back(row.row);
        open.emplace(row.row, row);
        return {};
    }
    Status on_pool_closed(const footprint::PoolAllocation& row) override {
        if (!open.contains(row.row)) unknown_closed.push_back(row.row);
        if (!closed.insert(row.row).second) closed_twice.push_back(row.row);
        complete.push_back(row);
        return {};
    }
    Status on_pool_snap(const footprint::PoolSnapRow&) override { return {}; }
    Status on_resident(const footprint::ResidentRow&) override { return {}; }
    Status on_meminfo(const footprint::MemInfoSample&) override { return {}; }
    Status on_finish(const footprint::TraceInfo&, const footprint::Window&) override { return {}; }

    std::vector<std::uint64_t> first_sent;  // row numbers, in the order rows were first sent
    std::vector<footprint::PoolAllocation> complete;
    std::map<std::uint64_t, footprint::PoolAllocation> open;
    std::set<std::uint64_t> closed;
    std::vector<std::uint64_t> unknown_closed, closed_twice;
};

auto fields(const footprint::PoolAllocation& r) {
    return std::tuple(r.tag, r.pool_type, r.size, r.address, r.session_id, r.alloc_known, r.alloc_time, r.freed,
                      r.free_time, r.implicitly_freed, r.process_id, r.thread_id, r.alloc_stack_id, r.free_stack_id,
                      r.module, r.attribution);
}

// The rows' fields, sorted: the rows as a multiset.
auto sorted_fields(const std::vector<footprint::PoolAllocation>& rows) {
    std::vector<decltype(fields(rows.front()))> out;
    for (const auto& row : rows) out.push_back(fields(row));
    std::sort(out.begin(), out.end());
    return out;
}

// One trace analysed without early rows and with `options`.
struct BothWays {
    footprint::MemorySink plain;
    EarlyRecorder early;
};
void analyse_both_ways(const std::string& path, const footprint::AnalyzerOptions& options, BothWays& out) {
    auto file = etl::EtlFile::open(path);
    REQUIRE(file);
    REQUIRE(footprint::analyze_trace(*file, {}, out.plain));
    REQUIRE(footprint::analyze_trace(*file, options, out.early));
}

}  // namespace

TEST_CASE("rows sent early come back complete once, and the complete rows are those sent without", "[footprint]") {
    test::TempDir dir;
    footprint::AnalyzerOptions options;
    options.send_open_after = 1.0;
    BothWays both;
    analyse_both_ways(write_busy_boot(dir), options, both);  // open rows are looked at several times
    const auto& plain = both.plain;
    const auto& early = both.early;

    // Without the option rows are numbered in the order they are sent; with it, in the order first sent.
    for (std::size_t i = 0; i < plain.pool.size(); ++i) REQUIRE(plain.pool[i].row == i + 1);
    REQUIRE(early.first_sent.size() == plain.pool.size());
    for (std::size_t i = 0; i < early.first_sent.size(); ++i) REQUIRE(early.first_sent[i] == i + 1);

    // Every early row comes back complete exactly once; only the free's fields can have changed.
    CHECK(early.unknown_closed.empty());
    CHECK(early.closed_twice.empty());
    CHECK(early.closed.size() == early.open.size());
    std::size_t freed_later = 0, open_at_end = 0;
    for (const auto& row : early.complete) {
        auto it = early.open.find(row.row);
        if (it == early.open.end()) continue;
        const footprint::PoolAllocation& sent = it->second;
        CHECK_FALSE(sent.freed);
        CHECK(sent.free_stack_id == 0);
        CHECK(sent.alloc_known);
        footprint::PoolAllocation expected = sent;
        expected.freed = row.freed;
        expected.free_time = row.free_time;
        expected.implicitly_freed = row.implicitly_freed;
        expected.free_stack_id = row.free_stack_id;
        CHECK(fields(row) == fields(expected));
        ++(row.freed ? freed_later : open_at_end);
    }
    // The default scenario has both: allocations living for seconds and then freed, and ones never freed.
    CHECK(freed_later > 100);
    CHECK(open_at_end > 100);

    // The complete rows are the rows of the analysis without early rows (the early ones still open at
    // the end come in memory order, so compare them as sets).
    REQUIRE(early.complete.size() == plain.pool.size());
    CHECK(sorted_fields(early.complete) == sorted_fields(plain.pool));
}

TEST_CASE("early rows on the golden pool scenario, looked for at every event", "[footprint][golden]") {
    test::TempDir dir;
    auto scenario = writer::parse_scenario(kPoolScenario, "golden");
    REQUIRE(scenario);
    const std::string path = dir.file("golden.etl");
    REQUIRE(writer::write_boot_trace(*scenario, path, {}));
    footprint::AnalyzerOptions options;
    options.send_open_after = 0.5;
    options.poll_every = 1;
    BothWays both;
    analyse_both_ways(path, options, both);
    const auto& early = both.early;

    // Sent early: the rows open for more than 0.5 s when an event goes by (the look comes after the
    // event). Abcd 1 s (seen at 1.7 s; freed at 2 s: a late free), Sess 1.5 s (its free at 1.7 s is
    // for another session: open to the end), BigP 2.5 s, Abcd 3 s (at 3.5 s it is exactly 0.5 s old:
    // not yet; at 4 s), Kern 3.5 s, Ptag 4.5 s. Not the first Reus (5 s): the next event, at 6 s,
    // replaces it before the look; nor the second (6 s): no event follows it.
    std::multiset<std::string> sent;
    for (const auto& [number, row] : early.open) sent.insert(etl::pool_tag_string(row.tag));
    CHECK(sent == std::multiset<std::string>{"Abcd", "Abcd", "Sess", "BigP", "Kern", "Ptag"});
    std::size_t freed_later = 0;
    for (const auto& row : early.complete) freed_later += early.open.contains(row.row) && row.freed;
    CHECK(freed_later == 1);
    CHECK(early.closed.size() == early.open.size());
    CHECK(sorted_fields(early.complete) == sorted_fields(both.plain.pool));
}
