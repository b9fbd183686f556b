// SPDX-License-Identifier: Apache-2.0
/// \file kernel/key_value_cache.hpp
/// `key_value_cache<Format>`: the keys of one KV head as bit-planes (plane_store, plane-major in
/// 32-token blocks) and their values as rows in a `value_format` (float32 by default, or float16,
/// or int8 with a scale per row; `cache_options::values`), growing by `append`.
///
/// Key scale (DESIGN.md §2): keys are quantized per tensor. Unless `cache_options::key_scale` fixes
/// the scale up front, the first `append` sets it from its own keys (max|k| / qmax), so a cache
/// filled by one append quantizes exactly as the contract says; later appends reuse that scale and
/// values beyond +-qmax saturate: `saturated()` says how many did.
///
/// Values (core/value_format.hpp): each append encodes its rows in the cache's value format, once.
/// f16 rounds to nearest even and rejects a value that would overflow float16 (|v| >= 65520) with
/// domain_error; i8 gives every row its own scale max|v| / 127 (rows appended later get their own
/// scales). The kernel reads a survivor's row in that format and accumulates it in double
/// (attention_stats::v_bytes_read counts the stored bytes: 4, 2 or 1 per element, + 4 per i8 row).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bitsieve/core/error.hpp"
#include "bitsieve/core/quantize.hpp"
#include "bitsieve/core/value_format.hpp"
#include "bitsieve/format/plane_store.hpp"
#include "bitsieve/kernel/detail/value_store.hpp"
#include "bitsieve/kernel/detail/views.hpp"

namespace bitsieve {

struct cache_options {
  /// Fix the key quantization scale up front (a growing KV cache); unset: the first append sets it.
  std::optional<double> key_scale{};
  /// How value rows are stored: f32 (default: as given), f16, or i8 with a scale per row.
  value_format values = value_format::f32;
};

template <BitPlaneFormat F>
class key_value_cache {
 public:
  using format_type = F;

  /// An empty cache for keys of `head_dim` and values of `value_dim` elements.
  /// Throws invalid_argument for a zero or too large dimension or a bad fixed scale.
  key_value_cache(std::size_t head_dim, std::size_t value_dim, cache_options options = {})
      : keys_(head_dim), value_dim_(value_dim), scale_(options.key_scale), values_(options.values, value_dim) {
    if (value_dim == 0 || value_dim > max_head_dim) {
      throw invalid_argument("bitsieve::key_value_cache: value_dim must be in 1.." + std::to_string(max_head_dim) +
                             ", got " + std::to_string(value_dim));
    }
    if (scale_ && (!(*scale_ > 0.0) || !std::isfinite(*scale_))) {
      throw invalid_argument("bitsieve::key_value_cache: key_scale must be positive and finite");
    }
  }

  /// Appends n = keys.size() / head_dim tokens: keys row-major (n, head_dim) as floats, quantized
  /// with the cache's scale, and values (n, value_dim), stored in the cache's value format. Throws
  /// invalid_argument on a shape mismatch or empty input, domain_error on NaN/Inf or on a value
  /// beyond the float16 range in an f16 cache (nothing is appended then).
  template <class T>
  void append(std::span<const T> keys, std::span<const float> values) {
    const std::size_t n = check_shapes(keys.size(), values, "append");
    detail::check_finite(values, "bitsieve::key_value_cache::append", "values");
    values_.check(values, "bitsieve::key_value_cache::append");
    const double scale = scale_ ? *scale_ : quantization_scale(keys, F::bits, "keys");
    const quantized q = quantize_with_scale(keys, F::bits, scale, "keys");
    scale_ = scale;
    saturated_ += q.saturated;
    keys_.append(q.values);
    values_.append(values);
    (void)n;
  }
  void append(const std::vector<float>& keys, const std::vector<float>& values) {
    append(std::span<const float>(keys), std::span<const float>(values));
  }

  /// Appends keys given as integers in the format's range, with the scale they were quantized
  /// with (it must equal the cache's scale once one is set); values as in append.
  void append_quantized(std::span<const std::int32_t> keys, double key_scale, std::span<const float> values) {
    check_shapes(keys.size(), values, "append_quantized");
    detail::check_finite(values, "bitsieve::key_value_cache::append_quantized", "values");
    values_.check(values, "bitsieve::key_value_cache::append_quantized");
    if (!(key_scale > 0.0) || !std::isfinite(key_scale)) {
      throw invalid_argument("bitsieve::key_value_cache::append_quantized: key_scale must be positive and finite");
    }
    if (scale_ && *scale_ != key_scale) {
      throw invalid_argument("bitsieve::key_value_cache::append_quantized: key_scale " + std::to_string(key_scale) +
                             " differs from the cache's scale " + std::to_string(*scale_));
    }
    keys_.append(keys);
    scale_ = key_scale;
    values_.append(values);
  }

