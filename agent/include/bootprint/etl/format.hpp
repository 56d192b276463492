// On-disk constants and layouts of the .etl container (all little-endian).
// Sources: docs/etl-format.md of the team's shared notes, which cite NTWMI.H (phnt), Geoff Chappell's
// studies of WMI_BUFFER_HEADER / TRACE_LOGFILE_HEADER / trace headers, and evntrace.h.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "bootprint/common/byte_reader.hpp"
#include "bootprint/common/guid.hpp"
#include "bootprint/common/result.hpp"

namespace bp::etl {

// ---- WMI_BUFFER_HEADER (0x48 bytes) ---------------------------------------------------------------
inline constexpr std::size_t kBufferHeaderSize = 0x48;

// BufferFlag bits [NTWMI ETW_BUFFER_FLAG_*].
inline constexpr std::uint16_t kBufferFlagFlushMarker = 0x0001;
inline constexpr std::uint16_t kBufferFlagEventsLost = 0x0002;
inline constexpr std::uint16_t kBufferFlagBufferLost = 0x0004;
inline constexpr std::uint16_t kBufferFlagProcIndex = 0x0020;
inline constexpr std::uint16_t kBufferFlagCompressed = 0x0040;

// BufferType [NTWMI ETW_BUFFER_TYPE].
inline constexpr std::uint16_t kBufferTypeGeneric = 0;
inline constexpr std::uint16_t kBufferTypeHeader = 4;

// COMPRESSION_FORMAT_* stored in the low 16 bits of the first buffer's State in compressed files.
inline constexpr std::uint16_t kCompressionLznt1 = 2;
inline constexpr std::uint16_t kCompressionXpress = 3;
inline constexpr std::uint16_t kCompressionXpressHuff = 4;

struct BufferHeader {
    std::uint32_t buffer_size = 0;     // 0x00 distance to the next buffer
    std::uint32_t saved_offset = 0;    // 0x04 (compressed: uncompressed fill incl. header)
    std::uint32_t current_offset = 0;  // 0x08 live write pointer, ignored
    std::uint64_t timestamp = 0;       // 0x10 flush time (clock or FILETIME), not an event time
    std::uint64_t sequence = 0;        // 0x18 unique, increasing per processor
    std::uint16_t processor = 0;       // 0x28 ClientContext (corrected, see decode)
    std::uint16_t logger_id = 0;       // 0x2A
    std::uint32_t state = 0;           // 0x2C ETW_BUFFER_STATE (+ compression format in buffer 0)
    std::uint32_t offset = 0;          // 0x30 end of data when flushed: best end-of-events marker
    std::uint16_t flags = 0;           // 0x34 BufferFlag
    std::uint16_t type = 0;            // 0x36 BufferType

