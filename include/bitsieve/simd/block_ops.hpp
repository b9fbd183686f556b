// SPDX-License-Identifier: Apache-2.0
/// \file simd/block_ops.hpp
/// Per-block bookkeeping of the lock-step fast path on 32 int32 partial scores: update with a
/// plane's dot products, masked maximum, threshold masks, and per-token popcounts (AVX2 when
/// compiled in, portable loops otherwise; identical results).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "bitsieve/config.hpp"
#include "bitsieve/simd/scalar.hpp"

#if BITSIEVE_HAS_AVX2
#include <immintrin.h>
#endif

namespace bitsieve::detail {

#if BITSIEVE_HAS_AVX2
/// Lane mask (all ones where bit k of `bits` is set) for lanes k = 0..7.
[[nodiscard]] inline __m256i lanes_of(std::uint32_t bits) noexcept {
  const __m256i sel = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(static_cast<int>(bits)), sel), sel);
}
#endif

/// s[t] += w * dot[t] for t = 0..31 (callers guarantee no overflow).
inline void block_accumulate(std::int32_t* s, const std::int32_t* dot, std::int32_t w) noexcept {
#if BITSIEVE_HAS_AVX2
  const __m256i wv = _mm256_set1_epi32(w);
  for (int i = 0; i < 32; i += 8) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i));
    const __m256i d = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dot + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(s + i), _mm256_add_epi32(a, _mm256_mullo_epi32(d, wv)));
  }
#else
  for (int i = 0; i < 32; ++i) s[i] += w * dot[i];
#endif
}

/// Largest s[t] over the set bits t of `live` (INT32_MIN when live is 0).
[[nodiscard]] inline std::int32_t block_max(const std::int32_t* s, std::uint32_t live) noexcept {
#if BITSIEVE_HAS_AVX2
  const __m256i lo = _mm256_set1_epi32(std::numeric_limits<std::int32_t>::min());
  __m256i m = lo;
  for (int i = 0; i < 4; ++i) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + 8 * i));
    m = _mm256_max_epi32(m, _mm256_blendv_epi8(lo, v, lanes_of(live >> (8 * i))));
  }
  __m128i x = _mm_max_epi32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
  x = _mm_max_epi32(x, _mm_shuffle_epi32(x, 0x4E));
  x = _mm_max_epi32(x, _mm_shuffle_epi32(x, 0xB1));
  return _mm_cvtsi128_si32(x);
#else
  std::int32_t m = std::numeric_limits<std::int32_t>::min();
  for (int i = 0; i < 32; ++i) {
    if (((live >> i) & 1U) != 0U && s[i] > m) m = s[i];
  }
  return m;
#endif
}

/// Bits t (0..31) with s[t] < x.
[[nodiscard]] inline std::uint32_t block_less(const std::int32_t* s, std::int32_t x) noexcept {
#if BITSIEVE_HAS_AVX2
  const __m256i xv = _mm256_set1_epi32(x);
  std::uint32_t out = 0;
  for (int i = 0; i < 4; ++i) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + 8 * i));
    const auto m = static_cast<std::uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(xv, v))));
    out |= m << (8 * i);
  }
  return out;
#else
  std::uint32_t out = 0;
  for (int i = 0; i < 32; ++i) out |= (s[i] < x ? 1U : 0U) << i;
  return out;
#endif
}

/// acc[i] = acc[i] * f + w * v[i] for i < n (f = 1: a plain axpy); double accumulators.
inline void scale_axpy(double* acc, double f, double w, const float* v, std::size_t n) noexcept {
  std::size_t i = 0;
#if BITSIEVE_HAS_AVX2
  const __m256d fv = _mm256_set1_pd(f);
  const __m256d wv = _mm256_set1_pd(w);
  for (; i + 4 <= n; i += 4) {
    const __m256d x = _mm256_cvtps_pd(_mm_loadu_ps(v + i));
    const __m256d a = _mm256_mul_pd(_mm256_loadu_pd(acc + i), fv);
    _mm256_storeu_pd(acc + i, _mm256_fmadd_pd(wv, x, a));
  }
#endif
  for (; i < n; ++i) acc[i] = acc[i] * f + w * static_cast<double>(v[i]);
}

/// sum over the set bits t of `live` of counts[t], or of min(counts[t], d - counts[t]) when
/// `bidirectional` (the AND tree's active inputs).
[[nodiscard]] inline std::uint64_t block_active(const std::int32_t* counts, std::uint32_t live, std::int32_t d,
                                                bool bidirectional) noexcept {
#if BITSIEVE_HAS_AVX2
  const __m256i dv = _mm256_set1_epi32(d);
  __m256i acc = _mm256_setzero_si256();
  for (int i = 0; i < 4; ++i) {
    __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(counts + 8 * i));
    if (bidirectional) c = _mm256_min_epi32(c, _mm256_sub_epi32(dv, c));
    acc = _mm256_add_epi32(acc, _mm256_and_si256(c, lanes_of(live >> (8 * i))));
  }
  __m128i x = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0x4E));
  x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0xB1));
  return static_cast<std::uint64_t>(_mm_cvtsi128_si32(x));
#else
  std::uint64_t n = 0;
  for (int t = 0; t < 32; ++t) {
    if (((live >> t) & 1U) != 0U) {
      const std::int32_t c = counts[t];
      n += static_cast<std::uint64_t>(bidirectional ? (c < d - c ? c : d - c) : c);
    }
  }
  return n;
#endif
}

/// Per-token set-bit counts of a block plane: counts[t] = sum over dimension groups of
/// popcount(byte t of the group).
inline void block_popcounts(const std::uint8_t* plane, std::size_t dim_groups, std::int32_t* counts) noexcept {
#if BITSIEVE_HAS_AVX2
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2,
                                       2, 3, 2, 3, 3, 4);
  const __m256i mask = _mm256_set1_epi8(0x0F);
  __m256i lo16 = _mm256_setzero_si256();  // tokens 0-7 | 16-23 (after unpack)
  __m256i hi16 = _mm256_setzero_si256();  // tokens 8-15 | 24-31
  __m256i acc8 = _mm256_setzero_si256();
  std::size_t pending = 0;
  const __m256i zero = _mm256_setzero_si256();
  for (std::size_t g = 0; g < dim_groups; ++g) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(plane + g * 32));
    const __m256i c = _mm256_add_epi8(_mm256_shuffle_epi8(lut, _mm256_and_si256(v, mask)),
                                      _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(v, 4), mask)));
    acc8 = _mm256_add_epi8(acc8, c);
    if (++pending == 31 || g + 1 == dim_groups) {  // 31 * 8 < 256: no u8 overflow
      lo16 = _mm256_add_epi16(lo16, _mm256_unpacklo_epi8(acc8, zero));
      hi16 = _mm256_add_epi16(hi16, _mm256_unpackhi_epi8(acc8, zero));
      acc8 = zero;
      pending = 0;
    }
  }
  alignas(32) std::uint16_t a[16];
  alignas(32) std::uint16_t b[16];
  _mm256_store_si256(reinterpret_cast<__m256i*>(a), lo16);
  _mm256_store_si256(reinterpret_cast<__m256i*>(b), hi16);
  for (int t = 0; t < 8; ++t) {
    counts[t] = a[t];
    counts[16 + t] = a[8 + t];
    counts[8 + t] = b[t];
    counts[24 + t] = b[8 + t];
  }
#else
  for (std::size_t t = 0; t < block_tokens; ++t) counts[t] = popcount_token(plane, dim_groups, t);
#endif
}

}  // namespace bitsieve::detail
