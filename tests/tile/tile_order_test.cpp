// SPDX-License-Identifier: Apache-2.0
// Tile orders: the TilePolicy concept; every order visits each tile exactly once; sequential is the
// index order, interleaved the bit-reversal permutation, head_tail the sink tiles then the rest
// newest-first (with tiles rounded up to 32-token blocks, as the kernel uses them); and the kernel
// reads every key exactly once whatever the order, including a user-written one.
#include <bitsieve/format/twos_complement.hpp>
#include <bitsieve/kernel/key_value_cache.hpp>
#include <bitsieve/kernel/policies.hpp>
#include <bitsieve/kernel/sparse_attention.hpp>
#include <bitsieve/tile/concept.hpp>
#include <bitsieve/tile/head_tail.hpp>
#include <bitsieve/tile/interleaved.hpp>
#include <bitsieve/tile/sequential.hpp>

#include <algorithm>
#include <numeric>
#include <vector>

#include <doctest/doctest.h>

#include "support/bundles.hpp"
#include "support/golden_model.hpp"
#include "support/testbed.hpp"

namespace concept_checks {

using bitsieve::TilePolicy;
namespace tile = bitsieve::tile;

static_assert(TilePolicy<tile::sequential>);
static_assert(TilePolicy<tile::interleaved>);
static_assert(TilePolicy<tile::head_tail<64>>);
static_assert(TilePolicy<tile::head_tail<0>>);
static_assert(TilePolicy<tile::head_tail<>>);

/// A user order: newest tile first.
struct newest_first {
  using policy_category = bitsieve::tile_policy_tag;
  std::size_t tile_size = 64;
  [[nodiscard]] std::vector<std::size_t> order(std::size_t n) const {
    std::vector<std::size_t> o(n);
    for (std::size_t i = 0; i < n; ++i) o[i] = n - 1 - i;
    return o;
  }
};
static_assert(TilePolicy<newest_first>);

// Look-alikes without the tag, with the wrong tag, or with a wrong member.
struct no_tag {
  std::size_t tile_size = 64;
  [[nodiscard]] std::vector<std::size_t> order(std::size_t n) const { return std::vector<std::size_t>(n); }
};
static_assert(!TilePolicy<no_tag>);
struct schedule_tagged : no_tag {
  using policy_category = bitsieve::schedule_policy_tag;
};
static_assert(!TilePolicy<schedule_tagged>);
struct wrong_order_type {
  using policy_category = bitsieve::tile_policy_tag;
  std::size_t tile_size = 64;
  [[nodiscard]] std::vector<int> order(std::size_t n) const { return std::vector<int>(n); }
};
static_assert(!TilePolicy<wrong_order_type>);
struct no_tile_size {
  using policy_category = bitsieve::tile_policy_tag;
  [[nodiscard]] std::vector<std::size_t> order(std::size_t n) const { return std::vector<std::size_t>(n); }
};
static_assert(!TilePolicy<no_tile_size>);
static_assert(!TilePolicy<int>);

}  // namespace concept_checks

namespace {

using namespace bitsieve_test;

bool is_permutation_of_iota(const std::vector<std::size_t>& o, std::size_t n) {
  if (o.size() != n) return false;
  std::vector<char> seen(n, 0);
  for (const std::size_t t : o) {
    if (t >= n || seen[t] != 0) return false;
    seen[t] = 1;
  }
  return true;
}

std::size_t rounded(std::size_t tile_size) { return (tile_size + 31) / 32 * 32; }

struct user_tiles : bitsieve::default_policies {
  using threshold_policy = bitsieve::threshold::dense;
  using tile_policy = concept_checks::newest_first;
};

}  // namespace

