// SPDX-License-Identifier: Apache-2.0
/// \file tests/support/mass.hpp
/// Measuring the probability mass a kernel run dropped, from its public output only.
///
/// The kernel's decisions do not depend on the values, so a test may choose value rows that make
/// the output reveal the kept set K of each query:
///
/// - **one-hot** (`one_hot_mass`, for up to ~1000 keys): v_j = e_j, so output element j is key j's
///   weight over K, exactly 0 when j was dropped. The dropped mass is then computed in double from
///   the exact integer scores: sum over dropped j of e^(c s_j) / sum over all j of e^(c s_j).
///
/// - **reciprocal weights** (`reciprocal_mass`, any length): for query i of a batch, value column
///   i holds v_j = e^-(c (s_j - s_max) + 40) (in float; exact relative to 2^-24 for every key
///   within 127 logits of the best, which the helper requires). The kernel's output element i is
///   then sum_K p_j v_j = |K| e^-40 / Z_K with Z_K = sum over K of e^(c (s_j - s_max)), and |K| is
///   the call's `survivors`, so Z_K and the dropped mass 1 - Z_K / Z follow. The float rounding of
///   the values and of the output bounds the error of the measured mass by 2 * 2^-24 ~ 1.2e-7;
///   `reciprocal_tolerance` (4e-7) is that, with room for the double rounding.
#pragma once

#include <bitsieve/kernel/key_value_cache.hpp>
#include <bitsieve/kernel/stats.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include <doctest/doctest.h>

#include "support/testbed.hpp"

namespace bitsieve_test {

/// What one query's run dropped, measured, next to what the kernel reported.
struct query_mass {
  double dropped = 0.0;  ///< true dropped probability mass (from the exact scores)
  double bound = 0.0;    ///< the kernel's certified bound (dropped_mass_bound_sum of that call)
  std::uint64_t survivors = 0;
  std::uint64_t keys = 0;
  double planes_per_key = 0.0;
  bitsieve::attention_stats stats;
};

inline constexpr double reciprocal_tolerance = 4e-7;

/// The dense softmax denominator relative to the best key, sum_j e^(c (s_j - s_max)), and s_max.
inline double relative_denominator(const std::vector<score_t>& s, double c, score_t& best) {
  best = *std::max_element(s.begin(), s.end());
  double z = 0.0;
  for (const score_t v : s) z += std::exp(c * static_cast<double>(v - best));
  return z;
}

/// One-hot measurement: `run(query, cache, out)` runs the kernel under test on a cache whose
/// values are the identity rows (value_dim == cache.size()).
template <class Cache, class Run>
query_mass one_hot_mass(std::span<const float> query, const Cache& cache,
                        const std::vector<std::vector<std::int32_t>>& ints, int query_bits, double softmax_scale,
                        Run&& run) {
  const std::size_t n = cache.size();
  std::vector<float> out(n);
  const bitsieve::attention_stats st = run(query, cache, std::span<float>(out));
  const int_query q = quantize_query(query, query_bits);
  const double c = logit_scale(q.scale, cache.key_scale(), softmax_scale, cache.head_dim());
  const std::vector<score_t> s = exact_scores(q.q, ints);
  score_t best = 0;
  const double z = relative_denominator(s, c, best);
  double dropped = 0.0;
  std::vector<char> kept(n, 0);
  std::uint64_t n_kept = 0;
  for (std::size_t j = 0; j < n; ++j) {
    kept[j] = out[j] > 0.0F ? 1 : 0;
    n_kept += static_cast<std::uint64_t>(kept[j]);
    if (kept[j] == 0) dropped += std::exp(c * static_cast<double>(s[j] - best));
  }
  // Keys whose weight underflows a float look dropped; their weight is below 1e-38 of the total,
  // so they change the measured mass by less than that. Otherwise the count must match.
  CHECK(n_kept <= st.survivors);
  // The output is the softmax over the kept set.
  CHECK(relative_l2(out, softmax_over(s, c, kept)) < 1e-6);
  query_mass m;
  m.dropped = dropped / z;
  m.bound = st.dropped_mass_bound_sum;
  m.survivors = st.survivors;
  m.keys = st.keys;
  m.planes_per_key = st.mean_planes_per_key();
  m.stats = st;
  return m;
}

/// Reciprocal-weight measurement for the queries (row-major, head_dim each) against `keys`
/// (row-major floats): builds one cache per batch of up to 64 queries whose value column i
/// holds query i's reciprocal weights (see the file comment), and runs `run(query, cache, out)`.
template <class F, class Run>
std::vector<query_mass> reciprocal_mass(std::span<const float> keys, std::size_t head_dim,
                                        std::span<const float> queries, int query_bits, double softmax_scale,
                                        Run&& run) {
  const std::size_t n = keys.size() / head_dim;
  const std::size_t n_q = queries.size() / head_dim;
  // The cache's integer keys and scale (a probe cache with the same keys quantizes identically).
  bitsieve::key_value_cache<F> probe(head_dim, 1);
  probe.append(keys, std::vector<float>(n, 0.0F));
  const std::vector<std::vector<std::int32_t>> ints = integer_keys(probe);
  std::vector<query_mass> result;
  constexpr std::size_t batch = 64;
  for (std::size_t i0 = 0; i0 < n_q; i0 += batch) {
    const std::size_t g = std::min(batch, n_q - i0);
    const std::size_t dv = g + 1;
    std::vector<float> values(n * dv, 1.0F);  // column g stays 1: the output there must be 1
    std::vector<double> z(g);
    for (std::size_t i = 0; i < g; ++i) {
      const int_query q = quantize_query(queries.subspan((i0 + i) * head_dim, head_dim), query_bits);
      const double c = logit_scale(q.scale, probe.key_scale(), softmax_scale, head_dim);
      const std::vector<score_t> s = exact_scores(q.q, ints);
      score_t best = 0;
      z[i] = relative_denominator(s, c, best);
      for (std::size_t j = 0; j < n; ++j) {
        const double gap = c * static_cast<double>(s[j] - best);
        REQUIRE_MESSAGE(gap > -127.0, "key " << j << " is " << -gap << " logits below the best: out of the measurable range");
        values[j * dv + i] = static_cast<float>(std::exp(-(gap + 40.0)));
      }
    }
    bitsieve::key_value_cache<F> cache(head_dim, dv);
    cache.append(keys, values);
    REQUIRE(cache.key_scale() == probe.key_scale());
    for (std::size_t i = 0; i < g; ++i) {
      std::vector<float> out(dv);
      const bitsieve::attention_stats st = run(queries.subspan((i0 + i) * head_dim, head_dim), cache, std::span<float>(out));
      CHECK(std::fabs(static_cast<double>(out[g]) - 1.0) < 1e-6);
      query_mass m;
      m.survivors = st.survivors;
      m.keys = st.keys;
      m.bound = st.dropped_mass_bound_sum;
      m.planes_per_key = st.mean_planes_per_key();
      m.stats = st;
      if (st.survivors == 0) {
        m.dropped = 1.0;
      } else {
        const double z_kept = static_cast<double>(st.survivors) * std::exp(-40.0) / static_cast<double>(out[i]);
        m.dropped = 1.0 - z_kept / z[i];
      }
      result.push_back(m);
    }
  }
  return result;
}

}  // namespace bitsieve_test
