#include "bootprint/footprint/compare.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <utility>

namespace bp::footprint {

namespace {

bool is_byte_metric(const std::string& metric) {
    auto ends_with = [&](std::string_view suffix) {
        return metric.size() >= suffix.size() && metric.compare(metric.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    return ends_with("_size") || ends_with("_bytes");
}

Result<std::pair<std::string, double>> metric_value(const std::string& text, const char* what) {
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
        return make_error(Errc::invalid_argument, std::string(what) + " '" + text.substr(0, 80) +
                                                      "': expected METRIC=NUMBER, e.g. active_bytes=32");
    }
    const std::string number = text.substr(eq + 1);
    double v = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
    if (ec != std::errc() || end != number.data() + number.size() || !std::isfinite(v) || v < 0) {
        return make_error(Errc::invalid_argument,
                          std::string(what) + " '" + text.substr(0, 80) + "': '" + number.substr(0, 40) +
                              "' is not a non-negative number");
    }
    return std::pair{text.substr(0, eq), v};
}

// Mid-ranks (1-based) of the pooled sample, doubled so that they are integers.
std::vector<std::int64_t> doubled_midranks(const std::vector<double>& pooled) {
    std::vector<std::size_t> order(pooled.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return pooled[x] < pooled[y]; });
    std::vector<std::int64_t> rank2(pooled.size());
    std::size_t i = 0;
    while (i < order.size()) {
        std::size_t j = i;
        while (j + 1 < order.size() && pooled[order[j + 1]] == pooled[order[i]]) ++j;
        // positions i..j (0-based) share the mid-rank ((i+1) + (j+1)) / 2, doubled: i + j + 2
        for (std::size_t k = i; k <= j; ++k) rank2[order[k]] = static_cast<std::int64_t>(i + j + 2);
        i = j + 1;
    }
    return rank2;
}

}  // namespace

CompareRules CompareRules::defaults() {
    CompareRules r;
    for (const char* m : {"impacting_size", "paged_impacting_size", "nonpaged_impacting_size", "size"}) {
        r.thresholds[m] = {64 * 1024, 0.05};
    }
    for (const char* m : {"active_bytes", "standby_bytes"}) r.thresholds[m] = {16 * 1024, 0.05};
    r.thresholds["count"] = {100, 0.10};
    return r;
}

const Threshold& CompareRules::threshold(const std::string& metric) const {
    const auto it = thresholds.find(metric);
    return it == thresholds.end() ? fallback : it->second;
}

Status CompareRules::parse_floor(const std::string& text) {
    BP_TRY(auto mv, metric_value(text, "floor"));
    Threshold t = threshold(mv.first);
    t.floor = is_byte_metric(mv.first) ? mv.second * 1024 : mv.second;
    thresholds[mv.first] = t;
    return {};
}

Status CompareRules::parse_relative(const std::string& text) {
    BP_TRY(auto mv, metric_value(text, "relative threshold"));
    Threshold t = threshold(mv.first);
    t.relative = mv.second / 100.0;
    thresholds[mv.first] = t;
    return {};
}

const char* to_string(Verdict v) {
    switch (v) {
        case Verdict::regression: return "regression";
        case Verdict::improvement: return "improvement";
        case Verdict::noise: return "noise";
        case Verdict::insufficient: return "insufficient";
    }
    return "noise";
}

const char* to_string(Presence p) {
    switch (p) {
        case Presence::both: return "";
        case Presence::added: return "new";
        case Presence::removed: return "vanished";
    }
    return "";
}

double mann_whitney_min_p(std::size_t n, std::size_t m) {
    if (n == 0 || m == 0) return 1.0;
    // C(n+m, n) as a double; 2 / it, capped at 1.
    long double c = 1;
    for (std::size_t i = 1; i <= std::min(n, m); ++i) c = c * static_cast<long double>(n + m - std::min(n, m) + i) / i;
    return static_cast<double>(std::min<long double>(1.0L, 2.0L / c));
}

double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b) {
    const std::size_t n = a.size(), m = b.size(), total = n + m;
    if (n == 0 || m == 0) return 1.0;
    std::vector<double> pooled(a);
    pooled.insert(pooled.end(), b.begin(), b.end());
    const std::vector<std::int64_t> rank2 = doubled_midranks(pooled);
    std::int64_t observed = 0;  // doubled rank sum of a
    for (std::size_t i = 0; i < n; ++i) observed += rank2[i];
    const std::int64_t sum_all = std::accumulate(rank2.begin(), rank2.end(), std::int64_t{0});
    // E[2R] = n * sum_all / total; compare |2R·total − n·sum_all| to stay in integers.
    const auto distance = [&](std::int64_t s) {
        const std::int64_t d = s * static_cast<std::int64_t>(total) - static_cast<std::int64_t>(n) * sum_all;
        return d < 0 ? -d : d;
    };
    const std::int64_t observed_distance = distance(observed);

    if (total <= 60) {
        // ways[k][s]: subsets of size k with doubled rank sum s (s ≤ sum_all).
        std::vector<std::vector<long double>> ways(n + 1, std::vector<long double>(static_cast<std::size_t>(sum_all) + 1, 0));
        ways[0][0] = 1;
        for (std::size_t item = 0; item < total; ++item) {
            const auto r = static_cast<std::size_t>(rank2[item]);
            for (std::size_t k = std::min(n, item + 1); k >= 1; --k) {
                auto& to = ways[k];
                const auto& from = ways[k - 1];
                for (std::size_t s = static_cast<std::size_t>(sum_all); s >= r; --s) {
                    if (from[s - r] != 0) to[s] += from[s - r];
                    if (s == r) break;
                }
            }
        }
        long double extreme = 0, all = 0;
        for (std::size_t s = 0; s < ways[n].size(); ++s) {
            if (ways[n][s] == 0) continue;
            all += ways[n][s];
            if (distance(static_cast<std::int64_t>(s)) >= observed_distance) extreme += ways[n][s];
        }
        return all > 0 ? static_cast<double>(std::min<long double>(1.0L, extreme / all)) : 1.0;
    }

    // Normal approximation of the rank sum with the tie-corrected variance.
    const double N = static_cast<double>(total);
    double tie_term = 0;
    {
        std::vector<double> sorted(pooled);
        std::sort(sorted.begin(), sorted.end());
        std::size_t i = 0;
        while (i < sorted.size()) {
            std::size_t j = i;
            while (j + 1 < sorted.size() && sorted[j + 1] == sorted[i]) ++j;
            const double t = static_cast<double>(j - i + 1);
            tie_term += t * t * t - t;
            i = j + 1;
        }
    }
    const double variance = static_cast<double>(n) * static_cast<double>(m) / 12.0 *
                            ((N + 1) - tie_term / (N * (N - 1)));
    if (variance <= 0) return 1.0;
    const double z = (static_cast<double>(observed_distance) / 2.0 / N) / std::sqrt(variance);
    return std::min(1.0, std::erfc(z / std::sqrt(2.0)));
}

