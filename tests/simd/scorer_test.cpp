// SPDX-License-Identifier: Apache-2.0
// The dispatched plane scorer (AVX2 when compiled in) returns exactly the scalar tables' integers,
// and both equal a plain bit-by-bit dot product.
#include <bitsieve/format/plane_store.hpp>
#include <bitsieve/format/twos_complement.hpp>
#include <bitsieve/simd/dispatch.hpp>

#include <random>
#include <vector>

#include <doctest/doctest.h>

TEST_SUITE("simd") {
  TEST_CASE("simd/plane_scorer: dispatched path == scalar tables == plain bit sums for q widths 2..16") {
    using F = bitsieve::format::twos_complement<12>;
    std::mt19937 rng(7);
    for (const std::size_t d : {1U, 8U, 13U, 64U, 128U, 200U}) {
      bitsieve::plane_store<F> store(d);
      std::uniform_int_distribution<std::int32_t> kd(F::min_value, F::max_value);
      std::vector<std::int32_t> keys(40 * d);
      for (auto& x : keys) x = kd(rng);
      store.append(keys);
      for (int qbits = 2; qbits <= 16; ++qbits) {
        const std::int32_t qm = (1 << (qbits - 1)) - 1;
        std::uniform_int_distribution<std::int32_t> qd(-qm, qm);
        std::vector<std::int32_t> q(d);
        for (auto& x : q) x = qd(rng);
        if (qbits == 13) std::fill(q.begin(), q.end(), qm);  // the int16 edge: 4 * 4095 per entry
        bitsieve::detail::plane_scorer s;
        s.build(q, store.dim_groups());
        if (qbits <= 13) CHECK(s.vectorized() == (BITSIEVE_HAS_AVX2 != 0));
        for (std::size_t b = 0; b < store.blocks(); ++b) {
          for (int r = 0; r < F::planes; ++r) {
            std::int32_t got[32], want[32];
            s.score_block(store.plane_data(b, r), got);
            s.scalar().score_block(store.plane_data(b, r), want);
            for (std::size_t t = 0; t < store.tokens_in_block(b); ++t) {
              std::int64_t plain = 0;
              for (std::size_t i = 0; i < d; ++i) plain += store.bit(b * 32 + t, r, i) != 0U ? q[i] : 0;
              REQUIRE(want[t] == plain);
              REQUIRE(got[t] == want[t]);
              REQUIRE(s.score_token(store.plane_data(b, r), t) == want[t]);
            }
          }
        }
      }
    }
  }

  TEST_CASE("simd/plane_scorer: every table entry at its extreme in every group still gives exact sums") {
    // Keys of all ones (-1 in two's complement) select the full nibble in every group of every
    // plane: the int16 partial sums then reach the largest entries the flush schedule allows.
    using F = bitsieve::format::twos_complement<12>;
    for (const std::size_t d : {64U, 128U, 256U}) {
      bitsieve::plane_store<F> store(d);
      store.append(std::vector<std::int32_t>(33 * d, -1));
      for (const int qbits : {12, 13}) {
        const std::int32_t qm = (1 << (qbits - 1)) - 1;
        for (const int pattern : {0, 1, 2, 3}) {
          std::vector<std::int32_t> q(d);
          for (std::size_t i = 0; i < d; ++i) {
            q[i] = pattern == 0 ? qm : pattern == 1 ? -qm - 1 : pattern == 2 ? (i % 2 == 0 ? qm : -qm - 1) : (i == 5 ? qm : 3);
          }
          bitsieve::detail::plane_scorer s;
          s.build(q, store.dim_groups());
          std::int64_t plain = 0;
          for (const std::int32_t x : q) plain += x;
          for (std::size_t b = 0; b < store.blocks(); ++b) {
            std::int32_t got[32];
            s.score_block(store.plane_data(b, 0), got);
            for (std::size_t t = 0; t < store.tokens_in_block(b); ++t) REQUIRE(got[t] == plain);
          }
        }
      }
    }
  }
}
