// SPDX-License-Identifier: Apache-2.0
/// \file simd/block_ops.hpp
/// Per-block bookkeeping of the lock-step fast path on 32 int32 partial scores: update with a
/// plane's dot products, masked maximum, threshold masks, and per-token popcounts (AVX2 when
/// compiled in, portable loops otherwise; identical results); and the survivors' value
/// accumulation for float32, binary16 and int8 value rows.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "bitsieve/config.hpp"
#include "bitsieve/core/value_format.hpp"
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

/// Asks the CPU to bring the cache lines holding bytes [p, p + bytes) towards the L1 cache (a
/// hint: no effect on results; a no-op where the compiler has no prefetch builtin). Every line the
/// range touches is requested, also when p is not at a line boundary (a 512-byte row at a line
/// offset of 16 spans 9 lines; prefetching 8 lines from p left the last one to a demand miss).
inline void prefetch_bytes(const void* p, std::size_t bytes) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  if (bytes == 0) return;
  const auto first = reinterpret_cast<std::uintptr_t>(p) & ~std::uintptr_t{63};
  const auto last = (reinterpret_cast<std::uintptr_t>(p) + bytes - 1) & ~std::uintptr_t{63};
  const auto* c = reinterpret_cast<const char*>(first);
  const std::size_t span = static_cast<std::size_t>(last - first) + 64;
  std::size_t o = 0;
  // four lines per iteration: a block plane (256 or 512 bytes at d 64 or 128) or a value row is
  // prefetched in one or two iterations instead of a loop turn per line (callgrind: 12 fewer
  // instructions per key on llm_like, 7%)
  for (; o + 256 <= span; o += 256) {
    __builtin_prefetch(c + o, 0, 3);
    __builtin_prefetch(c + o + 64, 0, 3);
    __builtin_prefetch(c + o + 128, 0, 3);
    __builtin_prefetch(c + o + 192, 0, 3);
  }
  for (; o < span; o += 64) __builtin_prefetch(c + o, 0, 3);
#else
  (void)p;
  (void)bytes;
#endif
}

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

/// Bits t (0..31) with x[t] > y (floats; NaN compares false).
[[nodiscard]] inline std::uint32_t block_greater(const float* x, float y) noexcept {
#if BITSIEVE_HAS_AVX2
  const __m256 yv = _mm256_set1_ps(y);
  std::uint32_t out = 0;
  for (int i = 0; i < 4; ++i) {
    const __m256 v = _mm256_loadu_ps(x + 8 * i);
    out |= static_cast<std::uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(v, yv, _CMP_GT_OQ))) << (8 * i);
  }
  return out;
#else
  std::uint32_t out = 0;
  for (int i = 0; i < 32; ++i) out |= (x[i] > y ? 1U : 0U) << i;
  return out;
#endif
}

/// Relative error bound of block_exp_sum's terms and sums (float exponentials of float arguments;
/// measured 4.3e-6 for one term over [-87, 80] and 3.3e-6 for a block's sum, and the test asserts
/// below half of this): callers scale a sum down by (1 - this) for a lower bound, up by (1 + this)
/// for an upper bound.
inline constexpr double block_exp_rel_error = 2e-5;

/// x[t] = float(c * (s[t] - ref)) for t = 0..31 (|s[t] - ref| < 2^53, so the difference is exact).
inline void block_logits(const std::int32_t* s, double ref, double c, float* x) noexcept {
#if BITSIEVE_HAS_AVX2
  const __m256d rv = _mm256_set1_pd(ref);
  const __m256d cv = _mm256_set1_pd(c);
  for (int i = 0; i < 32; i += 4) {
    const __m256d d = _mm256_sub_pd(_mm256_cvtepi32_pd(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i))), rv);
    _mm_storeu_ps(x + i, _mm256_cvtpd_ps(_mm256_mul_pd(cv, d)));
  }
#else
  for (int i = 0; i < 32; ++i) x[i] = static_cast<float>(c * (static_cast<double>(s[i]) - ref));
#endif
}

namespace exp_detail {
inline constexpr float log2e = 1.44269504088896341F;
// 2^f for |f| <= 1/2: the Taylor coefficients (ln 2)^k / k! to degree 5 (truncation below
// 3.4e-6 of the result; the test measures the whole term's error)
inline constexpr float a1 = 0.6931471805599453F, a2 = 0.2402265069591007F, a3 = 0.05550410866482158F,
                       a4 = 0.009618129107628477F, a5 = 0.0013333558146428443F;
}  // namespace exp_detail

