// One trace going into the store: a FootprintSink that streams the analyzer's rows straight into
// SQLite inside one transaction (prepared statements reused, nothing buffered per row), and at
// on_finish() writes the per-trace summaries (WPA pool table for the whole-trace window, per-driver
// resident code). commit() makes it visible; destroying it uncommitted, or any error, leaves nothing.
//
//   BP_TRY(auto ingest, store.begin_ingest(facts_for(file, digest, labels)));
//   BP_TRY(footprint::TraceInfo info, footprint::analyze_trace(file, options, *ingest));
//   BP_TRY_STATUS(ingest->commit());
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bootprint/common/result.hpp"
#include "bootprint/etl/etl_file.hpp"
#include "bootprint/footprint/analyzer.hpp"
#include "bootprint/footprint/frame_symbolizer.hpp"
#include "bootprint/footprint/model.hpp"
#include "bootprint/footprint/summary.hpp"

namespace bp::store {

namespace detail {
struct StoreState;
}

// What is known about a trace before analysis: enough to detect a duplicate and to turn seconds
// since the trace start into the raw clock ticks that pool rows carry.
struct TraceFacts {
    std::string path;
    // 64 lower-case hex digits (sha256_file). Empty: not known yet (hashing overlaps the analysis,
    // ingest_etl_file); it is then given to commit(sha256), which refuses a duplicate.
    std::string sha256;
    std::uint64_t bytes = 0;
    std::int64_t clock_origin = 0;              // raw tick at the session start (seconds_since_start == 0)
    std::int64_t clock_frequency = 10'000'000;  // raw ticks per second
    footprint::Labels labels;
    // Names the stacks' frames at on_finish (frames, stack_frames, image_symbols tables); null: every
    // frame stays module+offset (footprint::NoSymbols). Used on the sink's thread only.
    footprint::FrameSymbolizer* symbolizer = nullptr;
};

// The facts of an opened trace file.
TraceFacts facts_for(const etl::EtlFile& file, std::string sha256, footprint::Labels labels = {});

struct IngestCounts {
    std::uint64_t images = 0;
    std::uint64_t stacks = 0;
    std::uint64_t pool_rows = 0;
    std::uint64_t late_frees = 0;  // frees of rows written early, in pool_late_frees
    std::uint64_t pool_snaps = 0;
    std::uint64_t resident_rows = 0;
    std::uint64_t meminfo_samples = 0;
    std::uint64_t summary_rows = 0;  // pool_summary rows written at on_finish
    std::uint64_t driver_rows = 0;   // driver_code rows written at on_finish
    std::uint64_t frames = 0;        // distinct frames written at on_finish
    std::uint64_t frames_named = 0;  // of which a function was found for
};

// What a symbolization pass wrote for one trace.
struct SymbolizeCounts {
    std::uint64_t stacks = 0;
    std::uint64_t frames = 0;        // distinct (address, caller) frames
    std::uint64_t frames_named = 0;  // with a function
    struct ImageRow {
        std::uint32_t image_id = 0;
        std::string name;
        footprint::ImageSymbolStatus status;
    };
    std::vector<ImageRow> images;
};

class Ingest final : public footprint::FootprintSink {
  public:
    ~Ingest() override;  // rolls back unless committed
    Ingest(const Ingest&) = delete;
    Ingest& operator=(const Ingest&) = delete;

    Status on_image(const footprint::Image& image) override;
    Status on_stack(const footprint::Stack& stack) override;
    Status on_pool_allocation(const footprint::PoolAllocation& row) override;
    // Early rows are written at once; a later free goes to pool_late_frees (schema 005).
    Status on_pool_open(const footprint::PoolAllocation& row) override;
    Status on_pool_closed(const footprint::PoolAllocation& row) override;
    // Only while it feeds the pool table itself (pool_table_feed() not taken).
    bool wants_unchanged_closes() const override;
    Status on_pool_snap(const footprint::PoolSnapRow& row) override;
    Status on_resident(const footprint::ResidentRow& row) override;
    Status on_meminfo(const footprint::MemInfoSample& sample) override;
    Status on_finish(const footprint::TraceInfo& info, const footprint::Window& whole_trace) override;

    // Makes the trace visible. Only after on_finish(); once an error was returned, commit() returns it.
    Status commit();
    // The same, for an ingest begun without a sha256: records it, or fails with Errc::conflict (and
    // rolls back) when the store already holds a trace with that sha256.
    Status commit(const std::string& sha256);
    // For an ingest begun without a sha256: the trace already stored under `sha256`, if any. Answers
    // from the traces as of begin_ingest (its write lock keeps others out since); callable from any
    // thread, while the rows stream into the ingest on another.
    std::optional<std::int64_t> known_trace(const std::string& sha256) const;

    std::int64_t trace_id() const;
    const IngestCounts& counts() const;
    // The whole-trace pool table this ingest stores at on_finish. Taking it means the caller feeds it
    // every pool row itself (footprint::ThreadedSink::feed_on_this_thread: on the analysis thread)
    // before on_finish; the ingest then no longer does.
    std::shared_ptr<footprint::WholeTracePoolTable> pool_table_feed();

  private:
    friend class AgentStore;
    struct Impl;
    explicit Ingest(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace bp::store
