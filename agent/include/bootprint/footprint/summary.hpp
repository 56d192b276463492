// Aggregations of footprint rows: WPA's pool table for a window, and statistics across iterations.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "bootprint/footprint/model.hpp"

namespace bp::footprint {

// Builds the pool table (one row per tag, module, paged, type) for a window. Feed every row, then
// finish().
//
// The peak outstanding of a Transient (AIFI) group needs every lifetime of the group. In the default
// mode the summarizer keeps two (time, ±size) entries per AIFI row and sweeps them at finish():
// memory proportional to the rows fed. In streaming mode it relies on the order in which the
// analyzer emits rows — every freed row when its free goes by, so a group's AIFI rows arrive with
// non-decreasing free times — and keeps only the free times that can still be the group's peak
// (see Staircase in summary.cpp): memory proportional to those, and no sort. A row that breaks the
// order is still counted, but in_order() turns false and the peaks are no longer exact: the caller
// must then summarize again in the default mode.
class PoolSummarizer {
public:
    enum class Mode { offline, streaming };
    explicit PoolSummarizer(Window window, Mode mode = Mode::offline) : window_(window), mode_(mode) {}
    void add(const PoolAllocation& row);
    // Rows sorted by impacting size (descending), then size, tag, module.
    std::vector<PoolSummaryRow> finish();
    // Streaming mode: whether every group's AIFI rows came in free-time order (the peaks are exact).
    bool in_order() const { return in_order_; }

    // The peak of Σ size over the intervals [alloc, free) fed in non-decreasing free order, in memory
    // proportional to the free times that can still hold the peak. Public for its tests.
    class Staircase {
    public:
        // Returns false (and ignores the interval) when `free_time` is earlier than one fed before.
        bool add(std::int64_t alloc_time, std::int64_t free_time, std::int64_t size);
        std::int64_t peak() const;
        std::size_t steps() const { return steps_.size() - dead_; }

    private:
        std::int64_t living_at_or_before(std::int64_t index);
        void compact();

        struct Step {
            std::int64_t free_time;
            std::int64_t diff;  // (value at free_time⁻) − (value at the next living step's); unused for the last
            std::int64_t back;  // its own index while living; else an earlier step's (or -1)
        };
        std::vector<Step> steps_;  // by free time; the last one is always living, with value last_
        std::size_t dead_ = 0;
        std::int64_t last_ = 0;
        std::int64_t latest_free_ = std::numeric_limits<std::int64_t>::min();
    };

private:
    struct Key {
        std::uint32_t tag;  // the first raw tag seen that prints as this group's tag
        bool paged;
        std::uint8_t type;
        std::string module;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const noexcept;
    };
    struct Group {
        PoolSummaryRow row;
        std::vector<std::pair<std::int64_t, std::int64_t>> deltas;  // offline: (time, ±size) for the peak sweep
        Staircase staircase;                                         // streaming
        std::uint64_t outstanding_at_start = 0;  // non-AIFI rows all outstanding at one instant: their peak
    };
    std::uint32_t canonical_tag(std::uint32_t raw);

    Window window_;
    Mode mode_;
    bool in_order_ = true;
    std::unordered_map<Key, Group, KeyHash> groups_;
    // Raw tags that print alike (etl::pool_tag_string) form one group, as in WPA's table.
    std::unordered_map<std::uint32_t, std::uint32_t> canonical_;
    std::unordered_map<std::string, std::uint32_t> by_name_;
    Key probe_;  // reused lookup key: no allocation per row for a module name seen before
};

// The whole-trace pool table, built as the analyzer emits rows (PoolSummarizer's streaming mode).
// The window is only known at the end, so rows are classified against an unbounded one while the
// times they carry are tracked: finish() returns the table when every row lay strictly inside the
// whole-trace window and the rows came in free order (then it equals PoolSummarizer over that
// window), and nullopt when the caller must summarize the rows again over the real window.
class WholeTracePoolTable {
public:
    void add(const PoolAllocation& row);
    std::optional<std::vector<PoolSummaryRow>> finish(const Window& whole);

private:
    PoolSummarizer summarizer_{Window{std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()},
                               PoolSummarizer::Mode::streaming};
    std::uint64_t rows_ = 0;
    std::int64_t earliest_ = std::numeric_limits<std::int64_t>::max();
    std::int64_t latest_ = std::numeric_limits<std::int64_t>::min();
};

// Median, min, max, MAD of a series of values (one per iteration).
struct Spread {
    std::size_t n = 0;
    double median = 0, min = 0, max = 0, mad = 0;
};
Spread spread_of(std::vector<double> values);

}  // namespace bp::footprint
