// The agent's footprint store: a SQLite file holding ingested boot traces and their footprint rows
// (schema/agent/*.sql), and the queries the CLI and the campaign report run on it.
//
//   BP_TRY(auto store, AgentStore::open("fp.db"));
//   BP_TRY(std::string digest, sha256_file(path));
//   BP_TRY(auto known, store.find_trace(digest));
//   if (known) { /* already ingested as trace *known: skip before analysing */ }
//   BP_TRY(auto ingest, store.begin_ingest(facts_for(file, digest, labels)));
//   ... analyze_trace(file, options, *ingest) ... ingest->commit();
//   PoolQuery q;  q.traces.campaign = "nightly";  q.tag = "Ntfx";
//   BP_TRY(auto rows, store.pool_table(q));
//
// Not thread-safe: one AgentStore per thread, at most one ingest at a time per AgentStore. Several
// processes may open the same file (WAL; writers wait up to 5 s for the lock).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bootprint/common/result.hpp"
#include "bootprint/footprint/model.hpp"
#include "bootprint/footprint/summary.hpp"
#include "bootprint/store/ingest.hpp"

namespace bp::store {

// An ingested trace as the traces table holds it.
struct TraceRecord {
    std::int64_t id = 0;
    footprint::TraceInfo info;  // info.path is the file as given at ingest
    footprint::Labels labels;
    std::int64_t clock_origin = 0;
    std::int64_t clock_frequency = 10'000'000;
    footprint::Window window;  // the whole-trace window (raw ticks)
    std::uint64_t pool_rows = 0;
    std::uint64_t resident_rows = 0;
    std::string ingested_at;  // "2025-01-31T12:00:00Z"

    // Raw clock ticks of a time given in seconds since the trace start.
    std::int64_t ticks_at(double seconds) const;
};

// Which traces a query covers; unset fields match everything.
struct TraceFilter {
    std::optional<std::int64_t> trace_id;
    std::optional<std::string> campaign;
    std::optional<std::int64_t> iteration;
    std::optional<std::string> build;
    std::optional<std::string> machine;
};

struct PoolQuery {
    TraceFilter traces;
    std::optional<std::string> tag;  // exact, as WPA prints it ("Ntfx", "Irp")
    std::optional<bool> paged;
    // The window in seconds since each trace's start. Neither set: the whole trace, read from the
    // summary stored at ingest. Otherwise the rows are re-summarized (an unset end is the trace's end,
    // an unset start the trace's first event).
    std::optional<double> from_seconds;
    std::optional<double> to_seconds;
};

struct PoolTableRow {
    std::int64_t trace_id = 0;
    footprint::PoolSummaryRow row;
    std::string attribution;  // how the group's rows got their module: "stack", "pooltag,none", ...
};

struct ResidentQuery {
    TraceFilter traces;
    std::optional<std::string> category;  // case-insensitive ("Driver")
    std::optional<std::string> list;      // case-insensitive ("Active")
    std::optional<std::uint32_t> snapshot;
};

struct ResidentTableRow {
    std::int64_t trace_id = 0;
    footprint::ResidentRow row;
};

struct CampaignQuery {
    std::string campaign;
    std::optional<std::string> build;
    std::optional<std::string> machine;
};

// One quantity of one tag or driver across the campaign's iterations (one value per trace).
struct SeriesStats {
    std::string build;         // the series are kept apart per build label ("" when none)
    std::string key;           // pool tag, or driver path
    std::size_t present = 0;   // iterations in which the tag/driver appears; the others count as 0
    footprint::Spread spread;  // over every iteration of the build: n, median, min, max, MAD
};

struct CampaignSummary {
    std::string campaign;
    std::vector<TraceRecord> iterations;  // by build, iteration, trace id
    // Per pool tag: Σ impacting size (bytes) of the whole-trace pool table; median descending.
    std::vector<SeriesStats> tags;
    // Per driver path: resident code bytes, category "Driver", list "Active", of the last snapshot.
    std::vector<SeriesStats> drivers;
};

// Pool allocations grouped by the function that made them: the first frame of the allocation's stack
// outside the kernel's allocator (docs/symbols.md, "the grouping frame").
struct FunctionQuery {
    TraceFilter traces;
    std::optional<std::string> tag;     // exact, as printed
    std::optional<std::string> module;  // the rows' Pool Tag Module, case-insensitive
};

struct FunctionRow {
    std::int64_t trace_id = 0;
    std::string tag;
    std::string module;      // the pool rows' module (attribution)
    std::string function;    // "ACPI.sys!ACPIInitStartACPI", "ACPI.sys+0x1234", "(no stack)"
    bool approximate = false;  // named from a public symbol
    std::uint64_t count = 0;   // allocations made in the trace
    std::uint64_t size = 0;    // their bytes
    std::uint64_t outstanding_count = 0;  // of which not freed by the trace's end
    std::uint64_t outstanding_size = 0;
};

// One frame of a stored stack, as `bootprint stacks` prints it.
struct FrameInfo {
    std::string text;      // "ACPI.sys!Fn+0x15" / "ACPI.sys+0x1234" / "0x..."
    std::string label;     // the tree's node: "ACPI.sys!Fn" (no offset) or `text` when no function
    bool in_kernel = false;
    bool approximate = false;
};

// The allocation stacks of one tag: one entry per distinct stack with its allocations.
struct TagStack {
    std::int64_t trace_id = 0;
    std::uint32_t stack_id = 0;  // 0: allocations without a stack
    std::uint64_t count = 0;
    std::uint64_t size = 0;
    std::vector<FrameInfo> frames;  // innermost first
};

// Whether a function name is one of the kernel's allocation paths (ExAllocatePool*, ExpAllocate*, the
// pool tracker, the ETW logger): such kernel frames are skipped when looking for the allocating function.
bool is_allocator_function(std::string_view function);

class AgentStore {
  public:
    struct OpenOptions {
        bool create = true;  // false: a missing file is Errc::not_found
    };
    // Opens (or creates) the database and applies pending migrations. A database whose schema version
    // is newer than this binary's is refused (Errc::unsupported) and left untouched.
    static Result<AgentStore> open(const std::string& path, OpenOptions options);
    static Result<AgentStore> open(const std::string& path) { return open(path, OpenOptions{}); }
    // A private database in a temporary file that SQLite deletes on close: the same ingest and
    // queries for a single .etl without a database file (memory stays flat in the trace's size).
    static Result<AgentStore> open_temporary();

