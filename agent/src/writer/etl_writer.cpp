// The trace writer: header buffer + per-processor buffers streamed to a file (docs/etl-format.md §1–§3,
// §6, §8). The file is written through stdio unbuffered (whole buffers per write), so that a full
// disk is reported by the append that hit it, with the path and the file offset.
#include "bootprint/writer/etl_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "bootprint/etl/etl_file.hpp"
#include "bootprint/etl/event_decoders.hpp"
#include "bootprint/etl/xpress.hpp"
#include "bootprint/writer/kernel_payloads.hpp"

namespace bp::writer {

namespace {

constexpr std::uint32_t kBufferStateFlush = 3;           // ETW_BUFFER_STATE Flush
constexpr std::uint16_t kWin7ContextAlignment = 0x0800;  // ETW_BUFFER_CONTEXT.Alignment = 8
constexpr std::size_t kShortHeaderGranule = 0x200;       // compressed files: header buffer rounding
constexpr std::uint32_t kMinBufferSize = 0x400;
constexpr std::uint32_t kMaxBufferSize = 64u << 20;  // what bp::etl accepts

std::size_t align8(std::size_t n) {
    return (n + 7) & ~std::size_t{7};
}

Error invalid(const std::string& what) {
    return make_error(Errc::invalid_argument, what);
}

struct FileCloser {
    void operator()(std::FILE* f) const {
        if (f) std::fclose(f);
    }
};

// One processor's open buffer: the full buffer image (header area + events + 0xFF fill).
struct OpenBuffer {
    std::vector<std::byte> bytes;
    std::size_t used = etl::kBufferHeaderSize;  // Offset: end of the last (aligned) record
    std::uint16_t extra_flags = 0;              // EVENTS_LOST / BUFFER_LOST
    std::int64_t flush_timestamp = 0;           // latest record timestamp in the buffer
    bool has_timestamp = false;

    bool pending() const { return used > etl::kBufferHeaderSize || extra_flags != 0; }
};

}  // namespace

Status EtlWriterOptions::validate() const {
    if (pointer_size != 4 && pointer_size != 8) {
        return invalid("pointer_size must be 4 or 8, not " + std::to_string(pointer_size));
    }
    const std::uint32_t max_cpus = windows7_layout ? 256 : 2048;  // context byte / 11-bit index
    if (processors == 0 || processors > max_cpus) {
        return invalid("processors must be 1.." + std::to_string(max_cpus) + ", not " +
                       std::to_string(processors));
    }
    if (buffer_size < kMinBufferSize || buffer_size > kMaxBufferSize || buffer_size % 8 != 0) {
        return invalid("buffer_size must be a multiple of 8 between 0x400 and 64 MiB, not " +
                       std::to_string(buffer_size));
    }
    if (clock_type > etl::kClockCpuCycle)
        return invalid("clock_type must be 0..3, not " + std::to_string(clock_type));
    if ((clock_type == etl::kClockQpc || clock_type == etl::kClockRaw) && perf_freq == 0) {
        return invalid("perf_freq must not be 0 for a performance-counter clock");
    }
    if (clock_type == etl::kClockCpuCycle && cpu_speed_mhz == 0) {
        return invalid("cpu_speed_mhz must not be 0 for a CPU-cycle clock");
    }
    if (compress && windows7_layout) {
        return invalid("compress needs the Windows 8+ buffer layout (windows7_layout is set)");
    }
    return {};
}

struct EtlWriter::State {
    std::string path;
    EtlWriterOptions options;
    std::unique_ptr<std::FILE, FileCloser> file;
    std::optional<Error> failed;  // sticky I/O error
    bool finished = false;

    std::vector<OpenBuffer> cpus;
    std::uint32_t header_buffer_size = 0;  // on disk
    std::uint64_t file_size = 0;           // bytes written so far
    std::uint64_t next_sequence = 1;       // 0 is the header buffer
    std::uint32_t buffers_written = 1;
    std::uint64_t events = 0;
    std::uint32_t events_lost = 0;
    std::uint32_t buffers_lost = 0;
    std::int64_t max_timestamp = 0;

    Error io_error(std::uint64_t offset, const std::string& what) {
        Error e = make_error_at(Errc::io, offset, what + ": " + std::strerror(errno));
        e.path = path;
        failed = e;
        return e;
    }

    Status write_at_end(std::span<const std::byte> bytes) {
        errno = 0;
        if (std::fwrite(bytes.data(), 1, bytes.size(), file.get()) != bytes.size()) {
            return io_error(file_size, "cannot write " + std::to_string(bytes.size()) + " bytes");
        }
        file_size += bytes.size();
        return {};
    }

