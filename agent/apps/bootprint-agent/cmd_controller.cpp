// `bootprint-agent connect` and the controller side of `bootprint-agent run` (docs/controller.md):
// heartbeats, jobs that become campaigns, and the iteration reports delivered through the outbox.
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "bootprint/campaign/engine.hpp"
#include "bootprint/report/controller_client.hpp"
#include "bootprint/report/outbox.hpp"
#include "commands.hpp"

namespace bp::agent {
namespace {

namespace fs = std::filesystem;
namespace cp = bp::campaign;
namespace rp = bp::report;
using nlohmann::json;

constexpr const char* kAgentVersion = "0.1.0";

// What `connect` stores beside the agent's data (data_dir/controller.json, mode 0600: it holds the token).
struct LinkConfig {
    std::string server;
    std::string enrol_secret;
    std::string group = "default";
    std::optional<rp::Credentials> credentials;
};

std::string config_path(const host::Host& host) {
    return (fs::path(host.data_dir) / "controller.json").string();
}

Result<std::optional<LinkConfig>> load_config(const std::string& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return std::optional<LinkConfig>();
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in) return make_error(Errc::io, "cannot read the controller settings").with_path(path);
    const json j = json::parse(ss.str(), nullptr, false);
    if (!j.is_object() || !j.contains("server") || !j["server"].is_string()) {
        return make_error(Errc::corrupt, "the controller settings are not valid JSON").with_path(path);
    }
    LinkConfig c;
    c.server = j.value("server", "");
    c.enrol_secret = j.value("enrol_secret", "");
    c.group = j.value("group", "default");
    if (j.contains("agent_id") && j["agent_id"].is_number_integer() && j.contains("token") &&
        j["token"].is_string()) {
        c.credentials = rp::Credentials{j["agent_id"].get<std::int64_t>(), j["token"].get<std::string>()};
    }
    return std::optional<LinkConfig>(std::move(c));
}

// Written to a temporary file and renamed: a power cut leaves the old or the new settings.
Status save_config(const std::string& path, const LinkConfig& c) {
    json j = {{"server", c.server}, {"enrol_secret", c.enrol_secret}, {"group", c.group}};
    if (c.credentials) {
        j["agent_id"] = c.credentials->agent_id;
        j["token"] = c.credentials->token;
    }
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << j.dump(2) << "\n";
        out.flush();
        if (!out) return make_error(Errc::io, "cannot write the controller settings").with_path(tmp);
    }
    std::error_code ec;
    fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace, ec);
    fs::rename(tmp, path, ec);
    if (ec)
        return make_error(Errc::io, "cannot replace the controller settings: " + ec.message())
            .with_path(path);
    return {};
}

rp::ClientOptions client_options(const LinkConfig& c, const host::Host& host) {
    rp::ClientOptions o;
    o.url = c.server;
    o.enrol_secret = c.enrol_secret;
    o.machine = host.machine;
    o.group = c.group;
    o.agent_version = kAgentVersion;
    o.timeout = std::chrono::milliseconds(10000);
    return o;
}

void note(const std::string& what) {
    std::fprintf(stderr, "bootprint-agent: controller: %s\n", what.c_str());
}

// Campaign ids are [A-Za-z0-9._-]{1,64}; the controller suggests "<template>@<slot, ISO-8601>".
std::string campaign_id_for(const rp::Job& job) {
    std::string id;
    for (char ch : job.campaign) {
        const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                        ch == '.' || ch == '_' || ch == '-';
        id.push_back(ok ? ch : '-');
    }
    if (id.empty()) id = "job-" + std::to_string(job.id);
    if (id.size() > 64) id.resize(64);
    return id;
}

Result<cp::CampaignSpec> spec_from_job(const rp::Job& job, const std::string& id) {
    const json& s = job.spec;
    if (!s.is_object() || !s.contains("tags") || !s["tags"].is_array()) {
        return make_error(Errc::invalid_argument, "the job's template has no tags");
    }
    cp::CampaignSpec spec;
    spec.id = id;
    spec.job_id = std::to_string(job.id);
    for (const json& t : s["tags"]) {
        if (!t.is_string())
            return make_error(Errc::invalid_argument, "the job's template has a tag that is not a string");
        spec.pool_tags.push_back(t.get<std::string>());
    }
    if (s.contains("iterations") && s["iterations"].is_number_integer()) {
        const auto n = s["iterations"].get<std::int64_t>();
        if (n < 1 || n > 1000)
            return make_error(Errc::invalid_argument, "the job's iterations are out of range");
        spec.iterations = static_cast<std::uint32_t>(n);
    }
    spec.resident_set = s.value("resident_set", true);
    // DisablePagingExecutive: "on" (the default: drivers' code stays resident, as the footprint exercise
    // wants), "off", or "keep" (the machine's own setting).
    const std::string dpe = s.contains("disable_paging_executive") && s["disable_paging_executive"].is_string()
                                ? s["disable_paging_executive"].get<std::string>()
                                : "on";
    if (dpe != "on" && dpe != "off" && dpe != "keep") {
        return make_error(Errc::invalid_argument, "the job's disable_paging_executive is not on, off or keep");
    }
    if (dpe != "keep") spec.disable_paging_executive = dpe == "on";
    spec.triage = s.value("triage", false);
    if (s.contains("labels") && s["labels"].is_object()) {
        for (const auto& [k, v] : s["labels"].items()) {
            if (v.is_string()) spec.labels[k] = v.get<std::string>();
        }
    }
    // The build under test: the template's "build" label (the lab sets it per image), else unknown.
    const auto build = spec.labels.find("build");
    spec.build = build != spec.labels.end() && !build->second.empty() ? build->second : "unknown";
    return spec;
}

