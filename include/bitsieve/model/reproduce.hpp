// SPDX-License-Identifier: Apache-2.0
/// \file model/reproduce.hpp
/// The model's validation against the papers' headline numbers (DESIGN.md §5 --reproduce): each
/// target is computed by the mechanisms from published parameters and the calibration table, as a
/// geometric mean over the workloads of the paper's evaluation.
///
/// - bitstopper_vs_* : presets::bitstopper against presets::baseline(bitstopper, X) on
///   bitstopper_suite (speedup = cycle ratio, energy efficiency = energy ratio);
/// - pade_vs_*_energy_saving : presets::pade against presets::baseline(pade, X) on pade_suite;
/// - pade_vs_h100_* : presets::pade_h100_scale against presets::h100 on h100_suite (prefill plus
///   decode, summed, as PADE's GPU totals);
/// - bitstopper_utilization_* : lane utilisation of bitstopper_lockstep / bitstopper (mean over
///   bitstopper_suite).
#pragma once

#include <cmath>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bitsieve/model/accelerators.hpp"
#include "bitsieve/model/presets.hpp"
#include "bitsieve/model/workload_presets.hpp"

namespace bitsieve::model {

/// One reproduction target: the paper's value and the model's.
struct reproduction_target {
  std::string name;
  double paper = 0.0;
  double model = 0.0;
  std::string what;  ///< how the model value is computed
  [[nodiscard]] double ratio() const noexcept { return paper != 0.0 ? model / paper : 0.0; }
};

namespace detail {
inline workload preset_or_throw(std::string_view name) {
  auto w = find_workload(name);
  if (!w) throw invalid_argument("bitsieve::model::reproduce: missing workload preset " + std::string(name));
  return *w;
}

/// Geometric mean over `suite` of metric(baseline) / metric(design).
template <class Metric>
double geomean_ratio(const accel_config& design, const accel_config& base, std::span<const std::string_view> suite,
                     Metric metric) {
  double log_sum = 0.0;
  for (const auto name : suite) {
    const workload w = preset_or_throw(name);
    log_sum += std::log(metric(evaluate(base, w)) / metric(evaluate(design, w)));
  }
  return std::exp(log_sum / static_cast<double>(suite.size()));
}
}  // namespace detail

/// The designs a reproduction compares (the presets by default; change one to see its effect).
struct reproduction_setup {
  accel_config bitstopper = presets::bitstopper;
  accel_config pade = presets::pade;
  accel_config pade_vs_gpu = presets::pade_h100_scale;
  accel_config gpu = presets::h100;
};

/// Computes every reproduction target (DESIGN.md §5 names, in that order).
/// Accelerator-to-accelerator energy is the on-chip energy (logic + SRAM + static): the papers
/// measured it with Synopsys DC and CACTI, and used Ramulator (a timing simulator) for DRAM. The
/// GPU comparison adds the accelerator's DRAM energy, since the GPU's board power includes its HBM.
[[nodiscard]] inline std::vector<reproduction_target> reproduction_targets(const reproduction_setup& setup = {}) {
  using detail::geomean_ratio;
  const auto cycles = [](const report& r) { return r.cycles; };
  const auto energy = [](const report& r) { return r.energy.on_chip(); };
  const std::span<const std::string_view> bs(bitstopper_suite);
  const std::span<const std::string_view> pd(pade_suite);
  const accel_config& host_b = setup.bitstopper;
  const accel_config& host_p = setup.pade;
  const auto base_b = [&](accelerator_kind k) { return presets::baseline(host_b, k); };
  const auto base_p = [&](accelerator_kind k) { return presets::baseline(host_p, k); };

  std::vector<reproduction_target> t;
  t.push_back({"bitstopper_vs_sanger_speedup", 2.03,
               geomean_ratio(host_b, base_b(accelerator_kind::sanger), bs, cycles), "cycles ratio, BitStopper suite"});
  t.push_back({"bitstopper_vs_sanger_energy_efficiency", 2.4,
               geomean_ratio(host_b, base_b(accelerator_kind::sanger), bs, energy), "energy ratio, BitStopper suite"});
  t.push_back({"bitstopper_vs_sofa_speedup", 1.89,
               geomean_ratio(host_b, base_b(accelerator_kind::sofa), bs, cycles), "cycles ratio, BitStopper suite"});
  t.push_back({"bitstopper_vs_sofa_energy_efficiency", 2.1,
               geomean_ratio(host_b, base_b(accelerator_kind::sofa), bs, energy), "energy ratio, BitStopper suite"});
  t.push_back({"pade_vs_sanger_energy_saving", 5.1,
               geomean_ratio(host_p, base_p(accelerator_kind::sanger), pd, energy), "energy ratio, PADE suite"});
  t.push_back({"pade_vs_dota_energy_saving", 4.3,
               geomean_ratio(host_p, base_p(accelerator_kind::dota), pd, energy), "energy ratio, PADE suite"});
  t.push_back({"pade_vs_sofa_energy_saving", 3.4,
               geomean_ratio(host_p, base_p(accelerator_kind::sofa), pd, energy), "energy ratio, PADE suite"});
  {
    double t_gpu = 0.0;
    double t_pade = 0.0;
    double e_gpu = 0.0;
    double e_pade = 0.0;
    for (const auto name : h100_suite) {
      const workload w = detail::preset_or_throw(name);
      const report g = evaluate(setup.gpu, w);
      const report p = evaluate(setup.pade_vs_gpu, w);
      t_gpu += g.latency_s;
      t_pade += p.latency_s;
      e_gpu += g.energy_j;
      e_pade += p.energy_j;
    }
    t.push_back({"pade_vs_h100_speedup", 7.43, t_gpu / t_pade, "latency ratio, serving prefill + decode"});
    t.push_back({"pade_vs_h100_energy_efficiency", 31.1, e_gpu / e_pade, "energy ratio, serving prefill + decode"});
  }
  {
    double lock = 0.0;
    double ooo = 0.0;
    for (const auto name : bitstopper_suite) {
      const workload w = detail::preset_or_throw(name);
      lock += evaluate(host_b.with_scheduler(scheduler_kind::lockstep), w).utilization;
      ooo += evaluate(host_b.with_scheduler(scheduler_kind::out_of_order), w).utilization;
    }
    const double n = static_cast<double>(std::size(bitstopper_suite));
    t.push_back({"bitstopper_utilization_without_bap", 0.48, lock / n, "lane utilisation, lockstep rounds"});
    t.push_back({"bitstopper_utilization_with_bap", 0.83, ooo / n, "lane utilisation, out-of-order lanes"});
  }
  return t;
}

}  // namespace bitsieve::model
