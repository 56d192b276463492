// Port: "queue this iteration's result for the controller". The engine calls enqueue() once per
// ingested iteration — and again, with the same key, if the agent died before it recorded that it
// did: implementations must treat a key they already hold as success without a second copy. The
// lead binds the report outbox (agent/src/report) here; DbResultSink keeps the reports in the
// campaign_results table until then.
#pragma once

#include <cstdint>
#include <string>

#include "bootprint/campaign/campaign_db.hpp"
#include "bootprint/common/result.hpp"
#include "bootprint/host/clock.hpp"

namespace bp::campaign {

struct ReportEnvelope {
    std::string idempotency_key;  // agent/campaign/iteration/trace sha256
    std::string campaign_id;
    std::int64_t iteration_seq = 0;
    std::string report_json;  // bootprint.report v1
};

class ResultSink {
  public:
    virtual ~ResultSink() = default;
    virtual Status enqueue(const ReportEnvelope& report) = 0;
};

class DbResultSink final : public ResultSink {
  public:
    DbResultSink(CampaignDb& db, host::Clock& clock) : db_(db), clock_(clock) {}
    Status enqueue(const ReportEnvelope& report) override;

  private:
    CampaignDb& db_;
    host::Clock& clock_;
};

}  // namespace bp::campaign
