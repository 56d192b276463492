#include "bootprint/controller/postgres_controller_store.hpp"

#include <algorithm>
#include <thread>
#include <unordered_map>
#include <utility>

#include "bootprint/controller/open_store.hpp"
#include "bootprint/controller/schedule.hpp"
#include "controller_migrations.hpp"
#include "pg_connection.hpp"

namespace bp::controller {

int postgresql_schema_version() {
    const auto all = detail::embedded_postgresql_migrations();
    return all.empty() ? 0 : all.back().version;
}

class PostgresControllerStore::Lease {
public:
    Lease(PostgresControllerStore* owner, std::unique_ptr<pg::Connection> c) : owner_(owner), c_(std::move(c)) {}
    Lease(Lease&& other) noexcept : owner_(other.owner_), c_(std::move(other.c_)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
        if (c_) owner_->release(std::move(c_));
    }
    pg::Connection& db() { return *c_; }

private:
    PostgresControllerStore* owner_;
    std::unique_ptr<pg::Connection> c_;
};

namespace {

constexpr int kAttempts = 5;
constexpr std::size_t kMaxSeriesRows = 2'000'000;  // as the SQLite store: narrow the query beyond it
// The advisory lock every migrating instance takes ("bootprnt" in ASCII): one migrates, the others
// wait and then find the schema current.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7093007424315667060)";

constexpr const char* kAgentColumns =
    "a.id, a.machine, a.machine_group, a.agent_version, a.os_build, a.campaign_state, a.enrolled_at,"
    " a.last_seen_at, a.disabled";

AgentRecord read_agent(const pg::Rows& r, int row) {
    AgentRecord a;
    a.id = r.int64(row, 0);
    a.info.machine = r.text(row, 1);
    a.info.group = r.text(row, 2);
    a.info.agent_version = r.text(row, 3);
    a.info.os_build = r.text(row, 4);
    a.campaign_state = r.text(row, 5);
    a.enrolled_at = r.int64(row, 6);
    a.last_seen_at = r.int64(row, 7);
    a.disabled = r.boolean(row, 8);
    return a;
}

// Brings the database to the newest compiled-in version, all pending migrations in one transaction
// under the advisory lock. The version lives in bootprint_schema (one row).
Result<int> migrate(pg::Connection& c, const std::string& where) {
    const auto migrations = detail::embedded_postgresql_migrations();
    const int newest = migrations.empty() ? 0 : migrations.back().version;
    BP_TRY_STATUS(c.exec("BEGIN"));
    BP_TRY_STATUS(c.exec(kMigrationLock));
    BP_TRY(auto has_table, c.query("SELECT to_regclass('bootprint_schema') IS NOT NULL"));
    int version = 0;
    if (has_table.boolean(0, 0)) {
        BP_TRY(auto v, c.query("SELECT coalesce(max(version), 0) FROM bootprint_schema"));
        version = static_cast<int>(v.int64(0, 0));
    } else {
        BP_TRY(auto tables, c.query("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"));
        if (tables.int64(0, 0) > 0) {
            (void)c.exec("ROLLBACK");
            return make_error(Errc::conflict, "the database holds " + std::to_string(tables.int64(0, 0)) +
                                                  " tables but no bootprint_schema: not a Bootprint controller "
                                                  "database; give an empty database")
                .with_path(where);
        }
    }
    if (version > newest) {
        (void)c.exec("ROLLBACK");
        return make_error(Errc::unsupported, "controller schema version " + std::to_string(version) +
                                                 " is newer than this bootprint-service understands (" +
                                                 std::to_string(newest) + ")")
            .with_path(where);
    }
    if (!has_table.boolean(0, 0)) BP_TRY_STATUS(c.exec("CREATE TABLE bootprint_schema (version INTEGER NOT NULL)"));
    for (const auto& m : migrations) {
        if (m.version <= version) continue;
        auto applied = c.exec(std::string(m.sql));
        if (!applied) {
            (void)c.exec("ROLLBACK");
            return make_error(Errc::database, "migration " + std::string(m.file) + ": " + applied.error().message)
                .with_path(where);
        }
        BP_TRY_STATUS(c.exec("DELETE FROM bootprint_schema; INSERT INTO bootprint_schema (version) VALUES (" +
                             std::to_string(m.version) + ")"));
        version = m.version;
    }
    BP_TRY_STATUS(c.exec("COMMIT"));
    return version;
}

}  // namespace

// ---- lifetime and the pool ------------------------------------------------------------------------

PostgresControllerStore::PostgresControllerStore(std::string conninfo, Options options)
    : conninfo_(std::move(conninfo)), options_(std::move(options)) {}

PostgresControllerStore::~PostgresControllerStore() = default;

Result<std::unique_ptr<PostgresControllerStore>> PostgresControllerStore::open(const std::string& conninfo,
                                                                               Options options) {
    if (conninfo.empty()) return make_error(Errc::invalid_argument, "empty PostgreSQL connection string");
    if (options.synchronous != "FULL" && options.synchronous != "NORMAL") {
        return make_error(Errc::invalid_argument, "synchronous must be FULL or NORMAL, not " + options.synchronous);
    }
    auto c = pg::Connection::open(conninfo, options.synchronous == "FULL");
    if (!c) return Error(c.error()).with_path(redacted_location(conninfo));
    BP_TRY(int version, migrate(**c, redacted_location(conninfo)));
    (void)version;
    std::unique_ptr<PostgresControllerStore> store(new PostgresControllerStore(conninfo, std::move(options)));
    store->release(std::move(*c));
    return store;
}

Result<PostgresControllerStore::Lease> PostgresControllerStore::acquire() {
    {
        std::lock_guard lock(pool_mutex_);
        if (!idle_.empty()) {
            auto c = std::move(idle_.back());
            idle_.pop_back();
            return Lease(this, std::move(c));
        }
    }
    BP_TRY(auto c, pg::Connection::open(conninfo_, options_.synchronous == "FULL"));
    return Lease(this, std::move(c));
}

void PostgresControllerStore::release(std::unique_ptr<pg::Connection> connection) {
    if (!connection->healthy()) return;  // a broken connection (server restart) is dropped
    if (connection->in_transaction() && !connection->exec("ROLLBACK")) return;
    std::lock_guard lock(pool_mutex_);
    if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(connection));
}

