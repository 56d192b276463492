// The power button and the service manager of the simulated machine: boots, starts the agent with
// the machine in its environment, reboots when the agent asked for it, restarts it after a crash.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "bootprint/host/sim_machine.hpp"

extern char** environ;

namespace bp::host::sim {
namespace fs = std::filesystem;

namespace {

struct Exit {
    int code = -1;
    int signal = 0;
};

Result<Exit> run_agent(const SimMachine& m, const std::vector<std::string>& command) {
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
        if (std::strncmp(*e, kMachineEnv, std::strlen(kMachineEnv)) == 0) continue;
        env_strings.emplace_back(*e);
    }
    env_strings.push_back(std::string(kMachineEnv) + "=" + m.dir());
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> args_copy = command;
    std::vector<char*> args;
    for (auto& a : args_copy) args.push_back(a.data());
    args.push_back(nullptr);
    const std::string log = m.path("agent.log");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        return make_error(Errc::io, std::string("cannot start the agent: ") + std::strerror(rc))
            .with_path(command[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return make_error(Errc::io, "waitpid failed");
    }
    Exit e;
    if (WIFEXITED(status)) e.code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) e.signal = WTERMSIG(status);
    return e;
}

}  // namespace

Result<SupervisorOutcome> run_supervisor(const SimMachine& m, const SupervisorOptions& options) {
    if (options.agent_command.empty()) return make_error(Errc::invalid_argument, "no agent command");
    SupervisorOutcome outcome;
    std::error_code ec;
    // A machine that is off (never booted, or the last run ended on a reboot request) powers on first.
    BP_TRY(BootState boot, m.boot_state());
    if (boot.number == 0 || fs::exists(m.reboot_marker(), ec)) {
        fs::remove(m.reboot_marker(), ec);
        BP_TRY(boot, m.power_on());
        ++outcome.boots;
    }
    for (;;) {
        if (outcome.agent_starts >= options.max_agent_starts) {
            outcome.stopped_because =
                "the agent was started " + std::to_string(outcome.agent_starts) + " times";
            break;
        }
        ++outcome.agent_starts;
        BP_TRY(Exit exit, run_agent(m, options.agent_command));
        outcome.last_exit_code = exit.code;
        const bool reboot_requested = fs::exists(m.reboot_marker(), ec);
        bool reboot = reboot_requested;
        if (exit.signal != 0) {
            ++outcome.crashes;
            m.log("agent killed by signal " + std::to_string(exit.signal) +
                  (reboot_requested             ? " after requesting a reboot"
                   : options.power_cut_on_crash ? ": power cut"
                                                : ": service restart"));
            reboot = reboot || options.power_cut_on_crash;
        } else if (!reboot_requested) {
            m.log("agent exited with status " + std::to_string(exit.code));
            if (exit.code == kRebootExitCode) {
                outcome.stopped_because = "the agent exited for a reboot it did not request";
                break;
            }
            if (exit.code == 0 || exit.code == 1) {
                outcome.stopped_because =
                    exit.code == 0 ? "the agent has nothing more to do" : "the campaign failed";
                break;
            }
            continue;  // an error: the service manager restarts the agent (the engine bounds its retries)
        }
        if (!reboot) continue;
        if (outcome.boots >= options.max_boots) {
            outcome.stopped_because = "reached " + std::to_string(options.max_boots) + " boots";
            break;
        }
        fs::remove(m.reboot_marker(), ec);
        BP_TRY(boot, m.power_on());
        ++outcome.boots;
    }
    m.log("supervisor stops: " + outcome.stopped_because);
    return outcome;
}

}  // namespace bp::host::sim
