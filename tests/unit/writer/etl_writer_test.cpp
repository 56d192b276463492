// EtlWriter: the bytes it puts on disk (buffer headers, fill, alignment, sequence numbers, the short
// header buffer of compressed files, the Windows 7 layout), read-back equality across layouts, its
// argument checks and its I/O errors.
#include "bootprint/writer/etl_writer.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "bootprint/etl/etl_file.hpp"
#include "bootprint/etl/event_decoders.hpp"
#include "bootprint/etl/xpress.hpp"
#include "bootprint/writer/kernel_payloads.hpp"
#include "unit/etl/trace_files.hpp"

using namespace bp::etl;
using bp::test::get_le;
using bp::test::TempDir;
using bp::writer::EtlWriter;
using bp::writer::EtlWriterOptions;
using bp::writer::KernelRecord;

namespace {

KernelRecord pool_record(std::int64_t ts, unsigned p = 8) {
    PoolEvent e;
    e.is_alloc = true;
    e.tag = 0x6C6F6F50;
    e.size = 0x30;
    e.address = 0x1000 + static_cast<std::uint64_t>(ts);
    KernelRecord r;
    r.kind = p == 8 ? HeaderKind::perfinfo64 : HeaderKind::perfinfo32;
    r.hook_id = bp::writer::pool_hook(e);
    r.version = bp::writer::kPoolVersion;
    r.timestamp = ts;
    r.payload = bp::writer::encode_pool_event(e, p);  // 0x18 / 0x10 bytes
    return r;
}

EtlWriter create_ok(const std::string& path, const EtlWriterOptions& o) {
    auto w = EtlWriter::create(path, o);
    INFO((w ? std::string() : w.error().describe()));
    REQUIRE(w.has_value());
    return std::move(w).value();
}

void ok(const bp::Status& st) {
    INFO((st ? std::string() : st.error().describe()));
    REQUIRE(st.has_value());
}

// 60 pool records alternating over 2 cpus, in a file with 0x400-byte buffers.
std::string write_sample(const TempDir& dir, const std::string& name, EtlWriterOptions o) {
    o.processors = 2;
    o.buffer_size = 0x400;
    o.logger_name = "Boot";
    o.log_file_name = "boot.etl";
    const std::string path = dir.file(name);
    EtlWriter w = create_ok(path, o);
    for (int i = 0; i < 60; ++i) {
        ok(w.append(static_cast<std::uint16_t>(i % 2), pool_record(100 + i, o.pointer_size)));
    }
    auto s = w.finish();
    REQUIRE(s.has_value());
    CHECK(s->buffers_written == 5);
    CHECK(s->events == 61);
    return path;
}

bool all_ff(const std::vector<std::byte>& b, std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
        if (b[i] != std::byte{0xFF}) return false;
    }
    return true;
}

}  // namespace

