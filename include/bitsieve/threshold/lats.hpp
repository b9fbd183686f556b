// SPDX-License-Identifier: Apache-2.0
/// \file threshold/lats.hpp
/// `threshold::lats`: lightweight adaptive token selection (BitStopper LATS, Eq. 3; PADE BUI-GF,
/// Eq. 4). A key is dropped after a plane when c (U_j - M) < -alpha * radius: its weight is then
/// provably below e^-(alpha radius) times the weight of the best key. Not certified: n keys each
/// just under the margin can together hold much of the mass (DESIGN.md §8).
#pragma once

#include <cmath>
#include <string>

#include "bitsieve/threshold/concept.hpp"

namespace bitsieve::threshold {

struct lats {
  using policy_category = threshold_policy_tag;
  static constexpr bool needs_z_lower = false;
  static constexpr bool is_certified = false;

  double alpha = 0.6;   ///< BitStopper's knee (REFERENCE.md §1.3)
  double radius = 5.0;  ///< PADE's default radius, logit units (REFERENCE.md §2.2)

  [[nodiscard]] double margin() const noexcept { return alpha * radius; }
  [[nodiscard]] std::size_t kth() const noexcept { return 0; }
  [[nodiscard]] status validate() const {
    if (!std::isfinite(alpha) || !std::isfinite(radius) || alpha < 0.0 || radius < 0.0) {
      return status::failure("bitsieve::threshold::lats: alpha and radius must be finite and >= 0, got alpha " +
                             std::to_string(alpha) + ", radius " + std::to_string(radius));
    }
    return status::success();
  }
  /// Drop iff c (U - M) < -margin  <=>  U < M + t with t the smallest integer with c t >= -margin.
  [[nodiscard]] score_t cutoff(const round_state& s) const noexcept {
    if (s.max_lower == detail::score_min) return detail::score_min;
    return detail::saturating_add(s.max_lower, detail::integer_cut(s.logit_scale, -margin(), false));
  }
};

}  // namespace bitsieve::threshold
