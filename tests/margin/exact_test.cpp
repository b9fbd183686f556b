// SPDX-License-Identifier: Apache-2.0
// Property tests of the margin bounds: exhaustive for small widths, randomised for large ones.
#include <bitsieve/format/sign_magnitude.hpp>
#include <bitsieve/format/twos_complement.hpp>
#include <bitsieve/margin/exact.hpp>

#include <random>
#include <vector>

#include <doctest/doctest.h>

namespace {
// For every key of `d` elements (all values), every query in a grid, and every number of planes:
// the interval contains the final score, and both ends are attained by some key.
template <class F>
void exhaustive(std::size_t d) {
  // A grid of query values: denser for short queries, so the whole test stays a few seconds.
  const std::vector<std::int32_t> grid = d == 1   ? std::vector<std::int32_t>{-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5}
                                         : d == 2 ? std::vector<std::int32_t>{-3, -2, -1, 0, 1, 2, 3}
                                                  : std::vector<std::int32_t>{-2, 0, 3};
  std::size_t n_values = static_cast<std::size_t>(F::max_value - F::min_value + 1);
  std::size_t n_keys = 1;
  for (std::size_t i = 0; i < d; ++i) n_keys *= n_values;
  std::size_t n_queries = 1;
  for (std::size_t i = 0; i < d; ++i) n_queries *= grid.size();
  std::vector<std::int32_t> q(d), k(d);
  for (std::size_t qi = 0; qi < n_queries; ++qi) {
    std::size_t c = qi;
    for (std::size_t i = 0; i < d; ++i, c /= grid.size()) q[i] = grid[c % grid.size()];
    for (int r = 0; r <= F::planes; ++r) {
      bool lo_hit = false, hi_hit = false;
      // Tightness is per prefix: among keys sharing a prefix the ends are reached. Check it for the
      // global interval over keys with the same partial score state by grouping on the prefix.
      for (std::size_t ki = 0; ki < n_keys; ++ki) {
        std::size_t kc = ki;
        for (std::size_t i = 0; i < d; ++i, kc /= n_values) {
          k[i] = F::min_value + static_cast<std::int32_t>(kc % n_values);
        }
        const auto iv = bitsieve::score_bounds<F>(q, k, r);
        const auto final_score = bitsieve::partial_score<F>(q, k, F::planes);
        REQUIRE_MESSAGE(iv.contains(final_score), "B=" << F::bits << " r=" << r);
        if (r == F::planes) REQUIRE(iv.lo == iv.hi);
        // Tightness: the key whose unseen bits are chosen adversarially reaches the bound.
        std::vector<std::int32_t> kl(d), kh(d);
        for (std::size_t i = 0; i < d; ++i) {
          auto bits_l = F::decompose(k[i]);
          auto bits_h = bits_l;
          const bool neg = F::is_sign_magnitude && bits_l[0] != 0U;
          for (int p = std::max(r, 1); p < F::planes; ++p) {
            const bool up = (q[i] > 0) != neg;
            bits_h[static_cast<std::size_t>(p)] = up ? 1 : 0;
            bits_l[static_cast<std::size_t>(p)] = up ? 0 : 1;
          }
          if (r == 0) {  // sign not seen either: pick the sign too
            if constexpr (F::is_sign_magnitude) {
              bits_h[0] = q[i] < 0 ? 1 : 0;
              bits_l[0] = q[i] > 0 ? 1 : 0;
              for (int p = 1; p < F::planes; ++p) bits_h[static_cast<std::size_t>(p)] = bits_l[static_cast<std::size_t>(p)] = 1;
            } else {
              const auto mx = F::decompose(F::max_value), mn = F::decompose(F::min_value);
              bits_h = q[i] >= 0 ? mx : mn;
              bits_l = q[i] >= 0 ? mn : mx;
            }
          }
          kl[i] = F::compose(bits_l);
          kh[i] = F::compose(bits_h);
        }
        lo_hit = lo_hit || bitsieve::partial_score<F>(q, kl, F::planes) == iv.lo;
        hi_hit = hi_hit || bitsieve::partial_score<F>(q, kh, F::planes) == iv.hi;
        REQUIRE(bitsieve::partial_score<F>(q, kl, F::planes) == iv.lo);
        REQUIRE(bitsieve::partial_score<F>(q, kh, F::planes) == iv.hi);
      }
      CHECK(lo_hit);
      CHECK(hi_hit);
    }
  }
}

template <class F>
void randomised(std::size_t d, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::int32_t> kd(F::min_value, F::max_value);
  std::uniform_int_distribution<std::int32_t> qd(-2047, 2047);
  std::vector<std::int32_t> q(d), k(d);
  for (int trial = 0; trial < 200; ++trial) {
    for (auto& v : q) v = qd(rng);
    for (auto& v : k) v = kd(rng);
    const auto final_score = bitsieve::partial_score<F>(q, k, F::planes);
    bitsieve::score_t prev_width = -1;
    for (int r = 0; r <= F::planes; ++r) {
      const auto iv = bitsieve::score_bounds<F>(q, k, r);
      REQUIRE(iv.contains(final_score));
      if (prev_width >= 0 && r >= 2) CHECK(iv.width() <= prev_width);  // shrinks as planes are read
      prev_width = iv.width();
    }
  }
}
}  // namespace

TEST_SUITE("margin") {
  TEST_CASE_TEMPLATE("margin/exact: exhaustive enclosure and tightness for B = 2..6 and head_dim 1..3", F,
                     bitsieve::format::twos_complement<2>, bitsieve::format::twos_complement<3>,
                     bitsieve::format::twos_complement<4>, bitsieve::format::twos_complement<5>,
                     bitsieve::format::twos_complement<6>, bitsieve::format::sign_magnitude<2>,
                     bitsieve::format::sign_magnitude<3>, bitsieve::format::sign_magnitude<4>,
                     bitsieve::format::sign_magnitude<5>, bitsieve::format::sign_magnitude<6>) {
    for (std::size_t d = 1; d <= 3; ++d) exhaustive<F>(d);
  }

  TEST_CASE_TEMPLATE("margin/exact: randomised enclosure at B = 8 / 12 / 16 and head_dim 64 / 128", F,
                     bitsieve::format::twos_complement<8>, bitsieve::format::twos_complement<12>,
                     bitsieve::format::twos_complement<16>, bitsieve::format::sign_magnitude<8>,
                     bitsieve::format::sign_magnitude<12>, bitsieve::format::sign_magnitude<16>) {
    randomised<F>(64, 1);
    randomised<F>(128, 2);
  }

  TEST_CASE("margin/exact: P and N of a query") {
    const std::vector<std::int32_t> q{3, -2, 0, 5, -7};
    const auto s = bitsieve::margin::exact::prepare(q);
    CHECK(s.pos == 8);
    CHECK(s.neg == -9);
  }
}
