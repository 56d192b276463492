// Trace-header decoding: one function per header family, each field read annotated with its offset
// and Windows name. Layouts: docs/etl-format.md §4 (NTWMI, Geoff Chappell's trace-header pages).
#include "bootprint/etl/record.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

namespace bp::etl {

namespace {

Error record_error(const EventRecord& r, std::size_t pos, const std::string& what) {
    Error e = make_error(Errc::corrupt, "");
    char where[96];
    if (r.buffer_compressed) {
        std::snprintf(where, sizeof where, "in compressed buffer at 0x%llX, record at +0x%zX: ",
                      static_cast<unsigned long long>(r.buffer_offset), pos + kBufferHeaderSize);
        e.message = where + what;
    } else {
        e.offset = r.buffer_offset + kBufferHeaderSize + pos;
        e.has_offset = true;
        e.message = what;
    }
    return e;
}

// PERFINFO-style extra fields announced by the Version word: an 8-byte PEBS index and n 8-byte PMC
// counters come before the data [GC-PTH]; SYSTEM headers honour the same bits.
std::size_t perf_extras(std::uint16_t version_word) {
    std::size_t n = (version_word & kPerfInfoPebsFlag) ? 8 : 0;
    n += static_cast<std::size_t>((version_word & kPerfInfoPmcMask) >> 8) * 8;
    return n;
}

// SYSTEM_TRACE_HEADER (0x20) / compact (0x18) / PERFINFO_TRACE_HEADER (0x10).
bool decode_kernel(const std::byte* p, std::size_t size, EventRecord& r, std::size_t& data_start) {
    const auto version_word = load_le<std::uint16_t>(p + 0x00);  // Version (+ PEBS/PMC flags)
    r.size = load_le<std::uint16_t>(p + 0x04);                   // Packet.Size
    r.hook_id = load_le<std::uint16_t>(p + 0x06);                // Packet.HookId
    r.version = version_word & 0xFF;
    r.opcode = static_cast<std::uint8_t>(r.hook_id & 0xFF);
    r.header_flags = version_word & (kPerfInfoPebsFlag | kPerfInfoPmcMask);
    r.family = EventFamily::kernel;
    const std::size_t fixed = (r.kind == HeaderKind::perfinfo32 || r.kind == HeaderKind::perfinfo64) ? 0x10
                              : (r.kind == HeaderKind::compact32 || r.kind == HeaderKind::compact64) ? 0x18 : 0x20;
    if (r.kind == HeaderKind::perfinfo32 || r.kind == HeaderKind::perfinfo64) {
        if (size < 0x10) return false;
        r.timestamp = load_le<std::int64_t>(p + 0x08);  // SystemTime
    } else {
        if (size < fixed) return false;
        r.thread_id = load_le<std::uint32_t>(p + 0x08);   // ThreadId
        r.process_id = load_le<std::uint32_t>(p + 0x0C);  // ProcessId
        r.timestamp = load_le<std::int64_t>(p + 0x10);    // SystemTime
        if (fixed == 0x20) {
            r.kernel_time = load_le<std::uint32_t>(p + 0x18);  // KernelTime
            r.user_time = load_le<std::uint32_t>(p + 0x1C);    // UserTime
        }
    }
    data_start = fixed + perf_extras(version_word);
    return true;
}

// EVENT_TRACE_HEADER (0x30) and EVENT_INSTANCE_GUID_HEADER (0x48).
void decode_classic(const std::byte* p, EventRecord& r) {
    r.size = load_le<std::uint16_t>(p + 0x00);          // Size
    r.opcode = load_le<std::uint8_t>(p + 0x04);         // Class.Type
    r.level = load_le<std::uint8_t>(p + 0x05);          // Class.Level
    r.version = load_le<std::uint16_t>(p + 0x06);       // Class.Version
    r.thread_id = load_le<std::uint32_t>(p + 0x08);     // ThreadId
    r.process_id = load_le<std::uint32_t>(p + 0x0C);    // ProcessId
    r.timestamp = load_le<std::int64_t>(p + 0x10);      // TimeStamp
    std::memcpy(r.guid.bytes.data(), p + 0x18, 16);     // Guid
    r.kernel_time = load_le<std::uint32_t>(p + 0x28);   // KernelTime
    r.user_time = load_le<std::uint32_t>(p + 0x2C);     // UserTime
    r.id = r.opcode;
    r.family = EventFamily::classic;
    r.instance_id = 0;
    r.parent_instance_id = 0;
    if (r.kind == HeaderKind::instance32 || r.kind == HeaderKind::instance64) {
        r.instance_id = load_le<std::uint32_t>(p + 0x30);         // InstanceId
        r.parent_instance_id = load_le<std::uint32_t>(p + 0x34);  // ParentInstanceId
        std::memcpy(r.parent_guid.bytes.data(), p + 0x38, 16);    // ParentGuid
    }
}

// EVENT_HEADER (0x50).
void decode_event_header(const std::byte* p, EventRecord& r) {
    r.size = load_le<std::uint16_t>(p + 0x00);            // Size
    r.header_flags = load_le<std::uint16_t>(p + 0x04);    // Flags
    r.event_property = load_le<std::uint16_t>(p + 0x06);  // EventProperty
    r.thread_id = load_le<std::uint32_t>(p + 0x08);       // ThreadId
    r.process_id = load_le<std::uint32_t>(p + 0x0C);      // ProcessId
    r.timestamp = load_le<std::int64_t>(p + 0x10);        // TimeStamp
    std::memcpy(r.guid.bytes.data(), p + 0x18, 16);       // ProviderId
    r.id = load_le<std::uint16_t>(p + 0x28);              // EventDescriptor.Id
    r.version = load_le<std::uint8_t>(p + 0x2A);          // EventDescriptor.Version
    r.channel = load_le<std::uint8_t>(p + 0x2B);          // EventDescriptor.Channel
    r.level = load_le<std::uint8_t>(p + 0x2C);            // EventDescriptor.Level
    r.opcode = load_le<std::uint8_t>(p + 0x2D);           // EventDescriptor.Opcode
    r.task = load_le<std::uint16_t>(p + 0x2E);            // EventDescriptor.Task
    r.keyword = load_le<std::uint64_t>(p + 0x30);         // EventDescriptor.Keyword
    r.kernel_time = load_le<std::uint32_t>(p + 0x38);     // KernelTime (or ProcessorTime low)
    r.user_time = load_le<std::uint32_t>(p + 0x3C);       // UserTime (or ProcessorTime high)
    std::memcpy(r.activity_id.bytes.data(), p + 0x40, 16);  // ActivityId
    r.family = EventFamily::manifest;
}

// Walks packed extended items from `start`; returns the offset just after the last one, or 0 on a
// malformed chain.
std::size_t skip_extended(const std::byte* p, std::size_t start, std::size_t end) {
    std::size_t pos = start;
    for (;;) {
        if (end - pos < 8) return 0;
        const auto item_size = load_le<std::uint16_t>(p + pos + 0);  // Reserved1: item size incl. header
        const auto linkage = load_le<std::uint16_t>(p + pos + 4);    // Linkage:1 | Reserved2:15
        const auto data_size = load_le<std::uint16_t>(p + pos + 6);  // DataSize
        std::size_t step = item_size;
        if (step == 0) step = (8 + static_cast<std::size_t>(data_size) + 7) & ~std::size_t{7};
        if (step < 8 + static_cast<std::size_t>(data_size) || step > end - pos) return 0;
        pos += step;
        if ((linkage & 1) == 0) return pos;
    }
}

// MESSAGE_TRACE_HEADER (8) + optional fields chosen by OptionFlags [GC-MTH].
bool decode_message(const std::byte* p, std::size_t size, EventRecord& r, std::size_t& data_start) {
    r.size = load_le<std::uint16_t>(p + 0x00);         // Size
    r.id = load_le<std::uint16_t>(p + 0x04);           // MessageNumber
    r.header_flags = load_le<std::uint16_t>(p + 0x06); // OptionFlags
    r.family = EventFamily::message;
    r.sequence = 0;
    r.component_id = 0;
    r.guid = Guid{};
    std::size_t pos = 8;
    auto need = [&](std::size_t n) { return size >= pos + n; };
    if (r.header_flags & kMessageSequence) {
        if (!need(4)) return false;
        r.sequence = load_le<std::uint32_t>(p + pos);
        pos += 4;
    }
    if (r.header_flags & kMessageComponentId) {
        if (!need(4)) return false;
        r.component_id = load_le<std::uint32_t>(p + pos);
        pos += 4;
    } else if (r.header_flags & kMessageGuid) {
        if (!need(16)) return false;
        std::memcpy(r.guid.bytes.data(), p + pos, 16);
        pos += 16;
    }
    r.has_timestamp = false;
    if (r.header_flags & (kMessageTimestamp | kMessagePerfTimestamp)) {
        if (!need(8)) return false;
        r.timestamp = load_le<std::int64_t>(p + pos);
        r.has_timestamp = true;
        pos += 8;
    }
    if (r.header_flags & kMessageSystemInfo) {
        if (!need(8)) return false;
        r.thread_id = load_le<std::uint32_t>(p + pos);
        r.process_id = load_le<std::uint32_t>(p + pos + 4);
        pos += 8;
    }
    data_start = pos;
    return true;
}

// Header kind, pointer size and fixed header size by the marker's top two bytes, computed once.
struct KindInfo {
    HeaderKind kind;
    std::uint8_t pointer_size;
    std::uint8_t fixed_size;
};

KindInfo make_kind_info(HeaderKind k) {
    return {k, static_cast<std::uint8_t>(header_pointer_size(k)), static_cast<std::uint8_t>(header_fixed_size(k))};
}

const KindInfo& kind_info(std::uint32_t marker) {
    // Trace headers (flags 0xC0) by their HeaderType byte; anything else through classify_marker.
    static const auto by_type = [] {
        std::array<KindInfo, 256> t{};
        for (std::uint32_t type = 0; type < 256; ++type) t[type] = make_kind_info(classify_marker(0xC0000000u | (type << 16)));
        return t;
    }();
    static const KindInfo message = make_kind_info(HeaderKind::message);
    static const KindInfo unknown = make_kind_info(HeaderKind::unknown);
    if ((marker & 0xC0000000u) == 0xC0000000u) return by_type[(marker >> 16) & 0xFF];
    return classify_marker(marker) == HeaderKind::message ? message : unknown;
}

}  // namespace

std::string EventRecord::location() const {
    char buf[80];
    if (buffer_compressed) {
        std::snprintf(buf, sizeof buf, "compressed buffer at 0x%llX, record at +0x%X",
                      static_cast<unsigned long long>(buffer_offset), offset_in_buffer);
    } else {
        std::snprintf(buf, sizeof buf, "0x%llX", static_cast<unsigned long long>(file_offset()));
    }
    return buf;
}

Result<std::size_t> decode_record(std::span<const std::byte> events, std::size_t pos, EventRecord& out) {
    const std::size_t avail = events.size() - pos;
    if (pos >= events.size() || avail < 4) return std::size_t{0};
    const std::byte* p = events.data() + pos;
    const auto marker = load_le<std::uint32_t>(p);
    if (marker == 0xFFFFFFFF) return std::size_t{0};  // fill after the last event

    // Reset the fields every family sets (a full reset of the record costs more than the decode);
    // family-specific fields are documented as meaningful only for their family. The caller's
    // buffer context (buffer_offset, cpu, buffer_compressed) is kept.
    const std::int64_t previous_ts = out.timestamp;
    out.offset_in_buffer = static_cast<std::uint32_t>(kBufferHeaderSize + pos);
    out.marker = marker;
    const KindInfo& info = kind_info(marker);
    out.kind = info.kind;
    out.pointer_size = info.pointer_size;
    out.has_timestamp = true;
    out.thread_id = kNoId;
    out.process_id = kNoId;
    out.hook_id = 0;
    out.id = 0;
    out.version = 0;
    out.opcode = 0;
    out.level = 0;
    out.channel = 0;
    out.task = 0;
    out.keyword = 0;
    out.header_flags = 0;
    out.event_property = 0;
    out.kernel_time = 0;
    out.user_time = 0;
    out.extended = {};

    const std::size_t fixed = info.fixed_size;
    if (out.kind == HeaderKind::unknown || out.kind == HeaderKind::error) {
        // A trace header (TRACE_HEADER_FLAG set) of a type we do not know: counted, never fatal. Its
        // size field is not at a known place, so the rest of the buffer is passed over, except for
        // the ERROR type whose Size is believed to be the first u16 (etl-format.md §4.1, a guess we
        // accept only when it is plausible).
        if ((marker & 0x80000000u) == 0) {
            char buf[96];
            std::snprintf(buf, sizeof buf, "0x%08X is not a trace header marker", marker);
            return record_error(out, pos, buf);
        }
        out.family = EventFamily::unknown;
        std::size_t skip = avail;
        if (out.kind == HeaderKind::error) {
            const auto sz = load_le<std::uint16_t>(p);
            if (sz >= 8 && sz <= avail) skip = sz;
        }
        out.size = static_cast<std::uint16_t>(std::min<std::size_t>(skip, 0xFFFF));
        out.has_timestamp = false;
        out.timestamp = previous_ts;
        return std::max<std::size_t>((skip + 7) & ~std::size_t{7}, 8);
    }
    if (avail < fixed) {
        char buf[120];
        std::snprintf(buf, sizeof buf, "%s header needs 0x%zX bytes but the buffer has 0x%zX left",
                      std::string(header_kind_name(out.kind)).c_str(), fixed, avail);
        return record_error(out, pos, buf);
    }
    std::size_t data_start = fixed;
    switch (out.kind) {
        case HeaderKind::system32:
        case HeaderKind::system64:
        case HeaderKind::compact32:
        case HeaderKind::compact64:
        case HeaderKind::perfinfo32:
        case HeaderKind::perfinfo64:
            decode_kernel(p, avail, out, data_start);
            break;
        case HeaderKind::full_header32:
        case HeaderKind::full_header64:
        case HeaderKind::instance32:
        case HeaderKind::instance64:
            decode_classic(p, out);
            break;
        case HeaderKind::event_header32:
        case HeaderKind::event_header64:
            decode_event_header(p, out);
            break;
        case HeaderKind::message:
            if (!decode_message(p, avail, out, data_start)) {
                return record_error(out, pos, "WPP message header fields overrun the buffer");
            }
            if (!out.has_timestamp) out.timestamp = previous_ts;
            break;
        default:
            break;
    }
    const std::size_t size = out.size;
    if (size < data_start) {
        char buf[120];
        std::snprintf(buf, sizeof buf, "%s record claims 0x%zX bytes, less than its 0x%zX-byte header",
                      std::string(header_kind_name(out.kind)).c_str(), size, data_start);
        return record_error(out, pos, buf);
    }
    if (size > avail) {
        char buf[120];
        std::snprintf(buf, sizeof buf, "record claims 0x%zX bytes but the buffer has 0x%zX left", size, avail);
        return record_error(out, pos, buf);
    }
    if ((out.kind == HeaderKind::event_header32 || out.kind == HeaderKind::event_header64) &&
        (out.header_flags & kEventHeaderFlagExtendedInfo)) {
        const std::size_t ext_end = skip_extended(p, fixed, size);
        if (ext_end == 0) return record_error(out, pos, "malformed EVENT_HEADER extended data items");
        out.extended = events.subspan(pos + fixed, ext_end - fixed);
        data_start = ext_end;
    }
    out.payload = events.subspan(pos + data_start, size - data_start);
    return (size + 7) & ~std::size_t{7};
}

std::vector<ExtendedItem> extended_items(std::span<const std::byte> ext) {
    std::vector<ExtendedItem> items;
    std::size_t pos = 0;
    while (ext.size() - pos >= 8) {
        const auto item_size = load_le<std::uint16_t>(ext.data() + pos + 0);
        const auto type = load_le<std::uint16_t>(ext.data() + pos + 2);
        const auto linkage = load_le<std::uint16_t>(ext.data() + pos + 4);
        const auto data_size = load_le<std::uint16_t>(ext.data() + pos + 6);
        std::size_t step = item_size ? item_size : ((8 + static_cast<std::size_t>(data_size) + 7) & ~std::size_t{7});
        if (step < 8 + static_cast<std::size_t>(data_size) || step > ext.size() - pos) break;
        items.push_back({type, ext.subspan(pos + 8, data_size)});
        pos += step;
        if ((linkage & 1) == 0) break;
    }
    return items;
}

bool extended_stack(std::span<const std::byte> ext, ExtendedStack& out) {
    for (const auto& item : extended_items(ext)) {
        if (item.type != kExtStackTrace32 && item.type != kExtStackTrace64) continue;
        const std::size_t width = item.type == kExtStackTrace64 ? 8 : 4;
        if (item.data.size() < 8) return false;
        out.match_id = load_le<std::uint64_t>(item.data.data());
        out.frames.clear();
        for (std::size_t p = 8; p + width <= item.data.size(); p += width) {
            out.frames.push_back(width == 8 ? load_le<std::uint64_t>(item.data.data() + p)
                                            : load_le<std::uint32_t>(item.data.data() + p));
        }
        return true;
    }
    return false;
}

std::string event_key(const EventRecord& e) {
    char buf[96];
    switch (e.family) {
        case EventFamily::kernel:
            std::snprintf(buf, sizeof buf, "kernel/0x%04x/%u", e.hook_id, e.version);
            return buf;
        case EventFamily::classic:
            std::snprintf(buf, sizeof buf, "/%u/%u", e.opcode, e.version);
            return "classic/" + e.guid.to_string() + buf;
        case EventFamily::manifest:
            std::snprintf(buf, sizeof buf, "/%u/%u", e.id, e.version);
            return "event/" + e.guid.to_string() + buf;
        case EventFamily::message:
            if (e.header_flags & kMessageComponentId) {
                std::snprintf(buf, sizeof buf, "message/component-%u/%u", e.component_id, e.id);
                return buf;
            }
            std::snprintf(buf, sizeof buf, "/%u", e.id);
            return "message/" + e.guid.to_string() + buf;
        case EventFamily::unknown:
            break;
    }
    std::snprintf(buf, sizeof buf, "unknown/0x%08x", e.marker);
    return buf;
}

}  // namespace bp::etl
