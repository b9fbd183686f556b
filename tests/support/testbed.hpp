// SPDX-License-Identifier: Apache-2.0
/// \file tests/support/testbed.hpp
/// Shared helpers of the kernel, threshold, schedule and tile tests: deterministic generators, a
/// double-precision dense reference on the *quantized* inputs (written here, independently of the
/// library's kernel), softmax over a chosen set of keys, and stats checks.
///
/// Everything here recomputes from the public surface only: the cache's integer keys
/// (`cache.keys().key(t)`), `cache.key_scale()`, and the query quantized with
/// `bitsieve::quantize(query, bits)`.
#pragma once

#include <bitsieve/core/quantize.hpp>
#include <bitsieve/kernel/key_value_cache.hpp>
#include <bitsieve/kernel/stats.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace bitsieve_test {

using bitsieve::score_t;

// ------------------------------------------------------------------------------------------------
// Generators (deterministic: std::mt19937_64 with explicit seeds; the distributions are our own
// so that the streams do not depend on the standard library's distribution algorithms)
// ------------------------------------------------------------------------------------------------

/// A small deterministic generator: uniform doubles in [0, 1) and approximately normal doubles.
class rng {
 public:
  explicit rng(std::uint64_t seed) : g_(seed) {}
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(g_() >> 11U) * 0x1.0p-53; }
  /// Uniform in [a, b).
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  /// Uniform integer in [0, n).
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(g_() % n); }
  /// Approximately standard normal (sum of 12 uniforms minus 6).
  double normal() {
    double s = 0.0;
    for (int i = 0; i < 12; ++i) s += uniform();
    return s - 6.0;
  }

 private:
  std::mt19937_64 g_;
};

/// n floats, normal with standard deviation `sigma`.
inline std::vector<float> normal_floats(std::size_t n, std::uint64_t seed, double sigma = 1.0) {
  rng r(seed);
  std::vector<float> x(n);
  for (float& v : x) v = static_cast<float>(sigma * r.normal());
  return x;
}

/// Keys that share a common direction with the queries, so that attention is peaked (some keys
/// score far above the others), plus noise: rows (n, d).
inline std::vector<float> peaked_keys(std::size_t n, std::size_t d, std::uint64_t seed,
                                      const std::vector<float>& direction, double spread) {
  rng r(seed);
  std::vector<float> k(n * d);
  for (std::size_t j = 0; j < n; ++j) {
    const double a = spread * r.normal();
    for (std::size_t i = 0; i < d; ++i) {
      k[j * d + i] = static_cast<float>(a * direction[i] + r.normal());
    }
  }
  return k;
}

// ------------------------------------------------------------------------------------------------
// Exact recomputation on the quantized inputs
// ------------------------------------------------------------------------------------------------

/// The integer keys held by a cache (composed back from its planes).
template <class Cache>
std::vector<std::vector<std::int32_t>> integer_keys(const Cache& cache) {
  std::vector<std::vector<std::int32_t>> k(cache.size());
  for (std::size_t t = 0; t < cache.size(); ++t) k[t] = cache.keys().key(t);
  return k;
}

/// A query quantized as the contract says (its own per-tensor scale).
struct int_query {
  std::vector<std::int32_t> q;
  double scale = 1.0;
};

inline int_query quantize_query(std::span<const float> query, int bits) {
  const bitsieve::quantized qq = bitsieve::quantize(query, bits);
  return {qq.values, qq.scale};
}

/// c = scale_q * scale_k * s (s = 1/sqrt(d) when softmax_scale is 0), multiplied in that order.
inline double logit_scale(double q_scale, double key_scale, double softmax_scale, std::size_t head_dim) {
  const double s = softmax_scale > 0.0 ? softmax_scale : 1.0 / std::sqrt(static_cast<double>(head_dim));
  return q_scale * key_scale * s;
}

/// Exact integer scores q . k_j over the first `visible` keys (all when visible == npos).
inline std::vector<score_t> exact_scores(const std::vector<std::int32_t>& q,
                                         const std::vector<std::vector<std::int32_t>>& keys,
                                         std::size_t visible = static_cast<std::size_t>(-1)) {
  const std::size_t n = std::min(visible, keys.size());
  std::vector<score_t> s(n, 0);
  for (std::size_t j = 0; j < n; ++j) {
    score_t acc = 0;
    for (std::size_t i = 0; i < q.size(); ++i) acc += static_cast<score_t>(q[i]) * static_cast<score_t>(keys[j][i]);
    s[j] = acc;
  }
  return s;
}

/// Softmax weights over the keys with kept[j] != 0 (all keys when `kept` is empty), in double:
/// p_j = e^(c s_j) / sum over kept of e^(c s_i); 0 for a key not kept.
inline std::vector<double> softmax_over(const std::vector<score_t>& s, double c, const std::vector<char>& kept = {}) {
  std::vector<double> p(s.size(), 0.0);
  double mx = -std::numeric_limits<double>::infinity();
  for (std::size_t j = 0; j < s.size(); ++j) {
    if (kept.empty() || kept[j] != 0) mx = std::max(mx, c * static_cast<double>(s[j]));
  }
  if (!(mx > -std::numeric_limits<double>::infinity())) return p;
  double z = 0.0;
  for (std::size_t j = 0; j < s.size(); ++j) {
    if (kept.empty() || kept[j] != 0) {
      p[j] = std::exp(c * static_cast<double>(s[j]) - mx);
      z += p[j];
    }
  }
  for (double& v : p) v /= z;
  return p;
}

