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
