// The ports of the simulated machine: the registry file, the boot file, a reboot request file, an
// idle sampler that reports a busy machine for a few windows after each boot.
#include <thread>

#include "bootprint/host/sim_machine.hpp"
#include "host/sim/json_file.hpp"

namespace bp::host::sim {
namespace {

class SimBootIdentity final : public BootIdentity {
  public:
    explicit SimBootIdentity(const SimMachine& m) : machine_(m) {}
    Result<BootInfo> current() override {
        BP_TRY(BootState b, machine_.boot_state());
        if (b.number == 0) return make_error(Errc::conflict, "the simulated machine was never booted");
        return BootInfo{b.id, b.boot_time_us};
    }

  private:
    const SimMachine& machine_;
};

// A reboot is a request persisted in the machine directory; `bootprint-agent run` then exits with
// kRebootExitCode and the supervisor performs it (even if the agent dies first, as Windows would).
class SimPower final : public Power {
  public:
    SimPower(const SimMachine& m, Clock& clock) : machine_(m), clock_(clock) {}
    Status reboot(const RebootRequest& request) override {
        BP_TRY(BootState b, machine_.boot_state());
        BP_TRY_STATUS(
            detail::write_json(machine_.reboot_marker(), {{"message", request.message},
                                                          {"reason", detail::hex_code(request.reason)},
                                                          {"from_boot", b.number},
                                                          {"at_us", clock_.now_us()}}));
        machine_.log("reboot requested (" + detail::hex_code(request.reason) + "): " + request.message);
        return {};
    }

  private:
    const SimMachine& machine_;
    Clock& clock_;
};

class SimIdleSampler final : public IdleSampler {
  public:
    SimIdleSampler(const SimMachine& m, MachineConfig config) : machine_(m), config_(std::move(config)) {}
    Result<IdleSample> sample(std::chrono::milliseconds) override {
        if (config_.sample_sleep_ms)
            std::this_thread::sleep_for(std::chrono::milliseconds(config_.sample_sleep_ms));
        BP_TRY(Faults f, machine_.faults());
        if (f.never_idle || samples_++ < config_.busy_windows) return IdleSample{85.0, 40.0};
        return IdleSample{3.0, 1.0};
    }

  private:
    const SimMachine& machine_;
    MachineConfig config_;
    std::uint32_t samples_ = 0;
};

}  // namespace

struct SimHost::Ports {
    Ports(const SimMachine& m, MachineConfig config)
        : registry(m.path("registry.json"), clock),
          processes(m.path("tmp")),
          power(m, clock),
          boot(m),
          idle(m, std::move(config)) {}
    SystemClock clock;
    FileRegistry registry;
    PosixProcessRunner processes;
    SimPower power;
    SimBootIdentity boot;
    SimIdleSampler idle;
    LocalFileSystem files;
};

SimHost::SimHost(SimMachine machine) : machine_(std::move(machine)) {}
SimHost::~SimHost() = default;

Result<Host> SimHost::host() {
    BP_TRY(MachineConfig config, machine_.config());
    if (!ports_) ports_ = std::make_unique<Ports>(machine_, config);
    return Host{ports_->registry, ports_->processes, ports_->power,      ports_->clock,       ports_->boot,
                ports_->idle,     ports_->files,     config.wpr_program, machine_.data_dir(), config.name};
}

}  // namespace bp::host::sim
