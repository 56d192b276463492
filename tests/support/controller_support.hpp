// Test helpers for the controller: a program running in the background (killable with SIGKILL), and
// generated iteration reports (schema/report/v1.schema.json) with known values.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

extern char** environ;

namespace bp::test {

// A child process with stdout and stderr appended to `log_path`. The destructor kills it (SIGKILL).
class BackgroundProcess {
public:
    BackgroundProcess(const std::vector<std::string>& argv, const std::string& log_path) {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&actions);
    }
    ~BackgroundProcess() { kill(SIGKILL); }
    BackgroundProcess(const BackgroundProcess&) = delete;
    BackgroundProcess& operator=(const BackgroundProcess&) = delete;

    bool started() const { return pid_ > 0; }
    pid_t pid() const { return pid_; }
    // Sends the signal and waits for the process; returns the wait status (or -1).
    int kill(int signal) {
        if (pid_ <= 0) return -1;
        ::kill(pid_, signal);
        return wait();
    }
    int wait() {
        if (pid_ <= 0) return -1;
        int status = 0;
        while (waitpid(pid_, &status, 0) < 0) {
        }
        pid_ = -1;
        return status;
    }
    bool running() const {
        if (pid_ <= 0) return false;
        int status = 0;
        return waitpid(pid_, &status, WNOHANG) == 0;
    }

private:
    pid_t pid_ = -1;
};

// Waits until `path` holds a number (a port written by --port-file); 0 on timeout.
inline int wait_for_port_file(const std::string& path, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        std::ifstream in(path);
        int port = 0;
        if (in >> port && port > 0) return port;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return 0;
}

// A version-1 report whose tag and driver values are a known function of (machine, iteration):
// tag "Ntfx" impacting_size = base + 1000 * iteration; tag "Irp " 4096; driver "ACPI.sys" 500000 + i.
struct GeneratedReport {
    std::string key;
    std::string body;
};

inline GeneratedReport make_report(const std::string& agent, const std::string& machine, const std::string& campaign,
                                   const std::string& build, std::int64_t iteration, std::int64_t base = 100000,
                                   std::int64_t start_filetime = 133800000000000000) {
    // A fake but well-formed digest, distinct per (machine, campaign, iteration).
    const std::size_t h = std::hash<std::string>{}(machine + "|" + campaign + "|" + build + "|" +
                                                   std::to_string(iteration));
    char digest[65];
    for (int i = 0; i < 64; ++i) digest[i] = "0123456789abcdef"[(h >> ((i % 16) * 4)) & 0xf];
    digest[64] = '\0';
    const std::string key = agent + "/" + campaign + "/" + std::to_string(iteration) + "/" + digest;
    nlohmann::json doc = {
        {"schema", "bootprint.report"},
        {"schema_version", 1},
        {"idempotency_key", key},
        {"agent", {{"id", agent}, {"machine", machine}, {"os_build", "26100"}, {"agent_version", "0.1.0"}}},
        {"campaign", {{"id", campaign}, {"build", build}, {"iterations", 5}, {"template", "nightly"}}},
        {"iteration", iteration},
        {"trace",
         {{"sha256", digest}, {"bytes", 123456}, {"events", 1000}, {"start_time", start_filetime + iteration * 6'000'000'000}}},
        {"pool",
         nlohmann::json::array(
             {{{"tag", "Ntfx"}, {"module", "ntfs.sys"}, {"paged", true}, {"type", "AOFI"}, {"count", 10},
               {"size", 2 * (base + 1000 * iteration)}, {"impacting_size", base + 1000 * iteration}},
              {{"tag", "Irp "}, {"module", "ntoskrnl.exe"}, {"paged", false}, {"type", "AIFI"}, {"count", 4},
               {"size", 4096}, {"impacting_size", 4096}}})},
        {"drivers", nlohmann::json::array({{{"name", "ACPI.sys"}, {"active_bytes", 500000 + iteration}}})},
    };
    return {key, doc.dump()};
}

}  // namespace bp::test
