// One event record of a buffer, decoded from whichever trace header it carries. The payload and
// extended-data spans point into the buffer the record was read from: they stay valid only as long as
// that buffer does (see EtlFile / TimeOrderedReader for how long that is).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bootprint/common/guid.hpp"
#include "bootprint/common/result.hpp"
#include "bootprint/etl/format.hpp"

namespace bp::etl {

inline constexpr std::uint32_t kNoId = 0xFFFFFFFF;

// How an event is identified: by kernel hook (SYSTEM/COMPACT/PERFINFO headers), by class GUID + type
// + version (classic EVENT_TRACE_HEADER and instance headers), by provider GUID + event id + version
// (EVENT_HEADER), or by message number (WPP).
enum class EventFamily : std::uint8_t { kernel, classic, manifest, message, unknown };

struct EventRecord {
    HeaderKind kind = HeaderKind::unknown;
    EventFamily family = EventFamily::unknown;
    unsigned pointer_size = 0;       // of the event's data, from its own header type (4 or 8)
    std::uint32_t marker = 0;        // first u32 of the record
    std::uint16_t size = 0;          // record size including the header
    std::uint64_t buffer_offset = 0; // file offset of the buffer holding the record
    std::uint32_t offset_in_buffer = 0;  // offset from the buffer start (decompressed view)
    bool buffer_compressed = false;
    std::uint16_t cpu = 0;
    std::int64_t timestamp = 0;      // raw session clock (see TraceClock)
    bool has_timestamp = true;       // false for a WPP message without a timestamp field
    std::uint32_t thread_id = kNoId;
    std::uint32_t process_id = kNoId;

    // Identity. Fields marked with a family are meaningful only for records of that family (the
    // decoder does not clear them for the others, to stay fast).
    std::uint16_t hook_id = 0;   // kernel: group << 8 | type
    Guid guid;                   // classic: event class; manifest: provider; message: component GUID
    std::uint16_t id = 0;        // manifest: event id; classic: Class.Type; message: message number
    std::uint16_t version = 0;   // kernel: header version byte; classic: Class.Version; manifest: version
    std::uint8_t opcode = 0;     // kernel: hook type; classic: Class.Type; manifest: opcode
    std::uint8_t level = 0;
    std::uint8_t channel = 0;
    std::uint16_t task = 0;
    std::uint64_t keyword = 0;

    std::uint16_t header_flags = 0;    // EVENT_HEADER Flags / message OptionFlags / PERFINFO flag bits
    std::uint16_t event_property = 0;  // EVENT_HEADER EventProperty
    std::uint32_t kernel_time = 0;
    std::uint32_t user_time = 0;
    Guid activity_id;            // manifest only
    // Instance header extras (classic family; zero for plain classic headers).
    std::uint32_t instance_id = 0;
    std::uint32_t parent_instance_id = 0;
    Guid parent_guid;
    // WPP extras (message family).
    std::uint32_t sequence = 0;
    std::uint32_t component_id = 0;

    std::span<const std::byte> extended;  // EVENT_HEADER packed extended data items (may be empty)
    std::span<const std::byte> payload;   // the event's data after every header part

    std::uint8_t hook_group() const { return static_cast<std::uint8_t>(hook_id >> 8); }
    std::uint8_t hook_type() const { return static_cast<std::uint8_t>(hook_id & 0xFF); }
    // Absolute file offset of the record; meaningful only for uncompressed buffers.
    std::uint64_t file_offset() const { return buffer_offset + offset_in_buffer; }
    // "buffer at 0x1000 (compressed), record at +0x58" or "0x1058": where to look in the file.
    std::string location() const;
};

// Decodes the record starting at `pos` of `events` (the bytes after the buffer header; `pos` is
// relative to them). On success sets `out` and returns the 8-byte aligned distance to the next record.
// Returns 0 when `pos` holds the 0xFFFFFFFF fill or fewer than 4 bytes remain (end of events).
// Errors: a size below the header's, a record overrunning the events area, malformed extended data.
// `out.buffer_offset`, `.cpu` and `.buffer_compressed` must be set by the caller; they are kept.
Result<std::size_t> decode_record(std::span<const std::byte> events, std::size_t pos, EventRecord& out);

// One EVENT_HEADER extended data item.
struct ExtendedItem {
    std::uint16_t type = 0;
    std::span<const std::byte> data;
};

// Splits packed extended data into items (already validated by decode_record).
std::vector<ExtendedItem> extended_items(std::span<const std::byte> extended);

// Stack trace carried as an EVENT_HEADER extended item (STACK_TRACE32/64).
struct ExtendedStack {
    std::uint64_t match_id = 0;
    std::vector<std::uint64_t> frames;
};
// Decodes the first STACK_TRACE32/64 item, if any.
bool extended_stack(std::span<const std::byte> extended, ExtendedStack& out);

// The counting key of an event: "kernel/0x0e20/2", "classic/{guid}/36/2", "event/{guid}/5/0",
// "message/{guid}/12", "unknown/0xMARKER" — the forms of the shared corpus' expected files.
std::string event_key(const EventRecord& e);

}  // namespace bp::etl
