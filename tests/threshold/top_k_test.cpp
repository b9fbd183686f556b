// SPDX-License-Identifier: Apache-2.0
// threshold::top_k and threshold::fixed: their kept sets, key by key, under every scheduler, tile
// order and tile size. top_k keeps a superset of the true top k (ties included); fixed keeps
// exactly the keys whose exact logit is >= tau.
#include <bitsieve/format/sign_magnitude.hpp>
#include <bitsieve/format/twos_complement.hpp>
#include <bitsieve/kernel/policies.hpp>
#include <bitsieve/kernel/sparse_attention.hpp>
#include <bitsieve/threshold/fixed.hpp>
#include <bitsieve/threshold/top_k.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include <doctest/doctest.h>

#include "support/one_hot.hpp"
#include "support/testbed.hpp"

namespace {

using namespace bitsieve_test;
namespace fmt = bitsieve::format;
namespace thr = bitsieve::threshold;

struct top_k_golden : bitsieve::golden_policies {
  using threshold_policy = thr::top_k;
};
struct fixed_golden : bitsieve::golden_policies {
  using threshold_policy = thr::fixed;
};

/// Every key scoring at least the k-th highest exact score is kept, by every configuration.
template <class F>
void check_top_k(const property_input& in, std::size_t k, std::uint64_t& dropped, std::uint64_t& unobservable,
                 std::span<const std::size_t> sizes = std::span<const std::size_t>(tile_sizes)) {
  CAPTURE(in.name);
  CAPTURE(k);
  const auto cache = one_hot_cache<F>(in.keys, in.d);
  const auto ints = integer_keys(cache);
  const std::size_t n = cache.size();
  for (std::size_t qi = 0; qi < in.n_q(); ++qi) {
    CAPTURE(qi);
    const exact_view v = exact_view_of(in.query(qi), cache, ints, F::bits, in.softmax_scale);
    std::vector<score_t> sorted = v.scores;
    std::sort(sorted.begin(), sorted.end(), std::greater<>());
    const score_t kth = sorted[std::min(k, n) - 1];
    for_each_kernel<F>(thr::top_k{.k = k}, in.softmax_scale, [&](const auto& attn, const std::string& label) {
      CAPTURE(label);
      std::vector<float> out(n);
      const auto st = attn.decode(in.query(qi), cache, out);
      CHECK(st.survivors >= std::min(k, n));
      std::size_t missing = 0;
      for (std::size_t j = 0; j < n; ++j) {
        if (v.scores[j] < kth) continue;
        // A top-k key's weight over any kept set is >= e^gap / n: observable unless below ~1e-38.
        if (v.gap(j) < -80.0) {
          ++unobservable;
          continue;
        }
        if (out[j] == 0.0F) ++missing;
      }
      CHECK_MESSAGE(missing == 0, missing << " of the top " << k << " keys (ties included) were dropped");
      dropped += st.keys - st.survivors;
    }, sizes);
  }
}

/// The kept set is exactly {j : c s_j >= tau}, by every configuration.
template <class F>
void check_fixed(const property_input& in, double below_best, std::uint64_t& dropped) {
  CAPTURE(in.name);
  CAPTURE(below_best);
  const auto cache = one_hot_cache<F>(in.keys, in.d);
  const auto ints = integer_keys(cache);
  const std::size_t n = cache.size();
  for (std::size_t qi = 0; qi < in.n_q(); ++qi) {
    CAPTURE(qi);
    const exact_view v = exact_view_of(in.query(qi), cache, ints, F::bits, in.softmax_scale);
    const double tau = v.c * static_cast<double>(v.best) - below_best;
    std::vector<char> want(n, 0);
    std::uint64_t n_want = 0;
    for (std::size_t j = 0; j < n; ++j) {
      want[j] = v.c * static_cast<double>(v.scores[j]) >= tau ? 1 : 0;
      n_want += static_cast<std::uint64_t>(want[j]);
    }
    for_each_kernel<F>(thr::fixed{.tau = tau}, in.softmax_scale, [&](const auto& attn, const std::string& label) {
      CAPTURE(label);
      std::vector<float> out(n);
      const auto st = attn.decode(in.query(qi), cache, out);
      CHECK(st.survivors == n_want);
      std::size_t wrong = 0;
      for (std::size_t j = 0; j < n; ++j) wrong += (out[j] != 0.0F) != (want[j] != 0) ? 1U : 0U;
      CHECK_MESSAGE(wrong == 0, wrong << " keys decided against c s_j >= tau");
      CHECK(relative_l2(out, softmax_over(v.scores, v.c, want)) < 1e-6);
      dropped += st.keys - st.survivors;
    });
  }
}

}  // namespace

