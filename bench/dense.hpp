// SPDX-License-Identifier: Apache-2.0
/// \file bench/dense.hpp
/// The dense attention baselines bitsieve is measured against (single head, one query):
///
/// - `dense_fp32_blas`: fp32 K and V, q.K and p.V by OpenBLAS `cblas_sgemv`;
/// - `dense_fp16`: K and V stored as IEEE half, widened with F16C and dotted with FMA;
/// - `dense_int8`: K int8 with one per-tensor scale, the query quantized to int8 per call,
///   integer dot products (AVX-VNNI `vpdpbusd` when the compiler targets it, else the
///   `maddubs`/`madd` pair), V int8 with one scale per row.
///
/// All three share one vectorised softmax (max, exp with a degree-7 polynomial, sum, in float)
/// and read every byte of K and V once per query. `dense_prefill_fp32`: causal prefill by
/// blocks of queries with `cblas_sgemm`. These need AVX2, FMA and F16C (the suite is built with
/// -march=native).
#pragma once

#include <cblas.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#if !defined(__AVX2__) || !defined(__FMA__) || !defined(__F16C__)
#error "bitsieve-bench's dense baselines need AVX2, FMA and F16C (configure with BITSIEVE_NATIVE=ON on such a CPU)"
#endif

namespace bitsieve_bench {

/// A 64-byte aligned buffer of trivially copyable T (so AVX loads never split cache lines).
template <class T>
class aligned_buffer {
 public:
  aligned_buffer() = default;
  explicit aligned_buffer(std::size_t n) { resize(n); }
  aligned_buffer(const aligned_buffer& o) : aligned_buffer(o.n_) { std::copy_n(o.p_, o.n_, p_); }
  aligned_buffer& operator=(const aligned_buffer&) = delete;
  aligned_buffer(aligned_buffer&& o) noexcept : p_(o.p_), n_(o.n_) {
    o.p_ = nullptr;
    o.n_ = 0;
  }
  ~aligned_buffer() { std::free(p_); }
  void resize(std::size_t n) {
    std::free(p_);
    const std::size_t bytes = std::max<std::size_t>(64, (n * sizeof(T) + 63) / 64 * 64);
    p_ = static_cast<T*>(std::aligned_alloc(64, bytes));
    if (p_ == nullptr) throw std::bad_alloc();
    n_ = n;
    std::fill_n(p_, n, T{});
  }
  [[nodiscard]] T* data() noexcept { return p_; }
  [[nodiscard]] const T* data() const noexcept { return p_; }
  [[nodiscard]] std::size_t size() const noexcept { return n_; }
  T& operator[](std::size_t i) noexcept { return p_[i]; }
  const T& operator[](std::size_t i) const noexcept { return p_[i]; }

 private:
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Vectorised softmax

/// e^x for x <= 88 (lanes below -87 give about 2^-126): x = n ln2 + r, |r| <= ln2 / 2,
/// e^r by its Taylor polynomial to degree 7 (relative error < 2e-7 plus float rounding).
inline __m256 exp_ps(__m256 x) noexcept {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0F)), _mm256_set1_ps(88.0F));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341F)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375F), x);  // ln2 split hi + lo
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4F), r);
  __m256 p = _mm256_set1_ps(1.0F / 5040.0F);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0F / 720.0F));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0F / 120.0F));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0F / 24.0F));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0F / 6.0F));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5F));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0F));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0F));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

inline float hsum_ps(__m256 v) noexcept {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float hmax_ps(__m256 v) noexcept {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/// s[i] <- e^(s[i] - max s) in place; returns the sum. Lanes past n are never touched.
inline float softmax_unnormalised(float* s, std::size_t n) noexcept {
  __m256 mv = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(s + i));
  float m = hmax_ps(mv);
  for (; i < n; ++i) m = std::max(m, s[i]);
  const __m256 mb = _mm256_set1_ps(m);
  __m256 acc = _mm256_setzero_ps();
  i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(s + i), mb));
    _mm256_storeu_ps(s + i, e);
    acc = _mm256_add_ps(acc, e);
  }
  float z = hsum_ps(acc);
  for (; i < n; ++i) {
    s[i] = std::exp(s[i] - m);
    z += s[i];
  }
  return z;
}

