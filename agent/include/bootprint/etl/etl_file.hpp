// Opening an .etl file, walking its buffers, and reading its events in file order or in time order.
//
//   BP_TRY(auto file, bp::etl::EtlFile::open("boot.etl"));
//   bp::etl::TimeOrderedReader reader(file);
//   for (;;) {
//       BP_TRY(const bp::etl::EventRecord* e, reader.next());
//       if (!e) break;
//       auto when = file.clock().to_filetime(e->timestamp);
//   }
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "bootprint/common/input_file.hpp"
#include "bootprint/common/result.hpp"
#include "bootprint/etl/format.hpp"
#include "bootprint/etl/record.hpp"

namespace bp::etl {

struct ReaderOptions {
    // Strict (default): a malformed record or a buffer that fails to decompress is an error naming
    // the offset. Lenient: the rest of that buffer is skipped and counted in ReadStats.
    bool lenient = false;
};

// Counters a walk accumulates besides the events themselves.
struct ReadStats {
    std::uint64_t events = 0;
    std::uint64_t unknown_records = 0;    // trace headers of an unknown type (rest of buffer skipped)
    std::uint64_t malformed_buffers = 0;  // lenient mode: buffers cut short by a malformed record
    std::uint64_t skipped_bytes = 0;      // bytes passed over because of the two above
    std::uint64_t buffers_events_lost = 0;   // buffers flagged EVENTS_LOST
    std::uint64_t buffers_buffer_lost = 0;   // buffers flagged BUFFER_LOST
};

struct BufferInfo {
    std::uint64_t file_offset = 0;
    BufferHeader header;
};

// Converts raw event timestamps (the session clock) to FILETIME (100 ns since 1601, UTC), anchored
// at the logfile header: the header event's own timestamp is the clock value at StartTime.
class TraceClock {
public:
    TraceClock() = default;
    explicit TraceClock(const LogfileHeader& h);
    std::int64_t to_filetime(std::int64_t raw) const;
    // Seconds since the session started (negative for events before StartTime).
    double seconds_since_start(std::int64_t raw) const;
    // Raw ticks for a duration in seconds (for time windows given in seconds).
    std::int64_t ticks_from_seconds(double seconds) const;
    std::int64_t start_raw() const { return start_raw_; }

private:
    std::uint32_t clock_type_ = kClockQpc;
    std::int64_t start_raw_ = 0;
    std::int64_t start_filetime_ = 0;
    std::uint64_t freq_ = 10'000'000;  // ticks per second
};

class EtlFile {
public:
    // Opens the file, decodes the logfile header and indexes every buffer header. Fails with an error
    // naming the path and byte offset when the container is damaged (a buffer size that runs past the
    // end of the file, a first record that is not a logfile header, ...).
    static Result<EtlFile> open(const std::string& path, ReaderOptions options = {});
    // The same over an already opened (or in-memory) file.
    static Result<EtlFile> open(InputFile file, ReaderOptions options = {});

    const std::string& path() const { return file_.path(); }
    std::uint64_t file_size() const { return file_.size(); }
    const LogfileHeader& header() const { return header_; }
    const std::vector<BufferInfo>& buffers() const { return buffers_; }
    std::uint64_t compressed_buffers() const { return compressed_buffers_; }
    // COMPRESSION_FORMAT_* of a compressed file (0 when not compressed).
    std::uint16_t compression_format() const { return compression_format_; }
    const TraceClock& clock() const { return clock_; }
    const ReaderOptions& options() const { return options_; }
    // Bytes after the last whole buffer (a truncated final buffer is an error, not counted here).
    std::uint64_t trailing_bytes() const { return trailing_bytes_; }

