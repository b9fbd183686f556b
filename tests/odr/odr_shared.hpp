// SPDX-License-Identifier: Apache-2.0
/// \file odr/odr_shared.hpp
/// The computation both ODR translation units run: quantization, every score_bounds round, a
/// plane_store round trip and the version, each going through inline/template code of bitsieve.
#pragma once

#include <bitsieve/bitsieve.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace odr_test {

struct odr_result {
  std::vector<std::int32_t> q_values;
  std::vector<std::int32_t> k_values;
  std::vector<bitsieve::interval> bounds;  // score_bounds after 0..12 planes
  std::vector<std::int32_t> stored_key;    // k_values through plane_store and back
  int version = 0;
};

/// `inline`, so each TU has its own copy of the same definition (the ODR case being tested).
inline odr_result compute_here(const std::vector<float>& q, const std::vector<float>& k) {
  using format = bitsieve::format::twos_complement<12>;
  odr_result r;
  r.q_values = bitsieve::quantize(std::span<const float>(q), 12, "q").values;
  r.k_values = bitsieve::quantize(std::span<const float>(k), 12, "k").values;
  for (int planes_done = 0; planes_done <= format::planes; ++planes_done) {
    r.bounds.push_back(bitsieve::score_bounds<format>(r.q_values, r.k_values, planes_done));
  }
  bitsieve::plane_store<format> store(r.k_values.size());
  store.append(r.k_values);
  r.stored_key = store.key(0);
  r.version = bitsieve::version_major * 10000 + bitsieve::version_minor * 100 + bitsieve::version_patch;
  return r;
}

odr_result compute_in_a(const std::vector<float>& q, const std::vector<float>& k);
odr_result compute_in_b(const std::vector<float>& q, const std::vector<float>& k);

}  // namespace odr_test
