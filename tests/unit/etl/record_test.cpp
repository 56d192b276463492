// decode_record for every trace-header kind and both pointer sizes, built byte by byte with the
// writer's record encoders (whose layouts the raw-offset checks below pin independently).
#include "bootprint/etl/record.hpp"

#include <catch2/catch.hpp>

#include <vector>

#include "bootprint/writer/record_encoder.hpp"
#include "unit/etl/trace_files.hpp"

using namespace bp::etl;
using bp::test::bytes_of;
using bp::test::get_le;
using bp::test::put_le;
using bp::writer::ClassicRecord;
using bp::writer::encode_record;
using bp::writer::EventHeaderRecord;
using bp::writer::KernelRecord;
using bp::writer::MessageRecord;

namespace {

const bp::Guid kProvider = *bp::Guid::parse("{22fb2cd6-0e7b-422b-a0c7-2fad1fd0e716}");
const bp::Guid kActivity = *bp::Guid::parse("{01020304-0506-0708-090a-0b0c0d0e0f10}");
const bp::Guid kRelated = *bp::Guid::parse("{a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf}");

std::vector<std::byte> encoded(const auto& record) {
    auto bytes = encode_record(record);
    INFO((bytes ? std::string() : bytes.error().describe()));
    REQUIRE(bytes.has_value());
    return std::move(bytes).value();
}

// The record followed by 0xFF fill, as in a buffer.
struct Decoded {
    std::vector<std::byte> events;
    EventRecord rec;
    std::size_t step = 0;
};

Decoded decode_alone(const std::vector<std::byte>& record, std::size_t fill = 16) {
    Decoded d;
    d.events = record;
    d.events.resize(((record.size() + 7) & ~std::size_t{7}) + fill, std::byte{0xFF});
    d.rec.buffer_offset = 0x2000;
    d.rec.cpu = 3;
    auto step = decode_record(d.events, 0, d.rec);
    INFO((step ? std::string() : step.error().describe()));
    REQUIRE(step.has_value());
    d.step = *step;
    return d;
}

std::vector<std::byte> as_vector(std::span<const std::byte> s) {
    return {s.begin(), s.end()};
}

}  // namespace

TEST_CASE("SYSTEM, COMPACT and PERFINFO headers decode for both pointer sizes", "[record]") {
    struct Case {
        HeaderKind kind;
        std::uint32_t marker_type;
        std::size_t header;
        unsigned pointer;
    };
    const Case cases[] = {
        {HeaderKind::system32, 0x01, 0x20, 4},   {HeaderKind::system64, 0x02, 0x20, 8},
        {HeaderKind::compact32, 0x03, 0x18, 4},  {HeaderKind::compact64, 0x04, 0x18, 8},
        {HeaderKind::perfinfo32, 0x10, 0x10, 4}, {HeaderKind::perfinfo64, 0x11, 0x10, 8},
    };
    for (const Case& c : cases) {
        INFO(header_kind_name(c.kind));
        KernelRecord r;
        r.kind = c.kind;
        r.hook_id = 0x0E20;
        r.version = 2;
        r.thread_id = 0x44;
        r.process_id = 0x4;
        r.timestamp = 0x0123456789AB;
        r.kernel_time = 7;
        r.user_time = 9;
        r.payload = bytes_of({1, 2, 3, 4, 5});
        const auto bytes = encoded(r);
        REQUIRE(bytes.size() == c.header + 5);
        CHECK(get_le<std::uint32_t>(bytes, 0) == (0xC0000000u | (c.marker_type << 16) | 2));
        CHECK(get_le<std::uint16_t>(bytes, 4) == c.header + 5);  // Packet.Size
        CHECK(get_le<std::uint16_t>(bytes, 6) == 0x0E20);        // Packet.HookId

        const Decoded d = decode_alone(bytes);
        const EventRecord& e = d.rec;
        CHECK(d.step == ((c.header + 5 + 7) & ~std::size_t{7}));
        CHECK(e.kind == c.kind);
        CHECK(e.family == EventFamily::kernel);
        CHECK(e.pointer_size == c.pointer);
        CHECK(e.size == c.header + 5);
        CHECK(e.hook_id == 0x0E20);
        CHECK(e.hook_group() == 0x0E);
        CHECK(e.opcode == 0x20);
        CHECK(e.version == 2);
        CHECK(e.timestamp == 0x0123456789AB);
        CHECK(e.cpu == 3);
        CHECK(e.buffer_offset == 0x2000);
        CHECK(e.offset_in_buffer == kBufferHeaderSize);
        CHECK(as_vector(e.payload) == r.payload);
        CHECK(event_key(e) == "kernel/0x0e20/2");
        if (c.header == 0x10) {
            CHECK(e.thread_id == kNoId);
            CHECK(e.process_id == kNoId);
        } else {
            CHECK(e.thread_id == 0x44);
            CHECK(e.process_id == 0x4);
        }
        CHECK(e.kernel_time == (c.header == 0x20 ? 7u : 0u));
        CHECK(e.user_time == (c.header == 0x20 ? 9u : 0u));
    }
}

