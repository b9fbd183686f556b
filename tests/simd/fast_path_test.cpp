// SPDX-License-Identifier: Apache-2.0
// The lock-step fast path (int32 block updates and masks) makes exactly the decisions of the
// generic path and produces bit-identical outputs and stats; fast_exp meets its error bound.
#include <bitsieve/detail/fast_exp.hpp>
#include <bitsieve/kernel/dynamic_attention.hpp>
#include <bitsieve/simd/block_ops.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <doctest/doctest.h>

namespace {
template <class T>
void compare_paths(const T& thr, std::size_t n, std::size_t d, std::size_t tile, float sharp, unsigned seed) {
  using F = bitsieve::format::twos_complement<12>;
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd;
  std::vector<float> k(n * d), v(n * 8), q(3 * d);
  for (auto& x : k) x = nd(rng);
  for (auto& x : v) x = nd(rng);
  for (auto& x : q) x = nd(rng) * sharp;
  bitsieve::key_value_cache<F> cache(d, 8);
  cache.append(k, v);
  const auto kv = cache.view();
  bitsieve::detail::engine_config fast, slow;
  fast.tile_size = slow.tile_size = tile;
  fast.tile_order = slow.tile_order = [](std::size_t m) { return bitsieve::tile::interleaved{}.order(m); };
  slow.fast_path = false;
  const std::vector<std::size_t> vis{n, n - 1, 1 + n / 2};
  std::vector<float> o1(3 * 8), o2(3 * 8);
  std::vector<std::uint8_t> t1(3 * n), t2(3 * n);
  const auto s1 = bitsieve::detail::attend(thr, fast, kv, q, o1, vis, false, 12, 0.0, t1);
  const auto s2 = bitsieve::detail::attend(thr, slow, kv, q, o2, vis, false, 12, 0.0, t2);
  CHECK(t1 == t2);
  CHECK(o1 == o2);
  CHECK(s1.stop_histogram == s2.stop_histogram);
  CHECK(s1.block_planes_read == s2.block_planes_read);
  CHECK(s1.active_bits == s2.active_bits);
  CHECK(s1.rounds == s2.rounds);
  CHECK(s1.dropped_mass_bound_sum == s2.dropped_mass_bound_sum);
}
}  // namespace

