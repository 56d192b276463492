// The verdict rules of build-vs-build comparison, pinned on crafted series.
#include <catch2/catch.hpp>

#include "bootprint/footprint/compare.hpp"

using namespace bp::footprint;

namespace {

const SeriesKey kTag{"tag", "Ntfx", "nonpaged_impacting_size"};
const SeriesKey kDriver{"driver", "ACPI.sys", "active_bytes"};

std::vector<double> around(double centre, std::initializer_list<double> offsets) {
    std::vector<double> v;
    for (double o : offsets) v.push_back(centre + o);
    return v;
}

BuildValues build(std::vector<std::int64_t> iterations) {
    BuildValues b;
    b.iterations = std::move(iterations);
    return b;
}

}  // namespace

TEST_CASE("Mann-Whitney exact p-values match the rank-sum distribution", "[compare]") {
    // Complete separation: the most extreme of C(10,5) = 252 splits, on either side.
    CHECK(mann_whitney_p({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}) == Approx(2.0 / 252));
    CHECK(mann_whitney_p({6, 7, 8, 9, 10}, {1, 2, 3, 4, 5}) == Approx(2.0 / 252));
    CHECK(mann_whitney_p({1, 2, 3}, {4, 5, 6}) == Approx(2.0 / 20));
    // One swap at the boundary: rank sum 16 of a; |16 - 27.5|... splits at least as far: 4 of 252.
    CHECK(mann_whitney_p({1, 2, 3, 4, 6}, {5, 7, 8, 9, 10}) == Approx(4.0 / 252));
    // Identical samples: every split ties with the observed one.
    CHECK(mann_whitney_p({5, 5, 5}, {5, 5, 5}) == Approx(1.0));
    // Interleaved: as central as it gets.
    CHECK(mann_whitney_p({1, 4, 5, 8}, {2, 3, 6, 7}) == Approx(1.0));
    CHECK(mann_whitney_p({}, {1, 2}) == 1.0);
    CHECK(mann_whitney_min_p(5, 5) == Approx(2.0 / 252));
    CHECK(mann_whitney_min_p(3, 3) == Approx(0.1));
}

TEST_CASE("Mann-Whitney falls back to the normal approximation for large samples", "[compare]") {
    std::vector<double> low, high, mixed_a, mixed_b;
    for (int i = 0; i < 40; ++i) {
        low.push_back(i);
        high.push_back(100 + i);
        (i % 2 ? mixed_a : mixed_b).push_back(i);
    }
    CHECK(mann_whitney_p(low, high) < 1e-10);
    CHECK(mann_whitney_p(mixed_a, mixed_b) > 0.5);
    // With ties throughout (all zeros against all ones) the tie-corrected variance still separates them.
    CHECK(mann_whitney_p(std::vector<double>(40, 0.0), std::vector<double>(40, 1.0)) < 1e-10);
}

