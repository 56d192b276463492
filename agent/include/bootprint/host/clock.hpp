// Ports: wall-clock time (injected, so tests control it) and the identity of the current boot.
// Windows: GetSystemTimePreciseAsFileTime; boot time = now - GetTickCount64(), boot id from the
// persisted boot marker (wpr-boot.md §4.4). Simulated lab: the boot counter in the machine directory.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "bootprint/common/result.hpp"

namespace bp::host {

class Clock {
  public:
    virtual ~Clock() = default;
    // Microseconds since 1970-01-01 UTC.
    virtual std::int64_t now_us() = 0;
    virtual void sleep_for(std::chrono::milliseconds duration) = 0;
};

struct BootInfo {
    std::string id;                 // equal for every query within one boot, different after a reboot
    std::int64_t boot_time_us = 0;  // when this boot began (same clock as Clock::now_us)
};

class BootIdentity {
  public:
    virtual ~BootIdentity() = default;
    virtual Result<BootInfo> current() = 0;
};

// The process clock: std::chrono::system_clock and std::this_thread::sleep_for.
class SystemClock final : public Clock {
  public:
    std::int64_t now_us() override;
    void sleep_for(std::chrono::milliseconds duration) override;
};

}  // namespace bp::host
