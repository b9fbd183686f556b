// SPDX-License-Identifier: Apache-2.0
// core/value_format: the value storage formats' names and row sizes; the portable float <-> float16
// conversions (every half round-trips, rounding to nearest with ties to even including the
// subnormal range, relative error 2^-11); the int8 row codec (scale max|v| / 127, error at most
// half a scale, ties to even, an all-zero row).
#include <bitsieve/core/value_format.hpp>

#include <bit>
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <random>
#include <vector>

#include <doctest/doctest.h>

namespace {
using bitsieve::value_format;
using bitsieve::detail::float_to_half;
using bitsieve::detail::half_to_float;

bool is_nan_half(std::uint16_t h) { return (h & 0x7C00U) == 0x7C00U && (h & 0x3FFU) != 0U; }
}  // namespace

TEST_SUITE("core") {
  TEST_CASE("core/value_format: names parse back and row sizes are 4 or 2 bytes per element or 1 plus a scale") {
    for (const value_format f : {value_format::f32, value_format::f16, value_format::i8}) {
      const auto r = bitsieve::parse_value_format(bitsieve::to_string(f));
      REQUIRE(r.has_value());
      CHECK(r.value() == f);
    }
    CHECK(bitsieve::to_string(value_format::f32) == "f32");
    CHECK(bitsieve::to_string(value_format::f16) == "f16");
    CHECK(bitsieve::to_string(value_format::i8) == "i8");
    const auto bad = bitsieve::parse_value_format("bf16");
    CHECK_FALSE(bad.has_value());
    CHECK(bad.error().find("'bf16'") != std::string::npos);
    CHECK(bitsieve::value_row_bytes(value_format::f32, 64) == 256);
    CHECK(bitsieve::value_row_bytes(value_format::f16, 64) == 128);
    CHECK(bitsieve::value_row_bytes(value_format::i8, 64) == 68);
  }

  TEST_CASE("core/value_format: every float16 value converts to float exactly and back to the same bits") {
    CHECK(half_to_float(0x3C00) == 1.0F);
    CHECK(half_to_float(0xC000) == -2.0F);
    CHECK(half_to_float(0x7BFF) == 65504.0F);
    CHECK(half_to_float(0x0400) == std::ldexp(1.0F, -14));
    CHECK(half_to_float(0x0001) == std::ldexp(1.0F, -24));
    CHECK(half_to_float(0x03FF) == std::ldexp(1023.0F, -24));
    CHECK(std::bit_cast<std::uint32_t>(half_to_float(0x8000)) == 0x80000000U);
    CHECK(std::isinf(half_to_float(0x7C00)));
    CHECK(std::isnan(half_to_float(0x7E00)));
    int checked = 0;
    for (std::uint32_t h = 0; h <= 0xFFFFU; ++h) {
      const auto b = static_cast<std::uint16_t>(h);
      if (is_nan_half(b)) {
        CHECK(is_nan_half(float_to_half(half_to_float(b))));
        continue;
      }
      if (float_to_half(half_to_float(b)) != b) FAIL_CHECK("half " << h << " does not round-trip");
      ++checked;
    }
    CHECK(checked == 65536 - 2 * 1023);
  }

  TEST_CASE("core/value_format: float to float16 rounds to nearest with ties to even (normal and subnormal)") {
    // For every pair of neighbouring positive halves: the midpoint goes to the even one, a float
    // just below it to the lower, just above it to the upper.
    for (std::uint16_t h = 0; h < 0x7BFF; ++h) {
      const float lo = half_to_float(h);
      const float hi = half_to_float(static_cast<std::uint16_t>(h + 1));
      const float mid = (lo + hi) / 2;  // exact: 12 significant bits
      const std::uint16_t even = (h & 1U) == 0U ? h : static_cast<std::uint16_t>(h + 1);
      if (float_to_half(mid) != even) FAIL_CHECK("tie above half " << h);
      if (float_to_half(std::nextafter(mid, 0.0F)) != h) FAIL_CHECK("below the midpoint above half " << h);
      if (float_to_half(std::nextafter(mid, 1e9F)) != h + 1) FAIL_CHECK("above the midpoint above half " << h);
      if (float_to_half(-mid) != (even | 0x8000U)) FAIL_CHECK("negative tie above half " << h);
    }
    // below the smallest subnormal: 2^-25 is a tie between 0 and 2^-24 and goes to 0
    CHECK(float_to_half(std::ldexp(1.0F, -25)) == 0);
    CHECK(float_to_half(std::nextafter(std::ldexp(1.0F, -25), 1.0F)) == 1);
    CHECK(float_to_half(std::ldexp(1.0F, -30)) == 0);
    CHECK(float_to_half(-std::ldexp(1.0F, -30)) == 0x8000);
    CHECK(float_to_half(std::numeric_limits<float>::denorm_min()) == 0);
    // the top of the range: 65519.99 -> 65504, 65520 (a tie to the odd 65504) -> infinity
    CHECK(float_to_half(std::nextafter(65520.0F, 0.0F)) == 0x7BFF);
    CHECK(float_to_half(65520.0F) == 0x7C00);
    CHECK(float_to_half(-65520.0F) == 0xFC00);
    CHECK(bitsieve::detail::f16_overflow == 65520.0F);
  }

  TEST_CASE("core/value_format: float16 keeps a relative error of at most 2^-11 in the normal range") {
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> mant(-1.0F, 1.0F);
    std::uniform_int_distribution<int> ex(-14, 15);
    double worst = 0.0;
    for (int i = 0; i < 200000; ++i) {
      const float x = std::ldexp(mant(rng), ex(rng));
      if (std::fabs(x) < std::ldexp(1.0F, -14) || std::fabs(x) >= 65504.0F) continue;
      const double e = std::fabs(static_cast<double>(half_to_float(float_to_half(x))) - x) / std::fabs(x);
      worst = std::max(worst, e);
    }
    CHECK(worst <= std::ldexp(1.0, -11));
    CHECK(worst > std::ldexp(1.0, -12));  // the bound is tight
    // subnormal halves: absolute error at most half of 2^-24
    for (float x = 1e-8F; x < 6e-5F; x *= 1.01F) {
      CHECK(std::fabs(static_cast<double>(half_to_float(float_to_half(x))) - x) <= std::ldexp(1.0, -25));
    }
  }

  TEST_CASE("core/value_format: round half to even ignores the rounding mode") {
    using bitsieve::detail::round_half_even;
    const double in[] = {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5, 3.4999999, -3.5000001, 7.0};
    const double want[] = {0.0, 2.0, 2.0, 0.0, -2.0, -2.0, 126.0, 3.0, -4.0, 7.0};
    for (const int mode : {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO}) {
      CAPTURE(mode);
      REQUIRE(std::fesetround(mode) == 0);
      for (std::size_t i = 0; i < std::size(in); ++i) {
        volatile double x = in[i];  // not folded at compile time
        CHECK(round_half_even(x) == want[i]);
      }
      std::fesetround(FE_TONEAREST);
    }
  }

  TEST_CASE("core/value_format: int8 rows use max|v| / 127 and err by at most half a scale") {
    std::mt19937 rng(5);
    std::normal_distribution<float> nd;
    for (int trial = 0; trial < 500; ++trial) {
      const std::size_t n = 1 + static_cast<std::size_t>(trial % 97);
      const float mag = std::ldexp(1.0F, trial % 40 - 20);
      std::vector<float> v(n);
      for (auto& x : v) x = nd(rng) * mag;
      const float s = bitsieve::detail::i8_row_scale(v.data(), n);
      float m = 0.0F;
      for (const float x : v) m = std::max(m, std::fabs(x));
      CHECK(s == static_cast<float>(static_cast<double>(m) / 127.0));
      std::vector<std::int8_t> q(n);
      bitsieve::detail::quantize_i8_row(v.data(), n, s, q.data());
      bool hit_max = false;
      for (std::size_t i = 0; i < n; ++i) {
        CHECK(q[i] >= -127);
        const double err = std::fabs(static_cast<double>(v[i]) - static_cast<double>(q[i]) * s);
        if (err > static_cast<double>(s) / 2 * (1 + 1e-12)) FAIL_CHECK("trial " << trial << " element " << i);
        hit_max = hit_max || q[i] == 127 || q[i] == -127;
      }
      CHECK(hit_max);
    }
  }

  TEST_CASE("core/value_format: int8 rows round ties to even and an all-zero row has scale 0") {
    // max 127 gives scale 1: v / scale is v itself
    const std::vector<float> v{127.0F, 0.5F, 1.5F, 2.5F, -0.5F, -1.5F, -2.5F, 126.5F, -127.0F};
    const float s = bitsieve::detail::i8_row_scale(v.data(), v.size());
    CHECK(s == 1.0F);
    std::vector<std::int8_t> q(v.size());
    bitsieve::detail::quantize_i8_row(v.data(), v.size(), s, q.data());
    CHECK(q == std::vector<std::int8_t>{127, 0, 2, 2, 0, -2, -2, 126, -127});
    const std::vector<float> zero(5, 0.0F);
    CHECK(bitsieve::detail::i8_row_scale(zero.data(), zero.size()) == 0.0F);
    std::vector<std::int8_t> qz(5, 9);
    bitsieve::detail::quantize_i8_row(zero.data(), zero.size(), 0.0F, qz.data());
    CHECK(qz == std::vector<std::int8_t>(5, 0));
    // a row too small for a normal scale still gets a non-zero one
    const std::vector<float> tiny{std::numeric_limits<float>::denorm_min()};
    CHECK(bitsieve::detail::i8_row_scale(tiny.data(), 1) == std::numeric_limits<float>::denorm_min());
  }
}
