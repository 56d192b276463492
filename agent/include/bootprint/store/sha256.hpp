// SHA-256 (FIPS 180-4) of a trace file: the identity the store uses to recognise a trace it already
// holds, whatever its file name, before spending time on analysis.
//
//   BP_TRY(std::string digest, bp::store::sha256_file("boot.etl"));   // 64 lower-case hex digits
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "bootprint/common/result.hpp"

namespace bp::store {

class Sha256 {
  public:
    Sha256();
    void update(std::span<const std::byte> bytes);
    // The digest; the object must not be updated afterwards.
    std::array<std::byte, 32> finish();

  private:
    void compress(const std::byte* block);
    std::array<std::uint32_t, 8> state_;
    std::array<std::byte, 64> pending_{};
    std::size_t pending_size_ = 0;
    std::uint64_t total_bytes_ = 0;
};

std::string to_hex(std::span<const std::byte> bytes);
std::string sha256_hex(std::span<const std::byte> bytes);

// Reads the file in large chunks. `progress(done, total)` is called after each chunk when set.
Result<std::string> sha256_file(const std::string& path,
                                const std::function<void(std::uint64_t, std::uint64_t)>& progress = {});

}  // namespace bp::store
