// SPDX-License-Identifier: Apache-2.0
/// \file io/sha256.hpp
/// SHA-256 (FIPS 180-4) for checking data files against a manifest: the incremental `sha256`
/// hasher, `sha256_hex` of bytes in memory and `sha256_file_hex` of a file (streamed).
/// Not constant-time and not meant for secrets; it checks file integrity.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <span>
#include <string>
#include <string_view>

#include "bitsieve/core/error.hpp"

namespace bitsieve::io {

/// Incremental SHA-256: `update` any number of times, then `finish` once for the 32-byte digest.
class sha256 {
 public:
  sha256() = default;

  /// Feeds `bytes` into the hash.
  void update(std::span<const std::byte> bytes) noexcept {
    for (const std::byte b : bytes) {
      block_[fill_++] = static_cast<std::uint8_t>(b);
      if (fill_ == 64) {
        compress();
        fill_ = 0;
      }
    }
    length_ += bytes.size();
  }
  void update(std::string_view bytes) noexcept {
    update(std::as_bytes(std::span<const char>(bytes.data(), bytes.size())));
  }

  /// Pads the message (FIPS 180-4 §5.1.1), processes the last block(s) and returns the digest.
  /// Call once; the hasher must not be used afterwards.
  [[nodiscard]] std::array<std::uint8_t, 32> finish() noexcept {
    const std::uint64_t bit_length = length_ * 8U;
    block_[fill_++] = 0x80U;
    if (fill_ > 56) {
      while (fill_ < 64) block_[fill_++] = 0;
      compress();
      fill_ = 0;
    }
    while (fill_ < 56) block_[fill_++] = 0;
    for (int i = 7; i >= 0; --i) block_[fill_++] = static_cast<std::uint8_t>(bit_length >> (8U * static_cast<unsigned>(i)));
    compress();
    std::array<std::uint8_t, 32> out{};
    for (std::size_t i = 0; i < 8; ++i) {
      for (std::size_t j = 0; j < 4; ++j) out[4 * i + j] = static_cast<std::uint8_t>(h_[i] >> (24U - 8U * j));
    }
    return out;
  }

  /// The digest as 64 lowercase hex characters (what `sha256sum` prints).
  [[nodiscard]] std::string finish_hex() {
    static constexpr std::string_view hex = "0123456789abcdef";
    const auto d = finish();
    std::string s;
    s.reserve(64);
    for (const std::uint8_t b : d) {
      s.push_back(hex[b >> 4U]);
      s.push_back(hex[b & 15U]);
    }
    return s;
  }

 private:
  // First 32 bits of the fractional parts of the cube roots of the first 64 primes (§4.2.2).
  static constexpr std::array<std::uint32_t, 64> round_constants = {
      0x428a2f98U, 0x71374491U, 0xb5c0fbcfU, 0xe9b5dba5U, 0x3956c25bU, 0x59f111f1U, 0x923f82a4U, 0xab1c5ed5U,
      0xd807aa98U, 0x12835b01U, 0x243185beU, 0x550c7dc3U, 0x72be5d74U, 0x80deb1feU, 0x9bdc06a7U, 0xc19bf174U,
      0xe49b69c1U, 0xefbe4786U, 0x0fc19dc6U, 0x240ca1ccU, 0x2de92c6fU, 0x4a7484aaU, 0x5cb0a9dcU, 0x76f988daU,
      0x983e5152U, 0xa831c66dU, 0xb00327c8U, 0xbf597fc7U, 0xc6e00bf3U, 0xd5a79147U, 0x06ca6351U, 0x14292967U,
      0x27b70a85U, 0x2e1b2138U, 0x4d2c6dfcU, 0x53380d13U, 0x650a7354U, 0x766a0abbU, 0x81c2c92eU, 0x92722c85U,
      0xa2bfe8a1U, 0xa81a664bU, 0xc24b8b70U, 0xc76c51a3U, 0xd192e819U, 0xd6990624U, 0xf40e3585U, 0x106aa070U,
      0x19a4c116U, 0x1e376c08U, 0x2748774cU, 0x34b0bcb5U, 0x391c0cb3U, 0x4ed8aa4aU, 0x5b9cca4fU, 0x682e6ff3U,
      0x748f82eeU, 0x78a5636fU, 0x84c87814U, 0x8cc70208U, 0x90befffaU, 0xa4506cebU, 0xbef9a3f7U, 0xc67178f2U};

