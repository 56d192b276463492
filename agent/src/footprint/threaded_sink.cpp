#include "bootprint/footprint/threaded_sink.hpp"

#include <type_traits>

namespace bp::footprint {

ThreadedSink::ThreadedSink(FootprintSink& inner, std::size_t batch_rows, std::size_t max_batches)
    : inner_(inner), batch_rows_(batch_rows ? batch_rows : 1), max_batches_(max_batches ? max_batches : 1),
      worker_([this] { work(); }) {
    batch_.reserve(batch_rows_);
}

ThreadedSink::~ThreadedSink() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        closing_ = true;
    }
    changed_.notify_all();
    if (worker_.joinable()) worker_.join();
}

Status ThreadedSink::flush() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return queue_.size() < max_batches_ || error_; });
    if (error_) return *error_;
    queue_.push_back(std::move(batch_));
    batch_ = {};
    batch_.reserve(batch_rows_);
    lock.unlock();
    changed_.notify_all();
    return {};
}

Status ThreadedSink::deliver(Item& item) {
    return std::visit(
        [&](auto& x) -> Status {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, Image>) {
                return inner_.on_image(x);
            } else if constexpr (std::is_same_v<T, Stack>) {
                return inner_.on_stack(x);
            } else if constexpr (std::is_same_v<T, PoolAllocation>) {
                return inner_.on_pool_allocation(x);
            } else if constexpr (std::is_same_v<T, OpenPoolRow>) {
                return inner_.on_pool_open(x.row);
            } else if constexpr (std::is_same_v<T, ClosedPoolRow>) {
                return inner_.on_pool_closed(x.row);
            } else if constexpr (std::is_same_v<T, PoolSnapRow>) {
                return inner_.on_pool_snap(x);
            } else if constexpr (std::is_same_v<T, ResidentRow>) {
                return inner_.on_resident(x);
            } else {
                static_assert(std::is_same_v<T, MemInfoSample>);
                return inner_.on_meminfo(x);
            }
        },
        item);
}

void ThreadedSink::work() {
    for (;;) {
        std::vector<Item> batch;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            changed_.wait(lock, [&] { return !queue_.empty() || closing_; });
            if (queue_.empty()) return;  // closing and drained
            batch = std::move(queue_.front());
            queue_.pop_front();
            busy_ = true;
        }
        changed_.notify_all();
        Status st;
        for (auto& item : batch) {
            st = deliver(item);
            if (!st) break;
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            busy_ = false;
            if (!st && !error_) error_ = std::make_unique<Error>(std::move(st).error());
            if (error_) queue_.clear();  // nothing after an error reaches the inner sink
        }
        changed_.notify_all();
    }
}

Status ThreadedSink::on_finish(const TraceInfo& info, const Window& whole_trace) {
    if (!batch_.empty()) BP_TRY_STATUS(flush());
    {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return (queue_.empty() && !busy_) || error_; });
        if (error_) return *error_;
    }
    // The queue is drained and the worker idle: the inner sink may be called from this thread.
    return inner_.on_finish(info, whole_trace);
}

}  // namespace bp::footprint
