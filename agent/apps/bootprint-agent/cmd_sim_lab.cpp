// `bootprint-agent sim-lab init|run|status`: the simulated lab machine (agent/src/host/sim).
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "bootprint/host/sim_machine.hpp"
#include "commands.hpp"

namespace bp::agent {
namespace {

std::string beside(const std::string& program, const std::string& name) {
    return (std::filesystem::path(program).parent_path() / name).string();
}

}  // namespace

void register_sim_lab_commands(CLI::App& app, AgentContext& ctx) {
    auto* lab =
        app.add_subcommand("sim-lab", "The simulated lab machine: a directory, a wpr stand-in, reboots");
    lab->require_subcommand(1);

    struct InitArgs {
        std::string scenario;
        std::string name = "sim-lab-01";
        std::string wpr;
        int dpe = -1;
        std::uint32_t busy_windows = 3;
    };
    auto a = std::make_shared<InitArgs>();
    auto* init = lab->add_subcommand("init", "Create a simulated machine in --machine DIR");
    init->add_option("--scenario", a->scenario, "Boot scenario JSON (default: the embedded desktop boot)");
    init->add_option("--name", a->name, "The machine's name");
    init->add_option("--wpr", a->wpr, "The simulated wpr (default: bootprint-sim-wpr beside this program)");
    init->add_option("--dpe", a->dpe, "Initial DisablePagingExecutive value (default: absent)")
        ->check(CLI::Range(0, 1));
    init->add_option("--busy-windows", a->busy_windows,
                     "Idle samples that report a busy machine after each boot");
    init->callback([a, &ctx] {
        if (ctx.machine_dir.empty()) {
            ctx.exit_code =
                report_error(make_error(Errc::invalid_argument, "sim-lab init needs --machine DIR"));
            return;
        }
        host::sim::SimMachine::InitOptions options;
        options.name = a->name;
        options.wpr_program = a->wpr.empty() ? beside(ctx.program, "bootprint-sim-wpr") : a->wpr;
        options.busy_windows = a->busy_windows;
        if (a->dpe >= 0) options.disable_paging_executive = static_cast<std::uint32_t>(a->dpe);
        if (!a->scenario.empty()) {
            std::FILE* f = std::fopen(a->scenario.c_str(), "rb");
            if (!f) {
                ctx.exit_code = report_error(
                    make_error(Errc::not_found, "cannot open the scenario").with_path(a->scenario));
                return;
            }
            char buf[4096];
            std::size_t n = 0;
            while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) options.scenario_json.append(buf, n);
            std::fclose(f);
        }
        auto machine = host::sim::SimMachine::init(ctx.machine_dir, options);
        if (!machine) {
            ctx.exit_code = report_error(machine.error());
            return;
        }
        std::printf("simulated machine %s in %s\n", options.name.c_str(), machine->dir().c_str());
    });

    struct RunArgs {
        std::uint32_t max_boots = 100;
        bool power_cut = false;
        std::uint32_t retry_backoff_ms = 10;
        std::uint32_t max_step_attempts = 5;
    };
    auto r = std::make_shared<RunArgs>();
    auto* run = lab->add_subcommand("run", "Power the machine on and run the agent until the campaign ends");
    run->add_option("--max-boots", r->max_boots, "Stop after this many boots (a runaway guard)");
    run->add_flag("--power-cut-on-crash", r->power_cut,
                  "A killed agent means a power cut, not a service restart");
    run->add_option("--retry-backoff-ms", r->retry_backoff_ms, "Passed to `run`");
    run->add_option("--max-step-attempts", r->max_step_attempts, "Passed to `run`");
    run->callback([r, &ctx] {
        auto machine = host::sim::SimMachine::open(ctx.machine_dir.empty() ? "." : ctx.machine_dir);
        if (!machine) {
            ctx.exit_code = report_error(machine.error());
            return;
        }
        host::sim::SupervisorOptions options;
        options.agent_command = {ctx.program,           "run",
                                 "--retry-backoff-ms",  std::to_string(r->retry_backoff_ms),
                                 "--max-step-attempts", std::to_string(r->max_step_attempts)};
        options.max_boots = r->max_boots;
        options.power_cut_on_crash = r->power_cut;
        auto outcome = host::sim::run_supervisor(*machine, options);
        if (!outcome) {
            ctx.exit_code = report_error(outcome.error());
            return;
        }
        nlohmann::ordered_json j = {{"boots", outcome->boots},
                                    {"agent_starts", outcome->agent_starts},
                                    {"crashes", outcome->crashes},
                                    {"last_exit_code", outcome->last_exit_code},
                                    {"stopped_because", outcome->stopped_because}};
        std::printf("%s\n", j.dump().c_str());
        ctx.exit_code = outcome->last_exit_code == 0 ? kExitOk : kExitFailure;
    });
}

}  // namespace bp::agent
