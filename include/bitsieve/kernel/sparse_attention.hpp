// SPDX-License-Identifier: Apache-2.0
/// \file kernel/sparse_attention.hpp
/// `sparse_attention<Policies>`: bit-serial early-terminating sparse attention over a
/// key_value_cache (DESIGN.md §2-3), and `dynamic_attention`, the same kernel configured at run
/// time (thresholds, scheduler and tiles chosen by value; used by the command-line tools).
///
/// For each query: the query is quantized on its own (query_bits, per-tensor rule of DESIGN.md §2),
/// keys are read plane by plane MSB first, and after every plane each key's exact score interval
/// is tested against the threshold policy; dropped keys' remaining planes and value rows are never
/// read. Survivors are read to the last plane (exact scores) and softmax + the value sum run over
/// them only, online across tiles. Every call returns exact `attention_stats`.
#pragma once

#include <cmath>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "bitsieve/core/error.hpp"
#include "bitsieve/core/quantize.hpp"
#include "bitsieve/detail/worker_pool.hpp"
#include "bitsieve/kernel/detail/engine.hpp"
#include "bitsieve/kernel/key_value_cache.hpp"
#include "bitsieve/kernel/policies.hpp"
#include "bitsieve/kernel/stats.hpp"
#include "bitsieve/threshold/dense.hpp"
#include "bitsieve/threshold/fixed.hpp"
#include "bitsieve/threshold/lats.hpp"
#include "bitsieve/threshold/mass_budget.hpp"
#include "bitsieve/threshold/top_k.hpp"
#include "bitsieve/tile/interleaved.hpp"