template <typename T, typename Body>
Result<T> PostgresControllerStore::transaction(Body&& body) {
    for (int attempt = 1;; ++attempt) {
        BP_TRY(Lease lease, acquire());
        auto& c = lease.db();
        if (auto begun = c.exec("BEGIN"); !begun) {
            if (!c.healthy() && attempt < kAttempts) continue;  // a pooled connection the server closed
            return begun.error();
        }
        Result<T> r = body(c);
        if (r) {
            if (!c.in_transaction()) return r;  // the body ended the transaction itself
            auto committed = c.exec("COMMIT");
            if (committed) return r;
            // A broken connection during COMMIT may have committed: running the body again is safe,
            // since every body is idempotent under the constraints (a stored report reads as duplicate).
            if ((!c.last_error_retryable() && c.healthy()) || attempt == kAttempts) return committed.error();
        } else if (!c.healthy() && attempt < kAttempts) {
            continue;  // the server restarted or the connection broke: a fresh connection tries again
        } else if (!c.last_error_retryable() || attempt == kAttempts) {
            return r;  // the lease rolls back
        }
        (void)c.exec("ROLLBACK");
        std::this_thread::sleep_for(std::chrono::milliseconds(attempt * 2));
    }
}

// ---- agents and tokens --------------------------------------------------------------------------

Result<std::int64_t> PostgresControllerStore::enrol(const AgentInfo& info, const std::string& hash, UnixSeconds now) {
    return transaction<std::int64_t>([&](pg::Connection& c) -> Result<std::int64_t> {
        BP_TRY(auto ins, c.query("INSERT INTO agents (machine, machine_group, agent_version, os_build, enrolled_at,"
                                 " last_seen_at) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (machine) DO NOTHING",
                                 {info.machine, info.group, info.agent_version, info.os_build, now}));
        BP_TRY(auto sel, c.query("SELECT id, disabled FROM agents WHERE machine = $1 FOR UPDATE", {info.machine}));
        if (sel.size() != 1) return make_error(Errc::internal, "enrolled agent vanished: " + info.machine);
        const std::int64_t id = sel.int64(0, 0);
        if (sel.boolean(0, 1)) {
            return make_error(Errc::conflict,
                              "machine '" + info.machine + "' is disabled; an administrator must enable it");
        }
        BP_TRY(auto upd, c.query("UPDATE agents SET machine_group = $2, agent_version = $3, os_build = $4,"
                                 " last_seen_at = $5 WHERE id = $1",
                                 {id, info.group, info.agent_version, info.os_build, now}));
        BP_TRY(auto rev, c.query("UPDATE tokens SET revoked_at = $2 WHERE agent_id = $1 AND revoked_at IS NULL",
                                 {id, now}));
        BP_TRY(auto tok, c.query("INSERT INTO tokens (hash, agent_id, created_at) VALUES ($1, $2, $3)", {hash, id, now}));
        return id;
    });
}

Result<std::optional<AgentRecord>> PostgresControllerStore::authenticate(const std::string& hash) {
    BP_TRY(Lease lease, acquire());
    BP_TRY(auto r, lease.db().query(std::string("SELECT ") + kAgentColumns +
                                        " FROM tokens t JOIN agents a ON a.id = t.agent_id"
                                        " WHERE t.hash = $1 AND t.revoked_at IS NULL AND NOT a.disabled",
                                    {hash}));
    if (r.size() == 0) return std::optional<AgentRecord>();
    AgentRecord a = read_agent(r, 0);
    a.valid_tokens = 1;
    return std::optional<AgentRecord>(std::move(a));
}

Status PostgresControllerStore::heartbeat(std::int64_t agent_id, const AgentInfo& info,
                                          const std::string& campaign_state, UnixSeconds now) {
    BP_TRY(Lease lease, acquire());
    BP_TRY(auto r, lease.db().query("UPDATE agents SET agent_version = $2, os_build = $3, campaign_state = $4,"
                                    " last_seen_at = $5 WHERE id = $1",
                                    {agent_id, info.agent_version, info.os_build, campaign_state, now}));
    if (r.affected() == 0) return make_error(Errc::not_found, "no agent " + std::to_string(agent_id));
    return {};
}

Status PostgresControllerStore::revoke(std::int64_t agent_id, bool disable, UnixSeconds now) {
    auto r = transaction<bool>([&](pg::Connection& c) -> Result<bool> {
        BP_TRY(auto dis, c.query("UPDATE agents SET disabled = disabled OR $2 WHERE id = $1", {agent_id, disable}));
        if (dis.affected() == 0) return make_error(Errc::not_found, "no agent " + std::to_string(agent_id));
        BP_TRY(auto q, c.query("UPDATE tokens SET revoked_at = $2 WHERE agent_id = $1 AND revoked_at IS NULL",
                               {agent_id, now}));
        return true;
    });
    if (!r) return r.error();
    return {};
}

