// `bootprint etl stats|dump`: reading .etl files.
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bootprint/etl/etl_file.hpp"
#include "bootprint/etl/event_decoders.hpp"
#include "bootprint/etl/trace_stats.hpp"
#include "commands.hpp"

namespace bp::cli {

namespace {

using nlohmann::ordered_json;

std::string hex32(std::uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

ordered_json header_json(const etl::LogfileHeader& h) {
    ordered_json j;
    j["os_version"] = std::to_string(h.os_major) + "." + std::to_string(h.os_minor);
    j["build"] = h.build;
    j["pointer_size"] = h.pointer_size;
    j["processors"] = h.processors;
    j["buffer_size"] = h.buffer_size;
    j["buffers_written"] = h.buffers_written;
    j["log_file_mode"] = hex32(h.log_file_mode);
    j["perf_freq"] = h.perf_freq;
    j["start_time_filetime"] = h.start_time;
    j["end_time_filetime"] = h.end_time;
    j["boot_time_filetime"] = h.boot_time;
    j["events_lost"] = h.events_lost;
    j["buffers_lost"] = h.buffers_lost;
    j["logger_name"] = h.logger_name;
    j["log_file_name"] = h.log_file_name;
    j["clock_type"] = h.clock_type;
    j["layout_version"] = std::to_string(h.layout_major) + "." + std::to_string(h.layout_minor);
    j["cpu_speed_mhz"] = h.cpu_speed_mhz;
    j["timer_resolution"] = h.timer_resolution;
    return j;
}

ordered_json stats_json(const std::string& path, const etl::TraceStats& st) {
    ordered_json j;
    j["file"] = std::filesystem::path(path).filename().string();
    j["readable"] = true;
    j["bytes"] = st.bytes;
    j["header"] = header_json(st.header);
    j["buffers"] = {{"total", st.buffers_total},
                    {"compressed", st.buffers_compressed},
                    {"compression_format", st.compression_format},
                    {"events_lost_flagged", st.read.buffers_events_lost},
                    {"buffer_lost_flagged", st.read.buffers_buffer_lost}};
    ordered_json by_header = ordered_json::object();
    for (std::size_t k = 0; k < etl::kHeaderKindCount; ++k) {
        if (st.by_header[k]) by_header[std::string(etl::header_kind_name(static_cast<etl::HeaderKind>(k)))] = st.by_header[k];
    }
    j["events"] = {{"total", st.events_total},
                   {"by_header", by_header},
                   {"unknown_records", st.read.unknown_records},
                   {"malformed_buffers", st.read.malformed_buffers},
                   {"skipped_bytes", st.read.skipped_bytes},
                   {"first_event_filetime", st.first_event_filetime},
                   {"last_event_filetime", st.last_event_filetime}};
    ordered_json counts = ordered_json::object();
    for (const auto& [k, n] : st.counts) counts[k] = n;
    j["counts"] = counts;
    return j;
}

void print_stats_table(const std::string& path, const etl::TraceStats& st) {
    const auto& h = st.header;
    std::printf("%s\n", path.c_str());
    std::printf("  OS %u.%u build %u, %u-bit, %u processors, clock type %u, perf freq %" PRIu64 "\n", h.os_major,
                h.os_minor, h.build, h.pointer_size * 8, h.processors, h.clock_type, h.perf_freq);
    std::printf("  logger '%s', file '%s', mode %s\n", h.logger_name.c_str(), h.log_file_name.c_str(),
                hex32(h.log_file_mode).c_str());
    std::printf("  buffers %" PRIu64 " (compressed %" PRIu64 "), buffer size %u, events lost %u, buffers lost %u\n",
                st.buffers_total, st.buffers_compressed, h.buffer_size, h.events_lost, h.buffers_lost);
    std::printf("  events %" PRIu64 " (unknown %" PRIu64 ", malformed buffers %" PRIu64 ")\n\n", st.events_total,
                st.read.unknown_records, st.read.malformed_buffers);
    std::printf("  %-16s %12s\n", "header", "events");
    for (std::size_t k = 0; k < etl::kHeaderKindCount; ++k) {
        if (!st.by_header[k]) continue;
        std::printf("  %-16s %12" PRIu64 "\n", std::string(etl::header_kind_name(static_cast<etl::HeaderKind>(k))).c_str(),
                    st.by_header[k]);
    }
    std::vector<std::pair<std::string, std::uint64_t>> rows(st.counts.begin(), st.counts.end());
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    std::printf("\n  %-72s %10s %7s\n", "event", "count", "share");
    for (const auto& [k, n] : rows) {
        const std::string name = etl::describe_event_key(k);
        std::printf("  %-72s %10" PRIu64 " %6.2f%%\n", (k + (name.empty() ? "" : "  " + name)).c_str(), n,
                    st.events_total ? 100.0 * static_cast<double>(n) / static_cast<double>(st.events_total) : 0.0);
    }
}

int report(const Error& e) {
    std::fprintf(stderr, "bootprint: %s\n", e.describe().c_str());
    return kExitBadInput;
}

}  // namespace

void register_etl_commands(CLI::App& app, CliContext& ctx) {
    auto* etl = app.add_subcommand("etl", "Read .etl trace files");
    etl->require_subcommand(1);

    struct StatsArgs {
        std::string file;
        bool json = false;
        bool lenient = false;
    };
    auto stats_args = std::make_shared<StatsArgs>();
    auto* stats = etl->add_subcommand("stats", "Header fields, buffers and event counts of a trace");
    stats->add_option("FILE", stats_args->file, "The .etl file")->required();
    stats->add_flag("--json", stats_args->json, "JSON output (the corpus' expected-file fields and more)");
    stats->add_flag("--lenient", stats_args->lenient, "Skip damaged buffers instead of failing");
    stats->callback([stats_args, &ctx] {
        auto file = etl::EtlFile::open(stats_args->file, {stats_args->lenient});
        if (!file) {
            ctx.exit_code = report(file.error());
            return;
        }
        auto st = etl::compute_stats(*file);
        if (!st) {
            ctx.exit_code = report(st.error());
            return;
        }
        if (stats_args->json) {
            std::printf("%s\n", stats_json(stats_args->file, *st).dump(1).c_str());
        } else {
            print_stats_table(stats_args->file, *st);
        }
    });

    struct DumpArgs {
        std::string file;
        std::vector<std::string> events;
        std::uint64_t limit = 0;
        bool json = false;
        bool lenient = false;
    };
    auto dump_args = std::make_shared<DumpArgs>();
    auto* dump = etl->add_subcommand("dump", "Decoded events in time order");
    dump->add_option("FILE", dump_args->file, "The .etl file")->required();
    dump->add_option("--event", dump_args->events,
                     "Only events whose key starts with this (e.g. kernel/0x0e20, event/{guid}); repeatable");
    dump->add_option("--limit", dump_args->limit, "Stop after N events (0: no limit)");
    dump->add_flag("--json", dump_args->json, "One JSON object per line");
    dump->add_flag("--lenient", dump_args->lenient, "Skip damaged buffers instead of failing");
    dump->callback([dump_args, &ctx] {
        auto file = etl::EtlFile::open(dump_args->file, {dump_args->lenient});
        if (!file) {
            ctx.exit_code = report(file.error());
            return;
        }
        etl::TimeOrderedReader reader(*file);
        std::uint64_t shown = 0;
        for (;;) {
            auto next = reader.next();
            if (!next) {
                ctx.exit_code = report(next.error());
                return;
            }
            const etl::EventRecord* e = *next;
            if (!e) break;
            const std::string key = etl::event_key(*e);
            if (!dump_args->events.empty()) {
                bool match = false;
                for (const auto& prefix : dump_args->events) match = match || key.rfind(prefix, 0) == 0;
                if (!match) continue;
            }
            const double t = file->clock().seconds_since_start(e->timestamp);
            const std::int64_t ft = file->clock().to_filetime(e->timestamp);
            const nlohmann::ordered_json fields = etl::decode_fields(*e);
            if (dump_args->json) {
                ordered_json j;
                j["time_s"] = t;
                j["filetime"] = ft;
                j["cpu"] = e->cpu;
                j["pid"] = e->process_id == etl::kNoId ? -1 : static_cast<std::int64_t>(e->process_id);
                j["tid"] = e->thread_id == etl::kNoId ? -1 : static_cast<std::int64_t>(e->thread_id);
                j["key"] = key;
                j["name"] = etl::describe_event_key(key);
                j["header"] = std::string(etl::header_kind_name(e->kind));
                j["payload_bytes"] = e->payload.size();
                j["fields"] = fields;
                std::printf("%s\n", j.dump().c_str());
            } else {
                const std::string name = etl::describe_event_key(key);
                std::printf("%14.6f cpu%-3u pid %-6lld tid %-6lld %s%s%s  %s\n", t, e->cpu,
                            e->process_id == etl::kNoId ? -1LL : static_cast<long long>(e->process_id),
                            e->thread_id == etl::kNoId ? -1LL : static_cast<long long>(e->thread_id), key.c_str(),
                            name.empty() ? "" : " ", name.c_str(), fields.empty() ? "" : fields.dump().c_str());
            }
            if (dump_args->limit && ++shown >= dump_args->limit) break;
        }
    });
}

}  // namespace bp::cli