    AgentStore(AgentStore&&) noexcept;
    AgentStore& operator=(AgentStore&&) noexcept;
    ~AgentStore();

    int schema_version() const;
    const std::string& path() const;

    // The trace with this SHA-256, if any.
    Result<std::optional<std::int64_t>> find_trace(const std::string& sha256);
    // Starts an ingest in one write transaction. A trace with the same sha256 already in the store is
    // Errc::conflict ("already ingested as trace N") and changes nothing; so is a second concurrent
    // ingest on this AgentStore. The Ingest keeps the connection alive; use it from this thread.
    Result<std::unique_ptr<Ingest>> begin_ingest(const TraceFacts& facts);

    Result<std::vector<TraceRecord>> traces(const TraceFilter& filter = {});
    // WPA's pool table per selected trace: the trace's rows in the order of PoolSummarizer::finish.
    Result<std::vector<PoolTableRow>> pool_table(const PoolQuery& query);
    // Resident-set rows per selected trace: by trace, snapshot, pages descending.
    Result<std::vector<ResidentTableRow>> resident_set(const ResidentQuery& query);
    Result<CampaignSummary> campaign_summary(const CampaignQuery& query);
    // Rewrites the trace's symbolized frames (frames, stack_frames, image_symbols) in one transaction:
    // for traces ingested before their PDBs were in a store. Errc::not_found for an unknown trace.
    Result<SymbolizeCounts> symbolize(std::int64_t trace_id, footprint::FrameSymbolizer& symbolizer);
    // Allocations per (trace, tag, module, grouping function), by size descending.
    Result<std::vector<FunctionRow>> pool_by_function(const FunctionQuery& query);
    // The allocation stacks of `tag` per selected trace, by size descending.
    Result<std::vector<TagStack>> tag_stacks(const TraceFilter& traces, const std::string& tag);
    // Rows per table and view (diagnostics and tests).
    Result<std::map<std::string, std::int64_t>> table_row_counts();

  private:
    explicit AgentStore(std::shared_ptr<detail::StoreState> state);
    std::shared_ptr<detail::StoreState> state_;
};

}  // namespace bp::store