Result<std::vector<AgentRecord>> PostgresControllerStore::agents() {
    BP_TRY(Lease lease, acquire());
    BP_TRY(auto r, lease.db().query(std::string("SELECT ") + kAgentColumns +
                                        ", (SELECT count(*) FROM tokens t WHERE t.agent_id = a.id AND"
                                        " t.revoked_at IS NULL) FROM agents a ORDER BY a.id",
                                    {}));
    std::vector<AgentRecord> out;
    for (int i = 0; i < r.size(); ++i) {
        AgentRecord a = read_agent(r, i);
        a.valid_tokens = static_cast<int>(r.int64(i, 9));
        out.push_back(std::move(a));
    }
    return out;
}

// ---- templates, assignments, jobs ------------------------------------------------------------------

Result<std::int64_t> PostgresControllerStore::put_template(const std::string& name, const std::string& spec_json,
                                                           UnixSeconds now) {
    BP_TRY(Lease lease, acquire());
    BP_TRY(auto r, lease.db().query("INSERT INTO templates (name, spec, created_at, updated_at) VALUES ($1, $2, $3, $3)"
                                    " ON CONFLICT (name) DO UPDATE SET spec = excluded.spec,"
                                    " updated_at = excluded.updated_at RETURNING id",
                                    {name, spec_json, now}));
    return r.size() == 1 ? r.int64(0, 0) : 0;
}

Result<std::vector<TemplateRecord>> PostgresControllerStore::templates() {
    BP_TRY(Lease lease, acquire());
    BP_TRY(auto r, lease.db().query("SELECT id, name, spec FROM templates ORDER BY name"));
    std::vector<TemplateRecord> out;
    for (int i = 0; i < r.size(); ++i) out.push_back({r.int64(i, 0), r.text(i, 1), r.text(i, 2)});
    return out;
}

Result<std::int64_t> PostgresControllerStore::assign(const AssignmentRecord& a, UnixSeconds now) {
    BP_TRY(Schedule schedule, Schedule::parse(a.schedule));
    if (a.group.empty()) return make_error(Errc::invalid_argument, "an assignment needs a machine group");
    return transaction<std::int64_t>([&](pg::Connection& c) -> Result<std::int64_t> {
        BP_TRY(auto tid, c.query("SELECT id FROM templates WHERE name = $1", {a.template_name}));
        if (tid.size() == 0) return make_error(Errc::not_found, "no template named '" + a.template_name + "'");
        BP_TRY(auto r, c.query("INSERT INTO assignments (template_id, machine_group, schedule, not_before, created_at,"
                               " active) VALUES ($1, $2, $3, $4, $5, $6)"
                               " ON CONFLICT (template_id, machine_group) DO UPDATE SET schedule = excluded.schedule,"
                               " not_before = excluded.not_before, active = excluded.active RETURNING id",
                               {tid.int64(0, 0), a.group, schedule.text(), a.not_before, now, a.active}));
        if (r.size() != 1) return make_error(Errc::internal, "assignment vanished");
        return r.int64(0, 0);
    });
}

Result<std::vector<AssignmentRecord>> PostgresControllerStore::assignments() {
    BP_TRY(Lease lease, acquire());
    BP_TRY(auto r, lease.db().query("SELECT a.id, t.name, a.machine_group, a.schedule, a.not_before, a.active"
                                    " FROM assignments a JOIN templates t ON t.id = a.template_id ORDER BY a.id"));
    std::vector<AssignmentRecord> out;
    for (int i = 0; i < r.size(); ++i) {
        AssignmentRecord a;
        a.id = r.int64(i, 0);
        a.template_name = r.text(i, 1);
        a.group = r.text(i, 2);
        a.schedule = r.text(i, 3);
        a.not_before = r.int64(i, 4);
        a.active = r.boolean(i, 5);
        out.push_back(std::move(a));
    }
    return out;
}

