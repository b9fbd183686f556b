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
#include "support/golden_compare.hpp"
#include "support/golden_model.hpp"
#include "support/real_data.hpp"
#include "support/testbed.hpp"

namespace {

using namespace bitsieve_test;
namespace fmt = bitsieve::format;
namespace thr = bitsieve::threshold;
namespace sch = bitsieve::schedule;

/// Runs the kernel (format F, scheduler S, tile order T) on one query and compares it with the
/// model.
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
  check_against_model(in, qs, model_rule_of(rule), model_schedule{S::lanes, tile_size, tile_kind_of<T>(), 64},
                      S::bidirectional, out, st, tl);
}

/// Lock-step, one tile, lats (the golden configuration), every query of the case.
template <class F>
void golden_lats(const case_input& in, tally& tl) {
  CAPTURE(in.name);
  const auto cache = one_hot_cache<F>(in.keys, in.d);
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
  const auto cache = one_hot_cache<F>(in.keys, in.d);
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
  TEST_CASE("kernel/golden_model: lock-step with one tile and lats makes the scalar model's decision for every key") {
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

  TEST_CASE("kernel/golden_model: every scheduler x tile order x tile size x exact rule agrees with the scalar model") {
    tally tl;
    SUBCASE("random inputs") {
      full_matrix<fmt::twos_complement<12>>(synthetic_case(300, 64, 2, 2.0, 31), 2, tl);
      full_matrix<fmt::sign_magnitude<8>>(synthetic_case(170, 24, 1, 2.5, 32), 1, tl);
      full_matrix<fmt::twos_complement<4>>(synthetic_case(77, 13, 1, 3.0, 33), 1, tl);
      report("random", tl);
    }
    SUBCASE("real inputs: gpl3_tok0000-0128 layer 0 head 1 and layer 1 head 3") {
      full_matrix<fmt::twos_complement<12>>(real_case("gpl3_tok0000-0128", 0, 1, 2), 2, tl);
      full_matrix<fmt::twos_complement<12>>(real_case("gpl3_tok0000-0128", 1, 3, 1), 1, tl);
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
    const auto cache = one_hot_cache<fmt::twos_complement<12>>(in.keys, in.d);
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
