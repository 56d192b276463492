// Test helpers shared by the etl and writer unit tests: a self-removing temporary directory, whole-file
// byte access for damaging written traces, and owning copies of decoded records.
#pragma once

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "bootprint/etl/etl_file.hpp"
#include "bootprint/etl/record.hpp"
#include "support/process.hpp"

namespace bp::test {

// TempDir comes from tests/support/process.hpp.
using bp::test::TempDir;

inline std::vector<std::byte> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> out(chars.size());
    std::memcpy(out.data(), chars.data(), chars.size());
    return out;
}

inline void write_bytes(const std::string& path, const std::vector<std::byte>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

template <class T>
T get_le(const std::vector<std::byte>& b, std::size_t off) {
    T v{};
    REQUIRE(off + sizeof(T) <= b.size());
    std::memcpy(&v, b.data() + off, sizeof(T));
    return v;
}

template <class T>
void put_le(std::vector<std::byte>& b, std::size_t off, T v) {
    REQUIRE(off + sizeof(T) <= b.size());
    std::memcpy(b.data() + off, &v, sizeof(T));
}

inline std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
    std::vector<std::byte> out;
    for (int v : values) out.push_back(static_cast<std::byte>(v));
    return out;
}

inline std::vector<std::byte> text_bytes(const std::string& s) {
    std::vector<std::byte> out(s.size());
    std::memcpy(out.data(), s.data(), s.size());
    return out;
}

// A decoded record that owns its payload and extended data (EventRecord's spans die with the buffer).
struct OwnedRecord {
    etl::EventRecord rec;
    std::vector<std::byte> payload;
    std::vector<std::byte> extended;
};

inline OwnedRecord own(const etl::EventRecord& e) {
    OwnedRecord o;
    o.rec = e;
    o.payload.assign(e.payload.begin(), e.payload.end());
    o.extended.assign(e.extended.begin(), e.extended.end());
    o.rec.payload = {};
    o.rec.extended = {};
    return o;
}

// Every record of the file in file order (throws a Catch failure on a read error).
inline std::vector<OwnedRecord> file_order(const etl::EtlFile& file, etl::ReadStats* stats = nullptr) {
    std::vector<OwnedRecord> out;
    auto st = etl::for_each_event(
        file, [&](const etl::EventRecord& e) { out.push_back(own(e)); }, stats);
    INFO((st ? std::string() : st.error().describe()));
    REQUIRE(st.has_value());
    return out;
}

// Every record in time order through TimeOrderedReader.
inline std::vector<OwnedRecord> time_order(const etl::EtlFile& file) {
    std::vector<OwnedRecord> out;
    etl::TimeOrderedReader reader(file);
    for (;;) {
        auto next = reader.next();
        INFO((next ? std::string() : next.error().describe()));
        REQUIRE(next.has_value());
        if (*next == nullptr) break;
        out.push_back(own(**next));
    }
    return out;
}

inline etl::EtlFile open_ok(const std::string& path, etl::ReaderOptions options = {}) {
    auto f = etl::EtlFile::open(path, options);
    INFO((f ? std::string() : f.error().describe()));
    REQUIRE(f.has_value());
    return std::move(f).value();
}

}  // namespace bp::test
