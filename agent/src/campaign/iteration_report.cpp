#include "bootprint/campaign/iteration_report.hpp"

#include <map>

#include <nlohmann/json.hpp>

namespace bp::campaign {

using nlohmann::ordered_json;

std::string idempotency_key(const std::string& agent_id, const std::string& campaign_id, std::int64_t seq,
                            const std::string& sha256) {
    return agent_id + "/" + campaign_id + "/" + std::to_string(seq) + "/" + sha256;
}

namespace {

std::string file_name(const std::string& path) {
    const auto slash = path.find_last_of("\\/");
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

Result<std::string> build_iteration_report(store::AgentStore& store, const ReportContext& ctx) {
    if (!ctx.campaign || !ctx.iteration || !ctx.iteration->trace_id) {
        return make_error(Errc::internal, "report context without campaign, iteration or trace");
    }
    const CampaignRecord& c = *ctx.campaign;
    const IterationRecord& it = *ctx.iteration;
    store::TraceFilter filter;
    filter.trace_id = *it.trace_id;
    BP_TRY(auto traces, store.traces(filter));
    if (traces.empty()) {
        return make_error(Errc::not_found, "trace " + std::to_string(*it.trace_id) + " of iteration " +
                                               std::to_string(it.seq) + " is not in the store");
    }
    const store::TraceRecord& t = traces.front();

    ordered_json j;
    j["schema"] = "bootprint.report";
    j["schema_version"] = 1;
    j["idempotency_key"] = idempotency_key(ctx.agent_id, c.spec.id, it.seq, t.info.sha256);
    j["agent"] = {{"id", ctx.agent_id},
                  {"machine", ctx.machine},
                  {"os_build", std::to_string(t.info.os_build)},
                  {"agent_version", ctx.agent_version}};
    ordered_json campaign = {{"id", c.spec.id},
                             {"build", c.spec.build},
                             {"iterations", c.total_iterations},
                             {"tag_group", it.tag_group}};
    if (!c.spec.job_id.empty()) campaign["job_id"] = c.spec.job_id;
    ordered_json labels = ordered_json::object();
    for (const auto& [k, v] : c.spec.labels) labels[k] = v;
    labels["iteration_in_group"] = std::to_string(it.iteration);
    labels["attempt"] = std::to_string(it.attempt);
    labels["profile"] = it.selector;
    campaign["labels"] = labels;
    j["campaign"] = campaign;
    j["iteration"] = it.seq;
    ordered_json dpe;
    dpe["original"] = c.dpe.original ? ordered_json(*c.dpe.original) : ordered_json();
    dpe["in_effect"] = c.dpe.in_effect.value_or(c.dpe.original.value_or(0));
    dpe["verified"] = c.dpe.verified;
    j["disable_paging_executive"] = dpe;
    j["trace"] = {{"sha256", t.info.sha256},
                  {"bytes", t.info.bytes},
                  {"os_build", t.info.os_build},
                  {"pointer_size", t.info.pointer_size},
                  {"start_time", t.info.start_time},
                  {"end_time", t.info.end_time},
                  {"boot_time", t.info.boot_time},
                  {"events", t.info.events},
                  {"events_lost", t.info.events_lost},
                  {"buffers_lost", t.info.buffers_lost},
                  {"malformed_events", t.info.malformed_events}};

    store::PoolQuery pq;
    pq.traces = filter;
    BP_TRY(auto pool, store.pool_table(pq));
    ordered_json pool_rows = ordered_json::array();
    for (const store::PoolTableRow& p : pool) {
        pool_rows.push_back({{"tag", p.row.tag},
                             {"module", p.row.module},
                             {"paged", p.row.paged},
                             {"type", footprint::to_string(p.row.type)},
                             {"count", p.row.count},
                             {"size", p.row.size},
                             {"impacting_size", p.row.impacting_size},
                             {"peak_outstanding", p.row.peak_outstanding}});
    }
    j["pool"] = pool_rows;

    store::ResidentQuery rq;
    rq.traces = filter;
    BP_TRY(auto resident, store.resident_set(rq));
    std::uint32_t last_snapshot = 0;
    for (const auto& r : resident) last_snapshot = std::max(last_snapshot, r.row.snapshot);
    constexpr std::uint64_t kPage = 4096;
    struct Driver {
        std::uint64_t active = 0, standby = 0;
    };
    std::map<std::string, Driver> drivers;
    std::map<std::pair<std::string, std::string>, std::uint64_t> totals;
    for (const auto& r : resident) {
        if (r.row.snapshot != last_snapshot) continue;
        totals[{r.row.category, r.row.list}] += r.row.pages;
        if (r.row.category != "Driver") continue;
        Driver& d = drivers[r.row.path];
        if (r.row.list == "Active") d.active += r.row.pages;
        if (r.row.list == "Standby") d.standby += r.row.pages;
    }
    ordered_json driver_rows = ordered_json::array();
    for (const auto& [path, d] : drivers) {
        driver_rows.push_back({{"name", file_name(path)},
                               {"path", path},
                               {"active_bytes", d.active * kPage},
                               {"standby_bytes", d.standby * kPage}});
    }
    j["drivers"] = driver_rows;
    ordered_json resident_rows = ordered_json::array();
    for (const auto& [key, pages] : totals) {
        resident_rows.push_back(
            {{"category", key.first}, {"list", key.second}, {"pages", pages}, {"bytes", pages * kPage}});
    }
    j["resident"] = resident_rows;
    return j.dump();
}

}  // namespace bp::campaign
