// SPDX-License-Identifier: Apache-2.0
// sparse_attention: dense exactness over every scheduler, tile order, format and width; run-to-run
// determinism and the stats identities for every policy bundle; causal prefill against row-by-row
// decode; decode_group against separate decodes.
#include <bitsieve/format/sign_magnitude.hpp>
#include <bitsieve/format/twos_complement.hpp>
#include <bitsieve/kernel/dynamic_attention.hpp>
#include <bitsieve/kernel/key_value_cache.hpp>
#include <bitsieve/kernel/policies.hpp>
#include <bitsieve/kernel/sparse_attention.hpp>

#include <cstring>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <doctest/doctest.h>

#include "support/bundles.hpp"
#include "support/real_data.hpp"
#include "support/testbed.hpp"

namespace {

using namespace bitsieve_test;
namespace fmt = bitsieve::format;
namespace thr = bitsieve::threshold;

/// Active bits of a dense pass over every key: sum over keys and planes of the 1-bits of the plane
/// (or of min(ones, zeros) when bidirectional), from the integer keys and the format's bit().
template <class F>
std::uint64_t dense_active_bits(const std::vector<std::vector<std::int32_t>>& keys, bool bidirectional) {
  std::uint64_t total = 0;
  for (const auto& k : keys) {
    for (int r = 0; r < F::planes; ++r) {
      std::uint64_t ones = 0;
      for (const std::int32_t v : k) ones += F::bit(v, r);
      total += bidirectional ? std::min<std::uint64_t>(ones, k.size() - ones) : ones;
    }
  }
  return total;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

/// One input set: a cache's float keys and values and some queries.
struct inputs {
  std::string name;
  std::size_t n = 0, d = 0, dv = 0, n_q = 0;
  double softmax_scale = 0.0;
  std::vector<float> keys, values, queries;
};

inputs synthetic_inputs(std::size_t n, std::size_t d, std::size_t dv, std::size_t n_q, std::uint64_t seed) {
  inputs in;
  in.name = "synthetic n=" + std::to_string(n) + " d=" + std::to_string(d);
  in.n = n;
  in.d = d;
  in.dv = dv;
  in.n_q = n_q;
  const std::vector<float> dir = normal_floats(d, seed);
  in.keys = peaked_keys(n, d, seed + 1, dir, 2.0);
  in.values = normal_floats(n * dv, seed + 2);
  in.queries.resize(n_q * d);
  rng r(seed + 3);
  for (std::size_t i = 0; i < n_q; ++i) {
    for (std::size_t x = 0; x < d; ++x) in.queries[i * d + x] = static_cast<float>(1.5 * dir[x] + 0.5 * r.normal());
  }
  return in;
}

/// gpl3_tok0000-0128 layer 0 head 1: 128 real queries, keys and values (loaded once).
const inputs& real_128() {
  static const inputs in = [] {
    const head_trace t = load_head("gpl3_tok0000-0128", 0, 1);
    inputs x;
    x.name = t.name();
    x.n = t.n;
    x.d = t.d;
    x.dv = t.d;
    x.n_q = t.n;
    x.softmax_scale = t.softmax_scale;
    x.keys = t.k;
    x.values = t.v;
    x.queries = t.q;
    return x;
  }();
  return in;
}

template <class P>
bitsieve::sparse_attention<P> make_attention(double softmax_scale) {
  using T = typename P::threshold_policy;
  return bitsieve::sparse_attention<P>{test_threshold<T>(), bitsieve::attention_options{.softmax_scale = softmax_scale}};
}

using F12 = fmt::twos_complement<12>;

}  // namespace

TEST_SUITE("kernel") {
  TEST_CASE_TEMPLATE("kernel/sparse_attention: dense equals exact attention on the quantized inputs (every scheduler x "
                     "tile order x tile size)",
                     F, fmt::twos_complement<4>, fmt::twos_complement<8>, fmt::twos_complement<12>,
                     fmt::twos_complement<16>, fmt::sign_magnitude<4>, fmt::sign_magnitude<8>, fmt::sign_magnitude<12>,
                     fmt::sign_magnitude<16>) {
    struct shape {
      std::size_t d, n, dv;
    };
    // head_dim not a multiple of 8 (13) and sequence lengths not multiples of 32.
    for (const shape sh : {shape{13, 45, 7}, shape{64, 300, 64}, shape{128, 77, 33}}) {
      CAPTURE(sh.d);
      CAPTURE(sh.n);
      const std::uint64_t seed = 1000 + sh.d * 7 + sh.n + static_cast<std::uint64_t>(F::bits);
      const std::vector<float> keys = normal_floats(sh.n * sh.d, seed);
      const std::vector<float> values = normal_floats(sh.n * sh.dv, seed + 1);
      const std::size_t n_q = 2;
      const std::vector<float> queries = normal_floats(n_q * sh.d, seed + 2, 2.0);
      bitsieve::key_value_cache<F> cache(sh.d, sh.dv);
      cache.append(keys, values);
      const auto ints = integer_keys(cache);
      std::vector<std::vector<double>> want;
      for (std::size_t i = 0; i < n_q; ++i) {
        want.push_back(dense_quantized_attention(std::span<const float>(queries).subspan(i * sh.d, sh.d), cache, ints,
                                                 F::bits, 0.0, values));
      }
      const std::uint64_t ones = dense_active_bits<F>(ints, false);
      const std::uint64_t rarer = dense_active_bits<F>(ints, true);
      std::size_t runs = 0;
      for_each_type(all_schedulers{}, [&]<class S>() {
        for_each_type(all_tiles{}, [&]<class T>() {
          for (const std::size_t ts : tile_sizes) {
            CAPTURE(S::lanes);
            CAPTURE(S::bidirectional);
            CAPTURE(static_cast<int>(tile_kind_of<T>()));
            CAPTURE(ts);
            const bitsieve::sparse_attention<bundle<F, thr::dense, S, T>> attn{thr::dense{}, {}, T{ts}};
            std::vector<float> out(n_q * sh.dv);
            const bitsieve::attention_stats st = attn.prefill(queries, cache, out);
            for (std::size_t i = 0; i < n_q; ++i) {
              const double err = relative_l2(std::span<const float>(out).subspan(i * sh.dv, sh.dv), want[i]);
              CHECK_MESSAGE(err < 1e-6, "query " << i << ": relative L2 error " << err);
            }
            check_stats_consistent(st, n_q, n_q * sh.n, F::bits, sh.d, sh.dv);
            CHECK(st.survivors == n_q * sh.n);
            CHECK(st.stop_histogram[F::bits] == n_q * sh.n);
            CHECK(st.planes_read == n_q * sh.n * F::bits);
            CHECK(st.block_token_planes_read == st.planes_read);
            CHECK(st.dropped_mass_bound_sum == 0.0);
            CHECK(st.active_bits == n_q * (S::bidirectional ? rarer : ones));
            ++runs;
          }
        });
      });
      CHECK(runs == 75);
    }
  }

  TEST_CASE("kernel/sparse_attention: dense equals exact attention on real keys (head_dim 64 and 128)") {
    for (const int layer : {0, 1}) {
      const head_trace t = load_head("gpl3_tok0512-0640", layer, 2);
      CAPTURE(t.name());
      bitsieve::key_value_cache<F12> cache(t.d, t.d);
      cache.append(t.k, t.v);
      const auto ints = integer_keys(cache);
      struct dense12 : bitsieve::golden_policies {
        using threshold_policy = thr::dense;
      };
      const bitsieve::sparse_attention<dense12> attn{thr::dense{}, {.softmax_scale = t.softmax_scale}};
      std::vector<float> out(t.n * t.d);
      const auto st = attn.prefill(t.q, cache, out);
      check_stats_consistent(st, t.n, t.n * t.n, 12, t.d, t.d);
      double worst = 0.0;
      for (std::size_t i = 0; i < t.n; ++i) {
        const auto want = dense_quantized_attention(std::span<const float>(t.q).subspan(i * t.d, t.d), cache, ints, 12,
                                                    t.softmax_scale, t.v);
        worst = std::max(worst, relative_l2(std::span<const float>(out).subspan(i * t.d, t.d), want));
      }
      CHECK(worst < 1e-6);
    }
  }
}

namespace {

/// Causal, grouped and tiled variants for the prefill / decode_group comparisons.
struct interleaved_lockstep : bitsieve::default_policies {
  using tile_policy = bitsieve::tile::interleaved;
};
struct head_tail_lats : bitsieve::bitstopper_policies {
  using tile_policy = bitsieve::tile::head_tail<64>;
};

// Named bundles (a type name without commas keeps the ctest label discovery working).
struct bitstopper_dense : with_threshold<bitsieve::bitstopper_policies, thr::dense> {};
struct bitstopper_fixed : with_threshold<bitsieve::bitstopper_policies, thr::fixed> {};
struct bitstopper_mass_budget : with_threshold<bitsieve::bitstopper_policies, thr::mass_budget> {};
struct bitstopper_top_k : with_threshold<bitsieve::bitstopper_policies, thr::top_k> {};
struct default_dense : with_threshold<bitsieve::default_policies, thr::dense> {};
struct default_fixed : with_threshold<bitsieve::default_policies, thr::fixed> {};
struct default_lats : with_threshold<bitsieve::default_policies, thr::lats> {};
struct default_mass_budget : with_threshold<bitsieve::default_policies, thr::mass_budget> {};
struct default_top_k : with_threshold<bitsieve::default_policies, thr::top_k> {};
struct pade_dense : with_threshold<bitsieve::pade_policies, thr::dense> {};
struct pade_fixed : with_threshold<bitsieve::pade_policies, thr::fixed> {};
struct pade_mass_budget : with_threshold<bitsieve::pade_policies, thr::mass_budget> {};
struct pade_top_k : with_threshold<bitsieve::pade_policies, thr::top_k> {};
struct interleaved_lockstep_dense : with_threshold<interleaved_lockstep, thr::dense> {};
struct interleaved_lockstep_mass_budget : with_threshold<interleaved_lockstep, thr::mass_budget> {};

using bundles_under_test = std::tuple<
    bitsieve::default_policies, bitsieve::golden_policies, bitsieve::bitstopper_policies, bitsieve::pade_policies,
    default_lats, default_mass_budget,
    default_top_k, default_fixed,
    default_dense, bitstopper_mass_budget,
    bitstopper_top_k, bitstopper_fixed,
    bitstopper_dense, pade_mass_budget,
    pade_top_k, pade_fixed,
    pade_dense>;


}  // namespace

TEST_SUITE("kernel") {
  TEST_CASE_TEMPLATE_DEFINE("kernel/sparse_attention: every bundle repeats bit for bit and its stats add up", P,
                            bundle_determinism) {
    using F = typename P::format_policy;
    const inputs synthetic = synthetic_inputs(700, 64, 40, 6, 77);
    for (const inputs* in : {&real_128(), &synthetic}) {
      CAPTURE(in->name);
      bitsieve::key_value_cache<F> cache(in->d, in->dv);
      cache.append(in->keys, in->values);
      const auto a = make_attention<P>(in->softmax_scale);
      const auto b = make_attention<P>(in->softmax_scale);
      std::vector<float> out1(in->n_q * in->dv), out2(out1.size()), out3(out1.size());
      const auto st1 = a.prefill(in->queries, cache, out1);
      const auto st2 = a.prefill(in->queries, cache, out2);
      const auto st3 = b.prefill(in->queries, cache, out3);
      CHECK(same_bits(out1, out2));
      CHECK(same_bits(out1, out3));
      check_same_stats(st1, st2);
      check_same_stats(st1, st3);
      check_stats_consistent(st1, in->n_q, in->n_q * in->n, F::bits, in->d, in->dv);
      // Prefill is a sequence of decodes: same rows, and the per-query stats add up to the total.
      bitsieve::attention_stats sum;
      sum.key_bits = F::bits;
      for (std::size_t i = 0; i < in->n_q; ++i) {
        std::vector<float> row(in->dv);
        const auto st = a.decode(std::span<const float>(in->queries).subspan(i * in->d, in->d), cache, row);
        check_stats_consistent(st, 1, in->n, F::bits, in->d, in->dv);
        CHECK(std::memcmp(row.data(), out1.data() + i * in->dv, in->dv * sizeof(float)) == 0);
        sum += st;
      }
      check_same_stats(sum, st1);
    }
  }
  TEST_CASE_TEMPLATE_APPLY(bundle_determinism, bundles_under_test);

  TEST_CASE_TEMPLATE("kernel/sparse_attention: causal prefill equals row-by-row decode over the visible prefix", P,
                     bitsieve::default_policies, bitsieve::bitstopper_policies, bitsieve::pade_policies,
                     interleaved_lockstep, head_tail_lats, default_mass_budget,
                     bitstopper_mass_budget,
                     default_top_k,
                     bitstopper_top_k,
                     default_fixed,
                     interleaved_lockstep_dense) {
    using F = typename P::format_policy;
    struct shape {
      std::size_t n_k, n_q;
    };
    for (const shape sh : {shape{150, 40}, shape{40, 40}, shape{97, 1}}) {
      CAPTURE(sh.n_k);
      CAPTURE(sh.n_q);
      const inputs in = synthetic_inputs(sh.n_k, 24, 16, sh.n_q, 500 + sh.n_k);
      bitsieve::key_value_cache<F> cache(in.d, in.dv);
      cache.append(in.keys, in.values);
      const auto attn = make_attention<P>(0.0);
      std::vector<float> out(sh.n_q * in.dv);
      const auto st = attn.prefill(in.queries, cache, out, bitsieve::causal);
      bitsieve::attention_stats sum;
      sum.key_bits = F::bits;
      std::uint64_t pairs = 0;
      for (std::size_t i = 0; i < sh.n_q; ++i) {
        const std::size_t visible = sh.n_k - sh.n_q + i + 1;
        CAPTURE(visible);
        // The prefix cache holds the same integers: its scale is fixed to the full cache's.
        bitsieve::key_value_cache<F> prefix(in.d, in.dv, bitsieve::cache_options{.key_scale = cache.key_scale()});
        prefix.append(std::span<const float>(in.keys).first(visible * in.d),
                      std::span<const float>(in.values).first(visible * in.dv));
        REQUIRE(prefix.saturated() == 0);
        std::vector<float> row(in.dv);
        const auto one = attn.decode(std::span<const float>(in.queries).subspan(i * in.d, in.d), prefix, row);
        CHECK(std::memcmp(row.data(), out.data() + i * in.dv, in.dv * sizeof(float)) == 0);
        sum += one;
        pairs += visible;
      }
      check_same_stats(sum, st);
      check_stats_consistent(st, sh.n_q, pairs, F::bits, in.d, in.dv);
    }
  }

  TEST_CASE_TEMPLATE("kernel/sparse_attention: decode_group equals separate decodes", P, bitsieve::default_policies,
                     bitsieve::golden_policies, bitsieve::bitstopper_policies, bitsieve::pade_policies,
                     interleaved_lockstep, default_mass_budget,
                     default_top_k,
                     default_fixed,
                     default_dense,
                     interleaved_lockstep_mass_budget) {
    using F = typename P::format_policy;
    for (const std::size_t g : {std::size_t{1}, std::size_t{4}, std::size_t{7}}) {
      CAPTURE(g);
      const inputs in = synthetic_inputs(333, 40, 24, g, 900 + g);
      bitsieve::key_value_cache<F> cache(in.d, in.dv);
      cache.append(in.keys, in.values);
      const auto attn = make_attention<P>(0.0);
      std::vector<float> outs(g * in.dv);
      const auto st = attn.decode_group(in.queries, cache, outs);
      bitsieve::attention_stats sum;
      sum.key_bits = F::bits;
      for (std::size_t i = 0; i < g; ++i) {
        std::vector<float> row(in.dv);
        sum += attn.decode(std::span<const float>(in.queries).subspan(i * in.d, in.d), cache, row);
        CHECK(std::memcmp(row.data(), outs.data() + i * in.dv, in.dv * sizeof(float)) == 0);
      }
      check_same_stats(sum, st);
      check_stats_consistent(st, g, g * in.n, F::bits, in.d, in.dv);
    }
  }

  TEST_CASE("kernel/sparse_attention: tiles() is the tile policy it was built with, and dynamic_attention with the same "
            "tiles makes the same decisions") {
    const inputs in = synthetic_inputs(900, 64, 24, 3, 99);
    bitsieve::key_value_cache<bitsieve::format::twos_complement<12>> cache(in.d, in.dv);
    cache.append(in.keys, in.values);
    const bitsieve::threshold::lats thr{.alpha = 0.6, .radius = 5.0};
    const bitsieve::sparse_attention<bitsieve::default_policies> tiled(thr, {}, bitsieve::tile::sequential{256});
    const bitsieve::sparse_attention<bitsieve::default_policies> whole(thr);
    CHECK(tiled.tiles().tile_size == 256);
    CHECK(whole.tiles().tile_size == 0);
    bitsieve::dynamic_config cfg;
    cfg.threshold = thr;
    cfg.tiles = bitsieve::tile_order_kind::sequential;
    cfg.tile_size = tiled.tiles().tile_size;
    const bitsieve::dynamic_attention dyn(cfg);
    std::vector<float> o1(in.dv), o2(in.dv), o3(in.dv);
    std::vector<std::uint8_t> trace(in.n);
    std::uint64_t rounds_tiled = 0, rounds_whole = 0;
    for (std::size_t i = 0; i < in.n_q; ++i) {
      const std::span<const float> q(in.queries.data() + i * in.d, in.d);
      const auto st1 = tiled.decode(q, cache, o1);
      const std::size_t vis[1] = {in.n};
      const auto st2 = dyn.run(q, cache, o2, vis, trace);
      CHECK(same_bits(o1, o2));
      check_same_stats(st1, st2);
      rounds_tiled += st1.rounds;
      rounds_whole += whole.decode(q, cache, o3).rounds;
    }
    CHECK(rounds_tiled > rounds_whole);  // 4 tiles of 256 keys: a round per plane per tile
  }

  TEST_CASE_TEMPLATE("kernel/sparse_attention: count_active_bits off changes nothing but active_bits", P,
                     bitsieve::default_policies, bitsieve::bitstopper_policies, bitsieve::pade_policies,
                     default_mass_budget, default_top_k) {
    using F = typename P::format_policy;
    const inputs in = synthetic_inputs(500, 64, 24, 5, 4242);
    bitsieve::key_value_cache<F> cache(in.d, in.dv);
    cache.append(in.keys, in.values);
    bitsieve::attention_options on;
    bitsieve::attention_options off;
    off.count_active_bits = false;
    const bitsieve::sparse_attention<P> a(typename P::threshold_policy{}, on);
    const bitsieve::sparse_attention<P> b(typename P::threshold_policy{}, off);
    std::vector<float> out1(in.n_q * in.dv), out2(out1.size());
    const auto st1 = a.prefill(in.queries, cache, out1);
    auto st2 = b.prefill(in.queries, cache, out2);
    CHECK(same_bits(out1, out2));
    CHECK(st1.active_bits > 0);
    CHECK(st2.active_bits == 0);
    st2.active_bits = st1.active_bits;
    check_same_stats(st1, st2);
  }
}
