// SPDX-License-Identifier: Apache-2.0
// threshold::lats (BitStopper LATS / PADE BUI-GF): the cutoff arithmetic, the guarantee (no key
// within the margin of the best is ever dropped, under every scheduler and tile order), and the
// limit DESIGN.md §2 and §8 describe (a fixed margin is not a mass certificate).
#include <bitsieve/format/sign_magnitude.hpp>
#include <bitsieve/format/twos_complement.hpp>
#include <bitsieve/kernel/policies.hpp>
#include <bitsieve/kernel/sparse_attention.hpp>
#include <bitsieve/threshold/lats.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include <doctest/doctest.h>

#include "support/mass.hpp"
#include "support/one_hot.hpp"
#include "support/testbed.hpp"

namespace {

using namespace bitsieve_test;
namespace fmt = bitsieve::format;
namespace thr = bitsieve::threshold;

struct lats_golden : bitsieve::golden_policies {};
struct mb_golden : bitsieve::golden_policies {
  using threshold_policy = thr::mass_budget;
};

/// Every key within `margin` logits of the best is kept by every kernel configuration; returns
/// how many keys the configurations dropped in all (to show the sweep was not vacuous).
template <class F>
std::uint64_t check_margin_kept(const property_input& in, const thr::lats& rule) {
  CAPTURE(in.name);
  CAPTURE(rule.alpha);
  CAPTURE(rule.radius);
  const auto cache = one_hot_cache<F>(in.keys, in.d);
  const auto ints = integer_keys(cache);
  const std::size_t n = cache.size();
  std::uint64_t dropped = 0;
  for (std::size_t qi = 0; qi < in.n_q(); ++qi) {
    CAPTURE(qi);
    const exact_view v = exact_view_of(in.query(qi), cache, ints, F::bits, in.softmax_scale);
    for_each_kernel<F>(rule, in.softmax_scale, [&](const auto& attn, const std::string& label) {
      CAPTURE(label);
      std::vector<float> out(n);
      const auto st = attn.decode(in.query(qi), cache, out);
      std::size_t violations = 0;
      std::size_t first = n;
      for (std::size_t j = 0; j < n; ++j) {
        if (out[j] == 0.0F && v.gap(j) >= -rule.margin()) {
          ++violations;
          first = std::min(first, j);
        }
      }
      CHECK_MESSAGE(violations == 0, violations << " keys within the margin were dropped; first: key " << first
                                                << " at " << (first < n ? v.gap(first) : 0.0) << " logits");
      dropped += st.keys - st.survivors;
    });
  }
  return dropped;
}

}  // namespace

