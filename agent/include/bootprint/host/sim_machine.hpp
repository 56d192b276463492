// The simulated lab machine (Linux): a directory that holds everything a Windows lab box would hold
// across reboots, shared by the agent, the simulated wpr (bootprint-sim-wpr) and the supervisor that
// plays the power button (bootprint-agent sim-lab run).
//
//   <machine>/machine.json    name, path of the simulated wpr, idle behaviour
//   <machine>/boot.json       boot number, boot id, boot time (a "reboot" writes a new one)
//   <machine>/registry.json   the registry: key → {last_write_us, values}
//   <machine>/wpr.json        the boot trace wpr armed (profile, temp folder) and whether a boot recorded it
//   <machine>/scenario.json   what the simulated kernel "records" (writer::Scenario), varied per boot
//   <machine>/faults.json     fault injection for tests (see Faults)
//   <machine>/reboot.json     present when the agent asked for a reboot that has not happened yet
//   <machine>/agent.db        the agent's SQLite database
//   <machine>/data/           the agent's data folder (profiles, temp folders, traces)
//   <machine>/machine.log     what the supervisor and the simulated wpr did, one line each
//
//   BP_TRY(auto m, SimMachine::init(dir, options));   // once
//   SimHost sim(m);  Engine engine(sim.host(), ...);   // in the agent
//   BP_TRY(auto outcome, run_supervisor(m, options));  // boots, starts the agent, reboots on request
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bootprint/common/result.hpp"
#include "bootprint/host/host.hpp"

namespace bp::host::sim {

// `bootprint-agent run` exits with this status after asking for a reboot: the supervisor reboots.
inline constexpr int kRebootExitCode = 10;
// The machine directory, in the environment of the agent and of the simulated wpr.
inline constexpr const char* kMachineEnv = "BOOTPRINT_SIM_MACHINE";
// POSIX exit statuses have 8 bits; a simulated program writes its 32-bit (Windows) exit code to the
// file this variable names, and the simulated ProcessRunner reports that value.
inline constexpr const char* kExitCodeFileEnv = "BOOTPRINT_SIM_EXIT_CODE_FILE";

struct MachineConfig {
    std::string name = "sim-lab-01";
    std::string wpr_program;            // bootprint-sim-wpr
    std::uint32_t busy_windows = 3;     // idle samples after each boot that report a busy machine
    std::uint32_t sample_sleep_ms = 0;  // real time each idle sample takes (0: instant)
};

struct BootState {
    std::uint64_t number = 0;  // 0: never booted
    std::string id;
    std::int64_t boot_time_us = 0;
};

// The simulated wpr's persistent state.
struct WprState {
    bool armed = false;   // an autologger is configured (-addboot done, no -stopboot/-cancelboot)
    std::string profile;  // "FILE.wprp!Name.Verbose"
    std::string temp_dir;
    std::uint64_t armed_boot = 0;     // boot number at -addboot
    std::uint64_t recorded_boot = 0;  // boot whose start the autologger recorded (0: none yet)
    bool session_failed = false;      // the autologger failed to start at boot (faults: autologger_status)
};

// Fault injection (faults.json). Counted faults fire `times` times (-1: always) and are consumed
// durably before they take effect, so a crash cannot make a fault fire twice.
//
//   {"wpr": [{"command": "addboot", "code": "0xC5583014", "times": 1}],
//    "autologger_status": {"code": "0xC0000022", "times": 1},   // boot session fails to start
//    "lose_trace": 1,             // -stopboot reports success but writes no file (times)
//    "events_lost": {"count": 500, "times": 1},
//    "disk_cap_bytes": 10000,     // -stopboot fails with ERROR_DISK_FULL for a larger trace
//    "never_idle": false,
//    "crash_at": ["transition:7:before", "ingest", "queue"]}   // agent checkpoints: SIGKILL itself
struct WprFault {
    std::string command;  // addboot, cancelboot, stopboot, status
    std::uint32_t code = 0;
    std::int64_t times = 1;
};

struct Faults {
    std::vector<WprFault> wpr;
    std::optional<std::uint32_t> autologger_status;
    std::int64_t autologger_status_times = 0;
    std::int64_t lose_trace = 0;
    std::uint32_t events_lost = 0;
    std::int64_t events_lost_times = 0;
    std::optional<std::uint64_t> disk_cap_bytes;
    bool never_idle = false;
    std::vector<std::string> crash_at;
};

class SimMachine {
  public:
    struct InitOptions {
        std::string name = "sim-lab-01";
        std::string wpr_program;                                // required: the simulated wpr executable
        std::string scenario_json;                              // empty: writer::default_scenario_json()
        std::optional<std::uint32_t> disable_paging_executive;  // initial registry value (nullopt: absent)
        std::uint32_t busy_windows = 3;
    };
    // Creates the layout (the directory may exist but must not hold a machine yet).
    static Result<SimMachine> init(const std::string& dir, const InitOptions& options);
    static Result<SimMachine> open(const std::string& dir);
    // From kMachineEnv.
    static Result<SimMachine> from_environment();

