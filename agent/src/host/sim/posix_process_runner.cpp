// ProcessRunner for the simulated lab: posix_spawn, stdout/stderr into scratch files (no pipe
// deadlock whatever the output size), polling wait bounded by the timeout.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "bootprint/host/sim_machine.hpp"
#include "host/sim/json_file.hpp"

extern char** environ;

namespace bp::host::sim {
namespace fs = std::filesystem;

Result<ProcessOutput> PosixProcessRunner::run(const std::vector<std::string>& argv,
                                              const RunOptions& options) {
    if (argv.empty()) return make_error(Errc::invalid_argument, "no program to run");
    std::error_code ec;
    if (!fs::exists(argv[0], ec))
        return make_error(Errc::not_found, "the program does not exist").with_path(argv[0]);
    fs::create_directories(scratch_dir_, ec);
    static std::atomic<unsigned> counter{0};
    const std::string stem =
        scratch_dir_ + "/run-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    const std::string out_path = stem + ".out";
    const std::string err_path = stem + ".err";
    const std::string code_path = stem + ".code";
    fs::remove(code_path, ec);

    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
        if (std::strncmp(*e, kExitCodeFileEnv, std::strlen(kExitCodeFileEnv)) == 0) continue;
        env_strings.emplace_back(*e);
    }
    env_strings.push_back(std::string(kExitCodeFileEnv) + "=" + code_path);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> args_copy = argv;
    std::vector<char*> args;
    for (auto& a : args_copy) args.push_back(a.data());
    args.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        return make_error(Errc::io, std::string("cannot start the program: ") + std::strerror(rc))
            .with_path(argv[0]);

    ProcessOutput out;
    const auto deadline = std::chrono::steady_clock::now() + options.timeout;
    int status = 0;
    for (;;) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) break;
        if (done < 0 && errno != EINTR) return make_error(Errc::io, "waitpid failed").with_path(argv[0]);
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            out.timed_out = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (WIFEXITED(status)) out.exit_code = static_cast<std::uint32_t>(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) out.exit_code = 128u + static_cast<std::uint32_t>(WTERMSIG(status));
    if (auto text = detail::read_text(code_path); text && !out.timed_out) {
        if (auto code = detail::parse_code(nlohmann::json(*text))) out.exit_code = *code;
    }
    out.out = detail::read_text(out_path).has_value() ? *detail::read_text(out_path) : std::string();
    out.err = detail::read_text(err_path).has_value() ? *detail::read_text(err_path) : std::string();
    fs::remove(out_path, ec);
    fs::remove(err_path, ec);
    fs::remove(code_path, ec);
    return out;
}

}  // namespace bp::host::sim
