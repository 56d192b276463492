#include "bootprint/campaign/campaign_db.hpp"

#include <catch2/catch.hpp>

#include "bootprint/campaign/engine.hpp"
#include "bootprint/store/agent_store.hpp"
#include "support/process.hpp"

using namespace bp::campaign;

namespace {

class FixedClock final : public bp::host::Clock {
  public:
    std::int64_t now_us() override { return now += 1000; }
    void sleep_for(std::chrono::milliseconds) override {}
    std::int64_t now = 1'700'000'000'000'000;
};

CampaignSpec spec(const std::string& id) {
    CampaignSpec s;
    s.id = id;
    s.build = "26100.1";
    s.iterations = 2;
    s.pool_tags = {"Aaaa", "Bbbb", "Cccc", "Dddd", "Eeee"};  // two profiles of ≤ 4 tags
    s.disable_paging_executive = true;
    return s;
}

struct Db {
    bp::test::TempDir dir;
    bp::store::AgentStore store = std::move(bp::store::AgentStore::open(dir.file("agent.db")).value());
    CampaignDb db = std::move(CampaignDb::open(dir.file("agent.db")).value());
};

}  // namespace

TEST_CASE("campaign db: the spec round-trips through JSON and validates its id") {
    CampaignSpec s = spec("nightly-1");
    s.labels["lab"] = "b43";
    s.settle.max_delay_ms = 60'000;
    auto back = CampaignSpec::from_json(s.to_json());
    REQUIRE(back);
    CHECK(back->to_json() == s.to_json());
    CHECK(s.validate());
    s.id = "../etc";
    CHECK_FALSE(s.validate());
    s.id = "ok";
    s.build.clear();
    CHECK_FALSE(s.validate());
}

TEST_CASE("campaign db: start creates one iteration row per (tag group, iteration)") {
    Db t;
    FixedClock clock;
    auto c = start_campaign(t.db, spec("c1"), "lab-7", clock);
    REQUIRE(c);
    CHECK(c->total_iterations == 4);
    auto rows = t.db.iterations("c1");
    REQUIRE(rows);
    REQUIRE(rows->size() == 4);
    CHECK((*rows)[0].tag_group == 1);
    CHECK((*rows)[1].iteration == 2);
    CHECK((*rows)[2].tag_group == 2);
    CHECK((*rows)[2].pool_tags == std::vector<std::string>{"Eeee"});
    CHECK((*rows)[2].selector != (*rows)[0].selector);
    auto active = t.db.active();
    REQUIRE(active);
    REQUIRE(active->has_value());
    CHECK((*active)->spec.machine == "lab-7");
    // One unfinished campaign at a time; ids are never reused.
    auto second = start_campaign(t.db, spec("c2"), "lab-7", clock);
    REQUIRE_FALSE(second);
    CHECK(second.error().code == bp::Errc::conflict);
}

TEST_CASE("campaign db: a transition commits only from the state it expects, and is logged") {
    Db t;
    FixedClock clock;
    auto c = start_campaign(t.db, spec("c1"), "m", clock);
    REQUIRE(c);
    std::vector<std::string> points;
    t.db.set_checkpoint([&](std::string_view p) { points.emplace_back(p); });
    CampaignRecord next = *c;
    next.state = State::prepared;
    next.dpe.original_read = true;
    next.dpe.original = 0;
    REQUIRE(t.db.commit(State::created, next, nullptr, "prepared", "boot-1", clock.now_us()));
    CHECK(points == std::vector<std::string>{"transition:1:before", "transition:1:after"});
    // A second process that still believes the campaign is 'created' is refused.
    auto stale = t.db.commit(State::created, next, nullptr, "again", "boot-1", clock.now_us());
    REQUIRE_FALSE(stale);
    CHECK(stale.error().code == bp::Errc::conflict);
    auto log = t.db.transitions("c1");
    REQUIRE(log);
    REQUIRE(log->size() == 2);
    CHECK((*log)[1].from == "created");
    CHECK((*log)[1].to == "prepared");
    auto found = t.db.find("c1");
    REQUIRE(found);
    CHECK((*found)->dpe.original == 0u);
    CHECK((*found)->state == State::prepared);
}

TEST_CASE("campaign db: enqueueing a result twice keeps one copy") {
    Db t;
    FixedClock clock;
    REQUIRE(start_campaign(t.db, spec("c1"), "m", clock));
    DbResultSink sink(t.db, clock);
    REQUIRE(sink.enqueue({"m/c1/1/abc", "c1", 1, "{\"a\":1}"}));
    REQUIRE(sink.enqueue({"m/c1/1/abc", "c1", 1, "{\"a\":2}"}));
    auto results = t.db.results("c1");
    REQUIRE(results);
    REQUIRE(results->size() == 1);
    CHECK(results->front().report == "{\"a\":1}");
}

TEST_CASE(
    "campaign db: attempts are counted outside the state machine and cancel needs an unfinished campaign") {
    Db t;
    FixedClock clock;
    REQUIRE(start_campaign(t.db, spec("c1"), "m", clock));
    REQUIRE(t.db.record_attempt("c1", 2, "wpr -addboot failed", clock.now_us()));
    auto c = t.db.find("c1");
    REQUIRE(c);
    CHECK((*c)->step_attempts == 2);
    CHECK((*c)->last_error == "wpr -addboot failed");
    REQUIRE(t.db.request_cancel("c1", clock.now_us()));
    CHECK((*t.db.find("c1"))->cancel_requested);
    CHECK_FALSE(t.db.request_cancel("nope", clock.now_us()));
}
