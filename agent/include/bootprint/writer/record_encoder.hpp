// Encoders for event records: one trace-header family per struct, producing exactly the bytes a
// Windows logger puts into a buffer (header + optional parts + payload, without the 8-byte alignment
// padding, which the buffer adds). Layouts: docs/etl-format.md §4 — the same tables bp::etl's
// decode_record reads, so decode_record(encode_record(r)) gives back every field of `r`.
//
//   bp::writer::KernelRecord r;
//   r.kind = bp::etl::HeaderKind::system64;
//   r.hook_id = bp::etl::hook::kPoolAlloc;
//   r.version = 2;
//   r.timestamp = 12345;
//   r.payload = bp::writer::encode_pool_event(alloc, 8);
//   BP_TRY(std::vector<std::byte> bytes, bp::writer::encode_record(r));
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "bootprint/common/guid.hpp"
#include "bootprint/common/result.hpp"
#include "bootprint/etl/format.hpp"

namespace bp::writer {

// SYSTEM_TRACE_HEADER (full 0x20 / compact 0x18) or PERFINFO_TRACE_HEADER (0x10): NT kernel logger
// events identified by hook id. `kind` is one of system32/64, compact32/64, perfinfo32/64; it also
// decides the pointer size of the event data.
struct KernelRecord {
    etl::HeaderKind kind = etl::HeaderKind::system64;
    std::uint16_t hook_id = 0;      // Group << 8 | Type
    std::uint8_t version = 2;       // event-data version (low byte of the marker)
    std::uint32_t thread_id = 0;    // not in PERFINFO headers
    std::uint32_t process_id = 0;   // not in PERFINFO headers
    std::int64_t timestamp = 0;     // SystemTime, raw session clock
    std::uint32_t kernel_time = 0;  // full SYSTEM header only
    std::uint32_t user_time = 0;    // full SYSTEM header only
    // Extra 8-byte fields announced in the Version word (0x8000 PEBS, 0x0700 PMC count) [GC-PTH].
    std::optional<std::uint64_t> pebs_index;
    std::vector<std::uint64_t> pmc_counters;  // at most 7
    std::vector<std::byte> payload;
};

// EVENT_TRACE_HEADER (0x30, classic/MOF) or EVENT_INSTANCE_GUID_HEADER (0x48).
// `kind` is one of full_header32/64, instance32/64.
struct ClassicRecord {
    etl::HeaderKind kind = etl::HeaderKind::full_header64;
    Guid guid;                  // event class GUID
    std::uint8_t type = 0;      // Class.Type (opcode)
    std::uint8_t level = 0;     // Class.Level
    std::uint16_t version = 0;  // Class.Version
    std::uint32_t thread_id = 0;
    std::uint32_t process_id = 0;
    std::int64_t timestamp = 0;
    std::uint32_t kernel_time = 0;
    std::uint32_t user_time = 0;
    // Instance header only.
    std::uint32_t instance_id = 0;
    std::uint32_t parent_instance_id = 0;
    Guid parent_guid;
    std::vector<std::byte> payload;
};

// One EVENT_HEADER extended data item (type = EVENT_HEADER_EXT_TYPE_*, data unpadded).
struct ExtendedData {
    std::uint16_t type = 0;
    std::vector<std::byte> data;
};

// Item builders for the common extended data types.
ExtendedData related_activity_id_item(const Guid& related);
// STACK_TRACE32 (pointer size 4) / STACK_TRACE64 (8): MatchId u64 + frames.
ExtendedData stack_trace_item(std::uint64_t match_id, const std::vector<std::uint64_t>& frames,
                              unsigned pointer_size);
ExtendedData u32_item(std::uint16_t type, std::uint32_t value);  // e.g. TS_ID (session id)
ExtendedData u64_item(std::uint16_t type, std::uint64_t value);  // e.g. PEBS_INDEX, EVENT_KEY
ExtendedData pmc_counters_item(const std::vector<std::uint64_t>& counters);

// EVENT_HEADER (0x50): manifest-based and TraceLogging providers. `kind` is event_header32/64.
// encode_record adds EXTENDED_INFO when `extended` is not empty and 32_BIT_HEADER / 64_BIT_HEADER
// for the kind; other flag bits are taken as given.
struct EventHeaderRecord {
    etl::HeaderKind kind = etl::HeaderKind::event_header64;
    std::uint16_t flags = 0;
    std::uint16_t event_property = 0;
    std::uint32_t thread_id = 0;
    std::uint32_t process_id = 0;
    std::int64_t timestamp = 0;
    Guid provider;
    std::uint16_t id = 0;
    std::uint8_t version = 0;
    std::uint8_t channel = 0;
    std::uint8_t level = 0;
    std::uint8_t opcode = 0;
    std::uint16_t task = 0;
    std::uint64_t keyword = 0;
    std::uint32_t kernel_time = 0;
    std::uint32_t user_time = 0;
    Guid activity_id;
    std::vector<ExtendedData> extended;  // written in order, Linkage set on all but the last
    std::vector<std::byte> payload;
};

// MESSAGE_TRACE_HEADER (8) + optional fields (WPP). `option_flags` (etl::kMessage*) decide which of
// the fields below are written, in the documented order: sequence, component id (wins over GUID) or
// GUID, timestamp (TIMESTAMP or PERFORMANCE_TIMESTAMP), thread id + process id (SYSTEMINFO).
struct MessageRecord {
    std::uint16_t message_number = 0;
    std::uint16_t option_flags = 0;
    std::uint32_t sequence = 0;
    std::uint32_t component_id = 0;
    Guid guid;
    std::int64_t timestamp = 0;
    std::uint32_t thread_id = 0;
    std::uint32_t process_id = 0;
    std::vector<std::byte> payload;  // the argument blob
};

// Each fails with Errc::invalid_argument when the kind does not belong to the struct, when there are
// more than 7 PMC counters, or when the record would exceed the 0xFFFF bytes its Size field can hold.
Result<std::vector<std::byte>> encode_record(const KernelRecord& r);
Result<std::vector<std::byte>> encode_record(const ClassicRecord& r);
Result<std::vector<std::byte>> encode_record(const EventHeaderRecord& r);
Result<std::vector<std::byte>> encode_record(const MessageRecord& r);

// The timestamp a record carries, for a writer that tracks flush and end times (a message without a
// timestamp field has none).
std::optional<std::int64_t> record_timestamp(const KernelRecord& r);
std::optional<std::int64_t> record_timestamp(const ClassicRecord& r);
std::optional<std::int64_t> record_timestamp(const EventHeaderRecord& r);
std::optional<std::int64_t> record_timestamp(const MessageRecord& r);

}  // namespace bp::writer
