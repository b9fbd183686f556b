// SPDX-License-Identifier: Apache-2.0
// The survivors' value accumulation for f32, f16 and i8 rows: the dispatched (AVX2 / F16C when
// compiled in) functions give exactly the portable loops' bits, and the row conversions of
// core/value_format.hpp give the portable conversions' bits.
#include <bitsieve/core/value_format.hpp>
#include <bitsieve/simd/block_ops.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include <doctest/doctest.h>

namespace {
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}
}  // namespace

TEST_SUITE("simd") {
  TEST_CASE("simd/value_ops: f32 f16 and i8 accumulation give the portable loops' bits and the dequantized sums") {
    std::mt19937 rng(17);
    std::normal_distribution<double> nd;
    std::uniform_real_distribution<double> ud(0.0, 1.0);
    for (int trial = 0; trial < 400; ++trial) {
      const std::size_t n = 1 + static_cast<std::size_t>(trial % 83);
      std::vector<float> v(n);
      for (auto& x : v) x = static_cast<float>(nd(rng) * 3.0);
      std::vector<std::uint16_t> h(n);
      for (std::size_t i = 0; i < n; ++i) h[i] = bitsieve::detail::float_to_half(v[i]);
      const float scale = bitsieve::detail::i8_row_scale(v.data(), n);
      std::vector<std::int8_t> q(n);
      bitsieve::detail::quantize_i8_row(v.data(), n, scale, q.data());
      std::vector<double> acc0(n);
      for (auto& a : acc0) a = nd(rng);
      const double f = trial % 3 == 0 ? 1.0 : ud(rng);
      const double w = ud(rng);
      CAPTURE(n);
      {
        auto a = acc0, b = acc0;
        bitsieve::detail::scale_axpy(a.data(), f, w, v.data(), n);
        bitsieve::detail::portable::scale_axpy(b.data(), f, w, v.data(), n);
        CHECK(same_bits(a, b));
      }
      {
        auto a = acc0, b = acc0;
        bitsieve::detail::scale_axpy_f16(a.data(), f, w, h.data(), n);
        bitsieve::detail::portable::scale_axpy_f16(b.data(), f, w, h.data(), n);
        CHECK(same_bits(a, b));
        for (std::size_t i = 0; i < n; ++i) {
          const double want = acc0[i] * f + w * static_cast<double>(bitsieve::detail::half_to_float(h[i]));
          CHECK(a[i] == doctest::Approx(want).epsilon(1e-14));
        }
      }
      {
        auto a = acc0, b = acc0;
        bitsieve::detail::scale_axpy_i8(a.data(), f, w, scale, q.data(), n);
        bitsieve::detail::portable::scale_axpy_i8(b.data(), f, w, scale, q.data(), n);
        CHECK(same_bits(a, b));
        for (std::size_t i = 0; i < n; ++i) {
          const double want = acc0[i] * f + w * (static_cast<double>(q[i]) * static_cast<double>(scale));
          CHECK(a[i] == doctest::Approx(want).epsilon(1e-14));
        }
      }
    }
  }

  TEST_CASE("simd/value_ops: the float16 row conversions give the portable conversions' bits") {
    // every half to float
    std::vector<std::uint16_t> all(65536);
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint16_t>(i);
    std::vector<float> wide(all.size());
    bitsieve::detail::halves_to_floats(all.data(), wide.data(), all.size());
    std::size_t bad = 0;
    for (std::size_t i = 0; i < all.size(); ++i) {
      const float want = bitsieve::detail::half_to_float(all[i]);
      if (std::isnan(want) ? !std::isnan(wide[i]) : std::bit_cast<std::uint32_t>(want) != std::bit_cast<std::uint32_t>(wide[i])) {
        ++bad;
      }
    }
    CHECK(bad == 0);
    // floats to halves: every midpoint between neighbouring halves and its two float neighbours,
    // plus random bit patterns below the overflow bound
    std::vector<float> xs;
    for (std::uint16_t h = 0; h < 0x7BFF; ++h) {
      const float mid = (bitsieve::detail::half_to_float(h) + bitsieve::detail::half_to_float(static_cast<std::uint16_t>(h + 1))) / 2;
      for (const float x : {mid, std::nextafter(mid, 0.0F), std::nextafter(mid, 1e9F)}) {
        xs.push_back(x);
        xs.push_back(-x);
      }
    }
    std::mt19937 rng(23);
    std::uniform_int_distribution<std::uint32_t> bits(0, 0x477FEFFFU);
    for (int i = 0; i < 200000; ++i) xs.push_back(std::bit_cast<float>(bits(rng) | (i % 2 == 0 ? 0U : 0x80000000U)));
    std::vector<std::uint16_t> got(xs.size());
    bitsieve::detail::floats_to_halves(xs.data(), got.data(), xs.size());
    bad = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) bad += got[i] != bitsieve::detail::float_to_half(xs[i]) ? 1U : 0U;
    CHECK(bad == 0);
#if defined(__AVX2__) && defined(__F16C__)
    CHECK(BITSIEVE_HAS_F16C == 1);  // an x86-64-v3 build compares the F16C path, not the portable one twice
#endif
  }
}
