// bootprint-agent.exe: the lab machine's agent on Windows. One binary: `campaign start|status|cancel`
// (as on Linux), `run` (the service's entry point; in a console when the SCM did not start it) and
// `service install|uninstall|start|stop`. docs/windows-agent.md.
#include <windows.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "bootprint/host/windows_host.hpp"
#include "commands.hpp"
#include "service.hpp"

namespace {

namespace hw = bp::host::win32;
namespace aw = bp::agent::win32;

std::string default_data_dir() {
    wchar_t buffer[MAX_PATH];
    const DWORD n = ::GetEnvironmentVariableW(L"ProgramData", buffer, MAX_PATH);
    std::string base = "C:\\ProgramData";
    if (n > 0 && n < MAX_PATH) {
        if (auto s = hw::narrow(std::wstring_view(buffer, n))) base = *s;
    }
    return base + "\\Bootprint";
}

void register_service_commands(CLI::App& app, bp::agent::AgentContext& ctx) {
    auto config = std::make_shared<aw::ServiceConfig>();
    auto once = std::make_shared<bool>(false);
    auto poll_ms = std::make_shared<std::uint32_t>(60000);
    auto backoff_ms = std::make_shared<std::uint32_t>(5000);
    auto* run =
        app.add_subcommand("run", "The service's entry point (in a console when the SCM did not start it)");
    run->add_flag(
        "--test-power", config->test_power,
        "Record reboot requests instead of restarting (Wine tests); the next start plays the reboot");
    run->add_flag("--once", *once, "Console: return at the first step that does not advance");
    run->add_option("--poll-ms", *poll_ms, "Idle: look for a new campaign this often");
    run->add_option("--retry-backoff-ms", *backoff_ms, "Wait between tries of a failed step");
    run->add_option("--max-step-attempts", config->max_step_attempts,
                    "Tries of one step before the campaign fails")
        ->check(CLI::Range(1, 100));
    run->callback([=, &ctx] {
        config->data_dir = ctx.data_dir;
        config->wpr = ctx.wpr;
        config->poll = std::chrono::milliseconds(*poll_ms);
        config->retry_backoff = std::chrono::milliseconds(*backoff_ms);
        ctx.exit_code = aw::run(*config, *once);
    });

    auto* service = app.add_subcommand("service", "Install, uninstall, start or stop the Windows service");
    service->require_subcommand(1);
    auto install_test_power = std::make_shared<bool>(false);
    auto* install = service->add_subcommand("install",
                                            "LocalSystem, automatic (delayed) start, restart on failure; "
                                            "data folder for SYSTEM and Administrators");
    install->add_flag("--test-power", *install_test_power,
                      "The service records reboots instead (Wine tests)");
    install->callback([=, &ctx] {
        aw::ServiceConfig c;
        c.data_dir = ctx.data_dir;
        c.wpr = ctx.wpr;
        c.test_power = *install_test_power;
        auto exe = hw::executable_path();
        if (!exe) {
            ctx.exit_code = bp::agent::report_error(exe.error());
            return;
        }
        if (auto s = aw::install_service(c, *exe); !s) {
            ctx.exit_code = bp::agent::report_error(s.error());
            return;
        }
        std::printf("service %ls installed: %s --data-dir %s run\n", aw::kServiceName, exe->c_str(),
                    c.data_dir.c_str());
    });
    service->add_subcommand("uninstall", "Stop and delete the service")->callback([&ctx] {
        if (auto s = aw::uninstall_service(); !s) {
            ctx.exit_code = bp::agent::report_error(s.error());
            return;
        }
        std::printf("service %ls removed\n", aw::kServiceName);
    });
    service->add_subcommand("start", "Start the service and wait until it runs")->callback([&ctx] {
        if (auto s = aw::start_service(); !s) {
            ctx.exit_code = bp::agent::report_error(s.error());
            return;
        }
        std::printf("service %ls running\n", aw::kServiceName);
    });
    service->add_subcommand("stop", "Stop the service and wait until it stopped")->callback([&ctx] {
        if (auto s = aw::stop_service(); !s) {
            ctx.exit_code = bp::agent::report_error(s.error());
            return;
        }
        std::printf("service %ls stopped\n", aw::kServiceName);
    });
}

}  // namespace

int wmain(int argc, wchar_t** wargv) {
    std::vector<std::string> args;
    for (int i = 0; i < argc; ++i) {
        auto a = hw::narrow(wargv[i]);
        if (!a) {
            std::fprintf(stderr, "bootprint-agent: argument %d: %s\n", i, a.error().describe().c_str());
            return bp::agent::kExitBadInput;
        }
        args.push_back(std::move(*a));
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());

    CLI::App app{"bootprint-agent: unattended boot-trace campaigns on a Windows lab machine"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "bootprint-agent 0.1.0 (windows)");
    bp::agent::AgentContext ctx;
    ctx.data_dir = default_data_dir();
    if (auto exe = hw::executable_path()) ctx.program = *exe;
    app.add_option("--data-dir", ctx.data_dir, "The agent's data folder (database, campaigns, logs)")
        ->capture_default_str();
    app.add_option("--wpr", ctx.wpr, "wpr.exe to use (default: %SystemRoot%\\System32\\wpr.exe)");
    bp::agent::register_campaign_commands(app, ctx);
    register_service_commands(app, ctx);
    try {
        app.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : bp::agent::kExitBadInput;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bootprint-agent: fatal: %s\n", e.what());
        return bp::agent::kExitError;
    }
    return ctx.exit_code;
}
