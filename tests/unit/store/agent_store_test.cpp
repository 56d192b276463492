#include "bootprint/store/agent_store.hpp"

#include <algorithm>
#include <sqlite3.h>
#include <catch2/catch.hpp>

#include <fstream>

#include "bootprint/store/schema.hpp"
#include "store_test_support.hpp"
#include "support/process.hpp"

using namespace bp::store;
using namespace bp::store::test;
using bp::footprint::Attribution;

namespace {

// Runs SQL on the file behind the store's back (to fake other versions and foreign files).
void raw_sql(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    INFO((message ? message : ""));
    sqlite3_free(message);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
}

// The rows of the pool tests (kernel-events.md §3.2/§3.3 worked by hand); ticks: 100 per second from 1000.
std::vector<bp::footprint::PoolAllocation> pool_rows() {
    return {
        pool_row("Aaaa", "a.sys", false, 10, 1100, 1200),                 // r1
        pool_row("Aaaa", "a.sys", false, 100, 1300, std::nullopt),        // r2 never freed
        pool_row("Aaaa", "a.sys", false, 40, std::nullopt, 1500),         // r3 allocated outside
        pool_row("Aaaa", "a.sys", false, 7, std::nullopt, std::nullopt),  // r4 outside, never freed
        pool_row("Aaaa", "a.sys", false, 5, 1400, 2000),                  // r5 freed at the window end
        pool_row("Aaaa", "a.sys", false, 3, 1000, 1999),                  // r6 allocated at the window start
        pool_row("Aaaa", "a.sys", false, 2, std::nullopt, 1300),          // r7 freed at 3 s
        pool_row("Bbbb", "b.sys", true, 1000, 1550, std::nullopt, Attribution::pooltag),  // b1
        pool_row("Bbbb", "b.sys", true, 24, 1600, std::nullopt, Attribution::stack),      // b2
    };
}

}  // namespace

TEST_CASE("store: a new database gets every migration and reopening keeps data and version") {
    bp::test::TempDir dir;
    const std::string path = dir.file("fp.db");
    {
        auto store = AgentStore::open(path);
        REQUIRE(store);
        CHECK(store->schema_version() == latest_schema_version());
        auto counts = store->table_row_counts();
        REQUIRE(counts);
        for (const char* table :
             {"traces", "images", "stacks", "pool_allocations", "pool_summary", "pool_snaps", "resident",
              "driver_code", "meminfo", "modules", "pool_tags"}) {
            INFO(table);
            REQUIRE(counts->count(table) == 1);
            CHECK(counts->at(table) == 0);
        }
        CHECK(counts->at("attributions") == 4);
        ingest(*store, facts("one"), pool_rows());
    }
    auto again = AgentStore::open(path, {false});
    REQUIRE(again);
    CHECK(again->schema_version() == latest_schema_version());
    auto traces = again->traces();
    REQUIRE(traces);
    REQUIRE(traces->size() == 1);
    CHECK(traces->front().info.path == "/traces/one.etl");
    CHECK(traces->front().pool_rows == 9);
}

TEST_CASE("store: a database from a newer bootprint is refused and left alone") {
    bp::test::TempDir dir;
    const std::string path = dir.file("new.db");
    { REQUIRE(AgentStore::open(path)); }
    const int newer = latest_schema_version() + 1;
    raw_sql(path, "PRAGMA user_version = " + std::to_string(newer));
    auto store = AgentStore::open(path);
    REQUIRE_FALSE(store);
    CHECK(store.error().code == bp::Errc::unsupported);
    CHECK(store.error().describe() == path + ": schema version " + std::to_string(newer) +
                                          " is newer than this bootprint understands (" +
                                          std::to_string(latest_schema_version()) + "); upgrade bootprint");
    raw_sql(path, "PRAGMA user_version = " + std::to_string(latest_schema_version()));
    CHECK(AgentStore::open(path));
}

TEST_CASE("store: files that are not bootprint databases are refused") {
    bp::test::TempDir dir;
    SECTION("missing, when asked not to create") {
        auto store = AgentStore::open(dir.file("missing.db"), {false});
        REQUIRE_FALSE(store);
        CHECK(store.error().code == bp::Errc::not_found);
        CHECK_THAT(store.error().describe(), Catch::Contains("missing.db"));
    }
    SECTION("another application's SQLite file") {
        raw_sql(dir.file("other.db"), "CREATE TABLE t (x)");
        auto store = AgentStore::open(dir.file("other.db"));
        REQUIRE_FALSE(store);
        CHECK_THAT(store.error().message, Catch::Contains("not a bootprint database"));
    }
    SECTION("not SQLite at all") {
        std::ofstream(dir.file("text.db"))
            << "this is a text file, long enough to have a header of sorts........."
               "....................................................\n";
        auto store = AgentStore::open(dir.file("text.db"));
        REQUIRE_FALSE(store);
        CHECK(store.error().code == bp::Errc::database);
        CHECK_THAT(store.error().describe(), Catch::Contains("text.db"));
    }
}

