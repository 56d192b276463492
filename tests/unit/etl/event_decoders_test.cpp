// Typed decoders: decode(encode(x)) == x for both pointer sizes through real records, the raw layout
// of a few payloads pinned by offset, and the wrong-length (malformed) and wrong-hook cases.
#include "bootprint/etl/event_decoders.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "bootprint/writer/kernel_payloads.hpp"
#include "bootprint/writer/record_encoder.hpp"
#include "unit/etl/trace_files.hpp"

using namespace bp::etl;
namespace w = bp::writer;
using bp::test::get_le;

namespace {

// A record decoded from bytes it owns.
struct Event {
    std::vector<std::byte> bytes;
    EventRecord rec;
};

Event make_event(const w::KernelRecord& r) {
    Event e;
    auto bytes = w::encode_record(r);
    REQUIRE(bytes.has_value());
    e.bytes = std::move(bytes).value();
    auto step = decode_record(e.bytes, 0, e.rec);
    REQUIRE(step.has_value());
    REQUIRE(*step != 0);
    return e;
}

Event kernel_event(unsigned p, std::uint16_t hook, std::uint8_t version, std::vector<std::byte> payload,
                   bool perfinfo = false) {
    w::KernelRecord r;
    r.kind = perfinfo ? (p == 8 ? HeaderKind::perfinfo64 : HeaderKind::perfinfo32)
                      : (p == 8 ? HeaderKind::system64 : HeaderKind::system32);
    r.hook_id = hook;
    r.version = version;
    r.timestamp = 1;
    r.payload = std::move(payload);
    return make_event(r);
}

Event classic_event(unsigned p, std::uint8_t type, std::vector<std::byte> payload) {
    w::ClassicRecord r;
    r.kind = p == 8 ? HeaderKind::full_header64 : HeaderKind::full_header32;
    r.guid = image_id_guid();
    r.type = type;
    r.version = 2;
    r.payload = std::move(payload);
    Event e;
    auto bytes = w::encode_record(r);
    REQUIRE(bytes.has_value());
    e.bytes = std::move(bytes).value();
    REQUIRE(decode_record(e.bytes, 0, e.rec).has_value());
    return e;
}

std::vector<std::byte> grown(std::vector<std::byte> v, int delta) {
    if (delta > 0) v.resize(v.size() + static_cast<std::size_t>(delta), std::byte{0});
    if (delta < 0) v.resize(v.size() - static_cast<std::size_t>(-delta));
    return v;
}

// For pointer size 4 the values must fit 32 bits.
std::uint64_t ptr(unsigned p, std::uint64_t v64) {
    return p == 8 ? v64 : (v64 & 0xFFFFFFFF);
}

}  // namespace

