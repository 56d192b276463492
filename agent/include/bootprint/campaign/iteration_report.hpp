// The iteration report (schema/report/v1.schema.json), built from the agent store after ingest: the
// trace's facts, its whole-trace pool table, per-driver resident code and resident-set totals, with
// the campaign's labels and DisablePagingExecutive bookkeeping.
#pragma once

#include <cstdint>
#include <string>

#include "bootprint/campaign/campaign.hpp"
#include "bootprint/common/result.hpp"
#include "bootprint/store/agent_store.hpp"

namespace bp::campaign {

struct ReportContext {
    std::string agent_id;
    std::string agent_version;
    std::string machine;
    const CampaignRecord* campaign = nullptr;
    const IterationRecord* iteration = nullptr;
};

// "agent/campaign/seq/sha256": stable for one trace of one iteration.
std::string idempotency_key(const std::string& agent_id, const std::string& campaign_id, std::int64_t seq,
                            const std::string& sha256);

// The report as JSON text. Errc::not_found when the iteration's trace is not in the store.
Result<std::string> build_iteration_report(store::AgentStore& store, const ReportContext& context);

}  // namespace bp::campaign
