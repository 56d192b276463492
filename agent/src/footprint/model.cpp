#include "bootprint/footprint/model.hpp"

namespace bp::footprint {

const char* to_string(Attribution a) {
    switch (a) {
        case Attribution::stack: return "stack";
        case Attribution::kernel_only: return "kernel-only-stack";
        case Attribution::pooltag: return "pooltag";
        case Attribution::none: return "none";
    }
    return "none";
}

const char* to_string(PoolLifetimeType t) {
    switch (t) {
        case PoolLifetimeType::aifi: return "AIFI";
        case PoolLifetimeType::aofi: return "AOFI";
        case PoolLifetimeType::aifo: return "AIFO";
        case PoolLifetimeType::aofo: return "AOFO";
    }
    return "AIFI";
}

const char* impacting_label(PoolLifetimeType t) {
    switch (t) {
        case PoolLifetimeType::aifo:
        case PoolLifetimeType::aofi: return "Impacting";
        case PoolLifetimeType::aifi: return "Transient";
        case PoolLifetimeType::aofo: return "Persistent";
    }
    return "Transient";
}

// WPA perf_pool (kernel-events.md §3.2): allocOutside = U or A < S or A > E;
// freeOutside = F < S or F >= E or A > F. A row never freed has F beyond the end: freed outside.
PoolLifetimeType classify(const PoolAllocation& row, const Window& w) {
    const bool alloc_outside = !row.alloc_known || row.alloc_time < w.start || row.alloc_time > w.end;
    const bool free_outside = !row.freed || row.free_time < w.start || row.free_time >= w.end ||
                              (row.alloc_known && row.alloc_time > row.free_time);
    return static_cast<PoolLifetimeType>((alloc_outside ? 1 : 0) | (free_outside ? 2 : 0));
}

}  // namespace bp::footprint
