// Port: how busy the machine was over a short window, for the "settled after boot" rule of the
// Windows assessments (wpr-boot.md §2.8, §4.6). Windows: PDH "\Processor(_Total)\% Processor Time" and
// "\PhysicalDisk(_Total)\% Disk Time" collected over the window; simulated lab: busy for a
// configurable number of windows after each boot, then idle, without waiting in real time.
#pragma once

#include <chrono>

#include "bootprint/common/result.hpp"

namespace bp::host {

struct IdleSample {
    double cpu_percent = 0;   // 0..100 over the window
    double disk_percent = 0;  // 0..100 over the window
};

class IdleSampler {
  public:
    virtual ~IdleSampler() = default;
    // Measures one window. Returns when the window is over (real samplers block for its duration).
    virtual Result<IdleSample> sample(std::chrono::milliseconds window) = 0;
};

}  // namespace bp::host
