// SPDX-License-Identifier: Apache-2.0
// ODR test, translation unit B (see odr_a_test.cpp).
#include <bitsieve/bitsieve.hpp>

#include <vector>

#include "odr/odr_shared.hpp"

namespace odr_test {
odr_result compute_in_b(const std::vector<float>& q, const std::vector<float>& k) {
  return compute_here(q, k);
}
}  // namespace odr_test
