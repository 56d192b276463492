// ingest_etl_file: hash ∥ analysis ∥ SQLite. See the header for the contract.
#include "bootprint/store/ingest_file.hpp"

#include <chrono>
#include <future>
#include <optional>

#include "bootprint/etl/etl_file.hpp"
#include "bootprint/footprint/analyzer.hpp"
#include "bootprint/footprint/threaded_sink.hpp"
#include "bootprint/store/sha256.hpp"

namespace bp::store {

Result<IngestFileOutcome> ingest_etl_file(AgentStore& store, const std::string& path,
                                          const IngestFileOptions& options) {
    const auto started = std::chrono::steady_clock::now();
    BP_TRY(auto file, etl::EtlFile::open(path, {options.lenient}));
    IngestFileOutcome out;
    out.bytes = file.file_size();

    // The hash runs beside the analysis; the future is declared first, so that every way out of this
    // function waits for the hashing thread before anything it reads goes away.
    std::future<Result<std::string>> hashing;
    if (options.identify) {
        hashing = std::async(std::launch::async, [path] { return sha256_file(path); });
    } else {
        out.sha256 = std::string(64, '0');
        BP_TRY(auto known, store.find_trace(out.sha256));
        if (known) {
            out.trace_id = *known;
            out.duplicate = true;
            return out;
        }
    }

    TraceFacts facts = facts_for(file, options.identify ? std::string() : out.sha256, options.labels);
    facts.symbolizer = options.symbolizer;
    BP_TRY(auto ingest, store.begin_ingest(facts));

    // The digest once the hashing thread is done (std::nullopt before).
    std::optional<Result<std::string>> digest;
    auto poll_digest = [&]() -> const std::optional<Result<std::string>>& {
        if (!digest && hashing.valid() &&
            hashing.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
            digest = hashing.get();
        }
        return digest;
    };
    std::optional<std::int64_t> duplicate_of;

    footprint::AnalyzerOptions analysis;
    analysis.pooltags = options.pooltags;
    analysis.progress = options.progress;
    analysis.send_open_after = options.send_open_after;
    if (options.identify) {
        analysis.check = [&]() -> Status {
            const auto& d = poll_digest();
            if (!d) return {};
            if (!*d) return d->error();  // the file could not be read for hashing
            if ((duplicate_of = ingest->known_trace(**d))) {
                return make_error(Errc::conflict, "already ingested as trace " + std::to_string(*duplicate_of))
                    .with_path(path);
            }
            return {};
        };
    }
    Result<footprint::TraceInfo> info = [&] {
        footprint::ThreadedSink threaded(*ingest);
        threaded.feed_on_this_thread(ingest->pool_table_feed());  // the pool table on this thread
        return footprint::analyze_trace(file, analysis, threaded);
    }();
    if (duplicate_of) {  // stopped early: the ingest rolls back as it goes out of scope
        out.trace_id = *duplicate_of;
        out.duplicate = true;
        out.sha256 = **digest;
        return out;
    }
    if (!info) return std::move(info).error();

    if (options.identify) {
        if (!digest) digest = hashing.get();
        if (!*digest) return digest->error();
        out.sha256 = **digest;
        if (auto known = ingest->known_trace(out.sha256)) {
            out.trace_id = *known;
            out.duplicate = true;
            return out;
        }
        BP_TRY_STATUS(ingest->commit(out.sha256));
    } else {
        BP_TRY_STATUS(ingest->commit());
    }
    out.trace_id = ingest->trace_id();
    out.events = info->events;
    out.counts = ingest->counts();
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return out;
}

}  // namespace bp::store