TEST_CASE("uncompressed buffers: headers, fill, alignment and sequence numbers", "[writer]") {
    TempDir dir;
    const std::string path = write_sample(dir, "plain.etl", {});
    const auto b = bp::test::read_bytes(path);
    REQUIRE(b.size() == 5 * 0x400);

    // Header buffer.
    const BufferHeader h0 = decode_buffer_header(std::span(b).first(kBufferHeaderSize));
    CHECK(h0.buffer_size == 0x400);
    CHECK(h0.type == kBufferTypeHeader);
    CHECK(h0.flags == (kBufferFlagFlushMarker | kBufferFlagProcIndex));
    CHECK(h0.sequence == 0);
    CHECK(h0.processor == 0);
    CHECK(h0.logger_id == 0x1C);
    // SYSTEM64 header record: 0x20 + 0x118 + "Boot\0" (10) + "boot.etl\0" (18) = 0x154 → aligned 0x158.
    CHECK(get_le<std::uint32_t>(b, 0x48) == 0xC0020002);
    CHECK(get_le<std::uint16_t>(b, 0x4C) == 0x154);
    CHECK(h0.offset == 0x48 + 0x158);
    CHECK(h0.saved_offset == h0.offset);
    CHECK(all_ff(b, h0.offset, 0x400));

    // Data buffers: 0x28-byte records, 23 per buffer; cpu 0 fills first.
    const std::uint16_t cpus[] = {0, 1, 0, 1};
    const std::uint32_t offsets[] = {0x48 + 23 * 0x28, 0x48 + 23 * 0x28, 0x48 + 7 * 0x28, 0x48 + 7 * 0x28};
    const std::uint64_t flush_ts[] = {144, 145, 158, 159};
    for (std::size_t i = 0; i < 4; ++i) {
        INFO("buffer " << i + 1);
        const std::size_t at = (i + 1) * 0x400;
        const BufferHeader h = decode_buffer_header(std::span(b).subspan(at, kBufferHeaderSize));
        CHECK(h.buffer_size == 0x400);
        CHECK(h.type == kBufferTypeGeneric);
        CHECK(h.flags == kBufferFlagProcIndex);
        CHECK(h.sequence == i + 1);
        CHECK(h.processor == cpus[i]);
        CHECK(get_le<std::uint16_t>(b, at + 0x28) == cpus[i]);
        CHECK(h.offset == offsets[i]);
        CHECK(h.saved_offset == offsets[i]);
        CHECK(h.timestamp == flush_ts[i]);
        CHECK(h.state == 3);
        CHECK(all_ff(b, at + h.offset, at + 0x400));
        CHECK(get_le<std::uint32_t>(b, at + 0x48) == 0xC0110002);  // PERFINFO64, version 2
    }
}

TEST_CASE("records are 8-byte aligned and raw bytes are kept as given", "[writer]") {
    TempDir dir;
    const std::string path = dir.file("raw.etl");
    EtlWriter w = create_ok(path, {});
    ok(w.append_raw(0, bp::test::bytes_of({0x0B, 0x00, 0x0D, 0xC0, 1, 2, 3, 4, 5, 6, 7}),
                    7));  // ERROR, 11 bytes
    ok(w.append(0, pool_record(9)));
    REQUIRE(w.finish().has_value());
    const auto b = bp::test::read_bytes(path);
    const std::size_t at = 64 * 1024;
    CHECK(get_le<std::uint32_t>(b, at + 0x48) == 0xC00D000B);
    CHECK(get_le<std::uint8_t>(b, at + 0x48 + 10) == 7);
    CHECK(get_le<std::uint8_t>(b, at + 0x48 + 11) == 0);  // padding
    CHECK(get_le<std::uint32_t>(b, at + 0x48 + 16) == 0xC0110002);
    CHECK(get_le<std::uint32_t>(b, at + 0x30) == 0x48 + 16 + 0x28);
    const EtlFile f = bp::test::open_ok(path);
    const auto events = bp::test::file_order(f);
    REQUIRE(events.size() == 3);
    CHECK(events[1].rec.kind == HeaderKind::error);
    CHECK(events[2].rec.timestamp == 9);
}

TEST_CASE("compressed files: short header buffer, XPRESS buffers, same events as plain", "[writer]") {
    TempDir dir;
    EtlWriterOptions o;
    o.compress = true;
    const std::string packed_path = write_sample(dir, "packed.etl", o);
    const std::string plain_path = write_sample(dir, "plain.etl", {});
    const auto b = bp::test::read_bytes(packed_path);

    const BufferHeader h0 = decode_buffer_header(std::span(b).first(kBufferHeaderSize));
    CHECK(h0.buffer_size == 0x200);  // Offset 0x1A0 rounded up to 0x200
    CHECK(h0.offset == 0x48 + 0x158);
    CHECK_FALSE(h0.compressed());
    CHECK((h0.state & 0xFFFF) == kCompressionXpress);
    CHECK(all_ff(b, h0.offset, h0.buffer_size));

    std::size_t at = h0.buffer_size;
    std::size_t n = 1;
    while (at < b.size()) {
        INFO("buffer at " << at);
        const BufferHeader h = decode_buffer_header(std::span(b).subspan(at, kBufferHeaderSize));
        CHECK(h.compressed());
        CHECK(h.flags == (kBufferFlagCompressed | kBufferFlagProcIndex));
        CHECK(h.sequence == n);
        CHECK(h.buffer_size < 0x400);
        std::vector<std::byte> out;
        REQUIRE(
            xpress_decompress(std::span(b).subspan(at + kBufferHeaderSize, h.buffer_size - kBufferHeaderSize),
                              h.saved_offset - kBufferHeaderSize, out)
                .has_value());
        CHECK(bp::test::get_le<std::uint32_t>(out, 0) == 0xC0110002);
        at += h.buffer_size;
        ++n;
    }
    CHECK(at == b.size());
    CHECK(n == 5);

    const EtlFile packed = bp::test::open_ok(packed_path);
    const EtlFile plain = bp::test::open_ok(plain_path);
    CHECK(packed.header().log_file_mode == (plain.header().log_file_mode | kLogFileModeCompressed));
    const auto a = bp::test::time_order(packed);
    const auto c = bp::test::time_order(plain);
    REQUIRE(a.size() == c.size());
    for (std::size_t i = 1; i < a.size(); ++i) {
        CHECK(a[i].rec.timestamp == c[i].rec.timestamp);
        CHECK(a[i].rec.cpu == c[i].rec.cpu);
        CHECK(a[i].payload == c[i].payload);
    }
}

