// The campaign tables, over the SQLite C API on a connection of their own (synchronous=FULL).
// The SQL of the campaign lives here rather than in the store so that the store's ingest connection
// and this one never share a transaction: an ingest is idempotent by trace sha256 instead.
#include "bootprint/campaign/campaign_db.hpp"

#include <sqlite3.h>

#include <sstream>

namespace bp::campaign {
namespace {

Error db_error(sqlite3* db, const std::string& what) {
    return make_error(Errc::database, what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

class Stmt {
  public:
    Stmt() = default;
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_) { o.s_ = nullptr; }
    ~Stmt() { sqlite3_finalize(s_); }

    static Result<Stmt> prepare(sqlite3* db, const char* sql) {
        Stmt st;
        st.db_ = db;
        if (sqlite3_prepare_v2(db, sql, -1, &st.s_, nullptr) != SQLITE_OK) return db_error(db, "prepare");
        return st;
    }
    void bind(int i, std::int64_t v) { sqlite3_bind_int64(s_, i, v); }
    void bind(int i, const std::string& v) {
        sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    }
    void bind(int i, std::optional<std::int64_t> v) {
        if (v) {
            sqlite3_bind_int64(s_, i, *v);
        } else {
            sqlite3_bind_null(s_, i);
        }
    }
    void bind(int i, std::optional<std::uint32_t> v) {
        bind(i, v ? std::optional<std::int64_t>(*v) : std::nullopt);
    }
    Result<bool> step() {
        const int rc = sqlite3_step(s_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        return db_error(db_, "step");
    }
    void reset() {
        sqlite3_reset(s_);
        sqlite3_clear_bindings(s_);
    }
    Status run() {
        BP_TRY(bool row, step());
        (void)row;
        return {};
    }
    std::int64_t i64(int c) const { return sqlite3_column_int64(s_, c); }
    bool null(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
    std::optional<std::int64_t> opt(int c) const {
        return null(c) ? std::nullopt : std::optional<std::int64_t>(i64(c));
    }
    std::optional<std::uint32_t> opt32(int c) const {
        return null(c) ? std::nullopt : std::optional<std::uint32_t>(static_cast<std::uint32_t>(i64(c)));
    }
    std::string text(int c) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, c))) : std::string();
    }

  private:
    sqlite3* db_ = nullptr;
    sqlite3_stmt* s_ = nullptr;
};

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
    return out;
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ',')) out.push_back(item);
    return out;
}

constexpr const char* kCampaignColumns =
    "id, spec, state, current_seq, total_iterations, profile_path, reboot_from_boot, dpe_original_read, "
    "dpe_original,"
    " dpe_wanted, dpe_changed, dpe_set_at_us, dpe_in_effect, dpe_verified, dpe_restored, failure_code,"
    " failure_reason, cancel_requested, step_attempts, last_error, created_at_us, updated_at_us";

Result<CampaignRecord> read_campaign(const Stmt& q) {
    CampaignRecord c;
    BP_TRY(c.spec, CampaignSpec::from_json(q.text(1)));
    BP_TRY(c.state, parse_state(q.text(2)));
    c.current_seq = q.i64(3);
    c.total_iterations = q.i64(4);
    c.profile_path = q.text(5);
    c.reboot_from_boot = q.text(6);
    c.dpe.original_read = q.i64(7) != 0;
    c.dpe.original = q.opt32(8);
    c.dpe.wanted = q.opt32(9);
    c.dpe.changed = q.i64(10) != 0;
    c.dpe.set_at_us = q.i64(11);
    c.dpe.in_effect = q.opt32(12);
    c.dpe.verified = q.i64(13) != 0;
    c.dpe.restored = q.i64(14) != 0;
    c.failure_code = q.text(15);
    c.failure_reason = q.text(16);
    c.cancel_requested = q.i64(17) != 0;
    c.step_attempts = static_cast<std::uint32_t>(q.i64(18));
    c.last_error = q.text(19);
    c.created_at_us = q.i64(20);
    c.updated_at_us = q.i64(21);
    return c;
}

constexpr const char* kIterationColumns =
    "campaign_id, seq, tag_group, iteration, selector, pool_tags, state, attempt, trace_path, temp_dir, "
    "armed_boot,"
    " boot_id, boot_time_us, autologger_status, settle_ms, settle_timed_out, trace_sha256, trace_bytes, "
    "events_lost,"
    " trace_id, result_key, retry_log";

