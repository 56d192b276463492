// ingest_etl_file (hash ∥ analysis ∥ SQLite) and the ingest begun without a sha256 under it: a real
// generated trace into a real SQLite file; duplicates are refused whichever thread finds them.
#include "bootprint/store/ingest_file.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "bootprint/store/sha256.hpp"
#include "bootprint/writer/boot_trace.hpp"
#include "store_test_support.hpp"
#include "support/process.hpp"

using namespace bp;
using namespace bp::store;
using namespace bp::store::test;

namespace {

std::string write_default_trace(const bp::test::TempDir& dir, const std::string& name, std::uint64_t boot = 1) {
    auto scenario = writer::parse_scenario(writer::default_scenario_json(), "default");
    REQUIRE(scenario);
    writer::BootTraceOptions opt;
    opt.boot = boot;
    const std::string path = dir.file(name);
    auto written = writer::write_boot_trace(*scenario, path, opt);
    INFO((written ? "" : written.error().describe()));
    REQUIRE(written);
    return path;
}

// Every row of a query as text, through SQLite itself (not the store's code).
std::vector<std::vector<std::string>> query(const std::string& db_path, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    std::vector<std::vector<std::string>> rows;
    char* message = nullptr;
    const int rc = sqlite3_exec(
        db, sql.c_str(),
        [](void* out, int n, char** values, char**) {
            std::vector<std::string> row;
            for (int i = 0; i < n; ++i) row.emplace_back(values[i] ? values[i] : "NULL");
            static_cast<std::vector<std::vector<std::string>>*>(out)->push_back(std::move(row));
            return 0;
        },
        &rows, &message);
    const std::string error = message ? message : "";
    sqlite3_free(message);
    sqlite3_close(db);
    INFO(sql << ": " << error);
    REQUIRE(rc == SQLITE_OK);
    return rows;
}

std::map<std::string, std::int64_t> counts_of(AgentStore& store) {
    auto counts = store.table_row_counts();
    REQUIRE(counts);
    return *counts;
}

}  // namespace

TEST_CASE("ingest_etl_file stores a trace under its file's SHA-256, and a second time changes nothing",
          "[store][ingest]") {
    bp::test::TempDir dir;
    const std::string trace = write_default_trace(dir, "boot.etl");
    auto store = AgentStore::open(dir.file("fp.db"));
    REQUIRE(store);

    IngestFileOptions options;
    options.labels = {"nightly", 1, "26100.1", "lab-01"};
    std::uint64_t progress_calls = 0;
    options.progress = [&](std::uint64_t done, std::uint64_t total) {
        ++progress_calls;
        CHECK(done <= total);
    };
    auto first = ingest_etl_file(*store, trace, options);
    INFO((first ? "" : first.error().describe()));
    REQUIRE(first);
    CHECK_FALSE(first->duplicate);
    CHECK(first->events > 65536);  // more than one poll of the duplicate check
    CHECK(first->counts.pool_rows > 0);
    CHECK(progress_calls > 0);
    auto digest = sha256_file(trace);
    REQUIRE(digest);
    CHECK(first->sha256 == *digest);
    auto stored = store->find_trace(*digest);
    REQUIRE(stored);
    CHECK(*stored == std::optional<std::int64_t>(first->trace_id));
    const auto before = counts_of(*store);
    CHECK(before.at("pool_allocations") == static_cast<std::int64_t>(first->counts.pool_rows));

    auto again = ingest_etl_file(*store, trace, options);
    REQUIRE(again);
    CHECK(again->duplicate);
    CHECK(again->trace_id == first->trace_id);
    CHECK(again->sha256 == *digest);
    CHECK(counts_of(*store) == before);

    // A copy under another name is the same trace; one more byte makes another.
    const std::string copy = dir.file("copy.etl");
    std::filesystem::copy_file(trace, copy);
    auto copied = ingest_etl_file(*store, copy, options);
    REQUIRE(copied);
    CHECK(copied->duplicate);
    CHECK(counts_of(*store) == before);
    std::ofstream(copy, std::ios::app | std::ios::binary) << '\0';
    auto other = ingest_etl_file(*store, copy, options);
    REQUIRE(other);
    CHECK_FALSE(other->duplicate);
    CHECK(other->trace_id != first->trace_id);
    CHECK(counts_of(*store).at("pool_allocations") == 2 * before.at("pool_allocations"));
}

TEST_CASE("ingest_etl_file names the file it cannot read and writes nothing", "[store][ingest]") {
    bp::test::TempDir dir;
    auto store = AgentStore::open(dir.file("fp.db"));
    REQUIRE(store);
    auto missing = ingest_etl_file(*store, dir.file("absent.etl"));
    REQUIRE_FALSE(missing);
    CHECK(missing.error().path == dir.file("absent.etl"));

    // Cut in the middle of a buffer: the analysis fails, the hash thread is waited for, nothing stays.
    const std::string trace = write_default_trace(dir, "boot.etl");
    std::filesystem::resize_file(trace, std::filesystem::file_size(trace) / 2 + 100);
    auto cut = ingest_etl_file(*store, trace);
    REQUIRE_FALSE(cut);
    CHECK(cut.error().path == trace);
    for (const auto& [table, n] : counts_of(*store)) {
        INFO(table);
        if (table != "attributions") CHECK(n == 0);
    }
}

