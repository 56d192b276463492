// compute_stats: counts by header kind and by event key, buffer counts, time range, read counters.
#include "bootprint/etl/trace_stats.hpp"

#include <catch2/catch.hpp>

#include "bootprint/etl/event_decoders.hpp"
#include "bootprint/writer/etl_writer.hpp"
#include "bootprint/writer/kernel_payloads.hpp"
#include "unit/etl/trace_files.hpp"

using namespace bp::etl;
namespace w = bp::writer;

TEST_CASE("compute_stats counts every record by kind and key", "[trace_stats]") {
    bp::test::TempDir dir;
    for (bool compress : {false, true}) {
        INFO((compress ? "compressed" : "plain"));
        w::EtlWriterOptions o;
        o.processors = 2;
        o.buffer_size = 0x1000;
        o.compress = compress;
        o.start_timestamp = 1'000;
        o.group_masks = std::array<std::uint32_t, 8>{};
        const std::string path = dir.file(compress ? "stats_c.etl" : "stats.etl");
        auto created = w::EtlWriter::create(path, o);
        REQUIRE(created.has_value());
        w::EtlWriter writer = std::move(created).value();

        PoolEvent alloc;
        alloc.is_alloc = true;
        alloc.tag = 0x656C6946;
        alloc.size = 0x40;
        alloc.address = 0xFFFF'A000'0000'0040ULL;
        for (int i = 0; i < 150; ++i) {
            w::KernelRecord r;
            r.kind = HeaderKind::perfinfo64;
            r.hook_id = w::pool_hook(alloc);
            r.version = w::kPoolVersion;
            r.timestamp = 2'000 + i;
            r.payload = w::encode_pool_event(alloc, 8);
            REQUIRE(writer.append(static_cast<std::uint16_t>(i % 2), r).has_value());
        }
        for (int i = 0; i < 7; ++i) {
            w::ClassicRecord c;
            c.kind = HeaderKind::full_header32;
            c.guid = image_id_guid();
            c.type = kImageIdOpcodeDbgIdRsds;
            c.version = 2;
            c.timestamp = 1'500 + i;
            c.payload = w::encode_dbg_id_rsds(DbgIdRsds{}, 4);
            REQUIRE(writer.append(1, c).has_value());
        }
        w::EventHeaderRecord e;
        e.kind = HeaderKind::event_header64;
        e.provider = image_id_guid();
        e.id = 9;
        e.timestamp = 3'000;
        REQUIRE(writer.append(0, e).has_value());
        REQUIRE(writer.append_raw(0, bp::test::bytes_of({0, 0, 0x16, 0xC0, 0, 0, 0, 0})).has_value());
        REQUIRE(writer.mark_events_lost(1, 3).has_value());
        auto summary = writer.finish();
        REQUIRE(summary.has_value());

        const bp::etl::EtlFile file = bp::test::open_ok(path);
        auto stats = compute_stats(file);
        REQUIRE(stats.has_value());
        const TraceStats& s = *stats;
        CHECK(s.bytes == summary->file_size);
        CHECK(s.buffers_total == summary->buffers_written);
        CHECK(s.buffers_compressed == (compress ? s.buffers_total - 1 : 0));
        CHECK(s.compression_format == (compress ? kCompressionXpress : 0));
        CHECK(s.events_total == 1 + 1 + 150 + 7 + 1 + 1);
        CHECK(s.by_header[static_cast<std::size_t>(HeaderKind::system64)] == 1);
        CHECK(s.by_header[static_cast<std::size_t>(HeaderKind::perfinfo64)] == 151);
        CHECK(s.by_header[static_cast<std::size_t>(HeaderKind::full_header32)] == 7);
        CHECK(s.by_header[static_cast<std::size_t>(HeaderKind::event_header64)] == 1);
        CHECK(s.by_header[static_cast<std::size_t>(HeaderKind::unknown)] == 1);
        CHECK(s.counts.at("kernel/0x0000/2") == 1);
        CHECK(s.counts.at("kernel/0x0005/2") == 1);
        CHECK(s.counts.at("kernel/0x0e20/2") == 150);
        CHECK(s.counts.at("classic/{b3e675d7-2554-4f18-830b-2762732560de}/36/2") == 7);
        CHECK(s.counts.at("event/{b3e675d7-2554-4f18-830b-2762732560de}/9/0") == 1);
        CHECK(s.counts.at("unknown/0xc0160000") == 1);
        CHECK(s.counts.size() == 6);
        CHECK(s.read.unknown_records == 1);
        CHECK(s.read.buffers_events_lost == 1);
        CHECK(s.header.events_lost == 3);
        CHECK(s.first_event_filetime == file.clock().to_filetime(1'000));
        CHECK(s.last_event_filetime == file.clock().to_filetime(3'000));
        CHECK(s.last_event_filetime - s.first_event_filetime == 2'000);  // 10 MHz clock: 100 ns ticks
    }
}