IterationRecord read_iteration(const Stmt& q) {
    IterationRecord r;
    int c = 0;
    r.campaign_id = q.text(c++);
    r.seq = q.i64(c++);
    r.tag_group = static_cast<std::uint32_t>(q.i64(c++));
    r.iteration = static_cast<std::uint32_t>(q.i64(c++));
    r.selector = q.text(c++);
    r.pool_tags = split(q.text(c++));
    r.state = q.text(c++);
    r.attempt = static_cast<std::uint32_t>(q.i64(c++));
    r.trace_path = q.text(c++);
    r.temp_dir = q.text(c++);
    r.armed_boot = q.text(c++);
    r.boot_id = q.text(c++);
    r.boot_time_us = q.i64(c++);
    r.autologger_status = q.opt32(c++);
    r.settle_ms = static_cast<std::uint32_t>(q.i64(c++));
    r.settle_timed_out = q.i64(c++) != 0;
    r.trace_sha256 = q.text(c++);
    r.trace_bytes = static_cast<std::uint64_t>(q.i64(c++));
    r.events_lost = static_cast<std::uint64_t>(q.i64(c++));
    r.trace_id = q.opt(c++);
    r.result_key = q.text(c++);
    r.retry_log = q.text(c++);
    return r;
}

void bind_iteration(Stmt& s, const IterationRecord& r) {
    int c = 1;
    s.bind(c++, r.campaign_id);
    s.bind(c++, r.seq);
    s.bind(c++, std::int64_t{r.tag_group});
    s.bind(c++, std::int64_t{r.iteration});
    s.bind(c++, r.selector);
    s.bind(c++, join(r.pool_tags));
    s.bind(c++, r.state);
    s.bind(c++, std::int64_t{r.attempt});
    s.bind(c++, r.trace_path);
    s.bind(c++, r.temp_dir);
    s.bind(c++, r.armed_boot);
    s.bind(c++, r.boot_id);
    s.bind(c++, r.boot_time_us);
    s.bind(c++, r.autologger_status);
    s.bind(c++, std::int64_t{r.settle_ms});
    s.bind(c++, std::int64_t{r.settle_timed_out ? 1 : 0});
    s.bind(c++, r.trace_sha256);
    s.bind(c++, static_cast<std::int64_t>(r.trace_bytes));
    s.bind(c++, static_cast<std::int64_t>(r.events_lost));
    s.bind(c++, r.trace_id);
    s.bind(c++, r.result_key);
    s.bind(c++, r.retry_log);
}

constexpr const char* kReplaceIteration =
    "INSERT OR REPLACE INTO campaign_iterations (campaign_id, seq, tag_group, iteration, selector, "
    "pool_tags, state,"
    " attempt, trace_path, temp_dir, armed_boot, boot_id, boot_time_us, autologger_status, settle_ms,"
    " settle_timed_out, trace_sha256, trace_bytes, events_lost, trace_id, result_key, retry_log) VALUES"
    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)";

}  // namespace

struct CampaignDb::Impl {
    sqlite3* db = nullptr;
    std::string path;
    std::function<void(std::string_view)> checkpoint;
    ~Impl() { sqlite3_close_v2(db); }

    Status exec(const char* sql) {
        char* msg = nullptr;
        if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
            Error e = make_error(Errc::database, std::string(sql).substr(0, 40) + ": " + (msg ? msg : "?"));
            sqlite3_free(msg);
            return std::move(e).with_path(path);
        }
        return {};
    }

    // BEGIN IMMEDIATE: take the write lock up front (no upgrade deadlock with another process).
    struct Tx {
        Impl* impl = nullptr;
        bool done = false;
        ~Tx() {
            if (!done) (void)impl->exec("ROLLBACK");
        }
        Status commit() {
            BP_TRY_STATUS(impl->exec("COMMIT"));
            done = true;
            return {};
        }
    };
    Result<std::unique_ptr<Tx>> begin() {
        BP_TRY_STATUS(exec("BEGIN IMMEDIATE"));
        auto tx = std::make_unique<Tx>();
        tx->impl = this;
        return tx;
    }

    void point(const std::string& name) {
        if (checkpoint) checkpoint(name);
    }
};

