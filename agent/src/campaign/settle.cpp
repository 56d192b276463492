#include "bootprint/campaign/settle.hpp"

#include <algorithm>
#include <cmath>

namespace bp::campaign {

std::uint32_t idle_credit(const host::IdleSample& sample, const SettleOptions& options) {
    if (!(sample.cpu_percent < options.busy_percent) || !(sample.disk_percent < options.busy_percent))
        return 0;
    const double busy = std::max(std::max(sample.cpu_percent, sample.disk_percent), 0.0) / 100.0;
    const double credit = static_cast<double>(options.window_ms) * (1.0 - busy);
    return static_cast<std::uint32_t>(
        std::lround(std::clamp(credit, 0.0, static_cast<double>(options.window_ms))));
}

Result<SettleResult> wait_until_settled(host::IdleSampler& sampler, const SettleOptions& options) {
    SettleResult r;
    const std::chrono::milliseconds window(options.window_ms);
    while (r.idle_credit_ms < options.idle_ms) {
        if (r.elapsed_ms + options.window_ms > options.max_delay_ms) {
            r.timed_out = true;
            break;
        }
        BP_TRY(host::IdleSample sample, sampler.sample(window));
        r.elapsed_ms += options.window_ms;
        ++r.windows;
        r.idle_credit_ms += idle_credit(sample, options);
    }
    return r;
}

}  // namespace bp::campaign