TEST_CASE("Windows 7 layout and 32-bit traces read back identically", "[writer]") {
    TempDir dir;
    const std::string base = write_sample(dir, "base.etl", {});
    EtlWriterOptions win7;
    win7.windows7_layout = true;
    win7.os_major = 6;
    win7.os_minor = 1;
    const std::string old = write_sample(dir, "win7.etl", win7);
    EtlWriterOptions x86;
    x86.pointer_size = 4;
    const std::string small = write_sample(dir, "x86.etl", x86);

    const auto b = bp::test::read_bytes(old);
    CHECK(get_le<std::uint16_t>(b, 0x28) == 0x0800);
    CHECK(get_le<std::uint32_t>(b, 0x04) == 0);  // SavedOffset 0 in the header buffer
    CHECK(get_le<std::uint16_t>(b, 0x34) == kBufferFlagFlushMarker);
    CHECK(get_le<std::uint16_t>(b, 0x400 + 0x28) == 0x0800);
    CHECK(get_le<std::uint16_t>(b, 0x800 + 0x28) == 0x0801);
    CHECK(get_le<std::uint16_t>(b, 0x800 + 0x34) == 0);

    const auto x = bp::test::read_bytes(small);
    CHECK(get_le<std::uint32_t>(x, 0x48) == 0xC0010002);  // SYSTEM32 header event

    const EtlFile f_base = bp::test::open_ok(base);
    const EtlFile f_old = bp::test::open_ok(old);
    const EtlFile f_x86 = bp::test::open_ok(small);
    CHECK(f_old.header().os_minor == 1);
    CHECK(f_x86.header().pointer_size == 4);
    CHECK(f_x86.header().header_pointer_size == 4);
    const auto e_base = bp::test::time_order(f_base);
    const auto e_old = bp::test::time_order(f_old);
    const auto e_x86 = bp::test::time_order(f_x86);
    REQUIRE(e_base.size() == 61);
    REQUIRE(e_old.size() == 61);
    REQUIRE(e_x86.size() == 61);
    for (std::size_t i = 1; i < 61; ++i) {
        INFO("event " << i);
        CHECK(e_old[i].rec.cpu == e_base[i].rec.cpu);
        CHECK(e_old[i].rec.timestamp == e_base[i].rec.timestamp);
        CHECK(e_old[i].payload == e_base[i].payload);
        CHECK(e_x86[i].rec.cpu == e_base[i].rec.cpu);
        CHECK(e_x86[i].rec.timestamp == e_base[i].rec.timestamp);
        CHECK(e_x86[i].rec.kind == HeaderKind::perfinfo32);
        EventRecord r32 = e_x86[i].rec;
        r32.payload = e_x86[i].payload;
        EventRecord r64 = e_base[i].rec;
        r64.payload = e_base[i].payload;
        PoolEvent p32;
        PoolEvent p64;
        REQUIRE(decode(r32, p32) == DecodeStatus::ok);
        REQUIRE(decode(r64, p64) == DecodeStatus::ok);
        CHECK(p32.address == p64.address);
        CHECK(p32.size == p64.size);
        CHECK(p32.tag == p64.tag);
    }
}

