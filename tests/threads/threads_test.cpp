// SPDX-License-Identifier: Apache-2.0
// attention_options::threads: split-key decode and row-split prefill are deterministic, exact under
// the dense threshold, keep mass_budget certified, and merge stats consistently.
#include <bitsieve/bitsieve.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <doctest/doctest.h>

namespace {
using F = bitsieve::format::twos_complement<12>;

struct setup {
  std::size_t n = 3000, d = 64, dv = 16, rows = 5;
  std::vector<float> k, v, q;
  bitsieve::key_value_cache<F> cache{64, 16};
  explicit setup(unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd;
    k.resize(n * d);
    v.resize(n * dv);
    q.resize(rows * d);
    for (auto& x : k) x = nd(rng);
    for (auto& x : v) x = nd(rng);
    for (auto& x : q) x = 3.0F * nd(rng);
    cache.append(k, v);
  }
};

// exact softmax output on the quantized inputs, in double
std::vector<double> exact(const setup& s, std::span<const float> query) {
  const auto qq = bitsieve::quantize(query, 12);
  const double c = qq.scale * s.cache.key_scale() / std::sqrt(static_cast<double>(s.d));
  std::vector<double> logit(s.n);
  double mx = -1e300;
  for (std::size_t j = 0; j < s.n; ++j) {
    const auto key = s.cache.keys().key(j);
    long long acc = 0;
    for (std::size_t i = 0; i < s.d; ++i) acc += static_cast<long long>(qq.values[i]) * key[i];
    logit[j] = c * static_cast<double>(acc);
    mx = std::max(mx, logit[j]);
  }
  std::vector<double> out(s.dv, 0.0);
  double z = 0;
  for (std::size_t j = 0; j < s.n; ++j) {
    const double w = std::exp(logit[j] - mx);
    z += w;
    for (std::size_t x = 0; x < s.dv; ++x) out[x] += w * s.v[j * s.dv + x];
  }
  for (auto& x : out) x /= z;
  return out;
}
}  // namespace

TEST_SUITE("threads") {
  TEST_CASE("threads/decode: dense with 1..4 threads equals exact attention on the quantized inputs") {
    const setup s(1);
    for (unsigned t = 1; t <= 4; ++t) {
      bitsieve::dynamic_config c;
      c.threshold = bitsieve::threshold::dense{};
      c.options.threads = t;
      bitsieve::dynamic_attention attn(c);
      std::vector<float> out(s.dv);
      const auto st = attn.decode(std::span<const float>(s.q).first(s.d), s.cache, out);
      const auto ref = exact(s, std::span<const float>(s.q).first(s.d));
      double num = 0, den = 0;
      for (std::size_t x = 0; x < s.dv; ++x) {
        num += (out[x] - ref[x]) * (out[x] - ref[x]);
        den += ref[x] * ref[x];
      }
      CHECK(std::sqrt(num / den) < 1e-6);
      CHECK(st.keys == s.n);
      CHECK(st.survivors == s.n);
      CHECK(st.queries == 1);
    }
  }

  TEST_CASE("threads/decode: the parts cover every key once for any length and thread count") {
    // lock-step parts take interleaved runs of 8 blocks: lengths around block and run edges
    std::mt19937 rng(9);
    std::normal_distribution<float> nd;
    for (const std::size_t n : {1U, 31U, 33U, 255U, 256U, 257U, 300U, 520U, 2049U, 5000U}) {
      std::vector<float> k(n * 16), v(n * 4), q(16);
      for (auto& x : k) x = nd(rng);
      for (auto& x : v) x = nd(rng);
      for (auto& x : q) x = nd(rng);
      bitsieve::key_value_cache<F> cache(16, 4);
      cache.append(k, v);
      std::vector<float> ref(4);
      bitsieve::dynamic_config c;
      c.threshold = bitsieve::threshold::dense{};
      (void)bitsieve::dynamic_attention(c).decode(q, cache, ref);
      for (unsigned t = 2; t <= 5; ++t) {
        CAPTURE(n);
        CAPTURE(t);
        c.options.threads = t;
        std::vector<float> out(4);
        std::vector<std::uint8_t> trace(n);
        const std::vector<std::size_t> vis{n};
        const auto st = bitsieve::dynamic_attention(c).run(q, cache, out, vis, trace);
        CHECK(st.keys == n);
        CHECK(st.survivors == n);
        CHECK(std::all_of(trace.begin(), trace.end(), [](std::uint8_t x) { return x == (12 | bitsieve::key_kept_flag); }));
        for (std::size_t x = 0; x < 4; ++x) CHECK(out[x] == doctest::Approx(ref[x]).epsilon(1e-6));
      }
    }
  }

  TEST_CASE("threads/decode: repeatable with consistent stats and mass_budget still certified") {
    const setup s(2);
    for (unsigned t : {2U, 3U}) {
      bitsieve::dynamic_config c;
      c.threshold = bitsieve::threshold::mass_budget{0.01};
      c.options.threads = t;
      bitsieve::dynamic_attention attn(c);
      std::vector<float> o1(s.dv), o2(s.dv);
      std::vector<std::uint8_t> tr1(s.n), tr2(s.n);
      const std::vector<std::size_t> vis{s.n};
      const auto st1 = attn.run(std::span<const float>(s.q).first(s.d), s.cache, o1, vis, tr1);
      const auto st2 = attn.run(std::span<const float>(s.q).first(s.d), s.cache, o2, vis, tr2);
      CHECK(o1 == o2);
      CHECK(tr1 == tr2);
      CHECK(st1.stop_histogram == st2.stop_histogram);
      std::uint64_t hist = 0;
      for (const auto h : st1.stop_histogram) hist += h;
      CHECK(hist == s.n);
      CHECK(st1.value_rows_read == st1.survivors);
      CHECK(st1.dropped_mass_bound_sum <= 0.01);
      // the true dropped mass, from exact quantized scores
      const auto qq = bitsieve::quantize(std::span<const float>(s.q).first(s.d), 12);
      const double cc = qq.scale * s.cache.key_scale() / 8.0;
      std::vector<double> lg(s.n);
      double mx = -1e300;
      for (std::size_t j = 0; j < s.n; ++j) {
        const auto key = s.cache.keys().key(j);
        long long acc = 0;
        for (std::size_t i = 0; i < s.d; ++i) acc += static_cast<long long>(qq.values[i]) * key[i];
        lg[j] = cc * static_cast<double>(acc);
        mx = std::max(mx, lg[j]);
      }
      double z = 0, dropped = 0;
      for (std::size_t j = 0; j < s.n; ++j) {
        const double w = std::exp(lg[j] - mx);
        z += w;
        if ((tr1[j] & bitsieve::key_kept_flag) == 0) dropped += w;
      }
      CHECK(dropped / z <= 0.01);
      CHECK(dropped / z <= st1.dropped_mass_bound_sum + 1e-12);
    }
  }

  TEST_CASE("threads/prefill: rows split across threads give the single-thread results exactly") {
    const setup s(3);
    struct mp : bitsieve::default_policies {
      using threshold_policy = bitsieve::threshold::mass_budget;
    };
    bitsieve::sparse_attention<mp> one{{0.02}, {.softmax_scale = 0.0, .query_bits = 12, .threads = 1}};
    bitsieve::sparse_attention<mp> two{{0.02}, {.softmax_scale = 0.0, .query_bits = 12, .threads = 2}};
    std::vector<float> o1(s.rows * s.dv), o2(s.rows * s.dv);
    const auto a = one.prefill(s.q, s.cache, o1, bitsieve::causal);
    const auto b = two.prefill(s.q, s.cache, o2, bitsieve::causal);
    CHECK(o1 == o2);
    CHECK(a.stop_histogram == b.stop_histogram);
    CHECK(a.queries == b.queries);
    CHECK(a.block_planes_read == b.block_planes_read);
    CHECK_THROWS_AS(bitsieve::sparse_attention<mp>({0.02}, {.softmax_scale = 0.0, .query_bits = 12, .threads = 0})
                        .decode(std::span<const float>(s.q).first(s.d), s.cache, std::span<float>(o1).first(s.dv)),
                    bitsieve::invalid_argument);
  }
}