  // One 512-bit block (§6.2.2): message schedule, 64 rounds, add into the state.
  void compress() noexcept {
    std::array<std::uint32_t, 64> w{};
    for (std::size_t t = 0; t < 16; ++t) {
      w[t] = (std::uint32_t{block_[4 * t]} << 24U) | (std::uint32_t{block_[4 * t + 1]} << 16U) |
             (std::uint32_t{block_[4 * t + 2]} << 8U) | std::uint32_t{block_[4 * t + 3]};
    }
    for (std::size_t t = 16; t < 64; ++t) {
      const std::uint32_t s0 = std::rotr(w[t - 15], 7) ^ std::rotr(w[t - 15], 18) ^ (w[t - 15] >> 3U);
      const std::uint32_t s1 = std::rotr(w[t - 2], 17) ^ std::rotr(w[t - 2], 19) ^ (w[t - 2] >> 10U);
      w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    std::uint32_t a = h_[0];
    std::uint32_t b = h_[1];
    std::uint32_t c = h_[2];
    std::uint32_t d = h_[3];
    std::uint32_t e = h_[4];
    std::uint32_t f = h_[5];
    std::uint32_t g = h_[6];
    std::uint32_t h = h_[7];
    for (std::size_t t = 0; t < 64; ++t) {
      const std::uint32_t big_s1 = std::rotr(e, 6) ^ std::rotr(e, 11) ^ std::rotr(e, 25);
      const std::uint32_t ch = (e & f) ^ (~e & g);
      const std::uint32_t t1 = h + big_s1 + ch + round_constants[t] + w[t];
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
    h_[0] += a;
    h_[1] += b;
    h_[2] += c;
    h_[3] += d;
    h_[4] += e;
    h_[5] += f;
    h_[6] += g;
    h_[7] += h;
  }

  // Initial hash value: first 32 bits of the fractional parts of the square roots of the first
  // 8 primes (§5.3.3).
  std::array<std::uint32_t, 8> h_ = {0x6a09e667U, 0xbb67ae85U, 0x3c6ef372U, 0xa54ff53aU,
                                     0x510e527fU, 0x9b05688cU, 0x1f83d9abU, 0x5be0cd19U};
  std::array<std::uint8_t, 64> block_{};
  std::size_t fill_ = 0;
  std::uint64_t length_ = 0;  // bytes hashed so far
};

/// SHA-256 of `bytes` as 64 lowercase hex characters.
[[nodiscard]] inline std::string sha256_hex(std::span<const std::byte> bytes) {
  sha256 h;
  h.update(bytes);
  return h.finish_hex();
}

/// SHA-256 of the bytes of `bytes` (not a hex string: the characters themselves).
[[nodiscard]] inline std::string sha256_hex(std::string_view bytes) {
  sha256 h;
  h.update(bytes);
  return h.finish_hex();
}

/// SHA-256 of a whole file, read in chunks. io_error naming the path if it cannot be read.
[[nodiscard]] inline std::string sha256_file_hex(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error("bitsieve::io::sha256_file_hex: cannot open \"" + path + "\"");
  sha256 h;
  std::array<char, 1 << 16> buf{};
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const std::streamsize got = in.gcount();
    if (got > 0) h.update(std::string_view(buf.data(), static_cast<std::size_t>(got)));
  }
  if (in.bad()) throw io_error("bitsieve::io::sha256_file_hex: error reading \"" + path + "\"");
  return h.finish_hex();
}

}  // namespace bitsieve::io
