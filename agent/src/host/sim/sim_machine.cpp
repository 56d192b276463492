// The simulated machine's directory: configuration, boot identity, wpr state, faults, the log.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "bootprint/host/sim_machine.hpp"
#include "bootprint/host/wpr_contract.hpp"
#include "bootprint/writer/boot_trace.hpp"
#include "host/sim/json_file.hpp"

namespace bp::host::sim {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

template <class F>
auto guarded(const std::string& path, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const json::exception& e) {
        return make_error(Errc::corrupt, std::string("unexpected content: ") + e.what()).with_path(path);
    }
}

}  // namespace

Result<SimMachine> SimMachine::init(const std::string& dir, const InitOptions& options) {
    if (options.wpr_program.empty())
        return make_error(Errc::invalid_argument, "the simulated wpr program is not set");
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        return make_error(Errc::io, "cannot create the machine directory: " + ec.message()).with_path(dir);
    SimMachine m(fs::absolute(dir).lexically_normal().string());
    if (fs::exists(m.path("machine.json"), ec)) {
        return make_error(Errc::conflict, "already a simulated machine (machine.json exists)").with_path(dir);
    }
    fs::create_directories(m.data_dir(), ec);
    if (ec)
        return make_error(Errc::io, "cannot create the data directory: " + ec.message())
            .with_path(m.data_dir());
    fs::create_directories(m.path("tmp"), ec);

    const std::string scenario =
        options.scenario_json.empty() ? writer::default_scenario_json() : options.scenario_json;
    BP_TRY(auto parsed, writer::parse_scenario(scenario, "scenario"));
    (void)parsed;
    LocalFileSystem files;
    BP_TRY_STATUS(files.write_file(m.path("scenario.json"), scenario));
    json registry = json::object();
    if (options.disable_paging_executive) {
        registry[std::string(kMemoryManagementKey)] = {
            {"last_write_us", 0},
            {"values", {{std::string(kDisablePagingExecutive), *options.disable_paging_executive}}}};
    }
    BP_TRY_STATUS(detail::write_json(m.path("registry.json"), registry));
    BP_TRY_STATUS(detail::write_json(m.path("faults.json"), json::object()));
    BP_TRY_STATUS(detail::write_json(m.path("boot.json"), {{"number", 0}, {"id", ""}, {"boot_time_us", 0}}));
    // machine.json last: its presence means "initialised".
    BP_TRY_STATUS(detail::write_json(m.path("machine.json"), {{"name", options.name},
                                                              {"wpr_program", options.wpr_program},
                                                              {"busy_windows", options.busy_windows},
                                                              {"sample_sleep_ms", 0}}));
    return m;
}

Result<SimMachine> SimMachine::open(const std::string& dir) {
    std::error_code ec;
    SimMachine m(fs::absolute(dir).lexically_normal().string());
    if (!fs::exists(m.path("machine.json"), ec)) {
        return make_error(Errc::not_found, "not a simulated machine (no machine.json; run `sim-lab init`)")
            .with_path(dir);
    }
    return m;
}

Result<SimMachine> SimMachine::from_environment() {
    const char* dir = std::getenv(kMachineEnv);
    if (!dir || !*dir) {
        return make_error(Errc::invalid_argument,
                          std::string(kMachineEnv) + " is not set: no simulated machine");
    }
    return open(dir);
}

Result<MachineConfig> SimMachine::config() const {
    const std::string p = path("machine.json");
    BP_TRY(json j, detail::read_json(p));
    return guarded(p, [&]() -> Result<MachineConfig> {
        MachineConfig c;
        c.name = j.value("name", c.name);
        c.wpr_program = j.value("wpr_program", std::string());
        c.busy_windows = j.value("busy_windows", c.busy_windows);
        c.sample_sleep_ms = j.value("sample_sleep_ms", c.sample_sleep_ms);
        return c;
    });
}

Result<BootState> SimMachine::boot_state() const {
    const std::string p = path("boot.json");
    BP_TRY(json j, detail::read_json(p));
    return guarded(p, [&]() -> Result<BootState> {
        BootState b;
        b.number = j.value("number", std::uint64_t{0});
        b.id = j.value("id", std::string());
        b.boot_time_us = j.value("boot_time_us", std::int64_t{0});
        return b;
    });
}

