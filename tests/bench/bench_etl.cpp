// Benchmark (not a test): reading speed and memory of the ETL reader.
//   bench_etl [--generate-mb N] [--keep DIR] [FILE.etl ...]
// For every file (default: the three largest files of ../shared/etl, plus a generated pool-heavy
// boot trace of N MB, default 1024, plain and XPRESS-compressed) it prints MB/s, events/s and the
// peak RSS of: `etl stats` (file-order walk with counting) and a time-ordered pass (k-way merge).
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "bootprint/etl/etl_file.hpp"
#include "bootprint/etl/trace_stats.hpp"
#include "bootprint/writer/boot_trace.hpp"

namespace fs = std::filesystem;
using namespace bp;

namespace {

std::pair<double, double> run_stats(const std::string& path) {
    auto file = etl::EtlFile::open(path);
    if (!file) return {-1, 0};
    auto st = etl::compute_stats(*file);
    if (!st) return {-1, 0};
    return {static_cast<double>(st->events_total), static_cast<double>(file->file_size())};
}

std::pair<double, double> run_time_ordered(const std::string& path) {
    auto file = etl::EtlFile::open(path);
    if (!file) return {-1, 0};
    etl::TimeOrderedReader reader(*file);
    double n = 0;
    std::int64_t checksum = 0;
    for (;;) {
        auto e = reader.next();
        if (!e) return {-1, 0};
        if (!*e) break;
        checksum += (*e)->timestamp;
        n += 1;
    }
    if (checksum == 42) std::printf(" ");  // keeps the loop from being optimized away
    return {n, static_cast<double>(file->file_size())};
}

std::string generate(const std::string& dir, double mb, bool compress) {
    auto scenario = writer::parse_scenario(writer::default_scenario_json(), "default");
    if (!scenario) return {};
    // The default scenario writes ~4.8 MB per boot, almost all of it pool events and stacks.
    writer::BootTraceOptions opt;
    opt.scale = std::max(1.0, mb / 4.6);
    opt.compress = compress;
    opt.boot = 1;
    const std::string path = dir + (compress ? "/generated-compressed.etl" : "/generated.etl");
    if (fs::exists(path)) return path;  // kept from an earlier run (--keep)
    std::printf("generating %s (scale %.0f) ...\n", path.c_str(), opt.scale);
    std::fflush(stdout);
    const auto t0 = std::chrono::steady_clock::now();
    auto s = writer::write_boot_trace(*scenario, path, opt);
    if (!s) {
        std::fprintf(stderr, "generation failed: %s\n", s.error().describe().c_str());
        return {};
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("  %.1f MB, %llu events in %.1f s (writer: %.0f MB/s)\n", s->write.file_size / 1e6,
                static_cast<unsigned long long>(s->write.events), secs, s->write.file_size / 1e6 / secs);
    return path;
}

}  // namespace

int main(int argc, char** argv) {
    double generate_mb = 1024;
    std::string keep;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--generate-mb") && i + 1 < argc) generate_mb = std::atof(argv[++i]);
        else if (!std::strcmp(argv[i], "--keep") && i + 1 < argc) keep = argv[++i];
        else files.emplace_back(argv[i]);
    }
    const fs::path shared = fs::path(BOOTPRINT_SOURCE_DIR) / ".." / "shared" / "etl";
    if (files.empty() && fs::is_directory(shared)) {
        std::vector<std::pair<std::uintmax_t, std::string>> all;
        for (const auto& e : fs::directory_iterator(shared)) {
            if (e.path().extension() == ".etl" && e.path().filename() != "histories_ExplorerStartupLog.etl") {
                all.emplace_back(e.file_size(), e.path().string());
            }
        }
        std::sort(all.rbegin(), all.rend());
        for (std::size_t i = 0; i < std::min<std::size_t>(3, all.size()); ++i) files.push_back(all[i].second);
    }
    const std::string dir = keep.empty() ? (fs::temp_directory_path() / "bootprint-bench").string() : keep;
    fs::create_directories(dir);
    if (generate_mb > 0) {
        for (bool compress : {false, true}) {
            // Generated in a child, so that the measuring children do not inherit the writer's pages.
            const auto f = bench::measure([&] { return std::pair<double, double>{generate(dir, generate_mb, compress).empty() ? -1 : 0, 0}; });
            const std::string p = dir + (compress ? "/generated-compressed.etl" : "/generated.etl");
            if (f.ok && fs::exists(p)) files.push_back(p);
        }
    }
    std::printf("\n%-58s %11s %10s %14s %17s\n", "measurement", "size", "time", "throughput", "events");
    for (const auto& f : files) {
        const std::string name = fs::path(f).filename().string();
        bench::print("etl stats        " + name, bench::measure([&] { return run_stats(f); }), "ev");
        bench::print("time-ordered pass " + name, bench::measure([&] { return run_time_ordered(f); }), "ev");
    }
    if (keep.empty()) fs::remove_all(dir);
    return 0;
}
