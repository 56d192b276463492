#include "bootprint/footprint/summary.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "bootprint/etl/event_decoders.hpp"

namespace bp::footprint {

namespace {
// No real allocation comes near 2^62 bytes; larger values are damage and are clamped.
constexpr std::uint64_t kMaxSize = std::uint64_t{1} << 62;

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    if (!__builtin_add_overflow(a, b, &r)) return r;
    return b > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
}
}  // namespace

void PoolSummarizer::add(const PoolAllocation& row) {
    const PoolLifetimeType type = classify(row, window_);
    const bool paged = etl::pool_is_paged(row.pool_type);
    const std::string tag = etl::pool_tag_string(row.tag);
    auto [it, inserted] = groups_.try_emplace(std::make_tuple(tag, row.module, paged, static_cast<int>(type)));
    Group& g = it->second;
    if (inserted) {
        g.row.tag = tag;
        g.row.module = row.module;
        g.row.paged = paged;
        g.row.type = type;
    }
    g.row.count += 1;
    g.row.size += row.size;
    // Sizes come from the trace: a damaged one can hold anything, so the sums saturate.
    const auto sz = static_cast<std::int64_t>(std::min<std::uint64_t>(row.size, kMaxSize));
    if (type == PoolLifetimeType::aifo) g.row.impacting_size = saturating_add(g.row.impacting_size, sz);
    if (type == PoolLifetimeType::aofi) g.row.impacting_size = saturating_add(g.row.impacting_size, -sz);

    // Peak outstanding = max over [S, E) of Σ size with A ≤ t < F. For AIFO (allocated inside, still
    // allocated at E), AOFI (allocated before S, so all outstanding at S) and AOFO rows the maximum is
    // simply the group's total size; only AIFI rows (both ends inside) need a sweep.
    // Each of those rows is outstanding at one common instant (AIFO: just before E; AOFI and AOFO: at
    // S) unless its lifetime misses the window altogether.
    switch (type) {
        case PoolLifetimeType::aifi:
            g.deltas.emplace_back(row.alloc_time, sz);
            g.deltas.emplace_back(row.free_time, -sz);
            break;
        case PoolLifetimeType::aifo:
            if (row.alloc_time < window_.end) g.outstanding_at_start += row.size;
            break;
        case PoolLifetimeType::aofi:
            if (row.free_time > window_.start) g.outstanding_at_start += row.size;
            break;
        case PoolLifetimeType::aofo:
            if ((!row.alloc_known || row.alloc_time <= window_.start) && (!row.freed || row.free_time > window_.start)) {
                g.outstanding_at_start += row.size;
            }
            break;
    }
}

std::vector<PoolSummaryRow> PoolSummarizer::finish() {
    std::vector<PoolSummaryRow> out;
    out.reserve(groups_.size());
    for (auto& [key, g] : groups_) {
        std::sort(g.deltas.begin(), g.deltas.end());
        auto cur = static_cast<std::int64_t>(g.outstanding_at_start);
        std::int64_t peak = cur;
        for (std::size_t i = 0; i < g.deltas.size();) {
            const std::int64_t t = g.deltas[i].first;
            while (i < g.deltas.size() && g.deltas[i].first == t) cur = saturating_add(cur, g.deltas[i++].second);
            peak = std::max(peak, cur);
        }
        g.row.peak_outstanding = static_cast<std::uint64_t>(std::max<std::int64_t>(peak, 0));
        out.push_back(g.row);
    }
    groups_.clear();
    std::sort(out.begin(), out.end(), [](const PoolSummaryRow& a, const PoolSummaryRow& b) {
        if (a.impacting_size != b.impacting_size) return a.impacting_size > b.impacting_size;
        if (a.size != b.size) return a.size > b.size;
        if (a.tag != b.tag) return a.tag < b.tag;
        if (a.module != b.module) return a.module < b.module;
        if (a.paged != b.paged) return a.paged > b.paged;
        return a.type < b.type;
    });
    return out;
}

Spread spread_of(std::vector<double> v) {
    Spread s;
    s.n = v.size();
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    auto median_of = [](const std::vector<double>& x) {
        const std::size_t n = x.size();
        return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2.0;
    };
    s.min = v.front();
    s.max = v.back();
    s.median = median_of(v);
    std::vector<double> dev;
    dev.reserve(v.size());
    for (double x : v) dev.push_back(std::fabs(x - s.median));
    std::sort(dev.begin(), dev.end());
    s.mad = median_of(dev);
    return s;
}

}  // namespace bp::footprint
