// SPDX-License-Identifier: Apache-2.0
// 04: an accelerator configured at compile time. accel_config is a literal aggregate, so a variant
// is a constexpr value and a class-type template argument: fixed_model<C> checks it with
// static_assert (try lanes = 0). The same value at run time (dynamic_model) gives the same report,
// and a run-time sweep needs no recompilation.
#include <bitsieve/model/model.hpp>
#include <bitsieve/model/presets.hpp>
#include <bitsieve/model/workload_presets.hpp>

#include <cstdio>

namespace bm = bitsieve::model;

// BitStopper with twice the lanes and an HBM3 stack: a design variant known when compiling.
constexpr bm::accel_config wide_bitstopper = [] {
  bm::accel_config c = bm::presets::bitstopper.with_lanes(64).with_bandwidth(819.0);  // one HBM3 stack
  c.pe.v_macs = 128;
  return c;
}();
static_assert(bm::check_config(wide_bitstopper).ok(), "the variant must be a valid configuration");

using wide_model = bm::fixed_model<wide_bitstopper>;  // bm::fixed_model<wide_bitstopper.with_lanes(0)> fails to compile

int main() {
  const bm::workload w = *bm::find_workload("llama2-7b-wikitext2");
  const bm::report fixed = wide_model::evaluate(w);
  const bm::report dynamic = bm::dynamic_model(wide_bitstopper).evaluate(w);
  std::printf("compile-time and run-time models agree: %s (%.4g cycles)\n", fixed == dynamic ? "yes" : "NO",
              fixed.cycles);

  // a run-time sweep over the DRAM bandwidth of the published BitStopper
  std::printf("\n%10s %12s %8s\n", "GB/s", "latency_ms", "util");
  double previous = 1e300;
  bool monotone = true;
  for (double gbps = 64.0; gbps <= 1024.0; gbps *= 2.0) {
    const bm::report r = bm::dynamic_model(bm::presets::bitstopper.with_bandwidth(gbps)).evaluate(w);
    std::printf("%10.0f %12.3f %8.2f\n", gbps, 1e3 * r.latency_s, r.utilization);
    monotone = monotone && r.latency_s <= previous;
    previous = r.latency_s;
  }
  return fixed == dynamic && monotone ? 0 : 1;
}