    etl::LogfileHeader logfile_header(std::uint64_t end_time) const {
        const EtlWriterOptions& o = options;
        etl::LogfileHeader h;
        h.buffer_size = o.buffer_size;
        h.os_major = o.os_major;
        h.os_minor = o.os_minor;
        const bool v2 = o.compress || o.buffer_size > (1u << 20) || o.processors > 256;
        h.layout_major = v2 ? 2 : 1;
        h.layout_minor = v2 ? 0 : 5;
        h.build = o.build;
        h.processors = o.processors;
        h.end_time = end_time;
        h.timer_resolution = o.timer_resolution;
        h.maximum_file_size = o.maximum_file_size;
        h.log_file_mode = o.log_file_mode | (o.compress ? etl::kLogFileModeCompressed : 0);
        h.buffers_written = buffers_written;
        h.pointer_size = o.pointer_size;
        h.events_lost = events_lost;
        h.cpu_speed_mhz = o.cpu_speed_mhz;
        h.timezone_bias = o.timezone_bias;
        h.boot_time = o.boot_time != 0 ? o.boot_time : o.start_time;
        h.perf_freq = o.perf_freq;
        h.start_time = o.start_time;
        h.clock_type = o.clock_type;
        h.buffers_lost = buffers_lost;
        h.logger_name = o.logger_name;
        h.log_file_name = o.log_file_name.empty() ? path : o.log_file_name;
        h.start_timestamp = o.start_timestamp;
        h.header_pointer_size = o.pointer_size;
        return h;
    }

    // The header buffer's records: the logfile header event and the optional group-mask extension.
    Result<std::vector<std::byte>> header_events(std::uint64_t end_time) const {
        const unsigned p = options.pointer_size;
        KernelRecord hdr;
        hdr.kind = p == 8 ? etl::HeaderKind::system64 : etl::HeaderKind::system32;
        hdr.hook_id = etl::hook::kHeader;
        hdr.version = kHeaderVersion;
        hdr.timestamp = options.start_timestamp;
        hdr.payload = encode_logfile_header(logfile_header(end_time), p);
        BP_TRY(std::vector<std::byte> area, encode_record(hdr));
        area.resize(align8(area.size()), std::byte{0});
        if (options.group_masks) {
            etl::HeaderExtension x;
            std::copy(options.group_masks->begin(), options.group_masks->end(), x.masks);
            KernelRecord ext;
            ext.kind = p == 8 ? etl::HeaderKind::perfinfo64 : etl::HeaderKind::perfinfo32;
            ext.hook_id = etl::hook::kHeaderExtension;
            ext.version = kHeaderVersion;
            ext.timestamp = options.start_timestamp;
            ext.payload = encode_header_extension(x, p);
            BP_TRY(std::vector<std::byte> rec, encode_record(ext));
            rec.resize(align8(rec.size()), std::byte{0});
            area.insert(area.end(), rec.begin(), rec.end());
        }
        return area;
    }

    std::vector<std::byte> header_buffer(const std::vector<std::byte>& area) const {
        std::vector<std::byte> buf(header_buffer_size, std::byte{0xFF});
        const auto used = static_cast<std::uint32_t>(etl::kBufferHeaderSize + area.size());
        std::copy(area.begin(), area.end(), buf.begin() + etl::kBufferHeaderSize);
        etl::BufferHeader h;
        h.buffer_size = header_buffer_size;
        h.saved_offset = options.windows7_layout ? 0 : used;
        h.current_offset = used;
        h.sequence = 0;
        h.processor = options.windows7_layout ? kWin7ContextAlignment : 0;
        h.logger_id = options.logger_id;
        // Compressed files keep the compression format in the first buffer's State [SNAIL-ETL].
        h.state = options.compress ? etl::kCompressionXpress : kBufferStateFlush;
        h.offset = used;
        h.flags = static_cast<std::uint16_t>(etl::kBufferFlagFlushMarker |
                                             (options.windows7_layout ? 0 : etl::kBufferFlagProcIndex));
        h.type = etl::kBufferTypeHeader;
        etl::encode_buffer_header(h, buf);
        return buf;
    }

    OpenBuffer& buffer_of(std::uint16_t cpu) {
        OpenBuffer& b = cpus[cpu];
        if (b.bytes.empty()) b.bytes.assign(options.buffer_size, std::byte{0xFF});
        return b;
    }

