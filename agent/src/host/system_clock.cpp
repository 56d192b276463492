#include <chrono>
#include <thread>

#include "bootprint/host/clock.hpp"

namespace bp::host {

std::int64_t SystemClock::now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void SystemClock::sleep_for(std::chrono::milliseconds duration) {
    std::this_thread::sleep_for(duration);
}

}  // namespace bp::host
