// SPDX-License-Identifier: Apache-2.0
/// \file core/quantize.hpp
/// Per-tensor symmetric quantization, exactly as DESIGN.md §2 specifies (the contract a golden
/// model must match bit for bit):
///   qmax = 2^(B-1) - 1;  scale = max|x| / qmax (1 if every x is 0);
///   x_q = clamp(rint(x / scale), -qmax, qmax),
/// computed in double, rint rounding half to even. NaN or Inf is an error, never quantized.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bitsieve/core/error.hpp"

namespace bitsieve {

/// Smallest and largest quantization width bitsieve supports.
inline constexpr int min_bits = 2;
inline constexpr int max_bits = 16;

/// Largest quantized magnitude at B bits: 2^(B-1) - 1 (the range is symmetric, -qmax..qmax).
[[nodiscard]] constexpr std::int32_t qmax_for_bits(int bits) noexcept {
  return (std::int32_t{1} << (bits - 1)) - 1;
}

/// Quantized integers with the scale that maps them back (x ~= scale * x_q).
struct quantized {
  std::vector<std::int32_t> values;
  double scale = 1.0;
  /// How many inputs lay beyond +-qmax * scale and were clamped (0 when the scale is computed
  /// from the data itself; non-zero only with a fixed scale, see quantize_with_scale).
  std::size_t saturated = 0;
};

namespace detail {
inline void check_bits(int bits, std::string_view where) {
  if (bits < min_bits || bits > max_bits) {
    throw invalid_argument(std::string(where) + ": bit width " + std::to_string(bits) +
                           " is out of range; bitsieve supports 2..16 bits");
  }
}

/// Throws bitsieve::domain_error naming `what` and the index of the first non-finite element.
template <class T>
void check_finite(std::span<const T> x, std::string_view where, std::string_view what) {
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(static_cast<double>(x[i]))) {
      throw domain_error(std::string(where) + ": " + std::string(what) + "[" + std::to_string(i) +
                         "] is " + (std::isnan(static_cast<double>(x[i])) ? "NaN" : "infinite") +
                         "; inputs must be finite");
    }
  }
}
}  // namespace detail

/// The per-tensor scale of DESIGN.md §2: max|x| / qmax, or 1 when every element is 0.
/// Throws invalid_argument (empty `x`, bits outside 2..16) or domain_error (NaN/Inf).
template <class T>
[[nodiscard]] double quantization_scale(std::span<const T> x, int bits, std::string_view what = "x") {
  detail::check_bits(bits, "bitsieve::quantization_scale");
  if (x.empty()) throw invalid_argument("bitsieve::quantization_scale: " + std::string(what) + " is empty");
  detail::check_finite(x, "bitsieve::quantization_scale", what);
  double m = 0.0;
  for (const T& v : x) m = std::max(m, std::fabs(static_cast<double>(v)));
  return m == 0.0 ? 1.0 : m / static_cast<double>(qmax_for_bits(bits));
}

/// One element with a given scale: clamp(rint(x / scale), -qmax, qmax), half to even.
/// Sets `saturated` when the rounded value lay outside +-qmax.
[[nodiscard]] inline std::int32_t quantize_value(double x, double scale, std::int32_t qmax,
                                                 bool& saturated) noexcept {
  const double r = std::nearbyint(x / scale);  // default rounding mode: to nearest, ties to even
  saturated = r > qmax || r < -qmax;
  return static_cast<std::int32_t>(std::clamp(r, -static_cast<double>(qmax), static_cast<double>(qmax)));
}

/// Quantizes `x` with a fixed `scale` (for a KV cache whose scale is fixed up front); values beyond
/// +-qmax saturate and are counted in `saturated`.
/// Throws invalid_argument (bits outside 2..16, scale not positive and finite) or domain_error.
template <class T>
[[nodiscard]] quantized quantize_with_scale(std::span<const T> x, int bits, double scale,
                                            std::string_view what = "x") {
  detail::check_bits(bits, "bitsieve::quantize_with_scale");
  if (!(scale > 0.0) || !std::isfinite(scale)) {
    throw invalid_argument("bitsieve::quantize_with_scale: scale must be positive and finite, got " +
                           std::to_string(scale));
  }
  detail::check_finite(x, "bitsieve::quantize_with_scale", what);
  quantized out;
  out.scale = scale;
  out.values.resize(x.size());
  const std::int32_t qmax = qmax_for_bits(bits);
  for (std::size_t i = 0; i < x.size(); ++i) {
    bool sat = false;
    out.values[i] = quantize_value(static_cast<double>(x[i]), scale, qmax, sat);
    out.saturated += sat ? 1U : 0U;
  }
  return out;
}

/// Quantizes the tensor `x` with its own per-tensor scale (DESIGN.md §2).
/// Throws invalid_argument (empty, bits outside 2..16) or domain_error (NaN/Inf), naming `what`.
template <class T>
[[nodiscard]] quantized quantize(std::span<const T> x, int bits, std::string_view what = "x") {
  const double scale = quantization_scale(x, bits, what);
  return quantize_with_scale(x, bits, scale, what);
}

}  // namespace bitsieve
