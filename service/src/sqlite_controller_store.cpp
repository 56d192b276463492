#include "bootprint/controller/sqlite_controller_store.hpp"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "bootprint/controller/schedule.hpp"
#include "controller_migrations.hpp"
#include "store/sqlite.hpp"

namespace bp::controller {

namespace sqlite = bp::store::sqlite;

struct SqliteControllerStore::Connection {
    explicit Connection(sqlite::Database database) : db(std::move(database)) {}
    sqlite::Database db;
};

// A borrowed connection: one from the readers' pool (returned on destruction), or the writer
// connection together with the lock that serializes this process's writers.
class SqliteControllerStore::Lease {
public:
    Lease(SqliteControllerStore* owner, std::unique_ptr<Connection> c)
        : owner_(owner), owned_(std::move(c)), c_(owned_.get()) {}
    Lease(SqliteControllerStore* owner, Connection* writer, std::unique_lock<std::mutex> lock)
        : owner_(owner), c_(writer), lock_(std::move(lock)) {}
    Lease(Lease&& other) noexcept
        : owner_(other.owner_), owned_(std::move(other.owned_)), c_(other.c_), lock_(std::move(other.lock_)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
        if (owned_) owner_->release(std::move(owned_));
    }
    sqlite::Database& db() { return c_->db; }

private:
    SqliteControllerStore* owner_;
    std::unique_ptr<Connection> owned_;
    Connection* c_ = nullptr;
    std::unique_lock<std::mutex> lock_;
};

namespace {

constexpr std::size_t kMaxIdleConnections = 8;
// A series query reads at most this many samples (about 40 MB of work); narrow the query beyond it.
constexpr std::size_t kMaxSeriesRows = 2'000'000;

Result<sqlite::Database> open_connection(const std::string& path, bool create, const std::string& synchronous) {
    BP_TRY(sqlite::Database db, sqlite::Database::open(path, create));
    BP_TRY_STATUS(db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = " + synchronous +
                          "; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 8192;"));
    return db;
}

// Interns a name in a (id, name UNIQUE) table inside the caller's transaction.
Result<std::int64_t> intern(sqlite::Database& db, const char* insert_sql, const char* select_sql,
                            const std::string& name) {
    BP_TRY(auto ins, db.prepare(insert_sql));
    ins.bind(1, name);
    BP_TRY_STATUS(ins.run());
    BP_TRY(auto sel, db.prepare(select_sql));
    sel.bind(1, name);
    BP_TRY(bool row, sel.step());
    if (!row) return make_error(Errc::internal, "interned name vanished: " + name);
    return sel.column_int(0);
}

Result<std::optional<std::int64_t>> lookup_id(sqlite::Database& db, const char* sql, const std::string& name) {
    BP_TRY(auto q, db.prepare(sql));
    q.bind(1, name);
    BP_TRY(bool row, q.step());
    if (!row) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(q.column_int(0));
}

AgentRecord read_agent(const sqlite::Statement& q, int c) {
    AgentRecord a;
    a.id = q.column_int(c++);
    a.info.machine = q.column_text(c++);
    a.info.group = q.column_text(c++);
    a.info.agent_version = q.column_text(c++);
    a.info.os_build = q.column_text(c++);
    a.campaign_state = q.column_text(c++);
    a.enrolled_at = q.column_int(c++);
    a.last_seen_at = q.column_int(c++);
    a.disabled = q.column_int(c++) != 0;
    return a;
}

constexpr const char* kAgentColumns =
    "a.id, a.machine, a.machine_group, a.agent_version, a.os_build, a.campaign_state, a.enrolled_at,"
    " a.last_seen_at, a.disabled";

}  // namespace

// ---- lifetime and the connection pool ----------------------------------------------------------------

SqliteControllerStore::SqliteControllerStore(std::string path, Options options)
    : path_(std::move(path)), options_(std::move(options)) {}

SqliteControllerStore::~SqliteControllerStore() = default;

