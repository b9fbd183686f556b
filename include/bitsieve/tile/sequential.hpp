// SPDX-License-Identifier: Apache-2.0
/// \file tile/sequential.hpp
/// `tile::sequential`: key tiles in index order; see tile/concept.hpp.
#pragma once

#include <numeric>

#include "bitsieve/tile/concept.hpp"

namespace bitsieve::tile {

struct sequential {
  using policy_category = tile_policy_tag;
  std::size_t tile_size = 0;  ///< tokens per tile (0: one tile)

  [[nodiscard]] std::vector<std::size_t> order(std::size_t n_tiles) const {
    std::vector<std::size_t> o(n_tiles);
    std::iota(o.begin(), o.end(), std::size_t{0});
    return o;
  }
};

}  // namespace bitsieve::tile