TEST_SUITE("threads") {
  TEST_CASE("threads/stats: a lock-step GQA group reads each block plane once for the group") {
    const setup s(4);
    bitsieve::sparse_attention<> attn{bitsieve::threshold::lats{}};
    std::vector<float> outs(4 * s.dv);
    const auto g = attn.decode_group(std::span<const float>(s.q).first(4 * s.d), s.cache, outs);
    std::uint64_t separate = 0, single_group = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      const auto st = attn.decode(std::span<const float>(s.q).subspan(i * s.d, s.d), s.cache,
                                  std::span<float>(outs).first(s.dv));
      separate += st.block_planes_read;
      CHECK(st.group_block_planes_read == st.block_planes_read);
      single_group = std::max<std::uint64_t>(single_group, st.block_planes_read);
    }
    CHECK(g.block_planes_read == separate);
    CHECK(g.group_block_planes_read <= separate);
    CHECK(g.group_block_planes_read >= single_group);
  }
}

TEST_SUITE("threads") {
  TEST_CASE("threads/decode: lock-step parts take interleaved blocks so each sees the whole sequence") {
    // A peaked query whose best keys all sit in the first quarter: contiguous halves would leave the
    // second half with a low running maximum and many kept keys; interleaved parts do not.
    const setup s(5);
    std::vector<float> k = s.k;
    for (std::size_t t = 0; t < 8; ++t) {
      for (std::size_t i = 0; i < s.d; ++i) k[(t * 89) * s.d + i] = 0.8F * s.q[i];
    }
    bitsieve::key_value_cache<F> cache(s.d, s.dv);
    cache.append(k, s.v);
    bitsieve::dynamic_config c;
    c.threshold = bitsieve::threshold::lats{};
    std::vector<float> out(s.dv);
    const auto one = bitsieve::dynamic_attention(c).decode(std::span<const float>(s.q).first(s.d), cache, out);
    c.options.threads = 2;
    const auto two = bitsieve::dynamic_attention(c).decode(std::span<const float>(s.q).first(s.d), cache, out);
    MESSAGE("kept: one thread " << one.survivors << ", two threads " << two.survivors);
    CHECK(two.survivors <= one.survivors + 2);  // a contiguous second half would keep its own top keys
    CHECK(two.keys == one.keys);
  }
}