Result<WprState> SimMachine::wpr_state() const {
    const std::string p = path("wpr.json");
    BP_TRY(json j, detail::read_json(p));
    return guarded(p, [&]() -> Result<WprState> {
        WprState w;
        w.armed = j.value("armed", false);
        w.profile = j.value("profile", std::string());
        w.temp_dir = j.value("temp_dir", std::string());
        w.armed_boot = j.value("armed_boot", std::uint64_t{0});
        w.recorded_boot = j.value("recorded_boot", std::uint64_t{0});
        w.session_failed = j.value("session_failed", false);
        return w;
    });
}

Status SimMachine::save_wpr_state(const WprState& w) const {
    return detail::write_json(path("wpr.json"), {{"armed", w.armed},
                                                 {"profile", w.profile},
                                                 {"temp_dir", w.temp_dir},
                                                 {"armed_boot", w.armed_boot},
                                                 {"recorded_boot", w.recorded_boot},
                                                 {"session_failed", w.session_failed}});
}

Result<Faults> SimMachine::faults() const {
    const std::string p = path("faults.json");
    BP_TRY(json j, detail::read_json(p));
    return guarded(p, [&]() -> Result<Faults> {
        Faults f;
        for (const json& w : j.value("wpr", json::array())) {
            WprFault fault;
            fault.command = w.value("command", std::string());
            BP_TRY(fault.code, detail::parse_code(w.at("code")));
            fault.times = w.value("times", std::int64_t{1});
            f.wpr.push_back(std::move(fault));
        }
        if (j.contains("autologger_status")) {
            const json& a = j["autologger_status"];
            BP_TRY(std::uint32_t code, detail::parse_code(a.at("code")));
            f.autologger_status = code;
            f.autologger_status_times = a.value("times", std::int64_t{1});
        }
        f.lose_trace = j.value("lose_trace", std::int64_t{0});
        if (j.contains("events_lost")) {
            f.events_lost = j["events_lost"].value("count", 0u);
            f.events_lost_times = j["events_lost"].value("times", std::int64_t{1});
        }
        if (j.contains("disk_cap_bytes")) f.disk_cap_bytes = j["disk_cap_bytes"].get<std::uint64_t>();
        f.never_idle = j.value("never_idle", false);
        f.crash_at = j.value("crash_at", std::vector<std::string>());
        return f;
    });
}

Status SimMachine::save_faults(const Faults& f) const {
    json j = json::object();
    json wpr = json::array();
    for (const WprFault& w : f.wpr) {
        wpr.push_back({{"command", w.command}, {"code", detail::hex_code(w.code)}, {"times", w.times}});
    }
    j["wpr"] = wpr;
    if (f.autologger_status) {
        j["autologger_status"] = {{"code", detail::hex_code(*f.autologger_status)},
                                  {"times", f.autologger_status_times}};
    }
    j["lose_trace"] = f.lose_trace;
    j["events_lost"] = {{"count", f.events_lost}, {"times", f.events_lost_times}};
    if (f.disk_cap_bytes) j["disk_cap_bytes"] = *f.disk_cap_bytes;
    j["never_idle"] = f.never_idle;
    j["crash_at"] = f.crash_at;
    return detail::write_json(path("faults.json"), j);
}