TEST_SUITE("simd") {
  TEST_CASE("simd/fast_exp: relative error below fast_exp_rel_error on [-700 .. 700]") {
    double worst = 0;
    for (double x = -700.0; x <= 700.0; x += 0.00937) {
      worst = std::max(worst, std::fabs(bitsieve::detail::fast_exp(x) / std::exp(x) - 1.0));
    }
    CHECK(worst < bitsieve::detail::fast_exp_rel_error);
    CHECK(bitsieve::detail::fast_exp(-800.0) == 0.0);
    CHECK(bitsieve::detail::fast_exp(0.0) == doctest::Approx(1.0).epsilon(1e-12));
  }

  TEST_CASE("simd/query_state: survivors' lower-bound terms from their softmax weights stay a lower bound, within 1e-7") {
    // The lock-step paths add a tile's survivors to Z_L (for rules that do not decide on it) as
    // (sum_j e^(c s_j - sm_max)) * e^(sm_max - c M), rounded down; the direct sum is
    // sum_j e^(c (s_j - M)). Several tiles, rising maxima (raise_max rescales Z_L) included.
    std::mt19937 rng(11);
    std::uniform_int_distribution<std::int64_t> score(-4000000, 4000000);
    for (int trial = 0; trial < 300; ++trial) {
      bitsieve::detail::query_state q;
      q.c = 1e-6 * (1 + trial % 7);
      std::vector<std::int64_t> all;
      for (int tile = 0; tile < 1 + trial % 4; ++tile) {
        std::vector<std::int64_t> s(1 + static_cast<std::size_t>(rng() % 40));
        for (auto& v : s) v = score(rng);
        all.insert(all.end(), s.begin(), s.end());
        // M >= every survivor's exact score, as after a tile's last plane (above it when a dropped
        // key's lower bound or another part's maximum raised it)
        q.raise_max(*std::max_element(all.begin(), all.end()) + (trial % 2 == 0 ? 0 : score(rng) / 4 + 1000000));
        q.raise_softmax_max(q.c * static_cast<double>(*std::max_element(s.begin(), s.end())));
        double w = 0.0;
        for (const auto v : s) w += q.softmax_weight(v);
        q.add_lower_weights(w);
      }
      long double exact = 0.0L;
      for (const auto v : all) exact += std::exp(static_cast<long double>(q.c) * static_cast<long double>(v - q.m));
      CHECK(static_cast<long double>(q.zl) <= exact);
      CHECK(static_cast<long double>(q.zl) >= exact * (1.0L - 1e-7L));
    }
  }

  TEST_CASE("simd/block_ops: masked max / less-than and greater-than masks / active-bit sums match plain loops") {
    std::mt19937 rng(3);
    std::uniform_int_distribution<std::int32_t> val(-1000000, 1000000);
    std::uniform_int_distribution<std::uint32_t> bits;
    for (int trial = 0; trial < 200; ++trial) {
      std::int32_t s[32], cnt[32], dot[32];
      for (int t = 0; t < 32; ++t) {
        s[t] = val(rng);
        dot[t] = val(rng) / 64;
        cnt[t] = static_cast<std::int32_t>(bits(rng) % 65);
      }
      const std::uint32_t live = trial == 0 ? 0U : bits(rng);
      const std::int32_t x = val(rng);
      std::int32_t mx = std::numeric_limits<std::int32_t>::min();
      std::uint32_t less = 0;
      std::uint64_t act = 0, actb = 0;
      for (int t = 0; t < 32; ++t) {
        if (((live >> t) & 1U) != 0U) {
          mx = std::max(mx, s[t]);
          act += static_cast<std::uint64_t>(cnt[t]);
          actb += static_cast<std::uint64_t>(std::min(cnt[t], 64 - cnt[t]));
        }
        less |= (s[t] < x ? 1U : 0U) << t;
      }
      CHECK(bitsieve::detail::block_max(s, live) == mx);
      CHECK(bitsieve::detail::block_less(s, x) == less);
      float xf[32];
      std::uint32_t greater = 0;
      for (int t = 0; t < 32; ++t) {
        xf[t] = static_cast<float>(s[t]) / 1000.0F;
        greater |= (xf[t] > 80.0F ? 1U : 0U) << t;
      }
      CHECK(bitsieve::detail::block_greater(xf, 80.0F) == greater);
      CHECK(bitsieve::detail::block_active(cnt, live, 64, false) == act);
      CHECK(bitsieve::detail::block_active(cnt, live, 64, true) == actb);
      std::int32_t s2[32];
      for (int t = 0; t < 32; ++t) s2[t] = s[t];
      bitsieve::detail::block_accumulate(s2, dot, -8);
      for (int t = 0; t < 32; ++t) CHECK(s2[t] == s[t] - 8 * dot[t]);
    }
  }

  TEST_CASE("simd/block_exp_sum: every term and every sum within block_exp_rel_error of e^x") {
    using bitsieve::detail::block_exp_rel_error;
    using bitsieve::detail::block_exp_sum;
    // one lane at a time, over the whole range the kernel uses (logits <= 80; below -87 the
    // terms are left out or clamped), at every lane position
    double worst = 0.0;
    int t = 0;
    for (double xd = -87.0; xd <= 80.0; xd += 0.000731, t = (t + 1) % 32) {
      float x[32];
      for (float& v : x) v = 1000.0F;  // masked-out lanes must not count
      x[t] = static_cast<float>(xd);
      const double want = std::exp(static_cast<double>(x[t]));
      const double got = block_exp_sum(x, 1U << t, -100.0F);
      worst = std::max(worst, std::fabs(got / want - 1.0));
      // clamp: the term of a logit at or below tiny is e^tiny
      if (x[t] <= -80.0F) {
        CHECK(block_exp_sum(x, 1U << t, -80.0F, true) == doctest::Approx(std::exp(-80.0)).epsilon(block_exp_rel_error));
        CHECK(block_exp_sum(x, 1U << t, -80.0F) == 0.0);
      }
    }
    MESSAGE("block_exp_sum: worst relative error of one term over [-87, 80]: " << worst);
    CHECK(worst < block_exp_rel_error / 2);
    // whole blocks: the sum of 32 terms against a long double reference
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> xr(-30.0F, 5.0F);
    std::uniform_int_distribution<std::uint32_t> bits;
    double worst_sum = 0.0;
    for (int trial = 0; trial < 3000; ++trial) {
      float x[32];
      for (float& v : x) v = xr(rng);
      const std::uint32_t mask = trial % 3 == 0 ? ~0U : bits(rng);
      long double want = 0.0L;
      for (int i = 0; i < 32; ++i) {
        if (((mask >> i) & 1U) != 0U && x[i] > -20.0F) want += std::exp(static_cast<long double>(x[i]));
      }
      const double got = block_exp_sum(x, mask, -20.0F);
      if (want == 0.0L) {
        CHECK(got == 0.0);
        continue;
      }
      worst_sum = std::max(worst_sum, static_cast<double>(std::fabs(static_cast<long double>(got) / want - 1.0L)));
    }
    MESSAGE("block_exp_sum: worst relative error of a block sum: " << worst_sum);
    CHECK(worst_sum < block_exp_rel_error / 2);
  }

  TEST_CASE("simd/axpy_rows: equals one scale_axpy per row bit for bit") {
    std::mt19937 rng(11);
    std::normal_distribution<float> nd;
    for (const std::size_t n : {1U, 3U, 4U, 15U, 16U, 17U, 64U, 128U, 130U}) {
      for (std::size_t m = 1; m <= 8; ++m) {
        std::vector<std::vector<float>> rows(m, std::vector<float>(n));
        std::vector<const float*> ptr(m);
        std::vector<double> w(m);
        for (std::size_t j = 0; j < m; ++j) {
          for (auto& x : rows[j]) x = nd(rng);
          ptr[j] = rows[j].data();
          w[j] = std::exp(static_cast<double>(nd(rng)));
        }
        std::vector<double> a(n), b(n);
        for (std::size_t i = 0; i < n; ++i) a[i] = b[i] = static_cast<double>(nd(rng));
        bitsieve::detail::axpy_rows(a.data(), w.data(), ptr.data(), m, n);
        for (std::size_t j = 0; j < m; ++j) bitsieve::detail::scale_axpy(b.data(), 1.0, w[j], ptr[j], n);
        CHECK(a == b);
      }
    }
  }

  TEST_CASE("simd/fast path: same decisions / outputs / stats as the generic lock-step path") {
    for (const std::size_t tile : {0U, 64U}) {
      compare_paths(bitsieve::threshold::lats{}, 333, 64, tile, 3.0F, 1);
      compare_paths(bitsieve::threshold::lats{1.0, 5.0}, 500, 13, tile, 6.0F, 2);
      compare_paths(bitsieve::threshold::mass_budget{0.01}, 400, 64, tile, 3.0F, 3);
      compare_paths(bitsieve::threshold::top_k{7}, 300, 40, tile, 2.0F, 4);
      compare_paths(bitsieve::threshold::fixed{1.0}, 300, 64, tile, 2.0F, 5);
      compare_paths(bitsieve::threshold::dense{}, 100, 128, tile, 1.0F, 6);
    }
  }
}
