// SPDX-License-Identifier: Apache-2.0
// Bad input gives the documented error (STYLE.md §7.7: bitsieve::invalid_argument for shapes and
// parameters, bitsieve::domain_error for NaN/Inf, messages naming the function and the value),
// and nothing is left half-done: a refused append leaves the cache as it was.
#include <bitsieve/core/error.hpp>
#include <bitsieve/format/twos_complement.hpp>
#include <bitsieve/kernel/dynamic_attention.hpp>
#include <bitsieve/kernel/key_value_cache.hpp>
#include <bitsieve/kernel/policies.hpp>
#include <bitsieve/kernel/sparse_attention.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include <doctest/doctest.h>

#include "support/bundles.hpp"
#include "support/testbed.hpp"

namespace {

using namespace bitsieve_test;
namespace thr = bitsieve::threshold;
using cache12 = bitsieve::key_value_cache<bitsieve::format::twos_complement<12>>;

cache12 small_cache(std::size_t n = 40, std::size_t d = 12, std::size_t dv = 5) {
  cache12 c(d, dv);
  c.append(normal_floats(n * d, 1), normal_floats(n * dv, 2));
  return c;
}

}  // namespace

TEST_SUITE("kernel") {
  TEST_CASE("kernel/errors: query and output sizes must match head_dim and value_dim") {
    const cache12 cache = small_cache();
    const bitsieve::sparse_attention<> attn;
    std::vector<float> out(5);
    const std::vector<float> q11(11, 0.5F), q12(12, 0.5F), q13(13, 0.5F);
    CHECK_THROWS_WITH_AS(attn.decode(q11, cache, out), doctest::Contains("decode"), bitsieve::invalid_argument);
    CHECK_THROWS_WITH_AS(attn.decode(q13, cache, out), doctest::Contains("head_dim"), bitsieve::invalid_argument);
    std::vector<float> out4(4), out6(6);
    CHECK_THROWS_WITH_AS(attn.decode(q12, cache, out4), doctest::Contains("value_dim"), bitsieve::invalid_argument);
    CHECK_THROWS_AS(attn.decode(q12, cache, out6), bitsieve::invalid_argument);
    CHECK_THROWS_AS(attn.decode(std::vector<float>{}, cache, out), bitsieve::invalid_argument);
    // prefill / decode_group: rows must be whole and the output must hold one row per query.
    std::vector<float> outs(3 * 5);
    CHECK_THROWS_AS(attn.prefill(std::vector<float>(3 * 12 + 1, 0.5F), cache, outs), bitsieve::invalid_argument);
    std::vector<float> outs2(2 * 5), outs4(4 * 5);
    CHECK_THROWS_AS(attn.prefill(std::vector<float>(3 * 12, 0.5F), cache, outs2), bitsieve::invalid_argument);
    CHECK_THROWS_AS(attn.decode_group(std::vector<float>(3 * 12, 0.5F), cache, outs4), bitsieve::invalid_argument);
    CHECK_THROWS_AS(attn.decode_group(std::vector<float>(2 * 12 + 5, 0.5F), cache, outs2), bitsieve::invalid_argument);
    // The right shapes work.
    CHECK_NOTHROW(attn.decode(q12, cache, out));
    CHECK_NOTHROW(attn.prefill(std::vector<float>(3 * 12, 0.5F), cache, outs));
  }

  TEST_CASE("kernel/errors: NaN or Inf in a query is a domain_error and is never quantized") {
    const cache12 cache = small_cache();
    const bitsieve::sparse_attention<> attn;
    std::vector<float> out(5, 9.0F);
    std::vector<float> q(12, 0.5F);
    q[7] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH_AS(attn.decode(q, cache, out), doctest::Contains("NaN"), bitsieve::domain_error);
    q[7] = std::numeric_limits<float>::infinity();
    CHECK_THROWS_AS(attn.decode(q, cache, out), bitsieve::domain_error);
    q[7] = -std::numeric_limits<float>::infinity();
    CHECK_THROWS_AS(attn.decode(q, cache, out), bitsieve::domain_error);
    std::vector<float> rows(2 * 12, 0.25F);
    rows[12 + 3] = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> outs(2 * 5);
    CHECK_THROWS_AS(attn.prefill(rows, cache, outs), bitsieve::domain_error);
    CHECK_THROWS_AS(attn.decode_group(rows, cache, outs), bitsieve::domain_error);
    const bitsieve::dynamic_attention dyn{bitsieve::dynamic_config{}};
    CHECK_THROWS_AS(dyn.prefill(rows, cache, outs), bitsieve::domain_error);
  }

  TEST_CASE("kernel/errors: an empty cache is an invalid_argument") {
    const cache12 cache(12, 5);
    const bitsieve::sparse_attention<> attn;
    std::vector<float> out(5);
    CHECK_THROWS_WITH_AS(attn.decode(std::vector<float>(12, 0.5F), cache, out), doctest::Contains("empty"),
                         bitsieve::invalid_argument);
    CHECK_THROWS_AS(attn.prefill(std::vector<float>(12, 0.5F), cache, out), bitsieve::invalid_argument);
    CHECK_THROWS_AS(attn.prefill(std::vector<float>(12, 0.5F), cache, out, bitsieve::causal), bitsieve::invalid_argument);
    CHECK_THROWS_AS(attn.decode_group(std::vector<float>(12, 0.5F), cache, out), bitsieve::invalid_argument);
    const bitsieve::dynamic_attention dyn{bitsieve::dynamic_config{}};
    CHECK_THROWS_AS(dyn.decode(std::vector<float>(12, 0.5F), cache, out), bitsieve::invalid_argument);
  }

  TEST_CASE("kernel/errors: causal prefill with more queries than keys is an invalid_argument") {
    const cache12 cache = small_cache(10);
    const bitsieve::sparse_attention<> attn;
    std::vector<float> outs(11 * 5);
    CHECK_THROWS_WITH_AS(attn.prefill(std::vector<float>(11 * 12, 0.5F), cache, outs, bitsieve::causal),
                         doctest::Contains("n_q"), bitsieve::invalid_argument);
    // n_q == n_k is fine, and so is non-causal prefill with n_q > n_k.
    std::vector<float> outs10(10 * 5);
    CHECK_NOTHROW(attn.prefill(std::vector<float>(10 * 12, 0.5F), cache, outs10, bitsieve::causal));
    CHECK_NOTHROW(attn.prefill(std::vector<float>(11 * 12, 0.5F), cache, outs));
    const bitsieve::dynamic_attention dyn{bitsieve::dynamic_config{}};
    CHECK_THROWS_AS(dyn.prefill(std::vector<float>(11 * 12, 0.5F), cache, outs, true), bitsieve::invalid_argument);
  }

  TEST_CASE("kernel/errors: invalid threshold parameters are refused when the kernel is built") {
    using lats_bundle = with_threshold<bitsieve::default_policies, thr::lats>;
    using mass_bundle = with_threshold<bitsieve::default_policies, thr::mass_budget>;
    using top_k_bundle = with_threshold<bitsieve::default_policies, thr::top_k>;
    CHECK_THROWS_WITH_AS((bitsieve::sparse_attention<lats_bundle>{thr::lats{.alpha = -0.5, .radius = 5.0}}),
                         doctest::Contains("alpha"), bitsieve::invalid_argument);
    CHECK_THROWS_WITH_AS(bitsieve::sparse_attention<mass_bundle>{thr::mass_budget{.delta = 0.0}}, doctest::Contains("delta"),
                         bitsieve::invalid_argument);
    CHECK_THROWS_AS(bitsieve::sparse_attention<mass_bundle>{thr::mass_budget{.delta = 1.0}}, bitsieve::invalid_argument);
    CHECK_THROWS_WITH_AS(bitsieve::sparse_attention<top_k_bundle>{thr::top_k{.k = 0}}, doctest::Contains("k"),
                         bitsieve::invalid_argument);
    // The same through dynamic_attention.
    for (const auto& bad : {bitsieve::dynamic_config{.threshold = thr::lats{.alpha = -0.5, .radius = 5.0}},
                            bitsieve::dynamic_config{.threshold = thr::mass_budget{.delta = 0.0}},
                            bitsieve::dynamic_config{.threshold = thr::mass_budget{.delta = 1.0}},
                            bitsieve::dynamic_config{.threshold = thr::top_k{.k = 0}}}) {
      CHECK_THROWS_AS(bitsieve::dynamic_attention{bad}, bitsieve::invalid_argument);
    }
    // Other options: a negative or non-finite softmax scale, a query width outside 2..16.
    const cache12 cache = small_cache();
    std::vector<float> out(5);
    CHECK_THROWS_AS(bitsieve::sparse_attention<>(thr::lats{}, {.softmax_scale = -1.0}).decode(std::vector<float>(12, 0.5F), cache, out),
                    bitsieve::invalid_argument);
    CHECK_THROWS_AS(bitsieve::sparse_attention<>(thr::lats{}, {.softmax_scale = std::nan("")}).decode(std::vector<float>(12, 0.5F), cache, out),
                    bitsieve::invalid_argument);
    CHECK_THROWS_AS(bitsieve::sparse_attention<>(thr::lats{}, {.query_bits = 1}), bitsieve::invalid_argument);
    CHECK_THROWS_AS(bitsieve::sparse_attention<>(thr::lats{}, {.query_bits = 17}), bitsieve::invalid_argument);
  }

  TEST_CASE("kernel/errors: key_value_cache refuses bad shapes and non-finite input and stays unchanged") {
    cache12 cache = small_cache(40, 12, 5);
    const auto before = integer_keys(cache);
    // Values of the wrong size (one row short, one element extra), keys not whole rows, empty keys.
    CHECK_THROWS_WITH_AS(cache.append(normal_floats(3 * 12, 3), normal_floats(2 * 5, 4)), doctest::Contains("values"),
                         bitsieve::invalid_argument);
    CHECK_THROWS_AS(cache.append(normal_floats(3 * 12, 3), normal_floats(3 * 5 + 1, 4)), bitsieve::invalid_argument);
    CHECK_THROWS_AS(cache.append(normal_floats(3 * 12 + 2, 3), normal_floats(3 * 5, 4)), bitsieve::invalid_argument);
    CHECK_THROWS_AS(cache.append(std::vector<float>{}, std::vector<float>{}), bitsieve::invalid_argument);
    // NaN / Inf in keys or values.
    std::vector<float> k = normal_floats(2 * 12, 5);
    k[5] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_AS(cache.append(k, normal_floats(2 * 5, 6)), bitsieve::domain_error);
    std::vector<float> v = normal_floats(2 * 5, 6);
    v[9] = std::numeric_limits<float>::infinity();
    CHECK_THROWS_AS(cache.append(normal_floats(2 * 12, 5), v), bitsieve::domain_error);
    CHECK(cache.size() == 40);
    CHECK(integer_keys(cache) == before);
    // Construction: zero dimensions, a bad fixed scale.
    CHECK_THROWS_AS(cache12(0, 5), bitsieve::invalid_argument);
    CHECK_THROWS_AS(cache12(12, 0), bitsieve::invalid_argument);
    CHECK_THROWS_AS(cache12(12, 5, bitsieve::cache_options{.key_scale = 0.0}), bitsieve::invalid_argument);
    CHECK_THROWS_AS(cache12(12, 5, bitsieve::cache_options{.key_scale = -1.0}), bitsieve::invalid_argument);
    // append_quantized: another scale than the cache's, or a value outside the format.
    const std::vector<std::int32_t> ints(12, 3);
    CHECK_THROWS_AS(cache.append_quantized(ints, cache.key_scale() * 2.0, normal_floats(5, 7)), bitsieve::invalid_argument);
    CHECK_THROWS_AS(cache.append_quantized(std::vector<std::int32_t>(12, 5000), cache.key_scale(), normal_floats(5, 7)),
                    bitsieve::invalid_argument);
    CHECK(cache.size() == 40);
  }

  TEST_CASE("kernel/errors: a fixed key scale saturates out-of-range keys and counts them") {
    cache12 cache(4, 1, bitsieve::cache_options{.key_scale = 0.01});
    // qmax = 2047: 0.01 * 2047 = 20.47 is the largest representable magnitude.
    cache.append(std::vector<float>{1.0F, -30.0F, 25.0F, 20.0F}, std::vector<float>{0.0F});
    CHECK(cache.saturated() == 2);
    const auto k = cache.keys().key(0);
    CHECK(k == std::vector<std::int32_t>{100, -2047, 2047, 2000});
  }
}
