// The .etl container walk: buffer index, per-buffer event areas (with XPRESS decompression), the
// file-order walk and the time-ordered k-way merge of per-processor streams (etl-format.md §1, §2, §8).
#include "bootprint/etl/etl_file.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>

#include "bootprint/etl/xpress.hpp"

namespace bp::etl {

namespace {

std::string hex(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llX", static_cast<unsigned long long>(v));
    return buf;
}

// Largest event area we accept for one buffer. Session buffers are at most 16 MiB on any Windows we
// know of (etl-format.md §2); anything bigger is a damaged size field.
constexpr std::uint32_t kMaxBufferBytes = 64u << 20;

}  // namespace

// ---- TraceClock -------------------------------------------------------------------------------------

TraceClock::TraceClock(const LogfileHeader& h)
    : clock_type_(h.clock_type), start_raw_(h.start_timestamp), start_filetime_(static_cast<std::int64_t>(h.start_time)) {
    if (clock_type_ == kClockCpuCycle) {
        freq_ = static_cast<std::uint64_t>(h.cpu_speed_mhz) * 1'000'000ULL;
    } else if (clock_type_ == kClockSystemTime) {
        freq_ = 10'000'000;
    } else {
        freq_ = h.perf_freq;
    }
    // A damaged header can announce any frequency; real clocks run between 1 MHz (QPC) and a few GHz
    // (cycle counters). Outside (0, 1e11] the value is unusable: fall back to 10 MHz.
    if (freq_ == 0 || freq_ > 100'000'000'000ULL) freq_ = 10'000'000;
}

std::int64_t TraceClock::to_filetime(std::int64_t raw) const {
    if (clock_type_ == kClockSystemTime) return raw;  // timestamps are FILETIME already
    // raw * 10^7 overflows 64 bits for QPC values above ~9.2e11, so split into whole seconds and the
    // remainder (remainder * 10^7 fits for any frequency below 9.2e11 Hz). Timestamps of damaged
    // files can be anything: the result saturates instead of overflowing.
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    std::int64_t delta = 0;
    if (__builtin_sub_overflow(raw, start_raw_, &delta)) return raw > start_raw_ ? kMax : kMin;
    const auto freq = static_cast<std::int64_t>(freq_);
    const std::int64_t whole = delta / freq;
    const std::int64_t rest = delta % freq;
    std::int64_t ticks = 0;
    std::int64_t out = 0;
    if (__builtin_mul_overflow(whole, std::int64_t{10'000'000}, &ticks) ||
        __builtin_add_overflow(ticks, rest * 10'000'000 / freq, &ticks) ||
        __builtin_add_overflow(start_filetime_, ticks, &out)) {
        return delta > 0 ? kMax : kMin;
    }
    return out;
}

double TraceClock::seconds_since_start(std::int64_t raw) const {
    if (clock_type_ == kClockSystemTime) return static_cast<double>(raw - start_filetime_) / 1e7;
    return static_cast<double>(raw - start_raw_) / static_cast<double>(freq_);
}

std::int64_t TraceClock::ticks_from_seconds(double seconds) const {
    const double ticks = seconds * static_cast<double>(freq_);
    if (!(ticks < 9.2e18)) return std::numeric_limits<std::int64_t>::max();  // also NaN
    if (ticks < -9.2e18) return std::numeric_limits<std::int64_t>::min();
    return static_cast<std::int64_t>(ticks);
}

// ---- EtlFile ---------------------------------------------------------------------------------------

Result<EtlFile> EtlFile::open(const std::string& path, ReaderOptions options) {
    BP_TRY(auto file, InputFile::open(path));
    return open(std::move(file), options);
}

Result<EtlFile> EtlFile::open(InputFile input, ReaderOptions options) {
    EtlFile f;
    f.options_ = options;
    f.file_ = std::move(input);
    const std::string path = f.file_.path();
    const std::uint64_t size = f.file_.size();
    auto fail = [&](Errc code, std::uint64_t at, std::string what) {
        Error e = make_error_at(code, at, std::move(what));
        e.path = path;
        return e;
    };
    if (size < kBufferHeaderSize) {
        return fail(Errc::truncated, 0,
                    "file has " + std::to_string(size) + " bytes, less than one 0x48-byte buffer header");
    }

    // Index every buffer header.
    std::byte raw[kBufferHeaderSize];
    std::uint64_t off = 0;
    while (size - off >= kBufferHeaderSize) {
        BP_TRY_STATUS(f.file_.read_at(off, raw));
        BufferInfo bi{off, decode_buffer_header(raw)};
        const BufferHeader& h = bi.header;
        if (h.buffer_size < kBufferHeaderSize) {
            return fail(Errc::corrupt, off,
                        "buffer size " + hex(h.buffer_size) + " is smaller than the 0x48-byte buffer header");
        }
        if (h.buffer_size > size - off) {
            return fail(Errc::truncated, off,
                        "buffer claims " + hex(h.buffer_size) + " bytes but only " + hex(size - off) +
                            " remain in the file (truncated or damaged)");
        }
        if (h.compressed()) ++f.compressed_buffers_;
        f.buffers_.push_back(bi);
        off += h.buffer_size;
    }
    f.trailing_bytes_ = size - off;

    // The first record of the first buffer is the logfile header event (hook 0x0000).
    const BufferInfo& first = f.buffers_.front();
    if (first.header.compressed()) {
        return fail(Errc::corrupt, 0, "the first (header) buffer is marked compressed; it never is");
    }
    std::vector<std::byte> storage;
    BP_TRY(auto events, f.load_events(0, storage));
    EventRecord rec;
    rec.buffer_offset = 0;
    auto step = decode_record(events, 0, rec);
    if (!step) return std::move(step).error().with_path(path);
    const bool is_header = *step != 0 && rec.family == EventFamily::kernel && rec.hook_id == kHookHeader &&
                           (rec.kind == HeaderKind::system32 || rec.kind == HeaderKind::system64);
    if (!is_header) {
        return fail(Errc::corrupt, kBufferHeaderSize,
                    "the first record is not a logfile header event (SYSTEM header with hook 0x0000)");
    }
    BP_TRY(f.header_, decode_logfile_header(ByteReader(rec.payload, rec.file_offset() + 0x20), rec.pointer_size));
    f.header_.start_timestamp = rec.timestamp;
    f.clock_ = TraceClock(f.header_);

    if (f.compressed_buffers_ > 0) {
        // Compressed files keep the format in the low 16 bits of the first buffer's State [SNAIL-ETL];
        // uncompressed buffers use the same field for their state, so only 2 and 4 are taken as a
        // format other than XPRESS.
        const auto fmt = static_cast<std::uint16_t>(first.header.state & 0xFFFF);
        f.compression_format_ = (fmt == kCompressionLznt1 || fmt == kCompressionXpressHuff) ? fmt : kCompressionXpress;
    }
    return f;
}

Result<std::span<const std::byte>> EtlFile::load_events(std::size_t index, std::vector<std::byte>& storage) const {
    const BufferInfo& bi = buffers_.at(index);
    const BufferHeader& h = bi.header;
    auto fail = [&](Errc code, std::uint64_t at, std::string what) {
        Error e = make_error_at(code, at, std::move(what));
        e.path = path();
        return e;
    };
    if (h.compressed()) {
        if (compression_format_ == kCompressionLznt1 || compression_format_ == kCompressionXpressHuff) {
            return fail(Errc::unsupported, bi.file_offset,
                        "buffer compressed with format " + std::to_string(compression_format_) +
                            (compression_format_ == kCompressionLznt1 ? " (LZNT1)" : " (XPRESS Huffman)") +
                            " is not supported; only format 3 (XPRESS, plain LZ77) is");
        }
        // A compressed buffer holds what one session buffer held: never more than the logfile header's
        // BufferSize (bounded itself), so a damaged size cannot make us allocate gigabytes.
        const std::uint32_t limit = (header_.buffer_size >= kBufferHeaderSize && header_.buffer_size <= kMaxBufferBytes)
                                        ? header_.buffer_size
                                        : kMaxBufferBytes;
        if (h.saved_offset < kBufferHeaderSize || h.saved_offset > limit) {
            return fail(Errc::corrupt, bi.file_offset + 0x04,
                        "compressed buffer announces " + hex(h.saved_offset) +
                            " uncompressed bytes; the session's buffers hold " + hex(limit));
        }
        thread_local std::vector<std::byte> packed;
        packed.resize(h.buffer_size - kBufferHeaderSize);
        BP_TRY_STATUS(file_.read_at(bi.file_offset + kBufferHeaderSize, packed));
        auto st = xpress_decompress(packed, h.saved_offset - kBufferHeaderSize, storage);
        if (!st) {
            Error e = std::move(st).error();
            e.offset += bi.file_offset + kBufferHeaderSize;
            e.message = "in compressed buffer at " + hex(bi.file_offset) + ": " + e.message;
            e.path = path();
            return e;
        }
        return std::span<const std::byte>(storage);
    }
    // End of events: Offset, not SavedOffset (which is 0 or short in header buffers); 0 → SavedOffset.
    std::uint32_t end = h.offset != 0 ? h.offset : h.saved_offset;
    end = std::min(end, h.buffer_size);
    if (end <= kBufferHeaderSize) {
        storage.clear();
        return std::span<const std::byte>();
    }
    storage.resize(end - kBufferHeaderSize);
    BP_TRY_STATUS(file_.read_at(bi.file_offset + kBufferHeaderSize, storage));
    return std::span<const std::byte>(storage);
}

// ---- file-order walk -------------------------------------------------------------------------------

namespace detail {
Result<std::span<const std::byte>> walk_load(const EtlFile& file, std::size_t index, std::vector<std::byte>& storage,
                                             ReadStats& st, bool& skip) {
    const BufferInfo& bi = file.buffers()[index];
    if (bi.header.flags & kBufferFlagEventsLost) ++st.buffers_events_lost;
    if (bi.header.flags & kBufferFlagBufferLost) ++st.buffers_buffer_lost;
    auto loaded = file.load_events(index, storage);
    if (!loaded && file.options().lenient && loaded.error().code != Errc::io &&
        loaded.error().code != Errc::unsupported) {
        ++st.malformed_buffers;
        st.skipped_bytes += bi.header.buffer_size;
        skip = true;
        return std::span<const std::byte>();
    }
    return loaded;
}
}  // namespace detail

Status for_each_event(const EtlFile& file, const std::function<void(const EventRecord&)>& fn, ReadStats* stats) {
    return walk_events(file, fn, stats);
}

// ---- time-ordered merge ----------------------------------------------------------------------------

TimeOrderedReader::TimeOrderedReader(const EtlFile& file) : file_(file) {
    const auto& buffers = file.buffers();
    const bool single = (file.header().log_file_mode & kLogFileModeNoPerProcessorBuffering) != 0;
    std::map<std::uint16_t, std::size_t> by_cpu;
    for (std::size_t i = 0; i < buffers.size(); ++i) {
        const std::uint16_t cpu = single ? 0 : buffers[i].header.processor;
        auto [it, inserted] = by_cpu.try_emplace(cpu, streams_.size());
        if (inserted) streams_.emplace_back();
        streams_[it->second].buffers.push_back(i);
    }
    for (auto& s : streams_) {
        std::stable_sort(s.buffers.begin(), s.buffers.end(), [&](std::size_t a, std::size_t b) {
            return buffers[a].header.sequence < buffers[b].header.sequence;
        });
    }
}

Status TimeOrderedReader::advance(std::size_t si) {
    Stream& s = streams_[si];
    for (;;) {
        if (s.pos < s.events.size()) {
            auto step = decode_record(s.events, s.pos, s.current);
            if (!step) {
                if (!file_.options().lenient) return std::move(step).error().with_path(file_.path());
                ++stats_.malformed_buffers;
                stats_.skipped_bytes += s.events.size() - s.pos;
                s.pos = s.events.size();
                continue;
            }
            if (*step != 0) {
                s.pos += *step;
                s.has_current = true;
                if (s.current.family == EventFamily::unknown) ++stats_.unknown_records;
                ++stats_.events;
                return {};
            }
            s.pos = s.events.size();
        }
        if (s.next_buffer >= s.buffers.size()) {
            s.has_current = false;
            s.storage = {};
            return {};
        }
        const std::size_t bi = s.buffers[s.next_buffer++];
        const BufferHeader& h = file_.buffers()[bi].header;
        if (h.flags & kBufferFlagEventsLost) ++stats_.buffers_events_lost;
        if (h.flags & kBufferFlagBufferLost) ++stats_.buffers_buffer_lost;
        auto loaded = file_.load_events(bi, s.storage);
        if (!loaded) {
            if (!file_.options().lenient || loaded.error().code == Errc::io ||
                loaded.error().code == Errc::unsupported) {
                return std::move(loaded).error();
            }
            ++stats_.malformed_buffers;
            stats_.skipped_bytes += h.buffer_size;
            s.events = {};
            s.pos = 0;
            continue;
        }
        s.events = *loaded;
        s.pos = 0;
        s.current_buffer = bi;
        s.current.buffer_offset = file_.buffers()[bi].file_offset;
        s.current.cpu = h.processor;
        s.current.buffer_compressed = h.compressed();
    }
}

Result<const EventRecord*> TimeOrderedReader::next() {
    auto push = [&](std::size_t si) {
        const Stream& s = streams_[si];
        if (s.has_current) heap_.push({s.current.timestamp, s.current_buffer, s.current.offset_in_buffer, si});
    };
    if (!started_) {
        started_ = true;
        for (std::size_t i = 0; i < streams_.size(); ++i) {
            BP_TRY_STATUS(advance(i));
            push(i);
        }
    } else if (pending_ != SIZE_MAX) {
        BP_TRY_STATUS(advance(pending_));
        const Stream& s = streams_[pending_];
        if (s.has_current) {
            // Fast path: the same stream goes on while it is not later than every other stream (a
            // buffer's events are in time order), which saves a heap pop and push per event.
            const HeapItem mine{s.current.timestamp, s.current_buffer, s.current.offset_in_buffer, pending_};
            if (heap_.empty() || !(mine > heap_.top())) return static_cast<const EventRecord*>(&s.current);
        }
        push(pending_);
        pending_ = SIZE_MAX;
    }
    if (heap_.empty()) return static_cast<const EventRecord*>(nullptr);
    const HeapItem top = heap_.top();
    heap_.pop();
    pending_ = top.stream;
    return static_cast<const EventRecord*>(&streams_[top.stream].current);
}

}  // namespace bp::etl
