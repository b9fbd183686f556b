// SPDX-License-Identifier: Apache-2.0
// key_value_cache's value storage option (cache_options::values: f32, f16, i8 with a per-row
// scale): the rows read back within their format's error, f16 overflow and the other input errors,
// a growing int8 cache; and the kernel on f16/i8 values: the f32 decisions and stats (V bytes
// counted as stored), outputs equal to attention over the kept keys with the dequantized values,
// and the dense kernel against kernel/reference.hpp's dense reference.
#include <bitsieve/core/value_format.hpp>
#include <bitsieve/format/sign_magnitude.hpp>
#include <bitsieve/format/twos_complement.hpp>
#include <bitsieve/kernel/dynamic_attention.hpp>
#include <bitsieve/kernel/key_value_cache.hpp>
#include <bitsieve/kernel/reference.hpp>
#include <bitsieve/kernel/sparse_attention.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "support/bundles.hpp"
#include "support/testbed.hpp"

namespace {

using namespace bitsieve_test;
using bitsieve::value_format;
namespace fmt = bitsieve::format;
namespace thr = bitsieve::threshold;

constexpr value_format all_formats[] = {value_format::f32, value_format::f16, value_format::i8};

template <class F>
bitsieve::key_value_cache<F> make_cache(std::size_t d, std::size_t dv, value_format vf, const std::vector<float>& k,
                                        const std::vector<float>& v) {
  bitsieve::key_value_cache<F> c(d, dv, {.values = vf});
  c.append(k, v);
  return c;
}

/// Largest |dequantized - given| over every value.
template <class Cache>
double max_value_error(const Cache& c, const std::vector<float>& v) {
  const std::vector<float> deq = c.values_float();
  double m = 0.0;
  for (std::size_t i = 0; i < v.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(deq[i]) - v[i]));
  return m;
}

/// Every threshold x {lock-step, out-of-order 8 and 32 lanes}: the f16 and i8 caches make the f32
/// cache's decisions with its stats (V bytes as stored), and every output is attention over the
/// kept keys with the cache's dequantized values.
template <class F>
void compare_value_formats(std::size_t n, std::size_t d, std::size_t dv, std::size_t n_q, std::uint64_t seed) {
  const std::vector<float> dir = normal_floats(d, seed);
  const std::vector<float> keys = peaked_keys(n, d, seed + 1, dir, 2.0);
  const std::vector<float> values = normal_floats(n * dv, seed + 2, 3.0);
  std::vector<float> queries(n_q * d);
  rng r(seed + 3);
  for (std::size_t i = 0; i < queries.size(); ++i) queries[i] = static_cast<float>(dir[i % d] + 0.6 * r.normal());
  const auto c32 = make_cache<F>(d, dv, value_format::f32, keys, values);
  const auto c16 = make_cache<F>(d, dv, value_format::f16, keys, values);
  const auto c8 = make_cache<F>(d, dv, value_format::i8, keys, values);
  const auto ints = integer_keys(c32);
  const std::vector<std::size_t> visible(n_q, n);
  std::size_t configs = 0;
  std::uint64_t dropped = 0;
  for_each_type(all_thresholds{}, [&]<class Thr>() {
    for (const int lanes : {0, 8, 32}) {
      CAPTURE(lanes);
      bitsieve::dynamic_config cfg;
      cfg.threshold = test_threshold<Thr>();
      cfg.lanes = lanes;
      cfg.options.query_bits = F::bits;
      cfg.tile_size = lanes == 0 ? 64 : 0;
      const bitsieve::dynamic_attention attn(cfg);
      std::vector<float> o32(n_q * dv);
      std::vector<std::uint8_t> t32(n_q * n);
      const bitsieve::attention_stats s32 = attn.run(queries, c32, o32, visible, t32);
      dropped += s32.keys - s32.survivors;
      for (const auto* c : {&c32, &c16, &c8}) {
        const value_format vf = c->value_format();
        CAPTURE(bitsieve::to_string(vf));
        std::vector<float> out(n_q * dv);
        std::vector<std::uint8_t> trace(n_q * n);
        bitsieve::attention_stats st = attn.run(queries, *c, out, visible, trace);
        CHECK(trace == t32);
        check_stats_consistent(st, n_q, n_q * n, F::bits, d, dv, vf);
        CHECK(st.v_bytes_read == st.survivors * bitsieve::value_row_bytes(vf, dv));
        st.v_bytes_read = s32.v_bytes_read;
        check_same_stats(st, s32);
        // attention over the kept keys with the dequantized values
        const std::vector<float> deq = c->values_float();
        const double value_err = max_value_error(*c, values);
        for (std::size_t i = 0; i < n_q; ++i) {
          const std::span<const float> q(queries.data() + i * d, d);
          const int_query qq = quantize_query(q, F::bits);
          const double lc = logit_scale(qq.scale, c->key_scale(), 0.0, d);
          std::vector<char> kept(n);
          for (std::size_t j = 0; j < n; ++j) kept[j] = (trace[i * n + j] & bitsieve::key_kept_flag) != 0 ? 1 : 0;
          const std::vector<double> want = weighted_values(softmax_over(exact_scores(qq.q, ints), lc, kept), deq, dv);
          const std::span<const float> got(out.data() + i * dv, dv);
          const double err = relative_l2(got, want);
          CHECK_MESSAGE(err < 1e-6, "query " << i << ": relative L2 error " << err);
          // the same weights on rows that differ by at most value_err: outputs differ by at most that
          for (std::size_t e = 0; e < dv; ++e) {
            const double diff = std::fabs(static_cast<double>(got[e]) - o32[i * dv + e]);
            CHECK(diff <= value_err + 1e-5);
          }
        }
      }
      ++configs;
    }
  });
  CHECK(configs == 15);
  CHECK(dropped > 0);  // the sparse thresholds did drop keys: the comparison is not all-dense
}

}  // namespace