SeriesComparison compare_series(const SeriesKey& key, const std::vector<double>& a, const std::vector<double>& b,
                                Presence presence, const CompareRules& rules) {
    SeriesComparison c;
    c.series = key;
    c.presence = presence;
    c.a = spread_of(a);
    c.b = spread_of(b);
    c.delta = c.b.median - c.a.median;
    if (c.a.median != 0) c.relative = c.delta / std::fabs(c.a.median);
    c.noise_band = rules.noise_sigmas * 1.4826 * std::max(c.a.mad, c.b.mad);
    const double size = std::fabs(c.delta);

    auto fmt = [](double v) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.0f", v);
        return std::string(buf);
    };
    if (a.size() < rules.min_iterations || b.size() < rules.min_iterations) {
        c.verdict = Verdict::insufficient;
        c.reason = "too few iterations (" + std::to_string(a.size()) + " vs " + std::to_string(b.size()) +
                   "; at least " + std::to_string(rules.min_iterations) + " each)";
        return c;
    }
    const Threshold& t = rules.threshold(key.metric);
    if (size < t.floor) {
        c.verdict = Verdict::noise;
        c.reason = "|change| " + fmt(size) + " is below the floor " + fmt(t.floor);
        return c;
    }
    if (c.relative && size < t.relative * std::fabs(c.a.median)) {
        c.verdict = Verdict::noise;
        c.reason = "|change| is " + fmt(100 * size / std::fabs(c.a.median)) + "% of the baseline, below " +
                   fmt(100 * t.relative) + "%";
        return c;
    }
    if (size <= c.noise_band) {
        c.verdict = Verdict::noise;
        c.reason = "|change| " + fmt(size) + " is within the noise band " + fmt(c.noise_band) +
                   " (iterations vary that much)";
        return c;
    }
    if (mann_whitney_min_p(a.size(), b.size()) <= rules.alpha) {
        c.p_value = mann_whitney_p(a, b);
        if (*c.p_value > rules.alpha) {
            char buf[96];
            std::snprintf(buf, sizeof buf, "the iterations overlap (rank test p = %.3g > %.3g)", *c.p_value, rules.alpha);
            c.verdict = Verdict::noise;
            c.reason = buf;
            return c;
        }
    }
    c.verdict = c.delta > 0 ? Verdict::regression : Verdict::improvement;
    c.reason = std::string(c.delta > 0 ? "grew " : "shrank ") + fmt(size) + " beyond floor, threshold and noise";
    return c;
}