TEST_CASE("pool events round trip, with and without session", "[decoders][pool]") {
    for (unsigned p : {4u, 8u}) {
        for (bool session : {false, true}) {
            for (bool alloc : {true, false}) {
                INFO("P=" << p << " session=" << session << " alloc=" << alloc);
                PoolEvent in;
                in.is_alloc = alloc;
                in.is_session = session;
                in.pool_type = kPoolTypeBigPool | kPoolTypeNx;
                in.tag = 0x20707249;  // 'Irp '
                in.size = ptr(p, 0x1'0000'2000ULL);
                in.address = ptr(p, 0xFFFF'A000'1234'5670ULL);
                in.session_id = session ? 3 : kNoSession;
                const auto payload = w::encode_pool_event(in, p);
                REQUIRE(payload.size() == 8 + 2 * p + (session ? 4 : 0));
                CHECK(get_le<std::uint32_t>(payload, 4) == 0x20707249);
                const Event e = kernel_event(p, w::pool_hook(in), w::kPoolVersion, payload, true);
                PoolEvent out;
                REQUIRE(decode(e.rec, out) == DecodeStatus::ok);
                CHECK(out.is_alloc == alloc);
                CHECK(out.is_session == session);
                CHECK(out.pool_type == in.pool_type);
                CHECK(out.tag == in.tag);
                CHECK(out.size == in.size);
                CHECK(out.address == in.address);
                CHECK(out.session_id == in.session_id);
                CHECK(pool_tag_string(out.tag) == "Irp ");
                for (int delta : {-1, 1, 4}) {
                    const Event bad = kernel_event(p, w::pool_hook(in), 2, grown(payload, delta), true);
                    CHECK(decode(bad.rec, out) == DecodeStatus::malformed);
                }
            }
        }
    }
    SECTION("other hooks and families are not pool events") {
        PoolEvent out;
        CHECK(decode(kernel_event(8, 0x0E24, 2, {}).rec, out) == DecodeStatus::not_this);
        CHECK(decode(classic_event(8, 0x20, {}).rec, out) == DecodeStatus::not_this);
    }
}

TEST_CASE("pool snapshots round trip", "[decoders][pool]") {
    for (unsigned p : {4u, 8u}) {
        for (std::uint32_t session : {kNoSession, 1u}) {
            INFO("P=" << p << " session=" << session);
            PoolSnap in;
            in.is_end = session == 1;
            in.session_id = session;
            for (std::uint32_t i = 0; i < 3; ++i) {
                PoolSnapEntry t;
                t.tag = 0x656C6946 + i;
                t.paged_allocs = 10 + i;
                t.paged_frees = 5 + i;
                t.paged_used = ptr(p, 0x1'0000'0000ULL + i);
                t.nonpaged_allocs = 20 + i;
                t.nonpaged_frees = 2 + i;
                t.nonpaged_used = 4096 * (i + 1);
                in.entries.push_back(t);
            }
            const auto payload = w::encode_pool_snap(in, p);
            const std::size_t prefix = session == kNoSession ? 4 : 8;
            REQUIRE(payload.size() == prefix + 3 * (p == 8 ? 40u : 28u));
            const Event e = kernel_event(p, w::pool_snap_hook(in), 2, payload, true);
            PoolSnap out;
            REQUIRE(decode(e.rec, out) == DecodeStatus::ok);
            CHECK(out.is_end == in.is_end);
            CHECK(out.session_id == in.session_id);
            REQUIRE(out.entries.size() == 3);
            for (std::size_t i = 0; i < 3; ++i) {
                CHECK(out.entries[i].tag == in.entries[i].tag);
                CHECK(out.entries[i].paged_allocs == in.entries[i].paged_allocs);
                CHECK(out.entries[i].paged_frees == in.entries[i].paged_frees);
                CHECK(out.entries[i].paged_used == in.entries[i].paged_used);
                CHECK(out.entries[i].nonpaged_allocs == in.entries[i].nonpaged_allocs);
                CHECK(out.entries[i].nonpaged_frees == in.entries[i].nonpaged_frees);
                CHECK(out.entries[i].nonpaged_used == in.entries[i].nonpaged_used);
            }
            CHECK(decode(kernel_event(p, w::pool_snap_hook(in), 2, grown(payload, -1), true).rec, out) ==
                  DecodeStatus::malformed);
            auto wrong_count = payload;
            bp::test::put_le<std::uint32_t>(wrong_count, 0, 4);
            CHECK(decode(kernel_event(p, w::pool_snap_hook(in), 2, wrong_count, true).rec, out) ==
                  DecodeStatus::malformed);
        }
    }
}

TEST_CASE("big pool snapshots round trip", "[decoders][pool]") {
    for (unsigned p : {4u, 8u}) {
        for (std::uint32_t session : {kNoSession, 2u}) {
            INFO("P=" << p << " session=" << session);
            BigPoolSnap in;
            in.session_id = session;
            in.entries.push_back({ptr(p, 0xFFFF'C000'0010'0000ULL), true, 0x3000, 0x6C6F6F50});
            in.entries.push_back({ptr(p, 0xFFFF'C000'0020'0000ULL), false, 0x10000, 0x41414141});
            const auto payload = w::encode_big_pool_snap(in, p);
            REQUIRE(payload.size() == (session == kNoSession ? 4u : 8u) + 2 * (p == 8 ? 24u : 12u));
            const Event e = kernel_event(p, w::big_pool_snap_hook(in), 2, payload, true);
            BigPoolSnap out;
            REQUIRE(decode(e.rec, out) == DecodeStatus::ok);
            CHECK(out.session_id == session);
            CHECK_FALSE(out.is_end);
            REQUIRE(out.entries.size() == 2);
            for (std::size_t i = 0; i < 2; ++i) {
                CHECK(out.entries[i].address == in.entries[i].address);
                CHECK(out.entries[i].nonpaged == in.entries[i].nonpaged);
                CHECK(out.entries[i].size == in.entries[i].size);
                CHECK(out.entries[i].tag == in.entries[i].tag);
            }
            CHECK(decode(kernel_event(p, w::big_pool_snap_hook(in), 2, grown(payload, 1), true).rec, out) ==
                  DecodeStatus::malformed);
        }
    }
}

TEST_CASE("stack walk and stack key events round trip", "[decoders][stacks]") {
    for (unsigned p : {4u, 8u}) {
        INFO("P=" << p);
        StackWalk sw;
        sw.event_timestamp = 0x1122334455;
        sw.process_id = 4;
        sw.thread_id = 88;
        sw.frames = {ptr(p, 0xFFFFF800'00001000ULL), ptr(p, 0xFFFFF800'00002000ULL), 0x7FF0'0000};
        auto payload = w::encode_stack_walk(sw, p);
        REQUIRE(payload.size() == 16 + 3 * p);
        StackWalk sw_out;
        REQUIRE(decode(kernel_event(p, hook::kStackWalk, 2, payload, true).rec, sw_out) == DecodeStatus::ok);
        CHECK(sw_out.event_timestamp == sw.event_timestamp);
        CHECK(sw_out.process_id == 4);
        CHECK(sw_out.thread_id == 88);
        CHECK(sw_out.frames == sw.frames);
        CHECK(decode(kernel_event(p, hook::kStackWalk, 2, grown(payload, 1), true).rec, sw_out) ==
              DecodeStatus::malformed);
        auto short_walk = payload;
        short_walk.resize(8);
        CHECK(decode(kernel_event(p, hook::kStackWalk, 2, short_walk, true).rec, sw_out) ==
              DecodeStatus::malformed);

        for (bool user : {false, true}) {
            StackKeyReference ref;
            ref.user = user;
            ref.event_timestamp = 77;
            ref.process_id = 1234;
            ref.thread_id = 5678;
            ref.key = ptr(p, 0xFFFF'E000'0000'0ABCULL);
            payload = w::encode_stack_key_reference(ref, p);
            StackKeyReference ref_out;
            REQUIRE(decode(kernel_event(p, w::stack_key_reference_hook(ref), 2, payload, true).rec,
                           ref_out) == DecodeStatus::ok);
            CHECK(ref_out.user == user);
            CHECK(ref_out.event_timestamp == 77);
            CHECK(ref_out.process_id == 1234);
            CHECK(ref_out.thread_id == 5678);
            CHECK(ref_out.key == ref.key);
            CHECK(decode(kernel_event(p, w::stack_key_reference_hook(ref), 2, grown(payload, 4), true).rec,
                         ref_out) == DecodeStatus::malformed);
        }
        for (std::uint16_t h : {hook::kStackKeyDelete, hook::kStackKeyRundown}) {
            StackKeyDefinition def;
            def.key = ptr(p, 0xFFFF'E000'0000'0ABCULL);
            def.frames = {0x1000, 0x2000};
            payload = w::encode_stack_key_definition(def, p);
            REQUIRE(payload.size() == 3 * p);
            StackKeyDefinition def_out;
            REQUIRE(decode(kernel_event(p, h, 2, payload, true).rec, def_out) == DecodeStatus::ok);
            CHECK(def_out.key == def.key);
            CHECK(def_out.frames == def.frames);
            CHECK(decode(kernel_event(p, h, 2, grown(payload, 2), true).rec, def_out) ==
                  DecodeStatus::malformed);
        }
    }
}

TEST_CASE("image events (v3) round trip", "[decoders][images]") {
    for (unsigned p : {4u, 8u}) {
        for (auto kind : {ImageEvent::Kind::load, ImageEvent::Kind::unload, ImageEvent::Kind::dc_start,
                          ImageEvent::Kind::dc_end}) {
            INFO("P=" << p << " kind=" << static_cast<int>(kind));
            ImageEvent in;
            in.kind = kind;
            in.image_base = ptr(p, 0xFFFFF806'12340000ULL);
            in.image_size = 0x5A000;
            in.process_id = 0;
            in.checksum = 0xABCDEF;
            in.time_date_stamp = 0x5F3E2A1B;
            in.default_base = ptr(p, 0x1C0000000ULL);
            in.file_name = "\\SystemRoot\\System32\\drivers\\acpi.sys";
            const auto payload = w::encode_image_event(in, p);
            REQUIRE(payload.size() == (p == 8 ? 56u : 44u) + 2 * (in.file_name.size() + 1));
            CHECK(get_le<std::uint32_t>(payload, p == 8 ? 24 : 16) == 0x5F3E2A1B);  // TimeDateStamp
            const Event e = kernel_event(p, w::image_hook(in), w::kImageVersion, payload);
            ImageEvent out;
            REQUIRE(decode(e.rec, out) == DecodeStatus::ok);
            CHECK(out.kind == kind);
            CHECK(out.image_base == in.image_base);
            CHECK(out.image_size == in.image_size);
            CHECK(out.process_id == in.process_id);
            CHECK(out.checksum == in.checksum);
            CHECK(out.time_date_stamp == in.time_date_stamp);
            CHECK(out.default_base == in.default_base);
            CHECK(out.file_name == in.file_name);
            CHECK(decode(kernel_event(p, w::image_hook(in), 3, grown(payload, -2)).rec, out) ==
                  DecodeStatus::malformed);  // no terminator
            CHECK(decode(kernel_event(p, w::image_hook(in), 4, payload).rec, out) == DecodeStatus::malformed);
        }
    }
}

TEST_CASE("KernelTraceControl ImageID and DbgID_RSDS round trip", "[decoders][images]") {
    for (unsigned p : {4u, 8u}) {
        INFO("P=" << p);
        ImageIdInfo info;
        info.image_base = ptr(p, 0x7FF6'1234'0000ULL);
        info.image_size = 0x20000;
        info.process_id = 1500;
        info.time_date_stamp = 0x60000000;
        info.original_file_name = "ntoskrnl.exe";
        auto payload = w::encode_image_id_info(info, p);
        ImageIdInfo info_out;
        REQUIRE(decode(classic_event(p, kImageIdOpcodeInfo, payload).rec, info_out) == DecodeStatus::ok);
        CHECK(info_out.image_base == info.image_base);
        CHECK(info_out.image_size == info.image_size);
        CHECK(info_out.process_id == 1500);
        CHECK(info_out.time_date_stamp == 0x60000000);
        CHECK(info_out.original_file_name == "ntoskrnl.exe");
        auto short_info = payload;
        short_info.resize(2 * p + 7);
        CHECK(decode(classic_event(p, kImageIdOpcodeInfo, short_info).rec, info_out) ==
              DecodeStatus::malformed);

        DbgIdRsds rsds;
        rsds.image_base = ptr(p, 0xFFFFF806'00000000ULL);
        rsds.process_id = 0;
        rsds.pdb_guid = *bp::Guid::parse("{3844dbb9-2017-4967-be7a-a4a2c20430fa}");
        rsds.age = 1;
        rsds.pdb_file_name = "ntkrnlmp.pdb";
        payload = w::encode_dbg_id_rsds(rsds, p);
        REQUIRE(payload.size() == p + 24 + 13);
        DbgIdRsds rsds_out;
        REQUIRE(decode(classic_event(p, kImageIdOpcodeDbgIdRsds, payload).rec, rsds_out) == DecodeStatus::ok);
        CHECK(rsds_out.image_base == rsds.image_base);
        CHECK(rsds_out.process_id == 0);
        CHECK(rsds_out.pdb_guid == rsds.pdb_guid);
        CHECK(rsds_out.age == 1);
        CHECK(rsds_out.pdb_file_name == "ntkrnlmp.pdb");
        CHECK(decode(classic_event(p, kImageIdOpcodeDbgIdRsds, grown(payload, -1)).rec, rsds_out) ==
              DecodeStatus::malformed);
        CHECK(decode(classic_event(p, 0x25, payload).rec, rsds_out) == DecodeStatus::not_this);
    }
}

TEST_CASE("process events round trip with and without a SID", "[decoders][process]") {
    for (unsigned p : {4u, 8u}) {
        for (bool with_sid : {false, true}) {
            for (std::uint8_t version : {std::uint8_t{3}, std::uint8_t{4}}) {
                INFO("P=" << p << " sid=" << with_sid << " v" << int(version));
                ProcessEvent in;
                in.kind = ProcessEvent::Kind::dc_start;
                in.unique_process_key = ptr(p, 0xFFFF'9000'1111'2222ULL);
                in.process_id = 4321;
                in.parent_id = 600;
                in.session_id = 1;
                in.exit_status = 259;
                in.directory_table_base = 0x1AD000;
                in.image_file_name = "svchost.exe";
                in.command_line = "C:\\Windows\\system32\\svchost.exe -k netsvcs \xE2\x82\xAC";
                w::ProcessExtras extras;
                extras.version = version;
                extras.flags = 0x10;
                if (with_sid) extras.user_sid = w::make_sid(5, {21, 1004336348, 1177238915, 682003330, 1001});
                const auto payload = w::encode_process_event(in, p, extras);
                const Event e = kernel_event(p, w::process_hook(in), version, payload);
                ProcessEvent out;
                REQUIRE(decode(e.rec, out) == DecodeStatus::ok);
                CHECK(out.kind == ProcessEvent::Kind::dc_start);
                CHECK(out.unique_process_key == in.unique_process_key);
                CHECK(out.process_id == 4321);
                CHECK(out.parent_id == 600);
                CHECK(out.session_id == 1);
                CHECK(out.exit_status == 259);
                CHECK(out.directory_table_base == 0x1AD000);
                CHECK(out.image_file_name == "svchost.exe");
                CHECK(out.command_line == in.command_line);
                // Cut inside the image name: no terminator.
                const auto name = bp::test::text_bytes("svchost");
                const auto at = std::search(payload.begin(), payload.end(), name.begin(), name.end());
                REQUIRE(at != payload.end());
                std::vector<std::byte> truncated(payload.begin(), at + 3);
                CHECK(decode(kernel_event(p, w::process_hook(in), version, truncated).rec, out) ==
                      DecodeStatus::malformed);
            }
        }
    }
    SECTION("S-1-5-18 as bytes") {
        CHECK(w::make_sid(5, {18}) == bp::test::bytes_of({1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0}));
    }
    SECTION("unsupported versions are malformed") {
        ProcessEvent in;
        ProcessEvent out;
        CHECK(decode(kernel_event(8, hook::kProcessStart, 2, w::encode_process_event(in, 8)).rec, out) ==
              DecodeStatus::malformed);
    }
}

TEST_CASE("thread events (v3) round trip", "[decoders][thread]") {
    for (unsigned p : {4u, 8u}) {
        for (auto kind : {ThreadEvent::Kind::start, ThreadEvent::Kind::end, ThreadEvent::Kind::dc_start,
                          ThreadEvent::Kind::dc_end}) {
            INFO("P=" << p);
            ThreadEvent in;
            in.kind = kind;
            in.process_id = 4;
            in.thread_id = 12;
            in.stack_base = ptr(p, 0xFFFFF580'F6810000ULL);
            in.stack_limit = ptr(p, 0xFFFFF580'F6809000ULL);
            in.user_stack_base = 0x7000'0000;
            in.user_stack_limit = 0x6FF0'0000;
            in.affinity = 3;
            in.win32_start_address = ptr(p, 0xFFFFF806'11112222ULL);
            const auto payload = w::encode_thread_event(in, p);
            REQUIRE(payload.size() == (p == 8 ? 72u : 44u));
            ThreadEvent out;
            REQUIRE(decode(kernel_event(p, w::thread_hook(in), w::kThreadVersion, payload).rec, out) ==
                    DecodeStatus::ok);
            CHECK(out.kind == kind);
            CHECK(out.process_id == 4);
            CHECK(out.thread_id == 12);
            CHECK(out.stack_base == in.stack_base);
            CHECK(out.stack_limit == in.stack_limit);
            CHECK(out.user_stack_base == in.user_stack_base);
            CHECK(out.user_stack_limit == in.user_stack_limit);
            CHECK(out.affinity == in.affinity);
            CHECK(out.win32_start_address == in.win32_start_address);
            // With a thread name the fixed part is unchanged.
            REQUIRE(
                decode(kernel_event(p, w::thread_hook(in), 3, w::encode_thread_event(in, p, "worker")).rec,
                       out) == DecodeStatus::ok);
            CHECK(out.win32_start_address == in.win32_start_address);
            CHECK(decode(kernel_event(p, w::thread_hook(in), 3, grown(payload, -1)).rec, out) ==
                  DecodeStatus::malformed);
        }
    }
}

TEST_CASE("file name events round trip", "[decoders][files]") {
    for (unsigned p : {4u, 8u}) {
        for (bool rundown : {false, true}) {
            FileNameEvent in;
            in.file_object = ptr(p, 0xFFFF'B00C'1234'5678ULL);
            in.file_name = "\\Device\\HarddiskVolume3\\Windows\\System32\\ntdll.dll";
            in.rundown = rundown;
            const auto payload = w::encode_file_name(in, p);
            FileNameEvent out;
            REQUIRE(decode(kernel_event(p, w::file_name_hook(in), w::kFileIoVersion, payload).rec, out) ==
                    DecodeStatus::ok);
            CHECK(out.file_object == in.file_object);
            CHECK(out.file_name == in.file_name);
            CHECK(out.rundown == rundown);
            CHECK(decode(kernel_event(p, w::file_name_hook(in), 2, grown(payload, -2)).rec, out) ==
                  DecodeStatus::malformed);
        }
    }
}

TEST_CASE("page, MemInfo, MemInfoWS and VirtualAlloc events round trip", "[decoders][memory]") {
    for (unsigned p : {4u, 8u}) {
        INFO("P=" << p);
        PageEvent pg;
        pg.u1 = w::page_identity_u1(1, 6, true, 0x1234, 5);
        pg.page_frame = 0x3FFFF;
        pg.u2 = ptr(p, 0xFFFF'B00C'0000'1001ULL);
        const auto page_payload = w::encode_page_event(pg, p);
        REQUIRE(page_payload.size() == 8 + 2 * p);
        for (std::uint16_t h :
             {hook::kPageInMemory, hook::kPageInMemoryActive, hook::kInMemoryActiveRundown}) {
            PageEvent out;
            REQUIRE(decode(kernel_event(p, h, 2, page_payload, true).rec, out) == DecodeStatus::ok);
            CHECK(out.u1 == pg.u1);
            CHECK(out.page_frame == 0x3FFFF);
            CHECK(out.u2 == pg.u2);
            CHECK(out.use() == 1);
            CHECK(out.list() == 6);
            CHECK(out.pinned());
            CHECK(out.key() == 0x1234);
            CHECK(out.priority() == 5);
            CHECK(decode(kernel_event(p, h, 2, grown(page_payload, 8), true).rec, out) ==
                  DecodeStatus::malformed);
        }

        MemInfo mi;
        mi.zero = 1;
        mi.free = 2;
        mi.modified = 3;
        mi.modified_no_write = 4;
        mi.bad = 5;
        for (int i = 0; i < 8; ++i) {
            mi.standby_by_priority[i] = 100 + static_cast<std::uint64_t>(i);
            mi.repurposed_by_priority[i] = 200 + static_cast<std::uint64_t>(i);
        }
        mi.modified_page_file = 6;
        mi.paged_pool_commit = 7;
        mi.nonpaged_pool = 8;
        mi.mdl = 9;
        mi.commit = ptr(p, 0x1'0000'000AULL);
        const auto mi_payload = w::encode_mem_info(mi, p);
        REQUIRE(mi_payload.size() == 26 * p);
        MemInfo mi_out;
        REQUIRE(decode(kernel_event(p, hook::kMemInfo, 2, mi_payload, true).rec, mi_out) == DecodeStatus::ok);
        CHECK(mi_out.zero == 1);
        CHECK(mi_out.free == 2);
        CHECK(mi_out.modified == 3);
        CHECK(mi_out.modified_no_write == 4);
        CHECK(mi_out.bad == 5);
        for (int i = 0; i < 8; ++i) {
            CHECK(mi_out.standby_by_priority[i] == 100 + static_cast<std::uint64_t>(i));
            CHECK(mi_out.repurposed_by_priority[i] == 200 + static_cast<std::uint64_t>(i));
        }
        CHECK(mi_out.modified_page_file == 6);
        CHECK(mi_out.paged_pool_commit == 7);
        CHECK(mi_out.nonpaged_pool == 8);
        CHECK(mi_out.mdl == 9);
        CHECK(mi_out.commit == mi.commit);
        CHECK(decode(kernel_event(p, hook::kMemInfo, 2, grown(mi_payload, -1), true).rec, mi_out) ==
              DecodeStatus::malformed);

        MemInfoWs ws;
        for (std::uint32_t i = 0; i < 2; ++i) {
            MemInfoWsEntry en;
            en.id = 1000 + i;
            en.working_set = 1 + i;
            en.commit = 2 + i;
            en.paged_pool_or_virtual = ptr(p, 0x2'0000'0000ULL + i);
            en.private_working_set = 4 + i;
            en.store_size = 5 + i;
            en.stored_pages = 6 + i;
            en.commit_debt = 7 + i;
            en.shared_commit = 8 + i;
            ws.entries.push_back(en);
        }
        const auto ws_payload = w::encode_mem_info_ws(ws, p);
        REQUIRE(ws_payload.size() == 4 + 2 * (4 + 8 * p));
        MemInfoWs ws_out;
        REQUIRE(decode(kernel_event(p, hook::kMemInfoWs, 2, ws_payload, true).rec, ws_out) ==
                DecodeStatus::ok);
        REQUIRE(ws_out.entries.size() == 2);
        for (std::size_t i = 0; i < 2; ++i) {
            const auto& a = ws_out.entries[i];
            const auto& b = ws.entries[i];
            CHECK(a.id == b.id);
            CHECK(a.working_set == b.working_set);
            CHECK(a.commit == b.commit);
            CHECK(a.paged_pool_or_virtual == b.paged_pool_or_virtual);
            CHECK(a.private_working_set == b.private_working_set);
            CHECK(a.store_size == b.store_size);
            CHECK(a.stored_pages == b.stored_pages);
            CHECK(a.commit_debt == b.commit_debt);
            CHECK(a.shared_commit == b.shared_commit);
        }
        CHECK(decode(kernel_event(p, hook::kMemInfoWs, 2, grown(ws_payload, 1), true).rec, ws_out) ==
              DecodeStatus::malformed);

        for (int variant = 0; variant < 3; ++variant) {
            VirtualAllocEvent va;
            va.base = ptr(p, 0x7FF0'0001'0000ULL);
            va.size = 0x10000;
            va.process_id = 777;
            va.flags = 0x3000;
            va.free = variant == 1;
            va.rundown = variant == 2;
            const auto va_payload = w::encode_virtual_alloc(va, p);
            VirtualAllocEvent va_out;
            REQUIRE(decode(kernel_event(p, w::virtual_alloc_hook(va), 2, va_payload).rec, va_out) ==
                    DecodeStatus::ok);
            CHECK(va_out.base == va.base);
            CHECK(va_out.size == 0x10000);
            CHECK(va_out.process_id == 777);
            CHECK(va_out.flags == 0x3000);
            CHECK(va_out.free == va.free);
            CHECK(va_out.rundown == va.rundown);
            CHECK(decode(kernel_event(p, w::virtual_alloc_hook(va), 2, grown(va_payload, 4)).rec, va_out) ==
                  DecodeStatus::malformed);
        }
    }
}

TEST_CASE("header extension round trips and needs 32 bytes", "[decoders]") {
    HeaderExtension in;
    for (std::uint32_t i = 0; i < 8; ++i) in.masks[i] = 0x100u << i;
    const auto payload = w::encode_header_extension(in, 8);
    REQUIRE(payload.size() == 36);
    HeaderExtension out;
    REQUIRE(decode(kernel_event(8, hook::kHeaderExtension, 2, payload, true).rec, out) == DecodeStatus::ok);
    for (int i = 0; i < 8; ++i) CHECK(out.masks[i] == in.masks[i]);
    CHECK(decode(kernel_event(4, hook::kHeaderExtension, 2, grown(payload, -5), true).rec, out) ==
          DecodeStatus::malformed);
}
