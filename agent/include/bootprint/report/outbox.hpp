// The agent's durable outbox: reports wait in the agent's database (table outbox, schema/agent/
// 003_outbox.sql) until the controller has acknowledged them. Delivery is at least once (an item leaves
// the queue only after a 2xx); the controller stores each idempotency key once, so together every
// report is stored exactly once, across agent crashes, reboots and controller outages.
//
//   BP_TRY(auto outbox, Outbox::open(agent_db_path));         // the AgentStore's file (migrated on open)
//   BP_TRY(bool added, outbox.enqueue(key, report.dump()));   // false: this key is already queued or sent
//   BP_TRY(DrainStats s, outbox.drain(client));               // sends what is due; stops at the first
//   sleep(s.retry_after) ...                                   // transient failure (backoff + jitter)
//
// enqueue() runs in its own transaction on the outbox's own connection (AgentStore does not share
// its connection); it is idempotent per key, so a caller that commits its state first and enqueues
// afterwards (again, after a crash) loses nothing and queues nothing twice — which is what the
// campaign engine's ResultSink contract asks for.
//
// One Outbox per thread; several connections and processes may use the same file (WAL, busy timeout).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "bootprint/common/result.hpp"
#include "bootprint/report/controller_client.hpp"

namespace bp::report {

// Exponential backoff with jitter: attempt n (1-based) waits a uniformly random time in
// [d/2, d] with d = min(max, initial * multiplier^(n-1)) ("equal jitter": never zero, never in step
// with the other agents of the lab that lost the controller at the same moment).
struct BackoffPolicy {
    std::chrono::milliseconds initial{1000};
    std::chrono::milliseconds max{std::chrono::minutes(10)};
    double multiplier = 2.0;
};
std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int attempt, std::mt19937_64& rng);

struct OutboxItem {
    std::int64_t id = 0;
    std::string key;
    std::string body;
    std::string state;          // "pending", "delivered", "rejected"
    int attempts = 0;
    std::int64_t next_attempt_ms = 0;  // unix milliseconds
    std::string last_error;
};

struct DrainStats {
    std::size_t stored = 0;      // the controller stored the report now
    std::size_t duplicates = 0;  // the controller already had it (an earlier attempt's reply was lost)
    std::size_t rejected = 0;    // refused for good (400/409/413): kept as "rejected" with the message
    std::size_t failed = 0;      // transient failures (then drain stops)
    std::size_t pending = 0;     // still queued afterwards
    // When the earliest pending item is due again (0 when nothing is pending).
    std::chrono::milliseconds retry_after{0};
    std::optional<Error> last_error;
};

struct DrainOptions {
    std::size_t max_items = 0;  // 0: no limit
};

class Outbox {
public:
    struct Options {
        BackoffPolicy backoff;
        std::function<std::int64_t()> now_ms;  // unix milliseconds; the system clock when empty
        std::uint64_t seed = 0;                // jitter seed; 0: from std::random_device
    };
    static Result<Outbox> open(const std::string& path, Options options);
    static Result<Outbox> open(const std::string& path) { return open(path, Options{}); }

    Outbox(Outbox&&) noexcept;
    Outbox& operator=(Outbox&&) noexcept;
    ~Outbox();

    // Queues a report. Returns false (and changes nothing) when the key is already in the outbox,
    // whatever its state.
    Result<bool> enqueue(std::string_view key, std::string_view report_json);
    // Sends every due pending item in queue order until one fails transiently.
    Result<DrainStats> drain(ReportSink& sink, const DrainOptions& options = {});

    Result<std::size_t> pending_count();
    Result<std::vector<OutboxItem>> items(std::optional<std::string> state = std::nullopt);
    // Forgets delivered items older than `age` (their keys may then be queued again).
    Result<std::size_t> prune_delivered(std::chrono::milliseconds age);

private:
    struct State;
    explicit Outbox(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

}  // namespace bp::report
