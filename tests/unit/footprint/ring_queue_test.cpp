#include "bootprint/footprint/ring_queue.hpp"

#include <catch2/catch.hpp>
#include <deque>
#include <random>

using bp::footprint::RingQueue;

TEST_CASE("ring queue: first in, first out across growth and wrap-around", "[footprint]") {
    RingQueue<int> q;
    CHECK(q.empty());
    std::deque<int> model;  // the standard container as the reference
    std::mt19937 rng(7);
    int next = 0;
    for (int step = 0; step < 200'000; ++step) {
        // Mostly pushes at first, then mostly pops: the queue grows past several capacities, wraps and
        // drains.
        const bool push = model.empty() || (rng() % 100) < (step < 100'000 ? 60u : 40u);
        if (push) {
            q.push_back(next);
            model.push_back(next);
            ++next;
        } else {
            REQUIRE(q.front() == model.front());
            q.pop_front();
            model.pop_front();
        }
        REQUIRE(q.size() == model.size());
        if (!model.empty()) {
            REQUIRE(q.back() == model.back());
            const std::size_t i = rng() % model.size();
            REQUIRE(q[i] == model[i]);
        }
    }
    while (!model.empty()) {
        REQUIRE(q.front() == model.front());
        q.pop_front();
        model.pop_front();
    }
    CHECK(q.empty());
}
