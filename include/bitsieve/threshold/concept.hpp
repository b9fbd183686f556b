// SPDX-License-Identifier: Apache-2.0
/// \file threshold/concept.hpp
/// The ThresholdPolicy concept: after every plane, which keys are dropped.
///
/// A key j is dropped after a plane when its integer upper bound U_j < cutoff(state). All rules are
/// stated in logit units (c = scale_q * scale_k * softmax_scale turns an integer score into a
/// logit), so they mean the same at any bit width (DESIGN.md §2). Models:
/// - `threshold::lats{alpha, radius}`: BitStopper's LATS (lightweight adaptive token selection,
///   BitStopper Eq. 3) = PADE's BUI-GF (PADE Eq. 4): drop when c (U_j - M) < -alpha * radius, M the
///   largest lower bound seen. The papers' rule; defaults alpha 0.6, radius 5.
/// - `threshold::mass_budget{delta}`: certified; the dropped probability mass is <= delta for any
///   distribution and sequence length (bitsieve's own rule).
/// - `threshold::top_k{k}`: drop when U_j is below the k-th largest lower bound (keeps a superset
///   of the true top k).
/// - `threshold::fixed{tau}`: drop when c U_j < tau (a static logit threshold, Sanger-style).
/// - `threshold::dense{}`: never drop (the baseline).
/// A user policy opts in with `using policy_category = bitsieve::threshold_policy_tag;` and provides
/// the members below. Optionally it also provides `double exact_drop_budget(const round_state&)`:
/// the weight (relative to e^(c M)) the lock-step kernel may spend after a tile's last plane on
/// dropping live keys smallest exact score first (mass_budget does; 0 or absent: no such drops).
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <limits>

#include "bitsieve/core/error.hpp"
#include "bitsieve/core/interval.hpp"

namespace bitsieve {

struct threshold_policy_tag {};

/// What the kernel knows about one query when it asks for a cutoff (after a plane).
struct round_state {
  /// M: the largest lower bound seen for this query so far (all keys, rounds and tiles).
  score_t max_lower = std::numeric_limits<score_t>::min();
  /// c: integer score -> logit.
  double logit_scale = 1.0;
  /// A lower bound of the softmax denominator relative to M: sum over some keys seen of
  /// e^(c (L_j - M)) (only maintained when the policy sets needs_z_lower).
  double z_lower = 0.0;
  /// Keys this query attends (n).
  std::size_t n_keys = 0;
  /// Keys still undecided at this decision point: the live keys of the tile being processed (0:
  /// not reported; mass_budget then falls back to its uniform shares).
  std::size_t live_keys = 0;
  /// Keys this query (or this thread's part of it) has seen so far, decided or live (0: n_keys).
  std::size_t seen_keys = 0;
  /// Weight already dropped, relative to M: sum over dropped keys of e^(c (U_j - M)), rounded up
  /// (the numerator of the reported dropped-mass bound); `spent_overflow` when it exceeded a double.
  double spent = 0.0;
  bool spent_overflow = false;
  /// The k-th largest lower bound over distinct keys seen (only when kth() > 0; the minimum score
  /// while fewer than k keys were seen).
  score_t kth_lower = std::numeric_limits<score_t>::min();
};

template <class T>
concept ThresholdPolicy = std::derived_from<typename T::policy_category, threshold_policy_tag> &&
                          std::is_nothrow_copy_constructible_v<T> &&
                          requires(const T& t, const round_state& s) {
                            { t.cutoff(s) } -> std::same_as<score_t>;
                            { t.validate() } -> std::same_as<status>;
                            { t.kth() } -> std::convertible_to<std::size_t>;
                            { T::needs_z_lower } -> std::convertible_to<bool>;
                            { T::is_certified } -> std::convertible_to<bool>;
                          };

namespace detail {
inline constexpr score_t score_min = std::numeric_limits<score_t>::min();
inline constexpr score_t score_max = std::numeric_limits<score_t>::max();

/// The smallest integer x with c * x >= bound (strict = false) or c * x > bound (strict = true),
/// evaluated exactly as written in double (c > 0). Saturates to the score range.
[[nodiscard]] inline score_t integer_cut(double c, double bound, bool strict) noexcept {
  const auto ok = [&](double x) { return strict ? c * x > bound : c * x >= bound; };
  const double guess = std::ceil(bound / c);
  if (!(guess > -9.0e15)) return score_min / 4;
  if (!(guess < 9.0e15)) return score_max / 4;
  auto x = static_cast<score_t>(guess);
  while (!ok(static_cast<double>(x))) ++x;
  while (ok(static_cast<double>(x - 1))) --x;
  return x;
}

/// a + b clamped to the score range (no signed overflow).
[[nodiscard]] constexpr score_t saturating_add(score_t a, score_t b) noexcept {
  if (b > 0 && a > score_max - b) return score_max;
  if (b < 0 && a < score_min - b) return score_min;
  return a + b;
}
}  // namespace detail
}  // namespace bitsieve
