// SPDX-License-Identifier: Apache-2.0
/// \file kernel/detail/value_store.hpp
/// `detail::value_store`: the value rows of key_value_cache in its value_format (internal; may
/// change without notice). Rows are encoded once, on append: f32 as given, f16 rounded to nearest
/// even, i8 with a scale per row (core/value_format.hpp), so rows appended later get their own
/// scales and earlier rows never change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "bitsieve/core/value_format.hpp"
#include "bitsieve/detail/aligned_allocator.hpp"
#include "bitsieve/kernel/detail/views.hpp"

namespace bitsieve::detail {

class value_store {
 public:
  value_store(value_format format, std::size_t dim) : format_(format), dim_(dim) {}

  [[nodiscard]] value_format format() const noexcept { return format_; }
  [[nodiscard]] std::size_t rows() const noexcept { return rows_; }

  /// Throws domain_error when `values` (finite, whole rows) cannot be stored in this format: an f16
  /// overflow. Call before changing anything, so a failed append leaves the cache as it was.
  void check(std::span<const float> values, std::string_view where) const {
    if (format_ == value_format::f16) check_f16_range(values.data(), values.size(), where);
  }

  /// Makes room for `rows` rows in all.
  void reserve(std::size_t rows) {
    switch (format_) {
      case value_format::f32: f32_.reserve(rows * dim_); break;
      case value_format::f16: f16_.reserve(rows * dim_); break;
      case value_format::i8:
        i8_.reserve(rows * dim_);
        scales_.reserve(rows);
        break;
    }
  }

  /// Appends whole rows (finite and checked).
  void append(std::span<const float> values) {
    const std::size_t n = values.size() / dim_;
    switch (format_) {
      case value_format::f32:
        f32_.insert(f32_.end(), values.begin(), values.end());
        break;
      case value_format::f16: {
        const std::size_t at = f16_.size();
        f16_.resize(at + values.size());
        floats_to_halves(values.data(), f16_.data() + at, values.size());
        break;
      }
      case value_format::i8: {
        const std::size_t at = i8_.size();
        i8_.resize(at + values.size());
        scales_.reserve(scales_.size() + n);
        for (std::size_t r = 0; r < n; ++r) {
          const float* row = values.data() + r * dim_;
          const float s = i8_row_scale(row, dim_);
          quantize_i8_row(row, dim_, s, i8_.data() + at + r * dim_);
          scales_.push_back(s);
        }
        break;
      }
    }
    rows_ += n;
  }

  /// Row t as floats (the dequantized values the kernel accumulates): out has dim elements.
  void read_row(std::size_t t, float* out) const noexcept {
    switch (format_) {
      case value_format::f32:
        for (std::size_t i = 0; i < dim_; ++i) out[i] = f32_[t * dim_ + i];
        break;
      case value_format::f16:
        halves_to_floats(f16_.data() + t * dim_, out, dim_);
        break;
      case value_format::i8:
        for (std::size_t i = 0; i < dim_; ++i) out[i] = static_cast<float>(i8_[t * dim_ + i]) * scales_[t];
        break;
    }
  }

  /// The f32 rows (empty for other formats).
  [[nodiscard]] std::span<const float> f32() const noexcept { return f32_; }
  /// The int8 row scales (empty for other formats).
  [[nodiscard]] std::span<const float> scales() const noexcept { return scales_; }

  /// Bytes held: rows times value_row_bytes.
  [[nodiscard]] std::size_t bytes() const noexcept { return rows_ * value_row_bytes(format_, dim_); }

  [[nodiscard]] value_view view() const noexcept {
    value_view v;
    v.format = format_;
    switch (format_) {
      case value_format::f32:
        v.rows = reinterpret_cast<const std::byte*>(f32_.data());
        v.stride = dim_ * sizeof(float);
        break;
      case value_format::f16:
        v.rows = reinterpret_cast<const std::byte*>(f16_.data());
        v.stride = dim_ * sizeof(std::uint16_t);
        break;
      case value_format::i8:
        v.rows = reinterpret_cast<const std::byte*>(i8_.data());
        v.stride = dim_;
        v.scales = scales_.data();
        break;
    }
    return v;
  }

 private:
  value_format format_;
  std::size_t dim_;
  std::size_t rows_ = 0;
  std::vector<float, aligned_allocator<float>> f32_;                  // (rows, dim), f32
  std::vector<std::uint16_t, aligned_allocator<std::uint16_t>> f16_;  // (rows, dim), f16 bits
  std::vector<std::int8_t, aligned_allocator<std::int8_t>> i8_;      // (rows, dim), i8
  std::vector<float> scales_;       // (rows), i8
};

}  // namespace bitsieve::detail
