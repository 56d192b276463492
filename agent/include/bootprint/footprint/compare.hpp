// Build-vs-build comparison: is a change in a tag's or driver's footprint real, or noise?
//
// Input: for each build, the value of every series in every iteration (a boot) — a series is one
// quantity of one thing ("tag Ntfx nonpaged_impacting_size", "driver ACPI.sys active_bytes"). A series
// missing from an iteration that the build ran counts as 0 there (the tag allocated nothing).
//
// The verdict of one series, in this order (docs/regressions.md):
//   1. insufficient  — either build has fewer than `min_iterations` iterations;
//   2. noise         — |Δ| (Δ = median B − median A) is below the metric's absolute floor, or below its
//                      relative threshold × |median A|, or within the noise band
//                      (noise_sigmas × 1.4826 × the larger MAD), or the rank test cannot tell the two
//                      builds apart (two-sided Mann-Whitney p > alpha, exact for small samples);
//   3. regression (Δ > 0) or improvement (Δ < 0).
// A series present in only one build is flagged `added` (new) or `removed` (vanished) whatever its
// verdict. The rank test is only applied when the samples are large enough for it to reach alpha at
// all (4+4 iterations for alpha 0.05); below that, the floor, threshold and noise band decide alone.
//
//   auto rules = bp::footprint::CompareRules::defaults();
//   rules.set("nonpaged_impacting_size", {.floor = 32 * 1024, .relative = 0.02});
//   auto rows = bp::footprint::compare_builds(a, b, rules);   // sorted: regressions first, by Δ
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "bootprint/common/result.hpp"
#include "bootprint/footprint/summary.hpp"

namespace bp::footprint {

struct Threshold {
    double floor = 0;     // in the metric's unit (bytes, allocations): smaller |Δ| is noise
    double relative = 0;  // fraction of |median A|: smaller |Δ| is noise
};

struct CompareRules {
    std::map<std::string, Threshold> thresholds;  // per metric
    Threshold fallback{64 * 1024, 0.05};          // metrics without their own
    std::size_t min_iterations = 3;
    double alpha = 0.05;
    double noise_sigmas = 3.0;

    // Pool sizes: 64 KiB and 5 %; driver code: 16 KiB and 5 %; counts: 100 allocations and 10 %.
    static CompareRules defaults();
    const Threshold& threshold(const std::string& metric) const;
    void set(const std::string& metric, Threshold t) { thresholds[metric] = t; }
    // "METRIC=VALUE" overrides: floor in KiB for byte metrics (plain units for counts) and relative in
    // percent, e.g. parse_floor("active_bytes=32"). invalid_argument names the text.
    Status parse_floor(const std::string& text);
    Status parse_relative(const std::string& text);
};

enum class Verdict { regression, improvement, noise, insufficient };
enum class Presence { both, added, removed };
const char* to_string(Verdict v);
const char* to_string(Presence p);

struct SeriesKey {
    std::string kind;    // tag, driver, total
    std::string key;     // "Ntfx", "ACPI.sys"
    std::string metric;  // nonpaged_impacting_size, active_bytes, ...
    auto operator<=>(const SeriesKey&) const = default;
};

// One build's values: iteration (any id that names a boot: a report id) → value, per series.
struct BuildValues {
    std::vector<std::int64_t> iterations;                          // every iteration the build ran
    std::map<SeriesKey, std::map<std::int64_t, double>> series;    // absent iteration: 0
    void add(const SeriesKey& key, std::int64_t iteration, double value) { series[key][iteration] = value; }
};

struct SeriesComparison {
    SeriesKey series;
    Spread a, b;
    double delta = 0;                  // median B − median A
    std::optional<double> relative;    // delta / |median A|; none when median A is 0
    double noise_band = 0;             // noise_sigmas × 1.4826 × max(MAD A, MAD B)
    std::optional<double> p_value;     // the rank test's, when it was applied
    Verdict verdict = Verdict::noise;
    Presence presence = Presence::both;
    std::string reason;                // one sentence: why this verdict
};

// Compares one series; `a` and `b` hold one value per iteration (zeros included).
SeriesComparison compare_series(const SeriesKey& key, const std::vector<double>& a, const std::vector<double>& b,
                                Presence presence, const CompareRules& rules);

// Every series of either build, sorted by impact: regressions (largest Δ first), improvements (most
// negative Δ first), then noise and insufficient by |Δ|.
std::vector<SeriesComparison> compare_builds(const BuildValues& a, const BuildValues& b, const CompareRules& rules);

// One row as the API, the CLI and the dashboard show it: kind, key, metric, verdict, presence ("", new,
// vanished), a and b {n, median, min, max, mad}, delta, relative, noise_band, p_value (null when the
// rank test was not applied), reason.
nlohmann::json to_json(const SeriesComparison& c);
// {"regression": n, "improvement": n, "noise": n, "insufficient": n} (verdicts with no row left out).
nlohmann::json verdict_counts(const std::vector<SeriesComparison>& rows);

// Two-sided Mann-Whitney U test: the probability, if both samples came from one distribution, of a
// rank sum at least as far from its mean as the observed one. Exact (the distribution of the rank sum
// over all C(n+m, n) splits, mid-ranks for ties) for n + m <= 60, else the normal approximation with
// tie correction. Empty samples give 1.
double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b);
// The smallest p the test can give for these sample sizes (no ties): 2 / C(n+m, n).
double mann_whitney_min_p(std::size_t n, std::size_t m);

}  // namespace bp::footprint
