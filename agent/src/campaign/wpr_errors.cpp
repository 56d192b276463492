#include "bootprint/campaign/wpr_errors.hpp"

#include <cstdio>

#include "bootprint/host/wpr_contract.hpp"

namespace bp::campaign {

namespace wpr = host::wpr;

const std::vector<WprCodeInfo>& known_wpr_codes() {
    static const std::vector<WprCodeInfo> codes = {
        {wpr::kNoProfilesRunning, "trace_missing",
         "no trace profiles running: the boot trace that was armed did not record this boot",
         Action::retry_iteration},
        {wpr::kAlreadyRunning, "boot_trace_already_scheduled",
         "a boot trace is already scheduled and could not be cancelled; check for another tool using WPR",
         Action::retry_step},
        {wpr::kStateProviderNotRunning, "state_provider_not_running",
         "a runtime state provider WPR needs is not running", Action::fail},
        {wpr::kCollectorInUse, "kernel_logger_in_use",
         "another tool owns the kernel logger (Process Monitor, xperf, another WPR session): stop it, then "
         "start "
         "the campaign again",
         Action::fail},
        {wpr::kNoProviders, "profile_rejected",
         "WPR rejected the profile (an event session without providers: the profile does not match this WPR "
         "version)",
         Action::fail},
        {wpr::kNoSystemResources, "too_many_sessions",
         "too many ETW sessions are running (the limit is 64): stop unneeded sessions (logman query -ets)",
         Action::retry_step},
        {wpr::kFileExists, "profile_referenced_twice", "the same .wprp was given twice to WPR", Action::fail},
        {wpr::kNotEnoughMemory, "out_of_memory", "WPR ran out of memory", Action::retry_step},
        {wpr::kWmiInstanceNotFound, "disk_full_temp",
         "WMI instance name not recognized: usually the disk that holds the temporary trace (-recordtempto) "
         "is full",
         Action::fail},
        {wpr::kRpcChangedMode, "com_mode_conflict",
         "COM mode conflict while generating PDBs; a reboot usually clears it", Action::retry_step},
        {wpr::kDiskFull, "disk_full",
         "the disk is full: the boot trace could not be saved; free space on the agent's data volume and "
         "start the "
         "campaign again",
         Action::fail},
        {wpr::kPathNotFound, "path_not_found", "a file or folder given to WPR does not exist", Action::fail},
        {wpr::kInvalidSyntax, "wpr_syntax",
         "WPR refused the command line (a WPR version without boot tracing?)", Action::fail},
    };
    return codes;
}

std::string hex32(std::uint32_t value) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08X", value);
    return buf;
}

namespace {

std::string first_line(const std::string& text) {
    std::string line;
    for (char c : text) {
        if (c == '\n' || c == '\r') {
            if (!line.empty()) break;
            continue;
        }
        line += c;
    }
    return line.size() > 200 ? line.substr(0, 200) + "..." : line;
}

}  // namespace

WprFailure describe_wpr_failure(std::string_view command, const host::ProcessOutput& output) {
    const std::string cmd = "wpr -" + std::string(command);
    if (output.timed_out) {
        return {"wpr_timeout", cmd + " did not finish in time and was stopped", Action::retry_step};
    }
    const std::string said = first_line(output.err.empty() ? output.out : output.err);
    for (const WprCodeInfo& info : known_wpr_codes()) {
        if (info.exit_code != output.exit_code) continue;
        return {info.code, cmd + " failed with " + hex32(output.exit_code) + ": " + info.meaning,
                info.action};
    }
    return {"wpr_failed",
            cmd + " failed with exit code " + hex32(output.exit_code) +
                (said.empty() ? "" : " (\"" + said + "\")"),
            Action::retry_step};
}

}  // namespace bp::campaign