TEST_CASE("PEBS index and PMC counters come before the payload", "[record]") {
    for (HeaderKind kind : {HeaderKind::perfinfo64, HeaderKind::perfinfo32, HeaderKind::system64}) {
        INFO(header_kind_name(kind));
        KernelRecord r;
        r.kind = kind;
        r.hook_id = 0x0524;
        r.version = 4;
        r.timestamp = 1000;
        r.pebs_index = 0xAAAA;
        r.pmc_counters = {0x11, 0x22};
        r.payload = bytes_of({9, 8, 7, 6});
        const auto bytes = encoded(r);
        const std::size_t header = header_fixed_size(kind);
        REQUIRE(bytes.size() == header + 24 + 4);
        CHECK(get_le<std::uint16_t>(bytes, 0) == 0x8204);          // Version word: PEBS | 2 PMC | v4
        CHECK(get_le<std::uint64_t>(bytes, header) == 0xAAAA);     // PEBS index
        CHECK(get_le<std::uint64_t>(bytes, header + 16) == 0x22);  // second PMC counter
        const Decoded d = decode_alone(bytes);
        CHECK(d.rec.version == 4);
        CHECK(d.rec.header_flags == 0x8200);
        CHECK(as_vector(d.rec.payload) == r.payload);
    }
    SECTION("more than 7 PMC counters do not fit") {
        KernelRecord r;
        r.kind = HeaderKind::perfinfo64;
        r.pmc_counters.assign(8, 1);
        auto bytes = encode_record(r);
        REQUIRE_FALSE(bytes.has_value());
        CHECK(bytes.error().code == bp::Errc::invalid_argument);
    }
}

TEST_CASE("classic and instance headers decode for both pointer sizes", "[record]") {
    struct Case {
        HeaderKind kind;
        std::size_t header;
        unsigned pointer;
    };
    const Case cases[] = {{HeaderKind::full_header32, 0x30, 4},
                          {HeaderKind::full_header64, 0x30, 8},
                          {HeaderKind::instance32, 0x48, 4},
                          {HeaderKind::instance64, 0x48, 8}};
    for (const Case& c : cases) {
        INFO(header_kind_name(c.kind));
        ClassicRecord r;
        r.kind = c.kind;
        r.guid = kProvider;
        r.type = 36;
        r.level = 4;
        r.version = 2;
        r.thread_id = 100;
        r.process_id = 200;
        r.timestamp = 5555;
        r.kernel_time = 1;
        r.user_time = 2;
        r.instance_id = 77;
        r.parent_instance_id = 66;
        r.parent_guid = kRelated;
        r.payload = bp::test::text_bytes("mof data");
        const auto bytes = encoded(r);
        REQUIRE(bytes.size() == c.header + 8);
        CHECK(get_le<std::uint16_t>(bytes, 0) == c.header + 8);
        const Decoded d = decode_alone(bytes);
        const EventRecord& e = d.rec;
        CHECK(e.kind == c.kind);
        CHECK(e.family == EventFamily::classic);
        CHECK(e.pointer_size == c.pointer);
        CHECK(e.guid == kProvider);
        CHECK(e.opcode == 36);
        CHECK(e.id == 36);
        CHECK(e.level == 4);
        CHECK(e.version == 2);
        CHECK(e.thread_id == 100);
        CHECK(e.process_id == 200);
        CHECK(e.timestamp == 5555);
        CHECK(e.kernel_time == 1);
        CHECK(e.user_time == 2);
        CHECK(as_vector(e.payload) == r.payload);
        CHECK(event_key(e) == "classic/{22fb2cd6-0e7b-422b-a0c7-2fad1fd0e716}/36/2");
        if (c.header == 0x48) {
            CHECK(e.instance_id == 77);
            CHECK(e.parent_instance_id == 66);
            CHECK(e.parent_guid == kRelated);
        } else {
            CHECK(e.instance_id == 0);
        }
    }
    SECTION("a classic record with a SYSTEM kind is refused") {
        ClassicRecord r;
        r.kind = HeaderKind::system64;
        CHECK_FALSE(encode_record(r).has_value());
    }
}

