// SPDX-License-Identifier: Apache-2.0
/// \file tile/interleaved.hpp
/// `tile::interleaved`: key tiles in bit-reversed index order (0, n/2, n/4, 3n/4, ...), so the first
/// tiles visited sample the whole sequence; see tile/concept.hpp.
#pragma once

#include "bitsieve/tile/concept.hpp"

namespace bitsieve::tile {

struct interleaved {
  using policy_category = tile_policy_tag;
  std::size_t tile_size = 256;  ///< tokens per tile (0: one tile)

  [[nodiscard]] std::vector<std::size_t> order(std::size_t n_tiles) const {
    std::size_t bits = 0;
    while ((std::size_t{1} << bits) < n_tiles) ++bits;
    std::vector<std::size_t> o;
    o.reserve(n_tiles);
    for (std::size_t i = 0; i < (std::size_t{1} << bits); ++i) {
      std::size_t r = 0;
      for (std::size_t b = 0; b < bits; ++b) r |= ((i >> b) & 1U) << (bits - 1 - b);
      if (r < n_tiles) o.push_back(r);
    }
    return o;
  }
};

}  // namespace bitsieve::tile
