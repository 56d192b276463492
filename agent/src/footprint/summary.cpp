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

// The outstanding size O(t) = Σ size over [a, f) ∋ t is piecewise constant and only falls at free
// times, so its maximum is its value just before some free time f⁻. With intervals fed in
// non-decreasing free order, a new interval [a, f) adds its size to the value at every earlier free
// time k with a < k (k ≤ f always), i.e. to a suffix of the free times seen, and a free time of its
// own. Any later interval that adds to k adds to every free time after k as well, so k can never
// again exceed a later free time whose value is already at least k's: it is dropped. What is kept is
// a staircase of free times with strictly falling values; the first step is the peak. Values are
// kept as differences to the next step, so adding to a suffix touches one difference and the last
// value, and the steps the addition overtakes are merged away.
//
// The steps live in two arrays sorted by free time (found by binary search: most lookups go far
// back). A merged step stays in place, marked dead, until the dead outnumber the living; `back_`
// links every entry to the nearest living one at or before it (union-find, with path halving).
std::int64_t PoolSummarizer::Staircase::living_at_or_before(std::int64_t i) {
    while (i >= 0 && steps_[static_cast<std::size_t>(i)].back != i) {
        const std::int64_t up = steps_[static_cast<std::size_t>(i)].back;
        if (up >= 0) steps_[static_cast<std::size_t>(i)].back = steps_[static_cast<std::size_t>(up)].back;
        i = steps_[static_cast<std::size_t>(i)].back;
    }
    return i;
}

void PoolSummarizer::Staircase::compact() {
    std::size_t out = 0;
    for (std::size_t i = 0; i < steps_.size(); ++i) {
        if (steps_[i].back != static_cast<std::int64_t>(i)) continue;
        steps_[out] = steps_[i];
        steps_[out].back = static_cast<std::int64_t>(out);
        ++out;
    }
    steps_.resize(out);
    dead_ = 0;
}

bool PoolSummarizer::Staircase::add(std::int64_t alloc_time, std::int64_t free_time, std::int64_t size) {
    if (free_time < latest_free_) return false;
    latest_free_ = free_time;
    if (alloc_time >= free_time || size <= 0) return true;  // outstanding at no instant
    if (steps_.empty() || steps_.back().free_time != free_time) {
        if (!steps_.empty()) steps_.back().diff = last_;  // the old last step: difference to the new one's 0
        steps_.push_back({free_time, 0, static_cast<std::int64_t>(steps_.size())});
        last_ = 0;
    }
    // Every step after alloc_time rises by size: the last value, and the difference across the gap
    // (held by the last living step at or before alloc_time).
    last_ = saturating_add(last_, size);
    // Galloping back from the newest step: most lifetimes are short, and the newest steps are warm.
    std::size_t lo = steps_.size() - 1, hi = steps_.size();  // steps_[lo] is after alloc_time (free_time)
    for (std::size_t stride = 1;; stride *= 2) {
        if (lo == 0 || steps_[lo - 1].free_time <= alloc_time) break;
        hi = lo;
        lo = lo > stride ? lo - stride : 0;
        if (steps_[lo].free_time <= alloc_time) break;
    }
    const auto first_raised = std::upper_bound(steps_.begin() + static_cast<std::ptrdiff_t>(lo),
                                               steps_.begin() + static_cast<std::ptrdiff_t>(hi), alloc_time,
                                               [](std::int64_t t, const Step& st) { return t < st.free_time; });
    std::int64_t before = living_at_or_before(static_cast<std::int64_t>(first_raised - steps_.begin()) - 1);
    if (before < 0) return true;
    steps_[static_cast<std::size_t>(before)].diff = saturating_add(steps_[static_cast<std::size_t>(before)].diff, -size);
    // A step no longer above the one after it is merged away; its difference (≤ 0) moves to the
    // living step before it, which may in turn have been overtaken.
    while (steps_[static_cast<std::size_t>(before)].diff <= 0) {
        const std::int64_t rest = steps_[static_cast<std::size_t>(before)].diff;
        const std::int64_t earlier = living_at_or_before(before - 1);
        steps_[static_cast<std::size_t>(before)].back = earlier;  // dead: links to the living one before
        ++dead_;
        if (earlier < 0) break;
        steps_[static_cast<std::size_t>(earlier)].diff = saturating_add(steps_[static_cast<std::size_t>(earlier)].diff, rest);
        before = earlier;
    }
    if (dead_ > 64 && dead_ * 2 > steps_.size()) compact();
    return true;
}

std::int64_t PoolSummarizer::Staircase::peak() const {
    if (steps_.empty()) return 0;
    std::int64_t v = last_;
    for (std::size_t i = 0; i + 1 < steps_.size(); ++i) {
        if (steps_[i].back == static_cast<std::int64_t>(i)) v = saturating_add(v, steps_[i].diff);
    }
    return v;
}

std::size_t PoolSummarizer::KeyHash::operator()(const Key& k) const noexcept {
    const std::uint64_t h = (std::uint64_t{k.tag} << 16 | std::uint64_t{k.paged} << 8 | k.type) * 0x9E3779B97F4A7C15ULL;
    return static_cast<std::size_t>(h ^ std::hash<std::string>()(k.module));
}

std::uint32_t PoolSummarizer::canonical_tag(std::uint32_t raw) {
    if (const auto it = canonical_.find(raw); it != canonical_.end()) return it->second;
    const auto [named, fresh] = by_name_.try_emplace(etl::pool_tag_string(raw), raw);
    (void)fresh;
    canonical_.emplace(raw, named->second);
    return named->second;
}

void PoolSummarizer::add(const PoolAllocation& row) {
    const PoolLifetimeType type = classify(row, window_);
    const bool paged = etl::pool_is_paged(row.pool_type);
    probe_.tag = canonical_tag(row.tag);
    probe_.paged = paged;
    probe_.type = static_cast<std::uint8_t>(type);
    probe_.module = row.module;  // reuses probe_'s buffer
    auto it = groups_.find(probe_);
    if (it == groups_.end()) {
        it = groups_.emplace(probe_, Group{}).first;
        Group& fresh = it->second;
        fresh.row.tag = etl::pool_tag_string(row.tag);
        fresh.row.module = row.module;
        fresh.row.paged = paged;
        fresh.row.type = type;
    }
    Group& g = it->second;
    g.row.count += 1;
    g.row.size += row.size;
    if (static_cast<unsigned>(row.attribution) < 32) g.row.attributions |= 1U << static_cast<unsigned>(row.attribution);
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
            if (mode_ == Mode::streaming) {
                if (!g.staircase.add(row.alloc_time, row.free_time, sz)) in_order_ = false;
            } else {
                g.deltas.emplace_back(row.alloc_time, sz);
                g.deltas.emplace_back(row.free_time, -sz);
            }
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
        std::int64_t peak = std::max(cur, g.staircase.peak());
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

void WholeTracePoolTable::add(const PoolAllocation& row) {
    ++rows_;
    if (row.alloc_known) {
        earliest_ = std::min(earliest_, row.alloc_time);
        latest_ = std::max(latest_, row.alloc_time);
    }
    if (row.freed) {
        earliest_ = std::min(earliest_, row.free_time);
        latest_ = std::max(latest_, row.free_time);
    }
    summarizer_.add(row);
}

std::optional<std::vector<PoolSummaryRow>> WholeTracePoolTable::finish(const Window& whole) {
    if (rows_ != 0 && !(earliest_ > whole.start && latest_ < whole.end && summarizer_.in_order())) return std::nullopt;
    return summarizer_.finish();
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
