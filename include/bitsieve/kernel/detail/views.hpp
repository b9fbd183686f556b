// SPDX-License-Identifier: Apache-2.0
/// \file kernel/detail/views.hpp
/// Format-erased views the kernel engine runs on (internal; may change without notice).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "bitsieve/core/value_format.hpp"
#include "bitsieve/format/format_desc.hpp"
#include "bitsieve/simd/block_ops.hpp"

namespace bitsieve::detail {

/// The value rows of one KV head in their storage format (core/value_format.hpp): row t starts at
/// rows + t * stride bytes; int8 rows have their float scale at scales[t].
struct value_view {
  value_format format = value_format::f32;
  const std::byte* rows = nullptr;
  std::size_t stride = 0;          ///< bytes from one row to the next
  const float* scales = nullptr;   ///< (tokens) int8 row scales; null for f32 and f16

  /// The stored bytes of row t.
  [[nodiscard]] const std::byte* row(std::size_t t) const noexcept { return rows + t * stride; }
  /// acc[i] = acc[i] * f + w * v_t[i] for i < dim, v_t row t dequantized; double accumulators.
  /// One dispatch on the format per call (per row), none per element.
  void accumulate(double* acc, double f, double w, std::size_t t, std::size_t dim) const noexcept {
    const std::byte* p = row(t);
    switch (format) {
      case value_format::f32:
        scale_axpy(acc, f, w, reinterpret_cast<const float*>(p), dim);
        break;
      case value_format::f16:
        scale_axpy_f16(acc, f, w, reinterpret_cast<const std::uint16_t*>(p), dim);
        break;
      case value_format::i8:
        scale_axpy_i8(acc, f, w, scales[t], reinterpret_cast<const std::int8_t*>(p), dim);
        break;
    }
  }
  /// Bytes reading one row of `dim` values takes (value_row_bytes: with the int8 scale).
  [[nodiscard]] std::size_t row_bytes(std::size_t dim) const noexcept { return value_row_bytes(format, dim); }
};

/// Key planes (plane_store layout: plane-major, blocks contiguous within a plane) and value rows
/// of one KV head.
struct kv_view {
  const std::uint8_t* keys = nullptr;  ///< plane 0 of block 0
  std::size_t plane_stride = 0;         ///< bytes from plane r to plane r + 1 of a block
  std::size_t tokens = 0;
  std::size_t head_dim = 0;
  std::size_t dim_groups = 0;
  format_desc format{};
  double key_scale = 1.0;
  value_view values{};
  std::size_t value_dim = 0;

  static constexpr std::size_t block_tokens = 32;
  [[nodiscard]] std::size_t plane_bytes() const noexcept { return block_tokens * dim_groups; }
  [[nodiscard]] std::size_t blocks() const noexcept { return (tokens + block_tokens - 1) / block_tokens; }
  [[nodiscard]] const std::uint8_t* plane(std::size_t b, int r) const noexcept {
    return keys + static_cast<std::size_t>(r) * plane_stride + b * plane_bytes();
  }
};

}  // namespace bitsieve::detail
