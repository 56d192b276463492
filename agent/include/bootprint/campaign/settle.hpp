// "Has the machine settled after boot?" — the Windows assessments' Post On/Off Duration rule
// (wpr-boot.md §2.8): accumulate idle credit over windows of `window_ms`; a window in which CPU and
// disk are both below `busy_percent` earns window − max(CPU busy time, disk busy time); settled at
// `idle_ms` of credit. Bounded by `max_delay_ms` (then the trace is stopped anyway, and noted).
//
// Time is counted in windows, not read from a clock: the sampler's windows are the time that passed,
// so a simulated sampler that answers at once makes the rule run instantly and deterministically.
#pragma once

#include <cstdint>

#include "bootprint/campaign/campaign.hpp"
#include "bootprint/common/result.hpp"
#include "bootprint/host/idle.hpp"

namespace bp::campaign {

struct SettleResult {
    std::uint32_t elapsed_ms = 0;  // windows sampled × window
    std::uint32_t idle_credit_ms = 0;
    std::uint32_t windows = 0;
    bool timed_out = false;  // max_delay_ms passed before idle_ms of credit
};

// The credit one window earns.
std::uint32_t idle_credit(const host::IdleSample& sample, const SettleOptions& options);

Result<SettleResult> wait_until_settled(host::IdleSampler& sampler, const SettleOptions& options);

}  // namespace bp::campaign
