// The ControllerStore on one SQLite file (WAL), for a single controller host. Migrations come from
// schema/controller/NNN_*.sql, compiled in. Readers borrow connections from a small pool; this
// process's writers take turns on one writer connection (SQLite has one writer at a time anyway).
// Correctness rests on transactions (BEGIN IMMEDIATE) and the schema's constraints, not on that turn
// taking, so several processes may also open the same file.
//
//   BP_TRY(auto store, SqliteControllerStore::open("controller.db"));
//   BP_TRY(auto id, store->enrol({"lab-07", "nightly"}, token_hash(token), clock.now()));
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "bootprint/controller/controller_store.hpp"

namespace bp::store::sqlite {
class Database;
}

namespace bp::controller {

// The newest controller schema version compiled in (NNN of the last schema/controller file).
int controller_schema_version();

class SqliteControllerStore final : public ControllerStore {
public:
    struct Options {
        bool create = true;
        // PRAGMA synchronous: "FULL" (an acknowledged upload survives power loss) or "NORMAL" (it survives
        // a crash of the process; the last commits may be lost on power loss).
        std::string synchronous = "FULL";
    };
    static Result<std::unique_ptr<SqliteControllerStore>> open(const std::string& path, Options options);
    static Result<std::unique_ptr<SqliteControllerStore>> open(const std::string& path) {
        return open(path, Options{});
    }
    ~SqliteControllerStore() override;

    const std::string& path() const { return path_; }

    Result<std::int64_t> enrol(const AgentInfo& info, const std::string& token_hash, UnixSeconds now) override;
    Result<std::optional<AgentRecord>> authenticate(const std::string& token_hash) override;
    Status heartbeat(std::int64_t agent_id, const AgentInfo& info, const std::string& campaign_state,
                     UnixSeconds now) override;
    Status revoke(std::int64_t agent_id, bool disable, UnixSeconds now) override;
    Result<std::vector<AgentRecord>> agents() override;
    Result<std::int64_t> put_template(const std::string& name, const std::string& spec_json, UnixSeconds now) override;
    Result<std::vector<TemplateRecord>> templates() override;
    Result<std::int64_t> assign(const AssignmentRecord& assignment, UnixSeconds now) override;
    Result<std::vector<AssignmentRecord>> assignments() override;
    Result<std::vector<JobRecord>> claim_due_jobs(std::int64_t agent_id, UnixSeconds now) override;
    Status set_job_state(std::int64_t agent_id, std::int64_t job_id, const std::string& state,
                         const std::string& message, UnixSeconds now) override;
    Result<StoreResult> store_report(std::int64_t agent_id, const ReportFacts& facts, UnixSeconds now) override;
    Result<std::vector<SeriesPoint>> series(const SeriesQuery& query) override;
    Result<std::vector<ReportRow>> reports(const ReportQuery& query) override;
    Result<std::vector<std::string>> series_keys(const std::string& kind, const std::string& metric) override;
    Result<std::vector<BuildRecord>> builds() override;
    Result<std::vector<CampaignRecord>> campaigns(const CampaignQuery& query) override;
    Result<std::vector<std::string>> campaign_reports(std::int64_t campaign_id) override;
    Result<BuildSamples> build_samples(const BuildSamplesQuery& query) override;
    Status put_alerts(std::int64_t campaign_id, const std::vector<AlertRecord>& alerts, UnixSeconds now) override;
    Result<std::vector<AlertRecord>> alerts(const AlertQuery& query) override;
    Result<std::map<std::string, std::int64_t>> row_counts() override;

    struct Connection;  // one SQLite connection (private)
    class Lease;        // a borrowed connection, returned to the pool by its destructor

private:
    SqliteControllerStore(std::string path, Options options);
    Result<Lease> acquire();         // a reader connection from the pool
    Result<Lease> acquire_writer();  // the writer connection, holding writer_mutex_
    void release(std::unique_ptr<Connection> connection);

    // Group commit: uploads that arrive while a commit is under way queue up; the first of them
    // then stores the whole queue in one transaction (a savepoint per report, so a failing report
    // fails alone) and one sync, and hands every report its own outcome.
    struct Upload {
        std::int64_t agent_id;
        const ReportFacts* facts;
        UnixSeconds now;
        std::optional<Result<StoreResult>> result;
        bool done = false;
    };
    void commit_uploads(const std::vector<Upload*>& uploads);
    Result<StoreResult> store_one(store::sqlite::Database& db, const Upload& upload,
                                  std::vector<std::pair<std::string, std::int64_t>>& new_series);

    std::string path_;
    Options options_;
    std::mutex pool_mutex_;                                // guards idle_
    std::vector<std::unique_ptr<Connection>> idle_;
    std::mutex writer_mutex_;                              // guards writer_ and serializes our writers
    std::unique_ptr<Connection> writer_;
    std::mutex series_mutex_;                              // guards series_ids_
    std::unordered_map<std::string, std::int64_t> series_ids_;  // "kind\0key\0metric" → committed series id
    std::mutex upload_mutex_;                              // guards the three below
    std::condition_variable upload_cv_;
    std::vector<Upload*> upload_queue_;
    bool upload_leader_ = false;                           // an upload is committing a group
};

}  // namespace bp::controller
