// SPDX-License-Identifier: Apache-2.0
// ODR test, translation unit A. Both A and B include the umbrella header and instantiate the same
// inline functions and templates; linking them into one executable must neither fail (a non-inline
// definition in a header gives "multiple definition") nor change any result.
#include <bitsieve/bitsieve.hpp>

#include <cstdint>
#include <span>
#include <vector>

#include <doctest/doctest.h>

#include "odr/odr_shared.hpp"

namespace odr_test {
// What TU A computes; TU B computes the same thing in odr_b_test.cpp.
odr_result compute_in_a(const std::vector<float>& q, const std::vector<float>& k) {
  return compute_here(q, k);
}
}  // namespace odr_test

TEST_SUITE("odr") {
  TEST_CASE("odr/bitsieve.hpp: two translation units link and agree on every result") {
    const std::vector<float> q{0.25F, -1.0F, 0.5F, 0.75F, -0.125F, 1.0F, 0.0F, -0.5F};
    const std::vector<float> k{-0.5F, 0.25F, 1.0F, -1.0F, 0.75F, 0.125F, -0.25F, 0.5F};
    const odr_test::odr_result a = odr_test::compute_in_a(q, k);
    const odr_test::odr_result b = odr_test::compute_in_b(q, k);
    CHECK(a.q_values == b.q_values);
    CHECK(a.k_values == b.k_values);
    CHECK(a.bounds == b.bounds);
    CHECK(a.stored_key == b.stored_key);
    CHECK(a.version == b.version);
    // And the results are the right ones, not just equal: every interval encloses the exact
    // dot product, the last one (all planes read) is a single point, and the store round-trips.
    std::int64_t dot = 0;
    for (std::size_t i = 0; i < a.q_values.size(); ++i) dot += std::int64_t{a.q_values[i]} * a.k_values[i];
    REQUIRE(a.bounds.size() == 13);
    for (const bitsieve::interval& iv : a.bounds) CHECK(iv.contains(dot));
    CHECK(a.bounds.back() == bitsieve::interval{dot, dot});
    CHECK(a.stored_key == a.k_values);
    CHECK(a.version == BITSIEVE_VERSION_MAJOR * 10000 + BITSIEVE_VERSION_MINOR * 100 + BITSIEVE_VERSION_PATCH);
  }
}
