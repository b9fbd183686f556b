// SPDX-License-Identifier: Apache-2.0
/// \file core/value_format.hpp
/// `value_format`: how a KV cache stores its value rows, and the element codecs behind it.
///
/// - `f32`: float32 rows as given (4 bytes per element).
/// - `f16`: IEEE 754 binary16, rounded to nearest, ties to even (2 bytes per element). A value
///   whose rounding would overflow binary16 (|v| >= 65520) is an error (domain_error naming the
///   value), never a silent infinity.
/// - `i8`: symmetric int8 with one float scale per row: scale = max|v| / 127 (0 for an all-zero
///   row), q = clamp(round half to even(v / scale), -127, 127), v ~= q * scale (1 byte per element
///   plus 4 per row). |v - q * scale| <= scale / 2 whenever the scale is a normal float.
///
/// The float <-> binary16 conversions are portable bit manipulation; with F16C compiled in
/// (x86-64-v3, BITSIEVE_HAS_AVX2 and __F16C__) the row conversions use the F16C instructions, which
/// give the same bits (tested).
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>

#include "bitsieve/config.hpp"
#include "bitsieve/core/error.hpp"

/// BITSIEVE_HAS_F16C is 1 when the AVX2 paths are on and the target has F16C (x86-64-v3 does);
/// the binary16 row conversions then use it. Define it to 0 to force the portable conversions.
#ifndef BITSIEVE_HAS_F16C
#if BITSIEVE_HAS_AVX2 && defined(__F16C__)
#define BITSIEVE_HAS_F16C 1
#else
#define BITSIEVE_HAS_F16C 0
#endif
#endif
#if BITSIEVE_HAS_F16C
#include <immintrin.h>
#endif

namespace bitsieve {

/// Storage of a KV cache's value rows (see the file comment).
enum class value_format : std::uint8_t { f32, f16, i8 };

/// "f32", "f16" or "i8".
[[nodiscard]] constexpr std::string_view to_string(value_format f) noexcept {
  switch (f) {
    case value_format::f16:
      return "f16";
    case value_format::i8:
      return "i8";
    case value_format::f32:
      break;
  }
  return "f32";
}

/// The format named "f32", "f16" or "i8"; a failure naming `s` otherwise.
[[nodiscard]] inline result<value_format> parse_value_format(std::string_view s) {
  if (s == "f32") return value_format::f32;
  if (s == "f16") return value_format::f16;
  if (s == "i8") return value_format::i8;
  return status::failure("bitsieve::parse_value_format: '" + std::string(s) + "' is not f32, f16 or i8");
}

/// Bytes one stored row of `dim` values occupies (and a kernel reads): 4 dim, 2 dim, or dim + 4
/// (the int8 row and its float scale).
[[nodiscard]] constexpr std::size_t value_row_bytes(value_format f, std::size_t dim) noexcept {
  switch (f) {
    case value_format::f16:
      return 2 * dim;
    case value_format::i8:
      return dim + sizeof(float);
    case value_format::f32:
      break;
  }
  return sizeof(float) * dim;
}

namespace detail {

/// Smallest magnitude that rounds to infinity in binary16 (65504 + half an ulp, a tie to the
/// odd-significand 65504 going up).
inline constexpr float f16_overflow = 65520.0F;

/// binary16 bits of `x`, rounded to nearest, ties to even (portable). NaN gives a quiet NaN, an
/// |x| >= 65520 gives +-infinity (callers that must not overflow check first).
[[nodiscard]] constexpr std::uint16_t float_to_half(float x) noexcept {
  const auto b = std::bit_cast<std::uint32_t>(x);
  const auto sign = static_cast<std::uint16_t>((b >> 16) & 0x8000U);
  const std::uint32_t a = b & 0x7FFFFFFFU;
  if (a > 0x7F800000U) return static_cast<std::uint16_t>(sign | 0x7E00U);  // NaN
  if (a >= 0x477FF000U) return static_cast<std::uint16_t>(sign | 0x7C00U);  // >= 65520: infinity
  if (a < 0x38800000U) {
    // below 2^-14: a binary16 subnormal, round(|x| * 2^24) units of 2^-24
    const std::uint32_t e = a >> 23;
    if (e < 102) return sign;  // below 2^-25: rounds to zero
    const std::uint32_t m = (a & 0x7FFFFFU) | 0x800000U;
    const std::uint32_t shift = 126 - e;  // 14 .. 24
    std::uint32_t h = m >> shift;
    const std::uint32_t rem = m & ((1U << shift) - 1U);
    const std::uint32_t half = 1U << (shift - 1);
    if (rem > half || (rem == half && (h & 1U) != 0U)) h += 1;  // a carry gives the smallest normal
    return static_cast<std::uint16_t>(sign | h);
  }
  std::uint32_t h = (a - 0x38000000U) >> 13;  // rebias the exponent (127 - 15), keep 10 bits
  const std::uint32_t rem = a & 0x1FFFU;
  if (rem > 0x1000U || (rem == 0x1000U && (h & 1U) != 0U)) h += 1;  // a carry bumps the exponent
  return static_cast<std::uint16_t>(sign | h);
}

/// The float value of binary16 bits `h` (exact; portable).
[[nodiscard]] constexpr float half_to_float(std::uint16_t h) noexcept {
  const std::uint32_t sign = (static_cast<std::uint32_t>(h) & 0x8000U) << 16;
  const std::uint32_t e = (h >> 10) & 0x1FU;
  const std::uint32_t m = h & 0x3FFU;
  if (e == 0) {
    const float mag = static_cast<float>(m) * 0x1p-24F;  // subnormal or zero: exact
    return sign != 0U ? -mag : mag;
  }
  if (e == 31) return std::bit_cast<float>(sign | 0x7F800000U | (m << 13));  // infinity or NaN
  return std::bit_cast<float>(sign | ((e + 112) << 23) | (m << 13));
}

/// out[i] = float_to_half(x[i]) for i < n (F16C when compiled in; the same bits).
inline void floats_to_halves(const float* x, std::uint16_t* out, std::size_t n) noexcept {
#if BITSIEVE_HAS_F16C
  const std::size_t vec = n - n % 8;
  for (std::size_t i = 0; i < vec; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
  }
#else
  const std::size_t vec = 0;
#endif
  for (std::size_t i = vec; i < n; ++i) out[i] = float_to_half(x[i]);
}

/// out[i] = half_to_float(h[i]) for i < n (F16C when compiled in; the same values).
inline void halves_to_floats(const std::uint16_t* h, float* out, std::size_t n) noexcept {
#if BITSIEVE_HAS_F16C
  const std::size_t vec = n - n % 8;
  for (std::size_t i = 0; i < vec; i += 8) {
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i))));
  }
