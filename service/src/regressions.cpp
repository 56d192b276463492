#include "bootprint/controller/regressions.hpp"

#include <cmath>
#include <map>

#include "bootprint/controller/report_facts.hpp"
#include "bootprint/controller/schedule.hpp"
#include "bootprint/report/report.hpp"

namespace bp::controller {

namespace {

using nlohmann::json;
namespace fp = bp::footprint;

const std::vector<std::string> kComparedMetrics{"paged_impacting_size", "nonpaged_impacting_size", "active_bytes",
                                                "impacting_size"};

Result<fp::BuildValues> load_build(ControllerStore& store, const std::string& build,
                                   const std::optional<std::string>& machine, std::optional<std::int64_t> campaign,
                                   const std::string& kind) {
    BuildSamplesQuery q;
    q.build = build;
    q.machine = machine;
    q.campaign_id = campaign;
    q.metrics = kComparedMetrics;
    BP_TRY(BuildSamples samples, store.build_samples(q));
    if (samples.report_ids.empty()) {
        return make_error(Errc::not_found, "build '" + build + "' has no reports" +
                                               (machine ? " from machine '" + *machine + "'" : std::string()));
    }
    fp::BuildValues v;
    v.iterations = std::move(samples.report_ids);
    for (const BuildSample& s : samples.samples) {
        if (!compared_series(s.kind, s.metric)) continue;
        // "all": the tags and drivers; the totals (their sums) only when asked for.
        if (kind == "all" ? s.kind == "total" : kind != s.kind) continue;
        v.add({s.kind, s.key, s.metric}, s.report_id, static_cast<double>(s.value));
    }
    return v;
}

bool all_zero(const fp::Spread& s) { return s.min == 0 && s.max == 0; }

json number_or_null(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json spread_json(const fp::Spread& s) {
    return json{{"n", s.n}, {"median", s.median}, {"min", s.min}, {"max", s.max}, {"mad", s.mad}};
}

}  // namespace

bool compared_series(const std::string& kind, const std::string& metric) {
    if (kind == "tag") return metric == "paged_impacting_size" || metric == "nonpaged_impacting_size";
    if (kind == "driver") return metric == "active_bytes";
    if (kind == "total") return metric == "impacting_size" || metric == "active_bytes";
    return false;
}

Result<std::vector<fp::SeriesComparison>> compare(ControllerStore& store, const CompareRequest& request,
                                                  const fp::CompareRules& rules) {
    if (request.kind != "all" && request.kind != "tag" && request.kind != "driver" && request.kind != "total") {
        return make_error(Errc::invalid_argument, "kind: expected tag, driver, total or all");
    }
    BP_TRY(fp::BuildValues a, load_build(store, request.build_a, request.machine, std::nullopt, request.kind));
    BP_TRY(fp::BuildValues b, load_build(store, request.build_b, request.machine, request.campaign_b, request.kind));
    auto rows = fp::compare_builds(a, b, rules);
    std::erase_if(rows, [](const fp::SeriesComparison& c) { return all_zero(c.a) && all_zero(c.b); });
    return rows;
}

Result<std::size_t> record_alerts(ControllerStore& store, std::int64_t campaign_id, const fp::CompareRules& rules,
                                  UnixSeconds now) {
    CampaignQuery cq;
    cq.id = campaign_id;
    BP_TRY(auto found, store.campaigns(cq));
    if (found.empty()) return make_error(Errc::not_found, "no campaign " + std::to_string(campaign_id));
    const CampaignRecord run = found.front();
    // The baseline: the machine's most recent earlier campaign of another build.
    CampaignQuery history;
    history.machine = run.machine;
    BP_TRY(auto earlier, store.campaigns(history));
    std::optional<std::string> baseline;
    for (const CampaignRecord& c : earlier) {  // newest first
        if (c.id == run.id || c.build == run.build) continue;
        if (c.first_time > run.first_time || (c.first_time == run.first_time && c.id > run.id)) continue;
        baseline = c.build;
        break;
    }
    std::vector<AlertRecord> alerts;
    if (baseline) {
        CompareRequest req;
        req.build_a = *baseline;
        req.build_b = run.build;
        req.machine = run.machine;
        req.campaign_b = run.id;
        BP_TRY(auto rows, compare(store, req, rules));
        for (const fp::SeriesComparison& c : rows) {
            const bool judged = c.verdict == fp::Verdict::regression || c.verdict == fp::Verdict::improvement;
            if (!judged && c.presence == fp::Presence::both) continue;
            AlertRecord a;
            a.campaign_id = run.id;
            a.baseline_build = *baseline;
            a.kind = c.series.kind;
            a.key = c.series.key;
            a.metric = c.series.metric;
            a.verdict = fp::to_string(c.verdict);
            a.presence = fp::to_string(c.presence);
            a.baseline_median = c.a.median;
            a.median = c.b.median;
            a.delta = c.delta;
            a.p_value = c.p_value;
            alerts.push_back(std::move(a));
        }
    }
    BP_TRY_STATUS(store.put_alerts(run.id, alerts, now));
    return alerts.size();
}

json comparison_json(const fp::SeriesComparison& c) { return fp::to_json(c); }

json alert_json(const AlertRecord& a) {
    return json{{"id", a.id},
                {"campaign_id", a.campaign_id},
                {"machine", a.machine},
                {"campaign", a.campaign},
                {"build", a.build},
                {"baseline_build", a.baseline_build},
                {"kind", a.kind},
                {"key", a.key},
                {"metric", a.metric},
                {"verdict", a.verdict},
                {"presence", a.presence},
                {"baseline_median", a.baseline_median},
                {"median", a.median},
                {"delta", a.delta},
                {"p_value", number_or_null(a.p_value)},
                {"created_at", iso_utc(a.created_at)}};
}

Result<json> campaign_detail(ControllerStore& store, std::int64_t campaign_id) {
    CampaignQuery cq;
    cq.id = campaign_id;
    BP_TRY(auto found, store.campaigns(cq));
    if (found.empty()) return make_error(Errc::not_found, "no campaign " + std::to_string(campaign_id));
    const CampaignRecord& c = found.front();
    BP_TRY(auto bodies, store.campaign_reports(campaign_id));

    json iterations = json::array();
    std::map<fp::SeriesKey, std::vector<double>> values;  // per series, one value per iteration
    std::size_t n = 0;
    for (std::string& body : bodies) {
        json doc = json::parse(body, nullptr, false);
        if (doc.is_discarded() || !doc.is_object()) continue;  // stored bodies were validated on upload
        auto facts = report_facts(doc, body);
        if (!facts) continue;
        const json trace = doc.value("trace", json::object());
        const json dpe = doc.value("disable_paging_executive", json::object());
        iterations.push_back(json{{"iteration", facts->iteration},
                                  {"time", iso_utc(facts->time)},
                                  {"trace_sha256", trace.value("sha256", std::string())},
                                  {"trace_bytes", trace.value("bytes", std::int64_t{0})},
                                  {"events", trace.value("events", std::int64_t{0})},
                                  {"events_lost", trace.value("events_lost", std::int64_t{0})},
                                  {"buffers_lost", trace.value("buffers_lost", std::int64_t{0})},
                                  {"os_build", trace.value("os_build", std::int64_t{0})},
                                  {"dpe_original", dpe.contains("original") ? dpe["original"] : json(nullptr)},
                                  {"dpe_in_effect", dpe.contains("in_effect") ? dpe["in_effect"] : json(nullptr)},
                                  {"dpe_verified", dpe.contains("verified") ? dpe["verified"] : json(nullptr)}});
        for (const Sample& s : facts->samples) {
            auto& v = values[{s.kind, s.key, s.metric}];
            v.resize(n, 0.0);  // absent from earlier iterations: 0 there
            v.push_back(static_cast<double>(s.value));
        }
        ++n;
    }
    json tags = json::object(), drivers = json::object(), totals = json::object();
    for (auto& [key, v] : values) {
        v.resize(n, 0.0);
        json& table = key.kind == "tag" ? tags : key.kind == "driver" ? drivers : totals;
        table[key.key][key.metric] = spread_json(fp::spread_of(v));
    }
    auto rows_of = [](const json& table, const char* name_field) {
        json rows = json::array();
        for (const auto& [name, metrics] : table.items()) {
            json row = metrics;
            row[name_field] = name;
            rows.push_back(std::move(row));
        }
        return rows;
    };
    return json{{"campaign",
                 {{"id", c.id},
                  {"machine", c.machine},
                  {"name", c.name},
                  {"build", c.build},
                  {"template", c.template_name},
                  {"job_id", c.job_id ? json(*c.job_id) : json(nullptr)},
                  {"first_time", iso_utc(c.first_time)},
                  {"iterations", n}}},
                {"iterations", iterations},
                {"tags", rows_of(tags, "tag")},
                {"drivers", rows_of(drivers, "driver")},
                {"totals", rows_of(totals, "total")}};
}

}  // namespace bp::controller