/// sum_j p_j v_j for value rows (n, dv) in double.
inline std::vector<double> weighted_values(const std::vector<double>& p, std::span<const float> values, std::size_t dv) {
  std::vector<double> out(dv, 0.0);
  for (std::size_t j = 0; j < p.size(); ++j) {
    if (p[j] == 0.0) continue;
    for (std::size_t i = 0; i < dv; ++i) out[i] += p[j] * static_cast<double>(values[j * dv + i]);
  }
  return out;
}

/// Dense attention of one query on the quantized inputs, in double: softmax(c q_int . k_int) V.
template <class Cache>
std::vector<double> dense_quantized_attention(std::span<const float> query, const Cache& cache,
                                              const std::vector<std::vector<std::int32_t>>& keys, int query_bits,
                                              double softmax_scale, std::span<const float> values,
                                              std::size_t visible = static_cast<std::size_t>(-1)) {
  const int_query q = quantize_query(query, query_bits);
  const double c = logit_scale(q.scale, cache.key_scale(), softmax_scale, cache.head_dim());
  const std::vector<score_t> s = exact_scores(q.q, keys, visible);
  return weighted_values(softmax_over(s, c), values, cache.value_dim());
}

/// Relative L2 error ||got - want|| / ||want|| (absolute when want is 0).
inline double relative_l2(std::span<const float> got, const std::vector<double>& want) {
  double num = 0.0;
  double den = 0.0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double e = static_cast<double>(got[i]) - want[i];
    num += e * e;
    den += want[i] * want[i];
  }
  return den > 0.0 ? std::sqrt(num / den) : std::sqrt(num);
}

// ------------------------------------------------------------------------------------------------
// Stats
// ------------------------------------------------------------------------------------------------

/// Every field of two stats objects is equal (the doubles bit for bit).
inline void check_same_stats(const bitsieve::attention_stats& a, const bitsieve::attention_stats& b) {
  CHECK(a.queries == b.queries);
  CHECK(a.keys == b.keys);
  CHECK(a.survivors == b.survivors);
  CHECK(a.planes_read == b.planes_read);
  for (std::size_t p = 0; p < a.stop_histogram.size(); ++p) {
    CHECK_MESSAGE(a.stop_histogram[p] == b.stop_histogram[p], "stop_histogram[" << p << "]");
  }
  CHECK(a.block_planes_read == b.block_planes_read);
  CHECK(a.block_token_planes_read == b.block_token_planes_read);
  CHECK(a.value_rows_read == b.value_rows_read);
  CHECK(a.k_bytes_read == b.k_bytes_read);
  CHECK(a.v_bytes_read == b.v_bytes_read);
  CHECK(a.active_bits == b.active_bits);
  CHECK(a.rounds == b.rounds);
  CHECK(a.key_bits == b.key_bits);
  CHECK(a.block_tokens == b.block_tokens);
  CHECK(std::bit_cast<std::uint64_t>(a.dropped_mass_bound_sum) == std::bit_cast<std::uint64_t>(b.dropped_mass_bound_sum));
}

/// The counting identities every call's stats must satisfy (DESIGN.md §3 "Stats", kernel/stats.hpp):
/// - `queries` and `keys` (pairs) are what the call was given;
/// - the stop histogram covers p = 1 .. key_bits only and sums to `keys`;
/// - survivors read every plane, so survivors <= stop_histogram[key_bits] (the difference is the
///   keys dropped after their last plane, which DESIGN.md §2 allows: "the last one included");
/// - value rows read == survivors, and V bytes == rows * the stored row bytes (value_dim * 4 for
///   f32 values, * 2 for f16, + 4 for i8);
/// - planes_read == sum_p p * stop_histogram[p];
/// - a block plane is read when any of its keys is live, so block_token_planes_read >= planes_read
///   and each block read counts at most 32 tokens;
/// - K bytes == block_planes_read * plane bytes (32 tokens x ceil(head_dim / 8) bytes);
/// - active bits never exceed head_dim per key plane read;
/// - the dropped-mass bound is a probability per query.
inline void check_stats_consistent(const bitsieve::attention_stats& st, std::uint64_t queries, std::uint64_t keys,
                                   int key_bits, std::size_t head_dim, std::size_t value_dim,
                                   bitsieve::value_format values = bitsieve::value_format::f32) {
  CHECK(st.queries == queries);
  CHECK(st.keys == keys);
  CHECK(st.key_bits == key_bits);
  CHECK(st.block_tokens == 32);
  std::uint64_t sum = 0;
  std::uint64_t weighted = 0;
  for (std::size_t p = 0; p < st.stop_histogram.size(); ++p) {
    sum += st.stop_histogram[p];
    weighted += p * st.stop_histogram[p];
    if (p == 0 || p > static_cast<std::size_t>(key_bits)) {
      CHECK_MESSAGE(st.stop_histogram[p] == 0, "stop_histogram[" << p << "] with " << key_bits << "-bit keys");
    }
  }
  CHECK(sum == st.keys);
  CHECK(st.survivors <= st.stop_histogram[static_cast<std::size_t>(key_bits)]);
  CHECK(st.value_rows_read == st.survivors);
  CHECK(st.v_bytes_read == st.value_rows_read * bitsieve::value_row_bytes(values, value_dim));
  CHECK(st.planes_read == weighted);
  CHECK(st.block_token_planes_read >= st.planes_read);
  CHECK(st.block_token_planes_read <= 32 * st.block_planes_read);
  const std::uint64_t plane_bytes = 32 * ((head_dim + 7) / 8);
  CHECK(st.k_bytes_read == st.block_planes_read * plane_bytes);
  CHECK(st.active_bits <= st.planes_read * head_dim);
  CHECK(st.rounds >= (st.keys > 0 ? st.queries : 0));
  CHECK(st.dropped_mass_bound_sum >= 0.0);
  CHECK(st.dropped_mass_bound_sum <= static_cast<double>(st.queries));
}

}  // namespace bitsieve_test