TEST_CASE("store: pool table for the whole trace, as stored at ingest") {
    bp::test::TempDir dir;
    auto store = AgentStore::open(dir.file("fp.db"));
    REQUIRE(store);
    const std::int64_t id = ingest(*store, facts("one"), pool_rows());

    auto rows = store->pool_table({});
    REQUIRE(rows);
    // Window [1000, 2000): r1, r6 transient; r2, r5 (freed at E: outside) impacting +; r3, r7 impacting −;
    // r4 persistent. Peak of AOFI: r3 + r7 outstanding at the start.
    CHECK(describe(*rows) ==
          std::vector<std::string>{
              "Bbbb AIFO b.sys Paged count 2 size 1024 impacting 1024 peak 1024 [stack,pooltag]",
              "Aaaa AIFO a.sys NonPaged count 2 size 105 impacting 105 peak 105 [stack]",
              "Aaaa AIFI a.sys NonPaged count 2 size 13 impacting 0 peak 13 [stack]",
              "Aaaa AOFO a.sys NonPaged count 1 size 7 impacting 0 peak 7 [stack]",
              "Aaaa AOFI a.sys NonPaged count 2 size 42 impacting -42 peak 42 [stack]",
          });
    for (const auto& r : *rows) CHECK(r.trace_id == id);

    SECTION("filters: tag, paged, trace") {
        PoolQuery q;
        q.tag = "Aaaa";
        q.paged = false;
        auto a = store->pool_table(q);
        REQUIRE(a);
        CHECK(a->size() == 4);
        q.paged = true;
        auto none = store->pool_table(q);
        REQUIRE(none);
        CHECK(none->empty());
        PoolQuery paged;
        paged.paged = true;
        auto b = store->pool_table(paged);
        REQUIRE(b);
        REQUIRE(b->size() == 1);
        CHECK(b->front().row.tag == "Bbbb");
        PoolQuery other;
        other.traces.trace_id = id + 1;
        auto empty = store->pool_table(other);
        REQUIRE(empty);
        CHECK(empty->empty());
    }
    SECTION("re-summarizing the rows over the whole window gives the stored table") {
        PoolQuery q;
        q.from_seconds = 0.0;
        q.to_seconds = 10.0;  // [1000, 2000)
        auto again = store->pool_table(q);
        REQUIRE(again);
        CHECK(describe(*again) == describe(*rows));
    }
}

TEST_CASE("store: pool table for a custom window, edges included") {
    bp::test::TempDir dir;
    auto store = AgentStore::open(dir.file("fp.db"));
    REQUIRE(store);
    ingest(*store, facts("one"), pool_rows());

    PoolQuery q;
    q.from_seconds = 3.0;  // tick 1300
    q.to_seconds = 5.0;    // tick 1500
    auto rows = store->pool_table(q);
    REQUIRE(rows);
    // r2 allocated at S is inside; r3 freed at E is outside; r7 freed at S is inside (AOFI);
    // b1/b2 allocated after E are outside.
    CHECK(describe(*rows) == std::vector<std::string>{
                                 "Aaaa AIFO a.sys NonPaged count 2 size 105 impacting 105 peak 105 [stack]",
                                 "Bbbb AOFO b.sys Paged count 2 size 1024 impacting 0 peak 0 [stack,pooltag]",
                                 "Aaaa AOFO a.sys NonPaged count 4 size 60 impacting 0 peak 50 [stack]",
                                 "Aaaa AOFI a.sys NonPaged count 1 size 2 impacting -2 peak 0 [stack]",
                             });

    SECTION("with a tag filter") {
        q.tag = "Bbbb";
        auto b = store->pool_table(q);
        REQUIRE(b);
        CHECK(describe(*b) ==
              std::vector<std::string>{
                  "Bbbb AOFO b.sys Paged count 2 size 1024 impacting 0 peak 0 [stack,pooltag]"});
    }
    SECTION("only a start: the window ends with the trace") {
        PoolQuery from;
        from.from_seconds = 5.5;  // [1550, 2000): b1 allocated at S
        from.tag = "Bbbb";
        auto b = store->pool_table(from);
        REQUIRE(b);
        CHECK(describe(*b) ==
              std::vector<std::string>{
                  "Bbbb AIFO b.sys Paged count 2 size 1024 impacting 1024 peak 1024 [stack,pooltag]"});
    }
    SECTION("an empty window is refused") {
        PoolQuery bad;
        bad.from_seconds = 5.0;
        bad.to_seconds = 5.0;
        auto r = store->pool_table(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == bp::Errc::invalid_argument);
    }
}