TEST_CASE("EVENT_HEADER decodes with and without extended data items", "[record]") {
    for (HeaderKind kind : {HeaderKind::event_header32, HeaderKind::event_header64}) {
        const unsigned p = kind == HeaderKind::event_header64 ? 8 : 4;
        INFO(header_kind_name(kind));
        EventHeaderRecord r;
        r.kind = kind;
        r.event_property = 0x8;
        r.thread_id = 10;
        r.process_id = 20;
        r.timestamp = 123456;
        r.provider = kProvider;
        r.id = 5;
        r.version = 1;
        r.channel = 16;
        r.level = 4;
        r.opcode = 2;
        r.task = 300;
        r.keyword = 0x8000000000000010ULL;
        r.kernel_time = 3;
        r.user_time = 4;
        r.activity_id = kActivity;
        r.payload = bp::test::text_bytes("user data");

        SECTION("no extended data") {
            const Decoded d = decode_alone(encoded(r));
            const EventRecord& e = d.rec;
            CHECK(e.kind == kind);
            CHECK(e.family == EventFamily::manifest);
            CHECK(e.pointer_size == p);
            CHECK(e.size == 0x50 + 9);
            CHECK(e.header_flags == (p == 8 ? kEventHeaderFlag64BitHeader : kEventHeaderFlag32BitHeader));
            CHECK(e.event_property == 0x8);
            CHECK(e.thread_id == 10);
            CHECK(e.process_id == 20);
            CHECK(e.timestamp == 123456);
            CHECK(e.guid == kProvider);
            CHECK(e.id == 5);
            CHECK(e.version == 1);
            CHECK(e.channel == 16);
            CHECK(e.level == 4);
            CHECK(e.opcode == 2);
            CHECK(e.task == 300);
            CHECK(e.keyword == 0x8000000000000010ULL);
            CHECK(e.kernel_time == 3);
            CHECK(e.user_time == 4);
            CHECK(e.activity_id == kActivity);
            CHECK(e.extended.empty());
            CHECK(as_vector(e.payload) == r.payload);
            CHECK(event_key(e) == "event/{22fb2cd6-0e7b-422b-a0c7-2fad1fd0e716}/5/1");
        }
        SECTION("related activity id, session id and a stack trace") {
            r.extended.push_back(bp::writer::related_activity_id_item(kRelated));
            r.extended.push_back(bp::writer::u32_item(kExtTsId, 1));
            r.extended.push_back(bp::writer::stack_trace_item(0x77, {0x1000, 0x2000, 0x3000}, p));
            const auto bytes = encoded(r);
            // Items: 8+16, 8+8 (4 data bytes padded), 8+8+3p padded.
            const std::size_t stack_item = 8 + ((8 + 3 * p + 7) & ~std::size_t{7});
            REQUIRE(bytes.size() == 0x50 + 24 + 16 + stack_item + 9);
            CHECK(get_le<std::uint16_t>(bytes, 0x50) == 24);  // item size
            CHECK(get_le<std::uint16_t>(bytes, 0x52) == kExtRelatedActivityId);
            CHECK(get_le<std::uint16_t>(bytes, 0x54) == 1);   // Linkage
            CHECK(get_le<std::uint16_t>(bytes, 0x56) == 16);  // DataSize
            const Decoded d = decode_alone(bytes);
            const EventRecord& e = d.rec;
            CHECK((e.header_flags & kEventHeaderFlagExtendedInfo) != 0);
            CHECK(e.extended.size() == 24 + 16 + stack_item);
            CHECK(as_vector(e.payload) == r.payload);
            const auto items = extended_items(e.extended);
            REQUIRE(items.size() == 3);
            CHECK(items[0].type == kExtRelatedActivityId);
            CHECK(as_vector(items[0].data) ==
                  std::vector<std::byte>(kRelated.bytes.begin(), kRelated.bytes.end()));
            CHECK(items[1].type == kExtTsId);
            CHECK(items[1].data.size() == 4);
            CHECK(items[2].type == (p == 8 ? kExtStackTrace64 : kExtStackTrace32));
            ExtendedStack stack;
            REQUIRE(extended_stack(e.extended, stack));
            CHECK(stack.match_id == 0x77);
            CHECK(stack.frames == std::vector<std::uint64_t>{0x1000, 0x2000, 0x3000});
        }
    }
}

