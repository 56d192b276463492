// The ControllerStore on a PostgreSQL server (libpq), for fleets that outgrow one SQLite file: any
// number of controller instances may serve one database at once. Migrations come from
// schema/controller/postgresql/NNN_*.sql, compiled in, versioned like the SQLite ones (the same NNN).
//
// Every exactly-once guarantee is a constraint met inside one transaction (READ COMMITTED): an
// INSERT ... ON CONFLICT on reports.idempotency_key, on jobs (assignment, agent, slot), on the
// interned names. A transaction that loses a deadlock or serialization race is retried (up to 5
// times). Connections are pooled; each method borrows one.
//
//   BP_TRY(auto store, PostgresControllerStore::open("postgresql://bp@db.lab/bootprint"));
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "bootprint/controller/controller_store.hpp"

namespace bp::controller {

namespace pg {
class Connection;
}

// The newest PostgreSQL schema version compiled in (NNN of the last schema/controller/postgresql file).
int postgresql_schema_version();

class PostgresControllerStore final : public ControllerStore {
public:
    struct Options {
        // "FULL": synchronous_commit on (an acknowledged upload is on the server's disk). "NORMAL":
        // off (a crash of the database server may lose the last commits; never corrupts).
        std::string synchronous = "FULL";
        std::size_t max_idle_connections = 16;
    };
    // Connects, refuses a database whose schema is newer than this build (Errc::unsupported) or that
    // holds foreign tables (Errc::conflict), and applies the missing migrations.
    static Result<std::unique_ptr<PostgresControllerStore>> open(const std::string& conninfo, Options options);
    static Result<std::unique_ptr<PostgresControllerStore>> open(const std::string& conninfo) {
        return open(conninfo, Options{});
    }
    ~PostgresControllerStore() override;

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

    class Lease;  // a borrowed connection, returned to the pool by its destructor

private:
    PostgresControllerStore(std::string conninfo, Options options);
    Result<Lease> acquire();
    void release(std::unique_ptr<pg::Connection> connection);
    // Runs `body` in a transaction on a pooled connection, again (up to 5 times) when it loses a
    // deadlock or serialization race.
    template <typename T, typename Body>
    Result<T> transaction(Body&& body);

    std::string conninfo_;
    Options options_;
    std::mutex pool_mutex_;  // guards idle_
    std::vector<std::unique_ptr<pg::Connection>> idle_;
    std::mutex cache_mutex_;  // guards the two caches of committed, never renumbered ids
    std::unordered_map<std::string, std::int64_t> series_ids_;  // "kind\0key\0metric"
    std::unordered_map<std::string, std::int64_t> build_ids_;
};

}  // namespace bp::controller