TEST_CASE("explicit EndTime, BootTime and clock options land in the header", "[writer]") {
    TempDir dir;
    EtlWriterOptions o;
    o.end_time = 133'000'000'999'000'000ULL;
    o.boot_time = 132'999'999'000'000'000ULL;
    o.clock_type = kClockSystemTime;
    o.timezone_bias = 480;
    const std::string path = dir.file("times.etl");
    EtlWriter w = create_ok(path, o);
    REQUIRE(w.finish().has_value());
    const EtlFile f = bp::test::open_ok(path);
    CHECK(f.header().end_time == 133'000'000'999'000'000ULL);
    CHECK(f.header().boot_time == 132'999'999'000'000'000ULL);
    CHECK(f.header().clock_type == kClockSystemTime);
    CHECK(f.header().timezone_bias == 480);
    CHECK(f.header().log_file_name == path);  // defaults to the path
    CHECK(f.buffers().size() == 1);
}

TEST_CASE("writer arguments are checked", "[writer][errors]") {
    TempDir dir;
    const std::string path = dir.file("bad.etl");
    auto expect_invalid = [&](const EtlWriterOptions& o, const std::string& words) {
        auto w = EtlWriter::create(path, o);
        REQUIRE_FALSE(w.has_value());
        CHECK(w.error().code == bp::Errc::invalid_argument);
        CHECK(w.error().path == path);
        CHECK(w.error().message.find(words) != std::string::npos);
    };
    EtlWriterOptions o;
    o.pointer_size = 6;
    expect_invalid(o, "pointer_size");
    o = {};
    o.processors = 0;
    expect_invalid(o, "processors");
    o = {};
    o.buffer_size = 0x300;
    expect_invalid(o, "buffer_size");
    o.buffer_size = 0x404 + 2;
    expect_invalid(o, "buffer_size");
    o = {};
    o.compress = true;
    o.windows7_layout = true;
    expect_invalid(o, "windows7_layout");
    o = {};
    o.buffer_size = 0x400;
    o.logger_name = std::string(400, 'x');
    expect_invalid(o, "does not fit");

    o = {};
    o.buffer_size = 0x400;
    o.processors = 2;
    EtlWriter w = create_ok(path, o);
    auto st = w.append(2, pool_record(1));
    REQUIRE_FALSE(st.has_value());
    CHECK(st.error().code == bp::Errc::invalid_argument);
    KernelRecord big = pool_record(2);
    big.payload.resize(0x400);
    st = w.append(0, big);
    REQUIRE_FALSE(st.has_value());
    CHECK(st.error().message.find("does not fit") != std::string::npos);
    big.payload.resize(0x10000);
    st = w.append(0, big);
    REQUIRE_FALSE(st.has_value());
    CHECK(st.error().message.find("0xFFFF") != std::string::npos);
    KernelRecord wrong_kind = pool_record(3);
    wrong_kind.kind = HeaderKind::event_header64;
    CHECK_FALSE(w.append(0, wrong_kind).has_value());
    REQUIRE(w.finish().has_value());
    auto again = w.finish();
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().code == bp::Errc::conflict);
    CHECK(w.append(0, pool_record(4)).error().code == bp::Errc::conflict);
}

TEST_CASE("I/O errors name the path", "[writer][errors]") {
    TempDir dir;
    SECTION("the file cannot be created") {
        const std::string path = dir.file("no/such/dir/trace.etl");
        auto w = EtlWriter::create(path, {});
        REQUIRE_FALSE(w.has_value());
        CHECK(w.error().code == bp::Errc::io);
        CHECK(w.error().path == path);
        CHECK(w.error().describe().find(path) == 0);
    }
    SECTION("the disk is full") {
        if (!std::filesystem::exists("/dev/full")) return;
        auto w = EtlWriter::create("/dev/full", {});
        REQUIRE_FALSE(w.has_value());
        CHECK(w.error().code == bp::Errc::io);
        CHECK(w.error().path == "/dev/full");
        CHECK(w.error().has_offset);
        CHECK(w.error().offset == 0);
        CHECK(w.error().message.find("No space left") != std::string::npos);
    }
}