    Status flush(std::uint16_t cpu) {
        OpenBuffer& b = cpus[cpu];
        if (!b.pending()) return {};
        etl::BufferHeader h;
        h.saved_offset = static_cast<std::uint32_t>(b.used);
        h.current_offset = static_cast<std::uint32_t>(b.used);
        h.timestamp = static_cast<std::uint64_t>(b.has_timestamp ? b.flush_timestamp : max_timestamp);
        h.sequence = next_sequence;
        h.processor = options.windows7_layout ? static_cast<std::uint16_t>(kWin7ContextAlignment | cpu) : cpu;
        h.logger_id = options.logger_id;
        h.state = kBufferStateFlush;
        h.offset = static_cast<std::uint32_t>(b.used);
        h.flags = static_cast<std::uint16_t>((options.windows7_layout ? 0 : etl::kBufferFlagProcIndex) |
                                             b.extra_flags);
        h.type = etl::kBufferTypeGeneric;
        if (options.compress) {
            const std::vector<std::byte> packed =
                etl::xpress_compress(std::span<const std::byte>(b.bytes).subspan(
                    etl::kBufferHeaderSize, b.used - etl::kBufferHeaderSize));
            h.flags |= etl::kBufferFlagCompressed;
            h.buffer_size = static_cast<std::uint32_t>(etl::kBufferHeaderSize + packed.size());
            std::byte raw[etl::kBufferHeaderSize];
            etl::encode_buffer_header(h, raw);
            BP_TRY_STATUS(write_at_end(raw));
            BP_TRY_STATUS(write_at_end(packed));
        } else {
            h.buffer_size = options.buffer_size;
            etl::encode_buffer_header(h, b.bytes);
            BP_TRY_STATUS(write_at_end(b.bytes));
        }
        ++next_sequence;
        ++buffers_written;
        std::fill(b.bytes.begin(), b.bytes.end(), std::byte{0xFF});
        b.used = etl::kBufferHeaderSize;
        b.extra_flags = 0;
        b.has_timestamp = false;
        return {};
    }

