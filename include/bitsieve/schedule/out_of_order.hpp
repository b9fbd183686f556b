// SPDX-License-Identifier: Apache-2.0
/// \file schedule/out_of_order.hpp
/// `schedule::out_of_order<Lanes, Bidirectional>`: bit-level asynchronous processing (BitStopper
/// BAP, PADE BS-OOE); see schedule/concept.hpp for the exact, deterministic event order.
#pragma once

#include "bitsieve/schedule/concept.hpp"

namespace bitsieve::schedule {

template <int Lanes, bool Bidirectional = false>
struct out_of_order {
  static_assert(Lanes >= 1 && Lanes <= 4096, "bitsieve: out_of_order<Lanes> needs 1 <= Lanes <= 4096");
  using policy_category = schedule_policy_tag;
  static constexpr int lanes = Lanes;
  static constexpr bool bidirectional = Bidirectional;
};

}  // namespace bitsieve::schedule
