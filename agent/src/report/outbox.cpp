#include "bootprint/report/outbox.hpp"

#include <algorithm>
#include <cmath>

#include "bootprint/store/agent_store.hpp"
#include "store/sqlite.hpp"  // the store's SQLite wrapper (agent/src/store), reused rather than copied

namespace bp::report {

namespace sqlite = bp::store::sqlite;

namespace {

std::int64_t system_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int attempt, std::mt19937_64& rng) {
    const double initial = static_cast<double>(std::max<std::int64_t>(1, policy.initial.count()));
    const double cap = static_cast<double>(std::max(policy.max.count(), policy.initial.count()));
    const double exponent = static_cast<double>(std::clamp(attempt, 1, 64) - 1);
    const double d = std::min(cap, initial * std::pow(std::max(1.0, policy.multiplier), exponent));
    std::uniform_real_distribution<double> jitter(d / 2, d);
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(jitter(rng))));
}

struct Outbox::State {
    explicit State(sqlite::Database database) : db(std::move(database)) {}
    sqlite::Database db;
    Options options;
    std::mt19937_64 rng;
    std::int64_t now() const { return options.now_ms ? options.now_ms() : system_now_ms(); }
};

Outbox::Outbox(std::unique_ptr<State> state) : state_(std::move(state)) {}
Outbox::Outbox(Outbox&&) noexcept = default;
Outbox& Outbox::operator=(Outbox&&) noexcept = default;
Outbox::~Outbox() = default;

Result<Outbox> Outbox::open(const std::string& path, Options options) {
    if (path.empty()) return make_error(Errc::invalid_argument, "empty outbox path");
    // The outbox is a table of the agent's database (schema/agent/003_outbox.sql): opening the store
    // applies the migrations, and refuses a foreign or newer database, before we touch the table.
    {
        BP_TRY(auto store, store::AgentStore::open(path));
        (void)store;
    }
    BP_TRY(sqlite::Database db, sqlite::Database::open(path, false));
    // FULL on this connection: an enqueued report must survive a power cut (the campaign moves on).
    BP_TRY_STATUS(db.exec("PRAGMA synchronous = FULL;"));
    auto state = std::make_unique<State>(std::move(db));
    state->options = std::move(options);
    state->rng.seed(state->options.seed != 0 ? state->options.seed : std::random_device{}());
    return Outbox(std::move(state));
}

Result<bool> Outbox::enqueue(std::string_view key, std::string_view report_json) {
    if (key.empty()) return make_error(Errc::invalid_argument, "empty idempotency key");
    BP_TRY(auto insert, state_->db.prepare(
                            "INSERT INTO outbox (key, body, enqueued_ms) VALUES (?1, ?2, ?3)"
                            " ON CONFLICT (key) DO NOTHING"));
    insert.bind(1, key);
    insert.bind(2, report_json);
    insert.bind(3, state_->now());
    BP_TRY_STATUS(insert.run());
    return state_->db.changes() == 1;
}

Result<DrainStats> Outbox::drain(ReportSink& sink, const DrainOptions& options) {
    DrainStats stats;
    auto& db = state_->db;
    BP_TRY(auto next, db.prepare(
                          "SELECT id, key, body, attempts FROM outbox WHERE state = 'pending'"
                          " AND next_attempt_ms <= ?1 ORDER BY next_attempt_ms, id LIMIT 1"));
    BP_TRY(auto done, db.prepare("UPDATE outbox SET state = ?2, done_ms = ?3, attempts = attempts + 1,"
                                 " last_error = ?4 WHERE id = ?1"));
    BP_TRY(auto retry, db.prepare("UPDATE outbox SET attempts = ?2, next_attempt_ms = ?3, last_error = ?4"
                                  " WHERE id = ?1"));
    std::size_t sent = 0;
    while (options.max_items == 0 || sent < options.max_items) {
        next.bind(1, state_->now());
        BP_TRY(bool row, next.step());
        if (!row) break;
        const std::int64_t id = next.column_int(0);
        const std::string key = next.column_text(1);
        const std::string body = next.column_text(2);
        const int attempts = static_cast<int>(next.column_int(3));
        next.reset();
        ++sent;

        auto outcome = sink.upload(key, body);
        if (outcome) {
            done.bind(1, id);
            done.bind(2, "delivered");
            done.bind(3, state_->now());
            done.bind(4, "");
            BP_TRY_STATUS(done.run());
            ++(*outcome == UploadOutcome::stored ? stats.stored : stats.duplicates);
            continue;
        }
        const Error& e = outcome.error();
        if (!is_transient(e)) {
            // The controller will never take this report: keep it, visibly, instead of retrying forever.
            done.bind(1, id);
            done.bind(2, "rejected");
            done.bind(3, state_->now());
            done.bind(4, e.message);
            BP_TRY_STATUS(done.run());
            ++stats.rejected;
            stats.last_error = e;
            continue;
        }
        const auto delay = backoff_delay(state_->options.backoff, attempts + 1, state_->rng);
        retry.bind(1, id);
        retry.bind(2, attempts + 1);
        retry.bind(3, state_->now() + delay.count());
        retry.bind(4, e.message);
        BP_TRY_STATUS(retry.run());
        ++stats.failed;
        stats.last_error = e;
        break;  // the controller is unreachable or failing: do not hammer it with the rest of the queue
    }
    BP_TRY(std::int64_t pending, db.query_int("SELECT count(*) FROM outbox WHERE state = 'pending'"));
    stats.pending = static_cast<std::size_t>(pending);
    if (pending > 0) {
        BP_TRY(std::int64_t due, db.query_int("SELECT min(next_attempt_ms) FROM outbox WHERE state = 'pending'"));
        stats.retry_after = std::chrono::milliseconds(std::max<std::int64_t>(0, due - state_->now()));
    }
    return stats;
}

Result<std::size_t> Outbox::pending_count() {
    BP_TRY(std::int64_t n, state_->db.query_int("SELECT count(*) FROM outbox WHERE state = 'pending'"));
    return static_cast<std::size_t>(n);
}

Result<std::vector<OutboxItem>> Outbox::items(std::optional<std::string> state) {
    BP_TRY(auto q, state_->db.prepare("SELECT id, key, body, state, attempts, next_attempt_ms, last_error FROM outbox"
                                      " WHERE (?1 IS NULL OR state = ?1) ORDER BY id"));
    q.bind(1, state);
    std::vector<OutboxItem> out;
    for (;;) {
        BP_TRY(bool row, q.step());
        if (!row) break;
        OutboxItem item;
        item.id = q.column_int(0);
        item.key = q.column_text(1);
        item.body = q.column_text(2);
        item.state = q.column_text(3);
        item.attempts = static_cast<int>(q.column_int(4));
        item.next_attempt_ms = q.column_int(5);
        item.last_error = q.column_text(6);
        out.push_back(std::move(item));
    }
    return out;
}

Result<std::size_t> Outbox::prune_delivered(std::chrono::milliseconds age) {
    BP_TRY(auto del, state_->db.prepare("DELETE FROM outbox WHERE state = 'delivered' AND done_ms < ?1"));
    del.bind(1, state_->now() - age.count());
    BP_TRY_STATUS(del.run());
    return static_cast<std::size_t>(state_->db.changes());
}

}  // namespace bp::report