TEST_CASE("WPP message headers decode their optional fields", "[record]") {
    MessageRecord m;
    m.message_number = 12;
    m.sequence = 99;
    m.component_id = 7;
    m.guid = kProvider;
    m.timestamp = 8888;
    m.thread_id = 31;
    m.process_id = 41;
    m.payload = bytes_of({0xA, 0xB});

    SECTION("all fields with a GUID") {
        m.option_flags = kMessageSequence | kMessageGuid | kMessageTimestamp | kMessageSystemInfo;
        const auto bytes = encoded(m);
        REQUIRE(bytes.size() == 8 + 4 + 16 + 8 + 8 + 2);
        CHECK(get_le<std::uint32_t>(bytes, 0) == (0x90000000u | bytes.size()));
        const Decoded d = decode_alone(bytes);
        const EventRecord& e = d.rec;
        CHECK(e.kind == HeaderKind::message);
        CHECK(e.family == EventFamily::message);
        CHECK(e.id == 12);
        CHECK(e.sequence == 99);
        CHECK(e.guid == kProvider);
        CHECK(e.has_timestamp);
        CHECK(e.timestamp == 8888);
        CHECK(e.thread_id == 31);
        CHECK(e.process_id == 41);
        CHECK(as_vector(e.payload) == m.payload);
        CHECK(event_key(e) == "message/{22fb2cd6-0e7b-422b-a0c7-2fad1fd0e716}/12");
    }
    SECTION("component id wins over the GUID") {
        m.option_flags = kMessageComponentId | kMessageGuid | kMessagePerfTimestamp;
        const auto bytes = encoded(m);
        REQUIRE(bytes.size() == 8 + 4 + 8 + 2);
        const Decoded d = decode_alone(bytes);
        CHECK(d.rec.component_id == 7);
        CHECK(d.rec.guid == bp::Guid{});
        CHECK(d.rec.timestamp == 8888);
        CHECK(d.rec.thread_id == kNoId);
        CHECK(event_key(d.rec) == "message/component-7/12");
    }
    SECTION("no timestamp: the previous record's time is kept") {
        m.option_flags = 0;
        auto events = encoded(m);
        events.resize(16, std::byte{0xFF});
        EventRecord e;
        e.timestamp = 4242;  // the previous record's
        auto step = decode_record(events, 0, e);
        REQUIRE(step.has_value());
        CHECK(*step == 16);
        CHECK_FALSE(e.has_timestamp);
        CHECK(e.timestamp == 4242);
        CHECK(as_vector(e.payload) == m.payload);
    }
    SECTION("optional fields running past the buffer are an error") {
        auto bytes = bytes_of({0x30, 0x00, 0x00, 0x90, 0x01, 0x00, 0x22, 0x00, 0x01, 0x02, 0x03, 0x04});
        EventRecord e;
        auto step = decode_record(bytes, 0, e);
        REQUIRE_FALSE(step.has_value());
        CHECK(step.error().message.find("WPP") != std::string::npos);
    }
}

