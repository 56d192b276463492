// ControllerStore: everything the controller remembers, behind one interface so that the SQLite store
// of today and a PostgreSQL store (several controller instances on one database) are interchangeable.
//
// Contract for every implementation: each method is one transaction; exactly-once guarantees come from
// database constraints (a unique idempotency key, a unique (assignment, agent, slot)), never from a lock
// held in the process, so any number of instances may share one database. Methods never throw; they
// return Errc::database for the store's own failures and the documented codes otherwise. An
// implementation may be called from several threads at once.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bootprint/common/result.hpp"
#include "bootprint/footprint/summary.hpp"

namespace bp::controller {

using UnixSeconds = std::int64_t;

// ---- agents and tokens --------------------------------------------------------------------------

struct AgentInfo {
    std::string machine;
    std::string group = "default";
    std::string agent_version;
    std::string os_build;
};

struct AgentRecord {
    std::int64_t id = 0;
    AgentInfo info;
    std::string campaign_state;
    UnixSeconds enrolled_at = 0;
    UnixSeconds last_seen_at = 0;
    bool disabled = false;
    int valid_tokens = 0;
};

// ---- templates, assignments, jobs ------------------------------------------------------------------

struct TemplateRecord {
    std::int64_t id = 0;
    std::string name;
    std::string spec_json;  // {tags, iterations, resident_set, triage, labels}
};

struct AssignmentRecord {
    std::int64_t id = 0;
    std::string template_name;
    std::string group;
    std::string schedule;    // Schedule::parse syntax
    UnixSeconds not_before = 0;
    bool active = true;
};

struct JobRecord {
    std::int64_t id = 0;
    std::int64_t assignment_id = 0;
    std::int64_t agent_id = 0;
    std::string template_name;
    std::string spec_json;
    UnixSeconds slot = 0;
    std::string state;       // pending, running, done, failed, skipped
    std::string message;
};

// ---- reports and history -------------------------------------------------------------------------

// One history value a report contributes (see report_facts.hpp for how they are derived).
struct Sample {
    std::string kind;    // tag, driver, total
    std::string key;
    std::string metric;
    std::int64_t value = 0;
};

// A validated report as the store keeps it.
struct ReportFacts {
    std::string idempotency_key;
    std::string body;          // as received
    std::string body_sha256;
    int schema_version = 0;
    std::string campaign;
    std::string build;
    std::string template_name;
    std::optional<std::int64_t> job_id;
    std::int64_t iteration = 0;
    UnixSeconds time = 0;      // the trace's start; 0: use the time received
    std::vector<Sample> samples;
};

enum class StoreOutcome {
    stored,     // new: stored now
    duplicate,  // the same key with the same body is already stored (a retry): nothing written
    conflict,   // the same key with a different body: nothing written
};

struct StoreResult {
    StoreOutcome outcome = StoreOutcome::stored;
    std::int64_t report_id = 0;
};

struct SeriesQuery {
    std::string kind;
    std::string key;
    std::string metric;
    std::optional<std::string> build;
    std::optional<std::string> machine;
    std::optional<std::string> campaign;
    std::optional<UnixSeconds> from;   // inclusive
    std::optional<UnixSeconds> to;     // exclusive
    std::size_t limit = 10000;         // points

    // A query on one series, every filter unset.
    static SeriesQuery of(std::string kind, std::string key, std::string metric) {
        SeriesQuery q;
        q.kind = std::move(kind);
        q.key = std::move(key);
        q.metric = std::move(metric);
        return q;
    }
};

// One campaign's iterations of a series, summarized.
struct SeriesPoint {
    std::string campaign;
    std::string build;
    std::string machine;
    UnixSeconds time = 0;              // the campaign's first iteration
    footprint::Spread spread;          // n, median, min, max, MAD over the campaign's iterations
};

struct ReportQuery {
    std::optional<std::string> build;
    std::optional<std::string> machine;
    std::optional<std::string> campaign;
    std::optional<UnixSeconds> from;
    std::optional<UnixSeconds> to;
    std::size_t limit = 1000;
};

struct ReportRow {
    std::int64_t id = 0;
    std::string idempotency_key;
    std::string machine;
    std::string campaign;
    std::string build;
    std::int64_t iteration = 0;
    UnixSeconds time = 0;
    UnixSeconds received_at = 0;
};

// ---- builds, campaigns, comparisons, alerts (regressions: docs/regressions.md) -------------------------

struct BuildRecord {
    std::string name;
    UnixSeconds first_time = 0;   // its earliest campaign
    UnixSeconds last_time = 0;    // its latest campaign
    std::int64_t machines = 0;
    std::int64_t campaigns = 0;
    std::int64_t reports = 0;
};

struct CampaignQuery {
    std::optional<std::int64_t> id;
    std::optional<std::string> machine;
    std::optional<std::string> build;
    std::optional<std::int64_t> job_id;
    std::size_t limit = 1000;     // newest first
};

struct CampaignRecord {
    std::int64_t id = 0;
    std::string machine;
    std::string name;
    std::string build;
    std::string template_name;
    std::optional<std::int64_t> job_id;
    UnixSeconds first_time = 0;
    std::int64_t reports = 0;     // iterations received
};

// Every sample of chosen metrics for one build (optionally one machine or one campaign), with the reports
// (iterations) the selection holds: a series missing from a report counts 0 there.
struct BuildSamplesQuery {
    std::string build;
    std::optional<std::string> machine;
    std::optional<std::int64_t> campaign_id;
    std::vector<std::string> metrics;  // empty: every metric
};

struct BuildSample {
    std::string kind;
    std::string key;
    std::string metric;
    std::int64_t report_id = 0;
    std::int64_t value = 0;
};

struct BuildSamples {
    std::vector<std::int64_t> report_ids;
    std::vector<BuildSample> samples;
};

// A verdict recorded for a nightly run: one row per series judged a regression or an improvement, or
// flagged new or vanished, against the machine's previous build.
struct AlertRecord {
    std::int64_t id = 0;
    std::int64_t campaign_id = 0;
    std::string machine;          // filled by alerts()
    std::string campaign;         // filled by alerts()
    std::string build;            // filled by alerts()
    std::string baseline_build;
    std::string kind;
    std::string key;
    std::string metric;
    std::string verdict;          // regression, improvement, noise, insufficient
    std::string presence;         // "", new, vanished
    double baseline_median = 0;
    double median = 0;
    double delta = 0;
    std::optional<double> p_value;
    UnixSeconds created_at = 0;
};

struct AlertQuery {
    std::optional<std::string> machine;
    std::optional<std::string> build;
    std::optional<std::int64_t> campaign_id;
    std::optional<UnixSeconds> since;  // created_at >= since
    std::size_t limit = 1000;          // newest first
};

class ControllerStore {
public:
    virtual ~ControllerStore() = default;

