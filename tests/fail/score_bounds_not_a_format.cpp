// SPDX-License-Identifier: Apache-2.0
// Must NOT compile: score_bounds<F> requires F to model the format concept; a margin policy used
// in a format's place does not (wrong policy family). The compiler must name the concept.
#include <bitsieve/margin/exact.hpp>

#include <array>
#include <cstdint>

int main() {
  const std::array<std::int32_t, 2> q{1, 2};
  const std::array<std::int32_t, 2> k{3, 4};
  const auto iv = bitsieve::score_bounds<bitsieve::margin::exact>(q, k, 1);
  return static_cast<int>(iv.lo);
}