TEST_SUITE("tile") {
  TEST_CASE("tile/order: every order visits each of n tiles exactly once for n = 0..70") {
    for (const std::size_t ts : {std::size_t{0}, std::size_t{32}, std::size_t{40}, std::size_t{64}, std::size_t{100},
                                 std::size_t{256}}) {
      CAPTURE(ts);
      for (std::size_t n = 0; n <= 70; ++n) {
        CAPTURE(n);
        CHECK(is_permutation_of_iota(bitsieve::tile::sequential{ts}.order(n), n));
        CHECK(is_permutation_of_iota(bitsieve::tile::interleaved{ts}.order(n), n));
        CHECK(is_permutation_of_iota(bitsieve::tile::head_tail<64>{ts}.order(n), n));
        CHECK(is_permutation_of_iota(bitsieve::tile::head_tail<0>{ts}.order(n), n));
        CHECK(is_permutation_of_iota(bitsieve::tile::head_tail<1000>{ts}.order(n), n));
        CHECK(is_permutation_of_iota(bitsieve::tile::head_tail<64>{ts, 7}.order(n), n));
      }
    }
  }

  TEST_CASE("tile/sequential: index order") {
    for (std::size_t n = 0; n <= 70; ++n) {
      std::vector<std::size_t> want(n);
      std::iota(want.begin(), want.end(), std::size_t{0});
      CHECK(bitsieve::tile::sequential{64}.order(n) == want);
    }
  }

  TEST_CASE("tile/interleaved: the bit-reversal permutation") {
    // Powers of two: position i holds i with its log2(n) bits reversed.
    for (std::size_t bits = 0; bits <= 6; ++bits) {
      const std::size_t n = std::size_t{1} << bits;
      const auto o = bitsieve::tile::interleaved{64}.order(n);
      REQUIRE(o.size() == n);
      for (std::size_t i = 0; i < n; ++i) CHECK(o[i] == reverse_digits(i, bits));
    }
    CHECK(bitsieve::tile::interleaved{64}.order(8) == std::vector<std::size_t>{0, 4, 2, 6, 1, 5, 3, 7});
    // Other n: the permutation of the next power of two with the entries >= n left out.
    for (std::size_t n = 0; n <= 70; ++n) {
      CAPTURE(n);
      CHECK(bitsieve::tile::interleaved{64}.order(n) == model_tile_order(tile_kind::interleaved, n, 64, 0));
    }
    CHECK(bitsieve::tile::interleaved{64}.order(5) == std::vector<std::size_t>{0, 4, 2, 1, 3});
  }

  TEST_CASE("tile/head_tail: the tiles holding the sink tokens first and then the rest newest-first") {
    CHECK(bitsieve::tile::head_tail<64>{32}.order(5) == std::vector<std::size_t>{0, 1, 4, 3, 2});
    CHECK(bitsieve::tile::head_tail<64>{64}.order(5) == std::vector<std::size_t>{0, 4, 3, 2, 1});
    CHECK(bitsieve::tile::head_tail<65>{64}.order(5) == std::vector<std::size_t>{0, 1, 4, 3, 2});
    CHECK(bitsieve::tile::head_tail<0>{64}.order(4) == std::vector<std::size_t>{3, 2, 1, 0});
    // A tile is tile_size rounded up to 32-token blocks: tile_size 40 is a 64-token tile, and the
    // first one holds all 64 sink tokens.
    CHECK(bitsieve::tile::head_tail<64>{40}.order(5) == std::vector<std::size_t>{0, 4, 3, 2, 1});
    CHECK(bitsieve::tile::head_tail<64>{20}.order(5) == std::vector<std::size_t>{0, 1, 4, 3, 2});
    for (const std::size_t ts : {std::size_t{20}, std::size_t{32}, std::size_t{40}, std::size_t{64}, std::size_t{100},
                                 std::size_t{256}}) {
      for (const std::size_t sink : {std::size_t{0}, std::size_t{1}, std::size_t{64}, std::size_t{65}, std::size_t{300},
                                     std::size_t{5000}}) {
        for (std::size_t n = 0; n <= 70; ++n) {
          CAPTURE(ts);
          CAPTURE(sink);
          CAPTURE(n);
          CHECK(bitsieve::tile::head_tail<64>{ts, sink}.order(n) ==
                model_tile_order(tile_kind::head_tail, n, rounded(ts), sink));
        }
      }
    }
    // One tile (tile_size 0): just that tile.
    CHECK(bitsieve::tile::head_tail<64>{0}.order(1) == std::vector<std::size_t>{0});
  }

  TEST_CASE("tile/kernel: every key is read exactly once whatever the order (a user order included)") {
    const std::size_t n = 1000, d = 20, dv = 6;
    bitsieve::key_value_cache<bitsieve::format::twos_complement<12>> cache(d, dv);
    const std::vector<float> values = normal_floats(n * dv, 82);
    cache.append(normal_floats(n * d, 81), values);
    const auto ints = integer_keys(cache);
    const std::vector<float> q = normal_floats(d, 83, 2.0);
    const auto want = dense_quantized_attention(q, cache, ints, 12, 0.0, values);
    for (const std::size_t ts : {std::size_t{32}, std::size_t{64}, std::size_t{100}, std::size_t{1000}}) {
      CAPTURE(ts);
      const bitsieve::sparse_attention<user_tiles> attn{bitsieve::threshold::dense{}, {}, concept_checks::newest_first{ts}};
      std::vector<float> out(dv);
      const auto st = attn.decode(q, cache, out);
      CHECK(st.keys == n);
      CHECK(st.survivors == n);
      CHECK(st.planes_read == n * 12);
      CHECK(st.block_planes_read == (n + 31) / 32 * 12);
      CHECK(relative_l2(out, want) < 1e-6);
    }
  }
}
