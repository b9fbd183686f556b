// SPDX-License-Identifier: Apache-2.0
/// \file simd/scalar.hpp
/// Portable plane scoring by table lookup (the reference every SIMD path must match exactly).
///
/// For a query q (integers) and one plane of a 32-token block in plane_store layout, the score of
/// token t is q . k_t,plane = sum of q_i over the dimensions whose bit is set. Per 4-dimension group
/// j, a 16-entry table holds tab[j][n] = sum_{i<4, bit i of n} q[4j + i]; each byte of the plane
/// holds two nibbles (groups 2g and 2g+1), so a token's plane score is a sum of 2 * dim_groups
/// table lookups, exact in integers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace bitsieve::detail {

inline constexpr std::size_t block_tokens = 32;

/// Per-query lookup tables: (2 * dim_groups, 16) int32 entries.
struct nibble_tables {
  std::vector<std::int32_t> tab;
  std::size_t dim_groups = 0;

  /// Builds the tables of `q` (head_dim elements; padded dimensions count as 0).
  void build(std::span<const std::int32_t> q, std::size_t groups) {
    dim_groups = groups;
    tab.assign(groups * 2 * 16, 0);
    for (std::size_t j = 0; j < groups * 2; ++j) {
      std::int32_t* t = tab.data() + j * 16;
      // t[n] = t[n without its highest bit] + q[that bit's dimension]: 15 additions a table
      for (unsigned i = 0; i < 4; ++i) {
        const std::size_t dim = j * 4 + i;
        const std::int32_t qi = dim < q.size() ? q[dim] : 0;
        const unsigned bit = 1U << i;
        for (unsigned n = 0; n < bit; ++n) t[bit + n] = t[n] + qi;
      }
    }
  }

  /// Sum of the two table entries byte `b` of dimension group g selects.
  [[nodiscard]] std::int32_t lookup(std::size_t g, unsigned b) const noexcept {
    return tab[g * 32 + (b & 15U)] + tab[g * 32 + 16 + (b >> 4)];
  }

  /// Plane score of token t (0..31) of a block plane.
  [[nodiscard]] std::int32_t score_token(const std::uint8_t* plane, std::size_t t) const noexcept {
    std::int32_t s = 0;
    const std::int32_t* tb = tab.data();
    for (std::size_t g = 0; g < dim_groups; ++g, tb += 32) {
      const unsigned b = plane[g * block_tokens + t];
      s += tb[b & 15U] + tb[16 + (b >> 4)];
    }
    return s;
  }

  /// Plane scores of all 32 tokens of a block plane.
  void score_block(const std::uint8_t* plane, std::int32_t* dot) const noexcept {
    for (std::size_t t = 0; t < block_tokens; ++t) dot[t] = 0;
    const std::int32_t* tb = tab.data();
    for (std::size_t g = 0; g < dim_groups; ++g, tb += 32, plane += block_tokens) {
      for (std::size_t t = 0; t < block_tokens; ++t) {
        const unsigned b = plane[t];
        dot[t] += tb[b & 15U] + tb[16 + (b >> 4)];
      }
    }
  }
};

/// Number of set bits of token t (0..31) in a block plane (the active bits of an AND tree).
[[nodiscard]] inline int popcount_token(const std::uint8_t* plane, std::size_t dim_groups, std::size_t t) noexcept {
  int n = 0;
  for (std::size_t g = 0; g < dim_groups; ++g) n += __builtin_popcount(plane[g * block_tokens + t]);
  return n;
}

}  // namespace bitsieve::detail
