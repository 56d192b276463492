// Port: run a program, wait for it (bounded), capture its output and its exit code. Windows:
// CreateProcessW with anonymous pipes; simulated lab: posix_spawn, with the 32-bit exit codes of the
// simulated programs passed beside the 8-bit POSIX status (see sim_machine.hpp).
//
//   BP_TRY(ProcessOutput out, runner.run({wpr, "-cancelboot"}, {}));
//   if (out.exit_code != 0) { ... out.exit_code is the HRESULT wpr.exe returned ... }
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "bootprint/common/result.hpp"

namespace bp::host {

struct RunOptions {
    // wpr-boot.md §5.2: short wpr commands take seconds, -stopboot merges can take minutes.
    std::chrono::milliseconds timeout{std::chrono::minutes(10)};
};

struct ProcessOutput {
    std::uint32_t exit_code = 0;  // as Windows reports it (wpr.exe returns an HRESULT)
    bool timed_out = false;       // killed after RunOptions::timeout; exit_code is then meaningless
    std::string out;
    std::string err;
};

class ProcessRunner {
  public:
    virtual ~ProcessRunner() = default;
    // Errors only when the program could not be started (Errc::not_found when it does not exist).
    virtual Result<ProcessOutput> run(const std::vector<std::string>& argv, const RunOptions& options) = 0;
};

}  // namespace bp::host
