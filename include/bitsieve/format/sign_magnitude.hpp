// SPDX-License-Identifier: Apache-2.0
/// \file format/sign_magnitude.hpp
/// `format::sign_magnitude<B>`: a sign plane first (1 = negative), then the B-1 magnitude bits
/// MSB to LSB. Values -(2^(B-1)-1) .. 2^(B-1)-1; zero is stored with sign 0. The sign plane adds
/// no weight by itself: a magnitude plane r >= 1 contributes 2^(B-1-r) * sum_i q_i s_i m_{i,r}
/// where s_i = -1 for a negative element (DESIGN.md §2, "Sign-magnitude").
#pragma once

#include <array>
#include <cstdint>

#include "bitsieve/format/concept.hpp"

namespace bitsieve::format {

template <int B>
struct sign_magnitude {
  static_assert(B >= 2 && B <= 16,
                "bitsieve: sign_magnitude<B> needs 2 <= B <= 16; choose a key width in that range");
  using policy_category = format_policy_tag;

  static constexpr int bits = B;
  static constexpr int planes = B;
  static constexpr bool is_sign_magnitude = true;
  static constexpr std::int32_t max_value = (std::int32_t{1} << (B - 1)) - 1;
  static constexpr std::int32_t min_value = -max_value;

  /// Magnitude weight of plane r >= 1: 2^(B-1-r). Plane 0 (sign) has weight 0.
  [[nodiscard]] static constexpr std::int64_t plane_weight(int r) noexcept {
    return r == 0 ? 0 : (std::int64_t{1} << (B - 1 - r));
  }

  /// Bit of `v` in plane r. Precondition: min_value <= v <= max_value.
  [[nodiscard]] static constexpr std::uint32_t bit(std::int32_t v, int r) noexcept {
    if (r == 0) return v < 0 ? 1U : 0U;
    const auto m = static_cast<std::uint32_t>(v < 0 ? -v : v);
    return (m >> (B - 1 - r)) & 1U;
  }

  [[nodiscard]] static constexpr std::array<std::uint8_t, planes> decompose(std::int32_t v) noexcept {
    std::array<std::uint8_t, planes> out{};
    for (int r = 0; r < planes; ++r) out[static_cast<std::size_t>(r)] = static_cast<std::uint8_t>(bit(v, r));
    return out;
  }

  [[nodiscard]] static constexpr std::int32_t compose(const std::array<std::uint8_t, planes>& b) noexcept {
    std::int64_t m = 0;
    for (int r = 1; r < planes; ++r) m += plane_weight(r) * (b[static_cast<std::size_t>(r)] & 1U);
    return static_cast<std::int32_t>((b[0] & 1U) != 0U ? -m : m);
  }
};

}  // namespace bitsieve::format
