#include "bootprint/campaign/settle.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace bp::campaign;

namespace {

// Plays back samples, then repeats the last one.
class ScriptedSampler final : public bp::host::IdleSampler {
  public:
    explicit ScriptedSampler(std::vector<bp::host::IdleSample> samples) : samples_(std::move(samples)) {}
    bp::Result<bp::host::IdleSample> sample(std::chrono::milliseconds window) override {
        windows.push_back(window);
        const auto& s = samples_[std::min(next_++, samples_.size() - 1)];
        return s;
    }
    std::vector<std::chrono::milliseconds> windows;

  private:
    std::vector<bp::host::IdleSample> samples_;
    std::size_t next_ = 0;
};

}  // namespace

TEST_CASE(
    "settle: a window earns its length minus the busier of CPU and disk, only when both are below the "
    "threshold") {
    SettleOptions o;  // 500 ms windows, 20 %
    CHECK(idle_credit({0, 0}, o) == 500);
    CHECK(idle_credit({10, 4}, o) == 450);
    CHECK(idle_credit({4, 10}, o) == 450);
    CHECK(idle_credit({19.9, 0}, o) == 401);
    CHECK(idle_credit({20, 0}, o) == 0);  // "below 20 %"
    CHECK(idle_credit({0, 35}, o) == 0);
}

TEST_CASE("settle: 5 s of accumulated idle in 500 ms windows after a busy start") {
    ScriptedSampler sampler({{90, 50}, {90, 50}, {30, 0}, {10, 0}});
    SettleOptions o;
    auto r = wait_until_settled(sampler, o);
    REQUIRE(r);
    // 3 busy windows earn nothing; 450 ms per idle window → 12 windows reach 5400 ≥ 5000.
    CHECK(r->windows == 15);
    CHECK(r->elapsed_ms == 7500);
    CHECK(r->idle_credit_ms == 5400);
    CHECK_FALSE(r->timed_out);
    for (auto w : sampler.windows) CHECK(w == std::chrono::milliseconds(500));
}

TEST_CASE("settle: a machine that never goes idle is given up on at the maximum delay") {
    ScriptedSampler sampler({{80, 80}});
    SettleOptions o;
    o.max_delay_ms = 2000;
    auto r = wait_until_settled(sampler, o);
    REQUIRE(r);
    CHECK(r->timed_out);
    CHECK(r->elapsed_ms == 2000);
    CHECK(r->windows == 4);
    CHECK(r->idle_credit_ms == 0);
}
