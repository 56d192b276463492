// The footprint data model: what one boot trace yields (images, stacks, one row per pool allocation
// lifetime, pool snapshots, resident-set rows, MemInfo samples) before it goes to the store. Plain
// aggregates; the rules that produce them are in pool_tracker.hpp and resident_set.hpp, after
// docs/kernel-events.md §2–§4 of the shared notes (WPA's perf_pool/perf_memory behaviour).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bootprint/common/guid.hpp"

namespace bp::footprint {

inline constexpr std::uint32_t kNoSession = 0xFFFFFFFF;

// Facts about the trace file itself.
struct TraceInfo {
    std::string path;
    std::string sha256;  // hex, lower case
    std::uint64_t bytes = 0;
    std::string os_version;  // "10.0"
    std::uint32_t os_build = 0;
    std::uint32_t pointer_size = 0;
    std::uint32_t processors = 0;
    std::int64_t start_time = 0;  // FILETIME (UTC) of the session start
    std::int64_t end_time = 0;    // FILETIME of the last event
    std::int64_t boot_time = 0;   // FILETIME
    std::uint64_t events = 0;
    std::uint64_t events_lost = 0;       // logfile header EventsLost
    std::uint64_t buffers_lost = 0;      // logfile header BuffersLost
    std::uint64_t lost_flagged_buffers = 0;  // buffers flagged EVENTS_LOST/BUFFER_LOST
    std::uint64_t malformed_events = 0;  // typed decode length mismatches (counted, not guessed)
    std::uint64_t peak_live_allocations = 0;  // most pool rows open at once: what the analyzer's memory follows
    std::uint64_t unknown_records = 0;
};

// Labels attached to a trace at ingest.
struct Labels {
    std::string campaign;
    std::int64_t iteration = -1;  // -1: not part of a campaign
    std::string build;
    std::string machine;
};

struct Image {
    std::uint32_t id = 0;  // 1-based within the trace
    std::uint64_t base = 0;
    std::uint64_t size = 0;
    std::uint32_t process_id = 0;  // 0 for kernel-mode images
    std::string path;              // NT path as logged
    std::string name;              // file name ("ACPI.sys")
    std::uint32_t checksum = 0;
    std::uint32_t time_date_stamp = 0;
    std::int64_t load_time = 0;    // FILETIME; 0 when known only from a rundown
    std::int64_t unload_time = 0;  // FILETIME; 0 when still loaded at the end
    std::optional<Guid> pdb_guid;  // from KernelTraceControl DbgID_RSDS
    std::uint32_t pdb_age = 0;
    std::string pdb_name;
};

// How a pool row got its module.
enum class Attribution : std::uint8_t {
    stack,        // first frame outside the kernel image
    kernel_only,  // every frame in the kernel image: the kernel image
    pooltag,      // no stack; the pooltag.txt-format file maps the tag
    none,         // no stack and no mapping: module "Unknown"
};
const char* to_string(Attribution a);

// A deduplicated call stack (frame 0 = innermost return address).
struct Stack {
    std::uint32_t id = 0;  // 1-based; 0 means "no stack"
    std::vector<std::uint64_t> frames;
    std::uint32_t module_image_id = 0;  // attributed image (0 = none)
    std::string module;                 // its name, "Unknown" when none
    Attribution attribution = Attribution::none;
};

// One pool allocation lifetime (kernel-events.md §3.4).
struct PoolAllocation {
    std::uint32_t tag = 0;
    std::uint32_t pool_type = 0;  // as logged
    std::uint64_t size = 0;       // the allocation's NumberOfBytes (the free's for allocated-outside rows)
    std::uint64_t address = 0;
    std::uint32_t session_id = kNoSession;
    bool alloc_known = true;     // false: "allocated outside" (a free without allocation, or a rundown entry)
    std::int64_t alloc_time = 0;  // raw clock; meaningful when alloc_known
    bool freed = false;          // false: still allocated at the end ("freed outside")
    std::int64_t free_time = 0;  // raw clock; meaningful when freed
    bool implicitly_freed = false;  // closed because its address was allocated again (lost free)
    std::uint32_t process_id = 0xFFFFFFFF;
    std::uint32_t thread_id = 0xFFFFFFFF;
    std::uint32_t alloc_stack_id = 0;
    std::uint32_t free_stack_id = 0;
    std::string module;  // Pool Tag Module
    Attribution attribution = Attribution::none;
    // The analyzer numbers pool rows 1, 2, ... in the order it first hands them to the sink (an
    // early-sent row keeps its number when its complete form follows); 0 for rows made elsewhere.
    std::uint64_t row = 0;
};

// AIFI/AOFI/AIFO/AOFO against a window (WPA perf_pool rule, kernel-events.md §3.2).
enum class PoolLifetimeType : std::uint8_t { aifi = 0, aofi = 1, aifo = 2, aofo = 3 };
const char* to_string(PoolLifetimeType t);
// "Impacting" (AIFO, AOFI), "Transient" (AIFI), "Persistent" (AOFO).
const char* impacting_label(PoolLifetimeType t);

// A time window in raw clock units; [start, end).
struct Window {
    std::int64_t start = 0;
    std::int64_t end = 0;
};
PoolLifetimeType classify(const PoolAllocation& row, const Window& w);

// One row of WPA's pool table grouped by (tag, module, paged, type).
struct PoolSummaryRow {
    std::string tag;
    std::string module;
    bool paged = false;
    PoolLifetimeType type = PoolLifetimeType::aifi;
    std::uint64_t count = 0;
    std::uint64_t size = 0;            // Σ size
    std::int64_t impacting_size = 0;   // Σ AIFO − Σ AOFI
    std::uint64_t peak_outstanding = 0;  // max over the window of Σ size with A ≤ t < F (this group)
    unsigned attributions = 0;  // bit (1 << Attribution) for each way the group's rows got their module
};

// Pool snapshot (PoolSnap DC start/end) per tag.
struct PoolSnapRow {
    bool at_end = false;
    std::uint32_t session_id = kNoSession;
    std::string tag;
    std::uint64_t paged_allocs = 0, paged_frees = 0, paged_used = 0;
    std::uint64_t nonpaged_allocs = 0, nonpaged_frees = 0, nonpaged_used = 0;
};

// Resident set, aggregated: pages of one (snapshot, category, path, list).
struct ResidentRow {
    std::uint32_t snapshot = 0;
    std::string category;  // Driver, DriverFile, Image, MapFile, PagedPool, NonPagedPool, SystemPage, ...
    std::string path;      // file path, pool description, or "" when none
    std::string list;      // Active, Standby, Modified, ModifiedNoWrite, Transition, Zero, Free, Bad
    std::uint64_t pages = 0;
    std::uint64_t bytes() const { return pages * 4096; }
};

// One MemInfo sample (pages).
struct MemInfoSample {
    std::int64_t time = 0;  // FILETIME
    std::uint64_t zero = 0, free = 0, modified = 0, standby = 0;
    std::uint64_t paged_pool_commit = 0, nonpaged_pool = 0, commit = 0;
};

}  // namespace bp::footprint