/// Lane i of the result = horizontal sum of a[i] (8 vectors in, one out).
inline __m256 transpose_sum8(const __m256* a) noexcept {
  const __m256 t0 = _mm256_hadd_ps(a[0], a[1]);
  const __m256 t1 = _mm256_hadd_ps(a[2], a[3]);
  const __m256 t2 = _mm256_hadd_ps(a[4], a[5]);
  const __m256 t3 = _mm256_hadd_ps(a[6], a[7]);
  const __m256 u0 = _mm256_hadd_ps(t0, t1);
  const __m256 u1 = _mm256_hadd_ps(t2, t3);
  return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

inline __m256i transpose_sum8_epi32(const __m256i* a) noexcept {
  const __m256i t0 = _mm256_hadd_epi32(a[0], a[1]);
  const __m256i t1 = _mm256_hadd_epi32(a[2], a[3]);
  const __m256i t2 = _mm256_hadd_epi32(a[4], a[5]);
  const __m256i t3 = _mm256_hadd_epi32(a[6], a[7]);
  const __m256i u0 = _mm256_hadd_epi32(t0, t1);
  const __m256i u1 = _mm256_hadd_epi32(t2, t3);
  return _mm256_add_epi32(_mm256_permute2x128_si256(u0, u1, 0x20), _mm256_permute2x128_si256(u0, u1, 0x31));
}

// ---------------------------------------------------------------------------------------------
// fp32 + OpenBLAS

/// K and V in fp32 (row-major); decode = sgemv, softmax, sgemv.
class dense_fp32_blas {
 public:
  dense_fp32_blas(std::span<const float> keys, std::span<const float> values, std::size_t d, std::size_t dv, double scale)
      : d_(d), dv_(dv), n_(keys.size() / d), scale_(static_cast<float>(scale)), k_(keys.size()), v_(values.size()), s_(n_) {
    std::copy(keys.begin(), keys.end(), k_.data());
    std::copy(values.begin(), values.end(), v_.data());
  }
  dense_fp32_blas(const dense_fp32_blas& o)
      : d_(o.d_), dv_(o.dv_), n_(o.n_), scale_(o.scale_), k_(o.k_), v_(o.v_), s_(o.n_) {}

  [[nodiscard]] std::size_t bytes() const noexcept { return (k_.size() + v_.size()) * sizeof(float); }
  [[nodiscard]] double bytes_per_token() const noexcept { return static_cast<double>((d_ + dv_) * sizeof(float)); }

  void decode(const float* q, float* out) {
    const auto n = static_cast<int>(n_);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, n, static_cast<int>(d_), scale_, k_.data(), static_cast<int>(d_), q, 1,
                0.0F, s_.data(), 1);
    const float z = softmax_unnormalised(s_.data(), n_);
    cblas_sgemv(CblasRowMajor, CblasTrans, n, static_cast<int>(dv_), 1.0F / z, v_.data(), static_cast<int>(dv_),
                s_.data(), 1, 0.0F, out, 1);
  }

 private:
  std::size_t d_, dv_, n_;
  float scale_;
  aligned_buffer<float> k_, v_, s_;
};

// ---------------------------------------------------------------------------------------------
// fp16 storage, F16C + FMA

namespace detail {

/// scores[j] = scale * q . k_j for 8 rows at a time; C = d / 8 chunks.
template <std::size_t C>
void scores_fp16(const std::uint16_t* k, const float* q, float scale, float* s, std::size_t n) noexcept {
  __m256 qv[C];
  for (std::size_t c = 0; c < C; ++c) qv[c] = _mm256_loadu_ps(q + c * 8);
  const __m256 sc = _mm256_set1_ps(scale);
  std::size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256 acc[8];
    for (auto& a : acc) a = _mm256_setzero_ps();
    for (std::size_t c = 0; c < C; ++c) {
      for (std::size_t r = 0; r < 8; ++r) {
        const __m128i h = _mm_load_si128(reinterpret_cast<const __m128i*>(k + (j + r) * C * 8 + c * 8));
        acc[r] = _mm256_fmadd_ps(_mm256_cvtph_ps(h), qv[c], acc[r]);
      }
    }
    _mm256_storeu_ps(s + j, _mm256_mul_ps(transpose_sum8(acc), sc));
  }
  for (; j < n; ++j) {
    __m256 a = _mm256_setzero_ps();
    for (std::size_t c = 0; c < C; ++c) {
      a = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(k + j * C * 8 + c * 8))), qv[c], a);
    }
    s[j] = hsum_ps(a) * scale;
  }
}

