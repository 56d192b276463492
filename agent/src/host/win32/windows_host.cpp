// WindowsHost: the ports of this machine, with the data folder's layout:
//   <data>\agent.db              the agent's database (store, campaigns)
//   <data>\boot.json             the boot marker (Win32BootIdentity)
//   <data>\logs\agent.log        the service's rotating log
//   <data>\campaigns\<id>\...    profiles, temp folders, traces (campaign engine)
//   <data>\test-power\           RecordingPower's request and the simulated boots (Wine tests only)
#include "bootprint/host/windows_host.hpp"

namespace bp::host::win32 {

struct WindowsHost::Ports {
    explicit Ports(const WindowsHost& h)
        : boot(h.options_.data_dir + "\\boot.json", files, clock,
               h.options_.test_power ? h.simulated_boot_file() : std::string()),
          recording_power(h.reboot_request_file(), files, clock) {}
    SystemClock clock;
    Win32FileSystem files;
    Win32Registry registry;
    Win32ProcessRunner processes;
    Win32Power power;
    Win32BootIdentity boot;
    Win32IdleSampler idle;
    RecordingPower recording_power;
};

WindowsHost::WindowsHost(WindowsHostOptions options) : options_(std::move(options)) {}
WindowsHost::~WindowsHost() = default;

std::string WindowsHost::reboot_request_file() const {
    return options_.data_dir + "\\test-power\\reboot-request.json";
}
Result<bool> WindowsHost::play_recorded_reboot() {
    if (!options_.test_power) return false;
    BP_TRY(Host h, host());
    return apply_recorded_reboot(reboot_request_file(), simulated_boot_file(), h.files, h.clock, h.registry);
}

std::string WindowsHost::simulated_boot_file() const {
    return options_.data_dir + "\\test-power\\boot.json";
}

Result<Host> WindowsHost::host() {
    if (!ports_) {
        auto ports = std::make_unique<Ports>(*this);
        BP_TRY_STATUS(ports->files.create_directories(options_.data_dir));
        BP_TRY(wpr_, locate_wpr(options_.wpr));
        BP_TRY(machine_, machine_name());
        if (options_.test_power)
            BP_TRY_STATUS(ports->files.create_directories(options_.data_dir + "\\test-power"));
        ports_ = std::move(ports);
    }
    Power& power = options_.test_power ? static_cast<Power&>(ports_->recording_power) : ports_->power;
    return Host{ports_->registry, ports_->processes, power, ports_->clock,     ports_->boot,
                ports_->idle,     ports_->files,     wpr_,  options_.data_dir, machine_};
}

}  // namespace bp::host::win32
