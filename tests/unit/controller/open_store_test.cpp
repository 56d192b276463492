#include "bootprint/controller/open_store.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "bootprint/controller/auth.hpp"
#include "bootprint/controller/report_facts.hpp"
#include "bootprint/report/report.hpp"
#include "support/controller_support.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

// The store contract, on whichever store BOOTPRINT_TEST_POSTGRES selects (SQLite when unset): ctest
// runs this file once per store.

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

TEST_CASE("store locations: sqlite:PATH or postgresql://, anything else is refused with both forms named") {
    auto sqlite = parse_store_location("sqlite:/var/lib/bootprint/c.db");
    REQUIRE(sqlite);
    CHECK(sqlite->kind == StoreKind::sqlite);
    CHECK(sqlite->target == "/var/lib/bootprint/c.db");
    auto pg = parse_store_location("postgresql://bp@db.lab:5433/bootprint?sslmode=require");
    REQUIRE(pg);
    CHECK(pg->kind == StoreKind::postgresql);
    CHECK(pg->target == "postgresql://bp@db.lab:5433/bootprint?sslmode=require");
    CHECK(parse_store_location("postgres://db/x"));
    for (const char* bad : {"", "sqlite:", "controller.db", "mysql://db/x", "postgresql:/db"}) {
        auto r = parse_store_location(bad);
        INFO(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == bp::Errc::invalid_argument);
        CHECK(r.error().message.find("sqlite:PATH or postgresql://") != std::string::npos);
    }
    CHECK(redacted_location("postgresql://bp:s3cret@db/x") == "postgresql://bp:***@db/x");
    CHECK(redacted_location("postgresql://bp@db/x") == "postgresql://bp@db/x");
    CHECK(redacted_location("sqlite:/a:b@c") == "sqlite:/a:b@c");
}

TEST_CASE("tokens are stored hashed, revocation refuses them, a disabled machine cannot enrol") {
    bp::test::TempDir dir;
    bp::test::TestStore where(dir.path().string());
    auto store = open_store(where.location(), {});
    REQUIRE(store);
    auto token = generate_token();
    REQUIRE(token);
    auto id = (*store)->enrol({"lab-01", "lab", "0.1", "26100"}, token_hash(*token), 100);
    REQUIRE(id);
    auto who = (*store)->authenticate(token_hash(*token));
    REQUIRE(who);
    REQUIRE(*who);
    CHECK((*who)->info.machine == "lab-01");
    CHECK((*who)->info.group == "lab");
    CHECK_FALSE(*(*store)->authenticate(*token));  // the raw token is not what is stored
    // Re-enrolment retires the first token.
    auto again = (*store)->enrol({"lab-01", "lab", "0.2", "26100"}, "second-hash", 150);
    REQUIRE(again);
    CHECK(*again == *id);
    CHECK_FALSE(*(*store)->authenticate(token_hash(*token)));
    REQUIRE(*(*store)->authenticate("second-hash"));
    REQUIRE((*store)->revoke(*id, true, 200));
    CHECK_FALSE(*(*store)->authenticate("second-hash"));
    auto refused = (*store)->enrol({"lab-01", "lab", "", ""}, "third-hash", 300);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == bp::Errc::conflict);
    CHECK((*store)->revoke(9999, false, 1).error().code == bp::Errc::not_found);
    auto all = (*store)->agents();
    REQUIRE(all);
    REQUIRE(all->size() == 1);
    CHECK(all->front().disabled);
    CHECK(all->front().valid_tokens == 0);
}