Result<std::unique_ptr<SqliteControllerStore>> SqliteControllerStore::open(const std::string& path,
                                                                           Options options) {
    if (path.empty()) return make_error(Errc::invalid_argument, "empty controller database path");
    if (options.synchronous != "FULL" && options.synchronous != "NORMAL") {
        return make_error(Errc::invalid_argument, "synchronous must be FULL or NORMAL, not " + options.synchronous);
    }
    BP_TRY(sqlite::Database db, sqlite::Database::open(path, options.create));
    // Refuse a newer or foreign database before changing anything (journal mode included).
    BP_TRY(std::int64_t version, db.query_int("PRAGMA user_version"));
    if (version > controller_schema_version()) {
        return make_error(Errc::unsupported, "controller schema version " + std::to_string(version) +
                                                 " is newer than this bootprint-service understands (" +
                                                 std::to_string(controller_schema_version()) + ")")
            .with_path(path);
    }
    BP_TRY_STATUS(db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = " + options.synchronous + ";"));
    BP_TRY(int migrated, detail::migrate(db));
    (void)migrated;
    std::unique_ptr<SqliteControllerStore> store(new SqliteControllerStore(path, std::move(options)));
    store->release(std::make_unique<Connection>(std::move(db)));
    return store;
}

Result<SqliteControllerStore::Lease> SqliteControllerStore::acquire() {
    {
        std::lock_guard lock(pool_mutex_);
        if (!idle_.empty()) {
            auto c = std::move(idle_.back());
            idle_.pop_back();
            return Lease(this, std::move(c));
        }
    }
    BP_TRY(sqlite::Database db, open_connection(path_, false, options_.synchronous));
    return Lease(this, std::make_unique<Connection>(std::move(db)));
}

Result<SqliteControllerStore::Lease> SqliteControllerStore::acquire_writer() {
    // Writers of this process take turns here instead of in SQLite's busy handler, which sleeps
    // between retries and would cap the upload rate. Correctness does not depend on this lock: every
    // write is a BEGIN IMMEDIATE transaction under the schema's constraints, and writers in other
    // processes (or on another engine) are still arbitrated by the database.
    std::unique_lock lock(writer_mutex_);
    if (!writer_ || writer_->db.in_transaction()) {
        BP_TRY(sqlite::Database db, open_connection(path_, false, options_.synchronous));
        writer_ = std::make_unique<Connection>(std::move(db));
    }
    return Lease(this, writer_.get(), std::move(lock));
}

void SqliteControllerStore::release(std::unique_ptr<Connection> connection) {
    // A connection left inside a transaction (an error path that forgot to roll back) is not reused.
    if (connection->db.in_transaction()) return;
    std::lock_guard lock(pool_mutex_);
    if (idle_.size() < kMaxIdleConnections) idle_.push_back(std::move(connection));
}

// ---- agents and tokens --------------------------------------------------------------------------

Result<std::int64_t> SqliteControllerStore::enrol(const AgentInfo& info, const std::string& hash, UnixSeconds now) {
    BP_TRY(Lease lease, acquire_writer());
    auto& db = lease.db();
    BP_TRY(auto tx, sqlite::Transaction::begin(db));
    BP_TRY(auto ins, db.prepare("INSERT INTO agents (machine, machine_group, agent_version, os_build, enrolled_at,"
                                " last_seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (machine) DO NOTHING"));
    ins.bind(1, info.machine);
    ins.bind(2, info.group);
    ins.bind(3, info.agent_version);
    ins.bind(4, info.os_build);
    ins.bind(5, now);
    BP_TRY_STATUS(ins.run());
    BP_TRY(auto sel, db.prepare("SELECT id, disabled FROM agents WHERE machine = ?1"));
    sel.bind(1, info.machine);
    BP_TRY(bool row, sel.step());
    if (!row) return make_error(Errc::internal, "enrolled agent vanished: " + info.machine);
    const std::int64_t id = sel.column_int(0);
    if (sel.column_int(1) != 0) {
        return make_error(Errc::conflict, "machine '" + info.machine + "' is disabled; an administrator must enable it");
    }
    sel.reset();
    BP_TRY(auto upd, db.prepare("UPDATE agents SET machine_group = ?2, agent_version = ?3, os_build = ?4,"
                                " last_seen_at = ?5 WHERE id = ?1"));
    upd.bind(1, id);
    upd.bind(2, info.group);
    upd.bind(3, info.agent_version);
    upd.bind(4, info.os_build);
    upd.bind(5, now);
    BP_TRY_STATUS(upd.run());
    // One valid token per agent: a re-enrolment retires the earlier ones.
    BP_TRY(auto revoke, db.prepare("UPDATE tokens SET revoked_at = ?2 WHERE agent_id = ?1 AND revoked_at IS NULL"));
    revoke.bind(1, id);
    revoke.bind(2, now);
    BP_TRY_STATUS(revoke.run());
    BP_TRY(auto tok, db.prepare("INSERT INTO tokens (hash, agent_id, created_at) VALUES (?1, ?2, ?3)"));
    tok.bind(1, hash);
    tok.bind(2, id);
    tok.bind(3, now);
    BP_TRY_STATUS(tok.run());
    BP_TRY_STATUS(tx.commit());
    return id;
}

Result<std::optional<AgentRecord>> SqliteControllerStore::authenticate(const std::string& hash) {
    BP_TRY(Lease lease, acquire());
    BP_TRY(auto q, lease.db().prepare(std::string("SELECT ") + kAgentColumns +
                                      " FROM tokens t JOIN agents a ON a.id = t.agent_id"
                                      " WHERE t.hash = ?1 AND t.revoked_at IS NULL AND a.disabled = 0"));
    q.bind(1, hash);
    BP_TRY(bool row, q.step());
    if (!row) return std::optional<AgentRecord>();
    AgentRecord a = read_agent(q, 0);
    a.valid_tokens = 1;
    return std::optional<AgentRecord>(std::move(a));
}

Status SqliteControllerStore::heartbeat(std::int64_t agent_id, const AgentInfo& info,
                                        const std::string& campaign_state, UnixSeconds now) {
    BP_TRY(Lease lease, acquire_writer());
    BP_TRY(auto q, lease.db().prepare("UPDATE agents SET agent_version = ?2, os_build = ?3, campaign_state = ?4,"
                                      " last_seen_at = ?5 WHERE id = ?1"));
    q.bind(1, agent_id);
    q.bind(2, info.agent_version);
    q.bind(3, info.os_build);
    q.bind(4, campaign_state);
    q.bind(5, now);
    BP_TRY_STATUS(q.run());
    if (lease.db().changes() == 0) return make_error(Errc::not_found, "no agent " + std::to_string(agent_id));
    return {};
}

Status SqliteControllerStore::revoke(std::int64_t agent_id, bool disable, UnixSeconds now) {
    BP_TRY(Lease lease, acquire_writer());
    auto& db = lease.db();
    BP_TRY(auto tx, sqlite::Transaction::begin(db));
    BP_TRY(auto dis, db.prepare("UPDATE agents SET disabled = CASE WHEN ?2 THEN 1 ELSE disabled END WHERE id = ?1"));
    dis.bind(1, agent_id);
    dis.bind(2, disable);
    BP_TRY_STATUS(dis.run());
    if (db.changes() == 0) return make_error(Errc::not_found, "no agent " + std::to_string(agent_id));
    BP_TRY(auto q, db.prepare("UPDATE tokens SET revoked_at = ?2 WHERE agent_id = ?1 AND revoked_at IS NULL"));
    q.bind(1, agent_id);
    q.bind(2, now);
    BP_TRY_STATUS(q.run());
    return tx.commit();
}

Result<std::vector<AgentRecord>> SqliteControllerStore::agents() {
    BP_TRY(Lease lease, acquire());
    BP_TRY(auto q, lease.db().prepare(std::string("SELECT ") + kAgentColumns +
                                      ", (SELECT count(*) FROM tokens t WHERE t.agent_id = a.id AND"
                                      " t.revoked_at IS NULL) FROM agents a ORDER BY a.id"));
    std::vector<AgentRecord> out;
    for (;;) {
        BP_TRY(bool row, q.step());
        if (!row) break;
        AgentRecord a = read_agent(q, 0);
        a.valid_tokens = static_cast<int>(q.column_int(9));
        out.push_back(std::move(a));
    }
    return out;
}

// ---- templates, assignments, jobs ------------------------------------------------------------------

Result<std::int64_t> SqliteControllerStore::put_template(const std::string& name, const std::string& spec_json,
                                                         UnixSeconds now) {
    BP_TRY(Lease lease, acquire_writer());
    auto& db = lease.db();
    BP_TRY(auto tx, sqlite::Transaction::begin(db));
    BP_TRY(auto q, db.prepare("INSERT INTO templates (name, spec, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)"
                              " ON CONFLICT (name) DO UPDATE SET spec = excluded.spec,"
                              " updated_at = excluded.updated_at"));
    q.bind(1, name);
    q.bind(2, spec_json);
    q.bind(3, now);
    BP_TRY_STATUS(q.run());
    BP_TRY(auto id, lookup_id(db, "SELECT id FROM templates WHERE name = ?1", name));
    BP_TRY_STATUS(tx.commit());
    return id.value_or(0);
}

Result<std::vector<TemplateRecord>> SqliteControllerStore::templates() {
    BP_TRY(Lease lease, acquire());
    BP_TRY(auto q, lease.db().prepare("SELECT id, name, spec FROM templates ORDER BY name"));
    std::vector<TemplateRecord> out;
    for (;;) {
        BP_TRY(bool row, q.step());
        if (!row) break;
        out.push_back({q.column_int(0), q.column_text(1), q.column_text(2)});
    }
    return out;
}

Result<std::int64_t> SqliteControllerStore::assign(const AssignmentRecord& a, UnixSeconds now) {
    BP_TRY(Schedule schedule, Schedule::parse(a.schedule));
    if (a.group.empty()) return make_error(Errc::invalid_argument, "an assignment needs a machine group");
    BP_TRY(Lease lease, acquire_writer());
    auto& db = lease.db();
    BP_TRY(auto tx, sqlite::Transaction::begin(db));
    BP_TRY(auto tid, lookup_id(db, "SELECT id FROM templates WHERE name = ?1", a.template_name));
    if (!tid) return make_error(Errc::not_found, "no template named '" + a.template_name + "'");
    BP_TRY(auto q, db.prepare("INSERT INTO assignments (template_id, machine_group, schedule, not_before, created_at,"
                              " active) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                              " ON CONFLICT (template_id, machine_group) DO UPDATE SET schedule = excluded.schedule,"
                              " not_before = excluded.not_before, active = excluded.active"));
    q.bind(1, *tid);
    q.bind(2, a.group);
    q.bind(3, schedule.text());
    q.bind(4, a.not_before);
    q.bind(5, now);
    q.bind(6, a.active);
    BP_TRY_STATUS(q.run());
    BP_TRY(auto sel, db.prepare("SELECT id FROM assignments WHERE template_id = ?1 AND machine_group = ?2"));
    sel.bind(1, *tid);
    sel.bind(2, a.group);
    BP_TRY(bool row, sel.step());
    if (!row) return make_error(Errc::internal, "assignment vanished");
    const std::int64_t id = sel.column_int(0);
    sel.reset();
    BP_TRY_STATUS(tx.commit());
    return id;
}

Result<std::vector<AssignmentRecord>> SqliteControllerStore::assignments() {
    BP_TRY(Lease lease, acquire());
    BP_TRY(auto q, lease.db().prepare("SELECT a.id, t.name, a.machine_group, a.schedule, a.not_before, a.active"
                                      " FROM assignments a JOIN templates t ON t.id = a.template_id ORDER BY a.id"));
    std::vector<AssignmentRecord> out;
    for (;;) {
        BP_TRY(bool row, q.step());
        if (!row) break;
        AssignmentRecord a;
        a.id = q.column_int(0);
        a.template_name = q.column_text(1);
        a.group = q.column_text(2);
        a.schedule = q.column_text(3);
        a.not_before = q.column_int(4);
        a.active = q.column_int(5) != 0;
        out.push_back(std::move(a));
    }
    return out;
}

Result<std::vector<JobRecord>> SqliteControllerStore::claim_due_jobs(std::int64_t agent_id, UnixSeconds now) {
    BP_TRY(Lease lease, acquire_writer());
    auto& db = lease.db();
    {
        BP_TRY(auto tx, sqlite::Transaction::begin(db));
        BP_TRY(auto seen, db.prepare("UPDATE agents SET last_seen_at = ?2 WHERE id = ?1"));
        seen.bind(1, agent_id);
        seen.bind(2, now);
        BP_TRY_STATUS(seen.run());
        if (db.changes() == 0) return make_error(Errc::not_found, "no agent " + std::to_string(agent_id));
        BP_TRY(auto due, db.prepare("SELECT s.id, s.schedule, s.not_before FROM assignments s"
                                    " JOIN agents a ON a.machine_group = s.machine_group"
                                    " WHERE a.id = ?1 AND s.active = 1 ORDER BY s.id"));
        due.bind(1, agent_id);
        std::vector<std::pair<std::int64_t, std::int64_t>> slots;  // (assignment, slot)
        for (;;) {
            BP_TRY(bool row, due.step());
            if (!row) break;
            auto schedule = Schedule::parse(due.column_text(1));
            if (!schedule) continue;  // stored schedules were parsed on the way in
            const std::int64_t slot = schedule->latest_slot(now);
            if (slot < due.column_int(2)) continue;
            slots.emplace_back(due.column_int(0), slot);
        }
        // The unique (assignment_id, agent_id, slot) decides who claims a slot, across instances.
        BP_TRY(auto claim, db.prepare("INSERT INTO jobs (assignment_id, agent_id, slot, created_at, updated_at)"
                                      " VALUES (?1, ?2, ?3, ?4, ?4)"
                                      " ON CONFLICT (assignment_id, agent_id, slot) DO NOTHING"));
        BP_TRY(auto skip, db.prepare("UPDATE jobs SET state = 'skipped', updated_at = ?4,"
                                     " message = 'a newer slot superseded it before it started'"
                                     " WHERE assignment_id = ?1 AND agent_id = ?2 AND slot < ?3 AND state = 'pending'"));
        for (const auto& [assignment, slot] : slots) {
            claim.bind(1, assignment);
            claim.bind(2, agent_id);
            claim.bind(3, slot);
            claim.bind(4, now);
            BP_TRY_STATUS(claim.run());
            if (db.changes() == 1) {
                skip.bind(1, assignment);
                skip.bind(2, agent_id);
                skip.bind(3, slot);
                skip.bind(4, now);
                BP_TRY_STATUS(skip.run());
            }
        }
        BP_TRY_STATUS(tx.commit());
    }
    BP_TRY(auto q, db.prepare("SELECT j.id, j.assignment_id, t.name, t.spec, j.slot, j.state, j.message FROM jobs j"
                              " JOIN assignments s ON s.id = j.assignment_id JOIN templates t ON t.id = s.template_id"
                              " WHERE j.agent_id = ?1 AND j.state IN ('pending', 'running') ORDER BY j.slot, j.id"));
    q.bind(1, agent_id);
    std::vector<JobRecord> out;
    for (;;) {
        BP_TRY(bool row, q.step());
        if (!row) break;
        JobRecord j;
        j.id = q.column_int(0);
        j.assignment_id = q.column_int(1);
        j.agent_id = agent_id;
        j.template_name = q.column_text(2);
        j.spec_json = q.column_text(3);
        j.slot = q.column_int(4);
        j.state = q.column_text(5);
        j.message = q.column_text(6);
        out.push_back(std::move(j));
    }
    return out;
}

Status SqliteControllerStore::set_job_state(std::int64_t agent_id, std::int64_t job_id, const std::string& state,
                                            const std::string& message, UnixSeconds now) {
    if (state != "running" && state != "done" && state != "failed") {
        return make_error(Errc::invalid_argument, "job state must be running, done or failed, not '" + state + "'");
    }
    BP_TRY(Lease lease, acquire_writer());
    auto& db = lease.db();
    BP_TRY(auto tx, sqlite::Transaction::begin(db));
    BP_TRY(auto cur, db.prepare("SELECT state FROM jobs WHERE id = ?1 AND agent_id = ?2"));
    cur.bind(1, job_id);
    cur.bind(2, agent_id);
    BP_TRY(bool row, cur.step());
    if (!row) return make_error(Errc::not_found, "no job " + std::to_string(job_id) + " for this agent");
    const std::string current = cur.column_text(0);
    cur.reset();
    if (current == state) return {};  // a repeated report of the same state
    const bool allowed = (current == "pending") || (current == "running" && state != "running");
    if (!allowed) {
        return make_error(Errc::conflict, "job " + std::to_string(job_id) + " is " + current + "; it cannot become " +
                                              state);
    }
    BP_TRY(auto upd, db.prepare("UPDATE jobs SET state = ?2, message = ?3, updated_at = ?4 WHERE id = ?1"));
    upd.bind(1, job_id);
    upd.bind(2, state);
    upd.bind(3, message.substr(0, 2000));
    upd.bind(4, now);
    BP_TRY_STATUS(upd.run());
    return tx.commit();
}

// ---- reports ---------------------------------------------------------------------------------------

// One report inside the group's transaction (under its own savepoint). Series ids it creates go to
// `new_series`, cached once the group commits.
Result<StoreResult> SqliteControllerStore::store_one(sqlite::Database& db, const Upload& upload,
                                                     std::vector<std::pair<std::string, std::int64_t>>& new_series) {
    const std::int64_t agent_id = upload.agent_id;
    const ReportFacts& f = *upload.facts;
    const UnixSeconds now = upload.now;

    BP_TRY(auto existing, db.prepare("SELECT id, body_sha256 FROM reports WHERE idempotency_key = ?1"));
    auto check_existing = [&]() -> Result<std::optional<StoreResult>> {
        existing.reset();
        existing.bind(1, f.idempotency_key);
        BP_TRY(bool row, existing.step());
        if (!row) {
            existing.reset();
            return std::optional<StoreResult>();
        }
        StoreResult r;
        r.report_id = existing.column_int(0);
        r.outcome = existing.column_text(1) == f.body_sha256 ? StoreOutcome::duplicate : StoreOutcome::conflict;
        existing.reset();
        return std::optional<StoreResult>(r);
    };
    BP_TRY(auto known, check_existing());
    if (known) return *known;  // nothing written

    BP_TRY(std::int64_t build_id, intern(db, "INSERT INTO builds (name) VALUES (?1) ON CONFLICT (name) DO NOTHING",
                                         "SELECT id FROM builds WHERE name = ?1", f.build));
    const UnixSeconds time = f.time > 0 ? f.time : now;
    BP_TRY(auto camp, db.prepare("INSERT INTO campaigns (agent_id, name, build_id, template, job_id, first_time)"
                                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (agent_id, name, build_id) DO NOTHING"));
    camp.bind(1, agent_id);
    camp.bind(2, f.campaign);
    camp.bind(3, build_id);
    camp.bind(4, f.template_name);
    camp.bind(5, f.job_id);
    camp.bind(6, time);
    BP_TRY_STATUS(camp.run());
    BP_TRY(auto camp_id, db.prepare("SELECT id, first_time FROM campaigns WHERE agent_id = ?1 AND name = ?2"
                                    " AND build_id = ?3"));
    camp_id.bind(1, agent_id);
    camp_id.bind(2, f.campaign);
    camp_id.bind(3, build_id);
    BP_TRY(bool crow, camp_id.step());
    if (!crow) return make_error(Errc::internal, "campaign vanished: " + f.campaign);
    const std::int64_t campaign_id = camp_id.column_int(0);
    const std::int64_t first_time = camp_id.column_int(1);
    camp_id.reset();
    if (time < first_time) {
        BP_TRY(auto upd, db.prepare("UPDATE campaigns SET first_time = ?2 WHERE id = ?1"));
        upd.bind(1, campaign_id);
        upd.bind(2, time);
        BP_TRY_STATUS(upd.run());
    }

    BP_TRY(auto ins, db.prepare("INSERT INTO reports (idempotency_key, body_sha256, agent_id, campaign_id, build_id,"
                                " iteration, schema_version, time, received_at, body)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                                " ON CONFLICT (idempotency_key) DO NOTHING"));
    ins.bind(1, f.idempotency_key);
    ins.bind(2, f.body_sha256);
    ins.bind(3, agent_id);
    ins.bind(4, campaign_id);
    ins.bind(5, build_id);
    ins.bind(6, f.iteration);
    ins.bind(7, f.schema_version);
    ins.bind(8, time);
    ins.bind(9, now);
    ins.bind(10, f.body);
    BP_TRY_STATUS(ins.run());
    if (db.changes() == 0) {
        // Another writer stored the key between our check and our insert (possible on engines whose
        // transactions do not serialize writers up front): the constraint decided; report what it kept.
        BP_TRY(auto raced, check_existing());
        if (raced) return *raced;
        return make_error(Errc::internal, "report insert neither stored nor found: " + f.idempotency_key);
    }
    const std::int64_t report_id = db.last_insert_rowid();

    BP_TRY(auto series_ins, db.prepare("INSERT INTO series (kind, key, metric) VALUES (?1, ?2, ?3)"
                                       " ON CONFLICT (kind, key, metric) DO NOTHING"));
    BP_TRY(auto series_sel, db.prepare("SELECT id FROM series WHERE kind = ?1 AND key = ?2 AND metric = ?3"));
    BP_TRY(auto sample, db.prepare("INSERT INTO samples (series_id, agent_id, time, report_id, campaign_id, build_id,"
                                   " value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    for (const Sample& s : f.samples) {
        std::string cache_key = s.kind;
        cache_key.append(1, '\0').append(s.key).append(1, '\0').append(s.metric);
        std::int64_t series_id = 0;
        {
            std::lock_guard lock(series_mutex_);
            if (const auto it = series_ids_.find(cache_key); it != series_ids_.end()) series_id = it->second;
        }
        if (series_id == 0) {
            series_ins.bind(1, s.kind);
            series_ins.bind(2, s.key);
            series_ins.bind(3, s.metric);
            BP_TRY_STATUS(series_ins.run());
            series_sel.bind(1, s.kind);
            series_sel.bind(2, s.key);
            series_sel.bind(3, s.metric);
            BP_TRY(bool row, series_sel.step());
            if (!row) return make_error(Errc::internal, "series vanished: " + s.kind + "/" + s.key);
            series_id = series_sel.column_int(0);
            series_sel.reset();
            new_series.emplace_back(std::move(cache_key), series_id);
        }
        sample.bind(1, series_id);
        sample.bind(2, agent_id);
        sample.bind(3, time);
        sample.bind(4, report_id);
        sample.bind(5, campaign_id);
        sample.bind(6, build_id);
        sample.bind(7, s.value);
        BP_TRY_STATUS(sample.run());
    }
    return StoreResult{StoreOutcome::stored, report_id};
}

Result<StoreResult> SqliteControllerStore::store_report(std::int64_t agent_id, const ReportFacts& f, UnixSeconds now) {
    Upload mine{agent_id, &f, now, std::nullopt, false};
    std::vector<Upload*> group;
    {
        std::unique_lock lock(upload_mutex_);
        upload_queue_.push_back(&mine);
        upload_cv_.wait(lock, [&] { return mine.done || !upload_leader_; });
        if (mine.done) return std::move(*mine.result);
        // Lead: take everything queued (this upload included) and commit it as one group.
        upload_leader_ = true;
        group.swap(upload_queue_);
    }
    try {
        commit_uploads(group);
    } catch (const std::exception& e) {  // out of memory: every upload of the group fails, none hangs
        for (Upload* u : group) u->result = make_error(Errc::internal, std::string("storing the report: ") + e.what());
    }
    {
        std::lock_guard lock(upload_mutex_);
        upload_leader_ = false;
        for (Upload* u : group) u->done = true;
    }
    upload_cv_.notify_all();
    return std::move(*mine.result);
}

void SqliteControllerStore::commit_uploads(const std::vector<Upload*>& uploads) {
    const auto fail_all = [&](const Error& e) {
        for (Upload* u : uploads) u->result = e;
    };
    auto lease = acquire_writer();
    if (!lease) return fail_all(lease.error());
    auto& db = lease->db();
    auto tx = sqlite::Transaction::begin(db);
    if (!tx) return fail_all(tx.error());
    std::vector<std::pair<std::string, std::int64_t>> new_series;
    for (Upload* u : uploads) {
        if (auto s = db.exec("SAVEPOINT report"); !s) return fail_all(s.error());
        const std::size_t series_before = new_series.size();
        Result<StoreResult> r = store_one(db, *u, new_series);
        if (!r) {
            // The report fails alone, unless the error took the whole transaction with it.
            new_series.resize(series_before);
            if (!db.in_transaction()) return fail_all(r.error());
            if (auto s = db.exec("ROLLBACK TO report"); !s) return fail_all(s.error());
        }
        if (auto s = db.exec("RELEASE report"); !s) return fail_all(s.error());
        u->result = std::move(r);
    }
    // Nothing is acknowledged before this commit is durable: a failed commit fails every upload.
    if (auto s = tx->commit(); !s) return fail_all(s.error());
    if (!new_series.empty()) {
        // Series rows are never deleted or renumbered, so an id seen committed stays right forever.
        std::lock_guard lock(series_mutex_);
        for (auto& [key, id] : new_series) series_ids_.emplace(std::move(key), id);
    }
}

// ---- history -----------------------------------------------------------------------------------------

Result<std::vector<SeriesPoint>> SqliteControllerStore::series(const SeriesQuery& query) {
    BP_TRY(Lease lease, acquire());
    auto& db = lease.db();
    std::vector<SeriesPoint> out;
    BP_TRY(auto sq, db.prepare("SELECT id FROM series WHERE kind = ?1 AND key = ?2 AND metric = ?3"));
    sq.bind(1, query.kind);
    sq.bind(2, query.key);
    sq.bind(3, query.metric);
    BP_TRY(bool found, sq.step());
    if (!found) return out;
    const std::int64_t series_id = sq.column_int(0);
    sq.reset();

    std::optional<std::int64_t> agent_id, build_id;
    if (query.machine) {
        BP_TRY(auto id, lookup_id(db, "SELECT id FROM agents WHERE machine = ?1", *query.machine));
        if (!id) return out;
        agent_id = id;
    }
    if (query.build) {
        BP_TRY(auto id, lookup_id(db, "SELECT id FROM builds WHERE name = ?1", *query.build));
        if (!id) return out;
        build_id = id;
    }
    // A build's samples lie within the times of its reports: that span bounds the time range read.
    std::optional<std::pair<std::int64_t, std::int64_t>> build_span;
    if (build_id) {
        BP_TRY(auto span, db.prepare("SELECT min(time), max(time) FROM reports WHERE build_id = ?1"));
        span.bind(1, *build_id);
        BP_TRY(bool row, span.step());
        if (!row || span.is_null(0)) return out;
        build_span.emplace(span.column_int(0), span.column_int(1));
    }
    // The statement is assembled from fixed fragments (only which filters apply varies); every value is
    // a bound parameter. One machine: the table's own order (agent_id, time), the series filtered
    // (`+` keeps the planner off the series index, which would read every machine). All machines:
    // the series index over the time range (schema/controller/003_samples_by_agent.sql).
    std::string sql = "SELECT s.campaign_id, s.value, s.time FROM samples s";
    if (!agent_id) sql += " INDEXED BY samples_by_series_time";
    if (query.campaign) sql += " JOIN campaigns c ON c.id = s.campaign_id AND c.name = ?6";
    sql += agent_id ? " WHERE s.agent_id = ?2 AND +s.series_id = ?1" : " WHERE s.series_id = ?1";
    if (build_id) sql += " AND s.build_id = ?3 AND s.time >= ?7 AND s.time <= ?8";
    if (query.from) sql += " AND s.time >= ?4";
    if (query.to) sql += " AND s.time < ?5";
    BP_TRY(auto q, db.prepare(sql));
    q.bind(1, series_id);
    if (agent_id) q.bind(2, *agent_id);
    if (build_id) {
        q.bind(3, *build_id);
        q.bind(7, build_span->first);
        q.bind(8, build_span->second);
    }
    if (query.from) q.bind(4, *query.from);
    if (query.to) q.bind(5, *query.to);
    if (query.campaign) q.bind(6, *query.campaign);

    struct Acc {
        std::vector<double> values;
        std::int64_t first = 0;
    };
    std::unordered_map<std::int64_t, Acc> by_campaign;
    std::size_t rows = 0;
    for (;;) {
        BP_TRY(bool row, q.step());
        if (!row) break;
        if (++rows > kMaxSeriesRows) {
            return make_error(Errc::invalid_argument, "the query selects more than " + std::to_string(kMaxSeriesRows) +
                                                          " samples; narrow it by machine, build or dates");
        }
        Acc& acc = by_campaign[q.column_int(0)];
        const std::int64_t t = q.column_int(2);
        if (acc.values.empty() || t < acc.first) acc.first = t;
        acc.values.push_back(static_cast<double>(q.column_int(1)));
    }
    std::vector<std::pair<std::int64_t, std::int64_t>> order;  // (first time, campaign id)
    order.reserve(by_campaign.size());
    for (const auto& [id, acc] : by_campaign) order.emplace_back(acc.first, id);
    std::sort(order.begin(), order.end());
    if (order.size() > query.limit) order.erase(order.begin(), order.end() - static_cast<std::ptrdiff_t>(query.limit));

    BP_TRY(auto names, db.prepare("SELECT c.name, b.name, a.machine FROM campaigns c JOIN builds b ON b.id = c.build_id"
                                  " JOIN agents a ON a.id = c.agent_id WHERE c.id = ?1"));
    out.reserve(order.size());
    for (const auto& [first, id] : order) {
        names.bind(1, id);
        BP_TRY(bool row, names.step());
        SeriesPoint p;
        if (row) {
            p.campaign = names.column_text(0);
            p.build = names.column_text(1);
            p.machine = names.column_text(2);
        }
        names.reset();
        p.time = first;
        p.spread = footprint::spread_of(std::move(by_campaign[id].values));
        out.push_back(std::move(p));
    }
    return out;
}

Result<std::vector<ReportRow>> SqliteControllerStore::reports(const ReportQuery& query) {
    BP_TRY(Lease lease, acquire());
    std::string sql =
        "SELECT r.id, r.idempotency_key, a.machine, c.name, b.name, r.iteration, r.time, r.received_at"
        " FROM reports r JOIN agents a ON a.id = r.agent_id JOIN campaigns c ON c.id = r.campaign_id"
        " JOIN builds b ON b.id = r.build_id WHERE 1 = 1";
    if (query.machine) sql += " AND a.machine = ?1";
    if (query.build) sql += " AND b.name = ?2";
    if (query.campaign) sql += " AND c.name = ?3";
    if (query.from) sql += " AND r.time >= ?4";
    if (query.to) sql += " AND r.time < ?5";
    sql += " ORDER BY r.time, r.id LIMIT ?6";
    BP_TRY(auto q, lease.db().prepare(sql));
    if (query.machine) q.bind(1, *query.machine);
    if (query.build) q.bind(2, *query.build);
    if (query.campaign) q.bind(3, *query.campaign);
    if (query.from) q.bind(4, *query.from);
    if (query.to) q.bind(5, *query.to);
    q.bind(6, static_cast<std::int64_t>(query.limit));
    std::vector<ReportRow> out;
    for (;;) {
        BP_TRY(bool row, q.step());
        if (!row) break;
        ReportRow r;
        r.id = q.column_int(0);
        r.idempotency_key = q.column_text(1);
        r.machine = q.column_text(2);
        r.campaign = q.column_text(3);
        r.build = q.column_text(4);
        r.iteration = q.column_int(5);
        r.time = q.column_int(6);
        r.received_at = q.column_int(7);
        out.push_back(std::move(r));
    }
    return out;
}

Result<std::vector<std::string>> SqliteControllerStore::series_keys(const std::string& kind,
                                                                    const std::string& metric) {
    BP_TRY(Lease lease, acquire());
    BP_TRY(auto q, lease.db().prepare("SELECT key FROM series WHERE kind = ?1 AND metric = ?2 ORDER BY key"));
    q.bind(1, kind);
    q.bind(2, metric);
    std::vector<std::string> out;
    for (;;) {
        BP_TRY(bool row, q.step());
        if (!row) break;
        out.push_back(q.column_text(0));
    }
    return out;
}

Result<std::map<std::string, std::int64_t>> SqliteControllerStore::row_counts() {
    BP_TRY(Lease lease, acquire());
    std::map<std::string, std::int64_t> out;
    // Fixed table names: no user text reaches this SQL.
    for (const char* table : {"agents", "tokens", "templates", "assignments", "jobs", "builds", "series", "campaigns",
                              "reports", "samples", "alerts"}) {
        BP_TRY(std::int64_t n, lease.db().query_int(std::string("SELECT count(*) FROM ") + table));
        out[table] = n;
    }
    return out;
}

Result<std::vector<BuildRecord>> SqliteControllerStore::builds() {
    BP_TRY(Lease lease, acquire());
    BP_TRY(auto q, lease.db().prepare(
                       "SELECT b.name, min(c.first_time), max(c.first_time), count(DISTINCT c.agent_id), count(*),"
                       " (SELECT count(*) FROM reports r WHERE r.build_id = b.id)"
                       " FROM builds b JOIN campaigns c ON c.build_id = b.id"
                       " GROUP BY b.id ORDER BY min(c.first_time), b.name"));
    std::vector<BuildRecord> out;
    for (;;) {
        BP_TRY(bool row, q.step());
        if (!row) break;
        BuildRecord b;
        b.name = q.column_text(0);
        b.first_time = q.column_int(1);
        b.last_time = q.column_int(2);
        b.machines = q.column_int(3);
        b.campaigns = q.column_int(4);
        b.reports = q.column_int(5);
        out.push_back(std::move(b));
    }
    return out;
}

Result<std::vector<CampaignRecord>> SqliteControllerStore::campaigns(const CampaignQuery& query) {
    BP_TRY(Lease lease, acquire());
    std::string sql =
        "SELECT c.id, a.machine, c.name, b.name, c.template, c.job_id, c.first_time,"
        " (SELECT count(*) FROM reports r WHERE r.campaign_id = c.id)"
        " FROM campaigns c JOIN agents a ON a.id = c.agent_id JOIN builds b ON b.id = c.build_id WHERE 1 = 1";
    if (query.id) sql += " AND c.id = ?1";
    if (query.machine) sql += " AND a.machine = ?2";
    if (query.build) sql += " AND b.name = ?3";
    if (query.job_id) sql += " AND c.job_id = ?4";
    sql += " ORDER BY c.first_time DESC, c.id DESC LIMIT ?5";
    BP_TRY(auto q, lease.db().prepare(sql));
    if (query.id) q.bind(1, *query.id);
    if (query.machine) q.bind(2, *query.machine);
    if (query.build) q.bind(3, *query.build);
    if (query.job_id) q.bind(4, *query.job_id);
    q.bind(5, static_cast<std::int64_t>(query.limit));
    std::vector<CampaignRecord> out;
    for (;;) {
        BP_TRY(bool row, q.step());
        if (!row) break;
        CampaignRecord c;
        c.id = q.column_int(0);
        c.machine = q.column_text(1);
        c.name = q.column_text(2);
        c.build = q.column_text(3);
        c.template_name = q.column_text(4);
        c.job_id = q.column_optional_int(5);
        c.first_time = q.column_int(6);
        c.reports = q.column_int(7);
        out.push_back(std::move(c));
    }
    return out;
}

Result<std::vector<std::string>> SqliteControllerStore::campaign_reports(std::int64_t campaign_id) {
    BP_TRY(Lease lease, acquire());
    BP_TRY(auto q, lease.db().prepare("SELECT body FROM reports WHERE campaign_id = ?1 ORDER BY iteration, id"));
    q.bind(1, campaign_id);
    std::vector<std::string> out;
    for (;;) {
        BP_TRY(bool row, q.step());
        if (!row) break;
        out.push_back(q.column_text(0));
    }
    return out;
}

Result<BuildSamples> SqliteControllerStore::build_samples(const BuildSamplesQuery& query) {
    BP_TRY(Lease lease, acquire());
    auto& db = lease.db();
    BuildSamples out;
    BP_TRY(auto build_id, lookup_id(db, "SELECT id FROM builds WHERE name = ?1", query.build));
    if (!build_id) return out;
    std::optional<std::int64_t> agent_id;
    if (query.machine) {
        BP_TRY(auto id, lookup_id(db, "SELECT id FROM agents WHERE machine = ?1", *query.machine));
        if (!id) return out;
        agent_id = id;
    }
    std::string where = " WHERE r.build_id = ?1";
    if (agent_id) where += " AND r.agent_id = ?2";
    if (query.campaign_id) where += " AND r.campaign_id = ?3";
    BP_TRY(auto r, db.prepare("SELECT r.id FROM reports r" + where + " ORDER BY r.id"));
    r.bind(1, *build_id);
    if (agent_id) r.bind(2, *agent_id);
    if (query.campaign_id) r.bind(3, *query.campaign_id);
    for (;;) {
        BP_TRY(bool row, r.step());
        if (!row) break;
        out.report_ids.push_back(r.column_int(0));
    }
    if (out.report_ids.empty()) return out;

    // Metric names are bound; up to 16 of them (the API passes a handful).
    if (query.metrics.size() > 16) return make_error(Errc::invalid_argument, "build_samples: at most 16 metrics");
    // Each report's samples are one contiguous range of the table: (agent_id, time, report_id).
    std::string sql = "SELECT s.kind, s.key, s.metric, x.report_id, x.value FROM reports r"
                      " JOIN samples x ON x.agent_id = r.agent_id AND x.time = r.time AND x.report_id = r.id"
                      " JOIN series s ON s.id = x.series_id" + where;
    if (!query.metrics.empty()) {
        sql += " AND s.metric IN (";
        for (std::size_t i = 0; i < query.metrics.size(); ++i) sql += (i ? ", ?" : "?") + std::to_string(10 + i);
        sql += ")";
    }
    BP_TRY(auto q, db.prepare(sql));
    q.bind(1, *build_id);
    if (agent_id) q.bind(2, *agent_id);
    if (query.campaign_id) q.bind(3, *query.campaign_id);
    for (std::size_t i = 0; i < query.metrics.size(); ++i) q.bind(static_cast<int>(10 + i), query.metrics[i]);
    std::size_t rows = 0;
    for (;;) {
        BP_TRY(bool row, q.step());
        if (!row) break;
        if (++rows > kMaxSeriesRows) {
            return make_error(Errc::invalid_argument, "the comparison selects more than " +
                                                          std::to_string(kMaxSeriesRows) +
                                                          " samples; narrow it to a machine or fewer metrics");
        }
        out.samples.push_back({q.column_text(0), q.column_text(1), q.column_text(2), q.column_int(3), q.column_int(4)});
    }
    return out;
}

Status SqliteControllerStore::put_alerts(std::int64_t campaign_id, const std::vector<AlertRecord>& alerts,
                                         UnixSeconds now) {
    BP_TRY(Lease lease, acquire_writer());
    auto& db = lease.db();
    BP_TRY(auto tx, sqlite::Transaction::begin(db));
    BP_TRY(auto exists, db.prepare("SELECT 1 FROM campaigns WHERE id = ?1"));
    exists.bind(1, campaign_id);
    BP_TRY(bool found, exists.step());
    if (!found) return make_error(Errc::not_found, "no campaign " + std::to_string(campaign_id));
    BP_TRY(auto del, db.prepare("DELETE FROM alerts WHERE campaign_id = ?1"));
    del.bind(1, campaign_id);
    BP_TRY_STATUS(del.run());
    BP_TRY(auto ins, db.prepare(
                         "INSERT INTO alerts (campaign_id, baseline_build_id, kind, key, metric, verdict, presence,"
                         " baseline_median, median, delta, p_value, created_at)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"));
    for (const AlertRecord& a : alerts) {
        BP_TRY(std::int64_t baseline,
               intern(db, "INSERT INTO builds (name) VALUES (?1) ON CONFLICT (name) DO NOTHING",
                      "SELECT id FROM builds WHERE name = ?1", a.baseline_build));
        ins.bind(1, campaign_id);
        ins.bind(2, baseline);
        ins.bind(3, a.kind);
        ins.bind(4, a.key);
        ins.bind(5, a.metric);
        ins.bind(6, a.verdict);
        ins.bind(7, a.presence);
        ins.bind(8, a.baseline_median);
        ins.bind(9, a.median);
        ins.bind(10, a.delta);
        ins.bind(11, a.p_value);
        ins.bind(12, now);
        BP_TRY_STATUS(ins.run());
        ins.reset();
    }
    return tx.commit();
}

Result<std::vector<AlertRecord>> SqliteControllerStore::alerts(const AlertQuery& query) {
    BP_TRY(Lease lease, acquire());
    std::string sql =
        "SELECT x.id, x.campaign_id, a.machine, c.name, b.name, bb.name, x.kind, x.key, x.metric, x.verdict,"
        " x.presence, x.baseline_median, x.median, x.delta, x.p_value, x.created_at"
        " FROM alerts x JOIN campaigns c ON c.id = x.campaign_id JOIN agents a ON a.id = c.agent_id"
        " JOIN builds b ON b.id = c.build_id JOIN builds bb ON bb.id = x.baseline_build_id WHERE 1 = 1";
    if (query.machine) sql += " AND a.machine = ?1";
    if (query.build) sql += " AND b.name = ?2";
    if (query.campaign_id) sql += " AND x.campaign_id = ?3";
    if (query.since) sql += " AND x.created_at >= ?4";
    sql += " ORDER BY x.created_at DESC, x.id LIMIT ?5";
    BP_TRY(auto q, lease.db().prepare(sql));
    if (query.machine) q.bind(1, *query.machine);
    if (query.build) q.bind(2, *query.build);
    if (query.campaign_id) q.bind(3, *query.campaign_id);
    if (query.since) q.bind(4, *query.since);
    q.bind(5, static_cast<std::int64_t>(query.limit));
    std::vector<AlertRecord> out;
    for (;;) {
        BP_TRY(bool row, q.step());
        if (!row) break;
        AlertRecord a;
        a.id = q.column_int(0);
        a.campaign_id = q.column_int(1);
        a.machine = q.column_text(2);
        a.campaign = q.column_text(3);
        a.build = q.column_text(4);
        a.baseline_build = q.column_text(5);
        a.kind = q.column_text(6);
        a.key = q.column_text(7);
        a.metric = q.column_text(8);
        a.verdict = q.column_text(9);
        a.presence = q.column_text(10);
        a.baseline_median = q.column_double(11);
        a.median = q.column_double(12);
        a.delta = q.column_double(13);
        if (!q.is_null(14)) a.p_value = q.column_double(14);
        a.created_at = q.column_int(15);
        out.push_back(std::move(a));
    }
    return out;
}

}  // namespace bp::controller
