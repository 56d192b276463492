#include "bootprint/report/outbox.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <cmath>
#include <map>
#include <set>

#include "support/process.hpp"

using bp::report::Outbox;
using bp::report::UploadOutcome;

namespace {

// A controller stand-in: stores keys once, or fails as told.
class FakeSink : public bp::report::ReportSink {
public:
    bp::Result<UploadOutcome> upload(const std::string& key, const std::string&) override {
        ++calls;
        if (down) return bp::make_error(bp::Errc::io, "connect: connection refused");
        if (reject.contains(key)) return bp::make_error(bp::Errc::invalid_argument, "HTTP 400: invalid report");
        return stored.insert(key).second ? UploadOutcome::stored : UploadOutcome::duplicate;
    }
    bool down = false;
    std::set<std::string> reject;
    std::set<std::string> stored;
    int calls = 0;
};

struct Fixture {
    bp::test::TempDir dir;
    std::int64_t now = 1'700'000'000'000;
    Outbox::Options options() {
        Outbox::Options o;
        o.now_ms = [this] { return now; };
        o.seed = 42;
        o.backoff.initial = std::chrono::milliseconds(1000);
        o.backoff.max = std::chrono::milliseconds(60000);
        return o;
    }
};

}  // namespace

TEST_CASE("backoff grows exponentially with jitter between d/2 and d and is capped") {
    std::mt19937_64 rng(1);
    bp::report::BackoffPolicy p;
    p.initial = std::chrono::milliseconds(1000);
    p.max = std::chrono::milliseconds(30000);
    for (int attempt = 1; attempt <= 12; ++attempt) {
        const double d = std::min(30000.0, 1000.0 * std::pow(2.0, attempt - 1));
        for (int i = 0; i < 50; ++i) {
            const auto ms = bp::report::backoff_delay(p, attempt, rng).count();
            CHECK(ms >= static_cast<std::int64_t>(d / 2));
            CHECK(ms <= static_cast<std::int64_t>(d));
        }
    }
}

TEST_CASE_METHOD(Fixture, "enqueue is idempotent per key and survives reopening") {
    {
        auto box = Outbox::open(dir.file("outbox.db"), options());
        REQUIRE(box);
        CHECK(*box->enqueue("k-00000001", "{\"a\":1}"));
        CHECK_FALSE(*box->enqueue("k-00000001", "{\"a\":1}"));
        CHECK(*box->enqueue("k-00000002", "{\"a\":2}"));
        CHECK(*box->pending_count() == 2);
    }
    auto again = Outbox::open(dir.file("outbox.db"), options());
    REQUIRE(again);
    CHECK(*again->pending_count() == 2);
    auto items = again->items();
    REQUIRE(items);
    REQUIRE(items->size() == 2);
    CHECK((*items)[0].key == "k-00000001");
    CHECK((*items)[1].body == "{\"a\":2}");
}

TEST_CASE_METHOD(Fixture, "drain delivers in order, marks delivered, and never re-sends") {
    auto box = Outbox::open(dir.file("outbox.db"), options());
    REQUIRE(box);
    for (int i = 0; i < 5; ++i) REQUIRE(*box->enqueue("key-" + std::to_string(i) + "-xxxx", "{}"));
    FakeSink sink;
    auto stats = box->drain(sink);
    REQUIRE(stats);
    CHECK(stats->stored == 5);
    CHECK(stats->pending == 0);
    CHECK(sink.calls == 5);
    auto again = box->drain(sink);
    REQUIRE(again);
    CHECK(sink.calls == 5);
    // A delivered key cannot be queued again (until pruned).
    CHECK_FALSE(*box->enqueue("key-0-xxxx", "{}"));
    now += 3600'000;
    CHECK(*box->prune_delivered(std::chrono::minutes(1)) == 5);
    CHECK(*box->enqueue("key-0-xxxx", "{}"));
}

TEST_CASE_METHOD(Fixture, "a transient failure stops the drain and schedules a retry with backoff") {
    auto box = Outbox::open(dir.file("outbox.db"), options());
    REQUIRE(box);
    REQUIRE(*box->enqueue("a-key-0001", "{}"));
    REQUIRE(*box->enqueue("a-key-0002", "{}"));
    FakeSink sink;
    sink.down = true;
    auto s1 = box->drain(sink);
    REQUIRE(s1);
    CHECK(s1->failed == 1);
    CHECK(sink.calls == 1);  // it did not hammer the controller with the rest of the queue
    CHECK(s1->pending == 2);
    CHECK(s1->retry_after.count() >= 0);
    // Not due yet: nothing is sent.
    auto s2 = box->drain(sink);
    REQUIRE(s2);
    CHECK(sink.calls == 1 + (s1->retry_after.count() == 0 ? 1 : 0));
    // The controller comes back; after the delay everything goes, once.
    sink.down = false;
    now += 120'000;
    auto s3 = box->drain(sink);
    REQUIRE(s3);
    CHECK(s3->stored == 2);
    CHECK(s3->pending == 0);
    auto items = box->items("delivered");
    REQUIRE(items);
    CHECK(items->size() == 2);
    CHECK((*items)[0].attempts == 2);
}

TEST_CASE_METHOD(Fixture, "a lost acknowledgement is repaired by the controller's duplicate answer") {
    auto box = Outbox::open(dir.file("outbox.db"), options());
    REQUIRE(box);
    REQUIRE(*box->enqueue("dup-key-01", "{}"));
    FakeSink sink;
    sink.stored.insert("dup-key-01");  // stored by an attempt whose reply never arrived
    auto s = box->drain(sink);
    REQUIRE(s);
    CHECK(s->duplicates == 1);
    CHECK(s->pending == 0);
}

TEST_CASE_METHOD(Fixture, "a permanently refused report is kept as rejected, and the rest still goes") {
    auto box = Outbox::open(dir.file("outbox.db"), options());
    REQUIRE(box);
    REQUIRE(*box->enqueue("bad-key-01", "{}"));
    REQUIRE(*box->enqueue("good-key-1", "{}"));
    FakeSink sink;
    sink.reject.insert("bad-key-01");
    auto s = box->drain(sink);
    REQUIRE(s);
    CHECK(s->rejected == 1);
    CHECK(s->stored == 1);
    auto rejected = box->items("rejected");
    REQUIRE(rejected);
    REQUIRE(rejected->size() == 1);
    CHECK((*rejected)[0].last_error.find("HTTP 400") != std::string::npos);
}

TEST_CASE("an outbox file that is some other database is refused") {
    bp::test::TempDir dir;
    const std::string path = dir.file("foreign.db");
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE t (x)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto box = Outbox::open(path);
    REQUIRE_FALSE(box);
    CHECK(box.error().code == bp::Errc::conflict);
    CHECK_FALSE(Outbox::open(""));
}