    Status usable(std::uint16_t cpu) const {
        if (failed) return *failed;
        if (finished) return make_error(Errc::conflict, "the trace writer for " + path + " has finished");
        if (cpu >= cpus.size()) {
            return invalid("cpu " + std::to_string(cpu) + " is not below the trace's " +
                           std::to_string(cpus.size()) + " processors");
        }
        return {};
    }
};

EtlWriter::EtlWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
EtlWriter::EtlWriter(EtlWriter&&) noexcept = default;
EtlWriter& EtlWriter::operator=(EtlWriter&&) noexcept = default;
EtlWriter::~EtlWriter() = default;

const std::string& EtlWriter::path() const {
    return state_->path;
}
const EtlWriterOptions& EtlWriter::options() const {
    return state_->options;
}

Result<EtlWriter> EtlWriter::create(const std::string& path, EtlWriterOptions options) {
    if (auto st = options.validate(); !st) return std::move(st).error().with_path(path);
    auto s = std::make_unique<State>();
    s->path = path;
    s->options = std::move(options);
    s->cpus.resize(s->options.processors);
    s->max_timestamp = s->options.start_timestamp;

    BP_TRY(std::vector<std::byte> area, s->header_events(s->options.start_time));
    const std::size_t used = etl::kBufferHeaderSize + area.size();
    if (used > s->options.buffer_size) {
        return invalid("the logfile header (" + std::to_string(used) +
                       " bytes with the logger and file names) "
                       "does not fit a buffer of " +
                       std::to_string(s->options.buffer_size) + " bytes")
            .with_path(path);
    }
    s->header_buffer_size =
        s->options.compress
            ? static_cast<std::uint32_t>((used + kShortHeaderGranule - 1) & ~(kShortHeaderGranule - 1))
            : s->options.buffer_size;

    errno = 0;
    s->file.reset(std::fopen(path.c_str(), "wb"));
    if (!s->file) {
        Error e = make_error(Errc::io, std::string("cannot create the trace file: ") + std::strerror(errno));
        e.path = path;
        return e;
    }
    std::setvbuf(s->file.get(), nullptr, _IONBF, 0);
    // A placeholder header buffer (the same size as the final one), rewritten by finish().
    BP_TRY_STATUS(s->write_at_end(s->header_buffer(area)));
    s->events = s->options.group_masks ? 2 : 1;
    return EtlWriter(std::move(s));
}

Status EtlWriter::append_bytes(std::uint16_t cpu, std::span<const std::byte> bytes,
                               std::optional<std::int64_t> ts) {
    State& s = *state_;
    BP_TRY_STATUS(s.usable(cpu));
    const std::size_t aligned = align8(bytes.size());
    if (etl::kBufferHeaderSize + aligned > s.options.buffer_size) {
        return invalid("a record of " + std::to_string(bytes.size()) + " bytes does not fit a buffer of " +
                       std::to_string(s.options.buffer_size) + " bytes")
            .with_path(s.path);
    }
    if (s.buffer_of(cpu).used + aligned > s.options.buffer_size) BP_TRY_STATUS(s.flush(cpu));
    OpenBuffer& b = s.buffer_of(cpu);
    std::copy(bytes.begin(), bytes.end(), b.bytes.begin() + static_cast<std::ptrdiff_t>(b.used));
    std::fill_n(b.bytes.begin() + static_cast<std::ptrdiff_t>(b.used + bytes.size()), aligned - bytes.size(),
                std::byte{0});
    b.used += aligned;
    if (ts) {
        if (!b.has_timestamp || *ts > b.flush_timestamp) b.flush_timestamp = *ts;
        b.has_timestamp = true;
        s.max_timestamp = std::max(s.max_timestamp, *ts);
    }
    ++s.events;
    return {};
}

namespace {
template <class R>
Status append_record(EtlWriter& w, std::uint16_t cpu, const R& r) {
    auto bytes = encode_record(r);
    if (!bytes) return std::move(bytes).error().with_path(w.path());
    return w.append_raw(cpu, *bytes, record_timestamp(r));
}
}  // namespace

Status EtlWriter::append(std::uint16_t cpu, const KernelRecord& r) {
    return append_record(*this, cpu, r);
}
Status EtlWriter::append(std::uint16_t cpu, const ClassicRecord& r) {
    return append_record(*this, cpu, r);
}
Status EtlWriter::append(std::uint16_t cpu, const EventHeaderRecord& r) {
    return append_record(*this, cpu, r);
}
Status EtlWriter::append(std::uint16_t cpu, const MessageRecord& r) {
    return append_record(*this, cpu, r);
}

Status EtlWriter::append_raw(std::uint16_t cpu, std::span<const std::byte> bytes,
                             std::optional<std::int64_t> timestamp) {
    return append_bytes(cpu, bytes, timestamp);
}

Status EtlWriter::mark_events_lost(std::uint16_t cpu, std::uint32_t count) {
    BP_TRY_STATUS(state_->usable(cpu));
    state_->buffer_of(cpu).extra_flags |= etl::kBufferFlagEventsLost;
    state_->events_lost += count;
    return {};
}

Status EtlWriter::mark_buffer_lost(std::uint16_t cpu, std::uint32_t count) {
    BP_TRY_STATUS(state_->usable(cpu));
    state_->buffer_of(cpu).extra_flags |= etl::kBufferFlagBufferLost;
    state_->buffers_lost += count;
    return {};
}

Status EtlWriter::flush_buffer(std::uint16_t cpu) {
    BP_TRY_STATUS(state_->usable(cpu));
    return state_->flush(cpu);
}

Result<WriteSummary> EtlWriter::finish() {
    State& s = *state_;
    BP_TRY_STATUS(s.usable(0));
    for (std::size_t cpu = 0; cpu < s.cpus.size(); ++cpu)
        BP_TRY_STATUS(s.flush(static_cast<std::uint16_t>(cpu)));

    std::uint64_t end_time = s.options.end_time;
    if (end_time == 0) {
        const etl::TraceClock clock(s.logfile_header(0));
        end_time = static_cast<std::uint64_t>(clock.to_filetime(s.max_timestamp));
    }
    BP_TRY(std::vector<std::byte> area, s.header_events(end_time));
    const std::vector<std::byte> header = s.header_buffer(area);
    errno = 0;
    if (std::fseek(s.file.get(), 0, SEEK_SET) != 0) return s.io_error(0, "cannot seek to the header buffer");
    if (std::fwrite(header.data(), 1, header.size(), s.file.get()) != header.size()) {
        return s.io_error(0, "cannot rewrite the header buffer");
    }
    std::FILE* f = s.file.release();
    errno = 0;
    if (std::fclose(f) != 0) return s.io_error(s.file_size, "cannot close the trace file");
    s.finished = true;

    WriteSummary out;
    out.file_size = s.file_size;
    out.buffers_written = s.buffers_written;
    out.events = s.events;
    out.events_lost = s.events_lost;
    out.buffers_lost = s.buffers_lost;
    out.end_time = end_time;
    return out;
}

}  // namespace bp::writer
