// SPDX-License-Identifier: Apache-2.0
/// \file tile/head_tail.hpp
/// `tile::head_tail<Sink>` (PADE ISTA head-tail interleaving): first the tiles that hold the first
/// `sink` tokens (attention sinks; `Sink` is the default of the run-time member `sink`), then the remaining tiles from the most recent back to the
/// oldest; see tile/concept.hpp.
#pragma once

#include <algorithm>

#include "bitsieve/tile/concept.hpp"

namespace bitsieve::tile {

template <std::size_t Sink = 64>
struct head_tail {
  using policy_category = tile_policy_tag;
  static constexpr std::size_t sink_tokens = Sink;
  std::size_t tile_size = 256;  ///< tokens per tile (0: one tile); rounded up to 32-token blocks
  std::size_t sink = Sink;      ///< tokens visited first (the attention sinks)

  [[nodiscard]] std::vector<std::size_t> order(std::size_t n_tiles) const {
    std::vector<std::size_t> o;
    o.reserve(n_tiles);
    const std::size_t ts = (tile_size + 31) / 32 * 32;  // the kernel's tile: whole 32-token blocks
    const std::size_t head = ts == 0 ? n_tiles : std::min(n_tiles, (sink + ts - 1) / ts);
    for (std::size_t i = 0; i < head; ++i) o.push_back(i);
    for (std::size_t i = n_tiles; i > head; --i) o.push_back(i - 1);
    return o;
  }
};

}  // namespace bitsieve::tile