namespace bitsieve {

/// Per-key decision record of a kernel call: entry j of a query's row holds the number of planes
/// read for key j, with bit 0x80 set when the key was kept (0 for keys the query does not see).
inline constexpr std::uint8_t key_kept_flag = 0x80;

/// Tag for causal prefill: row i of n_q queries attends keys 0 .. n_k - n_q + i.
struct causal_t {
  explicit causal_t() = default;
};
inline constexpr causal_t causal{};

/// Run-time options shared by every kernel.
struct attention_options {
  /// Softmax scale s (logit = s q.k); 0 means 1 / sqrt(head_dim).
  double softmax_scale = 0.0;
  /// Query width; 0 means the policy bundle's query_bits (12 unless it says otherwise).
  int query_bits = 0;
  /// Threads (std::thread). decode: the keys are split into `threads` parts (lock-step: every
  /// threads-th run of 256 keys, so each part samples the whole sequence; out-of-order: contiguous
  /// ranges), each with its own running state, merged at the end (deterministic for a given
  /// count; a part's running maximum is a lower bound of the whole one, so a part never drops a
  /// key the whole would keep and mass_budget stays certified). prefill / decode_group: rows are
  /// split across threads.
  unsigned threads = 1;
  /// Count `attention_stats::active_bits` (the AND tree's active inputs, which the accelerator
  /// model prices). It costs a popcount pass over every block plane read (about 10% of decode
  /// time); an inference engine that does not read it turns it off (active_bits is then 0).
  bool count_active_bits = true;
};

namespace detail {

inline void prepare_query(query_state& qs, std::span<const float> query, const kv_view& kv, int query_bits,
                          double softmax_scale, std::size_t visible, std::size_t k, const char* where) {
  const quantized q = quantize(query, query_bits, "query");
  qs.scorer.build(q.values, kv.dim_groups);
  qs.sums = margin::exact::prepare(q.values);
  const double s = softmax_scale > 0.0 ? softmax_scale : 1.0 / std::sqrt(static_cast<double>(kv.head_dim));
  qs.c = q.scale * kv.key_scale * s;
  if (!(qs.c > 0.0) || !std::isfinite(qs.c)) {
    throw invalid_argument(std::string(where) + ": the logit scale scale_q * scale_k * softmax_scale is not positive and finite");
  }
  qs.visible = visible;
  qs.n_keys = visible;
  qs.acc.assign(kv.value_dim, 0.0);
  qs.k = k;
  (void)where;
}

inline void check_call(const kv_view& kv, std::size_t query_elems, std::size_t n_queries, std::size_t out_elems,
                       const char* where, double softmax_scale) {
  const std::string w(where);
  if (kv.tokens == 0) throw invalid_argument(w + ": the cache is empty");
  if (n_queries == 0 || query_elems == 0) throw invalid_argument(w + ": no query");
  if (query_elems != n_queries * kv.head_dim) {
    throw invalid_argument(w + ": queries have " + std::to_string(query_elems) + " elements, expected " +
                           std::to_string(n_queries) + " x head_dim " + std::to_string(kv.head_dim));
  }
  if (out_elems != n_queries * kv.value_dim) {
    throw invalid_argument(w + ": output has " + std::to_string(out_elems) + " elements, expected " +
                           std::to_string(n_queries) + " x value_dim " + std::to_string(kv.value_dim));
  }
  if (!(softmax_scale >= 0.0) || !std::isfinite(softmax_scale)) {
    throw invalid_argument(w + ": softmax_scale must be finite and >= 0 (0 = 1/sqrt(head_dim))");
  }
}

/// Keys visible to each of n_q rows: all n_k, or causal n_k - n_q + i + 1.
inline std::vector<std::size_t> visible_rows(std::size_t n_q, std::size_t n_k, bool is_causal, const char* where) {
  if (is_causal && n_q > n_k) {
    throw invalid_argument(std::string(where) + ": causal prefill needs n_q <= n_k, got n_q " + std::to_string(n_q) +
                           " and n_k " + std::to_string(n_k));
  }
  std::vector<std::size_t> vis(n_q, n_k);
  if (is_causal) {
    for (std::size_t i = 0; i < n_q; ++i) vis[i] = n_k - n_q + i + 1;
  }
  return vis;
}

/// Runs `n_q` queries (row-major) against `kv` with visible[i] keys each, on one thread; with
/// `share_group` all rows form one group that reads each block plane once.
template <ThresholdPolicy T>
attention_stats attend_serial(const T& thr, const engine_config& cfg, const kv_view& kv, std::span<const float> queries,
                              std::span<float> outs, std::span<const std::size_t> visible, bool share_group,
                              int query_bits, double softmax_scale, std::span<std::uint8_t> trace) {
  const std::size_t n_q = visible.size();
  attention_stats total;
  total.key_bits = kv.format.bits;
  engine<T> eng(thr, cfg, kv);
  const std::size_t step = share_group ? n_q : 1;
  std::vector<query_state> states(step);
  for (std::size_t i0 = 0; i0 < n_q; i0 += step) {
    for (std::size_t j = 0; j < step; ++j) {
      states[j] = query_state{};
      prepare_query(states[j], queries.subspan((i0 + j) * kv.head_dim, kv.head_dim), kv, query_bits, softmax_scale,
                    visible[i0 + j], thr.kth(), "bitsieve::sparse_attention");
      if (!trace.empty()) states[j].trace = trace.data() + (i0 + j) * kv.tokens;
    }
    eng.run(states, outs.subspan(i0 * kv.value_dim, step * kv.value_dim));
    for (const auto& st : states) total += st.st;
  }
  return total;
}

/// Runs work(0 .. parts-1), part 0 on the calling thread and the others on the shared worker pool
/// (or on std::threads of its own when the pool is busy); the first exception thrown by any part
/// is rethrown after all have finished.
template <class Work>
void run_parts(std::size_t parts, const Work& work) {
  std::vector<std::thread> pool;
  std::exception_ptr err;
  std::mutex err_mu;
  const auto guarded = [&](std::size_t i) {
    try {
      work(i);
    } catch (...) {
      const std::lock_guard<std::mutex> lock(err_mu);
      if (!err) err = std::current_exception();
    }
  };
  if (parts > 1) {
    // the shared pool's threads when it is free; otherwise (a concurrent or nested call) threads
    // of our own
    const std::function<void(std::size_t)> job = guarded;
    if (!worker_pool::shared().try_run(parts, job)) {
      for (std::size_t i = 1; i < parts; ++i) pool.emplace_back(guarded, i);
      guarded(0);
      for (auto& t : pool) t.join();
    }
  } else {
    guarded(0);
  }
  if (err) std::rethrow_exception(err);
}

/// One query, its key blocks split into `threads` contiguous parts run in parallel and merged.
template <ThresholdPolicy T>
attention_stats attend_split_keys(const T& thr, const engine_config& cfg, const kv_view& kv,
                                  std::span<const float> query, std::span<float> out, std::size_t visible,
                                  int query_bits, double softmax_scale, std::span<std::uint8_t> trace,
                                  unsigned threads) {
  const std::size_t qb = (visible + block_tokens - 1) / block_tokens;
  // lock-step parts take runs of thread_run_blocks blocks (256 keys): a run is the smallest share
  constexpr std::size_t thread_run_blocks = 8;
  const std::size_t parts =
      std::min<std::size_t>(threads, cfg.lanes == 0 ? (qb + thread_run_blocks - 1) / thread_run_blocks : qb);
  std::vector<query_state> states(parts);
  for (std::size_t i = 0; i < parts; ++i) {
    prepare_query(states[i], query, kv, query_bits, softmax_scale, visible, thr.kth(), "bitsieve::sparse_attention");
    if (cfg.lanes == 0) {
      // lock-step: part i takes every parts-th chunk of 8 blocks (256 tokens) from chunk i, so every
      // part samples the whole sequence and its running maximum is close to the whole query's,
      // while each part still reads runs of 8 consecutive block planes (4 KB at head_dim 128)
      states[i].first_block = i;
      states[i].block_stride = parts;
      states[i].block_chunk = thread_run_blocks;
    } else {
      // out-of-order lanes run over contiguous tokens: contiguous parts
      states[i].first_block = qb * i / parts;
      states[i].visible = std::min(visible, qb * (i + 1) / parts * block_tokens);
    }
    if (!trace.empty()) states[i].trace = trace.data();
  }
  const auto work = [&](std::size_t i) {
    engine<T> eng(thr, cfg, kv);
    eng.process(std::span<query_state>(&states[i], 1));
  };
  run_parts(parts, work);
  for (std::size_t i = 1; i < parts; ++i) merge_into(states[0], states[i]);
  engine<T>(thr, cfg, kv).finish(states[0], out);
  attention_stats total = states[0].st;
  total.key_bits = kv.format.bits;
  return total;
}

/// Runs `n_q` queries (row-major) against `kv` with visible[i] keys each (see attention_options).
template <ThresholdPolicy T>
attention_stats attend(const T& thr, const engine_config& cfg, const kv_view& kv, std::span<const float> queries,
                       std::span<float> outs, std::span<const std::size_t> visible, bool share_group,
                       int query_bits, double softmax_scale, std::span<std::uint8_t> trace = {},
                       unsigned threads = 1) {
  const status ok = thr.validate();
  if (!ok) throw invalid_argument(ok.message);
  const std::size_t n_q = visible.size();
  if (!trace.empty() && trace.size() != n_q * kv.tokens) {
    throw invalid_argument("bitsieve::sparse_attention: the key trace must have n_queries x n_keys entries");
  }
  for (const std::size_t v : visible) {
    if (v == 0 || v > kv.tokens) throw invalid_argument("bitsieve::sparse_attention: a query must see 1..n_keys keys");
  }
  if (threads == 0) throw invalid_argument("bitsieve::sparse_attention: threads must be >= 1");
  if (threads == 1) return attend_serial(thr, cfg, kv, queries, outs, visible, share_group, query_bits, softmax_scale, trace);
  if (n_q == 1) {
    return attend_split_keys(thr, cfg, kv, queries, outs, visible[0], query_bits, softmax_scale, trace, threads);
  }
  // rows split into contiguous chunks, one per thread
  const std::size_t parts = std::min<std::size_t>(threads, n_q);
  std::vector<attention_stats> part_stats(parts);
  const auto work = [&](std::size_t i) {
    const std::size_t r0 = n_q * i / parts;
    const std::size_t r1 = n_q * (i + 1) / parts;
    part_stats[i] = attend_serial(thr, cfg, kv, queries.subspan(r0 * kv.head_dim, (r1 - r0) * kv.head_dim),
                                  outs.subspan(r0 * kv.value_dim, (r1 - r0) * kv.value_dim), visible.subspan(r0, r1 - r0),
                                  share_group, query_bits, softmax_scale,
                                  trace.empty() ? trace : trace.subspan(r0 * kv.tokens, (r1 - r0) * kv.tokens));
  };
  run_parts(parts, work);
  attention_stats total;
  for (const auto& st : part_stats) total += st;
  total.key_bits = kv.format.bits;
  return total;
}

}  // namespace detail

template <class Policies = default_policies>
class sparse_attention {
  static_assert(detail::check_policy_bundle<Policies>());

