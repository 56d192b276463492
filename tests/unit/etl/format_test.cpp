// Fixed container layouts: WMI_BUFFER_HEADER, marker classification, TRACE_LOGFILE_HEADER (32/64-bit).
#include "bootprint/etl/format.hpp"

#include <catch2/catch.hpp>

#include <vector>

#include "bootprint/writer/kernel_payloads.hpp"
#include "unit/etl/trace_files.hpp"

using namespace bp::etl;
using bp::test::get_le;
using bp::test::put_le;

TEST_CASE("buffer header decodes every field at its documented offset", "[format]") {
    std::vector<std::byte> raw(kBufferHeaderSize, std::byte{0xEE});
    put_le<std::uint32_t>(raw, 0x00, 0x10000);                // BufferSize
    put_le<std::uint32_t>(raw, 0x04, 0x1234);                 // SavedOffset
    put_le<std::uint32_t>(raw, 0x08, 0x10128);                // CurrentOffset
    put_le<std::uint64_t>(raw, 0x10, 0x0102030405060708ULL);  // TimeStamp
    put_le<std::uint64_t>(raw, 0x18, 42);                     // SequenceNumber
    put_le<std::uint16_t>(raw, 0x28, 0x0003);                 // ClientContext.ProcessorIndex
    put_le<std::uint16_t>(raw, 0x2A, 0x1C);                   // LoggerId
    put_le<std::uint32_t>(raw, 0x2C, 3);                      // State
    put_le<std::uint32_t>(raw, 0x30, 0x1238);                 // Offset
    put_le<std::uint16_t>(raw, 0x34, 0x0061);                 // BufferFlag
    put_le<std::uint16_t>(raw, 0x36, 0);                      // BufferType
    const BufferHeader h = decode_buffer_header(raw);
    CHECK(h.buffer_size == 0x10000);
    CHECK(h.saved_offset == 0x1234);
    CHECK(h.current_offset == 0x10128);
    CHECK(h.timestamp == 0x0102030405060708ULL);
    CHECK(h.sequence == 42);
    CHECK(h.processor == 3);
    CHECK(h.logger_id == 0x1C);
    CHECK(h.state == 3);
    CHECK(h.offset == 0x1238);
    CHECK(h.flags == 0x61);
    CHECK(h.type == 0);
    CHECK(h.compressed());

    SECTION("encode writes the same bytes back") {
        std::vector<std::byte> again(kBufferHeaderSize);
        BufferHeader copy = h;
        copy.processor = 0x0003;
        encode_buffer_header(copy, again);
        CHECK(decode_buffer_header(again).sequence == 42);
        CHECK(get_le<std::uint32_t>(again, 0x30) == 0x1238);
        CHECK(get_le<std::uint16_t>(again, 0x34) == 0x61);
    }
    SECTION("Windows 8+: a 16-bit index masked with 0x07FF when PROC_INDEX is set") {
        put_le<std::uint16_t>(raw, 0x28, 0x0A05);
        put_le<std::uint16_t>(raw, 0x34, kBufferFlagProcIndex);
        CHECK(decode_buffer_header(raw).processor == 0x205);
    }
    SECTION("Windows 7: ClientContext 0x0800 | cpu and no PROC_INDEX flag → the low byte") {
        put_le<std::uint16_t>(raw, 0x28, 0x0807);
        put_le<std::uint16_t>(raw, 0x34, 0);
        CHECK(decode_buffer_header(raw).processor == 7);
    }
}

TEST_CASE("markers classify into header kinds", "[format]") {
    CHECK(classify_marker(0xC0020002) == HeaderKind::system64);
    CHECK(classify_marker(0xC0010002) == HeaderKind::system32);
    CHECK(classify_marker(0xC0030002) == HeaderKind::compact32);
    CHECK(classify_marker(0xC0040002) == HeaderKind::compact64);
    CHECK(classify_marker(0xC0100002) == HeaderKind::perfinfo32);
    CHECK(classify_marker(0xC0118002) == HeaderKind::perfinfo64);
    CHECK(classify_marker(0xC00A0030) == HeaderKind::full_header32);
    CHECK(classify_marker(0xC0140030) == HeaderKind::full_header64);
    CHECK(classify_marker(0xC00B0048) == HeaderKind::instance32);
    CHECK(classify_marker(0xC0150048) == HeaderKind::instance64);
    CHECK(classify_marker(0xC0120050) == HeaderKind::event_header32);
    CHECK(classify_marker(0xC0130050) == HeaderKind::event_header64);
    CHECK(classify_marker(0xC00D0050) == HeaderKind::error);
    CHECK(classify_marker(0x90000010) == HeaderKind::message);
    CHECK(classify_marker(0xC0160000) == HeaderKind::unknown);
    CHECK(classify_marker(0x12345678) == HeaderKind::unknown);
    CHECK(header_fixed_size(HeaderKind::system64) == 0x20);
    CHECK(header_fixed_size(HeaderKind::compact32) == 0x18);
    CHECK(header_fixed_size(HeaderKind::perfinfo64) == 0x10);
    CHECK(header_fixed_size(HeaderKind::full_header32) == 0x30);
    CHECK(header_fixed_size(HeaderKind::instance64) == 0x48);
    CHECK(header_fixed_size(HeaderKind::event_header32) == 0x50);
    CHECK(header_fixed_size(HeaderKind::message) == 8);
    CHECK(header_pointer_size(HeaderKind::instance32) == 4);
    CHECK(header_pointer_size(HeaderKind::event_header64) == 8);
    CHECK(header_pointer_size(HeaderKind::message) == 0);
    CHECK(header_kind_name(HeaderKind::full_header64) == "FULL_HEADER64");
}

