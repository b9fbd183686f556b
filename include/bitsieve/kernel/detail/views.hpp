// SPDX-License-Identifier: Apache-2.0
/// \file kernel/detail/views.hpp
/// Format-erased views the kernel engine runs on (internal; may change without notice).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "bitsieve/format/format_desc.hpp"

namespace bitsieve::detail {

/// Key planes (plane_store layout: plane-major, blocks contiguous within a plane) and float value rows of one KV head.
struct kv_view {
  const std::uint8_t* keys = nullptr;  ///< plane 0 of block 0
  std::size_t plane_stride = 0;         ///< bytes from plane r to plane r + 1 of a block
  std::size_t tokens = 0;
  std::size_t head_dim = 0;
  std::size_t dim_groups = 0;
  format_desc format{};
  double key_scale = 1.0;
  const float* values = nullptr;
  std::size_t value_dim = 0;

  static constexpr std::size_t block_tokens = 32;
  [[nodiscard]] std::size_t plane_bytes() const noexcept { return block_tokens * dim_groups; }
  [[nodiscard]] std::size_t blocks() const noexcept { return (tokens + block_tokens - 1) / block_tokens; }
  [[nodiscard]] const std::uint8_t* plane(std::size_t b, int r) const noexcept {
    return keys + static_cast<std::size_t>(r) * plane_stride + b * plane_bytes();
  }
  [[nodiscard]] const float* value_row(std::size_t t) const noexcept { return values + t * value_dim; }
};

}  // namespace bitsieve::detail
