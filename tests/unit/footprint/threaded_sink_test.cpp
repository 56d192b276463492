#include "bootprint/footprint/threaded_sink.hpp"

#include <catch2/catch.hpp>

#include "bootprint/footprint/memory_sink.hpp"

using namespace bp;

namespace {
// Fails on the n-th pool row.
class FailingSink final : public footprint::FootprintSink {
public:
    explicit FailingSink(std::size_t fail_at) : fail_at_(fail_at) {}
    Status on_image(const footprint::Image&) override { return {}; }
    Status on_stack(const footprint::Stack&) override { return {}; }
    Status on_pool_allocation(const footprint::PoolAllocation&) override {
        if (++rows == fail_at_) return make_error(Errc::database, "disk full");
        return {};
    }
    Status on_pool_snap(const footprint::PoolSnapRow&) override { return {}; }
    Status on_resident(const footprint::ResidentRow&) override { return {}; }
    Status on_meminfo(const footprint::MemInfoSample&) override { return {}; }
    Status on_finish(const footprint::TraceInfo&, const footprint::Window&) override {
        finished = true;
        return {};
    }
    std::size_t rows = 0;
    bool finished = false;

private:
    std::size_t fail_at_;
};
}  // namespace

TEST_CASE("ThreadedSink delivers every row in order and finishes after the queue drains", "[footprint][threads]") {
    footprint::MemorySink inner;
    {
        footprint::ThreadedSink threaded(inner, 7, 2);  // tiny batches and queue: many hand-overs
        for (std::uint32_t i = 0; i < 10'000; ++i) {
            footprint::PoolAllocation row;
            row.address = i;
            REQUIRE(threaded.on_pool_allocation(row));
            if (i % 1000 == 0) {
                footprint::Stack st;
                st.id = i;
                REQUIRE(threaded.on_stack(st));
            }
        }
        footprint::ResidentRow r;
        r.pages = 3;
        REQUIRE(threaded.on_resident(r));
        footprint::TraceInfo info;
        info.events = 42;
        REQUIRE(threaded.on_finish(info, {1, 2}));
        CHECK(inner.info.events == 42);  // on_finish ran after every row
        REQUIRE(inner.pool.size() == 10'000);
    }
    for (std::uint32_t i = 0; i < 10'000; ++i) REQUIRE(inner.pool[i].address == i);
    CHECK(inner.stacks.size() == 10);
    CHECK(inner.resident.size() == 1);
}

TEST_CASE("ThreadedSink stops at the inner sink's first error and reports it", "[footprint][threads]") {
    FailingSink inner(500);
    footprint::ThreadedSink threaded(inner, 16, 2);
    Status last;
    for (int i = 0; i < 5000 && last; ++i) last = threaded.on_pool_allocation({});
    const Status finish = threaded.on_finish({}, {});
    REQUIRE_FALSE(finish);
    CHECK(finish.error().message == "disk full");
    CHECK_FALSE(inner.finished);
    CHECK(inner.rows == 500);  // nothing reached the sink after its error
}

namespace {
// Records the kind of each pool call, in order.
class PoolCallLog final : public footprint::FootprintSink {
public:
    Status on_image(const footprint::Image&) override { return {}; }
    Status on_stack(const footprint::Stack&) override { return {}; }
    Status on_pool_allocation(const footprint::PoolAllocation& row) override { return log('a', row); }
    Status on_pool_open(const footprint::PoolAllocation& row) override { return log('o', row); }
    Status on_pool_closed(const footprint::PoolAllocation& row) override { return log('c', row); }
    Status on_pool_snap(const footprint::PoolSnapRow&) override { return {}; }
    Status on_resident(const footprint::ResidentRow&) override { return {}; }
    Status on_meminfo(const footprint::MemInfoSample&) override { return {}; }
    Status on_finish(const footprint::TraceInfo&, const footprint::Window&) override { return {}; }
    bool wants_unchanged_closes() const override { return wants_unchanged; }
    std::string calls;
    std::vector<std::uint64_t> rows;
    bool wants_unchanged = true;

private:
    Status log(char kind, const footprint::PoolAllocation& row) {
        calls += kind;
        rows.push_back(row.row);
        return {};
    }
};
}  // namespace

TEST_CASE("ThreadedSink passes early rows and their complete forms on, and feeds only complete rows to the table",
          "[footprint][threads]") {
    PoolCallLog inner;
    const bool wants_unchanged = GENERATE(true, false);
    inner.wants_unchanged = wants_unchanged;
    auto table = std::make_shared<footprint::WholeTracePoolTable>();
    {
        footprint::ThreadedSink threaded(inner, 3, 2);
        threaded.feed_on_this_thread(table);
        footprint::PoolAllocation row;
        row.tag = 0x41414141;
        row.size = 100;
        row.alloc_time = 10;
        row.row = 1;
        REQUIRE(threaded.on_pool_open(row));  // 1 sent early, open
        footprint::PoolAllocation other = row;
        other.row = 2;
        other.freed = true;
        other.free_time = 12;
        REQUIRE(threaded.on_pool_allocation(other));  // 2 complete at once
        row.freed = true;
        row.free_time = 30;
        REQUIRE(threaded.on_pool_closed(row));  // 1 complete: freed later
        footprint::PoolAllocation stays = other;
        stays.row = 3;
        stays.freed = false;
        stays.free_time = 0;
        REQUIRE(threaded.on_pool_open(stays));    // 3 sent early
        REQUIRE(threaded.on_pool_closed(stays));  // ... and still open at the end
        CHECK(threaded.wants_unchanged_closes());  // it feeds the table
        REQUIRE(threaded.on_finish({}, {0, 100}));
    }
    // The unchanged close of 3 reaches the inner sink only if it wants it.
    CHECK(inner.calls == (wants_unchanged ? "oacoc" : "oaco"));
    CHECK(inner.rows == (wants_unchanged ? std::vector<std::uint64_t>{1, 2, 1, 3, 3} : std::vector<std::uint64_t>{1, 2, 1, 3}));
    // The table saw each complete row once: 2 and 1 freed inside the window (AIFI; the early form of 1
    // would have made an AIFO row), 3 still allocated (AIFO), whatever the inner sink wanted.
    auto summary = table->finish({0, 100});
    REQUIRE(summary);
    REQUIRE(summary->size() == 2);
    for (const auto& group : *summary) {
        if (group.type == footprint::PoolLifetimeType::aifi) {
            CHECK(group.count == 2);
            CHECK(group.peak_outstanding == 200);
        } else {
            CHECK(group.type == footprint::PoolLifetimeType::aifo);
            CHECK(group.count == 1);
        }
    }
}

TEST_CASE("a sink that ignores early rows gets each row once, complete", "[footprint]") {
    footprint::MemorySink sink;
    footprint::PoolAllocation row;
    row.row = 1;
    REQUIRE(sink.on_pool_open(row));
    CHECK(sink.pool.empty());
    row.freed = true;
    REQUIRE(sink.on_pool_closed(row));
    REQUIRE(sink.pool.size() == 1);
    CHECK(sink.pool[0].freed);
}