Result<std::vector<JobRecord>> PostgresControllerStore::claim_due_jobs(std::int64_t agent_id, UnixSeconds now) {
    auto claimed = transaction<bool>([&](pg::Connection& c) -> Result<bool> {
        // The agent's row lock orders this agent's claims; other agents claim in parallel.
        BP_TRY(auto seen, c.query("UPDATE agents SET last_seen_at = $2 WHERE id = $1 RETURNING machine_group",
                                  {agent_id, now}));
        if (seen.size() == 0) return make_error(Errc::not_found, "no agent " + std::to_string(agent_id));
        BP_TRY(auto due, c.query("SELECT id, schedule, not_before FROM assignments WHERE machine_group = $1 AND active"
                                 " ORDER BY id",
                                 {seen.text(0, 0)}));
        for (int i = 0; i < due.size(); ++i) {
            auto schedule = Schedule::parse(due.text(i, 1));
            if (!schedule) continue;  // stored schedules were parsed on the way in
            const std::int64_t slot = schedule->latest_slot(now);
            if (slot < due.int64(i, 2)) continue;
            const std::int64_t assignment = due.int64(i, 0);
            // The unique (assignment_id, agent_id, slot) decides who claims a slot, across instances.
            BP_TRY(auto claim, c.query("INSERT INTO jobs (assignment_id, agent_id, slot, created_at, updated_at)"
                                       " VALUES ($1, $2, $3, $4, $4)"
                                       " ON CONFLICT (assignment_id, agent_id, slot) DO NOTHING RETURNING id",
                                       {assignment, agent_id, slot, now}));
            if (claim.size() == 1) {
                BP_TRY(auto skip, c.query("UPDATE jobs SET state = 'skipped', updated_at = $4,"
                                          " message = 'a newer slot superseded it before it started'"
                                          " WHERE assignment_id = $1 AND agent_id = $2 AND slot < $3"
                                          " AND state = 'pending'",
                                          {assignment, agent_id, slot, now}));
            }
        }
        return true;
    });
    if (!claimed) return claimed.error();
    BP_TRY(Lease lease, acquire());
    BP_TRY(auto r, lease.db().query("SELECT j.id, j.assignment_id, t.name, t.spec, j.slot, j.state, j.message FROM jobs j"
                                    " JOIN assignments s ON s.id = j.assignment_id JOIN templates t ON t.id = s.template_id"
                                    " WHERE j.agent_id = $1 AND j.state IN ('pending', 'running') ORDER BY j.slot, j.id",
                                    {agent_id}));
    std::vector<JobRecord> out;
    for (int i = 0; i < r.size(); ++i) {
        JobRecord j;
        j.id = r.int64(i, 0);
        j.assignment_id = r.int64(i, 1);
        j.agent_id = agent_id;
        j.template_name = r.text(i, 2);
        j.spec_json = r.text(i, 3);
        j.slot = r.int64(i, 4);
        j.state = r.text(i, 5);
        j.message = r.text(i, 6);
        out.push_back(std::move(j));
    }
    return out;
}

Status PostgresControllerStore::set_job_state(std::int64_t agent_id, std::int64_t job_id, const std::string& state,
                                              const std::string& message, UnixSeconds now) {
    if (state != "running" && state != "done" && state != "failed") {
        return make_error(Errc::invalid_argument, "job state must be running, done or failed, not '" + state + "'");
    }
    auto r = transaction<bool>([&](pg::Connection& c) -> Result<bool> {
        BP_TRY(auto cur, c.query("SELECT state FROM jobs WHERE id = $1 AND agent_id = $2 FOR UPDATE", {job_id, agent_id}));
        if (cur.size() == 0) return make_error(Errc::not_found, "no job " + std::to_string(job_id) + " for this agent");
        const std::string current = cur.text(0, 0);
        if (current == state) return true;  // a repeated report of the same state
        const bool allowed = (current == "pending") || (current == "running" && state != "running");
        if (!allowed) {
            return make_error(Errc::conflict, "job " + std::to_string(job_id) + " is " + current +
                                                  "; it cannot become " + state);
        }
        BP_TRY(auto upd, c.query("UPDATE jobs SET state = $2, message = $3, updated_at = $4 WHERE id = $1",
                                 {job_id, state, message.substr(0, 2000), now}));
        return true;
    });
    if (!r) return r.error();
    return {};
}

// ---- reports ---------------------------------------------------------------------------------------

