// From a validated report (bootprint::report) to what the controller stores: the identifying fields and
// the history samples.
//
// Samples of a version-1 report:
//   tag/<TAG>/{impacting_size,size,count}   Σ over the pool rows of the tag (every module, paged or not)
//   tag/<TAG>/{paged,nonpaged}_impacting_size   Σ impacting size of its paged / non-paged rows
//   driver/<NAME>/{active_bytes,standby_bytes}
//   total/pool/{impacting_size,size,count}  Σ over every pool row
//   total/drivers/active_bytes              Σ over every driver
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "bootprint/common/result.hpp"
#include "bootprint/controller/controller_store.hpp"

namespace bp::controller {

// `doc` must have passed report::validate_report; `body` is the text it was parsed from.
Result<ReportFacts> report_facts(const nlohmann::json& doc, std::string body);

}  // namespace bp::controller