TEST_CASE("an ingest begun without a sha256 gets it at commit and refuses a known one there",
          "[store][ingest]") {
    bp::test::TempDir dir;
    auto store = AgentStore::open(dir.file("fp.db"));
    REQUIRE(store);
    const TraceFacts known = facts("known");
    const std::int64_t known_id =
        ingest(*store, known, {pool_row("Abcd", "a.sys", true, 100, 1100, std::nullopt)});

    auto run_pending = [&](const std::string& name) {
        TraceFacts f = facts(name);
        f.sha256.clear();
        auto in = store->begin_ingest(f);
        REQUIRE(in);
        REQUIRE((*in)->on_pool_allocation(pool_row("Wxyz", "b.sys", false, 64, 1200, 1300)));
        REQUIRE((*in)->on_finish(info_for(f), {1000, 2000}));
        return std::move(*in);
    };

    SECTION("a known sha256: conflict, rolled back, the store as it was") {
        auto in = run_pending("again");
        CHECK(in->known_trace(known.sha256) == std::optional<std::int64_t>(known_id));
        CHECK_FALSE(in->known_trace(facts("fresh").sha256));
        auto committed = in->commit(known.sha256);
        REQUIRE_FALSE(committed);
        CHECK(committed.error().code == Errc::conflict);
        CHECK(committed.error().message.find("trace " + std::to_string(known_id)) != std::string::npos);
        in.reset();
        CHECK(counts_of(*store).at("traces") == 1);
        CHECK(counts_of(*store).at("pool_allocations") == 1);
    }
    SECTION("a new sha256: recorded, and the trace found under it") {
        auto in = run_pending("fresh");
        CHECK(in->commit("not hex").error().code == Errc::invalid_argument);
        const std::string digest = facts("fresh").sha256;
        REQUIRE(in->commit(digest));
        auto found = store->find_trace(digest);
        REQUIRE(found);
        CHECK(*found == std::optional<std::int64_t>(in->trace_id()));
        CHECK(counts_of(*store).at("pool_allocations") == 2);
    }
    SECTION("commit() without the sha256 is refused") {
        auto in = run_pending("forgot");
        auto committed = in->commit();
        REQUIRE_FALSE(committed);
        CHECK(committed.error().code == Errc::internal);
    }
}

TEST_CASE("rows written early and their late frees read back as the rows written complete", "[store][ingest]") {
    bp::test::TempDir dir;
    const std::string trace = write_default_trace(dir, "boot.etl");
    std::map<double, IngestFileOutcome> outcomes;
    for (double after : {0.0, 1.0}) {
        auto store = AgentStore::open(dir.file("fp-" + std::to_string(after) + ".db"));
        REQUIRE(store);
        IngestFileOptions options;
        options.send_open_after = after;
        auto out = ingest_etl_file(*store, trace, options);
        INFO((out ? "" : out.error().describe()));
        REQUIRE(out);
        outcomes[after] = *out;
    }
    const std::string complete = dir.file("fp-" + std::to_string(0.0) + ".db");
    const std::string early = dir.file("fp-" + std::to_string(1.0) + ".db");
    CHECK(outcomes[0.0].counts.late_frees == 0);
    CHECK(outcomes[1.0].counts.late_frees > 100);
    CHECK(outcomes[1.0].counts.pool_rows == outcomes[0.0].counts.pool_rows);
    const auto late = query(early, "SELECT count(*) FROM pool_late_frees");
    CHECK(late[0][0] == std::to_string(outcomes[1.0].counts.late_frees));
    // Early rows are stored open; each late free closes one of them.
    CHECK(query(early, "SELECT count(*) FROM pool_late_frees f JOIN pool_allocation_rows r USING (trace_id, id)"
                       " WHERE r.free_time IS NULL")[0][0] == late[0][0]);

    // The same lifetimes, whatever the order they were numbered in: every column but the id.
    const std::string lifetimes =
        "SELECT tag, pool_type, size, address, session_id, alloc_time, free_time, implicitly_freed, process_id,"
        " thread_id, alloc_stack_id, free_stack_id, module_id, attribution FROM pool_allocations";
    auto a = query(complete, lifetimes);
    auto b = query(early, lifetimes);
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    CHECK(a.size() == outcomes[0.0].counts.pool_rows);
    CHECK(a == b);
    // Still open at the end, in both: the same number of rows without a free.
    CHECK(query(complete, "SELECT count(*) FROM pool_allocations WHERE free_time IS NULL") ==
          query(early, "SELECT count(*) FROM pool_allocations WHERE free_time IS NULL"));

    // The pool table stored at ingest, and one summarized again from the rows for a window.
    const std::string table = "SELECT tag, module, paged, type, count, size, impacting_size, peak_outstanding,"
                              " attribution FROM pool_summary ORDER BY id";
    CHECK(query(complete, table) == query(early, table));
    CHECK(query(complete, table).size() > 10);
    PoolQuery window;
    window.from_seconds = 5;
    window.to_seconds = 30;
    auto from_complete = AgentStore::open(complete, {false});
    auto from_early = AgentStore::open(early, {false});
    REQUIRE(from_complete);
    REQUIRE(from_early);
    auto ta = from_complete->pool_table(window);
    auto tb = from_early->pool_table(window);
    REQUIRE(ta);
    REQUIRE(tb);
    REQUIRE(ta->size() == tb->size());
    REQUIRE_FALSE(ta->empty());
    for (std::size_t i = 0; i < ta->size(); ++i) {
        const auto& x = (*ta)[i].row;
        const auto& y = (*tb)[i].row;
        CHECK(std::tie(x.tag, x.module, x.paged, x.type, x.count, x.size, x.impacting_size, x.peak_outstanding) ==
              std::tie(y.tag, y.module, y.paged, y.type, y.count, y.size, y.impacting_size, y.peak_outstanding));
    }
}