  /// Makes room for `tokens` keys and values in all, so appends up to that size do not move them.
  void reserve(std::size_t tokens) {
    keys_.reserve(tokens);
    values_.reserve(tokens);
  }

  [[nodiscard]] std::size_t size() const noexcept { return keys_.size(); }
  [[nodiscard]] bool empty() const noexcept { return keys_.empty(); }
  [[nodiscard]] std::size_t head_dim() const noexcept { return keys_.head_dim(); }
  [[nodiscard]] std::size_t value_dim() const noexcept { return value_dim_; }
  /// The key scale (1 before the first append when none was fixed).
  [[nodiscard]] double key_scale() const noexcept { return scale_.value_or(1.0); }
  /// Key elements clamped to +-qmax by a fixed or earlier scale.
  [[nodiscard]] std::size_t saturated() const noexcept { return saturated_; }
  [[nodiscard]] const plane_store<F>& keys() const noexcept { return keys_; }
  /// How the value rows are stored (cache_options::values).
  [[nodiscard]] bitsieve::value_format value_format() const noexcept { return values_.format(); }
  /// Row `token` of an f32 cache, as stored. Throws invalid_argument for a token >= size() or a
  /// cache storing f16 or i8 values (read those with value_row_float).
  [[nodiscard]] std::span<const float> value_row(std::size_t token) const {
    check_token(token, "value_row");
    if (values_.format() != bitsieve::value_format::f32) {
      throw invalid_argument(std::string("bitsieve::key_value_cache::value_row: the cache stores values as ") +
                             std::string(to_string(values_.format())) + "; use value_row_float(token)");
    }
    return values_.f32().subspan(token * value_dim_, value_dim_);
  }
  /// Row `token` as floats in any value format: the values the kernel accumulates (f16 widened
  /// exactly, i8 as q * scale). Throws invalid_argument for a token >= size().
  [[nodiscard]] std::vector<float> value_row_float(std::size_t token) const {
    check_token(token, "value_row_float");
    std::vector<float> out(value_dim_);
    values_.read_row(token, out.data());
    return out;
  }
  /// Every row as floats, (size(), value_dim) row-major, as value_row_float gives them.
  [[nodiscard]] std::vector<float> values_float() const {
    std::vector<float> out(size() * value_dim_);
    for (std::size_t t = 0; t < size(); ++t) values_.read_row(t, out.data() + t * value_dim_);
    return out;
  }
  /// The int8 scale of every row (empty unless the value format is i8).
  [[nodiscard]] std::span<const float> value_scales() const noexcept { return values_.scales(); }
  /// Bytes of the stored value rows (with the i8 row scales).
  [[nodiscard]] std::size_t value_bytes() const noexcept { return values_.bytes(); }
  /// Bytes of the key planes plus the value rows.
  [[nodiscard]] std::size_t bytes() const noexcept { return keys_.bytes() + values_.bytes(); }
  /// Format-erased view for the kernel.
  [[nodiscard]] detail::kv_view view() const noexcept {
    detail::kv_view v;
    v.keys = keys_.plane_data(0, 0);
    v.plane_stride = keys_.plane_stride();
    v.tokens = keys_.size();
    v.head_dim = keys_.head_dim();
    v.dim_groups = keys_.dim_groups();
    v.format = detail::describe_format<F>();
    v.key_scale = key_scale();
    v.values = values_.view();
    v.value_dim = value_dim_;
    return v;
  }

 private:
  void check_token(std::size_t token, const char* fn) const {
    if (token >= size()) {
      throw invalid_argument(std::string("bitsieve::key_value_cache::") + fn + ": token " + std::to_string(token) +
                             " is out of range; the cache holds " + std::to_string(size()));
    }
  }

  std::size_t check_shapes(std::size_t n_key_elems, std::span<const float> values, const char* fn) const {
    const std::string where = std::string("bitsieve::key_value_cache::") + fn;
    if (n_key_elems == 0) throw invalid_argument(where + ": keys are empty");
    if (n_key_elems % head_dim() != 0) {
      throw invalid_argument(where + ": keys have " + std::to_string(n_key_elems) +
                             " elements, not a multiple of head_dim " + std::to_string(head_dim()));
    }
    const std::size_t n = n_key_elems / head_dim();
    if (values.size() != n * value_dim_) {
      throw invalid_argument(where + ": values have " + std::to_string(values.size()) + " elements, expected " +
                             std::to_string(n) + " x value_dim " + std::to_string(value_dim_));
    }
    return n;
  }

  plane_store<F> keys_;
  std::size_t value_dim_;
  std::optional<double> scale_;
  std::size_t saturated_ = 0;
  detail::value_store values_;  // (tokens, value_dim) in the value format
};

}  // namespace bitsieve
