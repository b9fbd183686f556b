// SPDX-License-Identifier: Apache-2.0
// model/config, presets, fixed_model vs dynamic_model, sweep fields.
#include <bitsieve/model/model.hpp>
#include <bitsieve/model/presets.hpp>
#include <bitsieve/model/sweep.hpp>
#include <bitsieve/model/workload_presets.hpp>

#include <doctest/doctest.h>

#include <cstring>
#include <string>

namespace bm = bitsieve::model;

// --- compile-time checks: the presets are valid literal configurations ---------------------------
static_assert(bm::check_config(bm::presets::bitstopper).ok());
static_assert(bm::check_config(bm::presets::pade).ok());
static_assert(bm::check_config(bm::presets::h100).ok());
static_assert(bm::check_config(bm::presets::pade_h100_scale).ok());
static_assert(bm::check_config(bm::presets::baseline(bm::presets::pade, bm::accelerator_kind::sofa)).ok());
static_assert(!bm::check_config(bm::presets::bitstopper.with_lanes(0)).ok());
static_assert(!bm::check_config(bm::presets::bitstopper.with_bandwidth(0.0)).ok());
static_assert(bm::accelerator_from_name("sanger") == bm::accelerator_kind::sanger);
static_assert(!bm::accelerator_from_name("tpu").has_value());
// a class-type template argument: one instantiation per configuration
using bitstopper_model = bm::fixed_model<bm::presets::bitstopper>;
static_assert(bitstopper_model::config.pe.lanes == 32);