Result<StoreResult> PostgresControllerStore::store_report(std::int64_t agent_id, const ReportFacts& f, UnixSeconds now) {
    const UnixSeconds time = f.time > 0 ? f.time : now;
    // The report's series in one order (kind, key, metric): concurrent uploads intern new series in the
    // same order, so they wait for each other instead of deadlocking.
    std::vector<std::string> series_names;
    series_names.reserve(f.samples.size());
    for (const Sample& s : f.samples) {
        std::string name = s.kind;
        name.append(1, '\0').append(s.key).append(1, '\0').append(s.metric);
        series_names.push_back(std::move(name));
    }
    std::vector<std::pair<std::string, std::int64_t>> new_series;
    std::int64_t new_build = 0;  // interned by this transaction
    auto stored = transaction<StoreResult>([&](pg::Connection& c) -> Result<StoreResult> {
        new_series.clear();
        new_build = 0;
        auto check_existing = [&]() -> Result<std::optional<StoreResult>> {
            BP_TRY(auto r, c.query("SELECT id, body_sha256 FROM reports WHERE idempotency_key = $1", {f.idempotency_key}));
            if (r.size() == 0) return std::optional<StoreResult>();
            StoreResult out;
            out.report_id = r.int64(0, 0);
            out.outcome = r.text(0, 1) == f.body_sha256 ? StoreOutcome::duplicate : StoreOutcome::conflict;
            return std::optional<StoreResult>(out);
        };
        BP_TRY(auto known, check_existing());
        if (known) {
            BP_TRY_STATUS(c.exec("ROLLBACK"));  // nothing written
            return *known;
        }

        std::int64_t build_id = 0;
        {
            std::lock_guard lock(cache_mutex_);
            if (auto it = build_ids_.find(f.build); it != build_ids_.end()) build_id = it->second;
        }
        if (build_id == 0) {
            BP_TRY(auto ins, c.query("WITH ins AS (INSERT INTO builds (name) VALUES ($1) ON CONFLICT (name) DO NOTHING"
                                     " RETURNING id) SELECT id FROM ins UNION ALL SELECT id FROM builds WHERE name = $1",
                                     {f.build}));
            if (ins.size() == 0) {
                // A concurrent transaction inserted it after this statement's snapshot: look again.
                BP_TRY(auto again, c.query("SELECT id FROM builds WHERE name = $1", {f.build}));
                if (again.size() == 0) return make_error(Errc::internal, "build vanished: " + f.build);
                build_id = again.int64(0, 0);
            } else {
                build_id = ins.int64(0, 0);
            }
            new_build = build_id;
        }
        // Insert or find, and keep the earliest time: DO UPDATE returns the row however it came to be.
        BP_TRY(auto camp, c.query("INSERT INTO campaigns (agent_id, name, build_id, template, job_id, first_time)"
                                  " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (agent_id, name, build_id)"
                                  " DO UPDATE SET first_time = least(campaigns.first_time, excluded.first_time)"
                                  " RETURNING id",
                                  {agent_id, f.campaign, build_id, f.template_name, f.job_id, time}));
        if (camp.size() != 1) return make_error(Errc::internal, "campaign vanished: " + f.campaign);
        const std::int64_t campaign_id = camp.int64(0, 0);

        BP_TRY(auto ins, c.query("INSERT INTO reports (idempotency_key, body_sha256, agent_id, campaign_id, build_id,"
                                 " iteration, schema_version, time, received_at, body)"
                                 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                                 " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
                                 {f.idempotency_key, f.body_sha256, agent_id, campaign_id, build_id, f.iteration,
                                  f.schema_version, time, now, f.body}));
        if (ins.size() == 0) {
            // Another instance stored the key between our check and our insert: the constraint decided.
            BP_TRY(auto raced, check_existing());
            if (!raced) return make_error(Errc::internal, "report insert neither stored nor found: " + f.idempotency_key);
            BP_TRY_STATUS(c.exec("ROLLBACK"));
            return *raced;
        }
        const std::int64_t report_id = ins.int64(0, 0);

        std::vector<std::int64_t> ids(f.samples.size(), 0);
        std::vector<std::size_t> missing;
        {
            std::lock_guard lock(cache_mutex_);
            for (std::size_t i = 0; i < series_names.size(); ++i) {
                if (auto it = series_ids_.find(series_names[i]); it != series_ids_.end()) {
                    ids[i] = it->second;
                } else {
                    missing.push_back(i);
                }
            }
        }
        if (!missing.empty()) {
            std::vector<std::string> kinds, keys, metrics;
            for (std::size_t i : missing) {
                kinds.push_back(f.samples[i].kind);
                keys.push_back(f.samples[i].key);
                metrics.push_back(f.samples[i].metric);
            }
            const std::string k = pg::text_array(kinds), y = pg::text_array(keys), m = pg::text_array(metrics);
            BP_TRY(auto add, c.query("INSERT INTO series (kind, key, metric) SELECT k, y, m"
                                     " FROM unnest($1::text[], $2::text[], $3::text[]) AS u (k, y, m)"
                                     " ORDER BY k, y, m ON CONFLICT (kind, key, metric) DO NOTHING",
                                     {k, y, m}));
            BP_TRY(auto found, c.query("SELECT s.id, s.kind, s.key, s.metric FROM series s"
                                       " JOIN unnest($1::text[], $2::text[], $3::text[]) AS u (k, y, m)"
                                       " ON s.kind = u.k AND s.key = u.y AND s.metric = u.m",
                                       {k, y, m}));
            std::unordered_map<std::string, std::int64_t> by_name;
            for (int r = 0; r < found.size(); ++r) {
                std::string name = found.text(r, 1);
                name.append(1, '\0').append(found.text(r, 2)).append(1, '\0').append(found.text(r, 3));
                by_name.emplace(std::move(name), found.int64(r, 0));
            }
            for (std::size_t i : missing) {
                const auto it = by_name.find(series_names[i]);
                if (it == by_name.end()) {
                    return make_error(Errc::internal, "series vanished: " + f.samples[i].kind + "/" + f.samples[i].key);
                }
                ids[i] = it->second;
                new_series.emplace_back(series_names[i], it->second);
            }
        }
        if (!f.samples.empty()) {
            std::vector<std::int64_t> values;
            values.reserve(f.samples.size());
            for (const Sample& s : f.samples) values.push_back(s.value);
            BP_TRY(auto samples, c.query("INSERT INTO samples (series_id, agent_id, time, report_id, campaign_id,"
                                         " build_id, value) SELECT s, $3, $4, $5, $6, $7, v"
                                         " FROM unnest($1::bigint[], $2::bigint[]) AS u (s, v)",
                                         {pg::int_array(ids), pg::int_array(values), agent_id, time, report_id,
                                          campaign_id, build_id}));
        }
        return StoreResult{StoreOutcome::stored, report_id};
    });
    if (stored && stored->outcome == StoreOutcome::stored) {
        // Ids seen committed stay right forever: series and builds are never deleted or renumbered.
        std::lock_guard lock(cache_mutex_);
        for (auto& [name, id] : new_series) series_ids_.emplace(std::move(name), id);
        if (new_build != 0) build_ids_.emplace(f.build, new_build);
    }
    return stored;
}

// ---- history -----------------------------------------------------------------------------------------

