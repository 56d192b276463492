// The Windows service shell of bootprint-agent: install/uninstall/start/stop through the SCM, and
// `run`, which is the service's entry point when the SCM started the process and a console loop
// otherwise (StartServiceCtrlDispatcherW fails with 1063). Everything but the SCM plumbing is in
// agent_loop(): the campaign engine on the Windows host.
//
// Arguments: the service's configuration is the binPath's command line
// ("bootprint-agent.exe" --data-dir DIR [--wpr PATH] run [--test-power]); arguments given to
// `sc start` (ServiceMain's argv) are ignored.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "bootprint/common/result.hpp"

namespace bp::agent::win32 {

inline constexpr const wchar_t* kServiceName = L"BootprintAgent";

struct ServiceConfig {
    std::string data_dir;
    std::string wpr;                                           // explicit wpr.exe (empty: locate it)
    bool test_power = false;                                   // Wine tests: RecordingPower, simulated boots
    std::chrono::milliseconds poll{std::chrono::seconds(60)};  // idle: look for a new campaign this often
    std::chrono::milliseconds retry_backoff{std::chrono::seconds(5)};
    std::uint32_t max_step_attempts = 5;
};

// What stops the loop: the SCM's stop control or Ctrl+C.
class StopSignal {
  public:
    StopSignal();
    ~StopSignal();
    void request();
    bool requested() const;
    // True when stopped during the wait.
    bool wait_for(std::chrono::milliseconds duration) const;

  private:
    void* event_;
};

// The data folder's rotating log (logs\agent.log, 5 x 5 MB); with `console` also stderr.
Result<std::shared_ptr<spdlog::logger>> open_log(const std::string& data_dir, bool console);

// Runs campaigns until `stop`: the engine's steps, a stop-aware back-off between failed tries, and
// after a reboot request nothing more (the machine goes down). `once`: return at the first outcome
// that is not "advanced" (console use). Returns the process exit code.
int agent_loop(const ServiceConfig& config, const StopSignal& stop, spdlog::logger& log, bool once);

// `run`: the SCM entry point, or the console loop when not started by the SCM.
int run(const ServiceConfig& config, bool once);

Status install_service(const ServiceConfig& config, const std::string& executable);
Status uninstall_service();
Status start_service();
Status stop_service();

}  // namespace bp::agent::win32