TEST_SUITE("model") {
  TEST_CASE("model/config: presets carry the published parameters") {
    const auto& b = bm::presets::bitstopper;
    CHECK(b.clock_mhz == 1000.0);
    CHECK(b.node_nm == 28);
    CHECK(b.pe.lanes == 32);
    CHECK(b.pe.k_bits == 12);
    CHECK(b.pe.v_macs == 64);
    CHECK(b.mem.kv_sram_kib == 320);
    CHECK(b.mem.q_sram_kib == 8);
    CHECK(b.mem.dram_gb_per_s == 256.0);
    CHECK(b.mem.burst_bytes == 32);
    CHECK(b.dram_bytes_per_cycle() == doctest::Approx(256.0));
    const auto& p = bm::presets::pade;
    CHECK(p.clock_mhz == 800.0);
    CHECK(p.pe.lanes == 128);
    CHECK(p.pe.k_bits == 8);
    CHECK(p.pe.bidirectional);
    CHECK(p.pe.head_tail);
    CHECK(p.sram_total_kib() == 352.0);
    CHECK(p.mem.dram_gb_per_s == 256.0);
    CHECK(bm::presets::h100.mem.dram_gb_per_s == 3350.0);
    CHECK(bm::presets::pade_h100_scale.mem.dram_gb_per_s == 3350.0);
  }

  TEST_CASE("model/config: baselines are normalised to the host in clock and SRAM and bandwidth and area and precision") {
    for (const auto* host : {&bm::presets::bitstopper, &bm::presets::pade}) {
      for (const auto k : {bm::accelerator_kind::dense, bm::accelerator_kind::sanger, bm::accelerator_kind::dota,
                           bm::accelerator_kind::sofa, bm::accelerator_kind::spatten, bm::accelerator_kind::energon}) {
        const auto c = bm::presets::baseline(*host, k);
        CAPTURE(bm::accelerator_name(k));
        CHECK(c.kind == k);
        CHECK(c.clock_mhz == host->clock_mhz);
        CHECK(c.node_nm == host->node_nm);
        CHECK(c.sram_total_kib() == host->sram_total_kib());
        CHECK(c.mem.dram_gb_per_s == host->mem.dram_gb_per_s);
        CHECK(c.pe.area_cells == doctest::Approx(bm::pe_area_cells(*host)));
        CHECK(c.pe.v_bits == host->pe.v_bits);
        CHECK(bm::check_config(c).ok());
      }
    }
  }

  TEST_CASE("model/config: check_config names the broken field") {
    auto c = bm::presets::bitstopper;
    c.pe.k_bits = 17;
    auto issue = bm::check_config(c);
    REQUIRE_FALSE(issue.ok());
    CHECK(std::strcmp(issue.field, "pe.k_bits") == 0);
    c = bm::presets::pade;
    c.mem.dram_efficiency_gather = 1.5;
    issue = bm::check_config(c);
    REQUIRE_FALSE(issue.ok());
    CHECK(std::strcmp(issue.field, "mem.dram_efficiency_gather") == 0);
    c = bm::presets::baseline(bm::presets::bitstopper, bm::accelerator_kind::sanger);
    c.pe.area_cells = 0.0;
    CHECK(std::strcmp(bm::check_config(c).field, "pe.area_cells") == 0);
    CHECK_THROWS_AS(bm::dynamic_model{c}, bitsieve::invalid_argument);
    try {
      bm::dynamic_model bad{bm::presets::bitstopper.with_lanes(0)};
      FAIL("dynamic_model accepted lanes = 0");
    } catch (const bitsieve::invalid_argument& e) {
      CHECK(std::string(e.what()).find("pe.lanes") != std::string::npos);
    }
  }

  TEST_CASE("model/config: compile-time and run-time configurations give identical reports") {
    const auto w = *bm::find_workload("opt1.3b-wikitext2");
    CHECK(bm::fixed_model<bm::presets::bitstopper>::evaluate(w) == bm::dynamic_model(bm::presets::bitstopper).evaluate(w));
    CHECK(bm::fixed_model<bm::presets::pade>::evaluate(w) == bm::dynamic_model(bm::presets::pade).evaluate(w));
    CHECK(bm::fixed_model<bm::presets::h100>::evaluate(w) == bm::dynamic_model(bm::presets::h100).evaluate(w));
    constexpr auto sanger = bm::presets::baseline(bm::presets::bitstopper, bm::accelerator_kind::sanger);
    CHECK(bm::fixed_model<sanger>::evaluate(w) == bm::dynamic_model(sanger).evaluate(w));
    constexpr auto lock = bm::presets::bitstopper_lockstep;
    const auto a = bm::fixed_model<lock>::evaluate(w);
    const auto b = bm::dynamic_model(bm::presets::bitstopper.with_scheduler(bm::scheduler_kind::lockstep)).evaluate(w);
    CHECK(a == b);
    // and a different configuration does give a different report
    CHECK_FALSE(a == bm::dynamic_model(bm::presets::bitstopper).evaluate(w));
  }

  TEST_CASE("model/sweep: fields apply where they mean something") {
    auto c = bm::presets::bitstopper;
    CHECK(bm::set_config_field(c, "lanes", 64));
    CHECK(c.pe.lanes == 64);
    CHECK(bm::set_config_field(c, "bandwidth", 512));
    CHECK(c.mem.dram_gb_per_s == 512.0);
    auto s = bm::presets::baseline(bm::presets::bitstopper, bm::accelerator_kind::sanger);
    CHECK_FALSE(bm::set_config_field(s, "lanes", 64));
    CHECK(bm::set_config_field(s, "area_scale", 2));
    CHECK(s.pe.area_cells == doctest::Approx(2.0 * bm::pe_area_cells(bm::presets::bitstopper)));
    CHECK_THROWS_AS(bm::set_config_field(c, "warp_drive", 1), bitsieve::invalid_argument);
    CHECK_THROWS_AS(bm::set_config_field(c, "lanes", 2.5), bitsieve::invalid_argument);
    CHECK(bm::sweep_values(8, 64, 8).size() == 8);
    CHECK(bm::sweep_values(0.5, 0.5, 1).size() == 1);
    CHECK_THROWS_AS((void)bm::sweep_values(1, 0, 1), bitsieve::invalid_argument);
    CHECK_THROWS_AS((void)bm::sweep_values(0, 1, 0), bitsieve::invalid_argument);
  }

  TEST_CASE("model/config: the calibration table lists every constant once with a source") {
    const auto table = bm::calibration::calibration_table();
    for (std::size_t i = 0; i < table.size(); ++i) {
      CAPTURE(table[i].name);
      CHECK_FALSE(table[i].source.empty());
      const auto kind = table[i].kind;
      CHECK((kind == "published" || kind == "derived" || kind == "assumed" || kind == "fitted"));
      for (std::size_t j = i + 1; j < table.size(); ++j) CHECK(table[i].name != table[j].name);
    }
  }
}
