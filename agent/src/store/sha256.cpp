// SHA-256 written from FIPS 180-4 (§4.1.2 functions, §4.2.2 constants, §5.1.1 padding, §6.2.2 hash
// computation). Portable C++; about 200-400 MB/s at -O2.
#include "bootprint/store/sha256.hpp"

#include <bit>
#include <cstring>
#include <vector>

#include "bootprint/common/input_file.hpp"

#if defined(BOOTPRINT_SHA256_OPENSSL)
#include <openssl/evp.h>
#endif

namespace bp::store {

namespace {

// §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.
constexpr std::array<std::uint32_t, 64> kRound = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

// §5.3.3: the first 32 bits of the fractional parts of the square roots of the first 8 primes.
constexpr std::array<std::uint32_t, 8> kInitial = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

std::uint32_t load_be32(const std::byte* p) {
    return (std::uint32_t{static_cast<std::uint8_t>(p[0])} << 24) |
           (std::uint32_t{static_cast<std::uint8_t>(p[1])} << 16) |
           (std::uint32_t{static_cast<std::uint8_t>(p[2])} << 8) |
           std::uint32_t{static_cast<std::uint8_t>(p[3])};
}

}  // namespace

Sha256::Sha256() : state_(kInitial) {}

void Sha256::compress(const std::byte* block) {
    std::array<std::uint32_t, 64> w;  // §6.2.2 step 1: the message schedule
    for (std::size_t t = 0; t < 16; ++t) w[t] = load_be32(block + 4 * t);
    for (std::size_t t = 16; t < 64; ++t) {
        const std::uint32_t s0 = std::rotr(w[t - 15], 7) ^ std::rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        const std::uint32_t s1 = std::rotr(w[t - 2], 17) ^ std::rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    std::uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
    std::uint32_t e = state_[4], f = state_[5], g = state_[6], h = state_[7];
    for (std::size_t t = 0; t < 64; ++t) {
        const std::uint32_t big_s1 = std::rotr(e, 6) ^ std::rotr(e, 11) ^ std::rotr(e, 25);
        const std::uint32_t ch = (e & f) ^ (~e & g);
        const std::uint32_t t1 = h + big_s1 + ch + kRound[t] + w[t];
        const std::uint32_t big_s0 = std::rotr(a, 2) ^ std::rotr(a, 13) ^ std::rotr(a, 22);
        const std::uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        const std::uint32_t t2 = big_s0 + maj;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state_[0] += a;
    state_[1] += b;
    state_[2] += c;
    state_[3] += d;
    state_[4] += e;
    state_[5] += f;
    state_[6] += g;
    state_[7] += h;
}

void Sha256::update(std::span<const std::byte> bytes) {
    total_bytes_ += bytes.size();
    std::size_t pos = 0;
    if (pending_size_ > 0) {
        const std::size_t take = std::min(bytes.size(), pending_.size() - pending_size_);
        std::memcpy(pending_.data() + pending_size_, bytes.data(), take);
        pending_size_ += take;
        pos = take;
        if (pending_size_ < pending_.size()) return;
        compress(pending_.data());
        pending_size_ = 0;
    }
    for (; pos + 64 <= bytes.size(); pos += 64) compress(bytes.data() + pos);
    if (pos < bytes.size()) {
        std::memcpy(pending_.data(), bytes.data() + pos, bytes.size() - pos);
        pending_size_ = bytes.size() - pos;
    }
}

std::array<std::byte, 32> Sha256::finish() {
    // §5.1.1: a 1 bit, zeros up to 56 mod 64, then the message length in bits, big-endian.
    const std::uint64_t bits = total_bytes_ * 8;
    std::array<std::byte, 72> tail{};
    tail[0] = std::byte{0x80};
    const std::size_t zeros = (pending_size_ < 56 ? 56 - pending_size_ : 120 - pending_size_) - 1;
    for (int i = 0; i < 8; ++i)
        tail[1 + zeros + static_cast<std::size_t>(i)] = static_cast<std::byte>(bits >> (56 - 8 * i));
    const std::uint64_t keep_total = total_bytes_;
    update(std::span<const std::byte>(tail.data(), 1 + zeros + 8));
    total_bytes_ = keep_total;
    std::array<std::byte, 32> out{};
    for (std::size_t i = 0; i < 8; ++i) {
        for (std::size_t k = 0; k < 4; ++k)
            out[4 * i + k] = static_cast<std::byte>(state_[i] >> (24 - 8 * k));
    }
    return out;
}

std::string to_hex(std::span<const std::byte> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (std::byte b : bytes) {
        const auto v = static_cast<std::uint8_t>(b);
        out.push_back(kDigits[v >> 4]);
        out.push_back(kDigits[v & 0xF]);
    }
    return out;
}

std::string sha256_hex(std::span<const std::byte> bytes) {
    Sha256 h;
    h.update(bytes);
    const auto digest = h.finish();
    return to_hex(digest);
}

namespace {
#if defined(BOOTPRINT_SHA256_OPENSSL)
// Whole-file hashing is the one bulk use: OpenSSL's SHA-256 uses the CPU's SHA extensions where
// present (several times faster than the portable code). The portable class stays for small inputs
// and for builds without OpenSSL (the Windows cross-build).
class FileHasher {
  public:
    FileHasher() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
    ~FileHasher() { EVP_MD_CTX_free(ctx_); }
    FileHasher(const FileHasher&) = delete;
    FileHasher& operator=(const FileHasher&) = delete;
    void update(std::span<const std::byte> bytes) { EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()); }
    std::array<std::byte, 32> finish() {
        std::array<std::byte, 32> out{};
        unsigned int n = 0;
        EVP_DigestFinal_ex(ctx_, reinterpret_cast<unsigned char*>(out.data()), &n);
        return out;
    }

  private:
    EVP_MD_CTX* ctx_;
};
#else
using FileHasher = Sha256;
#endif
}  // namespace

Result<std::string> sha256_file(const std::string& path,
                                const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
    BP_TRY(InputFile file, InputFile::open(path));
    constexpr std::uint64_t kChunk = 4 << 20;
    std::vector<std::byte> buffer(kChunk);
    FileHasher h;
    for (std::uint64_t offset = 0; offset < file.size();) {
        const std::uint64_t n = std::min(kChunk, file.size() - offset);
        std::span<std::byte> chunk(buffer.data(), static_cast<std::size_t>(n));
        BP_TRY_STATUS(file.read_at(offset, chunk));
        h.update(chunk);
        offset += n;
        if (progress) progress(offset, file.size());
    }
    const auto digest = h.finish();
    return to_hex(digest);
}

}  // namespace bp::store
