// SPDX-License-Identifier: Apache-2.0
/// \file tests/support/one_hot.hpp
/// Reading the kernel's per-key decisions from its public output: a cache whose value rows are
/// the identity (value_dim = n, v_j = e_j) makes output element j key j's softmax weight over the
/// kept set, exactly 0 when j was dropped. Plus a sweep that runs one rule under every scheduler,
/// tile order and tile size, and the inputs the threshold property tests share.
#pragma once

#include <bitsieve/kernel/key_value_cache.hpp>
#include <bitsieve/kernel/sparse_attention.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "support/bundles.hpp"
#include "support/real_data.hpp"
#include "support/testbed.hpp"

namespace bitsieve_test {

/// A cache of `keys` (n, d) whose values are the identity rows.
template <class F>
bitsieve::key_value_cache<F> one_hot_cache(std::span<const float> keys, std::size_t d) {
  const std::size_t n = keys.size() / d;
  std::vector<float> eye(n * n, 0.0F);
  for (std::size_t j = 0; j < n; ++j) eye[j * n + j] = 1.0F;
  bitsieve::key_value_cache<F> cache(d, n);
  cache.append(keys, eye);
  return cache;
}

/// One query's exact view of a one-hot cache: integer scores, logit scale, best score.
struct exact_view {
  std::vector<score_t> scores;
  double c = 0.0;
  score_t best = 0;
  /// c (s_j - s_best), the logit gap of key j to the best key (<= 0).
  [[nodiscard]] double gap(std::size_t j) const { return c * static_cast<double>(scores[j] - best); }
};

template <class Cache>
exact_view exact_view_of(std::span<const float> query, const Cache& cache,
                         const std::vector<std::vector<std::int32_t>>& ints, int query_bits, double softmax_scale) {
  const int_query q = quantize_query(query, query_bits);
  exact_view v;
  v.c = logit_scale(q.scale, cache.key_scale(), softmax_scale, cache.head_dim());
  v.scores = exact_scores(q.q, ints);
  v.best = *std::max_element(v.scores.begin(), v.scores.end());
  return v;
}

/// Runs `fn(attn, label)` for sparse_attention<bundle<F, Thr, S, T>> with every scheduler S,
/// tile order T and tile size (all of `tile_sizes` unless a shorter list is given).
template <class F, class Thr, class Fn>
void for_each_kernel(const Thr& rule, double softmax_scale, Fn&& fn,
                     std::span<const std::size_t> sizes = std::span<const std::size_t>(tile_sizes)) {
  for_each_type(all_schedulers{}, [&]<class S>() {
    for_each_type(all_tiles{}, [&]<class T>() {
      for (const std::size_t ts : sizes) {
        const bitsieve::sparse_attention<bundle<F, Thr, S, T>> attn{rule, {.softmax_scale = softmax_scale}, T{ts}};
        const std::string label = "lanes " + std::to_string(S::lanes) + (S::bidirectional ? " bidirectional" : "") +
                                  ", tiles " + std::to_string(static_cast<int>(tile_kind_of<T>())) + " of " +
                                  std::to_string(ts);
        fn(attn, label);
      }
    });
  });
}

/// Keys and a few queries for property tests.
struct property_input {
  std::string name;
  std::size_t d = 0;
  double softmax_scale = 0.0;
  std::vector<float> keys;     // (n, d)
  std::vector<float> queries;  // (n_q, d)
  [[nodiscard]] std::size_t n_q() const { return queries.size() / d; }
  [[nodiscard]] std::span<const float> query(std::size_t i) const {
    return std::span<const float>(queries).subspan(i * d, d);
  }
};

/// Synthetic inputs whose attention is peaked (queries lean on the keys' shared direction).
inline property_input synthetic_property_input(std::size_t n, std::size_t d, std::size_t n_q, std::uint64_t seed) {
  property_input in;
  in.name = "synthetic n=" + std::to_string(n) + " d=" + std::to_string(d);
  in.d = d;
  const std::vector<float> dir = normal_floats(d, seed);
  in.keys = peaked_keys(n, d, seed + 1, dir, 2.0);
  rng r(seed + 2);
  in.queries.resize(n_q * d);
  for (std::size_t i = 0; i < n_q; ++i) {
    const double along = 0.5 + r.uniform();
    for (std::size_t x = 0; x < d; ++x) in.queries[i * d + x] = static_cast<float>(along * dir[x] + 0.7 * r.normal());
  }
  return in;
}

/// `count` evenly spaced query rows of a real trace.
inline property_input real_property_input(const std::string& sample, int layer, int head, std::size_t count) {
  const head_trace t = load_head(sample, layer, head);
  property_input in;
  in.name = t.name();
  in.d = t.d;
  in.softmax_scale = t.softmax_scale;
  in.keys = t.k;
  const std::size_t step = std::max<std::size_t>(1, t.n / count);
  for (std::size_t i = step / 2; i < t.n && in.n_q() < count; i += step) {
    in.queries.insert(in.queries.end(), t.q.begin() + static_cast<std::ptrdiff_t>(i * t.d),
                      t.q.begin() + static_cast<std::ptrdiff_t>((i + 1) * t.d));
  }
  return in;
}

/// The inputs the threshold property tests sweep: random (head_dim 64 and 13, lengths not
/// multiples of 32) and real (128-token layers 0 and 1, and a 1024-token window).
inline std::vector<property_input> property_inputs() {
  std::vector<property_input> v;
  v.push_back(synthetic_property_input(300, 64, 3, 71));
  v.push_back(synthetic_property_input(45, 13, 2, 72));
  v.push_back(real_property_input("gpl3_tok0000-0128", 0, 1, 4));
  v.push_back(real_property_input("apache2_tok0512-0640", 1, 0, 3));
  v.push_back(real_property_input("gpl3_tok0000-1024", 0, 3, 2));
  return v;
}

}  // namespace bitsieve_test
