// wpr.exe failures → what the campaign does and what the lab engineer reads. The table is
// wpr-boot.md §2.5; docs/campaign.md prints it.
//
//   auto failure = describe_wpr_failure("addboot", output);
//   // failure.code "kernel_logger_in_use", failure.action Action::fail, failure.reason "..."
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bootprint/host/process_runner.hpp"

namespace bp::campaign {

enum class Action : std::uint8_t {
    retry_step,       // transient: the same step again (bounded), then the campaign fails with the reason
    retry_iteration,  // this boot's trace is unusable: record the iteration again (bounded by max_retries)
    fail,             // nothing the agent can do: the campaign stops, says why
};

struct WprFailure {
    std::string code;    // stable, machine-readable (campaign status, reports): "kernel_logger_in_use"
    std::string reason;  // one sentence for a lab engineer, with the command and the exit code
    Action action = Action::fail;
};

struct WprCodeInfo {
    std::uint32_t exit_code;
    const char* code;
    const char* meaning;  // what it means and what to do
    Action action;
};

// Every known exit code (docs and tests iterate over it).
const std::vector<WprCodeInfo>& known_wpr_codes();

// `command` is the wpr switch without its dash ("addboot", "stopboot", "cancelboot").
WprFailure describe_wpr_failure(std::string_view command, const host::ProcessOutput& output);

std::string hex32(std::uint32_t value);

}  // namespace bp::campaign
