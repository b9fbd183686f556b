// SPDX-License-Identifier: Apache-2.0
/// \file kernel/policies.hpp
/// Policy bundles: a struct of named policy aliases from which `sparse_attention` is assembled.
/// A user derives from a preset and overrides one alias:
///
///     struct my_policies : bitsieve::bitstopper_policies {
///       using tile_policy = bitsieve::tile::head_tail<64>;
///     };
///
/// Presets: `bitstopper_policies` (12-bit two's complement keys and queries, lats, out_of_order<32>,
/// sequential tiles) and `pade_policies` (8-bit, lats, out_of_order<128> bidirectional, head_tail).
/// `default_policies` is the fast CPU bundle (12-bit, lats, lockstep, sequential); `golden_policies`
/// is the golden model hardware designers compare against (lockstep, one tile).
#pragma once

#include <type_traits>

#include "bitsieve/format/concept.hpp"
#include "bitsieve/format/twos_complement.hpp"
#include "bitsieve/margin/exact.hpp"
#include "bitsieve/schedule/concept.hpp"
#include "bitsieve/schedule/lockstep.hpp"
#include "bitsieve/schedule/out_of_order.hpp"
#include "bitsieve/threshold/concept.hpp"
#include "bitsieve/threshold/lats.hpp"
#include "bitsieve/tile/concept.hpp"
#include "bitsieve/tile/head_tail.hpp"
#include "bitsieve/tile/sequential.hpp"

namespace bitsieve {

struct default_policies {
  using format_policy = format::twos_complement<12>;
  using margin_policy = margin::exact;
  using threshold_policy = threshold::lats;
  using schedule_policy = schedule::lockstep;
  using tile_policy = tile::sequential;
  static constexpr int query_bits = 12;
};

struct golden_policies : default_policies {};

struct bitstopper_policies : default_policies {
  using schedule_policy = schedule::out_of_order<32>;
};

struct pade_policies : default_policies {
  using format_policy = format::twos_complement<8>;
  using schedule_policy = schedule::out_of_order<128, true>;
  using tile_policy = tile::head_tail<64>;
  static constexpr int query_bits = 8;
};

namespace detail {
/// Checks a policy bundle with one readable message per missing or wrong member.
template <class P>
constexpr bool check_policy_bundle() {
  if constexpr (!requires { typename P::format_policy; }) {
    static_assert(always_false<P>, "bitsieve: the policy bundle has no format_policy; derive it from bitsieve::default_policies");
    return false;
  } else if constexpr (!BitPlaneFormat<typename P::format_policy>) {
    static_assert(always_false<P>, "bitsieve: Policies::format_policy does not model BitPlaneFormat (use format::twos_complement<B> or format::sign_magnitude<B>)");
    return false;
  } else if constexpr (!requires { typename P::margin_policy; } || !MarginPolicy<typename P::margin_policy>) {
    static_assert(always_false<P>, "bitsieve: Policies::margin_policy does not model MarginPolicy (use margin::exact)");
    return false;
  } else if constexpr (!requires { typename P::threshold_policy; } || !ThresholdPolicy<typename P::threshold_policy>) {
    static_assert(always_false<P>, "bitsieve: Policies::threshold_policy does not model ThresholdPolicy (needs policy_category, cutoff(round_state), validate(), kth(), needs_z_lower, is_certified)");
    return false;
  } else if constexpr (!requires { typename P::schedule_policy; } || !SchedulerPolicy<typename P::schedule_policy>) {
    static_assert(always_false<P>, "bitsieve: Policies::schedule_policy does not model SchedulerPolicy (use schedule::lockstep or schedule::out_of_order<Lanes>)");
    return false;
  } else if constexpr (!requires { typename P::tile_policy; } || !TilePolicy<typename P::tile_policy>) {
    static_assert(always_false<P>, "bitsieve: Policies::tile_policy does not model TilePolicy (use tile::sequential, tile::interleaved or tile::head_tail<Sink>)");
    return false;
  } else if constexpr (!requires { P::query_bits; }) {
    static_assert(always_false<P>, "bitsieve: the policy bundle has no query_bits; derive it from bitsieve::default_policies");
    return false;
  } else {
    static_assert(P::query_bits >= 2 && P::query_bits <= 16, "bitsieve: Policies::query_bits must be in 2..16");
    return true;
  }
}
}  // namespace detail
}  // namespace bitsieve
