// SPDX-License-Identifier: Apache-2.0
/// \file schedule/lockstep.hpp
/// `schedule::lockstep`: lock-step rounds; see schedule/concept.hpp.
#pragma once

#include "bitsieve/schedule/concept.hpp"

namespace bitsieve::schedule {

struct lockstep {
  using policy_category = schedule_policy_tag;
  static constexpr int lanes = 0;
  static constexpr bool bidirectional = false;
};

}  // namespace bitsieve::schedule
