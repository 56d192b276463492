// A FootprintSink that keeps everything in memory: for analysing one trace without a database
// (`bootprint pool FILE.etl`) and for tests.
#pragma once

#include <vector>

#include "bootprint/footprint/analyzer.hpp"
#include "bootprint/footprint/summary.hpp"

namespace bp::footprint {

class MemorySink final : public FootprintSink {
public:
    Status on_image(const Image& image) override {
        images.push_back(image);
        return {};
    }
    Status on_stack(const Stack& stack) override {
        stacks.push_back(stack);
        return {};
    }
    Status on_pool_allocation(const PoolAllocation& row) override {
        pool.push_back(row);
        return {};
    }
    Status on_pool_snap(const PoolSnapRow& row) override {
        pool_snaps.push_back(row);
        return {};
    }
    Status on_resident(const ResidentRow& row) override {
        resident.push_back(row);
        return {};
    }
    Status on_meminfo(const MemInfoSample& sample) override {
        meminfo.push_back(sample);
        return {};
    }
    Status on_finish(const TraceInfo& trace_info, const Window& whole_trace) override {
        info = trace_info;
        window = whole_trace;
        return {};
    }

    // The pool table for `w` (the whole trace when not given).
    std::vector<PoolSummaryRow> pool_table(const Window* w = nullptr) const {
        PoolSummarizer s(w ? *w : window);
        for (const auto& row : pool) s.add(row);
        return s.finish();
    }

    std::vector<Image> images;
    std::vector<Stack> stacks;
    std::vector<PoolAllocation> pool;
    std::vector<PoolSnapRow> pool_snaps;
    std::vector<ResidentRow> resident;
    std::vector<MemInfoSample> meminfo;
    TraceInfo info;
    Window window;
};

}  // namespace bp::footprint