namespace {
LogfileHeader sample_header() {
    LogfileHeader h;
    h.buffer_size = 0x10000;
    h.os_major = 10;
    h.os_minor = 0;
    h.layout_major = 1;
    h.layout_minor = 5;
    h.build = 19041;
    h.processors = 8;
    h.end_time = 133'000'000'123'456'789ULL;
    h.timer_resolution = 156250;
    h.maximum_file_size = 512;
    h.log_file_mode = 0x02000001;
    h.buffers_written = 77;
    h.start_buffers = 3;
    h.pointer_size = 8;
    h.events_lost = 5;
    h.cpu_speed_mhz = 2904;
    h.timezone_bias = -60;
    h.boot_time = 133'000'000'000'000'001ULL;
    h.perf_freq = 3'117'777;
    h.start_time = 133'000'000'100'000'000ULL;
    h.clock_type = kClockQpc;
    h.buffers_lost = 2;
    h.logger_name = "NT Kernel Logger";
    h.log_file_name = "C:\\boot\\kernel.etl";
    return h;
}
}  // namespace

TEST_CASE("logfile header decodes for both pointer sizes", "[format]") {
    for (unsigned p : {4u, 8u}) {
        INFO("pointer size " << p);
        LogfileHeader in = sample_header();
        in.pointer_size = p;
        const auto payload = bp::writer::encode_logfile_header(in, p);
        const std::size_t fixed = logfile_header_fixed_size(p);
        REQUIRE(fixed == (p == 8 ? 0x118u : 0x110u));
        REQUIRE(payload.size() == fixed + 2 * (16 + 1) + 2 * (18 + 1));
        // Spot-check raw offsets against the table in etl-format.md §3.
        const std::size_t d = p == 8 ? 8 : 0;
        CHECK(get_le<std::uint32_t>(payload, 0x2C) == p);
        CHECK(get_le<std::int32_t>(payload, 0x40 + d) == -60);
        CHECK(get_le<std::uint64_t>(payload, 0xF0 + d) == in.boot_time);
        CHECK(get_le<std::uint64_t>(payload, 0xF8 + d) == 3'117'777);
        CHECK(get_le<std::uint32_t>(payload, 0x108 + d) == kClockQpc);
        CHECK(get_le<std::uint16_t>(payload, fixed) == 'N');

        auto out = decode_logfile_header(bp::ByteReader(payload, 0x78), p);
        REQUIRE(out.has_value());
        const LogfileHeader& h = *out;
        CHECK(h.header_pointer_size == p);
        CHECK(h.buffer_size == 0x10000);
        CHECK(h.os_major == 10);
        CHECK(h.os_minor == 0);
        CHECK(h.layout_major == 1);
        CHECK(h.layout_minor == 5);
        CHECK(h.build == 19041);
        CHECK(h.processors == 8);
        CHECK(h.end_time == in.end_time);
        CHECK(h.timer_resolution == 156250);
        CHECK(h.maximum_file_size == 512);
        CHECK(h.log_file_mode == 0x02000001);
        CHECK(h.buffers_written == 77);
        CHECK(h.start_buffers == 3);
        CHECK(h.pointer_size == p);
        CHECK(h.events_lost == 5);
        CHECK(h.cpu_speed_mhz == 2904);
        CHECK(h.timezone_bias == -60);
        CHECK(h.boot_time == in.boot_time);
        CHECK(h.perf_freq == 3'117'777);
        CHECK(h.start_time == in.start_time);
        CHECK(h.clock_type == kClockQpc);
        CHECK(h.buffers_lost == 2);
        CHECK(h.logger_name == "NT Kernel Logger");
        CHECK(h.log_file_name == "C:\\boot\\kernel.etl");
    }
}

TEST_CASE("logfile header: missing strings are tolerated, a short fixed part is an error", "[format]") {
    LogfileHeader in = sample_header();
    auto payload = bp::writer::encode_logfile_header(in, 8);
    SECTION("no strings") {
        payload.resize(0x118);
        auto out = decode_logfile_header(bp::ByteReader(payload), 8);
        REQUIRE(out.has_value());
        CHECK(out->logger_name.empty());
        CHECK(out->log_file_name.empty());
    }
    SECTION("unterminated second string") {
        payload.resize(payload.size() - 2);
        auto out = decode_logfile_header(bp::ByteReader(payload), 8);
        REQUIRE(out.has_value());
        CHECK(out->log_file_name == "C:\\boot\\kernel.etl");
    }
    SECTION("fixed part cut short") {
        payload.resize(0x117);
        auto out = decode_logfile_header(bp::ByteReader(payload, 0x78), 8);
        REQUIRE_FALSE(out.has_value());
        CHECK(out.error().code == bp::Errc::truncated);
        CHECK(out.error().offset == 0x78);
    }
}