TEST_CASE("noise only: iterations that scatter around one value are within noise", "[compare]") {
    const auto rules = CompareRules::defaults();
    const auto a = around(1'000'000, {-40'000, 25'000, 0, 60'000, -70'000});
    const auto b = around(1'010'000, {30'000, -50'000, 70'000, -20'000, 5'000});
    const auto c = compare_series(kTag, a, b, Presence::both, rules);
    CHECK(c.verdict == Verdict::noise);
    CHECK(c.delta == Approx(b[4] - a[2]));
    INFO(c.reason);
    CHECK(c.reason.find("floor") != std::string::npos);
}

TEST_CASE("noise only: a large but scattered change is within the noise band", "[compare]") {
    const auto rules = CompareRules::defaults();
    const std::vector<double> a{1'000'000, 1'400'000, 700'000, 1'300'000, 900'000};
    const std::vector<double> b{1'200'000, 1'500'000, 800'000, 1'100'000, 1'350'000};
    const auto c = compare_series(kTag, a, b, Presence::both, rules);
    CHECK(c.verdict == Verdict::noise);
    CHECK(c.noise_band > std::fabs(c.delta));
}

TEST_CASE("a real step is a regression, its reverse an improvement", "[compare]") {
    const auto rules = CompareRules::defaults();
    const auto a = around(1'000'000, {-4'000, 2'000, 0, 3'000, -1'000});
    const auto b = around(1'300'000, {1'000, -3'000, 4'000, 0, 2'000});
    const auto up = compare_series(kTag, a, b, Presence::both, rules);
    CHECK(up.verdict == Verdict::regression);
    CHECK(up.delta == Approx(301'000));  // medians 1'000'000 and 1'301'000
    REQUIRE(up.relative);
    CHECK(*up.relative == Approx(0.301));
    REQUIRE(up.p_value);
    CHECK(*up.p_value == Approx(2.0 / 252));
    const auto down = compare_series(kTag, b, a, Presence::both, rules);
    CHECK(down.verdict == Verdict::improvement);
    CHECK(down.delta == Approx(-301'000));
}

TEST_CASE("a step that the rank test cannot separate is noise", "[compare]") {
    auto rules = CompareRules::defaults();
    rules.noise_sigmas = 0;  // only the rank test stands between the step and a verdict
    // Medians 1.0 M → 1.1 M but one iteration of B sits below most of A.
    const std::vector<double> a{1'000'000, 1'000'000, 1'000'000, 1'200'000, 1'000'000};
    const std::vector<double> b{1'100'000, 900'000, 1'100'000, 1'300'000, 1'100'000};
    const auto c = compare_series(kTag, a, b, Presence::both, rules);
    REQUIRE(c.p_value);
    CHECK(*c.p_value > 0.05);
    CHECK(c.verdict == Verdict::noise);
}

TEST_CASE("a relative threshold keeps a big tag's small drift quiet", "[compare]") {
    const auto rules = CompareRules::defaults();  // 64 KiB and 5 %
    const std::vector<double> a(5, 10'000'000), b(5, 10'200'000);  // +200 KB = +2 %
    const auto c = compare_series(kTag, a, b, Presence::both, rules);
    CHECK(c.verdict == Verdict::noise);
    CHECK(c.reason.find("2%") != std::string::npos);
}

TEST_CASE("thresholds are configurable per metric", "[compare]") {
    auto rules = CompareRules::defaults();
    REQUIRE(rules.parse_floor("nonpaged_impacting_size=8"));    // KiB for byte metrics
    REQUIRE(rules.parse_relative("nonpaged_impacting_size=1"));  // percent
    REQUIRE(rules.parse_floor("count=5"));                       // plain units otherwise
    CHECK(rules.threshold("nonpaged_impacting_size").floor == 8 * 1024);
    CHECK(rules.threshold("nonpaged_impacting_size").relative == Approx(0.01));
    CHECK(rules.threshold("count").floor == 5);
    CHECK(rules.threshold("paged_impacting_size").floor == 64 * 1024);
    const std::vector<double> a(5, 100'000), b(5, 110'000);
    CHECK(compare_series(kTag, a, b, Presence::both, rules).verdict == Verdict::regression);
    CHECK(compare_series({"tag", "Ntfx", "paged_impacting_size"}, a, b, Presence::both, rules).verdict ==
          Verdict::noise);

    auto bad = rules.parse_floor("active_bytes");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("METRIC=NUMBER") != std::string::npos);
    bad = rules.parse_relative("active_bytes=-3");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("non-negative") != std::string::npos);
}

TEST_CASE("too few iterations give no verdict", "[compare]") {
    const auto rules = CompareRules::defaults();
    const auto c = compare_series(kTag, {1'000'000, 1'000'000}, std::vector<double>(5, 5'000'000), Presence::both, rules);
    CHECK(c.verdict == Verdict::insufficient);
    CHECK(c.reason.find("2 vs 5") != std::string::npos);
}

TEST_CASE("a new tag and a vanished driver are flagged and judged", "[compare]") {
    const auto rules = CompareRules::defaults();
    BuildValues a = build({1, 2, 3, 4, 5});
    BuildValues b = build({11, 12, 13, 14, 15});
    for (std::int64_t i = 1; i <= 5; ++i) {
        a.add(kTag, i, 500'000 + static_cast<double>(i) * 100);
        a.add(kDriver, i, 128 * 1024);
    }
    for (std::int64_t i = 11; i <= 15; ++i) {
        b.add(kTag, i, 500'000 + static_cast<double>(i) * 100);
        b.add({"tag", "Bpx1", "nonpaged_impacting_size"}, i, 300'000 + static_cast<double>(i));
    }
    // A tag missing from one iteration of its build counts 0 there.
    b.add({"tag", "Rare", "nonpaged_impacting_size"}, 11, 1'000'000);

    const auto rows = compare_builds(a, b, rules);
    REQUIRE(rows.size() == 4);
    CHECK(rows[0].series.key == "Bpx1");
    CHECK(rows[0].verdict == Verdict::regression);
    CHECK(rows[0].presence == Presence::added);
    CHECK(std::string(to_string(rows[0].presence)) == "new");
    CHECK(rows[0].a.n == 5);
    CHECK(rows[0].a.max == 0);
    CHECK(rows[1].series.key == "ACPI.sys");
    CHECK(rows[1].verdict == Verdict::improvement);
    CHECK(rows[1].presence == Presence::removed);
    CHECK(rows[1].delta == Approx(-128 * 1024));
    // "Rare": median 0 in B (four zeros) → no change at the median: noise, but flagged new.
    const auto rare = std::find_if(rows.begin(), rows.end(), [](const auto& r) { return r.series.key == "Rare"; });
    REQUIRE(rare != rows.end());
    CHECK(rare->verdict == Verdict::noise);
    CHECK(rare->presence == Presence::added);
    CHECK(rare->b.max == 1'000'000);
    const auto same = std::find_if(rows.begin(), rows.end(), [](const auto& r) { return r.series.key == "Ntfx"; });
    REQUIRE(same != rows.end());
    CHECK(same->verdict == Verdict::noise);
}

TEST_CASE("comparison rows are sorted by impact", "[compare]") {
    const auto rules = CompareRules::defaults();
    BuildValues a = build({1, 2, 3, 4});
    BuildValues b = build({5, 6, 7, 8});
    const std::vector<std::pair<std::string, double>> steps{
        {"Smal", 100'000}, {"Larg", 900'000}, {"Down", -400'000}, {"Flat", 0}, {"Dow2", -800'000}};
    for (const auto& [tag, step] : steps) {
        for (std::int64_t i = 1; i <= 4; ++i) a.add({"tag", tag, "size"}, i, 1'000'000 + static_cast<double>(i));
        for (std::int64_t i = 5; i <= 8; ++i) b.add({"tag", tag, "size"}, i, 1'000'000 + step + static_cast<double>(i));
    }
    const auto rows = compare_builds(a, b, rules);
    std::vector<std::string> order;
    for (const auto& r : rows) order.push_back(r.series.key);
    CHECK(order == std::vector<std::string>{"Larg", "Smal", "Dow2", "Down", "Flat"});
}