/// out = inv_z * sum_j p_j v_j; C = dv / 8 chunks, all accumulators in registers.
template <std::size_t C>
void weighted_sum_fp16(const std::uint16_t* v, const float* p, float inv_z, float* out, std::size_t n) noexcept {
  __m256 acc[C];
  for (auto& a : acc) a = _mm256_setzero_ps();
  for (std::size_t j = 0; j < n; ++j) {
    const __m256 w = _mm256_broadcast_ss(p + j);
    for (std::size_t c = 0; c < C; ++c) {
      const __m128i h = _mm_load_si128(reinterpret_cast<const __m128i*>(v + j * C * 8 + c * 8));
      acc[c] = _mm256_fmadd_ps(_mm256_cvtph_ps(h), w, acc[c]);
    }
  }
  const __m256 iz = _mm256_set1_ps(inv_z);
  for (std::size_t c = 0; c < C; ++c) _mm256_storeu_ps(out + c * 8, _mm256_mul_ps(acc[c], iz));
}

inline void check_dims(std::size_t d, std::size_t dv, const char* who) {
  if (d != 64 && d != 128) throw std::invalid_argument(std::string(who) + ": head_dim must be 64 or 128");
  if (dv != 64 && dv != 128) throw std::invalid_argument(std::string(who) + ": value_dim must be 64 or 128");
}

}  // namespace detail

/// K and V stored as IEEE half (round to nearest even), widened in registers.
class dense_fp16 {
 public:
  dense_fp16(std::span<const float> keys, std::span<const float> values, std::size_t d, std::size_t dv, double scale)
      : d_(d), dv_(dv), n_(keys.size() / d), scale_(static_cast<float>(scale)), k_(keys.size()), v_(values.size()), s_(n_) {
    detail::check_dims(d, dv, "dense_fp16");
    to_half(keys, k_.data());
    to_half(values, v_.data());
  }
  dense_fp16(const dense_fp16& o) : d_(o.d_), dv_(o.dv_), n_(o.n_), scale_(o.scale_), k_(o.k_), v_(o.v_), s_(o.n_) {}

  [[nodiscard]] std::size_t bytes() const noexcept { return (k_.size() + v_.size()) * sizeof(std::uint16_t); }
  [[nodiscard]] double bytes_per_token() const noexcept { return static_cast<double>((d_ + dv_) * sizeof(std::uint16_t)); }

  void decode(const float* q, float* out) {
    if (d_ == 64) {
      detail::scores_fp16<8>(k_.data(), q, scale_, s_.data(), n_);
    } else {
      detail::scores_fp16<16>(k_.data(), q, scale_, s_.data(), n_);
    }
    const float z = softmax_unnormalised(s_.data(), n_);
    if (dv_ == 64) {
      detail::weighted_sum_fp16<8>(v_.data(), s_.data(), 1.0F / z, out, n_);
    } else {
      detail::weighted_sum_fp16<16>(v_.data(), s_.data(), 1.0F / z, out, n_);
    }
  }

