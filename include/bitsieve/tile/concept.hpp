// SPDX-License-Identifier: Apache-2.0
/// \file tile/concept.hpp
/// The TilePolicy concept: the order in which key tiles are visited. A tile is `tile_size` tokens
/// (rounded up to whole 32-token storage blocks; 0 = the whole sequence is one tile). Every tile
/// is visited exactly once; the running maximum M and the softmax state carry across tiles
/// (PADE Eq. 7: a tile-local threshold never drops a key the global one would keep).
///
/// Models:
/// - `tile::sequential`: tiles in index order.
/// - `tile::interleaved`: tiles in bit-reversed index order, so early tiles sample the whole
///   sequence.
/// - `tile::head_tail<Sink>` (PADE ISTA): the tiles holding the first `Sink` tokens, then the
///   rest from the most recent back to the oldest, so M is large early.
#pragma once

#include <concepts>
#include <cstddef>
#include <vector>

namespace bitsieve {

struct tile_policy_tag {};

template <class T>
concept TilePolicy = std::derived_from<typename T::policy_category, tile_policy_tag> &&
                     requires(const T& t, std::size_t n) {
                       { t.tile_size } -> std::convertible_to<std::size_t>;
                       { t.order(n) } -> std::same_as<std::vector<std::size_t>>;  // n tiles -> visit order
                     };

}  // namespace bitsieve
