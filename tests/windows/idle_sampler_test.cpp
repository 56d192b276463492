#include "bootprint/host/windows_host.hpp"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

TEST_CASE("idle: one window of CPU and disk busy time, within 0..100") {
    bp::host::win32::Win32IdleSampler sampler;
    const auto start = std::chrono::steady_clock::now();
    auto s = sampler.sample(std::chrono::milliseconds(300));
    const auto took = std::chrono::steady_clock::now() - start;
    REQUIRE(s);
    CHECK(took >= std::chrono::milliseconds(290));
    CHECK(s->cpu_percent >= 0.0);
    CHECK(s->cpu_percent <= 100.0);
    CHECK(s->disk_percent >= 0.0);
    CHECK(s->disk_percent <= 100.0);
    if (!sampler.disk_counter())
        WARN("no \\PhysicalDisk(_Total)\\% Disk Time counter here (Wine): disk reads idle");
}

TEST_CASE("idle: a machine kept busy reads busy") {
    std::atomic<bool> stop{false};
    std::vector<std::thread> spinners;
    const unsigned n = std::max(2u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) {
        spinners.emplace_back([&stop] {
            volatile std::uint64_t x = 0;
            while (!stop.load(std::memory_order_relaxed)) x = x + 1;
        });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    bp::host::win32::Win32IdleSampler sampler;
    auto s = sampler.sample(std::chrono::milliseconds(500));
    stop = true;
    for (auto& t : spinners) t.join();
    REQUIRE(s);
    // Every core spins: far above the 20 % "idle" threshold whatever else the machine does.
    CHECK(s->cpu_percent > 50.0);
}
