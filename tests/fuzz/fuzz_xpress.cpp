// Fuzz target: XPRESS decompression of arbitrary streams (bounded output), and compress → decompress
// round trips that must reproduce the input exactly.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "bootprint/etl/xpress.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t expected = (static_cast<std::size_t>(data[0]) << 8 | data[1]) * 4;  // up to 256 KiB
    std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data) + 2, size - 2);
    std::vector<std::byte> out;
    (void)bp::etl::xpress_decompress(in, expected, out);

    const auto packed = bp::etl::xpress_compress(in);
    std::vector<std::byte> back;
    auto st = bp::etl::xpress_decompress(packed, in.size(), back);
    if (!st || back.size() != in.size() || (in.size() && std::memcmp(back.data(), in.data(), in.size()) != 0)) {
        std::abort();  // the compressor produced a stream that does not round-trip
    }
    return 0;
}
