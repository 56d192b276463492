// ThreadedSink: runs another FootprintSink on a second thread, so that the analysis (reading,
// decoding, lifetimes) and the sink's work (SQLite inserts) overlap. Rows travel in batches through a
// bounded queue; memory stays bounded. The first error of the inner sink is returned by every later
// call and by on_finish(), which also waits for the queue to drain.
//
//   bp::footprint::ThreadedSink threaded(*ingest);
//   BP_TRY(auto info, bp::footprint::analyze_trace(file, options, threaded));
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "bootprint/footprint/analyzer.hpp"
#include "bootprint/footprint/summary.hpp"

namespace bp::footprint {

class ThreadedSink final : public FootprintSink {
public:
    explicit ThreadedSink(FootprintSink& inner, std::size_t batch_rows = 4096, std::size_t max_batches = 16);
    ~ThreadedSink() override;
    ThreadedSink(const ThreadedSink&) = delete;
    ThreadedSink& operator=(const ThreadedSink&) = delete;

    Status on_image(const Image& image) override { return put(image); }
    Status on_stack(const Stack& stack) override { return put(stack); }
    Status on_pool_allocation(const PoolAllocation& row) override {
        if (table_) table_->add(row);
        return put(row);
    }
    Status on_pool_open(const PoolAllocation& row) override { return put(OpenPoolRow{row}); }
    Status on_pool_closed(const PoolAllocation& row) override {
        if (table_) table_->add(row);
        if (!row.freed && !inner_.wants_unchanged_closes()) return {};
        return put(ClosedPoolRow{row});
    }
    bool wants_unchanged_closes() const override { return table_ || inner_.wants_unchanged_closes(); }
    // Feeds `table` with every complete pool row (not the early-sent forms) on the producer's thread
    // (the analysis thread usually has time to spare, the inner sink's thread does not); everything
    // fed happens before the inner sink's on_finish.
    void feed_on_this_thread(std::shared_ptr<WholeTracePoolTable> table) { table_ = std::move(table); }
    Status on_pool_snap(const PoolSnapRow& row) override { return put(row); }
    Status on_resident(const ResidentRow& row) override { return put(row); }
    Status on_meminfo(const MemInfoSample& sample) override { return put(sample); }
    Status on_finish(const TraceInfo& info, const Window& whole_trace) override;

private:
    struct OpenPoolRow {
        PoolAllocation row;
    };
    struct ClosedPoolRow {
        PoolAllocation row;
    };
    using Item = std::variant<Image, Stack, PoolAllocation, OpenPoolRow, ClosedPoolRow, PoolSnapRow, ResidentRow,
                              MemInfoSample>;
    template <class T>
    Status put(const T& item) {
        batch_.emplace_back(item);
        if (batch_.size() >= batch_rows_) return flush();
        return {};
    }
    Status flush();                // hands the current batch to the worker (waits when the queue is full)
    void work();                   // the worker thread
    Status deliver(Item& item);    // one item to the inner sink

    FootprintSink& inner_;  // its wants_unchanged_closes() is asked on the producer's thread
    const std::size_t batch_rows_;
    const std::size_t max_batches_;
    std::vector<Item> batch_;  // owned by the producer
    std::shared_ptr<WholeTracePoolTable> table_;  // producer's

    std::mutex mutex_;  // guards everything below
    std::condition_variable changed_;
    std::deque<std::vector<Item>> queue_;
    bool closing_ = false;
    bool busy_ = false;
    std::unique_ptr<Error> error_;
    std::thread worker_;  // last: started after the members above exist
};

}  // namespace bp::footprint
