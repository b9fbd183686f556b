// SPDX-License-Identifier: Apache-2.0
/// \file tests/support/bundles.hpp
/// Policy bundles the tests run (the presets plus one-alias overrides, as a user would write
/// them), the threshold instances they use, and a compile-time loop over type lists.
#pragma once

#include <bitsieve/kernel/policies.hpp>
#include <bitsieve/kernel/sparse_attention.hpp>
#include <bitsieve/schedule/lockstep.hpp>
#include <bitsieve/schedule/out_of_order.hpp>
#include <bitsieve/threshold/dense.hpp>
#include <bitsieve/threshold/fixed.hpp>
#include <bitsieve/threshold/lats.hpp>
#include <bitsieve/threshold/mass_budget.hpp>
#include <bitsieve/threshold/top_k.hpp>
#include <bitsieve/tile/head_tail.hpp>
#include <bitsieve/tile/interleaved.hpp>
#include <bitsieve/tile/sequential.hpp>

#include <string>
#include <type_traits>

#include "support/golden_model.hpp"

namespace bitsieve_test {

template <class... Ts>
struct type_list {};

/// Calls f.template operator()<T>() for every T of the list.
template <class... Ts, class Fn>
void for_each_type(type_list<Ts...> /*types*/, Fn&& f) {
  (f.template operator()<Ts>(), ...);
}

/// `Base` with its threshold replaced (the way DESIGN.md §3 says a user overrides one alias).
template <class Base, class Threshold>
struct with_threshold : Base {
  using threshold_policy = Threshold;
};

/// A bundle built from every policy (the format's width is also the query width).
template <class Format, class Threshold, class Schedule, class Tile>
struct bundle : bitsieve::default_policies {
  using format_policy = Format;
  using threshold_policy = Threshold;
  using schedule_policy = Schedule;
  using tile_policy = Tile;
  static constexpr int query_bits = Format::bits;
};

/// The threshold instance the tests use for each rule (the papers' defaults where they exist).
template <class T>
T test_threshold() {
  if constexpr (std::is_same_v<T, bitsieve::threshold::lats>) {
    return bitsieve::threshold::lats{.alpha = 0.6, .radius = 5.0};
  } else if constexpr (std::is_same_v<T, bitsieve::threshold::mass_budget>) {
    return bitsieve::threshold::mass_budget{.delta = 0.01};
  } else if constexpr (std::is_same_v<T, bitsieve::threshold::top_k>) {
    return bitsieve::threshold::top_k{.k = 8};
  } else if constexpr (std::is_same_v<T, bitsieve::threshold::fixed>) {
    return bitsieve::threshold::fixed{.tau = -1.0};
  } else {
    return T{};
  }
}

/// The same rule for the golden model.
template <class T>
model_rule model_rule_of(const T& t) {
  model_rule r;
  if constexpr (std::is_same_v<T, bitsieve::threshold::lats>) {
    r.kind = rule_kind::lats;
    r.alpha = t.alpha;
    r.radius = t.radius;
  } else if constexpr (std::is_same_v<T, bitsieve::threshold::fixed>) {
    r.kind = rule_kind::fixed;
    r.tau = t.tau;
  } else if constexpr (std::is_same_v<T, bitsieve::threshold::top_k>) {
    r.kind = rule_kind::top_k;
    r.k = t.k;
  } else {
    static_assert(std::is_same_v<T, bitsieve::threshold::dense>, "the golden model has no such rule");
    r.kind = rule_kind::dense;
  }
  return r;
}

/// The tile kind of a tile policy type, for the golden model.
template <class T>
constexpr tile_kind tile_kind_of() {
  if constexpr (std::is_same_v<T, bitsieve::tile::sequential>) {
    return tile_kind::sequential;
  } else if constexpr (std::is_same_v<T, bitsieve::tile::interleaved>) {
    return tile_kind::interleaved;
  } else {
    return tile_kind::head_tail;
  }
}

using all_thresholds = type_list<bitsieve::threshold::lats, bitsieve::threshold::mass_budget, bitsieve::threshold::top_k,
                                 bitsieve::threshold::fixed, bitsieve::threshold::dense>;
using all_schedulers = type_list<bitsieve::schedule::lockstep, bitsieve::schedule::out_of_order<1>,
                                 bitsieve::schedule::out_of_order<8>, bitsieve::schedule::out_of_order<32>,
                                 bitsieve::schedule::out_of_order<32, true>>;
using all_tiles = type_list<bitsieve::tile::sequential, bitsieve::tile::interleaved, bitsieve::tile::head_tail<64>>;

/// Tile sizes the matrices cover: one tile, one block, two blocks, 100 (rounded up to 4 blocks),
/// and 8 blocks.
inline constexpr std::size_t tile_sizes[] = {0, 32, 64, 100, 256};

}  // namespace bitsieve_test
