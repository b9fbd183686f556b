// SPDX-License-Identifier: Apache-2.0
// Must not compile: a compile-time accelerator configuration with no lanes (tests/CMakeLists.txt
// expects the static_assert's message).
#include <bitsieve/model/model.hpp>
#include <bitsieve/model/presets.hpp>
#include <bitsieve/model/workload_presets.hpp>

int main() {
  namespace bm = bitsieve::model;
  const auto r = bm::fixed_model<bm::presets::bitstopper.with_lanes(0)>::evaluate(*bm::find_workload("opt1.3b-dolly"));
  return r.cycles > 0.0 ? 0 : 1;
}
