// SPDX-License-Identifier: Apache-2.0
/// \file format/format_desc.hpp
/// `detail::format_desc`: a bit-plane format as run-time data (plane count, sign-magnitude or not,
/// plane weights), so the kernel engine is compiled once for every width (internal).
#pragma once

#include <array>

#include "bitsieve/core/interval.hpp"
#include "bitsieve/format/concept.hpp"

namespace bitsieve::detail {

/// A bit-plane format as run-time data: plane count, sign-magnitude or not, plane weights.
struct format_desc {
  int bits = 0;
  int planes = 0;
  bool sign_magnitude = false;
  std::array<score_t, 16> weight{};
};

template <BitPlaneFormat F>
[[nodiscard]] constexpr format_desc describe_format() noexcept {
  format_desc d;
  d.bits = F::bits;
  d.planes = F::planes;
  d.sign_magnitude = F::is_sign_magnitude;
  for (int r = 0; r < F::planes; ++r) d.weight[static_cast<std::size_t>(r)] = F::plane_weight(r);
  return d;
}

}  // namespace bitsieve::detail
