// SPDX-License-Identifier: Apache-2.0
// dynamic_attention: the same configuration chosen at run time gives bit-identical outputs and
// stats to sparse_attention<Policies> (every threshold, scheduler, tile order and tile size), for
// decode, prefill and causal prefill, and for either key format.
#include <bitsieve/format/sign_magnitude.hpp>
#include <bitsieve/format/twos_complement.hpp>
#include <bitsieve/kernel/dynamic_attention.hpp>
#include <bitsieve/kernel/key_value_cache.hpp>
#include <bitsieve/kernel/sparse_attention.hpp>

#include <cstring>
#include <type_traits>
#include <vector>

#include <doctest/doctest.h>

#include "support/bundles.hpp"
#include "support/testbed.hpp"

namespace {

using namespace bitsieve_test;
namespace fmt = bitsieve::format;
namespace thr = bitsieve::threshold;

template <class T>
bitsieve::tile_order_kind dynamic_kind() {
  if constexpr (std::is_same_v<T, bitsieve::tile::sequential>) {
    return bitsieve::tile_order_kind::sequential;
  } else if constexpr (std::is_same_v<T, bitsieve::tile::interleaved>) {
    return bitsieve::tile_order_kind::interleaved;
  } else {
    return bitsieve::tile_order_kind::head_tail;
  }
}

template <class F>
void compare_static_and_dynamic(std::size_t n, std::size_t d, std::size_t dv, std::size_t n_q, std::uint64_t seed) {
  const std::vector<float> dir = normal_floats(d, seed);
  bitsieve::key_value_cache<F> cache(d, dv);
  cache.append(peaked_keys(n, d, seed + 1, dir, 2.0), normal_floats(n * dv, seed + 2));
  std::vector<float> queries(n_q * d);
  rng r(seed + 3);
  for (std::size_t i = 0; i < queries.size(); ++i) queries[i] = static_cast<float>(dir[i % d] + 0.6 * r.normal());
  std::size_t configs = 0;
  for_each_type(all_thresholds{}, [&]<class Thr>() {
    for_each_type(all_schedulers{}, [&]<class S>() {
      for_each_type(all_tiles{}, [&]<class T>() {
        for (const std::size_t ts : tile_sizes) {
          CAPTURE(S::lanes);
          CAPTURE(S::bidirectional);
          CAPTURE(static_cast<int>(tile_kind_of<T>()));
          CAPTURE(ts);
          const Thr rule = test_threshold<Thr>();
          const bitsieve::sparse_attention<bundle<F, Thr, S, T>> fixed_attn{rule, {}, T{ts}};
          bitsieve::dynamic_config cfg;
          cfg.threshold = rule;
          cfg.lanes = S::lanes;
          cfg.bidirectional = S::bidirectional;
          cfg.tiles = dynamic_kind<T>();
          cfg.tile_size = ts;
          cfg.sink = 64;
          cfg.options.query_bits = F::bits;
          const bitsieve::dynamic_attention dyn{cfg};
          for (const bool causal : {false, true}) {
            std::vector<float> a(n_q * dv), b(n_q * dv);
            const auto sa = causal ? fixed_attn.prefill(queries, cache, a, bitsieve::causal)
                                   : fixed_attn.prefill(queries, cache, a);
            const auto sb = dyn.prefill(queries, cache, b, causal);
            CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
            check_same_stats(sa, sb);
          }
          std::vector<float> a(dv), b(dv);
          const auto sa = fixed_attn.decode(std::span<const float>(queries).first(d), cache, a);
          const auto sb = dyn.decode(std::span<const float>(queries).first(d), cache, b);
          CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
          check_same_stats(sa, sb);
          ++configs;
        }
      });
    });
  });
  CHECK(configs == 5 * 5 * 3 * std::size(tile_sizes));
}

}  // namespace

TEST_SUITE("kernel") {
  TEST_CASE("kernel/dynamic_attention: the run-time configuration matches sparse_attention bit for bit (12-bit)") {
    compare_static_and_dynamic<fmt::twos_complement<12>>(333, 32, 8, 3, 51);
  }
  TEST_CASE("kernel/dynamic_attention: the run-time configuration matches sparse_attention bit for bit (8-bit sign-magnitude)") {
    compare_static_and_dynamic<fmt::sign_magnitude<8>>(150, 13, 4, 2, 52);
  }
  TEST_CASE("kernel/dynamic_attention: the configuration is kept and bad lane counts are refused") {
    bitsieve::dynamic_config cfg;
    cfg.threshold = thr::top_k{.k = 3};
    cfg.lanes = 17;
    const bitsieve::dynamic_attention dyn{cfg};
    CHECK(std::get<thr::top_k>(dyn.config().threshold).k == 3);
    CHECK(dyn.config().lanes == 17);
    cfg.lanes = -1;
    CHECK_THROWS_AS(bitsieve::dynamic_attention{cfg}, bitsieve::invalid_argument);
    cfg.lanes = 4097;
    CHECK_THROWS_AS(bitsieve::dynamic_attention{cfg}, bitsieve::invalid_argument);
    cfg.lanes = 4096;
    CHECK_NOTHROW(bitsieve::dynamic_attention{cfg});
  }
}
