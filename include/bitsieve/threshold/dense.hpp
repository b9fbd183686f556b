// SPDX-License-Identifier: Apache-2.0
/// \file threshold/dense.hpp
/// `threshold::dense{}`: never drop; every plane of every key is read (the baseline the others are
/// compared to; with it the kernel is exact attention on the quantized inputs).
#pragma once

#include "bitsieve/threshold/concept.hpp"

namespace bitsieve::threshold {

struct dense {
  using policy_category = threshold_policy_tag;
  static constexpr bool needs_z_lower = false;
  static constexpr bool is_certified = true;

  [[nodiscard]] std::size_t kth() const noexcept { return 0; }
  [[nodiscard]] status validate() const { return status::success(); }
  [[nodiscard]] score_t cutoff(const round_state& /*unused*/) const noexcept { return detail::score_min; }
};

}  // namespace bitsieve::threshold