TEST_CASE("store: resident set rows and filters") {
    bp::test::TempDir dir;
    auto store = AgentStore::open(dir.file("fp.db"));
    REQUIRE(store);
    const std::string acpi = "\\SystemRoot\\System32\\drivers\\ACPI.sys";
    const std::string ntfs = "\\SystemRoot\\System32\\drivers\\Ntfs.sys";
    ingest(*store, facts("one"), {},
           {
               resident_row(0, "Driver", acpi, "Active", 10),
               resident_row(0, "Driver", acpi, "Standby", 5),
               resident_row(1, "Driver", acpi, "Active", 12),
               resident_row(1, "Driver", acpi, "Standby", 3),
               resident_row(1, "Driver", ntfs, "Active", 40),
               resident_row(1, "DriverFile", acpi, "Active", 2),
               resident_row(1, "PagedPool", "OtherPool", "Active", 7),
           });

    auto all = store->resident_set({});
    REQUIRE(all);
    CHECK(all->size() == 7);

    ResidentQuery q;
    q.category = "driver";  // case-insensitive
    q.list = "ACTIVE";
    auto rows = store->resident_set(q);
    REQUIRE(rows);
    REQUIRE(rows->size() == 3);
    CHECK((*rows)[0].row.snapshot == 0);
    CHECK((*rows)[0].row.pages == 10);
    CHECK((*rows)[1].row.path == ntfs);
    CHECK((*rows)[1].row.bytes() == 40 * 4096);
    CHECK((*rows)[2].row.path == acpi);
    CHECK((*rows)[2].row.pages == 12);

    ResidentQuery snap;
    snap.snapshot = 1;
    snap.list = "Standby";
    auto standby = store->resident_set(snap);
    REQUIRE(standby);
    REQUIRE(standby->size() == 1);
    CHECK(standby->front().row.pages == 3);
}

TEST_CASE("store: campaign summary across three iterations, a tag missing from one") {
    bp::test::TempDir dir;
    auto store = AgentStore::open(dir.file("fp.db"));
    REQUIRE(store);
    const std::string acpi = "\\SystemRoot\\System32\\drivers\\ACPI.sys";
    auto labels = [](std::int64_t iteration) {
        return bp::footprint::Labels{"nightly", iteration, "26100.1", "lab-01"};
    };
    // Each Aaaa/Cccc row is allocated inside and never freed: impacting size = its size.
    ingest(*store, facts("it1", labels(1)),
           {pool_row("Aaaa", "a.sys", false, 100, 1100, std::nullopt),
            pool_row("Cccc", "c.sys", false, 30, 1100, std::nullopt)},
           {resident_row(0, "Driver", acpi, "Active", 10)});
    ingest(*store, facts("it2", labels(2)), {pool_row("Aaaa", "a.sys", false, 300, 1100, std::nullopt)},
           {resident_row(0, "Driver", acpi, "Active", 20), resident_row(0, "Driver", acpi, "Standby", 99)});
    ingest(*store, facts("it3", labels(3)),
           {pool_row("Aaaa", "a.sys", false, 150, 1100, std::nullopt),
            pool_row("Aaaa", "a2.sys", true, 50, 1100, std::nullopt),  // the tag's other module counts too
            pool_row("Cccc", "c.sys", false, 60, 1100, std::nullopt)},
           {resident_row(0, "Driver", acpi, "Active", 1), resident_row(1, "Driver", acpi, "Active", 30)});
    ingest(*store, facts("elsewhere", bp::footprint::Labels{"other", 1, "", ""}),
           {pool_row("Zzzz", "z.sys", false, 5, 1100, std::nullopt)});

    auto s = store->campaign_summary({"nightly", std::nullopt, std::nullopt});
    REQUIRE(s);
    CHECK(s->iterations.size() == 3);
    REQUIRE(s->tags.size() == 2);
    const SeriesStats& a = s->tags[0];
    CHECK(a.key == "Aaaa");
    CHECK(a.build == "26100.1");
    CHECK(a.present == 3);
    CHECK(a.spread.n == 3);
    CHECK(a.spread.median == 200.0);  // 100, 300, 200
    CHECK(a.spread.min == 100.0);
    CHECK(a.spread.max == 300.0);
    CHECK(a.spread.mad == 100.0);
    const SeriesStats& c = s->tags[1];
    CHECK(c.key == "Cccc");
    CHECK(c.present == 2);
    CHECK(c.spread.n == 3);  // iteration 2 counts as 0
    CHECK(c.spread.median == 30.0);
    CHECK(c.spread.min == 0.0);
    CHECK(c.spread.max == 60.0);
    CHECK(c.spread.mad == 30.0);

    REQUIRE(s->drivers.size() == 1);
    const SeriesStats& d = s->drivers[0];
    CHECK(d.key == acpi);
    CHECK(d.present == 3);
    // Active pages of the last snapshot: 10, 20, 30 pages.
    CHECK(d.spread.median == 20.0 * 4096);
    CHECK(d.spread.min == 10.0 * 4096);
    CHECK(d.spread.max == 30.0 * 4096);

    auto missing = store->campaign_summary({"nope", std::nullopt, std::nullopt});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == bp::Errc::not_found);
}

