// SPDX-License-Identifier: Apache-2.0
// The ThresholdPolicy concept: the shipped rules and the policy bundles model it / are accepted,
// look-alikes without the opt-in tag (or with a wrong member) do not, and a user-written rule
// that models it runs in the kernel and decides exactly like the built-in rule it re-implements.
#include <bitsieve/kernel/policies.hpp>
#include <bitsieve/kernel/sparse_attention.hpp>
#include <bitsieve/threshold/concept.hpp>
#include <bitsieve/threshold/dense.hpp>
#include <bitsieve/threshold/fixed.hpp>
#include <bitsieve/threshold/lats.hpp>
#include <bitsieve/threshold/mass_budget.hpp>
#include <bitsieve/threshold/top_k.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <doctest/doctest.h>

#include "support/bundles.hpp"
#include "support/testbed.hpp"

namespace concept_checks {

using bitsieve::ThresholdPolicy;
namespace thr = bitsieve::threshold;

static_assert(ThresholdPolicy<thr::lats>);
static_assert(ThresholdPolicy<thr::mass_budget>);
static_assert(ThresholdPolicy<thr::top_k>);
static_assert(ThresholdPolicy<thr::fixed>);
static_assert(ThresholdPolicy<thr::dense>);
static_assert(thr::mass_budget::is_certified && thr::dense::is_certified);
static_assert(!thr::lats::is_certified && !thr::top_k::is_certified && !thr::fixed::is_certified);
static_assert(thr::mass_budget::needs_z_lower && !thr::lats::needs_z_lower);

/// A user rule: the lats decision written independently (drop iff c (U - M) < -margin).
struct user_margin {
  using policy_category = bitsieve::threshold_policy_tag;
  static constexpr bool needs_z_lower = false;
  static constexpr bool is_certified = false;
  double margin = 3.0;
  [[nodiscard]] std::size_t kth() const noexcept { return 0; }
  [[nodiscard]] bitsieve::status validate() const { return bitsieve::status::success(); }
  /// The smallest U that is kept: M + t, t the smallest integer with c t >= -margin.
  [[nodiscard]] bitsieve::score_t cutoff(const bitsieve::round_state& s) const noexcept {
    if (s.max_lower == std::numeric_limits<bitsieve::score_t>::min()) return s.max_lower;
    auto t = static_cast<bitsieve::score_t>(std::floor(-margin / s.logit_scale)) - 2;
    while (!(s.logit_scale * static_cast<double>(t) >= -margin)) ++t;
    return s.max_lower + t;
  }
};
static_assert(ThresholdPolicy<user_margin>);

// A derived tag still opts in.
struct derived_tag : bitsieve::threshold_policy_tag {};
struct user_derived_tag : user_margin {
  using policy_category = derived_tag;
};
static_assert(ThresholdPolicy<user_derived_tag>);

// Look-alikes: every member right but no opt-in tag.
struct no_tag : user_margin {
  using policy_category = void;
};
static_assert(!ThresholdPolicy<no_tag>);
struct other_tag : user_margin {
  using policy_category = bitsieve::tile_policy_tag;
};
static_assert(!ThresholdPolicy<other_tag>);
struct untagged {
  static constexpr bool needs_z_lower = false;
  static constexpr bool is_certified = false;
  [[nodiscard]] std::size_t kth() const noexcept { return 0; }
  [[nodiscard]] bitsieve::status validate() const { return bitsieve::status::success(); }
  [[nodiscard]] bitsieve::score_t cutoff(const bitsieve::round_state&) const noexcept { return 0; }
};
static_assert(!ThresholdPolicy<untagged>);

// Tagged, but a member is wrong or missing.
struct wrong_cutoff : user_margin {
  [[nodiscard]] double cutoff(const bitsieve::round_state&) const noexcept { return 0.0; }
};
static_assert(!ThresholdPolicy<wrong_cutoff>);
struct no_validate {
  using policy_category = bitsieve::threshold_policy_tag;
  static constexpr bool needs_z_lower = false;
  static constexpr bool is_certified = false;
  [[nodiscard]] std::size_t kth() const noexcept { return 0; }
  [[nodiscard]] bitsieve::score_t cutoff(const bitsieve::round_state&) const noexcept { return 0; }
};
static_assert(!ThresholdPolicy<no_validate>);
struct no_certified_flag {
  using policy_category = bitsieve::threshold_policy_tag;
  static constexpr bool needs_z_lower = false;
  [[nodiscard]] std::size_t kth() const noexcept { return 0; }
  [[nodiscard]] bitsieve::status validate() const { return bitsieve::status::success(); }
  [[nodiscard]] bitsieve::score_t cutoff(const bitsieve::round_state&) const noexcept { return 0; }
};
static_assert(!ThresholdPolicy<no_certified_flag>);
struct throwing_copy : user_margin {
  throwing_copy() = default;
  throwing_copy(const throwing_copy& o) noexcept(false) : user_margin(o) {}
};
static_assert(!ThresholdPolicy<throwing_copy>);
static_assert(!ThresholdPolicy<int>);

// Every shipped bundle, and bundles with each threshold, pass the bundle check.
static_assert(bitsieve::detail::check_policy_bundle<bitsieve::default_policies>());
static_assert(bitsieve::detail::check_policy_bundle<bitsieve::golden_policies>());
static_assert(bitsieve::detail::check_policy_bundle<bitsieve::bitstopper_policies>());
static_assert(bitsieve::detail::check_policy_bundle<bitsieve::pade_policies>());
static_assert(bitsieve::detail::check_policy_bundle<bitsieve_test::with_threshold<bitsieve::default_policies, thr::mass_budget>>());
static_assert(bitsieve::detail::check_policy_bundle<bitsieve_test::with_threshold<bitsieve::pade_policies, thr::top_k>>());
static_assert(bitsieve::detail::check_policy_bundle<bitsieve_test::with_threshold<bitsieve::bitstopper_policies, thr::fixed>>());
static_assert(bitsieve::detail::check_policy_bundle<bitsieve_test::with_threshold<bitsieve::default_policies, thr::dense>>());
static_assert(bitsieve::detail::check_policy_bundle<bitsieve_test::with_threshold<bitsieve::default_policies, user_margin>>());

// The presets are what DESIGN.md §3 says.
static_assert(std::is_same_v<bitsieve::bitstopper_policies::format_policy, bitsieve::format::twos_complement<12>>);
static_assert(std::is_same_v<bitsieve::bitstopper_policies::threshold_policy, thr::lats>);
static_assert(bitsieve::bitstopper_policies::schedule_policy::lanes == 32);
static_assert(std::is_same_v<bitsieve::bitstopper_policies::tile_policy, bitsieve::tile::sequential>);
static_assert(std::is_same_v<bitsieve::pade_policies::format_policy, bitsieve::format::twos_complement<8>>);
static_assert(bitsieve::pade_policies::query_bits == 8);
static_assert(bitsieve::pade_policies::schedule_policy::lanes == 128 && bitsieve::pade_policies::schedule_policy::bidirectional);
static_assert(std::is_same_v<bitsieve::pade_policies::tile_policy, bitsieve::tile::head_tail<64>>);
static_assert(bitsieve::golden_policies::schedule_policy::lanes == 0);
static_assert(bitsieve::default_policies::query_bits == 12);

}  // namespace concept_checks

