// The boot-trace writer: a scenario (JSON) → a kernel .etl of one boot, as WPR's Pool usage + Resident
// Set profiles would record it: logfile header and group masks, process rundown, the kernel and driver
// images (rundown or load), pool allocations and frees (plain, session, big pool) each followed by its
// stack walk, optional pool snapshots, and at the end the resident-set rundown (MemInfo, FileIo name
// rundown, one page event per physical page). A seed and the boot number vary counts, sizes and
// timings from boot to boot, the way real boots vary. It serves the simulated lab, tests, benchmarks.
//
//   BP_TRY(auto scenario, bp::writer::parse_scenario(text, "lab.json"));
//   bp::writer::BootTraceOptions opt;  opt.boot = 3;
//   BP_TRY(auto summary, bp::writer::write_boot_trace(scenario, "iter-3.etl", opt));
//
// Generation streams in time slices with a heap of pending frees: memory follows the live
// allocations, so multi-gigabyte traces can be written for benchmarks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bootprint/common/guid.hpp"
#include "bootprint/common/result.hpp"
#include "bootprint/writer/etl_writer.hpp"

namespace bp::writer {

struct ScenarioDriver {
    std::string name;            // "ACPI.sys"
    std::string path;            // NT path; default \SystemRoot\System32\drivers\<name>
    std::uint64_t base = 0;      // 0: laid out automatically after the kernel
    std::uint64_t size = 0x40000;
    double load_at_s = -1;       // < 0: present at trace start (image rundown); else Image/Load then
    std::uint32_t code_pages = 0;     // resident Active image pages at the end (the driver's code)
    std::uint32_t standby_pages = 0;  // resident Standby image pages
    std::uint32_t data_pages = 0;     // pages of the .sys read as a data file (DriverFile)
    double pages_jitter = 0;          // ± fraction per boot
    // The image's PDB identity, written as KernelTraceControl's DbgID_RSDS event next to the image
    // event (as WPR merges it): "pdb": {"guid": "{...}", "age": 1, "name": "ACPI.pdb"}.
    std::optional<Guid> pdb_guid;
    std::uint32_t pdb_age = 1;
    std::string pdb_name;
};

// A family of pool allocations generated per boot.
struct ScenarioPool {
    std::string tag;                 // 1–4 characters
    std::string driver;              // allocating driver (a ScenarioDriver name or the kernel's name)
    bool paged = false;
    bool nx = true;                  // non-paged only: NonPagedPoolNx
    std::optional<std::uint32_t> session;  // session pool (0x0E21/0x0E23) in this session
    std::uint64_t size = 256;        // bytes; > 0xFE0 makes it big pool
    std::uint64_t size_jitter = 0;   // ± bytes, uniform
    double count = 100;              // allocations per boot
    double count_jitter = 0;         // ± fraction per boot
    double free_fraction = 0.5;      // share of allocations freed (if the lifetime ends in the trace)
    double mean_lifetime_s = 1.0;    // exponential lifetime of freed allocations
    std::uint32_t preexisting = 0;   // frees of allocations made before the trace ("allocated outside")
    bool stacks = true;              // StackWalk events after each alloc/free
};

// One event given exactly (golden tests): a pool alloc or free at a time, with an explicit stack.
struct ScenarioEvent {
    double t = 0;                    // seconds after trace start
    bool alloc = true;
    std::string tag;
    std::uint64_t size = 0;
    std::uint64_t address = 0;
    std::uint32_t pool_type = 0;     // as logged (the BigPool bit is added for size > 0xFE0)
    std::optional<std::uint32_t> session;
    std::uint32_t thread_id = 0;     // 0: the System thread 8
    std::vector<std::string> stack;  // frames "ACPI.sys+0x1234", "ntoskrnl.exe+0x10", or "0xADDR"
};

// Resident pages given exactly.
struct ScenarioPages {
    std::string use = "File";        // MMPFNUSE name: ProcessPrivate, File, PagedPool, NonPagedPool, ...
    std::string list = "Active";     // MMPFNLIST name: Active, Standby, Modified, ...
    std::string file;                // File/MetaFile: the file's NT path (a driver's when `driver`)
    std::string driver;              // File: this driver's image file
    bool image = false;              // File: image section (code) rather than data
    std::uint32_t pid = 0;           // ProcessPrivate: owning process
    std::uint64_t va = 0;            // pool/system pages: virtual address of the first page
    std::uint32_t count = 1;
};

struct ScenarioProcess {
    std::uint32_t pid = 0;
    std::uint32_t parent = 0;
    std::string name;
    double start_at_s = -1;  // < 0: rundown at trace start; else Process/Start then
};

struct Scenario {
    std::string name = "scenario";
    std::uint64_t seed = 1;
    unsigned pointer_size = 8;
    std::uint32_t processors = 2;
    bool compress = false;
    std::uint32_t buffer_size = 64 * 1024;
    std::uint32_t build = 22621;
    std::uint64_t perf_freq = 10'000'000;
    std::uint64_t start_time = 133'800'000'000'000'000;  // FILETIME of the session start
    double duration_s = 30;
    std::string kernel_name = "ntoskrnl.exe";
    std::uint64_t kernel_base = 0;  // 0: the usual base for the pointer size
    std::uint64_t kernel_size = 0x1000000;
    std::uint32_t kernel_code_pages = 0;
    std::vector<ScenarioDriver> drivers;
    std::vector<ScenarioPool> pool;
    std::vector<ScenarioEvent> events;
    std::vector<ScenarioPages> pages;
    std::vector<ScenarioProcess> processes;
    bool pool_snapshots = true;      // PoolSnap DCStart/DCEnd per tag
    bool resident_set = true;        // MemInfo + page rundown at the end
    std::uint32_t events_lost = 0;   // marks buffers EVENTS_LOST and the header's EventsLost
};

Result<Scenario> parse_scenario(std::string_view json_text, const std::string& source_name);
Result<Scenario> load_scenario(const std::string& path);
// The embedded default: a desktop boot with a dozen drivers and a few dozen pool tags.
const std::string& default_scenario_json();

struct BootTraceOptions {
    std::uint64_t boot = 0;                 // boot number: varies the scenario reproducibly
    std::optional<bool> compress;           // overrides the scenario
    std::optional<unsigned> pointer_size;   // overrides the scenario
    double scale = 1.0;                     // multiplies every pool family's count (benchmarks)
    // The profile's PoolTags, as the kernel applies them to a logger: only pool events whose tag
    // matches one pattern are written (empty: all). '?' matches one character, a final '*' the rest;
    // a shorter pattern matches the tag padded with spaces ("Irp" matches 'Irp ').
    std::vector<std::string> pool_tag_filter;
};

// Whether `tag` (four bytes, as logged) passes `filter` (see BootTraceOptions::pool_tag_filter).
bool pool_tag_passes(std::uint32_t tag, const std::vector<std::string>& filter);

struct BootTraceSummary {
    WriteSummary write;
    std::uint64_t allocations = 0;
    std::uint64_t frees = 0;
    std::uint64_t pages = 0;
};

// Writes to `path` through a temporary name and renames it when complete: no half-written trace.
Result<BootTraceSummary> write_boot_trace(const Scenario& scenario, const std::string& path,
                                          const BootTraceOptions& options = {});

}  // namespace bp::writer
