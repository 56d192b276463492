// Fuzz target: the whole reader over arbitrary bytes — container index, logfile header, XPRESS
// buffers, every header kind, the time-ordered merge, stats, every typed decoder and the footprint
// analysis (also with early rows). Any input must give a result or an error; never a crash, a
// sanitizer report or a hang.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "bootprint/etl/etl_file.hpp"
#include "bootprint/etl/event_decoders.hpp"
#include "bootprint/etl/trace_stats.hpp"
#include "bootprint/footprint/analyzer.hpp"
#include "bootprint/footprint/memory_sink.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::byte> bytes(reinterpret_cast<const std::byte*>(data), reinterpret_cast<const std::byte*>(data) + size);
    for (bool lenient : {false, true}) {
        auto file = bp::etl::EtlFile::open(bp::InputFile::from_memory(bytes, "fuzz.etl"), {lenient});
        if (!file) continue;
        (void)bp::etl::compute_stats(*file);
        bp::etl::TimeOrderedReader reader(*file);
        for (int i = 0; i < 100000; ++i) {
            auto next = reader.next();
            if (!next || !*next) break;
            (void)bp::etl::decode_fields(**next);
            (void)bp::etl::event_key(**next);
            bp::etl::ExtendedStack stack;
            (void)bp::etl::extended_stack((*next)->extended, stack);
        }
        // The footprint analysis (pool lifetimes, stacks, resident set) over the same bytes; in the
        // lenient pass with early rows, looked for every 16 events (a fuzz input is far shorter than the
        // 65,536 events between two looks in production).
        bp::footprint::AnalyzerOptions options;
        if (lenient) {
            options.send_open_after = 1e-9;
            options.poll_every = 16;
        }
        bp::footprint::MemorySink sink;
        (void)bp::footprint::analyze_trace(*file, options, sink);
        (void)sink.pool_table();
    }
    return 0;
}
