// One build's values for build-vs-build comparison (footprint/compare.hpp), read from an agent store:
// the same series the controller compares (docs/regressions.md) — per tag the non-paged and paged
// impacting size of the whole-trace pool table, per driver (file name) the Active code bytes of the last
// resident-set snapshot — one value per ingested trace (iteration) that the filter selects.
#pragma once

#include "bootprint/common/result.hpp"
#include "bootprint/footprint/compare.hpp"
#include "bootprint/store/agent_store.hpp"

namespace bp::store {

// not_found when no trace matches the filter.
Result<footprint::BuildValues> build_values(AgentStore& store, const TraceFilter& filter);

}  // namespace bp::store
