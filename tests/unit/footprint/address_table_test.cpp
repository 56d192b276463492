#include "bootprint/footprint/address_table.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <utility>

using bp::footprint::AddressTable;

namespace {
using Key = std::pair<std::uint64_t, std::uint32_t>;

// Every key of the reference is found with its value, and the table holds nothing else.
void check_same(AddressTable& table, const std::map<Key, std::uint32_t>& reference) {
    REQUIRE(table.size() == reference.size());
    for (const auto& [key, value] : reference) {
        const std::uint32_t* found = table.find(key.first, key.second);
        REQUIRE(found != nullptr);
        REQUIRE(*found == value);
    }
    std::size_t seen = 0;
    table.for_each([&](std::uint64_t address, std::uint32_t session, std::uint32_t value) {
        const auto it = reference.find({address, session});
        REQUIRE(it != reference.end());
        REQUIRE(it->second == value);
        ++seen;
    });
    REQUIRE(seen == reference.size());
}
}  // namespace

TEST_CASE("address table: insert, replace, erase and miss", "[footprint][address_table]") {
    AddressTable t;
    REQUIRE(t.find(0x1000, 0) == nullptr);
    REQUIRE_FALSE(t.erase(0x1000, 0));
    t.assign(0x1000, 0, 7);
    t.assign(0x1000, 1, 8);  // same address, another session: another key
    REQUIRE(*t.find(0x1000, 0) == 7);
    REQUIRE(*t.find(0x1000, 1) == 8);
    t.assign(0x1000, 0, 9);
    REQUIRE(t.size() == 2);
    REQUIRE(*t.find(0x1000, 0) == 9);
    std::uint32_t removed = 0;
    REQUIRE(t.erase(0x1000, 0, &removed));  // find and erase in one probe
    CHECK(removed == 9);
    REQUIRE(t.find(0x1000, 0) == nullptr);
    REQUIRE_FALSE(t.erase(0x1000, 0, &removed));
    REQUIRE(*t.find(0x1000, 1) == 8);
    REQUIRE(t.size() == 1);
    t.clear();
    REQUIRE(t.empty());
    REQUIRE(t.find(0x1000, 1) == nullptr);
    t.assign(0x2000, 0, 1);  // usable after clear()
    REQUIRE(*t.find(0x2000, 0) == 1);
}

// Pool churn against std::map: clustered addresses (long probe runs and wrap-around at the end of the
// array), heavy erasure (backward shifts), growth from the smallest size, and a session mix.
TEST_CASE("address table: agrees with std::map under random pool churn", "[footprint][address_table]") {
    for (const std::uint64_t seed : {1u, 2u, 3u}) {
        std::mt19937_64 rng(seed);
        AddressTable table;
        std::map<Key, std::uint32_t> reference;
        std::vector<Key> keys;
        for (int op = 0; op < 200000; ++op) {
            const auto roll = rng() % 100;
            if (roll < 55 || keys.empty()) {
                // Addresses on a 16-byte grid in a few small regions: many share a hash neighbourhood.
                const std::uint64_t region = 0xFFFF'A000'0000'0000ULL + (rng() % 4) * 0x1000'0000ULL;
                const Key key{region + (rng() % 4096) * 16, rng() % 8 == 0 ? static_cast<std::uint32_t>(rng() % 3)
                                                                           : 0xFFFFFFFFu};
                const auto value = static_cast<std::uint32_t>(rng() % 1'000'000);
                table.assign(key.first, key.second, value);
                if (reference.insert_or_assign(key, value).second) keys.push_back(key);
            } else {
                const std::size_t i = rng() % keys.size();
                const Key key = keys[i];
                keys[i] = keys.back();
                keys.pop_back();
                std::uint32_t value = AddressTable::kNoValue;
                REQUIRE(table.erase(key.first, key.second, &value));
                REQUIRE(value == reference.at(key));
                reference.erase(key);
                REQUIRE(table.find(key.first, key.second) == nullptr);
            }
            if (op % 20000 == 0) check_same(table, reference);
        }
        check_same(table, reference);
        for (const Key& key : keys) REQUIRE(table.erase(key.first, key.second));
        REQUIRE(table.empty());
    }
}
