// bootprint-agent: the lab machine's agent. Runs boot-trace campaigns that survive reboots and power
// loss (docs/campaign.md); on Linux against a simulated lab machine (`sim-lab`).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>

#include "bootprint/host/sim_machine.hpp"
#include "commands.hpp"

namespace bp::agent {

static_assert(kExitRebooting == host::sim::kRebootExitCode);

namespace {

// Linux: the simulated lab machine.
class SimAgentHost final : public AgentHost {
  public:
    explicit SimAgentHost(host::sim::SimMachine machine) : sim_(std::move(machine)) {}
    Result<host::Host> host() override { return sim_.host(); }
    std::string db_file() const override { return sim_.machine().db_file(); }
    void checkpoint(std::string_view point) override {
        auto crash = sim_.machine().take_crash_point(std::string(point));
        if (crash && *crash) {
            std::fflush(nullptr);
            std::raise(SIGKILL);
        }
    }

  private:
    host::sim::SimHost sim_;
};

}  // namespace

int report_error(const Error& e) {
    std::fprintf(stderr, "bootprint-agent: %s\n", e.describe().c_str());
    switch (e.code) {
        case Errc::invalid_argument:
        case Errc::not_found:
        case Errc::conflict:
        case Errc::corrupt:
        case Errc::truncated:
            return kExitBadInput;
        default:
            return kExitError;
    }
}

Result<Agent> open_agent(const AgentContext& ctx) {
    std::string dir = ctx.machine_dir;
    if (dir.empty()) {
        if (const char* env = std::getenv(host::sim::kMachineEnv)) dir = env;
    }
    if (dir.empty()) {
        return make_error(
            Errc::invalid_argument,
            "no host: on this platform the agent runs on a simulated lab machine; give --machine DIR "
            "(created by `bootprint-agent sim-lab init`)");
    }
    BP_TRY(host::sim::SimMachine machine, host::sim::SimMachine::open(dir));
    const std::string db_path = machine.db_file();
    BP_TRY(store::AgentStore store, store::AgentStore::open(db_path));
    BP_TRY(campaign::CampaignDb db, campaign::CampaignDb::open(db_path));
    return Agent{std::make_unique<SimAgentHost>(std::move(machine)), std::move(store), std::move(db)};
}

}  // namespace bp::agent

int main(int argc, char** argv) {
    CLI::App app{"bootprint-agent: unattended boot-trace campaigns on a lab machine"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "bootprint-agent 0.1.0");
    bp::agent::AgentContext ctx;
    std::error_code ec;
    ctx.program = std::filesystem::canonical("/proc/self/exe", ec).string();
    if (ec) ctx.program = argv[0];
    app.add_option("--machine", ctx.machine_dir,
                   "The simulated lab machine's directory (default: $BOOTPRINT_SIM_MACHINE)");
    bp::agent::register_campaign_commands(app, ctx);
    bp::agent::register_run_command(app, ctx);
    bp::agent::register_connect_command(app, ctx);
    bp::agent::register_sim_lab_commands(app, ctx);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : bp::agent::kExitBadInput;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bootprint-agent: fatal: %s\n", e.what());
        return bp::agent::kExitError;
    }
    return ctx.exit_code;
}
