// Trace-header encoders. Each field write carries its offset and Windows name, mirroring
// agent/src/etl/record.cpp (layouts: docs/etl-format.md §4.2–§4.7).
#include "bootprint/writer/record_encoder.hpp"

#include <string>

#include "writer/byte_writer.hpp"

namespace bp::writer {

namespace {

using detail::ByteWriter;

constexpr std::size_t kMaxRecordSize = 0xFFFF;          // Size is a u16 in every header
constexpr std::uint32_t kMarkerFlagsEventTrace = 0xC0;  // TRACE_HEADER_FLAG | TRACE_HEADER_EVENT_TRACE
constexpr std::uint8_t kMarkerFlagsMessage = 0x90;      // TRACE_HEADER_FLAG | TRACE_MESSAGE

Error bad_argument(const std::string& what) {
    return make_error(Errc::invalid_argument, what);
}

// Patches the record's Size field (at +0 or +4) once the record is complete.
Result<std::vector<std::byte>> finish(ByteWriter& w, std::size_t size_field_at, const char* what) {
    if (w.size() > kMaxRecordSize) {
        return bad_argument(std::string(what) + " record of " + std::to_string(w.size()) +
                            " bytes exceeds the 0xFFFF bytes its Size field can hold");
    }
    w.u16_at(size_field_at, static_cast<std::uint16_t>(w.size()));
    return w.take();
}

bool is_kernel_kind(etl::HeaderKind k) {
    switch (k) {
        case etl::HeaderKind::system32:
        case etl::HeaderKind::system64:
        case etl::HeaderKind::compact32:
        case etl::HeaderKind::compact64:
        case etl::HeaderKind::perfinfo32:
        case etl::HeaderKind::perfinfo64:
            return true;
        default:
            return false;
    }
}

}  // namespace

// ---- extended data item builders -------------------------------------------------------------------

ExtendedData related_activity_id_item(const Guid& related) {
    ByteWriter w;
    w.guid(related);
    return {etl::kExtRelatedActivityId, w.take()};
}

ExtendedData stack_trace_item(std::uint64_t match_id, const std::vector<std::uint64_t>& frames,
                              unsigned pointer_size) {
    const unsigned width = pointer_size == 4 ? 4 : 8;
    ByteWriter w;
    w.u64(match_id);  // MatchId
    for (std::uint64_t f : frames) w.pointer(f, width);
    return {width == 4 ? etl::kExtStackTrace32 : etl::kExtStackTrace64, w.take()};
}

ExtendedData u32_item(std::uint16_t type, std::uint32_t value) {
    ByteWriter w;
    w.u32(value);
    return {type, w.take()};
}

ExtendedData u64_item(std::uint16_t type, std::uint64_t value) {
    ByteWriter w;
    w.u64(value);
    return {type, w.take()};
}

ExtendedData pmc_counters_item(const std::vector<std::uint64_t>& counters) {
    ByteWriter w;
    for (std::uint64_t c : counters) w.u64(c);
    return {etl::kExtPmcCounters, w.take()};
}

// ---- records ---------------------------------------------------------------------------------------

Result<std::vector<std::byte>> encode_record(const KernelRecord& r) {
    if (!is_kernel_kind(r.kind)) {
        return bad_argument("a KernelRecord needs a SYSTEM, COMPACT or PERFINFO header kind, not " +
                            std::string(etl::header_kind_name(r.kind)));
    }
    if (r.pmc_counters.size() > 7) {
        return bad_argument("at most 7 PMC counters fit the Version word, got " +
                            std::to_string(r.pmc_counters.size()));
    }
    const bool perfinfo = r.kind == etl::HeaderKind::perfinfo32 || r.kind == etl::HeaderKind::perfinfo64;
    const bool full = r.kind == etl::HeaderKind::system32 || r.kind == etl::HeaderKind::system64;
    std::uint16_t version_word = r.version;
    if (r.pebs_index) version_word |= etl::kPerfInfoPebsFlag;
    version_word |= static_cast<std::uint16_t>(r.pmc_counters.size() << 8);

    ByteWriter w(etl::header_fixed_size(r.kind) + 64 + r.payload.size());
    w.u16(version_word);                  // 0x00 Version (+ PEBS/PMC flags)
    w.u8(etl::header_type_byte(r.kind));  // 0x02 HeaderType
    w.u8(kMarkerFlagsEventTrace);         // 0x03 Flags
    w.u16(0);                             // 0x04 Packet.Size (patched)
    w.u16(r.hook_id);                     // 0x06 Packet.HookId
    if (perfinfo) {
        w.i64(r.timestamp);  // 0x08 SystemTime
    } else {
        w.u32(r.thread_id);   // 0x08 ThreadId
        w.u32(r.process_id);  // 0x0C ProcessId
        w.i64(r.timestamp);   // 0x10 SystemTime
        if (full) {
            w.u32(r.kernel_time);  // 0x18 KernelTime
            w.u32(r.user_time);    // 0x1C UserTime
        }
    }
    if (r.pebs_index) w.u64(*r.pebs_index);           // PEBS index
    for (std::uint64_t c : r.pmc_counters) w.u64(c);  // PMC counters
    w.bytes(r.payload);
    return finish(w, 0x04, "kernel");
}

Result<std::vector<std::byte>> encode_record(const ClassicRecord& r) {
    const bool instance = r.kind == etl::HeaderKind::instance32 || r.kind == etl::HeaderKind::instance64;
    if (!instance && r.kind != etl::HeaderKind::full_header32 && r.kind != etl::HeaderKind::full_header64) {
        return bad_argument("a ClassicRecord needs a FULL_HEADER or INSTANCE header kind, not " +
                            std::string(etl::header_kind_name(r.kind)));
    }
    ByteWriter w(etl::header_fixed_size(r.kind) + r.payload.size());
    w.u16(0);                             // 0x00 Size (patched)
    w.u8(etl::header_type_byte(r.kind));  // 0x02 HeaderType
    w.u8(kMarkerFlagsEventTrace);         // 0x03 MarkerFlags
    w.u8(r.type);                         // 0x04 Class.Type
    w.u8(r.level);                        // 0x05 Class.Level
    w.u16(r.version);                     // 0x06 Class.Version
    w.u32(r.thread_id);                   // 0x08 ThreadId
    w.u32(r.process_id);                  // 0x0C ProcessId
    w.i64(r.timestamp);                   // 0x10 TimeStamp
    w.guid(r.guid);                       // 0x18 Guid
    w.u32(r.kernel_time);                 // 0x28 KernelTime
    w.u32(r.user_time);                   // 0x2C UserTime
    if (instance) {
        w.u32(r.instance_id);         // 0x30 InstanceId
        w.u32(r.parent_instance_id);  // 0x34 ParentInstanceId
        w.guid(r.parent_guid);        // 0x38 ParentGuid
    }
    w.bytes(r.payload);
    return finish(w, 0x00, "classic");
}

Result<std::vector<std::byte>> encode_record(const EventHeaderRecord& r) {
    if (r.kind != etl::HeaderKind::event_header32 && r.kind != etl::HeaderKind::event_header64) {
        return bad_argument("an EventHeaderRecord needs an EVENT_HEADER header kind, not " +
                            std::string(etl::header_kind_name(r.kind)));
    }
    std::uint16_t flags = r.flags;
    flags |= r.kind == etl::HeaderKind::event_header64 ? etl::kEventHeaderFlag64BitHeader
                                                       : etl::kEventHeaderFlag32BitHeader;
    if (!r.extended.empty()) flags |= etl::kEventHeaderFlagExtendedInfo;

    ByteWriter w(0x50 + r.payload.size());
    w.u16(0);                             // 0x00 Size (patched)
    w.u8(etl::header_type_byte(r.kind));  // 0x02 HeaderType
    w.u8(kMarkerFlagsEventTrace);         // 0x03 MarkerFlags
    w.u16(flags);                         // 0x04 Flags
    w.u16(r.event_property);              // 0x06 EventProperty
    w.u32(r.thread_id);                   // 0x08 ThreadId
    w.u32(r.process_id);                  // 0x0C ProcessId
    w.i64(r.timestamp);                   // 0x10 TimeStamp
    w.guid(r.provider);                   // 0x18 ProviderId
    w.u16(r.id);                          // 0x28 EventDescriptor.Id
    w.u8(r.version);                      // 0x2A EventDescriptor.Version
    w.u8(r.channel);                      // 0x2B EventDescriptor.Channel
    w.u8(r.level);                        // 0x2C EventDescriptor.Level
    w.u8(r.opcode);                       // 0x2D EventDescriptor.Opcode
    w.u16(r.task);                        // 0x2E EventDescriptor.Task
    w.u64(r.keyword);                     // 0x30 EventDescriptor.Keyword
    w.u32(r.kernel_time);                 // 0x38 KernelTime
    w.u32(r.user_time);                   // 0x3C UserTime
    w.guid(r.activity_id);                // 0x40 ActivityId
    for (std::size_t i = 0; i < r.extended.size(); ++i) {
        const ExtendedData& item = r.extended[i];
        const std::size_t padded = (item.data.size() + 7) & ~std::size_t{7};
        if (8 + padded > 0xFFFF) return bad_argument("extended data item larger than 0xFFF7 bytes");
        const bool more = i + 1 < r.extended.size();
        w.u16(static_cast<std::uint16_t>(8 + padded));        // Reserved1: item size incl. header
        w.u16(item.type);                                     // ExtType
        w.u16(more ? 1 : 0);                                  // Linkage:1 | Reserved2:15
        w.u16(static_cast<std::uint16_t>(item.data.size()));  // DataSize
        w.bytes(item.data);
        w.zeros(padded - item.data.size());
    }
    w.bytes(r.payload);
    return finish(w, 0x00, "EVENT_HEADER");
}

Result<std::vector<std::byte>> encode_record(const MessageRecord& r) {
    ByteWriter w(32 + r.payload.size());
    w.u16(0);                   // 0x00 Size (patched)
    w.u8(0);                    // 0x02 Reserved
    w.u8(kMarkerFlagsMessage);  // 0x03 Version / marker flags
    w.u16(r.message_number);    // 0x04 MessageNumber
    w.u16(r.option_flags);      // 0x06 OptionFlags
    if (r.option_flags & etl::kMessageSequence) w.u32(r.sequence);
    if (r.option_flags & etl::kMessageComponentId) {
        w.u32(r.component_id);
    } else if (r.option_flags & etl::kMessageGuid) {
        w.guid(r.guid);
    }
    if (r.option_flags & (etl::kMessageTimestamp | etl::kMessagePerfTimestamp)) w.i64(r.timestamp);
    if (r.option_flags & etl::kMessageSystemInfo) {
        w.u32(r.thread_id);
        w.u32(r.process_id);
    }
    w.bytes(r.payload);
    return finish(w, 0x00, "message");
}

std::optional<std::int64_t> record_timestamp(const KernelRecord& r) {
    return r.timestamp;
}
std::optional<std::int64_t> record_timestamp(const ClassicRecord& r) {
    return r.timestamp;
}
std::optional<std::int64_t> record_timestamp(const EventHeaderRecord& r) {
    return r.timestamp;
}
std::optional<std::int64_t> record_timestamp(const MessageRecord& r) {
    if (r.option_flags & (etl::kMessageTimestamp | etl::kMessagePerfTimestamp)) return r.timestamp;
    return std::nullopt;
}

}  // namespace bp::writer
