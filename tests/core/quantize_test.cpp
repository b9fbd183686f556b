// SPDX-License-Identifier: Apache-2.0
#include <bitsieve/core/quantize.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include <doctest/doctest.h>

TEST_SUITE("core") {
  TEST_CASE("core/quantize: scale is max|x| / qmax and the max maps to +-qmax") {
    const std::vector<float> x{0.5F, -2.0F, 1.0F};
    const auto q = bitsieve::quantize(std::span<const float>(x), 8);
    CHECK(q.scale == doctest::Approx(2.0 / 127.0));
    CHECK(q.values == std::vector<std::int32_t>{32, -127, 64});  // 0.5*63.5 = 31.75 -> 32; 63.5 -> 64 (tie to even)
    CHECK(q.saturated == 0);
  }

  TEST_CASE("core/quantize: ties round half to even") {
    // scale = 3 / qmax(3 bits = 3) = 1, so x / scale = x exactly.
    const std::vector<double> x{0.5, 1.5, 2.5, -0.5, -1.5, 3.0};
    const auto q = bitsieve::quantize(std::span<const double>(x), 3);
    CHECK(q.scale == 1.0);
    CHECK(q.values == std::vector<std::int32_t>{0, 2, 2, 0, -2, 3});
  }

  TEST_CASE("core/quantize: all-zero input has scale 1 and zero values") {
    const std::vector<float> x(5, 0.0F);
    const auto q = bitsieve::quantize(std::span<const float>(x), 12);
    CHECK(q.scale == 1.0);
    CHECK(q.values == std::vector<std::int32_t>(5, 0));
  }

  TEST_CASE("core/quantize: a fixed scale saturates and counts it") {
    const std::vector<float> x{1.0F, 10.0F, -10.0F, 2.0F};
    const auto q = bitsieve::quantize_with_scale(std::span<const float>(x), 4, 1.0);  // qmax 7
    CHECK(q.values == std::vector<std::int32_t>{1, 7, -7, 2});
    CHECK(q.saturated == 2);
  }

  TEST_CASE("core/quantize: NaN / Inf / empty input / bad widths are rejected with the argument named") {
    const std::vector<float> nan{1.0F, std::numeric_limits<float>::quiet_NaN()};
    CHECK_THROWS_AS((void)bitsieve::quantize(std::span<const float>(nan), 8, "query"), bitsieve::domain_error);
    try {
      (void)bitsieve::quantize(std::span<const float>(nan), 8, "query");
    } catch (const bitsieve::domain_error& e) {
      CHECK(std::string(e.what()).find("query[1] is NaN") != std::string::npos);
    }
    const std::vector<float> inf{std::numeric_limits<float>::infinity()};
    CHECK_THROWS_AS((void)bitsieve::quantize(std::span<const float>(inf), 8), bitsieve::domain_error);
    const std::vector<float> empty;
    CHECK_THROWS_AS((void)bitsieve::quantize(std::span<const float>(empty), 8), bitsieve::invalid_argument);
    const std::vector<float> ok{1.0F};
    CHECK_THROWS_AS((void)bitsieve::quantize(std::span<const float>(ok), 1), bitsieve::invalid_argument);
    CHECK_THROWS_AS((void)bitsieve::quantize(std::span<const float>(ok), 17), bitsieve::invalid_argument);
    CHECK_THROWS_AS((void)bitsieve::quantize_with_scale(std::span<const float>(ok), 8, 0.0), bitsieve::invalid_argument);
  }

  TEST_CASE("core/quantize: every width 2..16 keeps values in +-qmax and is within half a step") {
    std::vector<float> x;
    for (int i = -50; i <= 50; ++i) x.push_back(static_cast<float>(i) * 0.37F);
    for (int b = 2; b <= 16; ++b) {
      const auto q = bitsieve::quantize(std::span<const float>(x), b);
      const auto qmax = bitsieve::qmax_for_bits(b);
      for (std::size_t i = 0; i < x.size(); ++i) {
        CHECK(std::abs(q.values[i]) <= qmax);
        CHECK(std::fabs(static_cast<double>(x[i]) - q.scale * q.values[i]) <= q.scale * 0.5 + 1e-12);
      }
    }
  }
}