/// Sum over the set bits t of `mask` of e^{x[t]} (x[t] <= 80), each term computed in float to
/// within block_exp_rel_error (2^n 2^f with n the integer nearest x log2 e and a degree-5
/// polynomial for 2^f), summed in a fixed order (AVX2: eight float lanes of at most four terms
/// each, then in double). Terms with x[t] <= tiny are left out (`clamp` false: the sum stays a
/// lower bound) or counted as e^tiny (`clamp` true: the sum stays an upper bound).
/// Always inlined: at its call sites the compiler knows `clamp` and folds the branch, and gcc 12
/// stopped inlining it on its own after unrelated growth of its callers (mass_budget on the real
/// trace: 224.8 -> 219.1 instructions per key with the attribute).
[[nodiscard]] [[gnu::always_inline]] inline double block_exp_sum(const float* x, std::uint32_t mask, float tiny, bool clamp = false) noexcept {
  using namespace exp_detail;  // NOLINT(google-build-using-namespace): local constants
#if BITSIEVE_HAS_AVX2
  const __m256 tv = _mm256_set1_ps(tiny);
  const __m256 vmin = _mm256_set1_ps(clamp ? tiny : -87.0F);
  const __m256 l2e = _mm256_set1_ps(log2e);
  // t + 1.5 * 2^23 rounds t (|t| < 2^22) to the nearest integer n, held in the low mantissa bits
  const __m256 magic = _mm256_set1_ps(12582912.0F);
  __m256 acc = _mm256_setzero_ps();
  for (int i = 0; i < 4; ++i) {
    const std::uint32_t m = (mask >> (8 * i)) & 0xFFU;
    if (m == 0) continue;
    const __m256 v = _mm256_max_ps(_mm256_loadu_ps(x + 8 * i), vmin);
    const __m256 lane = _mm256_castsi256_ps(lanes_of(m));
    const __m256 keep = clamp ? lane : _mm256_and_ps(lane, _mm256_cmp_ps(v, tv, _CMP_GT_OQ));
    const __m256 r = _mm256_add_ps(_mm256_mul_ps(v, l2e), magic);
    const __m256 n = _mm256_sub_ps(r, magic);
    const __m256 f = _mm256_fmsub_ps(v, l2e, n);  // x log2 e - n, in [-1/2, 1/2], rounded once
    __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(a5), f, _mm256_set1_ps(a4));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(a3));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(a2));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(a1));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0F));
    // 2^n: n + 127 in the exponent field (the magic's own bits shift out: its low 22 bits are 0)
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_castps_si256(r), _mm256_set1_epi32(127)), 23);
    acc = _mm256_add_ps(acc, _mm256_and_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(e)), keep));
  }
  const __m256d s = _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(acc)), _mm256_cvtps_pd(_mm256_extractf128_ps(acc, 1)));
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, s);
  return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
#else
  double sum = 0.0;
  for (int i = 0; i < 32; ++i) {
    if (((mask >> i) & 1U) == 0U || (!clamp && !(x[i] > tiny))) continue;
    const float v = clamp ? (x[i] > tiny ? x[i] : tiny) : (x[i] < -87.0F ? -87.0F : x[i]);
    const float n = std::nearbyint(v * log2e);
    const float f = std::fma(v, log2e, -n);
    const float p = std::fma(std::fma(std::fma(std::fma(std::fma(a5, f, a4), f, a3), f, a2), f, a1), f, 1.0F);
    sum += static_cast<double>(std::ldexp(p, static_cast<int>(n)));
  }
  return sum;
#endif
}

/// w * x + a, rounded once where the target has FMA (every AVX2 build: what _mm256_fmadd_pd
/// computes), else rounded twice. The vector and portable value accumulations both use it, so they
/// give the same bits.
[[nodiscard]] inline double mul_add(double w, double x, double a) noexcept {
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA) || defined(FP_FAST_FMA)
  return std::fma(w, x, a);
#else
  return w * x + a;
#endif
}

/// The portable value accumulations: the reference the vector paths below match exactly (tested),
/// and their tails.
namespace portable {
/// acc[i] = acc[i] * f + w * v[i] for i < n.
inline void scale_axpy(double* acc, double f, double w, const float* v, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) acc[i] = mul_add(w, static_cast<double>(v[i]), acc[i] * f);
}
/// acc[i] = acc[i] * f + w * float(h[i]) for i < n (h: binary16 bits).
inline void scale_axpy_f16(double* acc, double f, double w, const std::uint16_t* h, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) acc[i] = mul_add(w, static_cast<double>(half_to_float(h[i])), acc[i] * f);
}
/// acc[i] = acc[i] * f + (w * scale) * q[i] for i < n (the row scale folded into the weight).
inline void scale_axpy_i8(double* acc, double f, double w, float scale, const std::int8_t* q, std::size_t n) noexcept {
  const double ws = w * static_cast<double>(scale);
  for (std::size_t i = 0; i < n; ++i) acc[i] = mul_add(ws, static_cast<double>(q[i]), acc[i] * f);
}
}  // namespace portable

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
  portable::scale_axpy(acc + i, f, w, v + i, n - i);
}