    // Reads buffer `index` and returns its event area (decompressed if needed). `storage` holds the
    // bytes; the span is valid while `storage` is unchanged.
    Result<std::span<const std::byte>> load_events(std::size_t index, std::vector<std::byte>& storage) const;

private:
    InputFile file_;
    ReaderOptions options_;
    LogfileHeader header_;
    TraceClock clock_;
    std::vector<BufferInfo> buffers_;
    std::uint64_t compressed_buffers_ = 0;
    std::uint16_t compression_format_ = 0;
    std::uint64_t trailing_bytes_ = 0;
};

// Calls `fn(const EventRecord&)` for every record in file order (buffer by buffer), the logfile
// header event included. The fastest walk; per-processor streams are not merged.
template <class Fn>
Status walk_events(const EtlFile& file, Fn&& fn, ReadStats* stats = nullptr);
Status for_each_event(const EtlFile& file, const std::function<void(const EventRecord&)>& fn,
                      ReadStats* stats = nullptr);

namespace detail {
// Buffer-level bookkeeping of walk_events (flags, lenient skipping), out of line.
Result<std::span<const std::byte>> walk_load(const EtlFile& file, std::size_t index, std::vector<std::byte>& storage,
                                             ReadStats& st, bool& skip);
}  // namespace detail

template <class Fn>
Status walk_events(const EtlFile& file, Fn&& fn, ReadStats* stats) {
    ReadStats local;
    ReadStats& st = stats ? *stats : local;
    std::vector<std::byte> storage;
    EventRecord rec;
    for (std::size_t i = 0; i < file.buffers().size(); ++i) {
        bool skip = false;
        auto loaded = detail::walk_load(file, i, storage, st, skip);
        if (!loaded) return std::move(loaded).error();
        if (skip) continue;
        const std::span<const std::byte> events = *loaded;
        const BufferInfo& bi = file.buffers()[i];
        rec.buffer_offset = bi.file_offset;
        rec.cpu = bi.header.processor;
        rec.buffer_compressed = bi.header.compressed();
        rec.timestamp = 0;
        std::size_t pos = 0;
        while (pos < events.size()) {
            auto step = decode_record(events, pos, rec);
            if (!step) {
                if (!file.options().lenient) return std::move(step).error().with_path(file.path());
                ++st.malformed_buffers;
                st.skipped_bytes += events.size() - pos;
                break;
            }
            if (*step == 0) break;
            if (rec.family == EventFamily::unknown) {
                ++st.unknown_records;
                st.skipped_bytes += rec.size;
            }
            ++st.events;
            fn(static_cast<const EventRecord&>(rec));
            pos += *step;
        }
    }
    return {};
}

// Events in time order: a k-way merge of the per-processor buffer streams (each sorted by buffer
// sequence number); ties keep file order. Memory: one buffer per processor.
class TimeOrderedReader {
public:
    explicit TimeOrderedReader(const EtlFile& file);
    // The next event, or nullptr at the end. The record (and the spans in it) stay valid until the
    // next call.
    Result<const EventRecord*> next();
    const ReadStats& stats() const { return stats_; }

private:
    struct Stream {
        std::vector<std::size_t> buffers;  // indices into EtlFile::buffers(), by sequence number
        std::size_t next_buffer = 0;
        std::vector<std::byte> storage;
        std::span<const std::byte> events;
        std::size_t pos = 0;
        EventRecord current;
        bool has_current = false;
        std::size_t current_buffer = 0;  // index of the buffer `current` came from
    };
    struct HeapItem {
        std::int64_t timestamp;
        std::size_t buffer;     // file order of the buffer, for stable ties
        std::uint32_t offset;   // position in the buffer
        std::size_t stream;
        bool operator>(const HeapItem& o) const {
            if (timestamp != o.timestamp) return timestamp > o.timestamp;
            if (buffer != o.buffer) return buffer > o.buffer;
            return offset > o.offset;
        }
    };

    Status advance(std::size_t stream_index);

    const EtlFile& file_;
    std::vector<Stream> streams_;
    std::priority_queue<HeapItem, std::vector<HeapItem>, std::greater<>> heap_;
    std::size_t pending_ = SIZE_MAX;  // stream whose event was returned last; advanced on next call
    bool started_ = false;
    ReadStats stats_;
};

}  // namespace bp::etl
