// SPDX-License-Identifier: Apache-2.0
/// \file threshold/mass_budget.hpp
/// `threshold::mass_budget{delta}`: a certified rule (bitsieve's own; no paper has it). The kernel
/// keeps Z_L, a running lower bound of the softmax denominator (sum over keys seen of e^(c L_j)),
/// and gives each of the query's n keys an equal share of the budget: key j is dropped as soon as
///     e^(c U_j) <= delta * Z_L / n.
/// Every dropped key then weighs at most delta / n of the true denominator Z >= Z_L, so the
/// dropped probability mass is <= delta whatever the distribution and the sequence length. A
/// fixed margin (lats) has no such guarantee: n keys just below it can outweigh the best key.
#pragma once

#include <cmath>
#include <string>

#include "bitsieve/threshold/concept.hpp"

namespace bitsieve::threshold {

struct mass_budget {
  using policy_category = threshold_policy_tag;
  static constexpr bool needs_z_lower = true;
  static constexpr bool is_certified = true;

  double delta = 0.01;  ///< the largest probability mass the dropped keys may hold together

  [[nodiscard]] std::size_t kth() const noexcept { return 0; }
  [[nodiscard]] status validate() const {
    if (!(delta > 0.0 && delta < 1.0)) {
      return status::failure("bitsieve::threshold::mass_budget: delta must be in (0, 1), got " +
                             std::to_string(delta));
    }
    return status::success();
  }
  /// Drop iff c (U - M) <= log(delta' z_lower / n) with delta' = delta (1 - 1e-4) (a margin for the
  /// rounding of the running sums, so the kernel's reported bound also stays <= delta)
  /// <=> U < M + t, t the smallest integer with c t > that log.
  [[nodiscard]] score_t cutoff(const round_state& s) const noexcept {
    if (s.max_lower == detail::score_min || !(s.z_lower > 0.0) || s.n_keys == 0) return detail::score_min;
    const double bound = std::log(delta * (1.0 - 1e-4) * s.z_lower / static_cast<double>(s.n_keys));
    return detail::saturating_add(s.max_lower, detail::integer_cut(s.logit_scale, bound, true));
  }
};

}  // namespace bitsieve::threshold