    // Creates the agent (or finds it by machine name), revokes its earlier tokens and records
    // `token_hash` as its only valid token. A disabled agent is Errc::conflict ("disabled").
    virtual Result<std::int64_t> enrol(const AgentInfo& info, const std::string& token_hash, UnixSeconds now) = 0;
    // The agent a valid token belongs to; nullopt for unknown, revoked or disabled.
    virtual Result<std::optional<AgentRecord>> authenticate(const std::string& token_hash) = 0;
    virtual Status heartbeat(std::int64_t agent_id, const AgentInfo& info, const std::string& campaign_state,
                             UnixSeconds now) = 0;
    // Revokes every token of the agent; with `disable`, later enrolment is refused too. not_found.
    virtual Status revoke(std::int64_t agent_id, bool disable, UnixSeconds now) = 0;
    virtual Result<std::vector<AgentRecord>> agents() = 0;

    // Creates or replaces a template by name; returns its id.
    virtual Result<std::int64_t> put_template(const std::string& name, const std::string& spec_json,
                                              UnixSeconds now) = 0;
    virtual Result<std::vector<TemplateRecord>> templates() = 0;
    // Assigns a template (by name: not_found) to a group; replaces the schedule of an existing
    // assignment of the same pair. The schedule must parse (invalid_argument).
    virtual Result<std::int64_t> assign(const AssignmentRecord& assignment, UnixSeconds now) = 0;
    virtual Result<std::vector<AssignmentRecord>> assignments() = 0;

    // Claims, for each active assignment of the agent's group, the newest schedule slot at or before
    // `now` (and not before the assignment's not_before) — once per (assignment, agent, slot) across
    // every instance — marks older never-started jobs of the same assignment "skipped", and returns the
    // agent's open jobs (pending or running), oldest first.
    virtual Result<std::vector<JobRecord>> claim_due_jobs(std::int64_t agent_id, UnixSeconds now) = 0;
    // Moves one of the agent's jobs to running/done/failed; another agent's job is not_found.
    virtual Status set_job_state(std::int64_t agent_id, std::int64_t job_id, const std::string& state,
                                 const std::string& message, UnixSeconds now) = 0;

    // Stores a report and its samples once per idempotency key (see StoreOutcome).
    virtual Result<StoreResult> store_report(std::int64_t agent_id, const ReportFacts& facts, UnixSeconds now) = 0;

    virtual Result<std::vector<SeriesPoint>> series(const SeriesQuery& query) = 0;
    virtual Result<std::vector<ReportRow>> reports(const ReportQuery& query) = 0;
    // The keys of a kind ("tag": every pool tag seen), sorted.
    virtual Result<std::vector<std::string>> series_keys(const std::string& kind, const std::string& metric) = 0;
    // Every build with reports, oldest first (by first campaign time).
    virtual Result<std::vector<BuildRecord>> builds() = 0;
    // Campaigns matching every given filter, newest first.
    virtual Result<std::vector<CampaignRecord>> campaigns(const CampaignQuery& query) = 0;
    // The stored report bodies of one campaign, by iteration (then receipt).
    virtual Result<std::vector<std::string>> campaign_reports(std::int64_t campaign_id) = 0;
    virtual Result<BuildSamples> build_samples(const BuildSamplesQuery& query) = 0;
    // Replaces the alerts of a campaign (its nightly run) with `alerts` in one transaction: recomputing
    // a run's verdicts never doubles them. not_found for an unknown campaign.
    virtual Status put_alerts(std::int64_t campaign_id, const std::vector<AlertRecord>& alerts, UnixSeconds now) = 0;
    virtual Result<std::vector<AlertRecord>> alerts(const AlertQuery& query) = 0;

    // Rows per table (health, tests).
    virtual Result<std::map<std::string, std::int64_t>> row_counts() = 0;
};

}  // namespace bp::controller
