// SPDX-License-Identifier: Apache-2.0
/// \file model/iso_accuracy.hpp
/// How many keys a predictor-based design must keep to match the accuracy of the exact-bound
/// design (the mechanism behind "stage-splitting predictors are inaccurate", REFERENCE.md §1.2-1.3).
///
/// Model: over the keys of one row, logits are Gaussian with std sigma_L. The exact design keeps
/// the keys above a cut, a fraction kappa = Q(x) of them (Q = the standard normal tail, x the cut
/// in units of sigma_L). A predictor estimates each logit with an error of std sigma * sigma_L
/// (`sigma` = its relative error); to keep (almost) every key the exact design keeps, it must lower
/// its cut by z * sigma * sigma_L, and so keeps Q(x - z sigma). sigma_L and the row length cancel.
#pragma once

#include <cmath>
#include <numbers>

#include "bitsieve/model/calibration.hpp"

namespace bitsieve::model {

/// Standard normal upper tail Q(x) = P(X > x).
[[nodiscard]] inline double normal_tail(double x) noexcept { return 0.5 * std::erfc(x / std::numbers::sqrt2); }

/// x with Q(x) = p, for p in (0, 1) (bisection; Q is strictly decreasing).
[[nodiscard]] inline double normal_tail_inverse(double p) noexcept {
  double lo = -40.0;
  double hi = 40.0;
  for (int it = 0; it < 200; ++it) {
    const double mid = 0.5 * (lo + hi);
    (normal_tail(mid) > p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

/// Relative score error of symmetric per-tensor quantisation of q to `q_bits` and k to `k_bits`
/// (0 = that operand exact): each element's error is uniform with step clip * sigma / qmax, so the
/// dot-product error over the logit std is sqrt(sum over quantised operands of (clip/qmax)^2 / 12).
[[nodiscard]] inline double quantization_error(int q_bits, int k_bits,
                                               double clip = calibration::clip_sigmas) noexcept {
  auto term = [clip](int bits) {
    if (bits <= 0) return 0.0;
    const double qmax = std::ldexp(1.0, bits - 1) - 1.0;
    const double step = clip / (qmax < 1.0 ? 1.0 : qmax);
    return step * step / 12.0;
  };
  return std::sqrt(term(q_bits) + term(k_bits));
}

/// Relative error of a log-domain (leading-one) product estimate, corrected by its mean: with
/// mantissas log-uniform on [1, 2), the product's mantissa m1 m2 has E = 1/ln^2 2 and
/// E[(m1 m2)^2] = (3 / (2 ln 2))^2, so its coefficient of variation is sqrt(9 ln^2 2 / 4 - 1)
/// (about 0.285); with independent terms the dot product keeps that relative error.
[[nodiscard]] inline double log_domain_error() noexcept {
  const double l = std::numbers::ln2;
  return std::sqrt(9.0 * l * l / 4.0 - 1.0);
}

/// The fraction a design with relative score error `sigma` keeps to match an exact design that
/// keeps `kept_exact` (see the file comment): Q(Q^-1(kept_exact) - z sigma).
[[nodiscard]] inline double iso_accuracy_kept(double kept_exact, double sigma,
                                              double z = calibration::iso_accuracy_z) noexcept {
  if (kept_exact <= 0.0) return 0.0;
  if (kept_exact >= 1.0) return 1.0;
  return normal_tail(normal_tail_inverse(kept_exact) - z * sigma);
}

/// The fraction a fixed top-k design keeps when the fraction an adaptive rule would keep varies
/// from row to row (or tile to tile): log-normal with log-std `spread` and mean `kept_mean`; k is
/// sized so that a fraction `coverage` of the rows get all the keys they need:
/// kept_mean * exp(spread * Q^-1(1 - coverage) - spread^2 / 2), at most 1.
[[nodiscard]] inline double fixed_topk_kept(double kept_mean, double spread = calibration::topk_spread,
                                            double coverage = calibration::topk_coverage) noexcept {
  if (kept_mean <= 0.0) return 0.0;
  const double z = normal_tail_inverse(1.0 - coverage);
  const double k = kept_mean * std::exp(spread * z - 0.5 * spread * spread);
  return k < 1.0 ? k : 1.0;
}

}  // namespace bitsieve::model
