// SPDX-License-Identifier: Apache-2.0
#include <bitsieve/format/plane_store.hpp>
#include <bitsieve/format/sign_magnitude.hpp>
#include <bitsieve/format/twos_complement.hpp>

#include <random>

#include <doctest/doctest.h>

TEST_SUITE("format") {
  TEST_CASE_TEMPLATE("format/plane_store: keys come back exactly and the layout is plane-major", F,
                     bitsieve::format::twos_complement<12>, bitsieve::format::sign_magnitude<7>,
                     bitsieve::format::twos_complement<2>) {
    for (const std::size_t d : {1U, 7U, 8U, 13U, 64U}) {
      bitsieve::plane_store<F> store(d);
      std::mt19937 rng(static_cast<unsigned>(d));
      std::uniform_int_distribution<std::int32_t> dist(F::min_value, F::max_value);
      std::vector<std::int32_t> keys(70 * d);
      for (auto& v : keys) v = dist(rng);
      store.append(std::span<const std::int32_t>(keys).first(33 * d));
      store.append(std::span<const std::int32_t>(keys).subspan(33 * d));
      REQUIRE(store.size() == 70);
      CHECK(store.blocks() == 3);
      CHECK(store.tokens_in_block(2) == 6);
      CHECK(store.plane_bytes() == 32 * ((d + 7) / 8));
      // the second append outgrew 2 blocks: capacity doubled to 4
      CHECK(store.capacity_blocks() == 4);
      CHECK(store.bytes() == 4 * F::planes * store.plane_bytes());
      CHECK(store.plane_stride() == 4 * store.plane_bytes());
      for (int r = 0; r < F::planes; ++r) {
        for (std::size_t b = 0; b < 3; ++b) {
          const auto off = static_cast<std::size_t>(store.plane_data(b, r) - store.plane_data(0, 0));
          CHECK(off == (static_cast<std::size_t>(r) * 4 + b) * store.plane_bytes());
        }
      }
      for (std::size_t t = 0; t < 70; ++t) {
        const auto k = store.key(t);
        for (std::size_t i = 0; i < d; ++i) REQUIRE(k[i] == keys[t * d + i]);
        // the documented offset formula addresses the same bit
        for (int r = 0; r < F::planes; ++r) {
          const std::size_t i = t % d;
          const std::uint8_t byte = store.plane_data(t / 32, r)[(i / 8) * 32 + t % 32];
          CHECK(((byte >> (i % 8)) & 1U) == F::bit(keys[t * d + i], r));
        }
      }
    }
  }

  TEST_CASE("format/plane_store: growing one key at a time keeps every key and reserve keeps the planes in place") {
    using F = bitsieve::format::twos_complement<5>;
    const std::size_t d = 19;
    std::mt19937 rng(7);
    std::uniform_int_distribution<std::int32_t> dist(F::min_value, F::max_value);
    std::vector<std::int32_t> keys(300 * d);
    for (auto& v : keys) v = dist(rng);
    bitsieve::plane_store<F> grown(d);
    std::size_t moves = 0;
    const std::uint8_t* last = nullptr;
    for (std::size_t t = 0; t < 300; ++t) {
      grown.append(std::span<const std::int32_t>(keys).subspan(t * d, d));
      if (grown.plane_data(0, 0) != last) ++moves;
      last = grown.plane_data(0, 0);
    }
    CHECK(moves <= 5);  // 1, 2, 4, 8, 16 blocks: geometric growth
    CHECK(grown.capacity_blocks() == 16);
    for (std::size_t t = 0; t < 300; ++t) {
      const auto k = grown.key(t);
      for (std::size_t i = 0; i < d; ++i) REQUIRE(k[i] == keys[t * d + i]);
    }
    bitsieve::plane_store<F> reserved(d);
    reserved.reserve(300);
    CHECK(reserved.capacity_blocks() == 10);
    reserved.append(std::span<const std::int32_t>(keys).first(d));
    const std::uint8_t* p0 = reserved.plane_data(0, 0);
    reserved.append(std::span<const std::int32_t>(keys).subspan(d));
    CHECK(reserved.plane_data(0, 0) == p0);
    for (std::size_t t = 0; t < 300; ++t) CHECK(reserved.key(t) == grown.key(t));
  }

  TEST_CASE("format/plane_store: bad input is rejected") {
    using F = bitsieve::format::twos_complement<4>;
    CHECK_THROWS_AS(bitsieve::plane_store<F>(0), bitsieve::invalid_argument);
    CHECK_THROWS_AS(bitsieve::plane_store<F>(bitsieve::max_head_dim + 1), bitsieve::invalid_argument);
    bitsieve::plane_store<F> s(4);
    const std::vector<std::int32_t> three{1, 2, 3};
    CHECK_THROWS_AS(s.append(three), bitsieve::invalid_argument);
    const std::vector<std::int32_t> big{1, 2, 3, 8};
    CHECK_THROWS_AS(s.append(big), bitsieve::invalid_argument);
    CHECK(s.empty());
    CHECK_THROWS_AS((void)s.key(0), bitsieve::invalid_argument);
  }
}
