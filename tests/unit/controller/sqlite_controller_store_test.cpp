#include "bootprint/controller/sqlite_controller_store.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <atomic>
#include <thread>

#include "bootprint/controller/auth.hpp"
#include "bootprint/controller/report_facts.hpp"
#include "bootprint/report/report.hpp"
#include "support/controller_support.hpp"
#include "support/process.hpp"

using namespace bp::controller;

namespace {

ReportFacts facts_of(const bp::test::GeneratedReport& r) {
    auto doc = bp::report::parse_report(r.body);
    REQUIRE(doc);
    auto f = report_facts(*doc, r.body);
    REQUIRE(f);
    return *f;
}

}  // namespace

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

TEST_CASE("two store instances on one file, racing threads: every report is stored exactly once") {
    bp::test::TempDir dir;
    auto s1 = SqliteControllerStore::open(dir.file("c.db"));
    REQUIRE(s1);
    auto s2 = SqliteControllerStore::open(dir.file("c.db"));
    REQUIRE(s2);
    auto id = (*s1)->enrol({"lab-01", "lab", "", ""}, "h1", 1);
    REQUIRE(id);
    std::vector<ReportFacts> facts;
    for (int i = 0; i < 40; ++i) facts.push_back(facts_of(bp::test::make_report("1", "lab-01", "c", "b", i)));
    std::atomic<int> stored{0}, duplicates{0}, failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            ControllerStore& store = t % 2 == 0 ? static_cast<ControllerStore&>(**s1) : **s2;
            for (const ReportFacts& f : facts) {
                auto r = store.store_report(*id, f, 1000);
                if (!r) {
                    ++failures;
                } else if (r->outcome == StoreOutcome::stored) {
                    ++stored;
                } else if (r->outcome == StoreOutcome::duplicate) {
                    ++duplicates;
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(failures == 0);
    CHECK(stored == 40);
    CHECK(duplicates == 120);
    auto rows = (*s1)->row_counts();
    REQUIRE(rows);
    CHECK(rows->at("reports") == 40);
    CHECK(rows->at("samples") == 40 * 16);
    CHECK(rows->at("campaigns") == 1);
}

TEST_CASE("two instances claiming the same slot create one job") {
    bp::test::TempDir dir;
    auto s1 = SqliteControllerStore::open(dir.file("c.db"));
    REQUIRE(s1);
    auto s2 = SqliteControllerStore::open(dir.file("c.db"));
    REQUIRE(s2);
    auto id = (*s1)->enrol({"lab-01", "lab", "", ""}, "h1", 1);
    REQUIRE(id);
    REQUIRE((*s1)->put_template("nightly", R"({"tags":["Ntfx"]})", 1));
    AssignmentRecord a;
    a.template_name = "nightly";
    a.group = "lab";
    a.schedule = "every 10 minutes";
    a.not_before = 0;
    REQUIRE((*s1)->assign(a, 1));
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            ControllerStore& store = t % 2 == 0 ? static_cast<ControllerStore&>(**s1) : **s2;
            for (int i = 0; i < 20; ++i) {
                auto jobs = store.claim_due_jobs(*id, 6000 + i);
                if (!jobs || jobs->size() != 1) ++failures;
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(failures == 0);
    auto rows = (*s1)->row_counts();
    REQUIRE(rows);
    CHECK(rows->at("jobs") == 1);
}
