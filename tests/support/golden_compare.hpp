// SPDX-License-Identifier: Apache-2.0
/// \file tests/support/golden_compare.hpp
/// Comparing kernel runs with the scalar model (support/golden_model.hpp) key by key: the inputs
/// (synthetic and real), the per-query setup (exact scores, logit scale, model), and the check
/// itself. Per-key decisions come from the kernel's output on a one-hot cache (support/one_hot.hpp):
/// output element j is key j's softmax weight over the kept set, exactly 0 when j was dropped.
#pragma once

#include <bitsieve/kernel/stats.hpp>
#include <bitsieve/threshold/dense.hpp>
#include <bitsieve/threshold/fixed.hpp>
#include <bitsieve/threshold/lats.hpp>
#include <bitsieve/threshold/top_k.hpp>

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "support/golden_model.hpp"
#include "support/one_hot.hpp"
#include "support/real_data.hpp"
#include "support/testbed.hpp"

namespace bitsieve_test {

/// Keys and queries of one case.
struct case_input {
  std::string name;
  std::size_t n = 0, d = 0;
  double softmax_scale = 0.0;
  std::vector<float> keys;                  // (n, d)
  std::vector<std::vector<float>> queries;  // each d
};

inline case_input synthetic_case(std::size_t n, std::size_t d, std::size_t n_q, double spread, std::uint64_t seed) {
  case_input c;
  c.name = "synthetic n=" + std::to_string(n) + " d=" + std::to_string(d) + " seed=" + std::to_string(seed);
  c.n = n;
  c.d = d;
  const std::vector<float> dir = normal_floats(d, seed);
  c.keys = peaked_keys(n, d, seed + 1, dir, spread);
  rng r(seed + 2);
  for (std::size_t i = 0; i < n_q; ++i) {
    std::vector<float> q(d);
    const double along = 0.5 + 1.5 * r.uniform();
    for (std::size_t x = 0; x < d; ++x) q[x] = static_cast<float>(along * dir[x] + 0.7 * r.normal());
    c.queries.push_back(q);
  }
  return c;
}

/// `count` evenly spaced query rows of a real trace.
inline case_input real_case(const std::string& sample, int layer, int head, std::size_t count) {
  const head_trace t = load_head(sample, layer, head);
  case_input c;
  c.name = t.name();
  c.n = t.n;
  c.d = t.d;
  c.softmax_scale = t.softmax_scale;
  c.keys = t.k;
  const std::size_t step = std::max<std::size_t>(1, t.n / count);
  for (std::size_t i = 0; i < t.n && c.queries.size() < count; i += step) {
    c.queries.emplace_back(t.q.begin() + static_cast<std::ptrdiff_t>(i * t.d),
                           t.q.begin() + static_cast<std::ptrdiff_t>((i + 1) * t.d));
  }
  return c;
}

/// What one query needs for the comparison.
template <class F>
struct query_setup {
  std::vector<float> query;
  std::vector<bitsieve::score_t> scores;
  double c = 0.0;
  golden_model<F> model;
};

template <class F>
query_setup<F> setup_query(const case_input& in, const bitsieve::key_value_cache<F>& cache,
                           const std::vector<std::vector<std::int32_t>>& ints, std::size_t qi) {
  const int_query q = quantize_query(in.queries[qi], F::bits);
  const double c = logit_scale(q.scale, cache.key_scale(), in.softmax_scale, in.d);
  return {in.queries[qi], exact_scores(q.q, ints), c, golden_model<F>(q.q, ints, c)};
}

/// Totals over a test, to show the comparisons were not trivial.
struct tally {
  std::uint64_t runs = 0, keys = 0, dropped = 0, kept = 0, early = 0, last_plane_drops = 0, invisible = 0;
};

/// Compares one kernel run (its one-hot output `out` and stats `st`) with the model's run of the
/// same rule and schedule: every key's decision, the output, and every count.
template <class F>
void check_against_model(const case_input& in, const query_setup<F>& qs, const model_rule& rule,
                         const model_schedule& sch, bool bidirectional, std::span<const float> out,
                         const bitsieve::attention_stats& st, tally& tl) {
  const model_result mr = qs.model.run(rule, sch);

  // Counts: the model's histogram, survivors, planes and last-plane drops.
  bool hist_equal = true;
  for (std::size_t p = 0; p < 17; ++p) hist_equal = hist_equal && st.stop_histogram[p] == mr.hist[p];
  CHECK_MESSAGE(hist_equal, "stop histograms differ");
  CHECK(st.survivors == mr.survivors);
  CHECK(st.planes_read == mr.planes);
  CHECK(st.stop_histogram[F::bits] - st.survivors == mr.last_plane_drops);
  CHECK(st.rounds == mr.rounds);
  CHECK(st.block_planes_read == mr.block_planes);
  CHECK(st.block_token_planes_read == mr.block_token_planes);
  CHECK(st.active_bits == qs.model.active_bits(mr, bidirectional));
  check_stats_consistent(st, 1, in.n, F::bits, in.d, in.n);

  // Per key: dropped by the model <=> weight exactly 0 in the kernel's output.
  const std::vector<double> p = softmax_over(qs.scores, qs.c, mr.kept);
  std::size_t mismatches = 0;
  std::size_t first_mismatch = in.n;
  for (std::size_t j = 0; j < in.n; ++j) {
    bool ok = true;
    if (mr.kept[j] == 0) {
      ok = out[j] == 0.0F;
    } else if (p[j] > 1e-30) {
      ok = out[j] > 0.0F;
    } else {
      ++tl.invisible;  // kept, but its weight is below what a float output can show
    }
    if (!ok) {
      ++mismatches;
      first_mismatch = std::min(first_mismatch, j);
    }
  }
  CHECK_MESSAGE(mismatches == 0, mismatches << " keys decided differently; first: key " << first_mismatch
                                            << " (model: " << (first_mismatch < in.n ? mr.stop_plane[first_mismatch] : 0)
                                            << " planes, kept " << (first_mismatch < in.n ? int(mr.kept[first_mismatch]) : 0)
                                            << ")");
  const double err = relative_l2(out, p);
  CHECK_MESSAGE(err < 1e-6, "output vs softmax over the model's kept set: relative L2 " << err);

  tl.runs += 1;
  tl.keys += in.n;
  tl.kept += mr.survivors;
  tl.dropped += in.n - mr.survivors;
  tl.last_plane_drops += mr.last_plane_drops;
  for (std::size_t j = 0; j < in.n; ++j) tl.early += mr.stop_plane[j] < F::bits ? 1U : 0U;
}

/// The rules compared: the papers' lats, a wider lats, fixed at 4 logits under the best score,
/// top_k for k = 1, 8, 40, and dense.
template <class F, class Fn>
void for_each_rule(const query_setup<F>& qs, Fn&& fn) {
  bitsieve::score_t best = qs.scores.front();
  for (const auto s : qs.scores) best = std::max(best, s);
  fn(bitsieve::threshold::lats{.alpha = 0.6, .radius = 5.0});
  fn(bitsieve::threshold::lats{.alpha = 1.0, .radius = 5.0});
  fn(bitsieve::threshold::fixed{.tau = qs.c * static_cast<double>(best) - 4.0});
  fn(bitsieve::threshold::top_k{.k = 1});
  fn(bitsieve::threshold::top_k{.k = 8});
  fn(bitsieve::threshold::top_k{.k = 40});
  fn(bitsieve::threshold::dense{});
}

inline void report(const std::string& what, const tally& tl) {
  MESSAGE(what << ": " << tl.runs << " runs, " << tl.keys << " key decisions, " << tl.dropped << " dropped ("
               << tl.early << " before the last plane, " << tl.last_plane_drops << " after it), " << tl.kept
               << " kept, " << tl.invisible << " kept with a weight below 1e-30");
  // The comparisons must have exercised both outcomes and early stops.
  CHECK(tl.dropped > 0);
  CHECK(tl.kept > 0);
  CHECK(tl.early > 0);
}


}  // namespace bitsieve_test
