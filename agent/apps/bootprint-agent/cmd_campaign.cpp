// `bootprint-agent campaign start|status|cancel` (Linux and Windows).
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "bootprint/campaign/engine.hpp"
#include "bootprint/campaign/result_sink.hpp"
#include "commands.hpp"

namespace bp::agent {
namespace {

using nlohmann::ordered_json;
namespace cp = bp::campaign;

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ',')) {
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

ordered_json optional_json(const std::optional<std::uint32_t>& v) {
    return v ? ordered_json(*v) : ordered_json();
}

ordered_json status_json(const cp::CampaignRecord& c, const std::vector<cp::IterationRecord>& iterations,
                         const std::vector<cp::TransitionRecord>& transitions,
                         const std::vector<cp::QueuedResult>& results) {
    ordered_json j;
    std::size_t ingested = 0;
    std::size_t queued = 0;
    for (const auto& it : iterations) {
        if (it.trace_id) ++ingested;
        if (it.state == "queued") ++queued;
    }
    j["campaign"] = {{"id", c.spec.id},
                     {"state", cp::to_string(c.state)},
                     {"current_seq", c.current_seq},
                     {"total_iterations", c.total_iterations},
                     {"build", c.spec.build},
                     {"machine", c.spec.machine},
                     {"profile_path", c.profile_path},
                     {"failure_code", c.failure_code},
                     {"failure_reason", c.failure_reason},
                     {"cancel_requested", c.cancel_requested},
                     {"step_attempts", c.step_attempts},
                     {"last_error", c.last_error},
                     {"disable_paging_executive",
                      {{"original", optional_json(c.dpe.original)},
                       {"wanted", optional_json(c.dpe.wanted)},
                       {"changed", c.dpe.changed},
                       {"in_effect", optional_json(c.dpe.in_effect)},
                       {"verified", c.dpe.verified},
                       {"restored", c.dpe.restored}}}};
    j["summary"] = {{"iterations", iterations.size()},
                    {"ingested", ingested},
                    {"queued", queued},
                    {"results", results.size()},
                    {"transitions", transitions.size()}};
    ordered_json its = ordered_json::array();
    for (const auto& it : iterations) {
        its.push_back({{"seq", it.seq},
                       {"tag_group", it.tag_group},
                       {"iteration", it.iteration},
                       {"state", it.state},
                       {"attempt", it.attempt},
                       {"selector", it.selector},
                       {"trace_path", it.trace_path},
                       {"trace_sha256", it.trace_sha256},
                       {"trace_id", it.trace_id ? ordered_json(*it.trace_id) : ordered_json()},
                       {"events_lost", it.events_lost},
                       {"autologger_status", optional_json(it.autologger_status)},
                       {"settle_ms", it.settle_ms},
                       {"settle_timed_out", it.settle_timed_out},
                       {"result_key", it.result_key},
                       {"retry_log", it.retry_log}});
    }
    j["iterations"] = its;
    ordered_json tr = ordered_json::array();
    for (const auto& t : transitions) {
        tr.push_back({{"seq", t.seq},
                      {"from", t.from},
                      {"to", t.to},
                      {"iteration", t.iteration_seq},
                      {"boot", t.boot_id},
                      {"note", t.note}});
    }
    j["transitions"] = tr;
    ordered_json rs = ordered_json::array();
    for (const auto& r : results) rs.push_back({{"key", r.idempotency_key}, {"iteration", r.iteration_seq}});
    j["results"] = rs;
    return j;
}

void print_status(const ordered_json& j) {
    const auto& c = j["campaign"];
    std::printf("campaign %s: %s", c["id"].get<std::string>().c_str(), c["state"].get<std::string>().c_str());
    if (c["current_seq"].get<std::int64_t>() > 0 && c["state"] != "done") {
        std::printf(" (boot %lld of %lld)", static_cast<long long>(c["current_seq"].get<std::int64_t>()),
                    static_cast<long long>(c["total_iterations"].get<std::int64_t>()));
    }
    std::printf("\n");
    const auto& s = j["summary"];
    std::printf("  iterations: %zu planned, %zu ingested, %zu reports queued\n",
                s["iterations"].get<std::size_t>(), s["ingested"].get<std::size_t>(),
                s["queued"].get<std::size_t>());
    const auto& d = c["disable_paging_executive"];
    std::printf("  DisablePagingExecutive: original %s, in effect %s%s%s\n",
                d["original"].is_null() ? "absent" : d["original"].dump().c_str(),
                d["in_effect"].is_null() ? "?" : d["in_effect"].dump().c_str(),
                d["verified"].get<bool>() ? " (verified)" : "",
                d["changed"].get<bool>() ? (d["restored"].get<bool>() ? ", restored" : ", changed") : "");
    if (!c["failure_reason"].get<std::string>().empty()) {
        std::printf("  %s: %s\n", c["failure_code"].get<std::string>().c_str(),
                    c["failure_reason"].get<std::string>().c_str());
    } else if (!c["last_error"].get<std::string>().empty()) {
        std::printf("  retrying (%d tries): %s\n", c["step_attempts"].get<int>(),
                    c["last_error"].get<std::string>().c_str());
    }
    for (const auto& it : j["iterations"]) {
        std::printf("  #%-3lld group %u iteration %u: %-9s attempt %u %s\n",
                    static_cast<long long>(it["seq"].get<std::int64_t>()), it["tag_group"].get<unsigned>(),
                    it["iteration"].get<unsigned>(), it["state"].get<std::string>().c_str(),
                    it["attempt"].get<unsigned>(), it["trace_path"].get<std::string>().c_str());
    }
}

}  // namespace

