// SPDX-License-Identifier: Apache-2.0
/// \file threshold/mass_budget.hpp
/// `threshold::mass_budget{delta}`: a certified rule (bitsieve's own; no paper has it). The kernel
/// keeps Z_L, a running lower bound of the softmax denominator (sum over keys seen of e^(c L_j)),
/// and the dropped weight so far D (sum over dropped keys of e^(c U_j), rounded up).
///
/// Pooled budget (the default, `pooled = true`): the budget delta * Z_L * seen / n of the keys seen
/// so far, less what was already spent, is shared equally among the keys still live; key j is
/// dropped as soon as
///     e^(c U_j) <= (delta * Z_L * seen / n - D) / live.
/// A decision point's drops then spend at most what is left, so D <= delta * Z_L * seen / n <=
/// delta * Z at every moment: the dropped probability mass is <= delta whatever the distribution and
/// the sequence length. Survivors and keys dropped well below their allowance leave their share to
/// the keys still undecided, so the allowance grows as keys are decided.
///
/// After the last plane (lock-step scheduler), when scores are exact, what is left of the pooled
/// budget goes to dropping the smallest live keys, one after the other, while their exact weights
/// fit: those keys' value rows are not read (`exact_drop_budget`).
///
/// Uniform shares (`pooled = false`, the first rule, DESIGN.md §2): each of the n keys gets an
/// equal share, dropped as soon as e^(c U_j) <= delta * Z_L / n. Also certified, but the share of
/// every survivor is never used, so it keeps more keys.
///
/// A fixed margin (lats) has no such guarantee: n keys just below it can outweigh the best key.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>

#include "bitsieve/threshold/concept.hpp"

namespace bitsieve::threshold {

struct mass_budget {
  using policy_category = threshold_policy_tag;
  static constexpr bool needs_z_lower = true;
  static constexpr bool is_certified = true;

  double delta = 0.01;  ///< the largest probability mass the dropped keys may hold together
  bool pooled = true;   ///< share the unspent budget among the live keys (false: uniform shares)

  [[nodiscard]] std::size_t kth() const noexcept { return 0; }
  [[nodiscard]] status validate() const {
    if (!(delta > 0.0 && delta < 1.0)) {
      return status::failure("bitsieve::threshold::mass_budget: delta must be in (0, 1), got " +
                             std::to_string(delta));
    }
    return status::success();
  }
  /// After the last plane, when the live keys' scores are exact: what the kernel may still spend,
  /// relative to e^(c M), on dropping live keys smallest first (the pooled budget left; 0 with
  /// uniform shares). Lock-step only: a key dropped there saves its value row.
  [[nodiscard]] double exact_drop_budget(const round_state& s) const noexcept {
    if (!pooled || s.spent_overflow || !(s.z_lower > 0.0) || s.n_keys == 0) return 0.0;
    const double left = pooled_left(s);
    return left > 0.0 ? left : 0.0;
  }

  /// Drop iff c (U - M) <= log(a) with a the allowance (above, relative to e^(c M)) and delta' =
  /// delta (1 - 1e-4) in place of delta (a margin for the rounding of the running sums, so the
  /// kernel's reported bound also stays <= delta) <=> U < M + t, t the smallest integer with
  /// c t > log(a). No cutoff while nothing is known, or when the budget is used up.
  [[nodiscard]] score_t cutoff(const round_state& s) const noexcept {
    if (s.max_lower == detail::score_min || !(s.z_lower > 0.0) || s.n_keys == 0) return detail::score_min;
    double allowance = budget(s) / static_cast<double>(s.n_keys);
    if (pooled && s.live_keys > 0) {
      if (s.spent_overflow) return detail::score_min;
      const double left = pooled_left(s);
      if (!(left > 0.0)) return detail::score_min;
      allowance = left / static_cast<double>(s.live_keys);
    }
    return detail::saturating_add(s.max_lower, detail::integer_cut(s.logit_scale, std::log(allowance), true));
  }

 private:
  /// delta' Z_L, the whole query's budget relative to e^(c M).
  [[nodiscard]] double budget(const round_state& s) const noexcept { return delta * (1.0 - 1e-4) * s.z_lower; }
  /// The budget of the keys seen so far less what was spent: delta' Z_L seen / n - D.
  [[nodiscard]] double pooled_left(const round_state& s) const noexcept {
    const std::size_t seen = s.seen_keys == 0 ? s.n_keys : std::min(s.seen_keys, s.n_keys);
    return budget(s) * (static_cast<double>(seen) / static_cast<double>(s.n_keys)) - s.spent;
  }
};

}  // namespace bitsieve::threshold
