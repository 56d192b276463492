// A simulated lab machine in a temporary directory, driven through the real programs:
// `bootprint-agent sim-lab init/run`, `campaign start/status`, with bootprint-sim-wpr as wpr.
// Shared by tests/integration/campaign_*_test.cpp.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/process.hpp"

namespace bp::test::lab {

using nlohmann::json;

// bootprint-agent is built beside the bootprint CLI (agent/apps).
inline std::string agent_program() {
    return (std::filesystem::path(BOOTPRINT_CLI).parent_path() / "bootprint-agent").string();
}

// A few events per boot: a campaign of several boots takes a second or two.
inline const char* small_scenario() {
    return R"({
  "name": "tiny-boot", "seed": 7, "pointer_size": 8, "processors": 2, "duration_s": 5, "build": 22631,
  "kernel": {"name": "ntoskrnl.exe", "size": "0x1046000", "code_pages": 20},
  "drivers": [
    {"name": "ACPI.sys", "size": "0xD6000", "code_pages": 10, "standby_pages": 4, "pages_jitter": 0.1},
    {"name": "contoso_filter.sys", "size": "0x48000", "code_pages": 6, "load_at_s": 1.0}
  ],
  "pool": [
    {"tag": "AcpM", "driver": "ACPI.sys", "size": 96, "count": 40, "count_jitter": 0.2, "free_fraction": 0.5,
     "mean_lifetime_s": 1},
    {"tag": "Cnto", "driver": "contoso_filter.sys", "size": 1024, "count": 20, "count_jitter": 0.2,
     "free_fraction": 0.1}
  ],
  "pages": [{"use": "NonPagedPool", "list": "Active", "count": 10}],
  "processes": [{"pid": 4, "parent": 0, "name": "System"}]
})";
}

inline json read_json_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) return json();
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str(), nullptr, false);
}

inline std::string read_text_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Plain data, no Catch2 assertions: usable from several threads.
class Lab {
  public:
    explicit Lab(int initial_dpe = 0) {
        std::ofstream(dir_.file("small.json")) << small_scenario();
        std::vector<std::string> args = {
            agent_program(),         "--machine",      machine(), "sim-lab", "init", "--scenario",
            dir_.file("small.json"), "--busy-windows", "2"};
        if (initial_dpe >= 0) {
            args.push_back("--dpe");
            args.push_back(std::to_string(initial_dpe));
        }
        init_ = run_process(args);
    }
    const ProcessResult& init_result() const { return init_; }
    std::string machine() const { return dir_.file("machine"); }
    std::string file(const std::string& name) const { return machine() + "/" + name; }

    ProcessResult agent(std::vector<std::string> args) const {
        args.insert(args.begin(), {agent_program(), "--machine", machine()});
        return run_process(args);
    }
    ProcessResult start(std::vector<std::string> extra = {}) const {
        std::vector<std::string> args = {"campaign", "start", "--id", "c1", "--build", "26100.1"};
        if (std::find(extra.begin(), extra.end(), "-n") == extra.end()) args.insert(args.end(), {"-n", "3"});
        args.insert(args.end(), extra.begin(), extra.end());
        return agent(args);
    }
    // Runs the supervisor; its one-line JSON outcome is in .out.
    ProcessResult run(std::vector<std::string> extra = {}) const {
        std::vector<std::string> args = {"sim-lab", "run", "--retry-backoff-ms", "1"};
        if (std::find(extra.begin(), extra.end(), "--max-boots") == extra.end())
            args.insert(args.end(), {"--max-boots", "40"});
        args.insert(args.end(), extra.begin(), extra.end());
        return agent(args);
    }
    json status() const {
        auto r = agent({"campaign", "status", "--json"});
        return json::parse(r.out, nullptr, false);
    }
    void set_faults(const json& faults) const { std::ofstream(file("faults.json")) << faults.dump(); }
    json faults() const { return read_json_file(file("faults.json")); }
    json registry() const { return read_json_file(file("registry.json")); }
    json wpr_state() const { return read_json_file(file("wpr.json")); }
    std::string log() const { return read_text_file(file("machine.log")); }

    // The registry value, or -1 when absent.
    long long dpe() const {
        const json r = registry();
        const std::string key =
            "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management";
        if (!r.contains(key) || !r[key]["values"].contains("DisablePagingExecutive")) return -1;
        return r[key]["values"]["DisablePagingExecutive"].get<long long>();
    }
    bool autologger_configured() const {
        return registry().contains(
            "HKLM\\SYSTEM\\CurrentControlSet\\Control\\WMI\\Autologger\\WPR_initiated_WprApp_boottr_WPR "
            "System Collector");
    }
    // Neither wpr's state nor the registry has a boot trace scheduled or recording.
    bool no_boot_trace_armed() const {
        const json w = wpr_state();
        return (w.is_null() || !w.value("armed", false)) && !autologger_configured();
    }

  private:
    TempDir dir_;
    ProcessResult init_;
};

inline std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

}  // namespace bp::test::lab