const char* job_state_for(cp::State s) {
    switch (s) {
        case cp::State::done:
            return "done";
        case cp::State::failed:
        case cp::State::cancelled:
            return "failed";
        default:
            return nullptr;
    }
}

// Each report goes to the campaign's own table (campaign status) and to the outbox (the controller).
// Both ignore a key they already hold, so the engine's repeated enqueue after a crash queues nothing twice.
class OutboxResultSink final : public cp::ResultSink {
  public:
    OutboxResultSink(cp::CampaignDb& db, host::Clock& clock, rp::Outbox& outbox)
        : db_(db, clock), outbox_(outbox) {}
    Status enqueue(const cp::ReportEnvelope& report) override {
        BP_TRY_STATUS(db_.enqueue(report));
        BP_TRY(bool added, outbox_.enqueue(report.idempotency_key, report.report_json));
        (void)added;
        return {};
    }

  private:
    cp::DbResultSink db_;
    rp::Outbox& outbox_;
};

}  // namespace

struct ControllerLink::Impl {
    Impl(Agent& a, host::Host h, std::string path, LinkConfig c, rp::Outbox o)
        : agent(a),
          ports(h),
          settings_path(std::move(path)),
          config(std::move(c)),
          client(client_options(config, ports), config.credentials),
          outbox(std::move(o)),
          sink(agent.db, ports.clock, outbox) {}

    Agent& agent;
    host::Host ports;
    std::string settings_path;
    LinkConfig config;
    rp::ControllerClient client;
    rp::Outbox outbox;
    OutboxResultSink sink;

    void heartbeat(const std::string& state) {
        if (auto r = client.heartbeat({state}); !r) note("heartbeat: " + r.error().describe());
    }
    // Uploads what the outbox holds; true when nothing is left waiting.
    bool deliver() {
        auto s = outbox.drain(client);
        if (!s) {
            note("outbox: " + s.error().describe());
            return false;
        }
        if (s->stored || s->duplicates || s->rejected || s->pending) {
            note("reports: " + std::to_string(s->stored) + " stored, " + std::to_string(s->duplicates) +
                 " already there, " + std::to_string(s->rejected) + " refused, " +
                 std::to_string(s->pending) + " waiting" +
                 (s->last_error ? " (" + s->last_error->describe() + ")" : ""));
        }
        return s->pending == 0;
    }
    void job_state(const std::string& job_id, const char* state, const std::string& message = {}) {
        std::int64_t id = 0;
        try {
            id = std::stoll(job_id);
        } catch (const std::exception&) {
            return;
        }
        if (auto r = client.set_job_state(id, state, message); !r) {
            note("job " + job_id + " " + state + ": " + r.error().describe());
        }
    }
    std::string describe(const std::optional<cp::CampaignRecord>& c) const {
        if (!c) return "idle";
        std::string s = "campaign " + c->spec.id + ": " + cp::to_string(c->state);
        if (c->current_seq > 0) {
            s += " (boot " + std::to_string(c->current_seq) + "/" + std::to_string(c->total_iterations) + ")";
        }
        return s;
    }

