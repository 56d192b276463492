// MS-XCA "Plain LZ77" (COMPRESSION_FORMAT_XPRESS = 3), the per-buffer compression of compressed .etl
// files. Written from the algorithm description in [MS-XCA] §2.3/§2.4.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "bootprint/common/result.hpp"

namespace bp::etl {

// Decompresses `in` into `out`, which is resized to exactly `expected_size` bytes. Fails (without
// reading or writing out of bounds) when the stream is malformed, refers before the start of the
// output, would produce more than `expected_size` bytes, or ends before producing that many.
// Error offsets are relative to the start of `in`.
Status xpress_decompress(std::span<const std::byte> in, std::size_t expected_size, std::vector<std::byte>& out);

// Compresses `in` (greedy matching over an 8 KiB window). The output decompresses to `in` with
// xpress_decompress and with Windows' RtlDecompressBuffer(COMPRESSION_FORMAT_XPRESS).
std::vector<std::byte> xpress_compress(std::span<const std::byte> in);

}  // namespace bp::etl