 private:
  static void to_half(std::span<const float> x, std::uint16_t* h) {
    std::size_t i = 0;
    for (; i + 8 <= x.size(); i += 8) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(h + i),
                       _mm256_cvtps_ph(_mm256_loadu_ps(x.data() + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
    if (i < x.size()) {  // the tail through a zero-padded 8-lane buffer
      alignas(32) float f[8] = {};
      alignas(16) std::uint16_t t[8];
      std::copy(x.begin() + static_cast<std::ptrdiff_t>(i), x.end(), f);
      _mm_store_si128(reinterpret_cast<__m128i*>(t), _mm256_cvtps_ph(_mm256_load_ps(f), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
      std::copy_n(t, x.size() - i, h + i);
    }
  }

  std::size_t d_, dv_, n_;
  float scale_;
  aligned_buffer<std::uint16_t> k_, v_;
  aligned_buffer<float> s_;
};

// ---------------------------------------------------------------------------------------------
// int8

namespace detail {

/// Symmetric int8 quantization with scale max|x| / 127 (values in -127..127).
inline float quantize_int8(const float* x, std::size_t n, std::int8_t* out) noexcept {
  float m = 0.0F;
  for (std::size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
  const float scale = m > 0.0F ? m / 127.0F : 1.0F;
  const float inv = 1.0F / scale;
  for (std::size_t i = 0; i < n; ++i) {
    const float r = std::nearbyint(x[i] * inv);
    out[i] = static_cast<std::int8_t>(std::clamp(r, -127.0F, 127.0F));
  }
  return scale;
}

/// 8 unsigned |q| bytes times signed k*sign(q) bytes, summed in 4-byte groups into int32 lanes.
inline __m256i dot_u8s8(__m256i acc, __m256i abs_q, __m256i k_signed) noexcept {
#if defined(__AVXVNNI__)
  return _mm256_dpbusd_avx_epi32(acc, abs_q, k_signed);
#elif defined(__AVX512VNNI__) && defined(__AVX512VL__)
  return _mm256_dpbusd_epi32(acc, abs_q, k_signed);
#else
  // |q| * k' <= 127 * 127, so the pair sums of maddubs (<= 32258) never saturate.
  const __m256i pairs = _mm256_maddubs_epi16(abs_q, k_signed);
  return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
#endif
}

/// Integer scores of 8 rows at a time; C = d / 32 chunks of 32 bytes.
template <std::size_t C>
void scores_int8(const std::int8_t* k, const std::int8_t* q, float scale, float* s, std::size_t n) noexcept {
  __m256i aq[C];
  __m256i sq[C];
  for (std::size_t c = 0; c < C; ++c) {
    sq[c] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + c * 32));
    aq[c] = _mm256_abs_epi8(sq[c]);
  }
  const __m256 sc = _mm256_set1_ps(scale);
  std::size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256i acc[8];
    for (auto& a : acc) a = _mm256_setzero_si256();
    for (std::size_t c = 0; c < C; ++c) {
      for (std::size_t r = 0; r < 8; ++r) {
        const __m256i kv = _mm256_load_si256(reinterpret_cast<const __m256i*>(k + (j + r) * C * 32 + c * 32));
        acc[r] = dot_u8s8(acc[r], aq[c], _mm256_sign_epi8(kv, sq[c]));
      }
    }
    _mm256_storeu_ps(s + j, _mm256_mul_ps(_mm256_cvtepi32_ps(transpose_sum8_epi32(acc)), sc));
  }
  for (; j < n; ++j) {
    std::int32_t t = 0;
    for (std::size_t i = 0; i < C * 32; ++i) t += static_cast<std::int32_t>(k[j * C * 32 + i]) * q[i];
    s[j] = static_cast<float>(t) * scale;
  }
}

/// out = inv_z * sum_j (p_j * vscale_j) v_j with int8 rows widened to float; C = dv / 8.
template <std::size_t C>
void weighted_sum_int8(const std::int8_t* v, const float* vscale, const float* p, float inv_z, float* out,
                       std::size_t n) noexcept {
  __m256 acc[C];
  for (auto& a : acc) a = _mm256_setzero_ps();
  for (std::size_t j = 0; j < n; ++j) {
    const __m256 w = _mm256_set1_ps(p[j] * vscale[j]);
    const std::int8_t* row = v + j * C * 8;
    for (std::size_t c = 0; c < C; c += 2) {
      const __m128i b = _mm_load_si128(reinterpret_cast<const __m128i*>(row + c * 8));  // 16 values
      const __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b));
      const __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(b, 8)));
      acc[c] = _mm256_fmadd_ps(lo, w, acc[c]);
      acc[c + 1] = _mm256_fmadd_ps(hi, w, acc[c + 1]);
    }
  }
  const __m256 iz = _mm256_set1_ps(inv_z);
  for (std::size_t c = 0; c < C; ++c) _mm256_storeu_ps(out + c * 8, _mm256_mul_ps(acc[c], iz));
}

}  // namespace detail

