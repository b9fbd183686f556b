// SPDX-License-Identifier: Apache-2.0
/// \file format/concept.hpp
/// The BitPlaneFormat concept: how a quantized key element is split into one-bit planes and in
/// which order the planes are read (MSB first).
///
/// Models:
/// - `format::twos_complement<B>` (default; BitStopper and PADE): plane 0 is the sign bit with
///   weight -2^(B-1), then bits B-2 .. 0 with weights 2^(B-2) .. 1.
/// - `format::sign_magnitude<B>`: plane 0 is the sign, then the magnitude bits B-2 .. 0. The
///   sign plane adds nothing by itself; it flips the query's signs for the magnitude planes.
///
/// Both hold values in -(2^(B-1)-1) .. 2^(B-1)-1 after quantization (two's complement can also
/// hold -2^(B-1)). "Plane r" always means the r-th plane *read* (r = 0 first, MSB side).
#pragma once

#include <array>
#include <concepts>
#include <cstdint>

#include "bitsieve/config.hpp"

namespace bitsieve {

/// Opt-in tag: a bit-plane format declares `using policy_category = format_policy_tag;`.
struct format_policy_tag {};

/// A bit-plane format (see the file comment for the models).
template <class F>
concept BitPlaneFormat =
    std::derived_from<typename F::policy_category, format_policy_tag> &&
    requires(std::int32_t v, int r, const std::array<std::uint8_t, F::planes>& bits) {
      { F::bits } -> std::convertible_to<int>;
      { F::planes } -> std::convertible_to<int>;
      { F::is_sign_magnitude } -> std::convertible_to<bool>;
      { F::min_value } -> std::convertible_to<std::int32_t>;
      { F::max_value } -> std::convertible_to<std::int32_t>;
      { F::bit(v, r) } -> std::same_as<std::uint32_t>;
      { F::decompose(v) } -> std::same_as<std::array<std::uint8_t, F::planes>>;
      { F::compose(bits) } -> std::same_as<std::int32_t>;
    };

namespace detail {
/// Turns a failed BitPlaneFormat check into one readable message per missing piece.
template <class F>
constexpr bool diagnose_format() {
  if constexpr (!requires { typename F::policy_category; }) {
    static_assert(always_false<F>, "bitsieve: the format has no policy_category; declare "
                                   "`using policy_category = bitsieve::format_policy_tag;`");
    return false;
  } else if constexpr (!std::derived_from<typename F::policy_category, format_policy_tag>) {
    static_assert(always_false<F>, "bitsieve: F::policy_category is not a format_policy_tag");
    return false;
  } else {
    static_assert(BitPlaneFormat<F>,
                  "bitsieve: the format does not model BitPlaneFormat (needs bits, planes, "
                  "is_sign_magnitude, min_value, max_value, bit(v, r), decompose(v), compose(bits))");
    return BitPlaneFormat<F>;
  }
}
}  // namespace detail
}  // namespace bitsieve
