#include "bootprint/controller/sqlite_controller_store.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <fstream>
#include <iterator>

#include "bootprint/controller/auth.hpp"
#include "support/process.hpp"

using namespace bp::controller;

TEST_CASE("the schema is migrated once and a newer or foreign database is refused") {
    bp::test::TempDir dir;
    {
        auto s = SqliteControllerStore::open(dir.file("c.db"));
        REQUIRE(s);
    }
    auto again = SqliteControllerStore::open(dir.file("c.db"));
    REQUIRE(again);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(dir.file("c.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto newer = SqliteControllerStore::open(dir.file("c.db"));
    REQUIRE_FALSE(newer);
    CHECK(newer.error().code == bp::Errc::unsupported);
    REQUIRE(sqlite3_open(dir.file("f.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE x (y)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto foreign = SqliteControllerStore::open(dir.file("f.db"));
    REQUIRE_FALSE(foreign);
    CHECK(foreign.error().code == bp::Errc::conflict);
}

TEST_CASE("tokens are stored hashed, revocation refuses them") {
    bp::test::TempDir dir;
    auto store = SqliteControllerStore::open(dir.file("c.db"));
    REQUIRE(store);
    auto token = generate_token();
    REQUIRE(token);
    auto id = (*store)->enrol({"lab-01", "lab", "0.1", "26100"}, token_hash(*token), 100);
    REQUIRE(id);
    auto who = (*store)->authenticate(token_hash(*token));
    REQUIRE(who);
    REQUIRE(*who);
    CHECK((*who)->info.machine == "lab-01");
    CHECK_FALSE(*(*store)->authenticate(*token));  // the raw token is not what is stored
    REQUIRE((*store)->revoke(*id, false, 200));
    CHECK_FALSE(*(*store)->authenticate(token_hash(*token)));
}

TEST_CASE("tokens: random, base64url, and compared in constant time") {
    auto a = generate_token();
    auto b = generate_token();
    REQUIRE(a);
    REQUIRE(b);
    CHECK(*a != *b);
    CHECK(a->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos);
    CHECK(token_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(constant_time_equal("abc", "abc"));
    CHECK_FALSE(constant_time_equal("abc", "abd"));
    CHECK_FALSE(constant_time_equal("abc", "abcd"));
    CHECK(bearer_token("Bearer xyz") == "xyz");
    CHECK(bearer_token("bearer  xyz ") == "xyz");
    CHECK(bearer_token("Basic xyz").empty());
    CHECK(bearer_token("Bearer ").empty());
}

namespace {
std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
}  // namespace

// A database written by the previous schema (samples clustered by series, version 2) is upgraded in
// place: every sample kept, and each query reads it through the new layout.
TEST_CASE("a version-2 database is upgraded: samples re-clustered by machine, every query still answers") {
    bp::test::TempDir dir;
    const std::string path = dir.file("v2.db");
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    const std::string schema = std::string(BOOTPRINT_SOURCE_DIR) + "/schema/controller/";
    for (const char* file : {"001_initial.sql", "002_regressions.sql"}) {
        INFO(file);
        REQUIRE(sqlite3_exec(db, read_text(schema + file).c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    }
    // Two machines, two builds, two series; one report per (machine, build) night, 3 iterations.
    const char* fill = R"(
        PRAGMA user_version = 2;
        INSERT INTO agents (id, machine, machine_group, enrolled_at, last_seen_at) VALUES (1, 'lab-01', 'lab', 0, 0), (2, 'lab-02', 'lab', 0, 0);
        INSERT INTO builds (id, name) VALUES (1, 'b1'), (2, 'b2');
        INSERT INTO series (id, kind, key, metric) VALUES (1, 'tag', 'Ntfx', 'impacting_size'), (2, 'driver', 'ACPI.sys', 'active_bytes');
        INSERT INTO campaigns (id, agent_id, name, build_id, first_time) VALUES
            (1, 1, 'n1', 1, 1000), (2, 2, 'n1', 1, 1000), (3, 1, 'n2', 2, 90000), (4, 2, 'n2', 2, 90000);
        WITH RECURSIVE it(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM it WHERE i < 2)
        INSERT INTO reports (id, idempotency_key, body_sha256, agent_id, campaign_id, build_id, iteration,
                             schema_version, time, received_at, body)
        SELECT c.id * 10 + i, 'k' || (c.id * 10 + i), '', c.agent_id, c.id, c.build_id, i, 1, c.first_time + 60 * i, 0, '{}'
        FROM campaigns c, it;
        INSERT INTO samples (series_id, agent_id, time, report_id, campaign_id, build_id, value)
        SELECT s.id, r.agent_id, r.time, r.id, r.campaign_id, r.build_id, 1000 * s.id + 100 * r.build_id + r.iteration
        FROM reports r, series s;
    )";
    REQUIRE(sqlite3_exec(db, fill, nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);

    auto store = SqliteControllerStore::open(path);
    REQUIRE(store);
    auto counts = (*store)->row_counts();
    REQUIRE(counts);
    CHECK(counts->at("samples") == 2 * 4 * 3);

    auto one = SeriesQuery::of("tag", "Ntfx", "impacting_size");  // one machine
    one.machine = "lab-02";
    auto a = (*store)->series(one);
    REQUIRE(a);
    REQUIRE(a->size() == 2);
    CHECK(a->at(0).build == "b1");
    CHECK(a->at(0).spread.median == 1101);
    CHECK(a->at(1).build == "b2");
    CHECK(a->at(1).spread.median == 1201);

    auto build = SeriesQuery::of("driver", "ACPI.sys", "active_bytes");  // all machines, one build
    build.build = "b2";
    auto b = (*store)->series(build);
    REQUIRE(b);
    REQUIRE(b->size() == 2);
    for (const auto& p : *b) {
        CHECK(p.build == "b2");
        CHECK(p.spread.n == 3);
        CHECK(p.spread.min == 2200);
        CHECK(p.spread.max == 2202);
    }

    auto range = SeriesQuery::of("tag", "Ntfx", "impacting_size");  // all machines over a date range: the first night only
    range.from = 0;
    range.to = 50000;
    auto c = (*store)->series(range);
    REQUIRE(c);
    REQUIRE(c->size() == 2);
    for (const auto& p : *c) CHECK(p.build == "b1");

    BuildSamplesQuery compare;  // every series of build b1 on lab-01
    compare.build = "b1";
    compare.machine = "lab-01";
    auto d = (*store)->build_samples(compare);
    REQUIRE(d);
    CHECK(d->report_ids.size() == 3);
    CHECK(d->samples.size() == 6);
    for (const auto& s : d->samples) CHECK(s.value / 100 % 10 == 1);
}
