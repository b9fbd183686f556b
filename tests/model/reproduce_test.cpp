// SPDX-License-Identifier: Apache-2.0
// model/reproduce: each published headline number, reached by the mechanisms and the calibration
// table, within +-25% (DESIGN.md §5 names).
#include <bitsieve/model/reproduce.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

namespace bm = bitsieve::model;

namespace {

const std::vector<bm::reproduction_target>& targets() {
  static const std::vector<bm::reproduction_target> t = bm::reproduction_targets();
  return t;
}

void check_target(const std::string& name, double paper) {
  for (const auto& t : targets()) {
    if (t.name != name) continue;
    CAPTURE(t.model);
    CHECK(t.paper == paper);
    CHECK(t.model == doctest::Approx(paper).epsilon(0.25));
    return;
  }
  FAIL("no reproduction target named " << name);
}

}  // namespace

TEST_SUITE("model") {
  TEST_CASE("model/reproduce: the targets are exactly DESIGN.md's and in its order") {
    const std::vector<std::string> names = {
        "bitstopper_vs_sanger_speedup",       "bitstopper_vs_sanger_energy_efficiency",
        "bitstopper_vs_sofa_speedup",         "bitstopper_vs_sofa_energy_efficiency",
        "pade_vs_sanger_energy_saving",       "pade_vs_dota_energy_saving",
        "pade_vs_sofa_energy_saving",         "pade_vs_h100_speedup",
        "pade_vs_h100_energy_efficiency",     "bitstopper_utilization_without_bap",
        "bitstopper_utilization_with_bap"};
    REQUIRE(targets().size() == names.size());
    for (std::size_t i = 0; i < names.size(); ++i) CHECK(targets()[i].name == names[i]);
  }
  TEST_CASE("model/reproduce: bitstopper_vs_sanger_speedup (2.03)") { check_target("bitstopper_vs_sanger_speedup", 2.03); }
  TEST_CASE("model/reproduce: bitstopper_vs_sanger_energy_efficiency (2.4)") {
    check_target("bitstopper_vs_sanger_energy_efficiency", 2.4);
  }
  TEST_CASE("model/reproduce: bitstopper_vs_sofa_speedup (1.89)") { check_target("bitstopper_vs_sofa_speedup", 1.89); }
  TEST_CASE("model/reproduce: bitstopper_vs_sofa_energy_efficiency (2.1)") {
    check_target("bitstopper_vs_sofa_energy_efficiency", 2.1);
  }
  TEST_CASE("model/reproduce: pade_vs_sanger_energy_saving (5.1)") { check_target("pade_vs_sanger_energy_saving", 5.1); }
  TEST_CASE("model/reproduce: pade_vs_dota_energy_saving (4.3)") { check_target("pade_vs_dota_energy_saving", 4.3); }
  TEST_CASE("model/reproduce: pade_vs_sofa_energy_saving (3.4)") { check_target("pade_vs_sofa_energy_saving", 3.4); }
  TEST_CASE("model/reproduce: pade_vs_h100_speedup (7.43)") { check_target("pade_vs_h100_speedup", 7.43); }
  TEST_CASE("model/reproduce: pade_vs_h100_energy_efficiency (31.1)") {
    check_target("pade_vs_h100_energy_efficiency", 31.1);
  }
  TEST_CASE("model/reproduce: bitstopper_utilization_without_bap (0.48)") {
    check_target("bitstopper_utilization_without_bap", 0.48);
  }
  TEST_CASE("model/reproduce: bitstopper_utilization_with_bap (0.83)") {
    check_target("bitstopper_utilization_with_bap", 0.83);
  }

  TEST_CASE("model/reproduce: the results come from the mechanisms (ablations move them the right way)") {
    // without BAP BitStopper loses part of its lead over Sanger
    bm::reproduction_setup lock;
    lock.bitstopper = bm::presets::bitstopper.with_scheduler(bm::scheduler_kind::lockstep);
    const auto a = bm::reproduction_targets(lock);
    CHECK(a[0].model < targets()[0].model);
    // with a very slow DRAM everything is memory-bound: the speedup over SOFA becomes the ratio of
    // DRAM transfer times, suite by suite
    bm::reproduction_setup slow;
    slow.bitstopper = bm::presets::bitstopper.with_bandwidth(8.0);
    const auto b = bm::reproduction_targets(slow);
    double log_sum = 0.0;
    for (const auto name : bm::bitstopper_suite) {
      const auto w = *bm::find_workload(name);
      const auto bs = bm::evaluate(slow.bitstopper, w);
      const auto sofa = bm::evaluate(bm::presets::baseline(slow.bitstopper, bm::accelerator_kind::sofa), w);
      log_sum += std::log(sofa.dram_cycles / bs.dram_cycles);
    }
    CHECK(b[2].model == doctest::Approx(std::exp(log_sum / 4.0)).epsilon(0.01));
  }
}
