// Benchmark (not a test): end-to-end ingest of a generated pool-heavy boot trace.
//   bench_ingest [--generate-mb N (default 1100)] [--keep DIR] [--only sha256|analysis|ingest] [FILE.etl]
// Prints, each measured in its own child process (so peak RSS is the step's own), the trace read from the
// page cache (it is read once, unmeasured, before each step):
//   sha256        hashing the file
//   analysis      reader + footprint analysis into a sink that only counts rows
//   ingest        sha256 + analysis + SQLite store (a fresh database), as `bootprint ingest` does
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>

#include "bench_support.hpp"
#include "bootprint/etl/etl_file.hpp"
#include "bootprint/footprint/analyzer.hpp"
#include "bootprint/store/agent_store.hpp"
#include "bootprint/store/ingest_file.hpp"
#include "bootprint/store/sha256.hpp"
#include "bootprint/writer/boot_trace.hpp"

namespace fs = std::filesystem;
using namespace bp;

namespace {

class CountingSink final : public footprint::FootprintSink {
public:
    Status on_image(const footprint::Image&) override { return ++rows, Status{}; }
    Status on_stack(const footprint::Stack&) override { return ++rows, Status{}; }
    Status on_pool_allocation(const footprint::PoolAllocation&) override { return ++rows, ++pool_rows, Status{}; }
    Status on_pool_snap(const footprint::PoolSnapRow&) override { return ++rows, Status{}; }
    Status on_resident(const footprint::ResidentRow&) override { return ++rows, Status{}; }
    Status on_meminfo(const footprint::MemInfoSample&) override { return ++rows, Status{}; }
    Status on_finish(const footprint::TraceInfo&, const footprint::Window&) override { return {}; }
    std::uint64_t rows = 0;
    std::uint64_t pool_rows = 0;
};

std::pair<double, double> analysis(const std::string& path) {
    auto file = etl::EtlFile::open(path);
    if (!file) return {-1, 0};
    CountingSink sink;
    auto info = footprint::analyze_trace(*file, {}, sink);
    if (!info) {
        std::fprintf(stderr, "%s\n", info.error().describe().c_str());
        return {-1, 0};
    }
    std::printf("  (analysis: %.2f M pool rows, at most %.2f M open at once)\n", static_cast<double>(sink.pool_rows) / 1e6,
                static_cast<double>(info->peak_live_allocations) / 1e6);
    std::fflush(stdout);
    return {static_cast<double>(info->events), static_cast<double>(file->file_size())};
}

std::pair<double, double> hashing(const std::string& path) {
    auto digest = store::sha256_file(path);
    if (!digest) return {-1, 0};
    return {0, static_cast<double>(fs::file_size(path))};
}

// Into a fresh database (the caller removed the previous run's: deleting a 300 MB file is not part of
// an ingest), opened and created here as `bootprint ingest --db NEW.db` does.
std::pair<double, double> ingest(const std::string& path, const std::string& db) {
    auto st = store::AgentStore::open(db, {true});
    if (!st) {
        std::fprintf(stderr, "%s\n", st.error().describe().c_str());
        return {-1, 0};
    }
    // Exactly what `bootprint ingest` does: hash ∥ analysis ∥ SQLite.
    store::IngestFileOptions options;
    options.labels = {"bench", 1, "bench-build", "bench-machine"};
    auto out = store::ingest_etl_file(*st, path, options);
    if (!out || out->duplicate) {
        std::fprintf(stderr, "ingest failed: %s\n", out ? "duplicate" : out.error().describe().c_str());
        return {-1, 0};
    }
    return {static_cast<double>(out->events), static_cast<double>(out->bytes)};
}

}  // namespace

int main(int argc, char** argv) {
    double mb = 1100;
    std::string keep;
    std::string path;
    std::string only;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--generate-mb") && i + 1 < argc) mb = std::atof(argv[++i]);
        else if (!std::strcmp(argv[i], "--keep") && i + 1 < argc) keep = argv[++i];
        else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else path = argv[i];
    }
    const std::string dir = keep.empty() ? (fs::temp_directory_path() / "bootprint-bench-ingest").string() : keep;
    fs::create_directories(dir);
    if (path.empty()) {
        path = dir + "/pool-heavy.etl";
        if (!fs::exists(path)) {  // generated in a child: the measuring children start small
          const auto generated = bench::measure([&]() -> std::pair<double, double> {
            auto scenario = writer::parse_scenario(writer::default_scenario_json(), "default");
            writer::BootTraceOptions opt;
            opt.scale = std::max(1.0, mb / 4.6);
            opt.boot = 1;
            std::printf("generating %s (default scenario x %.0f) ...\n", path.c_str(), opt.scale);
            std::fflush(stdout);
            const auto t0 = std::chrono::steady_clock::now();
            auto s = writer::write_boot_trace(*scenario, path, opt);
            if (!s) {
                std::fprintf(stderr, "%s\n", s.error().describe().c_str());
                return {-1, 0};
            }
            std::printf("  %.1f MB, %llu events, %llu pool allocations in %.1f s\n", s->write.file_size / 1e6,
                        static_cast<unsigned long long>(s->write.events), static_cast<unsigned long long>(s->allocations),
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
            std::fflush(stdout);
            return {0, 0};
          });
          if (!generated.ok) return 1;
        }
    }
    // Every step reads the trace from the page cache, as an ingest of a trace just copied or written
    // does: the file is read once before each step (not measured). Otherwise the figures depend on
    // what the kernel evicted since the previous step (this VM reclaims cold pages on its own).
    const auto warm = [&] {
        std::FILE* f = std::fopen(path.c_str(), "rb");
        if (!f) return;
        static char buf[1 << 20];
        while (std::fread(buf, 1, sizeof buf, f) == sizeof buf) {
        }
        std::fclose(f);
    };
    std::printf("\n%-58s %11s %10s %14s %17s\n", "measurement", "size", "time", "throughput", "events");
    const auto wanted = [&](const char* step) {
        if (!only.empty() && only != step) return false;
        warm();
        return true;
    };
    if (wanted("sha256"))
        bench::print("sha256          " + fs::path(path).filename().string(), bench::measure([&] { return hashing(path); }), "ev");
    if (wanted("analysis"))
        bench::print("analysis        " + fs::path(path).filename().string(), bench::measure([&] { return analysis(path); }), "ev");
    if (wanted("ingest")) {
        for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(dir + "/bench.db" + suffix);
        bench::print("ingest (SQLite) " + fs::path(path).filename().string(),
                     bench::measure([&] { return ingest(path, dir + "/bench.db"); }), "ev");
    }
    if (keep.empty()) fs::remove_all(dir);
    return 0;
}
