// Command families of `bootprint-agent`. Thin: parsing, opening the host and the database, printing;
// the work is in the campaign and host libraries.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "bootprint/campaign/campaign_db.hpp"
#include "bootprint/campaign/result_sink.hpp"
#include "bootprint/common/result.hpp"
#include "bootprint/host/host.hpp"
#include "bootprint/store/agent_store.hpp"

namespace bp::agent {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // the campaign failed / the command found a problem
inline constexpr int kExitBadInput = 2;  // bad arguments or input
inline constexpr int kExitError = 3;     // the environment failed (database, files): try again
// `run` after requesting a reboot (the simulated lab's supervisor reboots: host::sim::kRebootExitCode).
inline constexpr int kExitRebooting = 10;

struct AgentContext {
    int exit_code = kExitOk;
    std::string machine_dir;  // --machine, or $BOOTPRINT_SIM_MACHINE
    std::string program;      // argv[0], resolved (to find bootprint-sim-wpr beside it)
    std::string data_dir;     // Windows: --data-dir (default %ProgramData%\Bootprint)
    std::string wpr;          // Windows: --wpr (default: the inbox wpr.exe)
};

// The machine the agent runs on: the simulated lab machine on Linux (main.cpp), the Windows host on
// Windows (win32/agent_host.cpp).
class AgentHost {
  public:
    virtual ~AgentHost() = default;
    virtual Result<host::Host> host() = 0;
    // The agent's SQLite database (store, campaign tables, outbox).
    virtual std::string db_file() const = 0;
    // The engine's crash-test checkpoints (the simulated lab's faults.json); nothing elsewhere.
    virtual void checkpoint(std::string_view point) { (void)point; }
};

// The opened agent: its host, the store and the campaign tables.
struct Agent {
    std::unique_ptr<AgentHost> platform;
    store::AgentStore store;
    campaign::CampaignDb db;
};

Result<Agent> open_agent(const AgentContext& ctx);
int report_error(const Error& e);

// The agent's controller (cmd_controller.cpp), when `connect` configured one: around the engine, `run`
// sends a heartbeat, delivers queued reports, turns a due job into a campaign and reports its state.
// Network failures are logged and never fail the campaign: the outbox keeps the reports.
class ControllerLink {
  public:
    // nullptr when no controller is configured.
    static Result<std::unique_ptr<ControllerLink>> open(Agent& agent, const host::Host& host);
    ~ControllerLink();
    // Before the engine: heartbeat, deliver, and when no campaign is active, start one from a due job.
    Status before_run();
    // The engine's sink: the campaign's table and the outbox.
    campaign::ResultSink& sink();
    // After the engine: deliver, report the job's final state, heartbeat.
    Status after_run();

  private:
    struct Impl;
    explicit ControllerLink(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

void register_campaign_commands(CLI::App& app, AgentContext& ctx);
void register_connect_command(CLI::App& app, AgentContext& ctx);
void register_run_command(CLI::App& app, AgentContext& ctx);
void register_sim_lab_commands(CLI::App& app, AgentContext& ctx);

}  // namespace bp::agent
