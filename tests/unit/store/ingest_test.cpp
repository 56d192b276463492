#include "bootprint/store/ingest.hpp"

#include <sqlite3.h>
#include <catch2/catch.hpp>

#include "bootprint/store/agent_store.hpp"
#include "store_test_support.hpp"
#include "support/process.hpp"

using namespace bp::store;
using namespace bp::store::test;

namespace {

std::map<std::string, std::int64_t> counts_of(AgentStore& store) {
    auto counts = store.table_row_counts();
    REQUIRE(counts);
    return *counts;
}

// Every table but the seeded lookup table is empty.
void require_empty(AgentStore& store) {
    for (const auto& [table, n] : counts_of(store)) {
        INFO(table);
        if (table == "attributions") continue;
        CHECK(n == 0);
    }
}

bp::footprint::Image image(std::uint32_t id, std::string name) {
    bp::footprint::Image m;
    m.id = id;
    m.base = 0xFFFFF800'00000000ULL + id * 0x100000ULL;
    m.size = 0x100000;
    m.path = "\\SystemRoot\\System32\\drivers\\" + name;
    m.name = std::move(name);
    m.checksum = 0x1234;
    m.time_date_stamp = 0x5F000000;
    m.pdb_guid = bp::Guid::parse("{3d6fa8d0-fe05-11d0-9dda-00c04fd7ba7c}");
    m.pdb_age = 1;
    m.pdb_name = "acpi.pdb";
    return m;
}

bp::footprint::Stack stack(std::uint32_t id) {
    bp::footprint::Stack s;
    s.id = id;
    s.frames = {0xFFFFF800'00001234ULL, 0xFFFFF800'00105678ULL};
    s.module_image_id = 2;
    s.module = "ACPI.sys";
    s.attribution = bp::footprint::Attribution::stack;
    return s;
}

// Every kind of row, in the analyzer's order, without on_finish.
void feed_all_kinds(Ingest& sink) {
    REQUIRE(sink.on_image(image(1, "ntoskrnl.exe")));
    REQUIRE(sink.on_image(image(2, "ACPI.sys")));
    REQUIRE(sink.on_stack(stack(1)));
    auto row = pool_row("Acpi", "ACPI.sys", false, 64, 1100, std::nullopt);
    row.alloc_stack_id = 1;
    REQUIRE(sink.on_pool_allocation(row));
    bp::footprint::PoolSnapRow snap;
    snap.tag = "Acpi";
    snap.nonpaged_allocs = 3;
    snap.nonpaged_used = 192;
    REQUIRE(sink.on_pool_snap(snap));
    REQUIRE(sink.on_resident(
        resident_row(0, "Driver", "\\SystemRoot\\System32\\drivers\\ACPI.sys", "Active", 9)));
    bp::footprint::MemInfoSample sample;
    sample.time = 133'000'000'000'000'000;
    sample.free = 1000;
    REQUIRE(sink.on_meminfo(sample));
}

}  // namespace

TEST_CASE("ingest: every kind of row is stored, with the per-trace summaries") {
    bp::test::TempDir dir;
    auto store = AgentStore::open(dir.file("fp.db"));
    REQUIRE(store);
    auto ingest = store->begin_ingest(facts("all"));
    REQUIRE(ingest);
    feed_all_kinds(**ingest);
    REQUIRE((*ingest)->on_finish(info_for(facts("all")), {1000, 2000}));
    REQUIRE((*ingest)->commit());
    const IngestCounts& c = (*ingest)->counts();
    CHECK(c.images == 2);
    CHECK(c.stacks == 1);
    CHECK(c.pool_rows == 1);
    CHECK(c.pool_snaps == 1);
    CHECK(c.resident_rows == 1);
    CHECK(c.meminfo_samples == 1);
    CHECK(c.summary_rows == 1);
    CHECK(c.driver_rows == 1);

    auto counts = counts_of(*store);
    CHECK(counts["traces"] == 1);
    CHECK(counts["images"] == 2);
    CHECK(counts["stacks"] == 1);
    CHECK(counts["pool_allocations"] == 1);
    CHECK(counts["pool_summary"] == 1);
    CHECK(counts["pool_snaps"] == 1);
    CHECK(counts["resident"] == 1);
    CHECK(counts["driver_code"] == 1);
    CHECK(counts["meminfo"] == 1);
    CHECK(counts["modules"] == 1);  // "ACPI.sys" interned once for the stack and the pool row
    CHECK(counts["pool_tags"] == 1);
}

TEST_CASE("ingest: the same trace twice changes nothing") {
    bp::test::TempDir dir;
    auto store = AgentStore::open(dir.file("fp.db"));
    REQUIRE(store);
    const std::int64_t id = ingest(*store, facts("boot"), {pool_row("Aaaa", "a.sys", false, 10, 1100, 1200)},
                                   {resident_row(0, "Driver", "a.sys", "Active", 1)});
    const auto before = counts_of(*store);

    auto known = store->find_trace(facts("boot").sha256);
    REQUIRE(known);
    REQUIRE(known->has_value());
    CHECK(**known == id);

    // Under another name and other labels it is still the same file.
    TraceFacts again = facts("boot", {"campaign", 3, "b", "m"});
    again.path = "/elsewhere/copy.etl";
    auto dup = store->begin_ingest(again);
    REQUIRE_FALSE(dup);
    CHECK(dup.error().code == bp::Errc::conflict);
    CHECK(dup.error().describe() == "/elsewhere/copy.etl: already ingested as trace " + std::to_string(id));
    CHECK(counts_of(*store) == before);

    auto unknown = store->find_trace(facts("other").sha256);
    REQUIRE(unknown);
    CHECK_FALSE(unknown->has_value());
}