std::vector<SeriesComparison> compare_builds(const BuildValues& a, const BuildValues& b, const CompareRules& rules) {
    std::vector<SeriesComparison> out;
    auto values = [](const BuildValues& build, const std::map<std::int64_t, double>* present) {
        std::vector<double> v;
        v.reserve(build.iterations.size());
        for (std::int64_t it : build.iterations) {
            double x = 0;
            if (present) {
                if (auto f = present->find(it); f != present->end()) x = f->second;
            }
            v.push_back(x);
        }
        return v;
    };
    auto keys = [&] {
        std::vector<SeriesKey> k;
        for (const auto& [key, _] : a.series) k.push_back(key);
        for (const auto& [key, _] : b.series) {
            if (!a.series.contains(key)) k.push_back(key);
        }
        return k;
    }();
    out.reserve(keys.size());
    for (const SeriesKey& key : keys) {
        const auto ia = a.series.find(key);
        const auto ib = b.series.find(key);
        const bool in_a = ia != a.series.end();
        const bool in_b = ib != b.series.end();
        const Presence presence = in_a && in_b ? Presence::both : in_a ? Presence::removed : Presence::added;
        out.push_back(compare_series(key, values(a, in_a ? &ia->second : nullptr), values(b, in_b ? &ib->second : nullptr),
                                     presence, rules));
    }
    auto rank = [](const SeriesComparison& c) {
        switch (c.verdict) {
            case Verdict::regression: return 0;
            case Verdict::improvement: return 1;
            default: return 2;
        }
    };
    std::stable_sort(out.begin(), out.end(), [&](const SeriesComparison& x, const SeriesComparison& y) {
        const int rx = rank(x), ry = rank(y);
        if (rx != ry) return rx < ry;
        if (rx == 0) return x.delta > y.delta;
        if (rx == 1) return x.delta < y.delta;
        if (std::fabs(x.delta) != std::fabs(y.delta)) return std::fabs(x.delta) > std::fabs(y.delta);
        return x.series < y.series;
    });
    return out;
}

nlohmann::json to_json(const SeriesComparison& c) {
    auto spread = [](const Spread& s) {
        return nlohmann::json{{"n", s.n}, {"median", s.median}, {"min", s.min}, {"max", s.max}, {"mad", s.mad}};
    };
    auto optional = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
    return nlohmann::json{{"kind", c.series.kind},      {"key", c.series.key},
                          {"metric", c.series.metric},  {"verdict", to_string(c.verdict)},
                          {"presence", to_string(c.presence)}, {"a", spread(c.a)},
                          {"b", spread(c.b)},           {"delta", c.delta},
                          {"relative", optional(c.relative)}, {"noise_band", c.noise_band},
                          {"p_value", optional(c.p_value)}, {"reason", c.reason}};
}

nlohmann::json verdict_counts(const std::vector<SeriesComparison>& rows) {
    std::map<std::string, int> counts;
    for (const auto& r : rows) ++counts[to_string(r.verdict)];
    return counts;
}

}  // namespace bp::footprint
