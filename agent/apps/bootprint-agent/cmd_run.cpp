// `bootprint-agent run` on Linux: the resident loop on the simulated lab machine (on Windows `run` is
// the service: win32/service.cpp).
#include <cstdio>

#include "bootprint/campaign/engine.hpp"
#include "bootprint/campaign/result_sink.hpp"
#include "commands.hpp"

namespace bp::agent {

namespace cp = bp::campaign;

void register_run_command(CLI::App& app, AgentContext& ctx) {
    struct RunArgs {
        std::uint32_t retry_backoff_ms = 5000;
        std::uint32_t max_step_attempts = 5;
        std::string agent_id;
    };
    auto a = std::make_shared<RunArgs>();
    auto* run = app.add_subcommand("run", "The resident loop: carry the campaign out, across reboots");
    run->add_option("--retry-backoff-ms", a->retry_backoff_ms, "Wait between tries of a failed step");
    run->add_option("--max-step-attempts", a->max_step_attempts,
                    "Tries of one step before the campaign fails")
        ->check(CLI::Range(1, 100));
    run->add_option("--agent-id", a->agent_id, "The agent's id in reports (default: the machine name)");
    run->callback([a, &ctx] {
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
        AgentHost& platform = *agent->platform;
        cp::EngineOptions options;
        options.agent_id = a->agent_id;
        options.retry_backoff = std::chrono::milliseconds(a->retry_backoff_ms);
        options.max_step_attempts = a->max_step_attempts;
        // Crash injection of the simulated lab (faults.json crash_at): the process dies on the spot.
        options.checkpoint = [&platform](std::string_view point) { platform.checkpoint(point); };
        // With a controller (`connect`): heartbeat, jobs, and the reports through the outbox.
        auto link = ControllerLink::open(*agent, *host);
        if (!link) {
            ctx.exit_code = report_error(link.error());
            return;
        }
        if (*link) {
            if (auto r = (*link)->before_run(); !r) {
                ctx.exit_code = report_error(r.error());
                return;
            }
        }
        cp::DbResultSink db_sink(agent->db, host->clock);
        cp::ResultSink& sink = *link ? (*link)->sink() : static_cast<cp::ResultSink&>(db_sink);
        cp::Engine engine(*host, agent->db, agent->store, sink, options);
        auto outcome = engine.run();
        if (outcome && *link) {
            if (auto r = (*link)->after_run(); !r) outcome = std::move(r).error();
        }
        if (!outcome) {
            ctx.exit_code = report_error(outcome.error());
            if (ctx.exit_code == kExitBadInput) ctx.exit_code = kExitError;
            return;
        }
        std::fprintf(stderr, "bootprint-agent: %s\n", cp::to_string(*outcome));
        switch (*outcome) {
            case cp::StepOutcome::rebooting:
                ctx.exit_code = kExitRebooting;
                break;
            case cp::StepOutcome::failed:
                ctx.exit_code = kExitFailure;
                break;
            default:
                ctx.exit_code = kExitOk;
                break;
        }
    });
}

}  // namespace bp::agent
