// One .etl file into the store, the way `bootprint ingest` and the benchmarks do it: the file's SHA-256
// is computed on its own thread while the analysis runs on the caller's and the SQLite inserts on a
// third (footprint::ThreadedSink). A file already in the store is recognised as soon as its hash is
// known: the analysis stops there and nothing is written.
//
//   store::IngestFileOptions options;
//   options.labels = labels;
//   BP_TRY(auto outcome, store::ingest_etl_file(store, "boot.etl", options));
//   if (outcome.duplicate) ...  // outcome.trace_id is the trace stored earlier
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "bootprint/common/result.hpp"
#include "bootprint/footprint/frame_symbolizer.hpp"
#include "bootprint/footprint/model.hpp"
#include "bootprint/footprint/pooltag_map.hpp"
#include "bootprint/store/agent_store.hpp"
#include "bootprint/store/ingest.hpp"

namespace bp::store {

struct IngestFileOptions {
    footprint::Labels labels;
    const footprint::PoolTagMap* pooltags = nullptr;  // fallback attribution (`--pooltag`)
    footprint::FrameSymbolizer* symbolizer = nullptr;
    bool lenient = false;   // etl::ReaderOptions::lenient
    bool identify = true;   // false: no SHA-256 pass (a throw-away store); the trace is recorded as 64 zeros
    // Rows still open after this many seconds of trace time are written while the analysis goes on
    // (footprint::AnalyzerOptions::send_open_after; a later free goes to pool_late_frees); 0: every
    // row is written once complete, those still open at the end after the last event.
    double send_open_after = 3.0;
    // Called now and then from the caller's thread with the bytes of the file analysed so far.
    std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

struct IngestFileOutcome {
    std::int64_t trace_id = 0;
    bool duplicate = false;  // the store held the file already (trace_id is that trace); nothing written
    std::string sha256;
    IngestCounts counts;
    std::uint64_t events = 0;  // events the analysis read (0 for a duplicate)
    double seconds = 0;
    std::uint64_t bytes = 0;
};

Result<IngestFileOutcome> ingest_etl_file(AgentStore& store, const std::string& path,
                                          const IngestFileOptions& options = {});

}  // namespace bp::store
