// Regressions beyond noise, as the controller computes them (docs/regressions.md): build A vs build B
// per pool tag (paged and non-paged impacting size) and per driver (Active code bytes), over every
// iteration either build ran, with footprint::compare_builds' verdict rules; the alerts of a nightly
// run (its build against the machine's previous build); a campaign's per-iteration and per-series view.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bootprint/common/result.hpp"
#include "bootprint/controller/controller_store.hpp"
#include "bootprint/footprint/compare.hpp"

namespace bp::controller {

struct CompareRequest {
    std::string build_a;                      // the baseline
    std::string build_b;                      // the build under test
    std::optional<std::string> machine;       // none: every machine's iterations pooled
    std::optional<std::int64_t> campaign_b;   // only this campaign's iterations of build B
    std::string kind = "all";                 // tag, driver, total, or all (= tags and drivers)
};

// The series a comparison judges: tag paged/non-paged impacting size, driver active bytes, the totals.
bool compared_series(const std::string& kind, const std::string& metric);

// Rows sorted by impact (regressions first). Series that are 0 in every iteration of both builds are
// left out. not_found when either build has no reports in the selection.
Result<std::vector<footprint::SeriesComparison>> compare(ControllerStore& store, const CompareRequest& request,
                                                         const footprint::CompareRules& rules);

// Computes and stores the alerts of one campaign (a nightly run): its iterations against every iteration
// of the same machine's most recent earlier build. Returns how many alerts were stored (0 when the
// machine has no earlier build). Re-running replaces the campaign's alerts.
Result<std::size_t> record_alerts(ControllerStore& store, std::int64_t campaign_id,
                                  const footprint::CompareRules& rules, UnixSeconds now);

nlohmann::json comparison_json(const footprint::SeriesComparison& c);
nlohmann::json alert_json(const AlertRecord& a);

// A campaign as the dashboard shows it: the campaign, one row per iteration (trace, lost events,
// DisablePagingExecutive), and per tag / per driver the median and spread across its iterations.
Result<nlohmann::json> campaign_detail(ControllerStore& store, std::int64_t campaign_id);

}  // namespace bp::controller