/// int8 K (per-tensor scale), int8 V (per-row scale), int8 query (per call), float softmax.
class dense_int8 {
 public:
  dense_int8(std::span<const float> keys, std::span<const float> values, std::size_t d, std::size_t dv, double scale)
      : d_(d), dv_(dv), n_(keys.size() / d), scale_(static_cast<float>(scale)), k_(keys.size()), v_(values.size()),
        vscale_(n_), qi_(d), s_(n_) {
    detail::check_dims(d, dv, "dense_int8");
    kscale_ = detail::quantize_int8(keys.data(), keys.size(), k_.data());
    for (std::size_t j = 0; j < n_; ++j) vscale_[j] = detail::quantize_int8(values.data() + j * dv, dv, v_.data() + j * dv);
  }
  dense_int8(const dense_int8& o)
      : d_(o.d_), dv_(o.dv_), n_(o.n_), scale_(o.scale_), kscale_(o.kscale_), k_(o.k_), v_(o.v_), vscale_(o.vscale_),
        qi_(o.d_), s_(o.n_) {}

  [[nodiscard]] std::size_t bytes() const noexcept { return k_.size() + v_.size() + vscale_.size() * sizeof(float); }
  [[nodiscard]] double bytes_per_token() const noexcept { return static_cast<double>(d_ + dv_ + sizeof(float)); }

  void decode(const float* q, float* out) {
    const float qscale = detail::quantize_int8(q, d_, qi_.data());
    const float c = qscale * kscale_ * scale_;
    if (d_ == 64) {
      detail::scores_int8<2>(k_.data(), qi_.data(), c, s_.data(), n_);
    } else {
      detail::scores_int8<4>(k_.data(), qi_.data(), c, s_.data(), n_);
    }
    const float z = softmax_unnormalised(s_.data(), n_);
    if (dv_ == 64) {
      detail::weighted_sum_int8<8>(v_.data(), vscale_.data(), s_.data(), 1.0F / z, out, n_);
    } else {
      detail::weighted_sum_int8<16>(v_.data(), vscale_.data(), s_.data(), 1.0F / z, out, n_);
    }
  }

 private:
  std::size_t d_, dv_, n_;
  float scale_;
  float kscale_ = 1.0F;
  aligned_buffer<std::int8_t> k_, v_;
  aligned_buffer<float> vscale_;
  aligned_buffer<std::int8_t> qi_;
  aligned_buffer<float> s_;
};

// ---------------------------------------------------------------------------------------------
// Prefill

/// Causal fp32 prefill (n queries over the n keys, query i sees keys 0..i), by blocks of
/// `block` queries: S = Q_b K^T (sgemm), masked row softmax, O_b = P V (sgemm), row scaling.
class dense_prefill_fp32 {
 public:
  dense_prefill_fp32(std::span<const float> keys, std::span<const float> values, std::size_t d, std::size_t dv,
                     double scale, std::size_t block = 256)
      : d_(d), dv_(dv), n_(keys.size() / d), block_(block), scale_(static_cast<float>(scale)), k_(keys.size()),
        v_(values.size()), s_(block * n_), inv_z_(block) {
    std::copy(keys.begin(), keys.end(), k_.data());
    std::copy(values.begin(), values.end(), v_.data());
  }

  /// queries: n x d; outs: n x dv.
  void prefill(const float* queries, float* outs) {
    for (std::size_t i0 = 0; i0 < n_; i0 += block_) {
      const std::size_t nb = std::min(block_, n_ - i0);
      const std::size_t len = i0 + nb;  // keys any row of this block can see
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(nb), static_cast<int>(len),
                  static_cast<int>(d_), scale_, queries + i0 * d_, static_cast<int>(d_), k_.data(), static_cast<int>(d_),
                  0.0F, s_.data(), static_cast<int>(len));
      for (std::size_t r = 0; r < nb; ++r) {
        float* row = s_.data() + r * len;
        const std::size_t visible = i0 + r + 1;
        inv_z_[r] = 1.0F / softmax_unnormalised(row, visible);
        std::fill(row + visible, row + len, 0.0F);
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(nb), static_cast<int>(dv_),
                  static_cast<int>(len), 1.0F, s_.data(), static_cast<int>(len), v_.data(), static_cast<int>(dv_), 0.0F,
                  outs + i0 * dv_, static_cast<int>(dv_));
      for (std::size_t r = 0; r < nb; ++r) {
        float* o = outs + (i0 + r) * dv_;
        for (std::size_t e = 0; e < dv_; ++e) o[e] *= inv_z_[r];
      }
    }
  }

 private:
  std::size_t d_, dv_, n_, block_;
  float scale_;
  aligned_buffer<float> k_, v_, s_, inv_z_;
};

}  // namespace bitsieve_bench
