// SPDX-License-Identifier: Apache-2.0
/// \file kernel/dynamic_attention.hpp
/// `dynamic_attention`: the sparse-attention kernel configured at run time (threshold, scheduler
/// and tile order chosen by value), for tools and sweeps that must not recompile. It runs the same
/// engine as `sparse_attention<Policies>`, so the same configuration gives bit-identical results.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "bitsieve/kernel/sparse_attention.hpp"
#include "bitsieve/tile/head_tail.hpp"
#include "bitsieve/tile/interleaved.hpp"
#include "bitsieve/tile/sequential.hpp"

namespace bitsieve {

enum class tile_order_kind { sequential, interleaved, head_tail };

struct dynamic_config {
  std::variant<threshold::lats, threshold::mass_budget, threshold::top_k, threshold::fixed, threshold::dense> threshold{
      threshold::lats{}};
  int lanes = 0;               ///< 0: lockstep; >= 1: out_of_order lanes
  bool bidirectional = false;  ///< out_of_order only
  tile_order_kind tiles = tile_order_kind::sequential;
  std::size_t tile_size = 0;   ///< tokens per tile (0: one tile)
  std::size_t sink = 64;       ///< head_tail: sink tokens visited first
  attention_options options{.softmax_scale = 0.0, .query_bits = 12};
};

class dynamic_attention {
 public:
  explicit dynamic_attention(dynamic_config c) : c_(std::move(c)) {
    std::visit([](const auto& t) {
      const status ok = t.validate();
      if (!ok) throw invalid_argument(ok.message);
    }, c_.threshold);
    if (c_.lanes < 0 || c_.lanes > 4096) throw invalid_argument("bitsieve::dynamic_attention: lanes must be in 0..4096");
    detail::check_bits(c_.options.query_bits, "bitsieve::dynamic_attention: query_bits");
    cfg_.lanes = c_.lanes;
    cfg_.bidirectional = c_.bidirectional;
    cfg_.tile_size = c_.tile_size;
    cfg_.count_active_bits = c_.options.count_active_bits;
    switch (c_.tiles) {
      case tile_order_kind::sequential:
        cfg_.tile_order = [t = tile::sequential{c_.tile_size}](std::size_t n) { return t.order(n); };
        break;
      case tile_order_kind::interleaved:
        cfg_.tile_order = [t = tile::interleaved{c_.tile_size}](std::size_t n) { return t.order(n); };
        break;
      case tile_order_kind::head_tail:
        cfg_.tile_order = [t = tile::head_tail<>{c_.tile_size, c_.sink}](std::size_t n) { return t.order(n); };
        break;
    }
  }

  [[nodiscard]] const dynamic_config& config() const noexcept { return c_; }

  /// Queries (n_q x head_dim) against a cache of any format; `causal` as in sparse_attention.
  template <class Cache>
  attention_stats prefill(std::span<const float> queries, const Cache& cache, std::span<float> outs,
                          bool is_causal = false) const {
    const detail::kv_view kv = cache.view();
    const std::size_t n_q = queries.size() / kv.head_dim;
    detail::check_call(kv, queries.size(), n_q, outs.size(), "bitsieve::dynamic_attention::prefill",
                       c_.options.softmax_scale);
    const auto vis = detail::visible_rows(n_q, kv.tokens, is_causal, "bitsieve::dynamic_attention::prefill");
    return std::visit([&](const auto& t) {
      return detail::attend(t, cfg_, kv, queries, outs, vis, false, c_.options.query_bits, c_.options.softmax_scale, {},
                            c_.options.threads);
    }, c_.threshold);
  }

  /// The general form: row i of `queries` sees keys 0 .. visible[i]-1. When `key_trace` is not
  /// empty (n_q x n_keys bytes) it receives every key's decision (see key_kept_flag).
  template <class Cache>
  attention_stats run(std::span<const float> queries, const Cache& cache, std::span<float> outs,
                      std::span<const std::size_t> visible, std::span<std::uint8_t> key_trace = {}) const {
    const detail::kv_view kv = cache.view();
    detail::check_call(kv, queries.size(), visible.size(), outs.size(), "bitsieve::dynamic_attention::run",
                       c_.options.softmax_scale);
    if (!key_trace.empty()) std::fill(key_trace.begin(), key_trace.end(), std::uint8_t{0});
    return std::visit([&](const auto& t) {
      return detail::attend(t, cfg_, kv, queries, outs, visible, false, c_.options.query_bits, c_.options.softmax_scale,
                            key_trace, c_.options.threads);
    }, c_.threshold);
  }

  template <class Cache>
  attention_stats decode(std::span<const float> query, const Cache& cache, std::span<float> out) const {
    return prefill(query, cache, out, false);
  }

 private:
  dynamic_config c_;
  detail::engine_config cfg_;
};

}  // namespace bitsieve
