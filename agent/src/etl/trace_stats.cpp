#include "bootprint/etl/trace_stats.hpp"

#include <array>
#include <limits>
#include <unordered_map>
#include <vector>

namespace bp::etl {

namespace {

// Counting by a packed 64-bit key keeps the per-event cost at one hash lookup (usually skipped by the
// last-key cache: consecutive events are often of the same kind). GUIDs are interned first.
class KeyCounter {
public:
    void add(const EventRecord& e) {
        std::uint64_t key = 0;
        switch (e.family) {
            case EventFamily::kernel:
                key = pack(0, 0, e.hook_id, e.version);
                break;
            case EventFamily::classic:
                key = pack(1, intern(e.guid), e.opcode, e.version);
                break;
            case EventFamily::manifest:
                key = pack(2, intern(e.guid), e.id, e.version);
                break;
            case EventFamily::message:
                key = pack(3, (e.header_flags & kMessageComponentId) ? 0x0FFFFFFFu - (e.component_id & 0xFFFFFF) : intern(e.guid), e.id, 0);
                break;
            case EventFamily::unknown:
                key = pack(4, 0, e.marker >> 16, e.marker & 0xFFFF);
                break;
        }
        // A direct-mapped cache of recent keys in front of the map: traces interleave a handful of
        // kinds (an event and its stack), so nearly every lookup hits here.
        CacheSlot& slot = cache_[(key * 0x9E3779B97F4A7C15ULL) >> 58];  // top 6 bits: 64 slots
        if (slot.count && slot.key == key) {
            ++*slot.count;
            return;
        }
        auto [it, inserted] = counts_.try_emplace(key, 0);
        if (inserted) samples_.emplace(key, sample_of(e));
        ++it->second;
        slot.key = key;
        slot.count = &it->second;
    }

    std::map<std::string, std::uint64_t> finish() const {
        std::map<std::string, std::uint64_t> out;
        for (const auto& [key, n] : counts_) out[event_key(samples_.at(key))] += n;
        return out;
    }

private:
    static std::uint64_t pack(std::uint64_t family, std::uint64_t guid_index, std::uint64_t id, std::uint64_t version) {
        return (family << 60) | ((guid_index & 0x0FFFFFFF) << 32) | ((id & 0xFFFF) << 16) | (version & 0xFFFF);
    }
    std::uint32_t intern(const Guid& g) {
        if (have_last_guid_ && g == last_guid_) return last_guid_index_;
        auto [it, inserted] = guids_.try_emplace(g, static_cast<std::uint32_t>(guids_.size()));
        last_guid_ = g;
        last_guid_index_ = it->second;
        have_last_guid_ = true;
        return it->second;
    }
    // A copy of the identity fields (not the payload spans) of the first event with a key.
    static EventRecord sample_of(const EventRecord& e) {
        EventRecord s;
        s.family = e.family;
        s.kind = e.kind;
        s.marker = e.marker;
        s.hook_id = e.hook_id;
        s.guid = e.guid;
        s.id = e.id;
        s.opcode = e.opcode;
        s.version = e.version;
        s.header_flags = e.header_flags;
        s.component_id = e.component_id;
        return s;
    }

    std::unordered_map<std::uint64_t, std::uint64_t> counts_;
    std::unordered_map<std::uint64_t, EventRecord> samples_;
    std::unordered_map<Guid, std::uint32_t> guids_;
    struct CacheSlot {
        std::uint64_t key = 0;
        std::uint64_t* count = nullptr;  // points into counts_ (node-based: stable)
    };
    static constexpr std::size_t kCacheSize = 64;
    std::array<CacheSlot, kCacheSize> cache_{};
    Guid last_guid_;
    std::uint32_t last_guid_index_ = 0;
    bool have_last_guid_ = false;
};

}  // namespace

Result<TraceStats> compute_stats(const EtlFile& file) {
    TraceStats st;
    st.header = file.header();
    st.bytes = file.file_size();
    st.buffers_total = file.buffers().size();
    st.buffers_compressed = file.compressed_buffers();
    st.compression_format = file.compression_format();
    KeyCounter counter;
    std::int64_t min_ts = std::numeric_limits<std::int64_t>::max();
    std::int64_t max_ts = std::numeric_limits<std::int64_t>::min();
    auto status = walk_events(
        file,
        [&](const EventRecord& e) {
            ++st.by_header[static_cast<std::size_t>(e.kind)];
            counter.add(e);
            if (e.has_timestamp && e.family != EventFamily::unknown) {
                if (e.timestamp < min_ts) min_ts = e.timestamp;
                if (e.timestamp > max_ts) max_ts = e.timestamp;
            }
        },
        &st.read);
    if (!status) return std::move(status).error();
    st.events_total = st.read.events;
    st.counts = counter.finish();
    if (min_ts <= max_ts) {
        st.first_event_filetime = file.clock().to_filetime(min_ts);
        st.last_event_filetime = file.clock().to_filetime(max_ts);
    }
    return st;
}

}  // namespace bp::etl