#if BITSIEVE_HAS_AVX2
/// acc[0..8) = acc * f + w * (lo, hi): the store step shared by the widening axpy kernels.
inline void fma_store8(double* acc, __m256d wv, __m256d fv, __m256d lo, __m256d hi) noexcept {
  _mm256_storeu_pd(acc, _mm256_fmadd_pd(wv, lo, _mm256_mul_pd(_mm256_loadu_pd(acc), fv)));
  _mm256_storeu_pd(acc + 4, _mm256_fmadd_pd(wv, hi, _mm256_mul_pd(_mm256_loadu_pd(acc + 4), fv)));
}
#endif

/// scale_axpy of a binary16 row: acc[i] = acc[i] * f + w * float(h[i]) (F16C when compiled in).
inline void scale_axpy_f16(double* acc, double f, double w, const std::uint16_t* h, std::size_t n) noexcept {
  std::size_t i = 0;
#if BITSIEVE_HAS_F16C
  const __m256d fv = _mm256_set1_pd(f);
  const __m256d wv = _mm256_set1_pd(w);
  for (; i + 8 <= n; i += 8) {
    const __m256 x = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i)));
    const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(x));
    const __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));
    fma_store8(acc + i, wv, fv, lo, hi);
  }
#endif
  portable::scale_axpy_f16(acc + i, f, w, h + i, n - i);
}

/// scale_axpy of an int8 row with its scale: acc[i] = acc[i] * f + (w * scale) * q[i].
inline void scale_axpy_i8(double* acc, double f, double w, float scale, const std::int8_t* q, std::size_t n) noexcept {
  std::size_t i = 0;
#if BITSIEVE_HAS_AVX2
  const __m256d fv = _mm256_set1_pd(f);
  const __m256d wv = _mm256_set1_pd(w * static_cast<double>(scale));
  for (; i + 8 <= n; i += 8) {
    const __m256i x = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + i)));
    const __m256d lo = _mm256_cvtepi32_pd(_mm256_castsi256_si128(x));
    const __m256d hi = _mm256_cvtepi32_pd(_mm256_extracti128_si256(x, 1));
    fma_store8(acc + i, wv, fv, lo, hi);
  }
#endif
  portable::scale_axpy_i8(acc + i, f, w, scale, q + i, n - i);
}

/// acc[i] += sum over j < m of w[j] * rows[j][i], for i < n, row by row in order j = 0, 1, ..
/// (each step a fused multiply-add in double, so the result equals m successive
/// scale_axpy(acc, 1, w[j], rows[j], n) calls). The accumulators stay in registers across the m
/// rows: about half the instructions of m separate calls.
inline void axpy_rows(double* acc, const double* w, const float* const* rows, std::size_t m, std::size_t n) noexcept {
  std::size_t i = 0;
#if BITSIEVE_HAS_AVX2
  for (; i + 16 <= n; i += 16) {
    __m256d a0 = _mm256_loadu_pd(acc + i);
    __m256d a1 = _mm256_loadu_pd(acc + i + 4);
    __m256d a2 = _mm256_loadu_pd(acc + i + 8);
    __m256d a3 = _mm256_loadu_pd(acc + i + 12);
    for (std::size_t j = 0; j < m; ++j) {
      const __m256d wv = _mm256_set1_pd(w[j]);
      const float* r = rows[j] + i;
      a0 = _mm256_fmadd_pd(wv, _mm256_cvtps_pd(_mm_loadu_ps(r)), a0);
      a1 = _mm256_fmadd_pd(wv, _mm256_cvtps_pd(_mm_loadu_ps(r + 4)), a1);
      a2 = _mm256_fmadd_pd(wv, _mm256_cvtps_pd(_mm_loadu_ps(r + 8)), a2);
      a3 = _mm256_fmadd_pd(wv, _mm256_cvtps_pd(_mm_loadu_ps(r + 12)), a3);
    }
    _mm256_storeu_pd(acc + i, a0);
    _mm256_storeu_pd(acc + i + 4, a1);
    _mm256_storeu_pd(acc + i + 8, a2);
    _mm256_storeu_pd(acc + i + 12, a3);
  }
  for (; i + 4 <= n; i += 4) {
    __m256d a = _mm256_loadu_pd(acc + i);
    for (std::size_t j = 0; j < m; ++j) a = _mm256_fmadd_pd(_mm256_set1_pd(w[j]), _mm256_cvtps_pd(_mm_loadu_ps(rows[j] + i)), a);
    _mm256_storeu_pd(acc + i, a);
  }
#endif
  for (; i < n; ++i) {
    double a = acc[i];
    for (std::size_t j = 0; j < m; ++j) a = mul_add(w[j], static_cast<double>(rows[j][i]), a);
    acc[i] = a;
  }
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