TEST_CASE("ingest: a failed or abandoned ingest leaves no rows") {
    bp::test::TempDir dir;
    auto store = AgentStore::open(dir.file("fp.db"));
    REQUIRE(store);

    SECTION("destroyed without commit, after on_finish") {
        auto ingest = store->begin_ingest(facts("x"));
        REQUIRE(ingest);
        feed_all_kinds(**ingest);
        REQUIRE((*ingest)->on_finish(info_for(facts("x")), {1000, 2000}));
        ingest->reset();
        require_empty(*store);
    }
    SECTION("destroyed in the middle of the rows") {
        auto ingest = store->begin_ingest(facts("x"));
        REQUIRE(ingest);
        feed_all_kinds(**ingest);
        ingest->reset();
        require_empty(*store);
    }
    SECTION("a row the database refuses: the error sticks, commit returns it") {
        auto ingest = store->begin_ingest(facts("x"));
        REQUIRE(ingest);
        Ingest& sink = **ingest;
        feed_all_kinds(sink);
        auto dup = sink.on_stack(stack(1));  // same stack id twice: primary key violation
        REQUIRE_FALSE(dup);
        CHECK(dup.error().code == bp::Errc::database);
        CHECK_THAT(dup.error().describe(), Catch::Contains("UNIQUE"));
        // Rolled back at once: nothing is visible even while the object lives.
        require_empty(*store);
        CHECK_FALSE(sink.on_pool_allocation(pool_row("Aaaa", "a.sys", false, 1, 1100, 1200)));
        CHECK_FALSE(sink.on_finish(info_for(facts("x")), {1000, 2000}));
        auto committed = sink.commit();
        REQUIRE_FALSE(committed);
        CHECK(committed.error().code == bp::Errc::database);
        ingest->reset();
        require_empty(*store);
    }
    SECTION("an early row out of its place, or the complete form of a row never written: refused, rolled back") {
        auto ingest = store->begin_ingest(facts("x"));
        REQUIRE(ingest);
        Ingest& sink = **ingest;
        feed_all_kinds(sink);
        const std::uint64_t next = sink.counts().pool_rows + 1;
        auto row = pool_row("Aaaa", "a.sys", false, 1, 1100, std::nullopt);
        SECTION("numbered past the next row") {
            row.row = next + 1;
            auto early = sink.on_pool_open(row);
            REQUIRE_FALSE(early);
            CHECK(early.error().code == bp::Errc::internal);
            CHECK_THAT(early.error().message, Catch::Contains("pool row " + std::to_string(next + 1)));
        }
        SECTION("closing a row not written yet") {
            row.row = next;
            row.freed = true;
            row.free_time = 1500;
            auto closed = sink.on_pool_closed(row);
            REQUIRE_FALSE(closed);
            CHECK(closed.error().code == bp::Errc::internal);
        }
        CHECK_FALSE(sink.commit());
        require_empty(*store);
        ingest->reset();
        require_empty(*store);
    }
    SECTION("commit before on_finish is refused") {
        auto ingest = store->begin_ingest(facts("x"));
        REQUIRE(ingest);
        feed_all_kinds(**ingest);
        auto committed = (*ingest)->commit();
        REQUIRE_FALSE(committed);
        CHECK(committed.error().code == bp::Errc::internal);
        ingest->reset();
        require_empty(*store);
    }
    SECTION("a second ingest while one is open is refused") {
        auto first = store->begin_ingest(facts("x"));
        REQUIRE(first);
        auto second = store->begin_ingest(facts("y"));
        REQUIRE_FALSE(second);
        CHECK(second.error().code == bp::Errc::conflict);
        first->reset();
        require_empty(*store);
    }

    // The store is usable afterwards: the lock was released and the same trace can come in.
    const std::int64_t id = ingest(*store, facts("x"), {pool_row("Aaaa", "a.sys", false, 10, 1100, 1200)});
    CHECK(id >= 1);
    CHECK(counts_of(*store)["traces"] == 1);
}

TEST_CASE("ingest: hostile strings are stored verbatim") {
    bp::test::TempDir dir;
    auto store = AgentStore::open(dir.file("fp.db"));
    REQUIRE(store);
    const std::string evil = "x'); DROP TABLE traces; -- \"q\" , \n\t\xC3\xA9 %s \\";
    bp::footprint::Labels labels{evil + "campaign", 7, evil + "build", evil + "machine"};
    TraceFacts f = facts("evil", labels);
    f.path = "/tmp/" + evil + ".etl";
    ingest(*store, f, {pool_row("Q'\"x", evil, false, 10, 1100, std::nullopt)},
           {resident_row(0, "Driver", evil, "Active", 1)});

    auto traces = store->traces();
    REQUIRE(traces);
    REQUIRE(traces->size() == 1);
    CHECK(traces->front().info.path == f.path);
    CHECK(traces->front().labels.campaign == labels.campaign);
    CHECK(traces->front().labels.build == labels.build);
    CHECK(traces->front().labels.machine == labels.machine);

    PoolQuery q;
    q.traces.campaign = labels.campaign;
    q.tag = "Q'\"x";
    auto pool = store->pool_table(q);
    REQUIRE(pool);
    REQUIRE(pool->size() == 1);
    CHECK(pool->front().row.module == evil);
    CHECK(pool->front().row.tag == "Q'\"x");

    auto resident = store->resident_set({});
    REQUIRE(resident);
    REQUIRE(resident->size() == 1);
    CHECK(resident->front().row.path == evil);

    auto summary = store->campaign_summary({labels.campaign, std::nullopt, std::nullopt});
    REQUIRE(summary);
    REQUIRE(summary->drivers.size() == 1);
    CHECK(summary->drivers.front().key == evil);
    CHECK(summary->tags.front().build == labels.build);
}