void register_campaign_commands(CLI::App& app, AgentContext& ctx) {
    auto* campaign = app.add_subcommand("campaign", "Start, inspect or cancel a boot-trace campaign");
    campaign->require_subcommand(1);

    struct StartArgs {
        cp::CampaignSpec spec;
        std::string tags;
        std::string dpe = "keep";
        std::vector<std::string> labels;
        bool no_resident_set = false;
        bool json = false;
    };
    auto a = std::make_shared<StartArgs>();
    auto* start = campaign->add_subcommand("start", "Create a campaign; `run` (the service) carries it out");
    start->add_option("--id", a->spec.id, "Campaign id: letters, digits, '.', '_', '-'")->required();
    start->add_option("--build", a->spec.build, "The Windows build under test (report label)")->required();
    start->add_option("--iterations,-n", a->spec.iterations, "Boots per tag group")
        ->check(CLI::Range(1, 1000));
    start->add_option("--machine-label", a->spec.machine, "Machine label (default: the machine's name)");
    start->add_option("--job", a->spec.job_id, "The controller's job id");
    start->add_option("--tags", a->tags, "Pool tags, comma separated (groups of 4 become separate profiles)");
    start->add_option("--profile-name", a->spec.profile_name, "The WPR profile name");
    start->add_flag("--no-resident-set", a->no_resident_set, "Do not record the resident set");
    start->add_flag("--triage", a->spec.triage, "Add the first-level-triage providers");
    start->add_option("--dpe", a->dpe, "DisablePagingExecutive during the campaign: on, off or keep")
        ->check(CLI::IsMember({"on", "off", "keep"}));
    start->add_option("--max-events-lost", a->spec.max_events_lost,
                      "Record a boot again when it lost more events");
    start->add_option("--max-retries", a->spec.max_retries,
                      "Re-recordings of one boot before the campaign fails");
    start->add_option("--settle-idle-ms", a->spec.settle.idle_ms, "Accumulated idle time that means settled");
    start->add_option("--settle-window-ms", a->spec.settle.window_ms, "Idle sampling window");
    start->add_option("--settle-max-ms", a->spec.settle.max_delay_ms,
                      "Stop the trace after this long anyway");
    start->add_option("--label", a->labels, "KEY=VALUE label for the reports (repeatable)");
    start->add_flag("--json", a->json, "Print the campaign as JSON");
    start->callback([a, &ctx] {
        a->spec.pool_tags = split_list(a->tags);
        a->spec.resident_set = !a->no_resident_set;
        if (a->dpe != "keep") a->spec.disable_paging_executive = a->dpe == "on";
        for (const std::string& l : a->labels) {
            const auto eq = l.find('=');
            if (eq == std::string::npos || eq == 0) {
                ctx.exit_code =
                    report_error(make_error(Errc::invalid_argument, "--label wants KEY=VALUE, not " + l));
                return;
            }
            a->spec.labels[l.substr(0, eq)] = l.substr(eq + 1);
        }
        auto agent = open_agent(ctx);
        if (!agent) {
            ctx.exit_code = report_error(agent.error());
            return;
        }
        auto host = agent->platform->host();
        if (!host) {
            ctx.exit_code = report_error(host.error());
            return;
        }
        auto created = cp::start_campaign(agent->db, a->spec, host->machine, host->clock);
        if (!created) {
            ctx.exit_code = report_error(created.error());
            return;
        }
        if (a->json) {
            std::printf("%s\n", ordered_json({{"id", created->spec.id},
                                              {"state", cp::to_string(created->state)},
                                              {"total_iterations", created->total_iterations}})
                                    .dump(2)
                                    .c_str());
        } else {
            std::printf("campaign %s created: %lld boots; `bootprint-agent run` carries it out\n",
                        created->spec.id.c_str(), static_cast<long long>(created->total_iterations));
        }
    });

    struct StatusArgs {
        std::string id;
        bool json = false;
    };
    auto s = std::make_shared<StatusArgs>();
    auto* status =
        campaign->add_subcommand("status", "Where the campaign is, what it recorded, why it failed");
    status->add_option("--id", s->id, "Campaign id (default: the latest)");
    status->add_flag("--json", s->json, "JSON: campaign, iterations, transitions, queued results");
    status->callback([s, &ctx] {
        auto agent = open_agent(ctx);
        if (!agent) {
            ctx.exit_code = report_error(agent.error());
            return;
        }
        auto found = s->id.empty() ? agent->db.latest() : agent->db.find(s->id);
        if (!found) {
            ctx.exit_code = report_error(found.error());
            return;
        }
        if (!*found) {
            ctx.exit_code = report_error(make_error(
                Errc::not_found, s->id.empty() ? "no campaign yet" : "no campaign '" + s->id + "'"));
            return;
        }
        const cp::CampaignRecord& c = **found;
        auto iterations = agent->db.iterations(c.spec.id);
        auto transitions = agent->db.transitions(c.spec.id);
        auto results = agent->db.results(c.spec.id);
        if (!iterations || !transitions || !results) {
            ctx.exit_code = report_error(!iterations    ? iterations.error()
                                         : !transitions ? transitions.error()
                                                        : results.error());
            return;
        }
        ordered_json j = status_json(c, *iterations, *transitions, *results);
        // What the store holds for the campaign, counted independently of the campaign's own rows.
        store::TraceFilter filter;
        filter.campaign = c.spec.id;
        auto traces = agent->store.traces(filter);
        if (!traces) {
            ctx.exit_code = report_error(traces.error());
            return;
        }
        j["summary"]["store_traces"] = traces->size();
        if (s->json) {
            std::printf("%s\n", j.dump(2).c_str());
        } else {
            print_status(j);
        }
        ctx.exit_code = c.state == cp::State::failed ? kExitFailure : kExitOk;
    });

    auto cancel_id = std::make_shared<std::string>();
    auto* cancel =
        campaign->add_subcommand("cancel", "Cancel the running campaign (cleanup happens at the next step)");
    cancel->add_option("--id", *cancel_id, "Campaign id (default: the running one)");
    cancel->callback([cancel_id, &ctx] {
        auto agent = open_agent(ctx);
        if (!agent) {
            ctx.exit_code = report_error(agent.error());
            return;
        }
        std::string id = *cancel_id;
        if (id.empty()) {
            auto active = agent->db.active();
            if (!active || !*active) {
                ctx.exit_code = report_error(active ? make_error(Errc::not_found, "no campaign is running")
                                                    : active.error());
                return;
            }
            id = (*active)->spec.id;
        }
        host::SystemClock clock;
        if (auto r = agent->db.request_cancel(id, clock.now_us()); !r) {
            ctx.exit_code = report_error(r.error());
            return;
        }
        std::printf("campaign %s: cancel requested; the agent cleans up at its next step\n", id.c_str());
    });
}

}  // namespace bp::agent
