// RingQueue: a FIFO in one power-of-two array that doubles when full, for the analyzer's per-event
// queues (stack waits, closed rows, young rows). A std::deque allocates a 512-byte block for every few
// dozen elements and frees it again once they are popped: on the 1 GB benchmark trace that was ~900 k
// malloc/free pairs on the analysis thread, each slow on a heap fragmented by millions of rows.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace bp::footprint {

template <class T>
class RingQueue {
public:
    bool empty() const { return size_ == 0; }
    std::size_t size() const { return size_; }

    // i-th element from the front (0 = front()); i < size().
    T& operator[](std::size_t i) { return items_[(head_ + i) & mask_]; }
    const T& operator[](std::size_t i) const { return items_[(head_ + i) & mask_]; }
    T& front() { return items_[head_]; }
    T& back() { return (*this)[size_ - 1]; }

    void push_back(T value) {
        if (size_ == items_.size()) grow();
        items_[(head_ + size_) & mask_] = std::move(value);
        ++size_;
    }
    void pop_front() {
        head_ = (head_ + 1) & mask_;
        --size_;
    }

private:
    void grow() {
        std::vector<T> bigger(items_.empty() ? 64 : items_.size() * 2);
        for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move((*this)[i]);
        items_ = std::move(bigger);
        head_ = 0;
        mask_ = items_.size() - 1;
    }

    std::vector<T> items_;
    std::size_t head_ = 0;
    std::size_t size_ = 0;
    std::size_t mask_ = 0;
};

}  // namespace bp::footprint
