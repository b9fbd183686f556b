// SPDX-License-Identifier: Apache-2.0
/// \file simd/dispatch.hpp
/// `detail::plane_scorer`: scores block planes for one query with the best path compiled in:
/// AVX2 byte shuffles (simd/avx2.hpp) when BITSIEVE_HAS_AVX2 and the query's tables fit int16,
/// else the portable scalar tables (simd/scalar.hpp). Every path returns exactly the scalar
/// reference's integers (tested). Static dispatch: compile with -mavx2 (or -march=native on an
/// AVX2 machine) to get the AVX2 path; define BITSIEVE_HAS_AVX2=0 to force scalar.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "bitsieve/config.hpp"
#include "bitsieve/simd/avx2.hpp"
#include "bitsieve/simd/scalar.hpp"

namespace bitsieve::detail {

class plane_scorer {
 public:
  void build(std::span<const std::int32_t> q, std::size_t dim_groups) {
    scalar_.build(q, dim_groups);
#if BITSIEVE_HAS_AVX2
    avx2_.build(scalar_);
#endif
  }
  /// True when score_block runs the AVX2 path.
  [[nodiscard]] bool vectorized() const noexcept {
#if BITSIEVE_HAS_AVX2
    return avx2_.usable();
#else
    return false;
#endif
  }
  void score_block(const std::uint8_t* plane, std::int32_t* dot) const noexcept {
#if BITSIEVE_HAS_AVX2
    if (avx2_.usable()) {
      avx2_.score_block(plane, dot);
      return;
    }
#endif
    scalar_.score_block(plane, dot);
  }
  [[nodiscard]] std::int32_t score_token(const std::uint8_t* plane, std::size_t t) const noexcept {
    return scalar_.score_token(plane, t);
  }
  [[nodiscard]] std::int32_t lookup(std::size_t g, unsigned b) const noexcept { return scalar_.lookup(g, b); }
  [[nodiscard]] const nibble_tables& scalar() const noexcept { return scalar_; }

 private:
  nibble_tables scalar_;
#if BITSIEVE_HAS_AVX2
  avx2_tables avx2_;
#endif
};

}  // namespace bitsieve::detail
