// Port: reboot the machine. Windows: SeShutdownPrivilege + InitiateSystemShutdownExW with a planned
// reason (wpr-boot.md §4.3); simulated lab: the request is persisted in the machine directory and the
// agent exits so that the supervisor "reboots" (new boot identity) and starts it again.
//
// Success means only that the request was accepted: the caller persists its state *before* asking and
// must not start new work afterwards (the process may die at any moment).
#pragma once

#include <cstdint>
#include <string>

#include "bootprint/common/result.hpp"

namespace bp::host {

// SHTDN_REASON_MAJOR_APPLICATION | SHTDN_REASON_MINOR_MAINTENANCE | SHTDN_REASON_FLAG_PLANNED: a
// planned reboot; reason 0 is logged as unplanned and may trigger a slow system-state capture.
inline constexpr std::uint32_t kPlannedMaintenanceReboot = 0x80040001;

struct RebootRequest {
    std::string message;  // shown in the event log: "bootprint campaign nightly: boot trace 2/3"
    std::uint32_t reason = kPlannedMaintenanceReboot;
};

class Power {
  public:
    virtual ~Power() = default;
    virtual Status reboot(const RebootRequest& request) = 0;
};

}  // namespace bp::host
