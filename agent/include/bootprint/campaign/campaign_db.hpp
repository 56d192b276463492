// The campaign tables of the agent database (schema/agent/002_campaign.sql), on a connection of their
// own with synchronous=FULL: a transition, once committed, survives a power cut. Open the file with
// store::AgentStore::open first — it applies the migrations.
//
//   BP_TRY(auto store, store::AgentStore::open(path));
//   BP_TRY(auto db, CampaignDb::open(path));
//   BP_TRY(auto active, db.active());
//
// Not thread-safe; several processes may share the file (WAL, 5 s busy timeout).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bootprint/campaign/campaign.hpp"
#include "bootprint/common/result.hpp"

namespace bp::campaign {

struct QueuedResult {
    std::string idempotency_key;
    std::string campaign_id;
    std::int64_t iteration_seq = 0;
    std::string report;
    std::int64_t queued_at_us = 0;
};

class CampaignDb {
  public:
    static Result<CampaignDb> open(const std::string& path);
    CampaignDb(CampaignDb&&) noexcept;
    CampaignDb& operator=(CampaignDb&&) noexcept;
    ~CampaignDb();

    // Inserts the campaign and its iteration rows (and the first transitions row: "start"). Refused
    // (Errc::conflict) while another campaign is unfinished, or when the id was used before.
    Status create(const CampaignRecord& campaign, const std::vector<IterationRecord>& iterations);

    Result<std::optional<CampaignRecord>> active();  // the unfinished campaign, if any
    Result<std::optional<CampaignRecord>> latest();  // the most recently created one
    Result<std::optional<CampaignRecord>> find(const std::string& id);
    Result<std::vector<IterationRecord>> iterations(const std::string& campaign_id);
    Result<IterationRecord> iteration(const std::string& campaign_id, std::int64_t seq);
    Result<std::vector<TransitionRecord>> transitions(const std::string& campaign_id);

    // One durable transition: `after` replaces the campaign row and `iteration` (when given) its row,
    // and one campaign_transitions row is appended — only while the stored state is still `from`
    // (otherwise Errc::conflict, nothing written). The checkpoint hook is called inside the
    // transaction just before COMMIT ("transition:N:before") and after it ("transition:N:after").
    Status commit(State from, const CampaignRecord& after, const IterationRecord* iteration,
                  std::string_view note, const std::string& boot_id, std::int64_t at_us);

    // Outside the state machine: counts a failed try of the current step.
    Status record_attempt(const std::string& campaign_id, std::uint32_t attempts, const std::string& error,
                          std::int64_t at_us);
    // Sets cancel_requested; the engine cancels at its next step. Errc::not_found / conflict (finished).
    Status request_cancel(const std::string& campaign_id, std::int64_t at_us);

    // The result queue (DbResultSink). Inserting an existing key changes nothing.
    Status enqueue_result(const QueuedResult& result);
    Result<std::vector<QueuedResult>> results(const std::string& campaign_id);

    // Test and crash-injection instrumentation (see Engine::Options::checkpoint).
    void set_checkpoint(std::function<void(std::string_view)> hook);

  private:
    struct Impl;
    explicit CampaignDb(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace bp::campaign
