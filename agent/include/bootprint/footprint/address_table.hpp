// An open-addressing hash map from a pool allocation's key (address, session) to a 32-bit value (the
// analyzer's slot index). It holds one entry per live allocation and is hit by every pool event, so it
// is flat (16-byte entries in one array, no node per entry), probes linearly from a Fibonacci hash
// of the page (pool addresses share their low bits) and deletes by shifting the following entries back, so churn
// leaves no tombstones behind. Load stays at or under 1/2.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace bp::footprint {

class AddressTable {
public:
    static constexpr std::uint32_t kNoValue = 0xFFFFFFFFu;  // marks an empty entry; not a storable value

    // The value stored for (address, session), or nullptr.
    std::uint32_t* find(std::uint64_t address, std::uint32_t session) {
        if (size_ == 0) return nullptr;
        for (std::size_t i = home(address, session);; i = (i + 1) & mask_) {
            Entry& e = entries_[i];
            if (e.value == kNoValue) return nullptr;
            if (e.address == address && e.session == session) return &e.value;
        }
    }
    bool contains(std::uint64_t address, std::uint32_t session) { return find(address, session) != nullptr; }

    // Stores `value` (which must not be kNoValue) for the key, replacing an earlier one.
    void assign(std::uint64_t address, std::uint32_t session, std::uint32_t value) {
        if ((size_ + 1) * 2 > entries_.size()) grow();
        for (std::size_t i = home(address, session);; i = (i + 1) & mask_) {
            Entry& e = entries_[i];
            if (e.value == kNoValue) {
                e = {address, session, value};
                ++size_;
                return;
            }
            if (e.address == address && e.session == session) {
                e.value = value;
                return;
            }
        }
    }

    // Removes the key; returns whether it was there, and its value through `value` when given.
    bool erase(std::uint64_t address, std::uint32_t session, std::uint32_t* value = nullptr) {
        if (size_ == 0) return false;
        std::size_t i = home(address, session);
        for (;; i = (i + 1) & mask_) {
            const Entry& e = entries_[i];
            if (e.value == kNoValue) return false;
            if (e.address == address && e.session == session) break;
        }
        if (value) *value = entries_[i].value;
        // Backward shift: move later entries of the probe run into the hole when their home allows.
        for (std::size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
            const Entry& e = entries_[j];
            if (e.value == kNoValue) break;
            const std::size_t k = home(e.address, e.session);
            // e may fill hole i unless its home lies cyclically in (i, j].
            const bool home_after_hole = i <= j ? (i < k && k <= j) : (i < k || k <= j);
            if (home_after_hole) continue;
            entries_[i] = e;
            i = j;
        }
        entries_[i].value = kNoValue;
        --size_;
        return true;
    }

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    void clear() {
        entries_.clear();
        entries_.shrink_to_fit();
        mask_ = 0;
        size_ = 0;
    }

    // Calls f(address, session, value) for every entry, in table order.
    template <class F>
    void for_each(F&& f) const {
        for (const Entry& e : entries_) {
            if (e.value != kNoValue) f(e.address, e.session, e.value);
        }
    }

private:
    struct Entry {
        std::uint64_t address = 0;
        std::uint32_t session = 0;
        std::uint32_t value = kNoValue;
    };

    // The page (and session) pick a run of 256 entries by a Fibonacci hash; the 16-byte block within
    // the page picks the entry in the run. Allocations of one pool page (the pool hands them out
    // close together) share a few cache lines of the table instead of one line each.
    std::size_t home(std::uint64_t address, std::uint32_t session) const {
        const std::uint64_t page = (address >> 12) ^ (std::uint64_t{session} << 40 | session);
        const std::uint64_t run = (page * 0x9E3779B97F4A7C15ULL) >> shift_;
        return static_cast<std::size_t>((run << 8 | ((address >> 4) & 0xFF)) & mask_);
    }

    void grow() {
        std::vector<Entry> old;
        old.swap(entries_);
        const std::size_t capacity = old.empty() ? 1024 : old.size() * 2;
        entries_.assign(capacity, Entry{});
        mask_ = capacity - 1;
        shift_ = 64 + 8;  // (capacity / 256) runs
        for (std::size_t c = capacity; c > 1; c >>= 1) --shift_;
        size_ = 0;
        for (const Entry& e : old) {
            if (e.value == kNoValue) continue;
            std::size_t i = home(e.address, e.session);
            while (entries_[i].value != kNoValue) i = (i + 1) & mask_;
            entries_[i] = e;
            ++size_;
        }
    }

    std::vector<Entry> entries_;
    std::size_t mask_ = 0;
    unsigned shift_ = 64;
    std::size_t size_ = 0;
};

}  // namespace bp::footprint