TEST_SUITE("kernel") {
  TEST_CASE("kernel/value_storage: rows read back as floats within their format's error") {
    const std::size_t d = 16, dv = 21, n = 70;
    const std::vector<float> k = normal_floats(n * d, 1);
    const std::vector<float> v = normal_floats(n * dv, 2, 5.0);
    for (const value_format vf : all_formats) {
      CAPTURE(bitsieve::to_string(vf));
      const auto c = make_cache<fmt::twos_complement<8>>(d, dv, vf, k, v);
      CHECK(c.value_format() == vf);
      CHECK(c.size() == n);
      CHECK(c.value_bytes() == n * bitsieve::value_row_bytes(vf, dv));
      CHECK(c.bytes() == c.keys().bytes() + c.value_bytes());
      CHECK(c.value_scales().size() == (vf == value_format::i8 ? n : 0));
      const std::vector<float> all = c.values_float();
      REQUIRE(all.size() == n * dv);
      for (std::size_t t = 0; t < n; ++t) {
        const std::vector<float> row = c.value_row_float(t);
        CHECK(std::equal(row.begin(), row.end(), all.begin() + static_cast<std::ptrdiff_t>(t * dv)));
        for (std::size_t e = 0; e < dv; ++e) {
          const float x = v[t * dv + e];
          const double err = std::fabs(static_cast<double>(row[e]) - x);
          if (vf == value_format::f32) {
            CHECK(row[e] == x);
          } else if (vf == value_format::f16) {
            CHECK(row[e] == bitsieve::detail::half_to_float(bitsieve::detail::float_to_half(x)));
            CHECK(err <= std::fabs(x) * std::ldexp(1.0, -11) + std::ldexp(1.0, -25));
          } else {
            const double s = c.value_scales()[t];
            CHECK(err <= s / 2 * (1 + 1e-6));
          }
        }
      }
      if (vf == value_format::f32) {
        CHECK(c.value_row(3).size() == dv);
        CHECK(c.value_row(3)[4] == v[3 * dv + 4]);
      } else {
        CHECK_THROWS_WITH_AS(static_cast<void>(c.value_row(3)),
                             doctest::Contains("value_row_float"), bitsieve::invalid_argument);
      }
      CHECK_THROWS_AS(static_cast<void>(c.value_row_float(n)), bitsieve::invalid_argument);
      CHECK_THROWS_AS(static_cast<void>(c.value_row(n)), bitsieve::invalid_argument);
    }
  }

  TEST_CASE("kernel/value_storage: a float16 cache refuses a value beyond the float16 range and stays unchanged") {
    using cache = bitsieve::key_value_cache<fmt::twos_complement<8>>;
    cache c(2, 3, {.values = value_format::f16});
    const std::vector<float> k{1.0F, 2.0F};
    CHECK_THROWS_WITH_AS(c.append(k, std::vector<float>{1.0F, -70000.0F, 2.0F}),
                         doctest::Contains("values[1] = -70000"), bitsieve::domain_error);
    CHECK_THROWS_AS(c.append(k, std::vector<float>{1.0F, 65520.0F, 2.0F}), bitsieve::domain_error);
    const std::vector<std::int32_t> kq{1, 2};
    CHECK_THROWS_AS(c.append_quantized(kq, 0.5, std::vector<float>{1e9F, 0.0F, 0.0F}), bitsieve::domain_error);
    CHECK(c.size() == 0);
    CHECK(c.value_bytes() == 0);
    // the largest value below the bound rounds to the largest float16 and is stored
    c.append(k, std::vector<float>{std::nextafter(65520.0F, 0.0F), -65504.0F, 0.0F});
    CHECK(c.size() == 1);
    CHECK(c.value_row_float(0) == std::vector<float>{65504.0F, -65504.0F, 0.0F});
    // f32 and i8 caches store such values
    for (const value_format vf : {value_format::f32, value_format::i8}) {
      cache other(2, 3, {.values = vf});
      other.append(k, std::vector<float>{1.0F, -70000.0F, 2.0F});
      CHECK(other.value_row_float(0)[1] == doctest::Approx(-70000.0));
    }
  }

  TEST_CASE("kernel/value_storage: shape and NaN errors are raised for every value format and change nothing") {
    for (const value_format vf : all_formats) {
      CAPTURE(bitsieve::to_string(vf));
      bitsieve::key_value_cache<fmt::twos_complement<8>> c(2, 3, {.values = vf});
      const std::vector<float> k{1.0F, 2.0F};
      CHECK_THROWS_AS(c.append(k, std::vector<float>{1.0F, 2.0F}), bitsieve::invalid_argument);
      CHECK_THROWS_AS(c.append(k, std::vector<float>{1.0F, std::nanf(""), 2.0F}), bitsieve::domain_error);
      CHECK_THROWS_AS(c.append(k, std::vector<float>{1.0F, INFINITY, 2.0F}), bitsieve::domain_error);
      const std::vector<std::int32_t> kq{1, 2};
      CHECK_THROWS_AS(c.append_quantized(kq, 0.5, std::vector<float>{std::nanf(""), 0.0F, 0.0F}),
                      bitsieve::domain_error);
      CHECK(c.size() == 0);
      CHECK(c.value_bytes() == 0);
      c.append_quantized(kq, 0.5, std::vector<float>{0.25F, -0.5F, 1.0F});
      CHECK(c.size() == 1);
      const std::vector<float> row = c.value_row_float(0);
      CHECK(row[1] == doctest::Approx(-0.5).epsilon(0.01));
    }
  }

  TEST_CASE("kernel/value_storage: a growing int8 cache gives every appended row its own scale") {
    using F = fmt::twos_complement<12>;
    const std::size_t d = 8, dv = 12;
    bitsieve::key_value_cache<F> c(d, dv, {.key_scale = 0.01, .values = value_format::i8});
    std::vector<float> all_v;
    double expect_bytes = 0;
    for (int step = 0; step < 4; ++step) {
      const std::size_t n = 5 + static_cast<std::size_t>(step) * 7;
      std::vector<float> v = normal_floats(n * dv, 30 + static_cast<std::uint64_t>(step), std::pow(10.0, step - 1));
      if (step == 2) std::fill(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(dv), 0.0F);  // an all-zero row
      const std::vector<float> before = c.values_float();
      c.append(normal_floats(n * d, 40 + static_cast<std::uint64_t>(step)), v);
      all_v.insert(all_v.end(), v.begin(), v.end());
      expect_bytes += static_cast<double>(n * (dv + 4));
      // earlier rows are untouched
      const std::vector<float> after = c.values_float();
      CHECK(std::equal(before.begin(), before.end(), after.begin()));
    }
    CHECK(static_cast<double>(c.value_bytes()) == expect_bytes);
    REQUIRE(c.value_scales().size() == c.size());
    for (std::size_t t = 0; t < c.size(); ++t) {
      CHECK(c.value_scales()[t] == bitsieve::detail::i8_row_scale(all_v.data() + t * dv, dv));
      const std::vector<float> row = c.value_row_float(t);
      for (std::size_t e = 0; e < dv; ++e) {
        CHECK(std::fabs(static_cast<double>(row[e]) - all_v[t * dv + e]) <= c.value_scales()[t] / 2 * (1 + 1e-6));
      }
    }
    // rows of scale ~0.1 and ~100 in one cache: the scales follow the rows
    CHECK(c.value_scales().back() > 100.0F * c.value_scales().front());
    const std::size_t zero_row = (5 + 12) * 1;  // first row of the third append
    CHECK(c.value_scales()[zero_row] == 0.0F);
    CHECK(c.value_row_float(zero_row) == std::vector<float>(dv, 0.0F));
    // the grown cache decodes like the dense reference on its dequantized values
    const bitsieve::sparse_attention<bundle<F, thr::dense, bitsieve::schedule::lockstep, bitsieve::tile::sequential>> attn;
    const std::vector<float> q = normal_floats(d, 99);
    std::vector<float> out(dv);
    const bitsieve::attention_stats st = attn.decode(q, c, out);
    CHECK(st.v_bytes_read == c.size() * (dv + 4));
    const std::vector<double> want = dense_quantized_attention(q, c, integer_keys(c), F::bits, 0.0, c.values_float());
    CHECK(relative_l2(out, want) < 1e-6);
  }

  TEST_CASE("kernel/value_storage: f16 and i8 values keep the f32 decisions and stats (12-bit keys)") {
    compare_value_formats<fmt::twos_complement<12>>(300, 64, 37, 3, 500);
  }

  TEST_CASE("kernel/value_storage: f16 and i8 values keep the f32 decisions and stats (8-bit sign-magnitude keys)") {
    compare_value_formats<fmt::sign_magnitude<8>>(200, 24, 16, 2, 700);
  }

  TEST_CASE("kernel/value_storage: dense decode with f16 or i8 values against the double-precision dense reference") {
    using F = fmt::twos_complement<12>;
    const std::size_t n = 257, d = 64, dv = 64, n_q = 4;
    const std::vector<float> k = normal_floats(n * d, 61);
    const std::vector<float> v = normal_floats(n * dv, 62, 2.0);
    const std::vector<float> q = normal_floats(n_q * d, 63, 1.5);
    const bitsieve::sparse_attention<bundle<F, thr::dense, bitsieve::schedule::lockstep, bitsieve::tile::sequential>> attn;
    double err32 = 0.0;
    for (const value_format vf : all_formats) {
      CAPTURE(bitsieve::to_string(vf));
      const auto c = make_cache<F>(d, dv, vf, k, v);
      std::vector<float> out(n_q * dv);
      const bitsieve::attention_stats st = attn.prefill(q, c, out);
      CHECK(st.v_bytes_read == n_q * n * bitsieve::value_row_bytes(vf, dv));
      // exact on the kernel's own inputs: quantized keys and queries, dequantized values
      const std::vector<float> deq = c.values_float();
      const auto ints = integer_keys(c);
      for (std::size_t i = 0; i < n_q; ++i) {
        const std::span<const float> qi(q.data() + i * d, d);
        const std::vector<double> want = dense_quantized_attention(qi, c, ints, F::bits, 0.0, deq);
        CHECK(relative_l2(std::span<const float>(out).subspan(i * dv, dv), want) < 1e-6);
      }
      // against exact attention on the float inputs (kernel/reference.hpp): the value storage adds
      // at most its own error to the key/query quantization's
      const bitsieve::dense_reference_result ref =
          bitsieve::dense_attention_reference(q, k, v, n_q, n, d, dv, 1.0 / std::sqrt(static_cast<double>(d)), false);
      double err = 0.0;
      for (std::size_t i = 0; i < n_q; ++i) {
        const std::vector<double> want(ref.out.begin() + static_cast<std::ptrdiff_t>(i * dv),
                                       ref.out.begin() + static_cast<std::ptrdiff_t>((i + 1) * dv));
        err = std::max(err, relative_l2(std::span<const float>(out).subspan(i * dv, dv), want));
      }
      MESSAGE(bitsieve::to_string(vf) << ": largest relative L2 error against the dense reference " << err);
      if (vf == value_format::f32) err32 = err;
      CHECK(err < 1e-2);
      if (vf == value_format::f16) CHECK(err <= err32 + 1e-3);
      if (vf == value_format::i8) CHECK(err <= err32 + 2e-2);
    }
  }

  TEST_CASE("kernel/value_storage: reserve keeps keys and values in place while the cache grows") {
    using F = fmt::twos_complement<8>;
    for (const auto vf : {bitsieve::value_format::f32, bitsieve::value_format::f16, bitsieve::value_format::i8}) {
      CAPTURE(bitsieve::to_string(vf));
      const std::size_t d = 16;
      const std::size_t dv = 8;
      const auto keys = normal_floats(200 * d, 5);
      const auto values = normal_floats(200 * dv, 6);
      bitsieve::key_value_cache<F> grown(d, dv, bitsieve::cache_options{.key_scale = 0.05, .values = vf});
      bitsieve::key_value_cache<F> reserved(d, dv, bitsieve::cache_options{.key_scale = 0.05, .values = vf});
      reserved.reserve(200);
      reserved.append(std::span<const float>(keys).first(d), std::span<const float>(values).first(dv));
      const auto v0 = reserved.view();
      for (std::size_t t = 0; t < 200; ++t) {
        const std::span<const float> k(keys.data() + t * d, d);
        const std::span<const float> v(values.data() + t * dv, dv);
        grown.append(k, v);
        if (t > 0) reserved.append(k, v);
      }
      const auto v1 = reserved.view();
      CHECK(v1.keys == v0.keys);
      CHECK(v1.values.rows == v0.values.rows);
      REQUIRE(reserved.size() == 200);
      for (std::size_t t = 0; t < 200; ++t) {
        CHECK(reserved.keys().key(t) == grown.keys().key(t));
        CHECK(reserved.value_row_float(t) == grown.value_row_float(t));
      }
    }
  }
}
