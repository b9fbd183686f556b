// SPDX-License-Identifier: Apache-2.0
/// \file simd/avx2.hpp
/// AVX2 plane scoring by byte shuffles (compiled when BITSIEVE_HAS_AVX2). Same tables as
/// simd/scalar.hpp, held as int16 split into a low-byte and a high-byte 16-entry table per
/// 4-dimension group, so `vpshufb` looks up 32 tokens at once; `vpunpck{l,h}bw` rebuilds the exact
/// int16 entries, which are summed in int16 for as many dimension groups as their largest entries
/// allow without overflow (computed per query) and then widened to int32. Exact: it returns the scalar path's integers (tested).
/// Usable when every table entry fits int16 (|4 q_i| sums; query widths up to 13 bits always do).
#pragma once

#include "bitsieve/config.hpp"

#if BITSIEVE_HAS_AVX2
#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "bitsieve/simd/scalar.hpp"

namespace bitsieve::detail {

class avx2_tables {
 public:
  /// Builds the split tables from scalar ones; usable() is false when an entry exceeds int16.
  void build(const nibble_tables& t) {
    groups_ = t.dim_groups;
    std::int32_t emax = 0;
    for (const std::int32_t v : t.tab) emax = std::max(emax, v < 0 ? -v : v);
    usable_ = 2 * emax <= 32767;
    if (!usable_) return;
    // The int16 sums are widened to int32 at the end of each run of groups (seg_end_: one past
    // a run's last group) chosen so the next group's largest entries could not overflow them:
    // each 8-dimension group adds one entry of each of its two nibble tables, at most m_g =
    // max|lo table| + max|hi table| in magnitude, so within a run the sum of the m_g stays
    // <= 32767 and no int16 lane can overflow.
    seg_end_.clear();
    std::int32_t acc = 0;
    for (std::size_t g = 0; g < groups_; ++g) {
      std::int32_t m = 0;
      for (std::size_t j = 2 * g; j < 2 * g + 2; ++j) {
        std::int32_t mj = 0;
        for (std::size_t n = 0; n < 16; ++n) mj = std::max(mj, std::abs(t.tab[j * 16 + n]));
        m += mj;
      }
      if (g > 0 && acc + m > 32767) {
        seg_end_.push_back(g);
        acc = 0;
      }
      acc += m;
    }
    if (groups_ > 0) seg_end_.push_back(groups_);
    // (nibble groups, {lo, hi}, 32 bytes): each table's 16 low bytes and 16 high bytes, repeated
    // in both 128-bit lanes (vpshufb looks up within a lane)
    bytes_.resize(groups_ * 2 * 2 * 32);
    for (std::size_t j = 0; j < groups_ * 2; ++j) {
      std::uint8_t lo[16];
      std::uint8_t hi[16];
      for (std::size_t n = 0; n < 16; ++n) {
        const auto v = static_cast<std::uint16_t>(static_cast<std::int16_t>(t.tab[j * 16 + n]));
        lo[n] = static_cast<std::uint8_t>(v & 0xFFU);
        hi[n] = static_cast<std::uint8_t>(v >> 8);
      }
      std::uint8_t* out = bytes_.data() + j * 64;
      std::memcpy(out, lo, 16);
      std::memcpy(out + 16, lo, 16);
      std::memcpy(out + 32, hi, 16);
      std::memcpy(out + 48, hi, 16);
    }
  }

  [[nodiscard]] bool usable() const noexcept { return usable_; }

  /// Plane scores of the 32 tokens of a block plane (plane_store layout).
  void score_block(const std::uint8_t* plane, std::int32_t* dot) const noexcept {
    const __m256i mask = _mm256_set1_epi8(0x0F);
    __m256i s0 = _mm256_setzero_si256();  // tokens 0-7
    __m256i s1 = _mm256_setzero_si256();  // tokens 8-15
    __m256i s2 = _mm256_setzero_si256();  // tokens 16-23
    __m256i s3 = _mm256_setzero_si256();  // tokens 24-31
    // one 8-dimension group: 32 plane bytes (a nibble per 4 dimensions), its two tables
    const auto group = [&mask](const std::uint8_t* p, const std::uint8_t* tb, __m256i& a, __m256i& b) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
      const __m256i nlo = _mm256_and_si256(v, mask);
      const __m256i nhi = _mm256_and_si256(_mm256_srli_epi16(v, 4), mask);
      const __m256i l0 = _mm256_shuffle_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb)), nlo);
      const __m256i h0 = _mm256_shuffle_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 32)), nlo);
      const __m256i l1 = _mm256_shuffle_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 64)), nhi);
      const __m256i h1 = _mm256_shuffle_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 96)), nhi);
      a = _mm256_add_epi16(a, _mm256_add_epi16(_mm256_unpacklo_epi8(l0, h0), _mm256_unpacklo_epi8(l1, h1)));
      b = _mm256_add_epi16(b, _mm256_add_epi16(_mm256_unpackhi_epi8(l0, h0), _mm256_unpackhi_epi8(l1, h1)));
    };
    const std::uint8_t* p = plane;
    const std::uint8_t* tb = bytes_.data();
    std::size_t g = 0;
    for (const std::size_t end : seg_end_) {
      __m256i a = _mm256_setzero_si256();  // int16: tokens 0-7 | 16-23
      __m256i b = _mm256_setzero_si256();  // int16: tokens 8-15 | 24-31
      for (; g + 2 <= end; g += 2, p += 64, tb += 256) {
        group(p, tb, a, b);
        group(p + 32, tb + 128, a, b);
      }
      if (g < end) {
        group(p, tb, a, b);
        ++g;
        p += 32;
        tb += 128;
      }
      s0 = _mm256_add_epi32(s0, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(a)));
      s2 = _mm256_add_epi32(s2, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(a, 1)));
      s1 = _mm256_add_epi32(s1, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(b)));
      s3 = _mm256_add_epi32(s3, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(b, 1)));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dot), s0);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dot + 8), s1);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dot + 16), s2);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dot + 24), s3);
  }

 private:
  std::vector<std::uint8_t> bytes_;
  std::vector<std::size_t> seg_end_;  // runs of groups summed in int16: one past each run's last group
  std::size_t groups_ = 0;
  bool usable_ = false;
};

}  // namespace bitsieve::detail
#endif