TEST_CASE("store: trace list and filters") {
    bp::test::TempDir dir;
    auto store = AgentStore::open(dir.file("fp.db"));
    REQUIRE(store);
    ingest(*store, facts("a", {"c1", 1, "b1", "m1"}), {});
    ingest(*store, facts("b", {"c1", 2, "b2", "m1"}), {});
    ingest(*store, facts("c", {}), {});
    auto all = store->traces();
    REQUIRE(all);
    REQUIRE(all->size() == 3);
    CHECK((*all)[2].labels.campaign.empty());
    CHECK((*all)[2].labels.iteration == -1);
    CHECK((*all)[0].info.os_build == 26100);
    CHECK((*all)[0].info.events_lost == 1);
    CHECK((*all)[0].info.buffers_lost == 2);
    CHECK((*all)[0].window.start == 1000);
    CHECK((*all)[0].window.end == 2000);
    CHECK((*all)[0].ticks_at(2.5) == 1250);
    TraceFilter f;
    f.campaign = "c1";
    f.build = "b2";
    auto b = store->traces(f);
    REQUIRE(b);
    REQUIRE(b->size() == 1);
    CHECK(b->front().labels.iteration == 2);
    CHECK(b->front().labels.machine == "m1");
}

// The whole-trace table is summarized as the rows go by when they come in the analyzer's free order
// and lie inside the window; otherwise ingest reads them back. Both must give the same table.
TEST_CASE("store: the streamed whole-trace table equals the one read back from the rows") {
    bp::test::TempDir dir;
    auto store = AgentStore::open(dir.file("fp.db"));
    REQUIRE(store);
    std::vector<bp::footprint::PoolAllocation> in_order;
    for (int i = 0; i < 300; ++i) {
        const std::int64_t alloc = 1001 + (i * 37) % 700;
        const std::int64_t free = alloc + 1 + (i * 53) % 250;
        in_order.push_back(pool_row(i % 3 ? "Aaaa" : "Bbbb", i % 2 ? "a.sys" : "b.sys", i % 5 == 0,
                                    16 + static_cast<std::uint64_t>(i % 11) * 8, alloc,
                                    i % 7 ? std::optional<std::int64_t>(free) : std::nullopt));
    }
    in_order.push_back(pool_row("Aaaa", "a.sys", false, 99, std::nullopt, 1500));  // AOFI
    // The analyzer's order: freed rows by free time, then the rows still open.
    std::stable_sort(in_order.begin(), in_order.end(), [](const auto& a, const auto& b) {
        if (a.freed != b.freed) return a.freed;
        return a.freed && a.free_time < b.free_time;
    });
    auto reversed = in_order;
    std::reverse(reversed.begin(), reversed.end());

    const std::int64_t streamed = ingest(*store, facts("in-order"), in_order);
    const std::int64_t read_back = ingest(*store, facts("reversed"), reversed);
    PoolQuery a, b;
    a.traces.trace_id = streamed;
    b.traces.trace_id = read_back;
    auto ta = store->pool_table(a), tb = store->pool_table(b);
    REQUIRE(ta);
    REQUIRE(tb);
    REQUIRE(ta->size() > 4);
    CHECK(describe(*ta) == describe(*tb));
    // And both equal summarizing the stored rows again over the same window.
    PoolQuery again;
    again.traces.trace_id = streamed;
    again.from_seconds = 0.0;
    again.to_seconds = 10.0;  // [1000, 2000)
    auto tc = store->pool_table(again);
    REQUIRE(tc);
    CHECK(describe(*tc) == describe(*ta));
}