Result<std::vector<SeriesPoint>> PostgresControllerStore::series(const SeriesQuery& query) {
    BP_TRY(Lease lease, acquire());
    auto& c = lease.db();
    std::vector<SeriesPoint> out;
    // Fixed fragments (only which filters apply varies) so that the planner sees plain equalities it can
    // match to an index; every value is a parameter. Unknown names match nothing.
    std::string sql =
        "SELECT s.campaign_id, s.value, s.time FROM samples s"
        " WHERE s.series_id = (SELECT id FROM series WHERE kind = $1 AND key = $2 AND metric = $3)";
    std::vector<pg::Param> params{query.kind, query.key, query.metric};
    auto add = [&](const char* fragment, const char* close, pg::Param p) {
        params.push_back(std::move(p));
        sql += fragment;
        sql += std::to_string(params.size());
        sql += close;
    };
    if (query.machine) add(" AND s.agent_id = (SELECT id FROM agents WHERE machine = $", ")", *query.machine);
    if (query.build) add(" AND s.build_id = (SELECT id FROM builds WHERE name = $", ")", *query.build);
    if (query.campaign) add(" AND s.campaign_id IN (SELECT id FROM campaigns WHERE name = $", ")", *query.campaign);
    if (query.from) add(" AND s.time >= $", "", *query.from);
    if (query.to) add(" AND s.time < $", "", *query.to);
    sql += " LIMIT " + std::to_string(kMaxSeriesRows + 1);
    BP_TRY(auto r, c.query(sql, params));
    if (static_cast<std::size_t>(r.size()) > kMaxSeriesRows) {
        return make_error(Errc::invalid_argument, "the query selects more than " + std::to_string(kMaxSeriesRows) +
                                                      " samples; narrow it by machine, build or dates");
    }
    struct Acc {
        std::vector<double> values;
        std::int64_t first = 0;
    };
    std::unordered_map<std::int64_t, Acc> by_campaign;
    for (int i = 0; i < r.size(); ++i) {
        Acc& acc = by_campaign[r.int64(i, 0)];
        const std::int64_t t = r.int64(i, 2);
        if (acc.values.empty() || t < acc.first) acc.first = t;
        acc.values.push_back(static_cast<double>(r.int64(i, 1)));
    }
    std::vector<std::pair<std::int64_t, std::int64_t>> order;  // (first time, campaign id)
    order.reserve(by_campaign.size());
    for (const auto& [id, acc] : by_campaign) order.emplace_back(acc.first, id);
    std::sort(order.begin(), order.end());
    if (order.size() > query.limit) order.erase(order.begin(), order.end() - static_cast<std::ptrdiff_t>(query.limit));
    if (order.empty()) return out;

    std::vector<std::int64_t> ids;
    ids.reserve(order.size());
    for (const auto& [first, id] : order) ids.push_back(id);
    BP_TRY(auto names, c.query("SELECT c.id, c.name, b.name, a.machine FROM campaigns c JOIN builds b ON b.id = c.build_id"
                               " JOIN agents a ON a.id = c.agent_id WHERE c.id = ANY($1::bigint[])",
                               {pg::int_array(ids)}));
    struct Names {
        std::string campaign, build, machine;
    };
    std::unordered_map<std::int64_t, Names> by_id;
    for (int i = 0; i < names.size(); ++i) by_id[names.int64(i, 0)] = {names.text(i, 1), names.text(i, 2), names.text(i, 3)};
    out.reserve(order.size());
    for (const auto& [first, id] : order) {
        SeriesPoint p;
        if (auto it = by_id.find(id); it != by_id.end()) {
            p.campaign = it->second.campaign;
            p.build = it->second.build;
            p.machine = it->second.machine;
        }
        p.time = first;
        p.spread = footprint::spread_of(std::move(by_campaign[id].values));
        out.push_back(std::move(p));
    }
    return out;
}

Result<std::vector<ReportRow>> PostgresControllerStore::reports(const ReportQuery& query) {
    BP_TRY(Lease lease, acquire());
    std::string sql =
        "SELECT r.id, r.idempotency_key, a.machine, c.name, b.name, r.iteration, r.time, r.received_at"
        " FROM reports r JOIN agents a ON a.id = r.agent_id JOIN campaigns c ON c.id = r.campaign_id"
        " JOIN builds b ON b.id = r.build_id WHERE true";
    std::vector<pg::Param> params;
    auto add = [&](const char* fragment, pg::Param p) {
        params.push_back(std::move(p));
        sql += fragment;
        sql += std::to_string(params.size());
    };
    if (query.machine) add(" AND a.machine = $", *query.machine);
    if (query.build) add(" AND b.name = $", *query.build);
    if (query.campaign) add(" AND c.name = $", *query.campaign);
    if (query.from) add(" AND r.time >= $", *query.from);
    if (query.to) add(" AND r.time < $", *query.to);
    add(" ORDER BY r.time, r.id LIMIT $", static_cast<std::int64_t>(query.limit));
    BP_TRY(auto r, lease.db().query(sql, params));
    std::vector<ReportRow> out;
    for (int i = 0; i < r.size(); ++i) {
        ReportRow row;
        row.id = r.int64(i, 0);
        row.idempotency_key = r.text(i, 1);
        row.machine = r.text(i, 2);
        row.campaign = r.text(i, 3);
        row.build = r.text(i, 4);
        row.iteration = r.int64(i, 5);
        row.time = r.int64(i, 6);
        row.received_at = r.int64(i, 7);
        out.push_back(std::move(row));
    }
    return out;
}

Result<std::vector<std::string>> PostgresControllerStore::series_keys(const std::string& kind,
                                                                      const std::string& metric) {
    BP_TRY(Lease lease, acquire());
    // COLLATE "C": byte order, as SQLite sorts.
    BP_TRY(auto r, lease.db().query("SELECT key FROM series WHERE kind = $1 AND metric = $2 ORDER BY key COLLATE \"C\"",
                                    {kind, metric}));
    std::vector<std::string> out;
    for (int i = 0; i < r.size(); ++i) out.push_back(r.text(i, 0));
    return out;
}

