// Decoding of the container's fixed layouts: WMI_BUFFER_HEADER, trace-header markers and
// TRACE_LOGFILE_HEADER. Offsets carry the Windows field names; sources in format.hpp.
#include "bootprint/etl/format.hpp"

#include <array>
#include <cstring>

namespace bp::etl {

namespace {
template <class T>
void store_le(std::span<std::byte> out, std::size_t off, T v) {
    std::memcpy(out.data() + off, &v, sizeof(T));
}
}  // namespace

BufferHeader decode_buffer_header(std::span<const std::byte> raw) {
    const std::byte* p = raw.data();
    BufferHeader h;
    h.buffer_size = load_le<std::uint32_t>(p + 0x00);     // BufferSize
    h.saved_offset = load_le<std::uint32_t>(p + 0x04);    // SavedOffset
    h.current_offset = load_le<std::uint32_t>(p + 0x08);  // CurrentOffset
    h.timestamp = load_le<std::uint64_t>(p + 0x10);       // TimeStamp
    h.sequence = load_le<std::uint64_t>(p + 0x18);        // SequenceNumber
    const auto ctx = load_le<std::uint16_t>(p + 0x28);    // ClientContext.ProcessorIndex
    h.logger_id = load_le<std::uint16_t>(p + 0x2A);       // ClientContext.LoggerId
    h.state = load_le<std::uint32_t>(p + 0x2C);           // State
    h.offset = load_le<std::uint32_t>(p + 0x30);          // Offset
    h.flags = load_le<std::uint16_t>(p + 0x34);           // BufferFlag
    h.type = load_le<std::uint16_t>(p + 0x36);            // BufferType
    // Windows 8+ sets PROC_INDEX and a 16-bit index (mask 0x07FF); before that the context is
    // {UCHAR ProcessorNumber; UCHAR Alignment} and Windows 7 files show 0x08xx [GC-WCC].
    h.processor = (h.flags & kBufferFlagProcIndex) ? static_cast<std::uint16_t>(ctx & 0x07FF)
                                                  : static_cast<std::uint16_t>(ctx & 0x00FF);
    return h;
}

void encode_buffer_header(const BufferHeader& h, std::span<std::byte> out) {
    std::memset(out.data(), 0, kBufferHeaderSize);
    store_le(out, 0x00, h.buffer_size);
    store_le(out, 0x04, h.saved_offset);
    store_le(out, 0x08, h.current_offset);
    store_le(out, 0x10, h.timestamp);
    store_le(out, 0x18, h.sequence);
    store_le(out, 0x28, h.processor);
    store_le(out, 0x2A, h.logger_id);
    store_le(out, 0x2C, h.state);
    store_le(out, 0x30, h.offset);
    store_le(out, 0x34, h.flags);
    store_le(out, 0x36, h.type);
}

std::string_view header_kind_name(HeaderKind k) {
    switch (k) {
        case HeaderKind::system32: return "SYSTEM32";
        case HeaderKind::system64: return "SYSTEM64";
        case HeaderKind::compact32: return "COMPACT32";
        case HeaderKind::compact64: return "COMPACT64";
        case HeaderKind::perfinfo32: return "PERFINFO32";
        case HeaderKind::perfinfo64: return "PERFINFO64";
        case HeaderKind::full_header32: return "FULL_HEADER32";
        case HeaderKind::full_header64: return "FULL_HEADER64";
        case HeaderKind::instance32: return "INSTANCE32";
        case HeaderKind::instance64: return "INSTANCE64";
        case HeaderKind::event_header32: return "EVENT_HEADER32";
        case HeaderKind::event_header64: return "EVENT_HEADER64";
        case HeaderKind::message: return "MESSAGE";
        case HeaderKind::error: return "ERROR";
        case HeaderKind::unknown: return "UNKNOWN";
    }
    return "UNKNOWN";
}

unsigned header_pointer_size(HeaderKind k) {
    switch (k) {
        case HeaderKind::system32:
        case HeaderKind::compact32:
        case HeaderKind::perfinfo32:
        case HeaderKind::full_header32:
        case HeaderKind::instance32:
        case HeaderKind::event_header32: return 4;
        case HeaderKind::system64:
        case HeaderKind::compact64:
        case HeaderKind::perfinfo64:
        case HeaderKind::full_header64:
        case HeaderKind::instance64:
        case HeaderKind::event_header64: return 8;
        default: return 0;
    }
}

std::size_t header_fixed_size(HeaderKind k) {
    switch (k) {
        case HeaderKind::system32:
        case HeaderKind::system64: return 0x20;
        case HeaderKind::compact32:
        case HeaderKind::compact64: return 0x18;
        case HeaderKind::perfinfo32:
        case HeaderKind::perfinfo64: return 0x10;
        case HeaderKind::full_header32:
        case HeaderKind::full_header64: return 0x30;
        case HeaderKind::instance32:
        case HeaderKind::instance64: return 0x48;
        case HeaderKind::event_header32:
        case HeaderKind::event_header64: return 0x50;
        case HeaderKind::message: return 0x08;
        default: return 0;
    }
}

HeaderKind classify_marker(std::uint32_t marker) {
    const std::uint32_t flags = marker >> 24;
    if ((flags & 0xC0) == 0xC0) {
        switch ((marker >> 16) & 0xFF) {
            case kHeaderTypeSystem32: return HeaderKind::system32;
            case kHeaderTypeSystem64: return HeaderKind::system64;
            case kHeaderTypeCompact32: return HeaderKind::compact32;
            case kHeaderTypeCompact64: return HeaderKind::compact64;
            case kHeaderTypeFull32: return HeaderKind::full_header32;
            case kHeaderTypeInstance32: return HeaderKind::instance32;
            case kHeaderTypeError: return HeaderKind::error;
            case kHeaderTypePerfInfo32: return HeaderKind::perfinfo32;
            case kHeaderTypePerfInfo64: return HeaderKind::perfinfo64;
            case kHeaderTypeEventHeader32: return HeaderKind::event_header32;
            case kHeaderTypeEventHeader64: return HeaderKind::event_header64;
            case kHeaderTypeFull64: return HeaderKind::full_header64;
            case kHeaderTypeInstance64: return HeaderKind::instance64;
            default: return HeaderKind::unknown;
        }
    }
    if ((flags & 0xD0) == 0x90) return HeaderKind::message;
    return HeaderKind::unknown;
}

std::uint8_t header_type_byte(HeaderKind k) {
    switch (k) {
        case HeaderKind::system32: return kHeaderTypeSystem32;
        case HeaderKind::system64: return kHeaderTypeSystem64;
        case HeaderKind::compact32: return kHeaderTypeCompact32;
        case HeaderKind::compact64: return kHeaderTypeCompact64;
        case HeaderKind::perfinfo32: return kHeaderTypePerfInfo32;
        case HeaderKind::perfinfo64: return kHeaderTypePerfInfo64;
        case HeaderKind::full_header32: return kHeaderTypeFull32;
        case HeaderKind::full_header64: return kHeaderTypeFull64;
        case HeaderKind::instance32: return kHeaderTypeInstance32;
        case HeaderKind::instance64: return kHeaderTypeInstance64;
        case HeaderKind::event_header32: return kHeaderTypeEventHeader32;
        case HeaderKind::event_header64: return kHeaderTypeEventHeader64;
        case HeaderKind::error: return kHeaderTypeError;
        default: return 0;
    }
}

std::size_t logfile_header_fixed_size(unsigned pointer_size) { return pointer_size == 8 ? 0x118 : 0x110; }

Result<LogfileHeader> decode_logfile_header(ByteReader r, unsigned pointer_size) {
    const std::size_t fixed = logfile_header_fixed_size(pointer_size);
    if (r.size() < fixed) {
        return make_error_at(Errc::truncated, r.base_offset(),
                             "logfile header event has " + std::to_string(r.size()) +
                                 " payload bytes; TRACE_LOGFILE_HEADER needs " + std::to_string(fixed));
    }
    // x86 and x64 differ only from LoggerName (0x38) on: two pointers, so everything after is +8.
    const std::size_t d = pointer_size == 8 ? 8 : 0;
    LogfileHeader h;
    h.header_pointer_size = pointer_size;
    h.buffer_size = r.at<std::uint32_t>(0x00);           // BufferSize (bytes)
    h.os_major = r.at<std::uint8_t>(0x04);               // VersionDetail.MajorVersion
    h.os_minor = r.at<std::uint8_t>(0x05);               // VersionDetail.MinorVersion
    h.layout_major = r.at<std::uint8_t>(0x06);           // VersionDetail.SubVersion
    h.layout_minor = r.at<std::uint8_t>(0x07);           // VersionDetail.SubMinorVersion
    h.build = r.at<std::uint32_t>(0x08);                 // ProviderVersion
    h.processors = r.at<std::uint32_t>(0x0C);            // NumberOfProcessors
    h.end_time = r.at<std::uint64_t>(0x10);              // EndTime
    h.timer_resolution = r.at<std::uint32_t>(0x18);      // TimerResolution
    h.maximum_file_size = r.at<std::uint32_t>(0x1C);     // MaximumFileSize
    h.log_file_mode = r.at<std::uint32_t>(0x20);         // LogFileMode
    h.buffers_written = r.at<std::uint32_t>(0x24);       // BuffersWritten
    h.start_buffers = r.at<std::uint32_t>(0x28);         // StartBuffers
    h.pointer_size = r.at<std::uint32_t>(0x2C);          // PointerSize
    h.events_lost = r.at<std::uint32_t>(0x30);           // EventsLost
    h.cpu_speed_mhz = r.at<std::uint32_t>(0x34);         // CpuSpeedInMHz
    h.timezone_bias = r.at<std::int32_t>(0x40 + d);      // TimeZone.Bias
    h.boot_time = r.at<std::uint64_t>(0xF0 + d);         // BootTime
    h.perf_freq = r.at<std::uint64_t>(0xF8 + d);         // PerfFreq
    h.start_time = r.at<std::uint64_t>(0x100 + d);       // StartTime
    h.clock_type = r.at<std::uint32_t>(0x108 + d);       // ReservedFlags
    h.buffers_lost = r.at<std::uint32_t>(0x10C + d);     // BuffersLost
    r.seek(fixed);
    // Two NUL-terminated UTF-16 strings follow: LoggerName, LogFileName. Some writers leave them
    // out; a missing terminator at the end of the payload is tolerated.
    if (!r.empty()) (void)r.utf16z(h.logger_name, true);
    if (!r.empty()) (void)r.utf16z(h.log_file_name, true);
    return h;
}

const Guid* kernel_group_guid(std::uint8_t group) {
    struct Entry {
        std::uint8_t group;
        const char* text;
    };
    static constexpr Entry kTable[] = {
        {0x00, "68fdd900-4a3e-11d1-84f4-0000f80464e3"},  // EventTrace (header)
        {0x01, "3d6fa8d4-fe05-11d0-9dda-00c04fd7ba7c"},  // DiskIo
        {0x02, "3d6fa8d3-fe05-11d0-9dda-00c04fd7ba7c"},  // PageFault / memory
        {0x03, "3d6fa8d0-fe05-11d0-9dda-00c04fd7ba7c"},  // Process
        {0x04, "90cbdc39-4a3e-11d1-84f4-0000f80464e3"},  // FileIo
        {0x05, "3d6fa8d1-fe05-11d0-9dda-00c04fd7ba7c"},  // Thread
        {0x0B, "01853a65-418f-4f36-aefc-dc0f1d2fd235"},  // SystemConfig
        {0x0E, "0268a8b6-74fd-4302-9dd0-6e8f1795c0cf"},  // PoolTrace
        {0x0F, "ce1dbfb4-137e-4da6-87b0-3f59aa102cbc"},  // PerfInfo
        {0x14, "2cb15d1d-5fc1-11d2-abe1-00a0c911f518"},  // ImageLoad
        {0x18, "def2fe46-7bd6-4b80-bd94-f57fe20d0ce3"},  // StackWalk
    };
    static const auto guids = [] {
        std::array<Guid, std::size(kTable)> out{};
        for (std::size_t i = 0; i < std::size(kTable); ++i) out[i] = *Guid::parse(kTable[i].text);
        return out;
    }();
    for (std::size_t i = 0; i < std::size(kTable); ++i) {
        if (kTable[i].group == group) return &guids[i];
    }
    return nullptr;
}

}  // namespace bp::etl
