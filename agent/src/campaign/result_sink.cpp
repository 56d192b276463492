#include "bootprint/campaign/result_sink.hpp"

namespace bp::campaign {

Status DbResultSink::enqueue(const ReportEnvelope& report) {
    return db_.enqueue_result({report.idempotency_key, report.campaign_id, report.iteration_seq,
                               report.report_json, clock_.now_us()});
}

}  // namespace bp::campaign
