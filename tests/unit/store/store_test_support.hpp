// Hand-made footprint rows for the store tests: a trace whose clock runs at 100 ticks per second from
// tick 1000, so "3 s" is tick 1300 and expected pool tables can be worked out by hand.
#pragma once

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "bootprint/store/agent_store.hpp"
#include "bootprint/store/ingest.hpp"
#include "bootprint/store/sha256.hpp"

namespace bp::store::test {

inline constexpr std::int64_t kOrigin = 1000;
inline constexpr std::int64_t kFrequency = 100;

// "Abcd" as the kernel logs it: the first character in the lowest byte.
inline std::uint32_t tag_of(const char (&t)[5]) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(t[0])) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(t[1])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(t[2])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(t[3])) << 24;
}

inline TraceFacts facts(const std::string& name, footprint::Labels labels = {}) {
    TraceFacts f;
    f.path = "/traces/" + name + ".etl";
    f.sha256 = sha256_hex(std::as_bytes(std::span<const char>(name.data(), name.size())));
    f.bytes = 4096;
    f.clock_origin = kOrigin;
    f.clock_frequency = kFrequency;
    f.labels = std::move(labels);
    return f;
}

inline footprint::TraceInfo info_for(const TraceFacts& f) {
    footprint::TraceInfo info;
    info.path = f.path;
    info.sha256 = f.sha256;
    info.bytes = f.bytes;
    info.os_version = "10.0";
    info.os_build = 26100;
    info.pointer_size = 8;
    info.processors = 4;
    info.start_time = 133'000'000'000'000'000;
    info.end_time = info.start_time + 10 * 10'000'000;
    info.events = 12345;
    info.events_lost = 1;
    info.buffers_lost = 2;
    info.lost_flagged_buffers = 3;
    return info;
}

// A lifetime: alloc/free at a tick, or unknown (nullopt).
inline footprint::PoolAllocation pool_row(const char (&tag)[5], std::string module, bool paged,
                                          std::uint64_t size, std::optional<std::int64_t> alloc,
                                          std::optional<std::int64_t> free,
                                          footprint::Attribution how = footprint::Attribution::stack) {
    footprint::PoolAllocation r;
    r.tag = tag_of(tag);
    r.pool_type = paged ? 1 : 0;
    r.size = size;
    static std::uint64_t next_address = 0xFFFF'A000'0000'0000ULL;
    r.address = next_address += 0x40;
    r.alloc_known = alloc.has_value();
    r.alloc_time = alloc.value_or(0);
    r.freed = free.has_value();
    r.free_time = free.value_or(0);
    r.process_id = 4;
    r.thread_id = 8;
    r.module = std::move(module);
    r.attribution = how;
    return r;
}

inline footprint::ResidentRow resident_row(std::uint32_t snapshot, std::string category, std::string path,
                                           std::string list, std::uint64_t pages) {
    footprint::ResidentRow r;
    r.snapshot = snapshot;
    r.category = std::move(category);
    r.path = std::move(path);
    r.list = std::move(list);
    r.pages = pages;
    return r;
}

// Feeds rows in the analyzer's order and commits; the whole-trace window is [1000, 2000).
inline std::int64_t ingest(AgentStore& store, const TraceFacts& f,
                           const std::vector<footprint::PoolAllocation>& pool,
                           const std::vector<footprint::ResidentRow>& resident = {},
                           footprint::Window whole = {1000, 2000}) {
    auto ingest = store.begin_ingest(f);
    REQUIRE(ingest);
    Ingest& sink = **ingest;
    for (const auto& r : pool) REQUIRE(sink.on_pool_allocation(r));
    for (const auto& r : resident) REQUIRE(sink.on_resident(r));
    REQUIRE(sink.on_finish(info_for(f), whole));
    const auto committed = sink.commit();
    INFO((committed ? std::string() : committed.error().describe()));
    REQUIRE(committed);
    return sink.trace_id();
}

// "Aaaa AIFO a.sys NonPaged count 2 size 105 impacting 105 peak 105 [stack]"
inline std::string describe(const PoolTableRow& t) {
    const auto& r = t.row;
    return r.tag + " " + footprint::to_string(r.type) + " " + r.module + (r.paged ? " Paged" : " NonPaged") +
           " count " + std::to_string(r.count) + " size " + std::to_string(r.size) + " impacting " +
           std::to_string(r.impacting_size) + " peak " + std::to_string(r.peak_outstanding) + " [" +
           t.attribution + "]";
}

inline std::vector<std::string> describe(const std::vector<PoolTableRow>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(describe(r));
    return out;
}

}  // namespace bp::store::test
