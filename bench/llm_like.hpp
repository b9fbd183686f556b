// SPDX-License-Identifier: Apache-2.0
/// \file bench/llm_like.hpp
/// The `llm_like` synthetic attention trace of the benchmark suite: a "topic segment" model whose
/// attention is as peaked as the BitStopper/PADE papers report for LLM decode (about 10% of keys
/// kept and about 4 planes read per key under lats defaults, with lats losing well under 1% of the
/// softmax mass). docs/bench.md lists the parameters and the counters measured with them.
///
/// Model. The context is cut into segments (passages) of random length in [segment_min,
/// segment_max] tokens; each segment gets one of `topics` random unit directions u_t. A key of a
/// segment on topic t is
///
///     k = noise * n + align_j * u_t,     n ~ N(0, I_d),  align_j ~ key_align * (1 + align_jitter * N(0,1))
///
/// and a query about topic t is q = query_norm * (u_t + query_noise * m / sqrt(d)), m ~ N(0, I_d).
/// With the default softmax scale 1/sqrt(d) the logit of a key on the query's topic is centred at
/// query_norm * key_align / sqrt(d) and every other key near 0, both with a spread of about
/// query_norm * noise / sqrt(d) logits: about 1/topics of the keys (whole passages, so whole
/// 32-token blocks) carry nearly all the mass, the rest sit ~`gap` logits below. Values are
/// N(0, 1). Everything is drawn from a fixed seed with our own generator (splitmix64 + Box-Muller),
/// so the trace is identical on every machine and compiler.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <vector>

namespace bitsieve_bench {

/// splitmix64: a tiny, fully specified 64-bit generator (identical output everywhere).
class splitmix64 {
 public:
  explicit splitmix64(std::uint64_t seed) noexcept : s_(seed) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31U);
  }
  /// Uniform in (0, 1).
  double uniform() noexcept { return (static_cast<double>(next() >> 11U) + 0.5) * 0x1.0p-53; }
  /// Standard normal (Box-Muller; one value per call, the twin is discarded for simplicity).
  double normal() noexcept {
    const double u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  /// Uniform integer in [lo, hi].
  std::size_t range(std::size_t lo, std::size_t hi) noexcept {
    return lo + static_cast<std::size_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }

 private:
  std::uint64_t s_;
};

/// The generator's parameters (defaults: the suite's `llm_like`).
struct llm_like_params {
  std::size_t head_dim = 128;
  std::size_t value_dim = 128;
  std::size_t topics = 10;          ///< topic directions; a query's topic covers ~1/topics of the keys
  std::size_t segment_min = 32;     ///< passage length range, tokens
  std::size_t segment_max = 256;
  double noise = 1.0;               ///< per-element std of a key's noise
  double key_align = 48.0;          ///< a key's component along its topic direction
  double align_jitter = 0.02;       ///< relative per-key spread of key_align
  double query_norm = 3.5;          ///< |q| along its topic direction
  double query_noise = 0.2;         ///< relative noise of the query direction
  std::uint64_t seed = 0x5EEDB175ULL;
};

/// A generated trace: keys (n_keys x head_dim), values (n_keys x value_dim), queries
/// (n_queries x head_dim), all row-major floats, and each query's topic.
struct llm_like_trace {
  std::size_t head_dim = 0;
  std::size_t value_dim = 0;
  std::vector<float> keys;
  std::vector<float> values;
  std::vector<float> queries;
  std::vector<std::size_t> query_topic;
};

/// Draws `n_keys` keys/values and `n_queries` queries (query i is about topic i mod topics).
/// The first n tokens of a longer trace are exactly the trace of n tokens (prefix-stable).
inline llm_like_trace make_llm_like(std::size_t n_keys, std::size_t n_queries, const llm_like_params& p = {}) {
  const std::size_t d = p.head_dim;
  llm_like_trace tr;
  tr.head_dim = d;
  tr.value_dim = p.value_dim;
  // Topic directions: random unit vectors.
  splitmix64 topic_rng(p.seed);
  std::vector<double> u(p.topics * d);
  for (std::size_t t = 0; t < p.topics; ++t) {
    double norm = 0.0;
    for (std::size_t i = 0; i < d; ++i) {
      u[t * d + i] = topic_rng.normal();
      norm += u[t * d + i] * u[t * d + i];
    }
    norm = std::sqrt(norm);
    for (std::size_t i = 0; i < d; ++i) u[t * d + i] /= norm;
  }
  // Keys and values, segment by segment (separate streams so that prefixes are stable).
  splitmix64 seg_rng(p.seed ^ 0x1111ULL);
  splitmix64 key_rng(p.seed ^ 0x2222ULL);
  splitmix64 val_rng(p.seed ^ 0x3333ULL);
  tr.keys.resize(n_keys * d);
  tr.values.resize(n_keys * p.value_dim);
  std::size_t j = 0;
  while (j < n_keys) {
    const std::size_t len = seg_rng.range(p.segment_min, p.segment_max);
    const std::size_t topic = static_cast<std::size_t>(seg_rng.next() % p.topics);
    for (std::size_t e = j + len; j < e && j < n_keys; ++j) {
      const double a = p.key_align * (1.0 + p.align_jitter * key_rng.normal());
      for (std::size_t i = 0; i < d; ++i) {
        tr.keys[j * d + i] = static_cast<float>(p.noise * key_rng.normal() + a * u[topic * d + i]);
      }
      for (std::size_t i = 0; i < p.value_dim; ++i) tr.values[j * p.value_dim + i] = static_cast<float>(val_rng.normal());
    }
  }
  // Queries.
  splitmix64 q_rng(p.seed ^ 0x4444ULL);
  tr.queries.resize(n_queries * d);
  tr.query_topic.resize(n_queries);
  const double qn = p.query_noise / std::sqrt(static_cast<double>(d));
  for (std::size_t r = 0; r < n_queries; ++r) {
    const std::size_t topic = r % p.topics;
    tr.query_topic[r] = topic;
    for (std::size_t i = 0; i < d; ++i) {
      tr.queries[r * d + i] = static_cast<float>(p.query_norm * (u[topic * d + i] + qn * q_rng.normal()));
    }
  }
  return tr;
}

}  // namespace bitsieve_bench
