// EtlFile / for_each_event / TimeOrderedReader / TraceClock on traces written by bp::writer::EtlWriter:
// header fields, every header kind in real buffers (both pointer sizes, plain and compressed), the
// per-processor time merge, and damaged containers.
#include "bootprint/etl/etl_file.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <limits>

#include "bootprint/etl/event_decoders.hpp"
#include "bootprint/etl/trace_stats.hpp"
#include "bootprint/writer/etl_writer.hpp"
#include "bootprint/writer/kernel_payloads.hpp"
#include "unit/etl/trace_files.hpp"

using namespace bp::etl;
using bp::test::get_le;
using bp::test::open_ok;
using bp::test::OwnedRecord;
using bp::test::put_le;
using bp::test::TempDir;
using bp::writer::EtlWriter;
using bp::writer::EtlWriterOptions;
using bp::writer::KernelRecord;

namespace {

const bp::Guid kProvider = *bp::Guid::parse("{22fb2cd6-0e7b-422b-a0c7-2fad1fd0e716}");

EtlWriter make_writer(const std::string& path, const EtlWriterOptions& o) {
    auto w = EtlWriter::create(path, o);
    INFO((w ? std::string() : w.error().describe()));
    REQUIRE(w.has_value());
    return std::move(w).value();
}

void ok(const bp::Status& st) {
    INFO((st ? std::string() : st.error().describe()));
    REQUIRE(st.has_value());
}

bp::writer::WriteSummary finish(EtlWriter& w) {
    auto s = w.finish();
    INFO((s ? std::string() : s.error().describe()));
    REQUIRE(s.has_value());
    return *s;
}

KernelRecord kernel(HeaderKind kind, std::uint16_t hook, std::int64_t ts,
                    std::vector<std::byte> payload = {}) {
    KernelRecord r;
    r.kind = kind;
    r.hook_id = hook;
    r.version = 2;
    r.thread_id = 8;
    r.process_id = 4;
    r.timestamp = ts;
    r.payload = std::move(payload);
    return r;
}

// A trace with several buffers on cpu 0 (buffer size 0x400, 0x20-byte records): returns the path.
std::string small_trace(const TempDir& dir, bool compress, int records = 80) {
    EtlWriterOptions o;
    o.buffer_size = 0x400;
    o.compress = compress;
    o.logger_name = "L";
    const std::string path = dir.file(compress ? "small_c.etl" : "small.etl");
    EtlWriter w = make_writer(path, o);
    for (int i = 0; i < records; ++i) ok(w.append(0, kernel(HeaderKind::system64, 0x0E20, 100 + i)));
    finish(w);
    return path;
}

}  // namespace

