// The campaign engine: the persisted state machine of docs/campaign.md. Each step() reads the active
// campaign from the database, does the work of its state (idempotently: it may be a re-run after a
// crash), and commits exactly one transition. The world is reached only through host ports.
//
//   BP_TRY(auto store, store::AgentStore::open(db_path));
//   BP_TRY(auto db, CampaignDb::open(db_path));
//   DbResultSink sink(db, host.clock);
//   Engine engine(host, db, store, sink, {});
//   BP_TRY(StepOutcome last, engine.run());   // until a reboot is requested or the campaign ends
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "bootprint/campaign/campaign.hpp"
#include "bootprint/campaign/campaign_db.hpp"
#include "bootprint/campaign/result_sink.hpp"
#include "bootprint/common/result.hpp"
#include "bootprint/host/host.hpp"
#include "bootprint/store/agent_store.hpp"

namespace bp::campaign {

enum class StepOutcome : std::uint8_t {
    advanced,   // one transition committed; call step() again
    retry,      // the step failed and will be tried again (its attempts are counted, bounded)
    rebooting,  // a reboot was requested: do nothing more in this boot
    idle,       // no unfinished campaign
    done,
    failed,
    cancelled,
};
const char* to_string(StepOutcome outcome);

struct EngineOptions {
    std::string agent_id;  // report agent.id; empty: the host's machine name
    std::string agent_version = "0.1.0";
    std::uint32_t max_step_attempts = 5;            // tries of one step before the campaign fails
    std::chrono::milliseconds retry_backoff{5000};  // between tries of a failed step (host clock)
    // Instrumentation for crash tests: called at "transition:N:before" (inside the transaction),
    // "transition:N:after", "ingest" (rows written, not committed) and "queue" (report enqueued,
    // transition not committed).
    std::function<void(std::string_view point)> checkpoint;
};

// Validates the spec, generates its profile groups and creates the campaign with one iteration row
// per (group, iteration). Nothing happens on the machine until the engine runs.
Result<CampaignRecord> start_campaign(CampaignDb& db, CampaignSpec spec, const std::string& machine,
                                      host::Clock& clock);

class Engine {
  public:
    Engine(host::Host host, CampaignDb& db, store::AgentStore& store, ResultSink& sink,
           EngineOptions options = {});

    // One step of the active campaign. Errors only when the database itself cannot be used.
    Result<StepOutcome> step();
    // Steps until rebooting, idle, done, failed or cancelled.
    Result<StepOutcome> run();

  private:
    struct Work;
    host::Host host_;
    CampaignDb& db_;
    store::AgentStore& store_;
    ResultSink& sink_;
    EngineOptions options_;
};

}  // namespace bp::campaign