CampaignDb::CampaignDb(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CampaignDb::CampaignDb(CampaignDb&&) noexcept = default;
CampaignDb& CampaignDb::operator=(CampaignDb&&) noexcept = default;
CampaignDb::~CampaignDb() = default;

Result<CampaignDb> CampaignDb::open(const std::string& path) {
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    if (sqlite3_open_v2(path.c_str(), &impl->db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        return db_error(impl->db, "cannot open the agent database").with_path(path);
    }
    sqlite3_busy_timeout(impl->db, 5000);
    // FULL: a committed transition is on disk before the agent reboots the machine.
    BP_TRY_STATUS(impl->exec("PRAGMA synchronous = FULL"));
    BP_TRY(auto q, Stmt::prepare(impl->db, "SELECT count(*) FROM sqlite_schema WHERE name = 'campaigns'"));
    BP_TRY(bool row, q.step());
    if (!row || q.i64(0) == 0) {
        return make_error(Errc::unsupported,
                          "the database has no campaign tables (open it with AgentStore first)")
            .with_path(path);
    }
    return CampaignDb(std::move(impl));
}

void CampaignDb::set_checkpoint(std::function<void(std::string_view)> hook) {
    impl_->checkpoint = std::move(hook);
}

Status CampaignDb::create(const CampaignRecord& c, const std::vector<IterationRecord>& iterations) {
    BP_TRY(auto tx, impl_->begin());
    {
        BP_TRY(auto q, Stmt::prepare(impl_->db,
                                     "SELECT id, state FROM campaigns WHERE id = ?1 OR state NOT IN"
                                     " ('done', 'failed', 'cancelled')"));
        q.bind(1, c.spec.id);
        BP_TRY(bool row, q.step());
        if (row) {
            if (q.text(0) == c.spec.id) {
                return make_error(Errc::conflict, "campaign '" + c.spec.id + "' exists already (state " +
                                                      q.text(1) + "); choose another id");
            }
            return make_error(Errc::conflict, "campaign '" + q.text(0) + "' is still running (state " +
                                                  q.text(1) +
                                                  "); cancel it first (bootprint-agent campaign cancel)");
        }
    }
    BP_TRY(auto ins, Stmt::prepare(impl_->db,
                                   "INSERT INTO campaigns (id, spec, state, total_iterations, created_at_us,"
                                   " updated_at_us) VALUES (?1, ?2, ?3, ?4, ?5, ?5)"));
    ins.bind(1, c.spec.id);
    ins.bind(2, c.spec.to_json());
    ins.bind(3, std::string(to_string(State::created)));
    ins.bind(4, c.total_iterations);
    ins.bind(5, c.created_at_us);
    BP_TRY_STATUS(ins.run());
    BP_TRY(auto it, Stmt::prepare(impl_->db, kReplaceIteration));
    for (const IterationRecord& r : iterations) {
        bind_iteration(it, r);
        BP_TRY_STATUS(it.run());
        it.reset();
    }
    BP_TRY(auto log, Stmt::prepare(impl_->db,
                                   "INSERT INTO campaign_transitions (campaign_id, seq, from_state, to_state,"
                                   " at_us, note) VALUES (?1, 0, '', 'created', ?2, 'campaign started')"));
    log.bind(1, c.spec.id);
    log.bind(2, c.created_at_us);
    BP_TRY_STATUS(log.run());
    return tx->commit();
}

namespace {

Result<std::optional<CampaignRecord>> one_campaign(sqlite3* db, const std::string& where,
                                                   const std::string* id) {
    const std::string sql = std::string("SELECT ") + kCampaignColumns + " FROM campaigns " + where;
    BP_TRY(auto q, Stmt::prepare(db, sql.c_str()));
    if (id) q.bind(1, *id);
    BP_TRY(bool row, q.step());
    if (!row) return std::optional<CampaignRecord>();
    BP_TRY(CampaignRecord c, read_campaign(q));
    return std::optional<CampaignRecord>(std::move(c));
}

}  // namespace

Result<std::optional<CampaignRecord>> CampaignDb::active() {
    return one_campaign(
        impl_->db, "WHERE state NOT IN ('done', 'failed', 'cancelled') ORDER BY created_at_us DESC LIMIT 1",
        nullptr);
}

Result<std::optional<CampaignRecord>> CampaignDb::latest() {
    return one_campaign(impl_->db, "ORDER BY created_at_us DESC, rowid DESC LIMIT 1", nullptr);
}

Result<std::optional<CampaignRecord>> CampaignDb::find(const std::string& id) {
    return one_campaign(impl_->db, "WHERE id = ?1", &id);
}

Result<std::vector<IterationRecord>> CampaignDb::iterations(const std::string& campaign_id) {
    const std::string sql = std::string("SELECT ") + kIterationColumns +
                            " FROM campaign_iterations WHERE campaign_id = ?1 ORDER BY seq";
    BP_TRY(auto q, Stmt::prepare(impl_->db, sql.c_str()));
    q.bind(1, campaign_id);
    std::vector<IterationRecord> out;
    for (;;) {
        BP_TRY(bool row, q.step());
        if (!row) break;
        out.push_back(read_iteration(q));
    }
    return out;
}

Result<IterationRecord> CampaignDb::iteration(const std::string& campaign_id, std::int64_t seq) {
    const std::string sql = std::string("SELECT ") + kIterationColumns +
                            " FROM campaign_iterations WHERE campaign_id = ?1 AND seq = ?2";
    BP_TRY(auto q, Stmt::prepare(impl_->db, sql.c_str()));
    q.bind(1, campaign_id);
    q.bind(2, seq);
    BP_TRY(bool row, q.step());
    if (!row) {
        return make_error(Errc::not_found,
                          "campaign '" + campaign_id + "' has no iteration " + std::to_string(seq));
    }
    return read_iteration(q);
}

Result<std::vector<TransitionRecord>> CampaignDb::transitions(const std::string& campaign_id) {
    BP_TRY(auto q, Stmt::prepare(impl_->db,
                                 "SELECT seq, from_state, to_state, iteration_seq, boot_id, at_us, note"
                                 " FROM campaign_transitions WHERE campaign_id = ?1 ORDER BY seq"));
    q.bind(1, campaign_id);
    std::vector<TransitionRecord> out;
    for (;;) {
        BP_TRY(bool row, q.step());
        if (!row) break;
        out.push_back({q.i64(0), q.text(1), q.text(2), q.i64(3), q.text(4), q.i64(5), q.text(6)});
    }
    return out;
}

Status CampaignDb::commit(State from, const CampaignRecord& c, const IterationRecord* iteration,
                          std::string_view note, const std::string& boot_id, std::int64_t at_us) {
    BP_TRY(auto tx, impl_->begin());
    {
        BP_TRY(auto q, Stmt::prepare(impl_->db, "SELECT state FROM campaigns WHERE id = ?1"));
        q.bind(1, c.spec.id);
        BP_TRY(bool row, q.step());
        if (!row) return make_error(Errc::not_found, "campaign '" + c.spec.id + "' does not exist");
        if (q.text(0) != to_string(from)) {
            return make_error(Errc::conflict, "campaign '" + c.spec.id + "' is in state " + q.text(0) +
                                                  ", not " + to_string(from) + " (another agent process?)");
        }
    }
    BP_TRY(auto up,
           Stmt::prepare(impl_->db,
                         "UPDATE campaigns SET state = ?2, current_seq = ?3, profile_path = ?4,"
                         " reboot_from_boot = ?5, dpe_original_read = ?6, dpe_original = ?7, dpe_wanted = ?8,"
                         " dpe_changed = ?9, dpe_set_at_us = ?10, dpe_in_effect = ?11, dpe_verified = ?12,"
                         " dpe_restored = ?13, failure_code = ?14, failure_reason = ?15, step_attempts = 0,"
                         " last_error = '', updated_at_us = ?16 WHERE id = ?1"));
    up.bind(1, c.spec.id);
    up.bind(2, std::string(to_string(c.state)));
    up.bind(3, c.current_seq);
    up.bind(4, c.profile_path);
    up.bind(5, c.reboot_from_boot);
    up.bind(6, std::int64_t{c.dpe.original_read});
    up.bind(7, c.dpe.original);
    up.bind(8, c.dpe.wanted);
    up.bind(9, std::int64_t{c.dpe.changed});
    up.bind(10, c.dpe.set_at_us);
    up.bind(11, c.dpe.in_effect);
    up.bind(12, std::int64_t{c.dpe.verified});
    up.bind(13, std::int64_t{c.dpe.restored});
    up.bind(14, c.failure_code);
    up.bind(15, c.failure_reason);
    up.bind(16, at_us);
    BP_TRY_STATUS(up.run());
    if (iteration) {
        BP_TRY(auto it, Stmt::prepare(impl_->db, kReplaceIteration));
        bind_iteration(it, *iteration);
        BP_TRY_STATUS(it.run());
    }
    BP_TRY(auto seq_q, Stmt::prepare(impl_->db,
                                     "SELECT coalesce(max(seq), 0) + 1 FROM campaign_transitions"
                                     " WHERE campaign_id = ?1"));
    seq_q.bind(1, c.spec.id);
    BP_TRY(bool got, seq_q.step());
    const std::int64_t seq = got ? seq_q.i64(0) : 1;
    BP_TRY(auto log,
           Stmt::prepare(impl_->db,
                         "INSERT INTO campaign_transitions (campaign_id, seq, from_state, to_state,"
                         " iteration_seq, boot_id, at_us, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    log.bind(1, c.spec.id);
    log.bind(2, seq);
    log.bind(3, std::string(to_string(from)));
    log.bind(4, std::string(to_string(c.state)));
    log.bind(5, iteration ? iteration->seq : c.current_seq);
    log.bind(6, boot_id);
    log.bind(7, at_us);
    log.bind(8, std::string(note));
    BP_TRY_STATUS(log.run());
    impl_->point("transition:" + std::to_string(seq) + ":before");
    BP_TRY_STATUS(tx->commit());
    impl_->point("transition:" + std::to_string(seq) + ":after");
    return {};
}

Status CampaignDb::record_attempt(const std::string& campaign_id, std::uint32_t attempts,
                                  const std::string& error, std::int64_t at_us) {
    BP_TRY(auto q, Stmt::prepare(impl_->db,
                                 "UPDATE campaigns SET step_attempts = ?2, last_error = ?3,"
                                 " updated_at_us = ?4 WHERE id = ?1"));
    q.bind(1, campaign_id);
    q.bind(2, std::int64_t{attempts});
    q.bind(3, error);
    q.bind(4, at_us);
    return q.run();
}

Status CampaignDb::request_cancel(const std::string& campaign_id, std::int64_t at_us) {
    BP_TRY(auto found, find(campaign_id));
    if (!found) return make_error(Errc::not_found, "no campaign '" + campaign_id + "'");
    if (is_terminal(found->state)) {
        return make_error(Errc::conflict,
                          "campaign '" + campaign_id + "' already ended (" + to_string(found->state) + ")");
    }
    BP_TRY(auto q, Stmt::prepare(impl_->db,
                                 "UPDATE campaigns SET cancel_requested = 1, updated_at_us = ?2"
                                 " WHERE id = ?1"));
    q.bind(1, campaign_id);
    q.bind(2, at_us);
    return q.run();
}

Status CampaignDb::enqueue_result(const QueuedResult& r) {
    BP_TRY(auto q, Stmt::prepare(impl_->db,
                                 "INSERT OR IGNORE INTO campaign_results (idempotency_key, campaign_id,"
                                 " iteration_seq, report, queued_at_us) VALUES (?1, ?2, ?3, ?4, ?5)"));
    q.bind(1, r.idempotency_key);
    q.bind(2, r.campaign_id);
    q.bind(3, r.iteration_seq);
    q.bind(4, r.report);
    q.bind(5, r.queued_at_us);
    return q.run();
}

Result<std::vector<QueuedResult>> CampaignDb::results(const std::string& campaign_id) {
    BP_TRY(auto q, Stmt::prepare(impl_->db,
                                 "SELECT idempotency_key, campaign_id, iteration_seq, report, queued_at_us"
                                 " FROM campaign_results WHERE campaign_id = ?1 ORDER BY iteration_seq"));
    q.bind(1, campaign_id);
    std::vector<QueuedResult> out;
    for (;;) {
        BP_TRY(bool row, q.step());
        if (!row) break;
        out.push_back({q.text(0), q.text(1), q.i64(2), q.text(3), q.i64(4)});
    }
    return out;
}

}  // namespace bp::campaign