    // No campaign is active: take the first open job that has not been carried out here.
    Status take_job() {
        auto jobs = client.poll_jobs();
        if (!jobs) {
            note("jobs: " + jobs.error().describe());
            return {};  // the network never fails the agent: the next run asks again
        }
        for (const rp::Job& job : *jobs) {
            std::string id = campaign_id_for(job);
            BP_TRY(auto existing, agent.db.find(id));
            if (existing && existing->spec.job_id != std::to_string(job.id)) {
                id = id.substr(0, 50) + "-job" + std::to_string(job.id);
                BP_TRY(existing, agent.db.find(id));
            }
            if (existing) {
                if (cp::is_terminal(existing->state) && !deliver()) continue;  // its reports first
                // Carried out already (its final state did not reach the controller): report it now.
                if (const char* state = job_state_for(existing->state)) {
                    job_state(existing->spec.job_id, "running");
                    job_state(existing->spec.job_id, state, existing->failure_reason);
                }
                continue;
            }
            auto spec = spec_from_job(job, id);
            if (!spec) {
                job_state(std::to_string(job.id), "failed", spec.error().describe());
                continue;
            }
            auto created = cp::start_campaign(agent.db, *spec, ports.machine, ports.clock);
            if (!created) {
                if (created.error().code == Errc::invalid_argument) {
                    job_state(std::to_string(job.id), "failed", created.error().describe());
                    continue;
                }
                return std::move(created).error();
            }
            note("job " + std::to_string(job.id) + " (" + job.template_name + "): campaign " + id + ", " +
                 std::to_string(created->total_iterations) + " boots");
            job_state(std::to_string(job.id), "running");
            return {};
        }
        return {};
    }
};

ControllerLink::ControllerLink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ControllerLink::~ControllerLink() = default;

Result<std::unique_ptr<ControllerLink>> ControllerLink::open(Agent& agent, const host::Host& host) {
    const std::string path = config_path(host);
    BP_TRY(auto config, load_config(path));
    if (!config) return std::unique_ptr<ControllerLink>();
    BP_TRY(rp::Outbox outbox, rp::Outbox::open(agent.platform->db_file()));
    auto impl = std::make_unique<Impl>(agent, host, path, std::move(*config), std::move(outbox));
    Impl* raw = impl.get();
    raw->client.on_credentials_changed([raw](const rp::Credentials& c) {
        raw->config.credentials = c;
        if (auto r = save_config(raw->settings_path, raw->config); !r) note(r.error().describe());
    });
    return std::unique_ptr<ControllerLink>(new ControllerLink(std::move(impl)));
}

campaign::ResultSink& ControllerLink::sink() {
    return impl_->sink;
}

Status ControllerLink::before_run() {
    BP_TRY(auto active, impl_->agent.db.active());
    impl_->heartbeat(impl_->describe(active));
    impl_->deliver();
    if (active) {
        if (!active->spec.job_id.empty()) impl_->job_state(active->spec.job_id, "running");
        return {};
    }
    return impl_->take_job();
}

Status ControllerLink::after_run() {
    BP_TRY(auto latest, impl_->agent.db.latest());
    // A job is reported finished only once all of its reports are uploaded: the controller judges the
    // nightly run (alerts) when it hears "done". Otherwise the next run delivers and reports it.
    const bool delivered = impl_->deliver();
    if (delivered && latest && !latest->spec.job_id.empty()) {
        if (const char* state = job_state_for(latest->state)) {
            impl_->job_state(latest->spec.job_id, state, latest->failure_reason);
        }
    }
    impl_->heartbeat(impl_->describe(latest));
    return {};
}

void register_connect_command(CLI::App& app, AgentContext& ctx) {
    auto config = std::make_shared<LinkConfig>();
    auto* connect =
        app.add_subcommand("connect", "Connect the agent to a controller (bootprint-service) and enrol");
    connect->add_option("--server", config->server, "The controller's URL, e.g. http://10.0.0.5:8420")
        ->required();
    connect->add_option("--enrol-secret", config->enrol_secret, "The lab's enrol secret")->required();
    connect->add_option("--group", config->group, "The machine group jobs are assigned to")
        ->capture_default_str();
    connect->callback([config, &ctx] {
        if (auto url = rp::parse_url(config->server); !url) {
            ctx.exit_code = report_error(url.error());
            return;
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
        const std::string path = config_path(*host);
        LinkConfig c = *config;
        if (auto r = save_config(path, c); !r) {
            ctx.exit_code = report_error(r.error());
            return;
        }
        rp::ControllerClient client(client_options(c, *host));
        auto enrolled = client.enrol();
        if (!enrolled) {
            std::fprintf(stderr,
                         "bootprint-agent: saved %s; enrolment failed (the agent retries at its next run)\n",
                         path.c_str());
            ctx.exit_code = report_error(enrolled.error());
            return;
        }
        c.credentials = *enrolled;
        if (auto r = save_config(path, c); !r) {
            ctx.exit_code = report_error(r.error());
            return;
        }
        std::printf(
            "machine %s enrolled at %s as agent %lld (group %s); `bootprint-agent run` takes its jobs\n",
            host->machine.c_str(), c.server.c_str(), static_cast<long long>(enrolled->agent_id),
            c.group.c_str());
    });
}

}  // namespace bp::agent