#else
  const std::size_t vec = 0;
#endif
  for (std::size_t i = vec; i < n; ++i) out[i] = half_to_float(h[i]);
}

/// `x` rounded to the nearest integer, ties to even, whatever the current rounding mode.
[[nodiscard]] inline double round_half_even(double x) noexcept {
  const double f = std::floor(x);
  const double d = x - f;  // exact for |x| < 2^52
  if (d > 0.5) return f + 1.0;
  if (d < 0.5) return f;
  return std::fmod(f, 2.0) == 0.0 ? f : f + 1.0;
}

/// The int8 scale of a row: max|v| / 127 as a float (0 for an all-zero row; at least the
/// smallest subnormal for any other row, so every element divides by it).
[[nodiscard]] inline float i8_row_scale(const float* v, std::size_t n) noexcept {
  float m = 0.0F;
  for (std::size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(v[i]));
  if (m == 0.0F) return 0.0F;
  const auto s = static_cast<float>(static_cast<double>(m) / 127.0);
  return s > 0.0F ? s : std::numeric_limits<float>::denorm_min();
}

/// Quantizes one finite row with its scale (i8_row_scale): q = clamp(round half to even(v / s),
/// -127, 127), all zero when s is 0.
inline void quantize_i8_row(const float* v, std::size_t n, float scale, std::int8_t* q) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    const double r = scale == 0.0F ? 0.0 : round_half_even(static_cast<double>(v[i]) / static_cast<double>(scale));
    q[i] = static_cast<std::int8_t>(std::clamp(r, -127.0, 127.0));
  }
}

/// Throws domain_error when an element of `v` would overflow binary16 (|v| >= 65520), naming the
/// element and its value. `where` names the caller.
inline void check_f16_range(const float* v, std::size_t n, std::string_view where) {
  for (std::size_t i = 0; i < n; ++i) {
    if (std::fabs(v[i]) >= f16_overflow) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v[i]));
      throw domain_error(std::string(where) + ": values[" + std::to_string(i) + "] = " + buf +
                         " is out of the float16 range (|v| < 65520); store values as f32 or i8");
    }
  }
}

}  // namespace detail
}  // namespace bitsieve
