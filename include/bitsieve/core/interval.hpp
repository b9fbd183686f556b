// SPDX-License-Identifier: Apache-2.0
/// \file core/interval.hpp
/// A closed integer interval [lo, hi] of attention scores (integer units: q_int . k_int).
#pragma once

#include <cstdint>

namespace bitsieve {

/// Integer score type: wide enough for 16-bit queries x 16-bit keys summed over 2^16 dims.
using score_t = std::int64_t;

/// Closed interval [lo, hi] of integer scores.
struct interval {
  score_t lo = 0;
  score_t hi = 0;
  [[nodiscard]] constexpr bool contains(score_t x) const noexcept { return lo <= x && x <= hi; }
  [[nodiscard]] constexpr score_t width() const noexcept { return hi - lo; }
  friend constexpr bool operator==(const interval&, const interval&) = default;
};

}  // namespace bitsieve
