// From an .etl file to footprint rows: one time-ordered pass that tracks pool lifetimes, attaches
// stacks, attributes modules, aggregates the resident set and MemInfo, and hands every row to a sink
// as soon as it is final (so memory follows live allocations, not the file's size).
//
//   PoolTagMap tags;                         // optional pooltag.txt fallback
//   AnalyzerOptions opt;  opt.pooltags = &tags;
//   MySink sink;                             // e.g. the SQLite store's ingest transaction
//   BP_TRY(TraceInfo info, analyze_trace(file, opt, sink));
#pragma once

#include <functional>
#include <string>

#include "bootprint/common/result.hpp"
#include "bootprint/etl/etl_file.hpp"
#include "bootprint/footprint/model.hpp"
#include "bootprint/footprint/pooltag_map.hpp"

namespace bp::footprint {

// Receives rows as they become final: stacks (a stack before any pool row that refers to it), pool
// rows, pool snapshot rows and MemInfo samples during the pass; at the end the remaining pool rows,
// the resident-set rows, the kernel-mode images (with their PDB identity), then finish().
// Any error returned stops the analysis and is passed on.
class FootprintSink {
public:
    virtual ~FootprintSink() = default;
    virtual Status on_image(const Image& image) = 0;
    virtual Status on_stack(const Stack& stack) = 0;
    virtual Status on_pool_allocation(const PoolAllocation& row) = 0;
    // Early-sent rows (only with AnalyzerOptions::send_open_after): a row open for that long is sent
    // as it stands (not freed, free fields empty) through on_pool_open, so that a store can write it
    // while the pass goes on instead of after the last event; its complete form follows later, once,
    // through on_pool_closed with the same PoolAllocation::row — freed, or still open at the end.
    // Only the fields a free sets (freed, free_time, implicitly_freed, free_stack_id) can differ.
    // By default an early row is ignored and its complete form is an ordinary row.
    virtual Status on_pool_open(const PoolAllocation& row) {
        (void)row;
        return {};
    }
    virtual Status on_pool_closed(const PoolAllocation& row) { return on_pool_allocation(row); }
    // Whether on_pool_closed matters for an early row still open at the end, whose complete form is
    // its early form. A sink that stored the early form says no, and a ThreadedSink in front of it
    // then keeps such calls (2 M on the benchmark trace) on its producer's thread.
    virtual bool wants_unchanged_closes() const { return true; }
    virtual Status on_pool_snap(const PoolSnapRow& row) = 0;
    virtual Status on_resident(const ResidentRow& row) = 0;
    virtual Status on_meminfo(const MemInfoSample& sample) = 0;
    // Called once at the end with the trace facts and the whole-trace window in raw clock units.
    virtual Status on_finish(const TraceInfo& info, const Window& whole_trace) = 0;
};

struct AnalyzerOptions {
    const PoolTagMap* pooltags = nullptr;  // fallback attribution for rows without a stack
    // Progress: called now and then with the bytes of the file consumed so far (buffers loaded).
    std::function<void(std::uint64_t done, std::uint64_t total)> progress;
    std::string sha256;  // filled into TraceInfo when the caller computed it
    // Polled now and then (every `poll_every` events, with `progress`): an error stops the analysis and is
    // returned as its result (a caller's reason to stop, e.g. the file turned out to be known).
    std::function<Status()> check;
    // Seconds of trace time after which a row still open is sent early (FootprintSink::on_pool_open);
    // 0: never, every row is sent once, complete.
    double send_open_after = 0;
    // Events between two looks at the clock for the periodic work (expiring closed rows, early rows,
    // progress, check). Small values are for tests and fuzzing.
    std::uint32_t poll_every = 65536;
};

Result<TraceInfo> analyze_trace(const etl::EtlFile& file, const AnalyzerOptions& options, FootprintSink& sink);

}  // namespace bp::footprint