Result<std::map<std::string, std::int64_t>> PostgresControllerStore::row_counts() {
    BP_TRY(Lease lease, acquire());
    std::map<std::string, std::int64_t> out;
    // Fixed table names: no user text reaches this SQL.
    std::string sql = "SELECT";
    const char* tables[] = {"agents", "tokens", "templates", "assignments", "jobs", "builds", "series", "campaigns",
                            "reports", "samples", "alerts"};
    for (std::size_t i = 0; i < std::size(tables); ++i) {
        sql += std::string(i ? "," : "") + " (SELECT count(*) FROM " + tables[i] + ")";
    }
    BP_TRY(auto r, lease.db().query(sql, {}));
    for (std::size_t i = 0; i < std::size(tables); ++i) out[tables[i]] = r.int64(0, static_cast<int>(i));
    return out;
}

// ---- builds, campaigns, comparisons, alerts ------------------------------------------------------------

Result<std::vector<BuildRecord>> PostgresControllerStore::builds() {
    BP_TRY(Lease lease, acquire());
    // COLLATE "C": names in byte order, as SQLite sorts them.
    BP_TRY(auto r, lease.db().query(
                       "SELECT b.name, min(c.first_time), max(c.first_time), count(DISTINCT c.agent_id), count(*),"
                       " (SELECT count(*) FROM reports r WHERE r.build_id = b.id)"
                       " FROM builds b JOIN campaigns c ON c.build_id = b.id"
                       " GROUP BY b.id, b.name ORDER BY min(c.first_time), b.name COLLATE \"C\""));
    std::vector<BuildRecord> out;
    for (int i = 0; i < r.size(); ++i) {
        BuildRecord b;
        b.name = r.text(i, 0);
        b.first_time = r.int64(i, 1);
        b.last_time = r.int64(i, 2);
        b.machines = r.int64(i, 3);
        b.campaigns = r.int64(i, 4);
        b.reports = r.int64(i, 5);
        out.push_back(std::move(b));
    }
    return out;
}

Result<std::vector<CampaignRecord>> PostgresControllerStore::campaigns(const CampaignQuery& query) {
    BP_TRY(Lease lease, acquire());
    std::string sql =
        "SELECT c.id, a.machine, c.name, b.name, c.template, c.job_id, c.first_time,"
        " (SELECT count(*) FROM reports r WHERE r.campaign_id = c.id)"
        " FROM campaigns c JOIN agents a ON a.id = c.agent_id JOIN builds b ON b.id = c.build_id WHERE true";
    std::vector<pg::Param> params;
    auto add = [&](const char* fragment, pg::Param p) {
        params.push_back(std::move(p));
        sql += fragment;
        sql += std::to_string(params.size());
    };
    if (query.id) add(" AND c.id = $", *query.id);
    if (query.machine) add(" AND a.machine = $", *query.machine);
    if (query.build) add(" AND b.name = $", *query.build);
    if (query.job_id) add(" AND c.job_id = $", *query.job_id);
    add(" ORDER BY c.first_time DESC, c.id DESC LIMIT $", static_cast<std::int64_t>(query.limit));
    BP_TRY(auto r, lease.db().query(sql, params));
    std::vector<CampaignRecord> out;
    for (int i = 0; i < r.size(); ++i) {
        CampaignRecord c;
        c.id = r.int64(i, 0);
        c.machine = r.text(i, 1);
        c.name = r.text(i, 2);
        c.build = r.text(i, 3);
        c.template_name = r.text(i, 4);
        if (!r.null(i, 5)) c.job_id = r.int64(i, 5);
        c.first_time = r.int64(i, 6);
        c.reports = r.int64(i, 7);
        out.push_back(std::move(c));
    }
    return out;
}

Result<std::vector<std::string>> PostgresControllerStore::campaign_reports(std::int64_t campaign_id) {
    BP_TRY(Lease lease, acquire());
    BP_TRY(auto r, lease.db().query("SELECT body FROM reports WHERE campaign_id = $1 ORDER BY iteration, id",
                                    {campaign_id}));
    std::vector<std::string> out;
    for (int i = 0; i < r.size(); ++i) out.push_back(r.text(i, 0));
    return out;
}

Result<BuildSamples> PostgresControllerStore::build_samples(const BuildSamplesQuery& query) {
    BP_TRY(Lease lease, acquire());
    auto& c = lease.db();
    BuildSamples out;
    if (query.metrics.size() > 16) return make_error(Errc::invalid_argument, "build_samples: at most 16 metrics");
    BP_TRY(auto build, c.query("SELECT id FROM builds WHERE name = $1", {query.build}));
    if (build.size() == 0) return out;
    std::vector<pg::Param> params{build.int64(0, 0)};
    std::string where = " WHERE x.build_id = $1";
    if (query.machine) {
        BP_TRY(auto agent, c.query("SELECT id FROM agents WHERE machine = $1", {*query.machine}));
        if (agent.size() == 0) return out;
        params.emplace_back(agent.int64(0, 0));
        where += " AND x.agent_id = $" + std::to_string(params.size());
    }
    if (query.campaign_id) {
        params.emplace_back(*query.campaign_id);
        where += " AND x.campaign_id = $" + std::to_string(params.size());
    }
    BP_TRY(auto reports, c.query("SELECT x.id FROM reports x" + where + " ORDER BY x.id", params));
    for (int i = 0; i < reports.size(); ++i) out.report_ids.push_back(reports.int64(i, 0));
    if (out.report_ids.empty()) return out;

    std::string sql = "SELECT s.kind, s.key, s.metric, x.report_id, x.value FROM samples x"
                      " JOIN series s ON s.id = x.series_id" + where;
    if (!query.metrics.empty()) {
        params.emplace_back(pg::text_array(query.metrics));
        sql += " AND s.metric = ANY($" + std::to_string(params.size()) + "::text[])";
    }
    sql += " LIMIT " + std::to_string(kMaxSeriesRows + 1);
    BP_TRY(auto r, c.query(sql, params));
    if (static_cast<std::size_t>(r.size()) > kMaxSeriesRows) {
        return make_error(Errc::invalid_argument, "the comparison selects more than " + std::to_string(kMaxSeriesRows) +
                                                      " samples; narrow it to a machine or fewer metrics");
    }
    out.samples.reserve(static_cast<std::size_t>(r.size()));
    for (int i = 0; i < r.size(); ++i) {
        out.samples.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.int64(i, 3), r.int64(i, 4)});
    }
    return out;
}

