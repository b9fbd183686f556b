// SPDX-License-Identifier: Apache-2.0
// The kernel against an independent scalar model of the decision rules (tests/support/golden_model.hpp):
// the same keep/drop decision and stop plane for every key.
//
// Per-key decisions are read from the kernel's public output without exposing anything new: the
// cache's value rows are the identity (value_dim = n, v_j = e_j), so output element j is key j's
// softmax weight over the kernel's kept set — exactly 0 when j was dropped. That vector must equal
// the softmax over the *model's* kept set, computed in double from the exact integer scores; the
// stop histogram, survivors and planes read must equal the model's too.
#include <bitsieve/format/sign_magnitude.hpp>
#include <bitsieve/format/twos_complement.hpp>
#include <bitsieve/kernel/key_value_cache.hpp>
#include <bitsieve/kernel/sparse_attention.hpp>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "support/bundles.hpp"
#include "support/golden_model.hpp"
#include "support/real_data.hpp"
#include "support/testbed.hpp"

namespace {

using namespace bitsieve_test;
namespace fmt = bitsieve::format;
namespace thr = bitsieve::threshold;
namespace sch = bitsieve::schedule;

/// Keys and queries of one case.
struct case_input {
  std::string name;
  std::size_t n = 0, d = 0;
  double softmax_scale = 0.0;
  std::vector<float> keys;                  // (n, d)
  std::vector<std::vector<float>> queries;  // each d
};

case_input synthetic_case(std::size_t n, std::size_t d, std::size_t n_q, double spread, std::uint64_t seed) {
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
case_input real_case(const std::string& sample, int layer, int head, std::size_t count) {
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

/// A cache of the case's keys whose values are the identity rows.
template <class F>
bitsieve::key_value_cache<F> one_hot_cache(const case_input& in) {
  std::vector<float> eye(in.n * in.n, 0.0F);
  for (std::size_t j = 0; j < in.n; ++j) eye[j * in.n + j] = 1.0F;
  bitsieve::key_value_cache<F> cache(in.d, in.n);
  cache.append(in.keys, eye);
  return cache;
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

/// Runs the kernel (format F, scheduler S, tile order T) and the model on one query and compares
/// every key's decision, the output, and the stats.
template <class F, class S, class T, class Thr>
void compare(const case_input& in, const bitsieve::key_value_cache<F>& cache, const query_setup<F>& qs, const Thr& rule,
             std::size_t tile_size, tally& tl) {
  CAPTURE(S::lanes);
  CAPTURE(S::bidirectional);
  CAPTURE(static_cast<int>(tile_kind_of<T>()));
  CAPTURE(tile_size);
  const bitsieve::sparse_attention<bundle<F, Thr, S, T>> attn{rule, {.softmax_scale = in.softmax_scale}, T{tile_size}};
  std::vector<float> out(in.n);
  const bitsieve::attention_stats st = attn.decode(qs.query, cache, out);
  const model_result mr = qs.model.run(model_rule_of(rule), model_schedule{S::lanes, tile_size, tile_kind_of<T>(), 64});

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
  CHECK(st.active_bits == qs.model.active_bits(mr, S::bidirectional));
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
  fn(thr::lats{.alpha = 0.6, .radius = 5.0});
  fn(thr::lats{.alpha = 1.0, .radius = 5.0});
  fn(thr::fixed{.tau = qs.c * static_cast<double>(best) - 4.0});
  fn(thr::top_k{.k = 1});
  fn(thr::top_k{.k = 8});
  fn(thr::top_k{.k = 40});
  fn(thr::dense{});
}

void report(const std::string& what, const tally& tl) {
  MESSAGE(what << ": " << tl.runs << " runs, " << tl.keys << " key decisions, " << tl.dropped << " dropped ("
               << tl.early << " before the last plane, " << tl.last_plane_drops << " after it), " << tl.kept
               << " kept, " << tl.invisible << " kept with a weight below 1e-30");
  // The comparisons must have exercised both outcomes and early stops.
  CHECK(tl.dropped > 0);
  CHECK(tl.kept > 0);
  CHECK(tl.early > 0);
}

/// Lock-step, one tile, lats (the golden configuration), every query of the case.
template <class F>
void golden_lats(const case_input& in, tally& tl) {
  CAPTURE(in.name);
  const auto cache = one_hot_cache<F>(in);
  const auto ints = integer_keys(cache);
  for (std::size_t qi = 0; qi < in.queries.size(); ++qi) {
    CAPTURE(qi);
    const query_setup<F> qs = setup_query(in, cache, ints, qi);
    compare<F, sch::lockstep, bitsieve::tile::sequential>(in, cache, qs, thr::lats{.alpha = 0.6, .radius = 5.0}, 0, tl);
    compare<F, sch::lockstep, bitsieve::tile::sequential>(in, cache, qs, thr::lats{.alpha = 1.0, .radius = 5.0}, 0, tl);
  }
}

/// Every scheduler x tile order x tile size x rule on the first `n_queries` queries of the case.
template <class F>
void full_matrix(const case_input& in, std::size_t n_queries, tally& tl,
                 std::initializer_list<std::size_t> sizes = {0, 32, 100}) {
  CAPTURE(in.name);
  const auto cache = one_hot_cache<F>(in);
  const auto ints = integer_keys(cache);
  for (std::size_t qi = 0; qi < std::min(n_queries, in.queries.size()); ++qi) {
    CAPTURE(qi);
    const query_setup<F> qs = setup_query(in, cache, ints, qi);
    for_each_rule(qs, [&](const auto& rule) {
      for_each_type(all_schedulers{}, [&]<class S>() {
        for_each_type(all_tiles{}, [&]<class T>() {
          for (const std::size_t ts : sizes) {
            compare<F, S, T>(in, cache, qs, rule, ts, tl);
          }
        });
      });
    });
  }
}

}  // namespace

TEST_SUITE("kernel") {
  TEST_CASE("kernel/golden_model: lock-step, one tile, lats: the kernel makes the scalar model's decision for every key") {
    tally tl;
    SUBCASE("random inputs, 12-bit two's complement and sign-magnitude") {
      for (const std::uint64_t seed : {11U, 12U, 13U}) {
        const case_input in = synthetic_case(300 + seed, 64, 6, 2.0, seed);
        golden_lats<fmt::twos_complement<12>>(in, tl);
        golden_lats<fmt::sign_magnitude<12>>(in, tl);
      }
      const case_input small = synthetic_case(45, 13, 6, 3.0, 21);
      golden_lats<fmt::twos_complement<8>>(small, tl);
      golden_lats<fmt::sign_magnitude<16>>(small, tl);
      report("random", tl);
    }
    SUBCASE("real inputs: gpl3_tok0000-0128 layer 0 head 1 (every query) and a 1024-token window (32 queries)") {
      golden_lats<fmt::twos_complement<12>>(real_case("gpl3_tok0000-0128", 0, 1, 128), tl);
      golden_lats<fmt::twos_complement<12>>(real_case("gpl3_tok0000-1024", 0, 1, 32), tl);
      golden_lats<fmt::sign_magnitude<12>>(real_case("gpl3_tok0000-1024", 1, 0, 8), tl);
      report("real", tl);
    }
  }

  TEST_CASE("kernel/golden_model: every scheduler, tile order, tile size and exact rule agree with the scalar model") {
    tally tl;
    SUBCASE("random inputs") {
      full_matrix<fmt::twos_complement<12>>(synthetic_case(300, 64, 2, 2.0, 31), 2, tl);
      full_matrix<fmt::sign_magnitude<8>>(synthetic_case(170, 24, 1, 2.5, 32), 1, tl);
      full_matrix<fmt::twos_complement<4>>(synthetic_case(77, 13, 1, 3.0, 33), 1, tl);
      report("random", tl);
    }
    SUBCASE("real inputs: gpl3_tok0000-0128 layer 0 head 1 and layer 1 head 3") {
      full_matrix<fmt::twos_complement<12>>(real_case("gpl3_tok0000-0128", 0, 1, 4), 4, tl);
      full_matrix<fmt::twos_complement<12>>(real_case("gpl3_tok0000-0128", 1, 3, 2), 2, tl);
      report("real", tl);
    }
  }

  // A tile is tile_size tokens rounded up to whole 32-token blocks (tile/concept.hpp), and head_tail
  // visits "the tiles holding the first Sink tokens" first. With tile_size 40 a tile is 64 tokens,
  // so tile 0 alone holds the 64 sink tokens; with tile_size 20 a tile is 32 tokens and tiles 0-1
  // hold them.
  TEST_CASE("kernel/golden_model: head_tail with a tile size that is not a multiple of 32 (the sink tiles of the "
            "rounded tiles first)") {
    tally tl;
    const case_input in = synthetic_case(300, 64, 2, 2.0, 41);
    const auto cache = one_hot_cache<fmt::twos_complement<12>>(in);
    const auto ints = integer_keys(cache);
    for (std::size_t qi = 0; qi < in.queries.size(); ++qi) {
      const auto qs = setup_query(in, cache, ints, qi);
      for (const std::size_t ts : {std::size_t{20}, std::size_t{40}, std::size_t{70}}) {
        for_each_type(all_schedulers{}, [&]<class S>() {
          compare<fmt::twos_complement<12>, S, bitsieve::tile::head_tail<64>>(in, cache, qs, thr::lats{}, ts, tl);
          compare<fmt::twos_complement<12>, S, bitsieve::tile::head_tail<64>>(in, cache, qs, thr::top_k{.k = 8}, ts, tl);
        });
      }
    }
    report("head_tail, tile sizes 20, 40, 70", tl);
  }
}