TEST_SUITE("threshold") {
  TEST_CASE("threshold/lats: validate and the kernel refuse negative or non-finite alpha and radius") {
    const double inf = std::numeric_limits<double>::infinity();
    for (const thr::lats bad : {thr::lats{.alpha = -0.1, .radius = 5.0}, thr::lats{.alpha = 0.6, .radius = -1.0},
                                thr::lats{.alpha = std::nan(""), .radius = 5.0}, thr::lats{.alpha = 0.6, .radius = inf}}) {
      CAPTURE(bad.alpha);
      CAPTURE(bad.radius);
      CHECK_FALSE(bad.validate().ok());
      CHECK_THROWS_WITH_AS(bitsieve::sparse_attention<lats_golden>{bad}, doctest::Contains("lats"),
                           bitsieve::invalid_argument);
    }
    CHECK(thr::lats{.alpha = 0.0, .radius = 5.0}.validate().ok());
    CHECK(thr::lats{}.validate().ok());
    CHECK(thr::lats{}.alpha == 0.6);
    CHECK(thr::lats{}.radius == 5.0);
    CHECK(thr::lats{.alpha = 0.5, .radius = 4.0}.margin() == 2.0);
  }

  TEST_CASE("threshold/lats: cutoff is exactly 'drop iff c (U - M) < -alpha radius' evaluated in double") {
    rng r(5);
    for (int trial = 0; trial < 5000; ++trial) {
      bitsieve::round_state s;
      s.max_lower = static_cast<bitsieve::score_t>(r.uniform(-1e12, 1e12));
      s.logit_scale = std::exp(r.uniform(-30.0, 2.0));
      const thr::lats rule{.alpha = r.uniform(0.0, 2.0), .radius = r.uniform(0.0, 10.0)};
      const bitsieve::score_t cut = rule.cutoff(s);
      const auto drops = [&](bitsieve::score_t u) {
        return s.logit_scale * static_cast<double>(u - s.max_lower) < -(rule.alpha * rule.radius);
      };
      // The cutoff is the boundary: U = cut - 1 is dropped, U = cut is kept (drop iff U < cut).
      CHECK(drops(cut - 1));
      CHECK_FALSE(drops(cut));
      CHECK_FALSE(drops(cut + 1));
    }
    CHECK(thr::lats{}.cutoff(bitsieve::round_state{}) == std::numeric_limits<bitsieve::score_t>::min());
  }

  TEST_CASE("threshold/lats: no key within the margin of the best is dropped (every scheduler x tile order x size)") {
    std::uint64_t dropped = 0;
    for (const property_input& in : property_inputs()) {
      for (const thr::lats rule : {thr::lats{.alpha = 0.6, .radius = 5.0}, thr::lats{.alpha = 1.0, .radius = 5.0},
                                   thr::lats{.alpha = 0.0, .radius = 5.0}}) {
        dropped += check_margin_kept<fmt::twos_complement<12>>(in, rule);
      }
    }
    dropped += check_margin_kept<fmt::sign_magnitude<8>>(synthetic_property_input(200, 40, 2, 73), thr::lats{});
    MESSAGE("keys dropped across the sweep: " << dropped);
    CHECK(dropped > 0);
  }

  TEST_CASE("threshold/lats: a fixed margin is no mass certificate: 20000 keys just under it lose most of the mass") {
    // One key at logit 0 and 19999 keys at -3.05, just under the papers' margin alpha radius = 3:
    // each weighs e^-3.05 of the best, so together they hold ~99.9% of the mass, and lats drops
    // them all. mass_budget keeps the same mass (DESIGN.md §2, §8).
    const std::size_t n = 20000;
    const std::size_t d = 16;
    const std::vector<float> q = normal_floats(d, 17);
    double q2 = 0.0;
    for (const float x : q) q2 += static_cast<double>(x) * x;
    std::vector<float> keys(n * d);
    for (std::size_t j = 1; j < n; ++j) {
      for (std::size_t i = 0; i < d; ++i) keys[j * d + i] = static_cast<float>(-3.05 / (q2 / 4.0) * q[i]);  // s = 1/4
    }
    const auto lats_mass = reciprocal_mass<fmt::twos_complement<12>>(
        keys, d, q, 12, 0.0, [a = bitsieve::sparse_attention<lats_golden>{thr::lats{}}](auto qq, const auto& c, auto o) {
          return a.decode(qq, c, o);
        });
    const auto mb_mass = reciprocal_mass<fmt::twos_complement<12>>(
        keys, d, q, 12, 0.0,
        [a = bitsieve::sparse_attention<mb_golden>{thr::mass_budget{.delta = 0.01}}](auto qq, const auto& c, auto o) {
          return a.decode(qq, c, o);
        });
    MESSAGE("lats dropped " << lats_mass[0].dropped << " of the mass (kept " << lats_mass[0].survivors
                            << " keys); mass_budget 0.01 dropped " << mb_mass[0].dropped << " (kept "
                            << mb_mass[0].survivors << ")");
    CHECK(lats_mass[0].dropped > 0.99);
    CHECK(lats_mass[0].bound + reciprocal_tolerance >= lats_mass[0].dropped);  // the reported bound still holds
    CHECK(mb_mass[0].dropped <= 0.01);
  }
}