Status PostgresControllerStore::put_alerts(std::int64_t campaign_id, const std::vector<AlertRecord>& alerts,
                                           UnixSeconds now) {
    auto r = transaction<bool>([&](pg::Connection& c) -> Result<bool> {
        // The campaign's row lock serializes two instances recomputing the same run's verdicts.
        BP_TRY(auto exists, c.query("SELECT 1 FROM campaigns WHERE id = $1 FOR UPDATE", {campaign_id}));
        if (exists.size() == 0) return make_error(Errc::not_found, "no campaign " + std::to_string(campaign_id));
        BP_TRY(auto del, c.query("DELETE FROM alerts WHERE campaign_id = $1", {campaign_id}));
        std::unordered_map<std::string, std::int64_t> baselines;
        for (const AlertRecord& a : alerts) {
            auto it = baselines.find(a.baseline_build);
            if (it == baselines.end()) {
                BP_TRY(auto ins, c.query("WITH ins AS (INSERT INTO builds (name) VALUES ($1) ON CONFLICT (name)"
                                         " DO NOTHING RETURNING id)"
                                         " SELECT id FROM ins UNION ALL SELECT id FROM builds WHERE name = $1",
                                         {a.baseline_build}));
                std::int64_t id = 0;
                if (ins.size() > 0) {
                    id = ins.int64(0, 0);
                } else {
                    BP_TRY(auto again, c.query("SELECT id FROM builds WHERE name = $1", {a.baseline_build}));
                    if (again.size() == 0) return make_error(Errc::internal, "build vanished: " + a.baseline_build);
                    id = again.int64(0, 0);
                }
                it = baselines.emplace(a.baseline_build, id).first;
            }
            BP_TRY(auto ins, c.query("INSERT INTO alerts (campaign_id, baseline_build_id, kind, key, metric, verdict,"
                                     " presence, baseline_median, median, delta, p_value, created_at)"
                                     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                                     {campaign_id, it->second, a.kind, a.key, a.metric, a.verdict, a.presence,
                                      a.baseline_median, a.median, a.delta, a.p_value, now}));
        }
        return true;
    });
    if (!r) return r.error();
    return {};
}

Result<std::vector<AlertRecord>> PostgresControllerStore::alerts(const AlertQuery& query) {
    BP_TRY(Lease lease, acquire());
    std::string sql =
        "SELECT x.id, x.campaign_id, a.machine, c.name, b.name, bb.name, x.kind, x.key, x.metric, x.verdict,"
        " x.presence, x.baseline_median, x.median, x.delta, x.p_value, x.created_at"
        " FROM alerts x JOIN campaigns c ON c.id = x.campaign_id JOIN agents a ON a.id = c.agent_id"
        " JOIN builds b ON b.id = c.build_id JOIN builds bb ON bb.id = x.baseline_build_id WHERE true";
    std::vector<pg::Param> params;
    auto add = [&](const char* fragment, pg::Param p) {
        params.push_back(std::move(p));
        sql += fragment;
        sql += std::to_string(params.size());
    };
    if (query.machine) add(" AND a.machine = $", *query.machine);
    if (query.build) add(" AND b.name = $", *query.build);
    if (query.campaign_id) add(" AND x.campaign_id = $", *query.campaign_id);
    if (query.since) add(" AND x.created_at >= $", *query.since);
    add(" ORDER BY x.created_at DESC, x.id LIMIT $", static_cast<std::int64_t>(query.limit));
    BP_TRY(auto r, lease.db().query(sql, params));
    std::vector<AlertRecord> out;
    for (int i = 0; i < r.size(); ++i) {
        AlertRecord a;
        a.id = r.int64(i, 0);
        a.campaign_id = r.int64(i, 1);
        a.machine = r.text(i, 2);
        a.campaign = r.text(i, 3);
        a.build = r.text(i, 4);
        a.baseline_build = r.text(i, 5);
        a.kind = r.text(i, 6);
        a.key = r.text(i, 7);
        a.metric = r.text(i, 8);
        a.verdict = r.text(i, 9);
        a.presence = r.text(i, 10);
        a.baseline_median = r.real(i, 11);
        a.median = r.real(i, 12);
        a.delta = r.real(i, 13);
        if (!r.null(i, 14)) a.p_value = r.real(i, 14);
        a.created_at = r.int64(i, 15);
        out.push_back(std::move(a));
    }
    return out;
}

}  // namespace bp::controller
