// SPDX-License-Identifier: Apache-2.0
/// \file threshold/top_k.hpp
/// `threshold::top_k{k}`: drop key j when U_j is below the k-th largest lower bound seen: then k
/// other keys certainly score higher, so j is not in the top k. The kept set is a superset of the
/// true top k (ties included).
#pragma once

#include <string>

#include "bitsieve/threshold/concept.hpp"

namespace bitsieve::threshold {

struct top_k {
  using policy_category = threshold_policy_tag;
  static constexpr bool needs_z_lower = false;
  static constexpr bool is_certified = false;

  std::size_t k = 32;

  [[nodiscard]] std::size_t kth() const noexcept { return k; }
  [[nodiscard]] status validate() const {
    if (k == 0) return status::failure("bitsieve::threshold::top_k: k must be >= 1");
    return status::success();
  }
  [[nodiscard]] score_t cutoff(const round_state& s) const noexcept { return s.kth_lower; }
};

}  // namespace bitsieve::threshold
