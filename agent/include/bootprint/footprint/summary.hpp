// Aggregations of footprint rows: WPA's pool table for a window, and statistics across iterations.
#pragma once

#include <cstdint>
#include <map>
#include <tuple>
#include <string>
#include <vector>

#include "bootprint/footprint/model.hpp"

namespace bp::footprint {

// Builds the pool table (one row per tag, module, paged, type) for a window. Feed every row, then
// finish(); memory is proportional to the rows fed (the store feeds one trace at a time).
class PoolSummarizer {
public:
    explicit PoolSummarizer(Window window) : window_(window) {}
    void add(const PoolAllocation& row);
    // Rows sorted by impacting size (descending), then size, tag, module.
    std::vector<PoolSummaryRow> finish();

private:
    struct Group {
        PoolSummaryRow row;
        std::vector<std::pair<std::int64_t, std::int64_t>> deltas;  // (time, ±size) for the peak sweep
        std::uint64_t outstanding_at_start = 0;  // non-AIFI rows all outstanding at one instant: their peak
    };
    Window window_;
    std::map<std::tuple<std::string, std::string, bool, int>, Group> groups_;
};

// Median, min, max, MAD of a series of values (one per iteration).
struct Spread {
    std::size_t n = 0;
    double median = 0, min = 0, max = 0, mad = 0;
};
Spread spread_of(std::vector<double> values);

}  // namespace bp::footprint