 public:
  using policies = Policies;
  using format_type = typename Policies::format_policy;
  using margin_type = typename Policies::margin_policy;
  using threshold_type = typename Policies::threshold_policy;
  using schedule_type = typename Policies::schedule_policy;
  using tile_type = typename Policies::tile_policy;
  using cache_type = key_value_cache<format_type>;

  explicit sparse_attention(threshold_type threshold = {}, attention_options options = {}, tile_type tiles = {})
      : threshold_(threshold), options_(options), tiles_(tiles) {
    const status ok = threshold_.validate();
    if (!ok) throw invalid_argument(ok.message);
    if (options_.query_bits == 0) options_.query_bits = Policies::query_bits;
    detail::check_bits(options_.query_bits, "bitsieve::sparse_attention: query_bits");
    cfg_.lanes = schedule_type::lanes;
    cfg_.bidirectional = schedule_type::bidirectional;
    cfg_.tile_size = tiles_.tile_size;
    cfg_.count_active_bits = options_.count_active_bits;
    cfg_.tile_order = [t = tiles_](std::size_t n) { return t.order(n); };
  }

  [[nodiscard]] const threshold_type& threshold() const noexcept { return threshold_; }
  [[nodiscard]] const attention_options& options() const noexcept { return options_; }
  /// The tile policy this kernel visits key tiles with (its tile size and order).
  [[nodiscard]] const tile_type& tiles() const noexcept { return tiles_; }