TEST_CASE("a written trace opens with the header the writer was given", "[etl_file]") {
    TempDir dir;
    for (unsigned p : {4u, 8u}) {
        for (bool compress : {false, true}) {
            INFO("pointer size " << p << (compress ? ", compressed" : ""));
            EtlWriterOptions o;
            o.pointer_size = p;
            o.processors = 2;
            o.compress = compress;
            o.perf_freq = 3'117'777;
            o.start_timestamp = 6'365'537;
            o.start_time = 132'273'837'474'000'000ULL;
            o.build = 18362;
            o.logger_name = "PerfDiag Logger";
            o.log_file_name = "C:\\Windows\\boot.etl";
            o.group_masks = std::array<std::uint32_t, 8>{0x1, 0x40, 0, 0, 0, 0, 0, 0x80};
            const std::string path = dir.file("h" + std::to_string(p) + (compress ? "c" : "") + ".etl");
            EtlWriter w = make_writer(path, o);
            ok(w.append(1, kernel(p == 8 ? HeaderKind::system64 : HeaderKind::system32, 0x0501,
                                  6'365'537 + 3'117'777)));
            const auto summary = finish(w);
            CHECK(summary.buffers_written == 2);
            CHECK(summary.events == 3);

            const EtlFile f = open_ok(path);
            const LogfileHeader& h = f.header();
            CHECK(h.header_pointer_size == p);
            CHECK(h.pointer_size == p);
            CHECK(h.processors == 2);
            CHECK(h.buffers_written == 2);
            CHECK(f.buffers().size() == 2);
            CHECK(h.build == 18362);
            CHECK(h.os_major == 10);
            CHECK(h.layout_major == (compress ? 2 : 1));
            CHECK(h.layout_minor == (compress ? 0 : 5));
            CHECK(h.log_file_mode == (compress ? 0x06000001u : 0x02000001u));
            CHECK(h.perf_freq == 3'117'777);
            CHECK(h.start_time == 132'273'837'474'000'000ULL);
            CHECK(h.start_timestamp == 6'365'537);
            CHECK(h.clock_type == kClockQpc);
            CHECK(h.logger_name == "PerfDiag Logger");
            CHECK(h.log_file_name == "C:\\Windows\\boot.etl");
            // The one event sits exactly one second after the start.
            CHECK(h.end_time == 132'273'837'474'000'000ULL + 10'000'000);
            CHECK(summary.end_time == h.end_time);
            CHECK(f.compressed_buffers() == (compress ? 1u : 0u));
            CHECK(f.compression_format() == (compress ? kCompressionXpress : 0));
            CHECK(f.trailing_bytes() == 0);

            const auto events = bp::test::file_order(f);
            REQUIRE(events.size() == 3);
            CHECK(events[0].rec.hook_id == hook::kHeader);
            CHECK(events[1].rec.hook_id == hook::kHeaderExtension);
            CHECK(events[1].rec.kind == (p == 8 ? HeaderKind::perfinfo64 : HeaderKind::perfinfo32));
            EventRecord ext = events[1].rec;
            ext.payload = events[1].payload;
            HeaderExtension hx;
            REQUIRE(decode(ext, hx) == DecodeStatus::ok);
            CHECK(hx.masks[1] == 0x40);
            CHECK(hx.masks[7] == 0x80);
            CHECK(hx.enabled(0x20000040));
            CHECK_FALSE(hx.enabled(0x20000001));
            CHECK(events[2].rec.cpu == 1);
            CHECK(events[2].rec.buffer_compressed == compress);
            CHECK(f.clock().to_filetime(events[2].rec.timestamp) == static_cast<std::int64_t>(h.end_time));
        }
    }
}

TEST_CASE("every header kind survives a real buffer, plain and compressed", "[etl_file]") {
    TempDir dir;
    for (bool compress : {false, true}) {
        INFO((compress ? "compressed" : "plain"));
        EtlWriterOptions o;
        o.processors = 4;
        o.compress = compress;
        const std::string path = dir.file(compress ? "kinds_c.etl" : "kinds.etl");
        EtlWriter w = make_writer(path, o);
        std::int64_t ts = 1000;
        std::vector<HeaderKind> expected;
        for (HeaderKind k : {HeaderKind::system32, HeaderKind::system64, HeaderKind::compact32,
                             HeaderKind::compact64, HeaderKind::perfinfo32, HeaderKind::perfinfo64}) {
            ok(w.append(static_cast<std::uint16_t>(expected.size() % 4),
                        kernel(k, 0x1820, ts++, {std::byte{1}})));
            expected.push_back(k);
        }
        for (HeaderKind k : {HeaderKind::full_header32, HeaderKind::full_header64, HeaderKind::instance32,
                             HeaderKind::instance64}) {
            bp::writer::ClassicRecord c;
            c.kind = k;
            c.guid = kProvider;
            c.type = 0x24;
            c.timestamp = ts++;
            c.payload = {std::byte{2}, std::byte{3}};
            ok(w.append(static_cast<std::uint16_t>(expected.size() % 4), c));
            expected.push_back(k);
        }
        for (HeaderKind k : {HeaderKind::event_header32, HeaderKind::event_header64}) {
            bp::writer::EventHeaderRecord e;
            e.kind = k;
            e.provider = kProvider;
            e.id = 7;
            e.timestamp = ts++;
            e.extended.push_back(bp::writer::stack_trace_item(1, {0x10, 0x20}, header_pointer_size(k)));
            e.payload = {std::byte{4}};
            ok(w.append(static_cast<std::uint16_t>(expected.size() % 4), e));
            expected.push_back(k);
        }
        bp::writer::MessageRecord m;
        m.message_number = 3;
        m.option_flags = kMessageGuid | kMessageTimestamp;
        m.guid = kProvider;
        m.timestamp = ts++;
        m.payload = {std::byte{5}};
        ok(w.append(3, m));
        expected.push_back(HeaderKind::message);
        finish(w);

        const EtlFile f = open_ok(path);
        const auto events = bp::test::time_order(f);
        REQUIRE(events.size() == expected.size() + 1);
        CHECK(events[0].rec.hook_id == hook::kHeader);
        for (std::size_t i = 0; i < expected.size(); ++i) {
            const OwnedRecord& e = events[i + 1];
            INFO("record " << i << " " << header_kind_name(expected[i]));
            CHECK(e.rec.kind == expected[i]);
            CHECK(e.rec.timestamp == 1000 + static_cast<std::int64_t>(i));
            CHECK(e.rec.cpu == (expected[i] == HeaderKind::message ? 3 : i % 4));
            CHECK(e.rec.buffer_compressed == compress);
            CHECK_FALSE(e.payload.empty());
            if (expected[i] == HeaderKind::event_header32 || expected[i] == HeaderKind::event_header64) {
                ExtendedStack s;
                EventRecord r = e.rec;
                r.extended = e.extended;
                REQUIRE(extended_stack(r.extended, s));
                CHECK(s.frames == std::vector<std::uint64_t>{0x10, 0x20});
            }
        }
    }
}

TEST_CASE("time-ordered reading merges per-processor streams", "[etl_file][merge]") {
    TempDir dir;
    EtlWriterOptions o;
    o.processors = 3;
    o.buffer_size = 0x400;  // 0x3B8 bytes of events: 39 compact records of 0x18 bytes per buffer
    const std::string path = dir.file("merge.etl");
    EtlWriter w = make_writer(path, o);
    // cpu c holds timestamps 10 + c, 13 + c, 16 + c, ... (interleaved across cpus), 100 per cpu, so each
    // cpu spans several buffers that the file holds in flush order, not time order.
    for (int i = 0; i < 100; ++i) {
        for (std::uint16_t c = 0; c < 3; ++c)
            ok(w.append(c, kernel(HeaderKind::compact64, 0x0E20, 10 + 3 * i + c)));
    }
    // Ties: equal timestamps on cpus 2 and 1; cpu 2's buffer is flushed (written) first.
    ok(w.append(2, kernel(HeaderKind::compact64, 0x0E22, 5000)));
    ok(w.flush_buffer(2));
    ok(w.append(1, kernel(HeaderKind::compact64, 0x0E21, 5000)));
    ok(w.append(1, kernel(HeaderKind::compact64, 0x0E23, 5000)));
    const auto summary = finish(w);
    CHECK(summary.buffers_written == 10);  // header + 3 buffers per cpu

    const EtlFile f = open_ok(path);
    const auto events = bp::test::time_order(f);
    REQUIRE(events.size() == 1 + 300 + 3);
    for (std::size_t i = 1; i <= 300; ++i) {
        INFO("event " << i);
        REQUIRE(events[i].rec.timestamp == static_cast<std::int64_t>(10 + (i - 1)));
        REQUIRE(events[i].rec.cpu == (i - 1) % 3);
    }
    CHECK(events[301].rec.hook_id == 0x0E22);  // the earlier buffer in the file wins the tie
    CHECK(events[302].rec.hook_id == 0x0E21);  // then file order within the buffer
    CHECK(events[303].rec.hook_id == 0x0E23);

    SECTION("file order is buffer by buffer") {
        const auto raw = bp::test::file_order(f);
        REQUIRE(raw.size() == events.size());
        bool inverted = false;
        for (std::size_t i = 2; i < raw.size(); ++i)
            inverted |= raw[i].rec.timestamp < raw[i - 1].rec.timestamp;
        CHECK(inverted);
    }
}

TEST_CASE("TraceClock converts raw timestamps to FILETIME", "[etl_file][clock]") {
    LogfileHeader h;
    h.start_time = 132'000'000'000'000'000ULL;
    h.start_timestamp = 5'000'000;
    h.perf_freq = 3'117'777;
    h.clock_type = kClockQpc;
    SECTION("QPC: StartTime + (ts - ts_hdr) * 10^7 / PerfFreq") {
        const TraceClock c(h);
        CHECK(c.to_filetime(5'000'000) == 132'000'000'000'000'000LL);
        CHECK(c.to_filetime(5'000'000 + 3'117'777) == 132'000'000'010'000'000LL);
        CHECK(c.to_filetime(5'000'000 + 3'117'777 / 2) == 132'000'000'000'000'000LL + 4'999'998);
        CHECK(c.to_filetime(5'000'000 - 3'117'777) == 132'000'000'000'000'000LL - 10'000'000);
        CHECK(c.seconds_since_start(5'000'000 + 3 * 3'117'777) == Approx(3.0));
        CHECK(c.ticks_from_seconds(2.0) == 2 * 3'117'777);
    }
    SECTION("QPC values far beyond 2^63 / 10^7 do not overflow") {
        h.start_timestamp = 0;
        h.perf_freq = 10'000'000;
        const TraceClock c(h);
        const std::int64_t raw = 4'000'000'000'000'000LL;  // 400 million seconds
        CHECK(c.to_filetime(raw) == 132'000'000'000'000'000LL + raw);
    }
    SECTION("system time: timestamps are FILETIME already") {
        h.clock_type = kClockSystemTime;
        const TraceClock c(h);
        CHECK(c.to_filetime(132'000'000'123'456'789LL) == 132'000'000'123'456'789LL);
    }
    SECTION("CPU cycles: 10 / CpuSpeedInMHz per cycle") {
        h.clock_type = kClockCpuCycle;
        h.cpu_speed_mhz = 2000;
        const TraceClock c(h);
        CHECK(c.to_filetime(5'000'000 + 2'000'000'000LL) == 132'000'000'010'000'000LL);
    }
}

TEST_CASE("damaged containers fail with the offset, or are skipped and counted when lenient",
          "[etl_file][damage]") {
    TempDir dir;
    SECTION("a buffer size that runs past the end of the file") {
        const std::string path = small_trace(dir, false);
        auto bytes = bp::test::read_bytes(path);
        REQUIRE(bytes.size() == 4 * 0x400);
        put_le<std::uint32_t>(bytes, 2 * 0x400, 0x100000);
        bp::test::write_bytes(path, bytes);
        auto f = EtlFile::open(path);
        REQUIRE_FALSE(f.has_value());
        CHECK(f.error().code == bp::Errc::truncated);
        CHECK(f.error().offset == 0x800);
        CHECK(f.error().path == path);
        CHECK(f.error().describe().find("at offset 0x800") != std::string::npos);
    }
    SECTION("a truncated file") {
        const std::string path = small_trace(dir, false);
        auto bytes = bp::test::read_bytes(path);
        bytes.resize(3 * 0x400 + 0x100);
        bp::test::write_bytes(path, bytes);
        auto f = EtlFile::open(path);
        REQUIRE_FALSE(f.has_value());
        CHECK(f.error().code == bp::Errc::truncated);
        CHECK(f.error().offset == 0xC00);
    }
    SECTION("a few trailing bytes after the last buffer are reported, not fatal") {
        const std::string path = small_trace(dir, false);
        auto bytes = bp::test::read_bytes(path);
        bytes.resize(bytes.size() + 0x20, std::byte{0});
        bp::test::write_bytes(path, bytes);
        const EtlFile f = open_ok(path);
        CHECK(f.trailing_bytes() == 0x20);
        CHECK(bp::test::file_order(f).size() == 81);
    }
    SECTION("a file shorter than one buffer header, and a first record that is no logfile header") {
        const std::string path = dir.file("tiny.etl");
        bp::test::write_bytes(path, std::vector<std::byte>(0x40, std::byte{0}));
        auto f = EtlFile::open(path);
        REQUIRE_FALSE(f.has_value());
        CHECK(f.error().code == bp::Errc::truncated);

        const std::string other = small_trace(dir, false);
        auto bytes = bp::test::read_bytes(other);
        put_le<std::uint16_t>(bytes, 0x48 + 6, 0x0E20);  // HookId of the first record
        bp::test::write_bytes(other, bytes);
        auto g = EtlFile::open(other);
        REQUIRE_FALSE(g.has_value());
        CHECK(g.error().code == bp::Errc::corrupt);
        CHECK(g.error().offset == 0x48);
    }
    SECTION("a bad marker inside a buffer") {
        EtlWriterOptions o;
        o.buffer_size = 0x400;
        const std::string path = dir.file("marker.etl");
        EtlWriter w = make_writer(path, o);
        ok(w.append(0, kernel(HeaderKind::system64, 0x0E20, 10)));
        const auto junk = bp::test::bytes_of({0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0});
        ok(w.append_raw(0, junk, 11));
        ok(w.append(0, kernel(HeaderKind::system64, 0x0E20, 12)));
        ok(w.flush_buffer(0));
        ok(w.append(0, kernel(HeaderKind::system64, 0x0E22, 13)));
        finish(w);
        // Buffer 1 at 0x400: record 1 at +0x48 (0x20 bytes), the junk at +0x68.
        {
            const EtlFile f = open_ok(path);
            auto st = for_each_event(f, [](const EventRecord&) {});
            REQUIRE_FALSE(st.has_value());
            CHECK(st.error().offset == 0x400 + 0x68);
            CHECK(st.error().path == path);
            CHECK(st.error().message.find("0x12345678") != std::string::npos);
            TimeOrderedReader reader(f);
            bp::Status failed;
            for (int i = 0; i < 10 && failed.has_value(); ++i) {
                auto next = reader.next();
                if (!next) failed = std::move(next).error();
            }
            REQUIRE_FALSE(failed.has_value());
            CHECK(failed.error().offset == 0x468);
        }
        bp::etl::ReaderOptions lenient;
        lenient.lenient = true;
        const EtlFile f = open_ok(path, lenient);
        ReadStats stats;
        const auto events = bp::test::file_order(f, &stats);
        REQUIRE(events.size() == 3);  // header, the record before the junk, the next buffer's record
        CHECK(events[2].rec.hook_id == 0x0E22);
        CHECK(stats.malformed_buffers == 1);
        CHECK(stats.skipped_bytes == 0x28);  // from the junk to the end of the buffer's events
    }
    SECTION("an unknown header type is counted, not fatal") {
        EtlWriterOptions o;
        const std::string path = dir.file("unknown.etl");
        EtlWriter w = make_writer(path, o);
        ok(w.append(0, kernel(HeaderKind::system64, 0x0E20, 10)));
        ok(w.append_raw(0, bp::test::bytes_of({0x00, 0x00, 0x16, 0xC0, 0x10, 0, 0, 0}), 11));
        ok(w.flush_buffer(0));
        ok(w.append(0, kernel(HeaderKind::system64, 0x0E22, 13)));
        finish(w);
        const EtlFile f = open_ok(path);
        ReadStats stats;
        const auto events = bp::test::file_order(f, &stats);
        REQUIRE(events.size() == 4);
        CHECK(events[2].rec.kind == HeaderKind::unknown);
        CHECK(events[3].rec.hook_id == 0x0E22);
        CHECK(stats.unknown_records == 1);
        CHECK(stats.malformed_buffers == 0);
        CHECK(stats.events == 4);
    }
    SECTION("a corrupt compressed buffer") {
        const std::string path = small_trace(dir, true);
        auto bytes = bp::test::read_bytes(path);
        const EtlFile before = open_ok(path);
        REQUIRE(before.buffers().size() == 4);
        const std::uint64_t second = before.buffers()[1].file_offset;
        // All-match flags: the first token refers back into nothing.
        put_le<std::uint32_t>(bytes, second + 0x48, 0xFFFFFFFF);
        bp::test::write_bytes(path, bytes);
        {
            const EtlFile f = open_ok(path);
            auto st = for_each_event(f, [](const EventRecord&) {});
            REQUIRE_FALSE(st.has_value());
            CHECK(st.error().code == bp::Errc::corrupt);
            CHECK(st.error().message.find("compressed buffer at 0x") != std::string::npos);
            CHECK(st.error().offset == second + 0x48 + 4);
        }
        bp::etl::ReaderOptions lenient;
        lenient.lenient = true;
        const EtlFile f = open_ok(path, lenient);
        ReadStats stats;
        const auto events = bp::test::file_order(f, &stats);
        CHECK(stats.malformed_buffers == 1);
        CHECK(events.size() == 81 - 29);  // the first data buffer's 29 records are gone
    }
    SECTION("lost events and buffers are counted from the buffer flags and the header") {
        EtlWriterOptions o;
        o.processors = 2;
        const std::string path = dir.file("lost.etl");
        EtlWriter w = make_writer(path, o);
        ok(w.append(0, kernel(HeaderKind::system64, 0x0E20, 10)));
        ok(w.mark_events_lost(0, 17));
        ok(w.mark_buffer_lost(1, 2));
        const auto s = finish(w);
        CHECK(s.events_lost == 17);
        CHECK(s.buffers_lost == 2);
        const EtlFile f = open_ok(path);
        CHECK(f.header().events_lost == 17);
        CHECK(f.header().buffers_lost == 2);
        ReadStats stats;
        bp::test::file_order(f, &stats);
        CHECK(stats.buffers_events_lost == 1);
        CHECK(stats.buffers_buffer_lost == 1);
        TimeOrderedReader reader(f);
        while (true) {
            auto next = reader.next();
            REQUIRE(next.has_value());
            if (!*next) break;
        }
        CHECK(reader.stats().buffers_events_lost == 1);
        CHECK(reader.stats().buffers_buffer_lost == 1);
        CHECK(reader.stats().events == 2);
    }
}

TEST_CASE("TraceClock saturates instead of overflowing on absurd timestamps", "[etl_file][clock]") {
    bp::etl::LogfileHeader h;
    h.clock_type = bp::etl::kClockQpc;
    h.perf_freq = 10'000'000;
    h.start_time = 133'000'000'000'000'000ULL;
    h.start_timestamp = 20'000'000;
    const bp::etl::TraceClock clock(h);
    CHECK(clock.to_filetime(std::numeric_limits<std::int64_t>::max()) == std::numeric_limits<std::int64_t>::max());
    CHECK(clock.to_filetime(std::numeric_limits<std::int64_t>::min()) == std::numeric_limits<std::int64_t>::min());
    CHECK(clock.ticks_from_seconds(1e300) == std::numeric_limits<std::int64_t>::max());
    h.perf_freq = 1;  // the fuzzer's header: a 1 Hz clock makes every tick 10^7 FILETIME units
    const bp::etl::TraceClock slow(h);
    CHECK(slow.to_filetime(h.start_timestamp + 3'795'743'327'767LL) == std::numeric_limits<std::int64_t>::max());
    CHECK(slow.to_filetime(h.start_timestamp + 5) == static_cast<std::int64_t>(h.start_time) + 50'000'000);
    h.perf_freq = ~0ULL;  // damaged: treated as 10 MHz
    const bp::etl::TraceClock damaged(h);
    CHECK(damaged.to_filetime(h.start_timestamp + 10'000'000) == static_cast<std::int64_t>(h.start_time) + 10'000'000);
}

// 2026-11-21, libFuzzer (fuzz_etl_reader, CI run on a clean clone), crash-2d91f2dc1aa73654cb88661f242aa629d1687fb3:
// a mutated header gave QPC timestamps whose conversion to FILETIME overflowed int64 (UBSan: signed
// integer overflow in TraceClock::to_filetime). The input must now be read without undefined behaviour
// (this test runs under UBSan with -fno-sanitize-recover in CI).
TEST_CASE("fuzz regression: etl_reader-crash-2d91f2dc (TraceClock overflow)", "[etl_file][fuzz-regression]") {
    const std::string path = std::string(BOOTPRINT_SOURCE_DIR) + "/tests/fuzz/regressions/etl_reader-crash-2d91f2dc.etl";
    for (bool lenient : {false, true}) {
        auto file = bp::etl::EtlFile::open(path, {lenient});
        if (!file) continue;
        auto st = bp::etl::compute_stats(*file);
        if (st) CHECK(st->events_total > 0);
        bp::etl::TimeOrderedReader reader(*file);
        for (;;) {
            auto e = reader.next();
            if (!e || !*e) break;
            (void)file->clock().to_filetime((*e)->timestamp);
        }
    }
}
