// The store's symbolization pass, shared by Ingest::on_finish and AgentStore::symbolize.
#pragma once

#include <cstdint>

#include "bootprint/footprint/frame_symbolizer.hpp"
#include "bootprint/store/ingest.hpp"
#include "store/sqlite.hpp"

namespace bp::store::detail {

// Replaces the trace's frames, stack_frames and image_symbols rows (inside the caller's transaction).
Result<SymbolizeCounts> symbolize_trace(sqlite::Database& db, std::int64_t trace_id, footprint::FrameSymbolizer& sym);

}  // namespace bp::store::detail
