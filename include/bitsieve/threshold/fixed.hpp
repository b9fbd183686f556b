// SPDX-License-Identifier: Apache-2.0
/// \file threshold/fixed.hpp
/// `threshold::fixed{tau}`: a static logit threshold (Sanger-style): drop when c U_j < tau.
/// It ignores the other keys, so it can drop every key of a query (the output is then zero and the
/// reported dropped-mass bound is 1).
#pragma once

#include <cmath>
#include <string>

#include "bitsieve/threshold/concept.hpp"

namespace bitsieve::threshold {

struct fixed {
  using policy_category = threshold_policy_tag;
  static constexpr bool needs_z_lower = false;
  static constexpr bool is_certified = false;

  double tau = 0.0;  ///< logit threshold

  [[nodiscard]] std::size_t kth() const noexcept { return 0; }
  [[nodiscard]] status validate() const {
    if (!std::isfinite(tau)) return status::failure("bitsieve::threshold::fixed: tau must be finite");
    return status::success();
  }
  [[nodiscard]] score_t cutoff(const round_state& s) const noexcept {
    return detail::integer_cut(s.logit_scale, tau, false);
  }
};

}  // namespace bitsieve::threshold
