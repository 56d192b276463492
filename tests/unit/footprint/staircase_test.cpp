// The streaming peak of PoolSummarizer (Staircase) against the plain sweep over every (time, ±size).
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <tuple>
#include <vector>

#include "bootprint/footprint/summary.hpp"

using bp::footprint::PoolSummarizer;

namespace {
struct Interval {
    std::int64_t alloc, free, size;
};

// Max over t of Σ size with alloc ≤ t < free: all deltas of one instant applied before looking.
std::int64_t sweep_peak(const std::vector<Interval>& intervals) {
    std::vector<std::pair<std::int64_t, std::int64_t>> deltas;
    for (const auto& i : intervals) {
        deltas.emplace_back(i.alloc, i.size);
        deltas.emplace_back(i.free, -i.size);
    }
    std::sort(deltas.begin(), deltas.end());
    std::int64_t cur = 0, peak = 0;
    for (std::size_t i = 0; i < deltas.size();) {
        const std::int64_t t = deltas[i].first;
        while (i < deltas.size() && deltas[i].first == t) cur += deltas[i++].second;
        peak = std::max(peak, cur);
    }
    return peak;
}

std::int64_t staircase_peak(std::vector<Interval> intervals, std::size_t* steps = nullptr) {
    std::stable_sort(intervals.begin(), intervals.end(), [](const Interval& a, const Interval& b) { return a.free < b.free; });
    PoolSummarizer::Staircase s;
    for (const auto& i : intervals) REQUIRE(s.add(i.alloc, i.free, i.size));
    if (steps) *steps = s.steps();
    return s.peak();
}
}  // namespace

TEST_CASE("staircase: hand-computed peaks", "[footprint][summary]") {
    // Two overlapping, then one alone: 10 + 20 during [5, 10).
    CHECK(staircase_peak({{0, 10, 10}, {5, 20, 20}, {30, 40, 5}}) == 30);
    // Touching intervals do not overlap: [0, 10) and [10, 20).
    CHECK(staircase_peak({{0, 10, 10}, {10, 20, 10}}) == 10);
    // Zero-length lifetimes are outstanding at no instant.
    CHECK(staircase_peak({{7, 7, 100}, {0, 3, 1}}) == 1);
    // An early high plateau is the peak even after many later, lower ones.
    CHECK(staircase_peak({{0, 100, 50}, {1, 2, 60}, {3, 4, 1}, {5, 6, 1}}) == 110);
    // A late interval reaching back over earlier free times raises them all.
    CHECK(staircase_peak({{10, 11, 5}, {20, 21, 5}, {0, 30, 4}}) == 9);
    CHECK(staircase_peak({}) == 0);
}

TEST_CASE("staircase: refuses an earlier free time", "[footprint][summary]") {
    PoolSummarizer::Staircase s;
    REQUIRE(s.add(0, 10, 1));
    REQUIRE_FALSE(s.add(0, 9, 1));
    REQUIRE(s.add(5, 10, 1));  // the same free time is in order
    CHECK(s.peak() == 2);
}

TEST_CASE("staircase: agrees with the sweep on random lifetimes", "[footprint][summary]") {
    std::mt19937_64 rng(42);
    for (int round = 0; round < 2000; ++round) {
        const int n = 1 + static_cast<int>(rng() % 60);
        const std::int64_t span = 1 + static_cast<std::int64_t>(rng() % 50);  // small spans: many ties
        std::vector<Interval> v;
        for (int i = 0; i < n; ++i) {
            const std::int64_t a = static_cast<std::int64_t>(rng() % span);
            const std::int64_t f = a + static_cast<std::int64_t>(rng() % (span + 1));
            v.push_back({a, f, 1 + static_cast<std::int64_t>(rng() % 1000)});
        }
        INFO("round " << round);
        REQUIRE(staircase_peak(v) == sweep_peak(v));
    }
}

TEST_CASE("staircase: keeps few steps for steady churn", "[footprint][summary]") {
    // 200,000 short lifetimes around a constant level: the kept steps stay few.
    std::mt19937_64 rng(7);
    std::vector<Interval> v;
    for (std::int64_t i = 0; i < 200000; ++i) v.push_back({i * 10, i * 10 + 10 + static_cast<std::int64_t>(rng() % 500), 64});
    std::size_t steps = 0;
    REQUIRE(staircase_peak(v, &steps) == sweep_peak(v));
    CHECK(steps < 1000);
}

TEST_CASE("pool summarizer: streaming mode gives the offline table when rows come in free order",
          "[footprint][summary]") {
    std::mt19937_64 rng(3);
    std::vector<bp::footprint::PoolAllocation> rows;
    for (int i = 0; i < 5000; ++i) {
        bp::footprint::PoolAllocation r;
        r.tag = 0x6c6f6f50u + static_cast<std::uint32_t>(rng() % 3);
        r.pool_type = static_cast<std::uint32_t>(rng() % 2);
        r.size = 16 + rng() % 4000;
        r.module = rng() % 2 ? "a.sys" : "b.sys";
        r.alloc_known = rng() % 10 != 0;
        r.alloc_time = static_cast<std::int64_t>(rng() % 100000);
        r.freed = rng() % 3 != 0;
        r.free_time = r.alloc_time + static_cast<std::int64_t>(rng() % 5000);
        rows.push_back(r);
    }
    // The analyzer's order: freed rows by free time, then the ones still open.
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        if (a.freed != b.freed) return a.freed;
        return a.freed && a.free_time < b.free_time;
    });
    const bp::footprint::Window wide{std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()};
    PoolSummarizer offline(wide), streaming(wide, PoolSummarizer::Mode::streaming);
    for (const auto& r : rows) {
        offline.add(r);
        streaming.add(r);
    }
    REQUIRE(streaming.in_order());
    const auto a = offline.finish(), b = streaming.finish();
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        INFO(a[i].tag << " " << a[i].module << " " << bp::footprint::to_string(a[i].type));
        CHECK(std::tie(a[i].tag, a[i].module, a[i].paged, a[i].type, a[i].count, a[i].size, a[i].impacting_size,
                       a[i].peak_outstanding) == std::tie(b[i].tag, b[i].module, b[i].paged, b[i].type, b[i].count,
                                                          b[i].size, b[i].impacting_size, b[i].peak_outstanding));
    }

    // One row out of free order: counted, but flagged.
    PoolSummarizer late(wide, PoolSummarizer::Mode::streaming);
    for (const auto& r : rows) late.add(r);
    // A copy of an AIFI row whose group has seen its free time, now freed before all of them.
    const auto aifi = std::find_if(rows.begin(), rows.end(), [](const auto& r) {
        return r.alloc_known && r.freed && r.alloc_time < r.free_time;
    });
    REQUIRE(aifi != rows.end());
    auto early = *aifi;
    early.free_time = -1;
    early.alloc_time = -5;
    late.add(early);
    CHECK_FALSE(late.in_order());
}