    bool compressed() const { return (flags & kBufferFlagCompressed) != 0; }
};

// Decodes the 0x48-byte header. `raw` must hold at least kBufferHeaderSize bytes.
BufferHeader decode_buffer_header(std::span<const std::byte> raw);
// Encodes (for the trace writer); writes exactly kBufferHeaderSize bytes.
void encode_buffer_header(const BufferHeader& h, std::span<std::byte> out);

// ---- Trace headers (the first u32 of every record) ------------------------------------------------
enum class HeaderKind : std::uint8_t {
    system32,
    system64,
    compact32,
    compact64,
    perfinfo32,
    perfinfo64,
    full_header32,
    full_header64,
    instance32,
    instance64,
    event_header32,
    event_header64,
    message,
    error,    // TRACE_HEADER_TYPE_ERROR: layout unknown, counted
    unknown,  // anything else, counted
};
inline constexpr std::size_t kHeaderKindCount = 15;

// The names used by the JSON contract of `etl stats` ("SYSTEM64", "EVENT_HEADER32", ...).
std::string_view header_kind_name(HeaderKind k);
// Pointer size of the event's data as told by its own header type (4 or 8; 0 for message/unknown).
unsigned header_pointer_size(HeaderKind k);
// Fixed header size in bytes (before extended data / optional fields).
std::size_t header_fixed_size(HeaderKind k);

// HeaderType byte values [NTWMI TRACE_HEADER_TYPE_*].
inline constexpr std::uint8_t kHeaderTypeSystem32 = 0x01;
inline constexpr std::uint8_t kHeaderTypeSystem64 = 0x02;
inline constexpr std::uint8_t kHeaderTypeCompact32 = 0x03;
inline constexpr std::uint8_t kHeaderTypeCompact64 = 0x04;
inline constexpr std::uint8_t kHeaderTypeFull32 = 0x0A;
inline constexpr std::uint8_t kHeaderTypeInstance32 = 0x0B;
inline constexpr std::uint8_t kHeaderTypeError = 0x0D;
inline constexpr std::uint8_t kHeaderTypePerfInfo32 = 0x10;
inline constexpr std::uint8_t kHeaderTypePerfInfo64 = 0x11;
inline constexpr std::uint8_t kHeaderTypeEventHeader32 = 0x12;
inline constexpr std::uint8_t kHeaderTypeEventHeader64 = 0x13;
inline constexpr std::uint8_t kHeaderTypeFull64 = 0x14;
inline constexpr std::uint8_t kHeaderTypeInstance64 = 0x15;

// Classifies a marker: flags 0xC0 → HeaderType byte; 0x90 pattern → WPP message.
HeaderKind classify_marker(std::uint32_t marker);
std::uint8_t header_type_byte(HeaderKind k);

// PERFINFO header Version-word flags [GC-PTH]: extra 8-byte fields before the data.
inline constexpr std::uint16_t kPerfInfoPebsFlag = 0x8000;
inline constexpr std::uint16_t kPerfInfoPmcMask = 0x0700;

// EVENT_HEADER flags [EVNTCONS].
inline constexpr std::uint16_t kEventHeaderFlagExtendedInfo = 0x0001;
inline constexpr std::uint16_t kEventHeaderFlagNoCpuTime = 0x0010;
inline constexpr std::uint16_t kEventHeaderFlag32BitHeader = 0x0020;
inline constexpr std::uint16_t kEventHeaderFlag64BitHeader = 0x0040;
inline constexpr std::uint16_t kEventHeaderFlagClassicHeader = 0x0100;

// EVENT_HEADER_EXT_TYPE_* [EVNTCONS].
inline constexpr std::uint16_t kExtRelatedActivityId = 1;
inline constexpr std::uint16_t kExtSid = 2;
inline constexpr std::uint16_t kExtTsId = 3;
inline constexpr std::uint16_t kExtInstanceInfo = 4;
inline constexpr std::uint16_t kExtStackTrace32 = 5;
inline constexpr std::uint16_t kExtStackTrace64 = 6;
inline constexpr std::uint16_t kExtPebsIndex = 7;
inline constexpr std::uint16_t kExtPmcCounters = 8;
inline constexpr std::uint16_t kExtPsmKey = 9;
inline constexpr std::uint16_t kExtEventKey = 10;
inline constexpr std::uint16_t kExtEventSchemaTl = 11;
inline constexpr std::uint16_t kExtProvTraits = 12;
inline constexpr std::uint16_t kExtProcessStartKey = 13;

// WPP MESSAGE_TRACE_HEADER option flags [GC-MTH].
inline constexpr std::uint16_t kMessageSequence = 0x0001;
inline constexpr std::uint16_t kMessageGuid = 0x0002;
inline constexpr std::uint16_t kMessageComponentId = 0x0004;
inline constexpr std::uint16_t kMessageTimestamp = 0x0008;
inline constexpr std::uint16_t kMessagePerfTimestamp = 0x0010;
inline constexpr std::uint16_t kMessageSystemInfo = 0x0020;

// ---- TRACE_LOGFILE_HEADER -------------------------------------------------------------------------
// LogFileMode bits used here [EVNTRACE].
inline constexpr std::uint32_t kLogFileModeCompressed = 0x04000000;
inline constexpr std::uint32_t kLogFileModeNoPerProcessorBuffering = 0x10000000;

// Clock types in ReservedFlags [GC-TLH].
inline constexpr std::uint32_t kClockRaw = 0;
inline constexpr std::uint32_t kClockQpc = 1;
inline constexpr std::uint32_t kClockSystemTime = 2;
inline constexpr std::uint32_t kClockCpuCycle = 3;

struct LogfileHeader {
    std::uint32_t buffer_size = 0;
    std::uint8_t os_major = 0;
    std::uint8_t os_minor = 0;
    std::uint8_t layout_major = 0;  // SubVersion: 1 (1.5 layout) or 2 (2.0 layout)
    std::uint8_t layout_minor = 0;
    std::uint32_t build = 0;  // ProviderVersion
    std::uint32_t processors = 0;
    std::uint64_t end_time = 0;  // FILETIME
    std::uint32_t timer_resolution = 0;
    std::uint32_t maximum_file_size = 0;
    std::uint32_t log_file_mode = 0;
    std::uint32_t buffers_written = 0;
    std::uint32_t start_buffers = 0;
    std::uint32_t pointer_size = 0;
    std::uint32_t events_lost = 0;
    std::uint32_t cpu_speed_mhz = 0;
    std::int32_t timezone_bias = 0;
    std::uint64_t boot_time = 0;   // FILETIME
    std::uint64_t perf_freq = 0;   // ticks per second of the session clock
    std::uint64_t start_time = 0;  // FILETIME
    std::uint32_t clock_type = 0;  // ReservedFlags
    std::uint32_t buffers_lost = 0;
    std::string logger_name;
    std::string log_file_name;

    // The raw timestamp of the header event: the clock value at start_time.
    std::int64_t start_timestamp = 0;
    // 4 or 8: taken from the header event's own header type (0x01 vs 0x02), not from the machine.
    unsigned header_pointer_size = 0;
};

// Decodes the payload of the header event (hook 0x0000). `pointer_size` is the header type's.
Result<LogfileHeader> decode_logfile_header(ByteReader payload, unsigned pointer_size);
// Size of the fixed TRACE_LOGFILE_HEADER part for a pointer size (0x110 / 0x118).
std::size_t logfile_header_fixed_size(unsigned pointer_size);

// Kernel hook ids (group << 8 | type) used by the reader itself.
inline constexpr std::uint16_t kHookHeader = 0x0000;

// Event-group GUIDs shown by consumers for kernel hook groups [NTWMI, GC-HOOK, dissect utils].
// Returns nullptr for an unknown group.
const Guid* kernel_group_guid(std::uint8_t group);

}  // namespace bp::etl
