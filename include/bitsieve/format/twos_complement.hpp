// SPDX-License-Identifier: Apache-2.0
/// \file format/twos_complement.hpp
/// `format::twos_complement<B>`: B-bit two's complement keys split into B one-bit planes, MSB
/// (sign) first. k = -2^(B-1) b_{B-1} + sum_{p<B-1} 2^p b_p (DESIGN.md §2; BitStopper §III-B,
/// PADE Eq. 2). Plane r (r-th read) holds bit B-1-r.
#pragma once

#include <array>
#include <cstdint>

#include "bitsieve/format/concept.hpp"

namespace bitsieve::format {

template <int B>
struct twos_complement {
  static_assert(B >= 2 && B <= 16,
                "bitsieve: twos_complement<B> needs 2 <= B <= 16; choose a key width in that range "
                "(12 is BitStopper's, 8 is PADE's)");
  using policy_category = format_policy_tag;

  static constexpr int bits = B;
  static constexpr int planes = B;
  static constexpr bool is_sign_magnitude = false;
  static constexpr std::int32_t min_value = -(std::int32_t{1} << (B - 1));
  static constexpr std::int32_t max_value = (std::int32_t{1} << (B - 1)) - 1;

  /// Weight of plane r in the final value: -2^(B-1) for r = 0, 2^(B-1-r) otherwise.
  [[nodiscard]] static constexpr std::int64_t plane_weight(int r) noexcept {
    return r == 0 ? -(std::int64_t{1} << (B - 1)) : (std::int64_t{1} << (B - 1 - r));
  }

  /// Bit of `v` in plane r (0 or 1). Precondition: min_value <= v <= max_value.
  [[nodiscard]] static constexpr std::uint32_t bit(std::int32_t v, int r) noexcept {
    const auto u = static_cast<std::uint32_t>(v);  // modular: the low B bits are v's B-bit encoding
    return (u >> (B - 1 - r)) & 1U;
  }

  /// All B planes of `v`, plane 0 (sign) first.
  [[nodiscard]] static constexpr std::array<std::uint8_t, planes> decompose(std::int32_t v) noexcept {
    std::array<std::uint8_t, planes> out{};
    for (int r = 0; r < planes; ++r) out[static_cast<std::size_t>(r)] = static_cast<std::uint8_t>(bit(v, r));
    return out;
  }

  /// The value whose planes are `b` (inverse of decompose).
  [[nodiscard]] static constexpr std::int32_t compose(const std::array<std::uint8_t, planes>& b) noexcept {
    std::int64_t v = 0;
    for (int r = 0; r < planes; ++r) v += plane_weight(r) * (b[static_cast<std::size_t>(r)] & 1U);
    return static_cast<std::int32_t>(v);
  }
};

}  // namespace bitsieve::format