TEST_CASE("reports: stored once, a retry is a duplicate, another body under the key a conflict, history reads back") {
    bp::test::TempDir dir;
    bp::test::TestStore where(dir.path().string());
    auto store = open_store(where.location(), {});
    REQUIRE(store);
    auto id = (*store)->enrol({"lab-01", "lab", "", ""}, "h1", 1);
    REQUIRE(id);
    for (int i = 0; i < 3; ++i) {
        auto r = (*store)->store_report(*id, facts_of(bp::test::make_report("1", "lab-01", "c1", "b1", i)), 1000 + i);
        REQUIRE(r);
        CHECK(r->outcome == StoreOutcome::stored);
    }
    const ReportFacts first = facts_of(bp::test::make_report("1", "lab-01", "c1", "b1", 0));
    auto retry = (*store)->store_report(*id, first, 2000);
    REQUIRE(retry);
    CHECK(retry->outcome == StoreOutcome::duplicate);
    ReportFacts other = first;
    other.body_sha256 = std::string(64, 'f');
    auto conflict = (*store)->store_report(*id, other, 2000);
    REQUIRE(conflict);
    CHECK(conflict->outcome == StoreOutcome::conflict);
    CHECK(conflict->report_id == retry->report_id);

    auto q = SeriesQuery::of("tag", "Ntfx", "impacting_size");
    auto points = (*store)->series(q);
    REQUIRE(points);
    REQUIRE(points->size() == 1);
    CHECK(points->front().spread.n == 3);
    CHECK(points->front().spread.median == 101000.0);
    CHECK(points->front().spread.min == 100000.0);
    CHECK(points->front().spread.max == 102000.0);
    CHECK(points->front().machine == "lab-01");
    CHECK(points->front().build == "b1");
    CHECK(points->front().campaign == "c1");
    q.machine = "no-such-machine";
    CHECK((*store)->series(q)->empty());
    q.machine.reset();
    q.build = "b1";
    CHECK((*store)->series(q)->size() == 1);
    q.build = "b2";
    CHECK((*store)->series(q)->empty());
    auto keys = (*store)->series_keys("tag", "impacting_size");
    REQUIRE(keys);
    CHECK(*keys == std::vector<std::string>{"Irp ", "Ntfx"});
    ReportQuery rq;
    rq.machine = "lab-01";
    rq.limit = 2;
    auto rows = (*store)->reports(rq);
    REQUIRE(rows);
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[0].iteration == 0);
    CHECK((*rows)[1].iteration == 1);
    auto counts = (*store)->row_counts();
    REQUIRE(counts);
    CHECK(counts->at("reports") == 3);
    CHECK(counts->at("builds") == 1);
}

TEST_CASE("two store instances on one database, racing threads: every report is stored exactly once") {
    bp::test::TempDir dir;
    bp::test::TestStore where(dir.path().string());
    auto s1 = open_store(where.location(), {});
    REQUIRE(s1);
    auto s2 = open_store(where.location(), {});
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
    bp::test::TestStore where(dir.path().string());
    auto s1 = open_store(where.location(), {});
    REQUIRE(s1);
    auto s2 = open_store(where.location(), {});
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

// Uploads from many threads on one store (on SQLite they are committed in groups): each report gets
// its own outcome, a conflicting key fails alone without taking the other reports of its group with
// it, and every stored report's samples are readable.
TEST_CASE("concurrent uploads on one store: own outcomes, a conflict fails alone, nothing doubled") {
    bp::test::TempDir dir;
    bp::test::TestStore where(dir.path().string());
    auto store = open_store(where.location(), {});
    REQUIRE(store);
    std::vector<std::int64_t> agents;
    for (int m = 0; m < 8; ++m) {
        auto id = (*store)->enrol({"lab-" + std::to_string(m), "lab", "", ""}, "h" + std::to_string(m), 1);
        REQUIRE(id);
        agents.push_back(*id);
    }
    constexpr int kReports = 25;
    std::atomic<int> stored{0}, duplicates{0}, conflicts{0}, failures{0};
    std::vector<std::thread> threads;
    for (int m = 0; m < 8; ++m) {
        threads.emplace_back([&, m] {
            const std::string machine = "lab-" + std::to_string(m);
            for (int i = 0; i < kReports; ++i) {
                ReportFacts f = facts_of(bp::test::make_report(std::to_string(m), machine, "night", "b1", i));
                // Every report twice (a retry), and machine 0 also sends a different body under the key
                // of its report 3 (a conflict).
                for (int attempt = 0; attempt < (m == 0 && i == 3 ? 3 : 2); ++attempt) {
                    if (attempt == 2) f.body_sha256 = std::string(64, 'e');
                    auto r = (*store)->store_report(agents[static_cast<std::size_t>(m)], f, 1000 + i);
                    if (!r) ++failures;
                    else if (r->outcome == StoreOutcome::stored) ++stored;
                    else if (r->outcome == StoreOutcome::duplicate) ++duplicates;
                    else if (r->outcome == StoreOutcome::conflict) ++conflicts;
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(failures == 0);
    CHECK(stored == 8 * kReports);
    CHECK(duplicates == 8 * kReports);
    CHECK(conflicts == 1);
    auto rows = (*store)->row_counts();
    REQUIRE(rows);
    CHECK(rows->at("reports") == 8 * kReports);
    CHECK(rows->at("samples") == 8 * kReports * 16);
    // One machine's series: every iteration of its campaign, once.
    auto q = SeriesQuery::of("tag", "Ntfx", "impacting_size");
    q.machine = "lab-5";
    auto series = (*store)->series(q);
    REQUIRE(series);
    REQUIRE(series->size() == 1);
    CHECK(series->front().spread.n == static_cast<std::size_t>(kReports));
}