Result<BootState> SimMachine::power_on() const {
    BP_TRY(BootState previous, boot_state());
    SystemClock clock;
    BootState next;
    next.number = previous.number + 1;
    std::random_device rd;
    next.id = "sim-boot-" + std::to_string(next.number) + "-" + std::to_string(rd() % 1000000);
    // The boot begins strictly after everything written during the previous one (same wall clock).
    next.boot_time_us = std::max(clock.now_us(), previous.boot_time_us + 1);
    BP_TRY_STATUS(detail::write_json(
        path("boot.json"), {{"number", next.number}, {"id", next.id}, {"boot_time_us", next.boot_time_us}}));
    log("power on: boot " + std::to_string(next.number));

    // The "kernel" starts the autologger wpr configured: this boot is what -stopboot will save.
    BP_TRY(WprState w, wpr_state());
    if (w.armed) {
        FileRegistry registry(path("registry.json"), clock);
        BP_TRY(Faults f, faults());
        std::uint32_t status = 0;
        if (f.autologger_status && f.autologger_status_times != 0) {
            status = *f.autologger_status;
            if (f.autologger_status_times > 0) --f.autologger_status_times;
            BP_TRY_STATUS(save_faults(f));
        }
        w.session_failed = status != 0;
        w.recorded_boot = status == 0 ? next.number : 0;
        BP_TRY_STATUS(save_wpr_state(w));
        BP_TRY_STATUS(registry.write_dword(wpr::kBootAutologgerKey, wpr::kAutologgerStatus, status));
        log(status == 0 ? "autologger recording boot " + std::to_string(next.number)
                        : "autologger failed to start: status " + detail::hex_code(status));
    }
    return next;
}

void SimMachine::log(const std::string& text) const {
    std::ofstream out(path("machine.log"), std::ios::app);
    auto boot = boot_state();
    out << "[boot " << (boot ? std::to_string(boot->number) : std::string("?")) << "] " << text << "\n";
}

Result<std::optional<std::uint32_t>> SimMachine::take_wpr_fault(const std::string& command) const {
    BP_TRY(Faults f, faults());
    for (WprFault& w : f.wpr) {
        if (w.command != command || w.times == 0) continue;
        const std::uint32_t code = w.code;
        if (w.times > 0) --w.times;
        BP_TRY_STATUS(save_faults(f));
        return std::optional<std::uint32_t>(code);
    }
    return std::optional<std::uint32_t>();
}

Result<bool> SimMachine::take_crash_point(const std::string& point) const {
    BP_TRY(Faults f, faults());
    for (auto it = f.crash_at.begin(); it != f.crash_at.end(); ++it) {
        if (*it != point) continue;
        f.crash_at.erase(it);
        BP_TRY_STATUS(save_faults(f));
        log("agent crashes at " + point);
        return true;
    }
    return false;
}

// ---- FileRegistry ------------------------------------------------------------------------------------

Result<std::optional<std::uint32_t>> FileRegistry::read_dword(std::string_view key, std::string_view name) {
    BP_TRY(json j, detail::read_json(file_));
    return guarded(file_, [&]() -> Result<std::optional<std::uint32_t>> {
        const auto k = j.find(std::string(key));
        if (k == j.end()) return std::optional<std::uint32_t>();
        const json& values = (*k)["values"];
        const auto v = values.find(std::string(name));
        if (v == values.end()) return std::optional<std::uint32_t>();
        return std::optional<std::uint32_t>(v->get<std::uint32_t>());
    });
}

Status FileRegistry::write_dword(std::string_view key, std::string_view name, std::uint32_t value) {
    BP_TRY(json j, detail::read_json(file_));
    json& k = j[std::string(key)];
    k["values"][std::string(name)] = value;
    k["last_write_us"] = clock_.now_us();
    return detail::write_json(file_, j);
}

Status FileRegistry::delete_value(std::string_view key, std::string_view name) {
    BP_TRY(json j, detail::read_json(file_));
    const auto k = j.find(std::string(key));
    if (k == j.end() || !(*k)["values"].contains(std::string(name))) return {};
    (*k)["values"].erase(std::string(name));
    (*k)["last_write_us"] = clock_.now_us();
    return detail::write_json(file_, j);
}

Result<std::optional<std::int64_t>> FileRegistry::key_last_write_us(std::string_view key) {
    BP_TRY(json j, detail::read_json(file_));
    return guarded(file_, [&]() -> Result<std::optional<std::int64_t>> {
        const auto k = j.find(std::string(key));
        if (k == j.end()) return std::optional<std::int64_t>();
        return std::optional<std::int64_t>(k->value("last_write_us", std::int64_t{0}));
    });
}

Status FileRegistry::delete_key(std::string_view key) {
    BP_TRY(json j, detail::read_json(file_));
    if (!j.contains(std::string(key))) return {};
    j.erase(std::string(key));
    return detail::write_json(file_, j);
}

}  // namespace bp::host::sim
