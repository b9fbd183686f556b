// SPDX-License-Identifier: Apache-2.0
// 03: the accelerator model's presets. Evaluate one of the papers' workloads on BitStopper as
// published and on the baselines normalised to it (same node, clock, PE area, SRAM and HBM2), and
// print time, DRAM traffic, energy and where the energy goes.
#include <bitsieve/model/model.hpp>
#include <bitsieve/model/presets.hpp>
#include <bitsieve/model/workload_presets.hpp>

#include <cmath>
#include <cstdio>
#include <string>

int main() {
  namespace bm = bitsieve::model;
  const bm::workload w = *bm::find_workload("llama2-7b-dolly");
  std::printf("%s: %s, %.3g (query, key) pairs, default statistics: %.0f%% of keys kept, %.2f of %d planes read\n",
              w.name.c_str(), w.description.c_str(), w.shape.pairs(), 100.0 * w.stats.kept_fraction,
              w.stats.mean_planes_per_key, w.stats.key_bits);

  const bm::accel_config& host = bm::presets::bitstopper;  // 28 nm, 1 GHz, 32 lanes, INT12, 256 GB/s
  const bm::report dense = bm::evaluate(bm::presets::baseline(host, bm::accelerator_kind::dense), w);
  std::printf("\n%-11s %10s %9s %10s %8s %8s   energy: dram/sram/compute/static\n", "design", "time_ms", "speedup",
              "DRAM_GB", "energy_J", "util");
  bool ok = true;
  for (const auto kind : {bm::accelerator_kind::dense, bm::accelerator_kind::sanger, bm::accelerator_kind::sofa,
                          bm::accelerator_kind::spatten, bm::accelerator_kind::energon,
                          bm::accelerator_kind::bitstopper}) {
    const bm::accel_config c = bm::presets::baseline(host, kind);  // the host itself for bitstopper
    const bm::report r = bm::dynamic_model(c).evaluate(w);
    const auto& e = r.energy;
    std::printf("%-11s %10.2f %9.2f %10.2f %8.3f %8.2f   %4.0f%% %4.0f%% %4.0f%% %4.0f%%\n",
                std::string(bm::accelerator_name(kind)).c_str(), 1e3 * r.latency_s, dense.latency_s / r.latency_s,
                r.dram_bytes / 1e9, r.energy_j, r.utilization, 100 * e.dram_j / r.energy_j,
                100 * e.sram_j / r.energy_j, 100 * e.compute_j / r.energy_j, 100 * e.static_j / r.energy_j);
    // the bookkeeping every report satisfies
    ok = ok && std::abs(r.energy_j - e.total()) <= 1e-9 * r.energy_j && r.latency_s > 0.0;
  }
  // BitStopper's lanes with and without its out-of-order scheduler (BAP)
  const bm::report ooo = bm::evaluate(host, w);
  const bm::report lock = bm::evaluate(bm::presets::bitstopper_lockstep, w);
  std::printf("\nBitStopper lane utilisation: %.2f with BAP, %.2f with lock-step rounds (paper: 0.83 / 0.48)\n",
              ooo.utilization, lock.utilization);
  ok = ok && ooo.utilization > lock.utilization && ooo.latency_s < dense.latency_s;
  return ok ? 0 : 1;
}