  /// One query (head_dim floats) against the whole cache; writes value_dim floats to `out`.
  /// Throws invalid_argument (shape, empty cache) or domain_error (NaN/Inf in the query).
  attention_stats decode(std::span<const float> query, const cache_type& cache, std::span<float> out) const {
    const detail::kv_view kv = cache.view();
    detail::check_call(kv, query.size(), 1, out.size(), "bitsieve::sparse_attention::decode", options_.softmax_scale);
    const std::size_t vis[1] = {kv.tokens};
    return detail::attend(threshold_, cfg_, kv, query, out, vis, false, options_.query_bits, options_.softmax_scale, {},
                          options_.threads);
  }

  /// GQA: G query heads (row-major G x head_dim) sharing this KV head; each plane of a block is
  /// read once for the whole group (lockstep). Results equal G separate decodes.
  attention_stats decode_group(std::span<const float> queries, const cache_type& cache, std::span<float> outs) const {
    const detail::kv_view kv = cache.view();
    const std::size_t g = kv.head_dim == 0 ? 0 : queries.size() / kv.head_dim;
    detail::check_call(kv, queries.size(), g, outs.size(), "bitsieve::sparse_attention::decode_group",
                       options_.softmax_scale);
    const std::vector<std::size_t> vis(g, kv.tokens);
    return detail::attend(threshold_, cfg_, kv, queries, outs, vis, true, options_.query_bits, options_.softmax_scale, {},
                          options_.threads);
  }

  /// Many queries (n_q x head_dim), each against every key (bidirectional / encoder attention).
  attention_stats prefill(std::span<const float> queries, const cache_type& cache, std::span<float> outs) const {
    return prefill_impl(queries, cache, outs, false);
  }

  /// Causal prefill: row i of n_q queries attends keys 0 .. n_k - n_q + i (n_q <= n_k).
  attention_stats prefill(std::span<const float> queries, const cache_type& cache, std::span<float> outs,
                          causal_t /*causal*/) const {
    return prefill_impl(queries, cache, outs, true);
  }

 private:
  attention_stats prefill_impl(std::span<const float> queries, const cache_type& cache, std::span<float> outs,
                               bool is_causal) const {
    const detail::kv_view kv = cache.view();
    const std::size_t n_q = kv.head_dim == 0 ? 0 : queries.size() / kv.head_dim;
    detail::check_call(kv, queries.size(), n_q, outs.size(), "bitsieve::sparse_attention::prefill",
                       options_.softmax_scale);
    const std::vector<std::size_t> vis = detail::visible_rows(n_q, kv.tokens, is_causal, "bitsieve::sparse_attention::prefill");
    return detail::attend(threshold_, cfg_, kv, queries, outs, vis, false, options_.query_bits, options_.softmax_scale, {},
                          options_.threads);
  }

  threshold_type threshold_;
  attention_options options_;
  tile_type tiles_;
  detail::engine_config cfg_;
};

}  // namespace bitsieve