TEST_CASE("decode_record ends at fill and rejects malformed records with their offset", "[record]") {
    EventRecord e;
    e.buffer_offset = 0x10000;
    SECTION("0xFFFFFFFF fill and short tails end the events") {
        auto fill = bytes_of({0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0});
        CHECK(*decode_record(fill, 0, e) == 0);
        CHECK(*decode_record(fill, 5, e) == 0);
        CHECK(*decode_record(fill, 8, e) == 0);
    }
    KernelRecord r;
    r.kind = HeaderKind::system64;
    r.hook_id = 0x0E20;
    r.payload = std::vector<std::byte>(24, std::byte{1});
    auto good = encoded(r);
    std::vector<std::byte> events = good;      // a good record first, the one under test second
    const std::size_t second = events.size();  // 0x38: 8-aligned
    REQUIRE(second % 8 == 0);

    SECTION("size below the header") {
        auto bad = good;
        put_le<std::uint16_t>(bad, 4, 0x10);
        events.insert(events.end(), bad.begin(), bad.end());
        auto step = decode_record(events, second, e);
        REQUIRE_FALSE(step.has_value());
        CHECK(step.error().code == bp::Errc::corrupt);
        CHECK(step.error().has_offset);
        CHECK(step.error().offset == 0x10000 + kBufferHeaderSize + second);
        CHECK(step.error().message.find("less than its 0x20-byte header") != std::string::npos);
    }
    SECTION("size beyond the events area") {
        auto bad = good;
        put_le<std::uint16_t>(bad, 4, 0x100);
        events.insert(events.end(), bad.begin(), bad.end());
        auto step = decode_record(events, second, e);
        REQUIRE_FALSE(step.has_value());
        CHECK(step.error().offset == 0x10000 + kBufferHeaderSize + second);
        CHECK(step.error().message.find("claims 0x100 bytes") != std::string::npos);
    }
    SECTION("header cut by the end of the events") {
        events.insert(events.end(), good.begin(), good.begin() + 0x10);
        auto step = decode_record(events, second, e);
        REQUIRE_FALSE(step.has_value());
        CHECK(step.error().message.find("needs 0x20 bytes") != std::string::npos);
    }
    SECTION("a value that is no trace header at all") {
        auto junk = bytes_of({0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0});
        events.insert(events.end(), junk.begin(), junk.end());
        auto step = decode_record(events, second, e);
        REQUIRE_FALSE(step.has_value());
        CHECK(step.error().message.find("0x12345678 is not a trace header marker") != std::string::npos);
    }
    SECTION("compressed buffers name the buffer and the record position") {
        e.buffer_compressed = true;
        auto junk = bytes_of({0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0});
        events.insert(events.end(), junk.begin(), junk.end());
        auto step = decode_record(events, second, e);
        REQUIRE_FALSE(step.has_value());
        CHECK_FALSE(step.error().has_offset);
        CHECK(step.error().message.find("compressed buffer at 0x10000, record at +0x80") !=
              std::string::npos);
    }
    SECTION("an unknown header type is a counted record that ends the buffer") {
        auto unknown = bytes_of({0x00, 0x00, 0x16, 0xC0, 0x20, 0, 0, 0});
        events.insert(events.end(), unknown.begin(), unknown.end());
        events.insert(events.end(), good.begin(), good.end());
        auto step = decode_record(events, second, e);
        REQUIRE(step.has_value());
        CHECK(e.kind == HeaderKind::unknown);
        CHECK(e.family == EventFamily::unknown);
        CHECK(second + *step >= events.size());
        CHECK(event_key(e) == "unknown/0xc0160000");
    }
    SECTION("an ERROR record with a plausible size is skipped by its size") {
        auto err = bytes_of({0x10, 0x00, 0x0D, 0xC0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        events.insert(events.end(), err.begin(), err.end());
        events.insert(events.end(), good.begin(), good.end());
        auto step = decode_record(events, second, e);
        REQUIRE(step.has_value());
        CHECK(e.kind == HeaderKind::error);
        CHECK(*step == 0x10);
        auto next = decode_record(events, second + *step, e);
        REQUIRE(next.has_value());
        CHECK(e.kind == HeaderKind::system64);
    }
    SECTION("a broken extended-data chain") {
        EventHeaderRecord h;
        h.kind = HeaderKind::event_header64;
        h.extended.push_back(bp::writer::u64_item(kExtEventKey, 5));
        auto bytes = encoded(h);
        put_le<std::uint16_t>(bytes, 0x54, 1);  // Linkage says another item follows; none does
        events.insert(events.end(), bytes.begin(), bytes.end());
        auto step = decode_record(events, second, e);
        REQUIRE_FALSE(step.has_value());
        CHECK(step.error().message.find("extended data") != std::string::npos);
    }
}