namespace {
namespace thr = bitsieve::threshold;
struct user_lockstep : bitsieve::default_policies {
  using threshold_policy = concept_checks::user_margin;
};
struct user_ooo : bitsieve::bitstopper_policies {
  using threshold_policy = concept_checks::user_margin;
};
struct lats_ooo : bitsieve::bitstopper_policies {};
}  // namespace

TEST_SUITE("threshold") {
  TEST_CASE("threshold/concept: a user-written rule runs in the kernel and matches the built-in rule it re-implements") {
    using namespace bitsieve_test;
    const std::size_t n = 500, d = 32, dv = 8;
    const std::vector<float> dir = normal_floats(d, 3);
    const std::vector<float> keys = peaked_keys(n, d, 4, dir, 2.0);
    bitsieve::key_value_cache<bitsieve::format::twos_complement<12>> cache(d, dv);
    cache.append(keys, normal_floats(n * dv, 5));
    std::vector<float> queries(4 * d);
    for (std::size_t i = 0; i < queries.size(); ++i) queries[i] = 1.3F * dir[i % d] + 0.1F * static_cast<float>(i % 7);
    for (const double margin : {0.5, 3.0, 7.0}) {
      CAPTURE(margin);
      std::vector<float> a(4 * dv), b(4 * dv), c(4 * dv), e(4 * dv);
      const auto sa = bitsieve::sparse_attention<user_lockstep>{concept_checks::user_margin{margin}}.prefill(queries, cache, a);
      const auto sb = bitsieve::sparse_attention<bitsieve::default_policies>{thr::lats{.alpha = 1.0, .radius = margin}}.prefill(queries, cache, b);
      const auto sc = bitsieve::sparse_attention<user_ooo>{concept_checks::user_margin{margin}}.prefill(queries, cache, c);
      const auto se = bitsieve::sparse_attention<lats_ooo>{thr::lats{.alpha = 1.0, .radius = margin}}.prefill(queries, cache, e);
      CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
      CHECK(std::memcmp(c.data(), e.data(), c.size() * sizeof(float)) == 0);
      check_same_stats(sa, sb);
      check_same_stats(sc, se);
      CHECK(sa.survivors < sa.keys);  // the rule did drop keys
    }
  }
}
