// SPDX-License-Identifier: Apache-2.0
// Must not compile: a compile-time accelerator configuration with 17-bit keys (tests/CMakeLists.txt
// expects the static_assert's message).
#include <bitsieve/model/model.hpp>
#include <bitsieve/model/presets.hpp>

namespace bm = bitsieve::model;

constexpr bm::accel_config seventeen_bits = [] {
  bm::accel_config c = bm::presets::pade;
  c.pe.k_bits = 17;
  return c;
}();

int main() { return bm::fixed_model<seventeen_bits>::config.pe.lanes > 0 ? 0 : 1; }
