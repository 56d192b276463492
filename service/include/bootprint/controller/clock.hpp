// The controller's notion of now (unix seconds, UTC), injected so that schedule tests do not wait.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace bp::controller {

class Clock {
public:
    virtual ~Clock() = default;
    virtual std::int64_t now() const = 0;
};

class SystemClock final : public Clock {
public:
    std::int64_t now() const override {
        return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
};

// A clock tests set by hand. Safe to read from the server's threads while a test advances it.
class ManualClock final : public Clock {
public:
    explicit ManualClock(std::int64_t start) : now_(start) {}
    std::int64_t now() const override { return now_.load(); }
    void set(std::int64_t t) { now_.store(t); }
    void advance(std::int64_t seconds) { now_.fetch_add(seconds); }

private:
    std::atomic<std::int64_t> now_;
};

}  // namespace bp::controller