    const std::string& dir() const { return dir_; }
    std::string path(const std::string& name) const { return dir_ + "/" + name; }
    std::string db_file() const { return path("agent.db"); }
    std::string data_dir() const { return path("data"); }
    std::string reboot_marker() const { return path("reboot.json"); }

    Result<MachineConfig> config() const;
    Result<BootState> boot_state() const;
    Result<WprState> wpr_state() const;
    Status save_wpr_state(const WprState& state) const;
    Result<Faults> faults() const;
    Status save_faults(const Faults& faults) const;

    // Power on: the next boot number, a new boot id and time; an armed autologger records this boot
    // (or fails to start, as faults.json says) and sets its Status value in the registry.
    Result<BootState> power_on() const;
    // Appends "<boot> <text>" to machine.log.
    void log(const std::string& text) const;

    // Consumes one counted fault of the simulated wpr for `command`; nullopt when none applies.
    Result<std::optional<std::uint32_t>> take_wpr_fault(const std::string& command) const;
    // True (and the point removed from faults.json) when the agent must crash at this checkpoint.
    Result<bool> take_crash_point(const std::string& point) const;

  private:
    explicit SimMachine(std::string dir) : dir_(std::move(dir)) {}
    std::string dir_;
};

// The registry in <machine>/registry.json. Every write rewrites the file through a temporary name.
class FileRegistry final : public Registry {
  public:
    FileRegistry(std::string file, Clock& clock) : file_(std::move(file)), clock_(clock) {}
    Result<std::optional<std::uint32_t>> read_dword(std::string_view key, std::string_view name) override;
    Status write_dword(std::string_view key, std::string_view name, std::uint32_t value) override;
    Status delete_value(std::string_view key, std::string_view name) override;
    Result<std::optional<std::int64_t>> key_last_write_us(std::string_view key) override;
    // Not a port operation: wpr removes its autologger key.
    Status delete_key(std::string_view key);

  private:
    std::string file_;
    Clock& clock_;
};

// Runs programs with posix_spawn; output captured through files, bounded by the timeout; a program
// that wrote its 32-bit exit code to $BOOTPRINT_SIM_EXIT_CODE_FILE has that as its exit code.
class PosixProcessRunner final : public ProcessRunner {
  public:
    explicit PosixProcessRunner(std::string scratch_dir) : scratch_dir_(std::move(scratch_dir)) {}
    Result<ProcessOutput> run(const std::vector<std::string>& argv, const RunOptions& options) override;

  private:
    std::string scratch_dir_;
};

// Every port of the simulated machine.
class SimHost {
  public:
    explicit SimHost(SimMachine machine);
    ~SimHost();
    SimHost(const SimHost&) = delete;
    SimHost& operator=(const SimHost&) = delete;

    Result<Host> host();
    const SimMachine& machine() const { return machine_; }

  private:
    struct Ports;
    SimMachine machine_;
    std::unique_ptr<Ports> ports_;
};

// The simulated wpr.exe: `bootprint-sim-wpr` is main() → this. Honours the commands of
// wpr_contract.hpp; returns the POSIX exit status (the 32-bit code goes to kExitCodeFileEnv).
int sim_wpr_main(const std::vector<std::string>& args);

struct SupervisorOptions {
    std::vector<std::string> agent_command;  // e.g. {"/path/bootprint-agent", "run"}
    std::uint32_t max_boots = 100;           // a runaway campaign stops here
    std::uint32_t max_agent_starts = 300;
    bool power_cut_on_crash = false;  // a killed agent means a power cut (reboot) instead of a restart
};

struct SupervisorOutcome {
    std::uint32_t boots = 0;  // power-ons during this run
    std::uint32_t agent_starts = 0;
    std::uint32_t crashes = 0;  // agent processes ended by a signal
    int last_exit_code = 0;     // of the last agent process
    std::string stopped_because;
};

// Boots the machine, starts the agent, and loops: an agent that asked for a reboot (reboot.json)
// gets one; an agent killed by a signal is restarted in the same boot (or the power is cut); an agent
// that exits 0 ends the run. Bounded by max_boots and max_agent_starts.
Result<SupervisorOutcome> run_supervisor(const SimMachine& machine, const SupervisorOptions& options);

}  // namespace bp::host::sim