TEST_SUITE("threshold") {
  TEST_CASE("threshold/top_k: validate and the kernel refuse k = 0") {
    CHECK_FALSE(thr::top_k{.k = 0}.validate().ok());
    CHECK_THROWS_WITH_AS(bitsieve::sparse_attention<top_k_golden>{thr::top_k{.k = 0}}, doctest::Contains("top_k"),
                         bitsieve::invalid_argument);
    CHECK(thr::top_k{.k = 1}.validate().ok());
    CHECK(thr::top_k{.k = 5}.kth() == 5);
    bitsieve::round_state s;
    s.kth_lower = 12345;
    CHECK(thr::top_k{.k = 5}.cutoff(s) == 12345);
  }

  TEST_CASE("threshold/top_k: the k highest exact scores are always kept (every scheduler x tile order x size)") {
    std::uint64_t dropped = 0;
    std::uint64_t unobservable = 0;
    for (const property_input& in : property_inputs()) {
      for (const std::size_t k : {std::size_t{1}, std::size_t{4}, std::size_t{32}}) {
        // The 1024-token window only at k = 4 and on one query (keeps the sanitizer build fast).
        if (in.keys.size() / in.d > 1000) {
          if (k != 4) continue;
          property_input one = in;
          one.queries.resize(in.d);
          check_top_k<fmt::twos_complement<12>>(one, k, dropped, unobservable);
          continue;
        }
        // Every tile size at k = 4; one tile and 64-token tiles at the other k.
        static constexpr std::size_t few_sizes[] = {0, 64};
        check_top_k<fmt::twos_complement<12>>(in, k, dropped, unobservable,
                                              k == 4 ? std::span<const std::size_t>(tile_sizes)
                                                     : std::span<const std::size_t>(few_sizes));
      }
    }
    check_top_k<fmt::sign_magnitude<8>>(synthetic_property_input(200, 40, 2, 74), 8, dropped, unobservable);
    MESSAGE("keys dropped across the sweep: " << dropped << "; top-k keys too light to observe: " << unobservable);
    CHECK(dropped > 0);
    CHECK(unobservable == 0);
  }

  TEST_CASE("threshold/top_k: ties at the k-th score are all kept") {
    // 6 copies of the best key (and 3 copies of another) among random keys: k = 2 cuts through the
    // tie at the top, so all 6 copies must survive; k = 7 keeps all of them plus the next ones.
    const std::size_t d = 24;
    property_input in = synthetic_property_input(150, d, 2, 75);
    const auto cache0 = one_hot_cache<fmt::twos_complement<12>>(in.keys, d);
    const auto ints0 = integer_keys(cache0);
    const exact_view v0 = exact_view_of(in.query(0), cache0, ints0, 12, 0.0);
    const auto best = static_cast<std::size_t>(std::max_element(v0.scores.begin(), v0.scores.end()) - v0.scores.begin());
    const std::size_t second = best == 0 ? 1 : 0;
    for (const std::size_t pos : {10U, 40U, 77U, 100U, 120U}) {
      std::copy_n(in.keys.begin() + static_cast<std::ptrdiff_t>(best * d), d, in.keys.begin() + static_cast<std::ptrdiff_t>(pos * d));
    }
    for (const std::size_t pos : {20U, 60U, 140U}) {
      std::copy_n(in.keys.begin() + static_cast<std::ptrdiff_t>(second * d), d,
                  in.keys.begin() + static_cast<std::ptrdiff_t>(pos * d));
    }
    in.queries.resize(d);  // the first query only
    std::uint64_t dropped = 0;
    std::uint64_t unobservable = 0;
    for (const std::size_t k : {std::size_t{2}, std::size_t{7}}) check_top_k<fmt::twos_complement<12>>(in, k, dropped, unobservable);
    CHECK(dropped > 0);
  }

  TEST_CASE("threshold/fixed: keeps exactly the keys with c s_j >= tau (every scheduler x tile order x size)") {
    std::uint64_t dropped = 0;
    for (const property_input& in : property_inputs()) {
      for (const double below : {0.0, 2.0, 6.0}) check_fixed<fmt::twos_complement<12>>(in, below, dropped);
    }
    check_fixed<fmt::sign_magnitude<12>>(synthetic_property_input(120, 20, 2, 76), 3.0, dropped);
    CHECK(dropped > 0);
  }

  TEST_CASE("threshold/fixed: a tau above every key drops them all: zero output and a bound of 1") {
    const property_input in = synthetic_property_input(100, 16, 1, 78);
    bitsieve::key_value_cache<fmt::twos_complement<12>> cache(in.d, 3);
    cache.append(in.keys, normal_floats(100 * 3, 79));
    const bitsieve::sparse_attention<fixed_golden> attn{thr::fixed{.tau = 1e6}};
    std::vector<float> out(3, 7.0F);
    const auto st = attn.decode(in.query(0), cache, out);
    CHECK(st.survivors == 0);
    CHECK(st.value_rows_read == 0);
    CHECK(st.dropped_mass_bound_sum == 1.0);
    for (const float x : out) CHECK(x == 0.0F);
    CHECK_FALSE(thr::fixed{.tau = std::nan("")}.validate().ok());
    CHECK_FALSE(thr::fixed{.tau = std::numeric_limits<double>::infinity()}.validate().ok());
    CHECK_THROWS_AS(bitsieve::sparse_attention<fixed_golden>{thr::fixed{.tau = std::nan("")}}, bitsieve::invalid_argument);
  }
}
