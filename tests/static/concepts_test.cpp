// SPDX-License-Identifier: Apache-2.0
// Positive and negative static_asserts for every concept (STYLE.md §7.8, tests/static/).
// Compiling this file is the test: it is built as a library with `all`, and the ctest entry
// static/concepts rebuilds it.
#include <bitsieve/format/concept.hpp>
#include <bitsieve/format/sign_magnitude.hpp>
#include <bitsieve/format/twos_complement.hpp>
#include <bitsieve/margin/concept.hpp>
#include <bitsieve/margin/exact.hpp>

#include <array>
#include <cstdint>
#include <span>

namespace concept_checks {

// ---------------------------------------------------------------------------------------------
// BitPlaneFormat
// ---------------------------------------------------------------------------------------------

// Every shipped width models it, for both formats.
template <int... B>
constexpr bool all_widths_model() {
  return (bitsieve::BitPlaneFormat<bitsieve::format::twos_complement<B>> && ...) &&
         (bitsieve::BitPlaneFormat<bitsieve::format::sign_magnitude<B>> && ...);
}
static_assert(all_widths_model<2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16>());

// A hand-written, complete model: the concept is satisfiable by user types, not only ours.
struct user_format {
  using policy_category = bitsieve::format_policy_tag;
  static constexpr int bits = 4;
  static constexpr int planes = 4;
  static constexpr bool is_sign_magnitude = false;
  static constexpr std::int32_t min_value = -8;
  static constexpr std::int32_t max_value = 7;
  static constexpr std::uint32_t bit(std::int32_t v, int r) noexcept {
    return (static_cast<std::uint32_t>(v) >> (3 - r)) & 1U;
  }
  static constexpr std::array<std::uint8_t, 4> decompose(std::int32_t /*v*/) noexcept { return {}; }
  static constexpr std::int32_t compose(const std::array<std::uint8_t, 4>& /*b*/) noexcept { return 0; }
};
static_assert(bitsieve::BitPlaneFormat<user_format>);

// A derived tag still opts in (std::derived_from).
struct derived_format_tag : bitsieve::format_policy_tag {};
struct user_format_derived_tag : user_format {
  using policy_category = derived_format_tag;
};
static_assert(bitsieve::BitPlaneFormat<user_format_derived_tag>);

// Negative: not a class at all.
static_assert(!bitsieve::BitPlaneFormat<int>);
static_assert(!bitsieve::BitPlaneFormat<void>);
static_assert(!bitsieve::BitPlaneFormat<const char*>);

// Negative: all members present but no opt-in tag.
struct no_tag : user_format {
  using policy_category = void;
};
static_assert(!bitsieve::BitPlaneFormat<no_tag>);

// Negative: the wrong family's tag.
struct margin_tagged_format : user_format {
  using policy_category = bitsieve::margin_policy_tag;
};
static_assert(!bitsieve::BitPlaneFormat<margin_tagged_format>);

// Negative: opted in but one member missing, one case per requirement.
struct no_bits {
  using policy_category = bitsieve::format_policy_tag;
  static constexpr int planes = 4;
  static constexpr bool is_sign_magnitude = false;
  static constexpr std::int32_t min_value = -8;
  static constexpr std::int32_t max_value = 7;
  static constexpr std::uint32_t bit(std::int32_t /*v*/, int /*r*/) noexcept { return 0; }
  static constexpr std::array<std::uint8_t, 4> decompose(std::int32_t /*v*/) noexcept { return {}; }
  static constexpr std::int32_t compose(const std::array<std::uint8_t, 4>& /*b*/) noexcept { return 0; }
};
static_assert(!bitsieve::BitPlaneFormat<no_bits>);

struct no_compose {
  using policy_category = bitsieve::format_policy_tag;
  static constexpr int bits = 4;
  static constexpr int planes = 4;
  static constexpr bool is_sign_magnitude = false;
  static constexpr std::int32_t min_value = -8;
  static constexpr std::int32_t max_value = 7;
  static constexpr std::uint32_t bit(std::int32_t /*v*/, int /*r*/) noexcept { return 0; }
  static constexpr std::array<std::uint8_t, 4> decompose(std::int32_t /*v*/) noexcept { return {}; }
};
static_assert(!bitsieve::BitPlaneFormat<no_compose>);

struct no_sign_flag {
  using policy_category = bitsieve::format_policy_tag;
  static constexpr int bits = 4;
  static constexpr int planes = 4;
  static constexpr std::int32_t min_value = -8;
  static constexpr std::int32_t max_value = 7;
  static constexpr std::uint32_t bit(std::int32_t /*v*/, int /*r*/) noexcept { return 0; }
  static constexpr std::array<std::uint8_t, 4> decompose(std::int32_t /*v*/) noexcept { return {}; }
  static constexpr std::int32_t compose(const std::array<std::uint8_t, 4>& /*b*/) noexcept { return 0; }
};
static_assert(!bitsieve::BitPlaneFormat<no_sign_flag>);

// Negative: right names, wrong types.
struct bit_returns_int : user_format {
  static constexpr int bit(std::int32_t /*v*/, int /*r*/) noexcept { return 0; }  // must be std::uint32_t
};
static_assert(!bitsieve::BitPlaneFormat<bit_returns_int>);

struct decompose_wrong_size : user_format {
  static constexpr std::array<std::uint8_t, 3> decompose(std::int32_t /*v*/) noexcept { return {}; }  // planes is 4
};
static_assert(!bitsieve::BitPlaneFormat<decompose_wrong_size>);

struct compose_returns_int64 : user_format {
  static constexpr std::int64_t compose(const std::array<std::uint8_t, 4>& /*b*/) noexcept { return 0; }
};
static_assert(!bitsieve::BitPlaneFormat<compose_returns_int64>);

// The readable diagnosis agrees with the concept on models (its failure path is in tests/fail/).
static_assert(bitsieve::detail::diagnose_format<bitsieve::format::twos_complement<12>>());
static_assert(bitsieve::detail::diagnose_format<bitsieve::format::sign_magnitude<8>>());
static_assert(bitsieve::detail::diagnose_format<user_format>());

// ---------------------------------------------------------------------------------------------
// MarginPolicy
// ---------------------------------------------------------------------------------------------

static_assert(bitsieve::MarginPolicy<bitsieve::margin::exact>);

// A hand-written, complete model.
struct user_margin {
  using policy_category = bitsieve::margin_policy_tag;
  static constexpr bitsieve::query_sums prepare(std::span<const std::int32_t> /*q*/) noexcept { return {}; }
  template <bitsieve::BitPlaneFormat F>
  static constexpr bitsieve::interval unseen(const bitsieve::query_sums& /*s*/, int /*done*/,
                                              bitsieve::score_t /*sd*/ = 0) noexcept {
    return {};
  }
};
static_assert(bitsieve::MarginPolicy<user_margin>);

// Negative: not a class; a format is not a margin; no tag; the format family's tag.
static_assert(!bitsieve::MarginPolicy<int>);
static_assert(!bitsieve::MarginPolicy<bitsieve::format::twos_complement<8>>);

struct margin_no_tag {
  static constexpr bitsieve::query_sums prepare(std::span<const std::int32_t> /*q*/) noexcept { return {}; }
  template <bitsieve::BitPlaneFormat F>
  static constexpr bitsieve::interval unseen(const bitsieve::query_sums& /*s*/, int /*done*/,
                                              bitsieve::score_t /*sd*/ = 0) noexcept {
    return {};
  }
};
static_assert(!bitsieve::MarginPolicy<margin_no_tag>);

struct margin_format_tag : margin_no_tag {
  using policy_category = bitsieve::format_policy_tag;
};
static_assert(!bitsieve::MarginPolicy<margin_format_tag>);

// Negative: opted in but a member missing or mistyped.
struct margin_no_prepare {
  using policy_category = bitsieve::margin_policy_tag;
  template <bitsieve::BitPlaneFormat F>
  static constexpr bitsieve::interval unseen(const bitsieve::query_sums& /*s*/, int /*done*/,
                                              bitsieve::score_t /*sd*/ = 0) noexcept {
    return {};
  }
};
static_assert(!bitsieve::MarginPolicy<margin_no_prepare>);

struct margin_no_unseen {
  using policy_category = bitsieve::margin_policy_tag;
  static constexpr bitsieve::query_sums prepare(std::span<const std::int32_t> /*q*/) noexcept { return {}; }
};
static_assert(!bitsieve::MarginPolicy<margin_no_unseen>);

struct margin_unseen_not_a_template {
  using policy_category = bitsieve::margin_policy_tag;
  static constexpr bitsieve::query_sums prepare(std::span<const std::int32_t> /*q*/) noexcept { return {}; }
  static constexpr bitsieve::interval unseen(const bitsieve::query_sums& /*s*/, int /*done*/,
                                              bitsieve::score_t /*sd*/ = 0) noexcept {
    return {};
  }
};
static_assert(!bitsieve::MarginPolicy<margin_unseen_not_a_template>);

struct margin_prepare_wrong_type {
  using policy_category = bitsieve::margin_policy_tag;
  static constexpr bitsieve::score_t prepare(std::span<const std::int32_t> /*q*/) noexcept { return 0; }
  template <bitsieve::BitPlaneFormat F>
  static constexpr bitsieve::interval unseen(const bitsieve::query_sums& /*s*/, int /*done*/,
                                              bitsieve::score_t /*sd*/ = 0) noexcept {
    return {};
  }
};
static_assert(!bitsieve::MarginPolicy<margin_prepare_wrong_type>);

struct margin_unseen_wrong_type {
  using policy_category = bitsieve::margin_policy_tag;
  static constexpr bitsieve::query_sums prepare(std::span<const std::int32_t> /*q*/) noexcept { return {}; }
  template <bitsieve::BitPlaneFormat F>
  static constexpr bitsieve::score_t unseen(const bitsieve::query_sums& /*s*/, int /*done*/,
                                              bitsieve::score_t /*sd*/ = 0) noexcept {
    return 0;
  }
};
static_assert(!bitsieve::MarginPolicy<margin_unseen_wrong_type>);

// ---------------------------------------------------------------------------------------------
// A consteval property (STYLE.md §7.8): margin::exact encloses the true score for every 3-bit
// two's-complement key against a fixed query, at every round, evaluated by the compiler.
// ---------------------------------------------------------------------------------------------
consteval bool exact_margin_encloses_all_3bit_keys() {
  using format3 = bitsieve::format::twos_complement<3>;
  const std::array<std::int32_t, 2> q{3, -2};
  for (std::int32_t k0 = format3::min_value; k0 <= format3::max_value; ++k0) {
    for (std::int32_t k1 = format3::min_value; k1 <= format3::max_value; ++k1) {
      const std::array<std::int32_t, 2> k{k0, k1};
      const bitsieve::score_t exact = bitsieve::score_t{q[0]} * k0 + bitsieve::score_t{q[1]} * k1;
      for (int done = 0; done <= format3::planes; ++done) {
        const bitsieve::interval iv = bitsieve::score_bounds<format3>(q, k, done);
        if (!iv.contains(exact)) return false;
        if (done == format3::planes && iv.width() != 0) return false;
      }
    }
  }
  return true;
}
static_assert(exact_margin_encloses_all_3bit_keys());

}  // namespace concept_checks
