// SPDX-License-Identifier: Apache-2.0
#include <bitsieve/format/sign_magnitude.hpp>
#include <bitsieve/format/twos_complement.hpp>

#include <doctest/doctest.h>

namespace {
template <class F>
void check_round_trip() {
  for (std::int32_t v = F::min_value; v <= F::max_value; ++v) {
    const auto planes = F::decompose(v);
    REQUIRE(F::compose(planes) == v);
    for (int r = 0; r < F::planes; ++r) CHECK(planes[static_cast<std::size_t>(r)] == F::bit(v, r));
  }
}

template <int... B>
void round_trip_all(std::integer_sequence<int, B...>) {
  (check_round_trip<bitsieve::format::twos_complement<B + 2>>(), ...);
  (check_round_trip<bitsieve::format::sign_magnitude<B + 2>>(), ...);
}

struct not_a_format {};
struct no_compose {
  using policy_category = bitsieve::format_policy_tag;
  static constexpr int bits = 4;
  static constexpr int planes = 4;
};
}  // namespace

static_assert(bitsieve::BitPlaneFormat<bitsieve::format::twos_complement<12>>);
static_assert(bitsieve::BitPlaneFormat<bitsieve::format::sign_magnitude<8>>);
static_assert(!bitsieve::BitPlaneFormat<not_a_format>);
static_assert(!bitsieve::BitPlaneFormat<no_compose>);
static_assert(!bitsieve::BitPlaneFormat<int>);

TEST_SUITE("format") {
  TEST_CASE("format/round trip: decompose then compose is the identity for every value of B = 2..16") {
    round_trip_all(std::make_integer_sequence<int, 15>{});
  }

  TEST_CASE("format/twos_complement: sign plane first with weight -2^(B-1)") {
    using F = bitsieve::format::twos_complement<4>;
    CHECK(F::plane_weight(0) == -8);
    CHECK(F::plane_weight(1) == 4);
    CHECK(F::plane_weight(3) == 1);
    CHECK(F::decompose(-3) == std::array<std::uint8_t, 4>{1, 1, 0, 1});  // 1101
    CHECK(F::min_value == -8);
    CHECK(F::max_value == 7);
  }

  TEST_CASE("format/sign_magnitude: sign plane then magnitude MSB to LSB") {
    using F = bitsieve::format::sign_magnitude<4>;
    CHECK(F::decompose(-3) == std::array<std::uint8_t, 4>{1, 0, 1, 1});
    CHECK(F::decompose(3) == std::array<std::uint8_t, 4>{0, 0, 1, 1});
    CHECK(F::decompose(0) == std::array<std::uint8_t, 4>{0, 0, 0, 0});
    CHECK(F::min_value == -7);
    CHECK(F::plane_weight(0) == 0);
    CHECK(F::plane_weight(1) == 4);
  }
}
