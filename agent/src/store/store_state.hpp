// State shared by an AgentStore and its Ingest objects (one connection), and the pool re-summarizer
// both use: at ingest for the stored whole-trace table, at query time for a custom window.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bootprint/footprint/model.hpp"
#include "bootprint/store/agent_store.hpp"
#include "store/sqlite.hpp"

namespace bp::store::detail {

struct StoreState {
    explicit StoreState(sqlite::Database database) : db(std::move(database)) {}
    sqlite::Database db;
    int schema_version = 0;
    bool ingest_active = false;  // at most one Ingest per connection (it owns the write transaction)
};

// "stack,pooltag": the footprint::Attribution values whose bit (1 << value) is set, in enum order.
std::string attribution_list(unsigned mask);

// The store's pool table rows for one trace from the summarizer's groups, with the attribution column.
std::vector<PoolTableRow> pool_table_rows(std::int64_t trace_id, std::vector<footprint::PoolSummaryRow> rows);

// Streams the pool_allocations rows of one trace (optionally only those whose printable tag is `tag`)
// through footprint::PoolSummarizer for `window`. Memory: the summarizer's, not the rows'.
Result<std::vector<PoolTableRow>> summarize_pool_rows(sqlite::Database& db, std::int64_t trace_id,
                                                      const footprint::Window& window,
                                                      const std::optional<std::string>& tag);

}  // namespace bp::store::detail
