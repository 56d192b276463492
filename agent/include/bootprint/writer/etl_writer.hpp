// EtlWriter: writes a real .etl file (a kernel-logger style trace) that Windows tools and bp::etl read.
// Buffers stream to disk as they fill; memory stays flat (one open buffer per processor plus the
// header buffer). The file layout follows docs/etl-format.md: a header buffer whose first record is
// the logfile header event (SYSTEM32/64, hook 0x0000, version 2) — rewritten by finish() so that
// BuffersWritten, EndTime, EventsLost and BuffersLost are right — optionally followed by the
// HEADER_EXTENSION (0x0005) group-mask event, then per-processor buffers with unique sequence
// numbers, Offset = end of data, 0xFF fill and 8-byte aligned records. With `compress`, every buffer
// but the header buffer is XPRESS-compressed (BufferFlag 0x40, LogFileMode 0x04000000, layout 2.0)
// and the header buffer is stored short (its Offset rounded up to 0x200).
//
//   bp::writer::EtlWriterOptions opt;
//   opt.pointer_size = 8;
//   opt.processors = 2;
//   opt.compress = true;
//   BP_TRY(auto w, bp::writer::EtlWriter::create("/tmp/boot.etl", opt));
//   bp::writer::KernelRecord r;
//   r.kind = bp::etl::HeaderKind::perfinfo64;
//   r.hook_id = bp::etl::hook::kPoolAlloc;
//   r.timestamp = opt.start_timestamp + 1000;
//   r.payload = bp::writer::encode_pool_event(alloc, 8);
//   BP_TRY_STATUS(w.append(/*cpu=*/1, r));
//   BP_TRY_STATUS(w.finish());
//
// Errors (cannot create the file, disk full, a record that does not fit a buffer) come back as
// bp::Status naming the path; after an I/O error every later call returns that error again.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bootprint/common/result.hpp"
#include "bootprint/etl/format.hpp"
#include "bootprint/writer/record_encoder.hpp"

namespace bp::writer {

struct EtlWriterOptions {
    unsigned pointer_size = 8;              // 4 or 8: PointerSize and the header event's SYSTEM32/64
    std::uint32_t processors = 1;           // NumberOfProcessors; records name a cpu below this
    std::uint32_t buffer_size = 64 * 1024;  // bytes per buffer (a multiple of 8, 0x400 .. 64 MiB)
    bool compress = false;

    // Clock and times. The header event's timestamp is `start_timestamp`: the clock value at
    // `start_time` (FILETIME), the anchor of bp::etl::TraceClock.
    std::uint32_t clock_type = etl::kClockQpc;
    std::uint64_t perf_freq = 10'000'000;
    std::int64_t start_timestamp = 0;
    std::uint64_t start_time = 133'000'000'000'000'000;  // FILETIME (2022-06-18)
    std::uint64_t boot_time = 0;                         // 0: start_time
    // EndTime: 0 computes it from the latest event timestamp (or start_time when there is none).
    std::uint64_t end_time = 0;

    std::uint8_t os_major = 10;
    std::uint8_t os_minor = 0;
    std::uint32_t build = 19045;  // ProviderVersion
    std::uint32_t timer_resolution = 156'250;
    std::uint32_t cpu_speed_mhz = 3000;
    std::int32_t timezone_bias = 0;
    std::uint32_t maximum_file_size = 0;
    std::uint32_t log_file_mode = 0x02000001;  // SYSTEM_LOGGER_MODE | SEQUENTIAL (+ COMPRESSED if compress)
    std::string logger_name = "NT Kernel Logger";
    std::string log_file_name;       // empty: the path given to create()
    std::uint16_t logger_id = 0x1C;  // ClientContext.LoggerId of every buffer

    // Windows 7 (6.1) buffers: ClientContext = 0x0800 | cpu, no PROC_INDEX flag, SavedOffset 0 in the
    // header buffer. Cannot be combined with `compress` (compression came with Windows 8).
    bool windows7_layout = false;

    // When set, the HEADER_EXTENSION (0x0005) event with these PERFINFO_GROUPMASK values is written
    // right after the logfile header (as a PERFINFO header of the trace's pointer size).
    std::optional<std::array<std::uint32_t, 8>> group_masks;

    // Checks the ranges above; Errc::invalid_argument naming the field otherwise.
    Status validate() const;
};

// What finish() wrote, for callers and tests.
struct WriteSummary {
    std::uint64_t file_size = 0;
    std::uint32_t buffers_written = 0;  // including the header buffer
    std::uint64_t events = 0;           // records appended, the header-buffer events included
    std::uint32_t events_lost = 0;
    std::uint32_t buffers_lost = 0;
    std::uint64_t end_time = 0;
};

class EtlWriter {
  public:
    // Creates (truncates) `path` and reserves the header buffer.
    static Result<EtlWriter> create(const std::string& path, EtlWriterOptions options = {});

    EtlWriter(EtlWriter&&) noexcept;
    EtlWriter& operator=(EtlWriter&&) noexcept;
    EtlWriter(const EtlWriter&) = delete;
    EtlWriter& operator=(const EtlWriter&) = delete;
    // Closes the file. A writer destroyed without finish() leaves an incomplete file behind.
    ~EtlWriter();

    const std::string& path() const;
    const EtlWriterOptions& options() const;

    // Appends one record to the open buffer of processor `cpu`, flushing that buffer first when the
    // record does not fit. Errc::invalid_argument for a cpu >= processors, a record the header kind
    // does not allow (see encode_record) or one larger than a buffer's event area.
    Status append(std::uint16_t cpu, const KernelRecord& r);
    Status append(std::uint16_t cpu, const ClassicRecord& r);
    Status append(std::uint16_t cpu, const EventHeaderRecord& r);
    Status append(std::uint16_t cpu, const MessageRecord& r);
    // Appends bytes exactly as given (then zero padding to 8 bytes): for malformed-record tests.
    // `timestamp`, when given, counts for the buffer's flush time and the EndTime.
    Status append_raw(std::uint16_t cpu, std::span<const std::byte> bytes,
                      std::optional<std::int64_t> timestamp = std::nullopt);

    // Sets EVENTS_LOST on the open buffer of `cpu` and adds `count` to the header's EventsLost.
    Status mark_events_lost(std::uint16_t cpu, std::uint32_t count);
    // Sets BUFFER_LOST on the open buffer of `cpu` and adds `count` to the header's BuffersLost.
    Status mark_buffer_lost(std::uint16_t cpu, std::uint32_t count = 1);
    // Writes the open buffer of `cpu` now (if it holds records or flags): a buffer boundary.
    Status flush_buffer(std::uint16_t cpu);

    // Flushes every open buffer (processor order), rewrites the header buffer with the final counts
    // and closes the file. Later calls return Errc::conflict.
    Result<WriteSummary> finish();

  private:
    struct State;
    explicit EtlWriter(std::unique_ptr<State> state);
    Status append_bytes(std::uint16_t cpu, std::span<const std::byte> bytes, std::optional<std::int64_t> ts);

    std::unique_ptr<State> state_;
};

}  // namespace bp::writer
