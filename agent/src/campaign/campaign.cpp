#include "bootprint/campaign/campaign.hpp"

#include <nlohmann/json.hpp>

namespace bp::campaign {
namespace {

constexpr const char* kStateNames[] = {
    "created", "prepared", "dpe_reboot", "iteration_ready", "armed", "rebooting", "booted",   "settled",
    "stopped", "ingested", "finishing",  "restore_reboot",  "done",  "failed",    "cancelled"};

}  // namespace

const char* to_string(State state) {
    return kStateNames[static_cast<int>(state)];
}

Result<State> parse_state(std::string_view text) {
    for (int i = 0; i < static_cast<int>(std::size(kStateNames)); ++i) {
        if (text == kStateNames[i]) return static_cast<State>(i);
    }
    return make_error(Errc::corrupt, "unknown campaign state '" + std::string(text) + "'");
}

bool is_terminal(State state) {
    return state == State::done || state == State::failed || state == State::cancelled;
}

Status CampaignSpec::validate() const {
    if (id.empty() || id.size() > 64)
        return make_error(Errc::invalid_argument, "campaign id: 1 to 64 characters");
    for (char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '.' || c == '_' || c == '-';
        if (!ok) {
            return make_error(
                Errc::invalid_argument,
                "campaign id '" + id + "': only letters, digits, '.', '_' and '-' (it names folders)");
        }
    }
    if (id == "." || id == "..")
        return make_error(Errc::invalid_argument, "campaign id '" + id + "' names no folder");
    if (build.empty())
        return make_error(Errc::invalid_argument, "the build label is required (the report needs it)");
    if (iterations < 1 || iterations > 1000) {
        return make_error(Errc::invalid_argument, "iterations: 1 to 1000, not " + std::to_string(iterations));
    }
    if (settle.window_ms < 10 || settle.window_ms > 60'000) {
        return make_error(Errc::invalid_argument, "settle window: 10 ms to 60 s");
    }
    if (settle.max_delay_ms < settle.window_ms) {
        return make_error(Errc::invalid_argument, "the maximum settle delay is shorter than one window");
    }
    if (!(settle.busy_percent > 0 && settle.busy_percent <= 100)) {
        return make_error(Errc::invalid_argument, "busy threshold: a percentage above 0");
    }
    if (max_retries > 20) return make_error(Errc::invalid_argument, "max retries: at most 20");
    return {};
}

std::string CampaignSpec::to_json() const {
    nlohmann::ordered_json j;
    j["id"] = id;
    j["build"] = build;
    j["machine"] = machine;
    j["job_id"] = job_id;
    j["labels"] = labels;
    j["iterations"] = iterations;
    j["profile_name"] = profile_name;
    j["pool_tags"] = pool_tags;
    j["resident_set"] = resident_set;
    j["triage"] = triage;
    j["disable_paging_executive"] = disable_paging_executive
                                        ? nlohmann::ordered_json(*disable_paging_executive)
                                        : nlohmann::ordered_json();
    j["settle"] = {{"idle_ms", settle.idle_ms},
                   {"window_ms", settle.window_ms},
                   {"busy_percent", settle.busy_percent},
                   {"max_delay_ms", settle.max_delay_ms}};
    j["max_events_lost"] = max_events_lost;
    j["max_retries"] = max_retries;
    return j.dump();
}

Result<CampaignSpec> CampaignSpec::from_json(std::string_view text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return make_error(Errc::corrupt, "campaign spec: not a JSON object");
    try {
        CampaignSpec s;
        s.id = j.at("id").get<std::string>();
        s.build = j.value("build", std::string());
        s.machine = j.value("machine", std::string());
        s.job_id = j.value("job_id", std::string());
        s.labels = j.value("labels", std::map<std::string, std::string>());
        s.iterations = j.value("iterations", 3u);
        s.profile_name = j.value("profile_name", s.profile_name);
        s.pool_tags = j.value("pool_tags", std::vector<std::string>());
        s.resident_set = j.value("resident_set", true);
        s.triage = j.value("triage", false);
        if (j.contains("disable_paging_executive") && !j["disable_paging_executive"].is_null()) {
            s.disable_paging_executive = j["disable_paging_executive"].get<bool>();
        }
        if (j.contains("settle")) {
            const auto& t = j["settle"];
            s.settle.idle_ms = t.value("idle_ms", s.settle.idle_ms);
            s.settle.window_ms = t.value("window_ms", s.settle.window_ms);
            s.settle.busy_percent = t.value("busy_percent", s.settle.busy_percent);
            s.settle.max_delay_ms = t.value("max_delay_ms", s.settle.max_delay_ms);
        }
        s.max_events_lost = j.value("max_events_lost", std::uint64_t{0});
        s.max_retries = j.value("max_retries", 2u);
        return s;
    } catch (const nlohmann::json::exception& e) {
        return make_error(Errc::corrupt, std::string("campaign spec: ") + e.what());
    }
}

}  // namespace bp::campaign
