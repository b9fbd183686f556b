// SPDX-License-Identifier: Apache-2.0
/// \file schedule/concept.hpp
/// The SchedulerPolicy concept: the order in which (key, plane) work is done within a tile.
///
/// Models:
/// - `schedule::lockstep`: round r reads plane r of every live key of the tile, then the threshold
///   is applied to all of them (the golden model hardware designers compare RTL against, with one
///   tile). Fast on CPU: a plane of a block is scored for 32 keys at once.
/// - `schedule::out_of_order<Lanes, Bidirectional>` (BitStopper BAP, PADE BS-OOE): the tile's keys
///   are dealt round-robin to `Lanes` lanes (key i -> lane i % Lanes); each lane takes its keys one
///   after another, plane by plane, and a key is tested against the running state right after each
///   of its planes. Events happen in a fixed order: step by step, lanes 0 .. Lanes-1 in turn, and
///   every event sees the state left by the ones before it, so results repeat exactly.
///   `Bidirectional` (PADE) counts active bits as min(ones, zeros) per key plane (the same result
///   by q.k_p = sum(q) - sum over zero bits, with fewer active elements).
#pragma once

#include <concepts>

namespace bitsieve {

struct schedule_policy_tag {};

template <class S>
concept SchedulerPolicy = std::derived_from<typename S::policy_category, schedule_policy_tag> && requires {
  { S::lanes } -> std::convertible_to<int>;  // 0 = lock-step
  { S::bidirectional } -> std::convertible_to<bool>;
};

}  // namespace bitsieve
