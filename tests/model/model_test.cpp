// SPDX-License-Identifier: Apache-2.0
// model invariants: hand-counted traffic, energy bookkeeping, monotonicity, the lane simulation,
// the iso-accuracy model and the statistics inputs.
#include <bitsieve/kernel/stats.hpp>
#include <bitsieve/model/model.hpp>
#include <bitsieve/model/presets.hpp>
#include <bitsieve/model/stats_json.hpp>
#include <bitsieve/model/workload_presets.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

namespace bm = bitsieve::model;

namespace {

/// Every design in a comparison hosted by `host`.
std::vector<bm::accel_config> all_designs(const bm::accel_config& host) {
  std::vector<bm::accel_config> v;
  for (const auto k : bm::all_accelerators) v.push_back(bm::presets::for_comparison(k, host));
  return v;
}

bm::workload tiny_decode(bm::pruning_stats st) {
  bm::workload w;
  w.name = "tiny";
  w.shape = bm::workload_shape{.layers = 1, .heads = 1, .kv_heads = 1, .head_dim = 64, .seq_len = 64,
                               .batch = 1, .ph = bm::phase::decode, .decode_steps = 1};
  w.stats = std::move(st);
  return w;
}

}  // namespace

TEST_SUITE("model") {
  TEST_CASE("model/traffic: a tiny dense decode equals the hand count") {
    // one query over 64 keys of d = 64 at 12 bits: K 64 x 96 B, V 64 x 96 B, the query 96 B,
    // the output 64 x 2 B
    const auto w = tiny_decode(bm::dense_stats(12));
    const double expected = 64 * 96 + 64 * 96 + 96 + 128;
    const auto dense = bm::evaluate(bm::presets::baseline(bm::presets::bitstopper, bm::accelerator_kind::dense), w);
    CHECK(dense.dram_bytes == expected);
    // the bit-serial layout without pruning moves the same bytes: 12 planes of 32-key blocks
    // (256 B = 8 bursts each) and every value row
    const auto bs = bm::evaluate(bm::presets::bitstopper, w);
    CHECK(bs.dram_bytes == expected);
    CHECK(bs.act.dram_k_bytes == 64 * 12 * 8);
  }

  TEST_CASE("model/traffic: a tiny pruned decode equals the hand count") {
    // half the keys stop after 2 planes, half survive all 12; one row, so blocks and rows add
    // nothing: K = 64 keys x 7 planes x 8 B, V = 32 rows x 96 B
    bm::pruning_stats st;
    st.key_bits = 12;
    st.stop_histogram.fill(0.0);
    st.stop_histogram[2] = 0.5;
    st.stop_histogram[12] = 0.5;
    st.has_histogram = true;
    st.kept_fraction = 0.5;
    st.v_rows_fetched_fraction = 0.5;
    st.mean_planes_per_key = 7.0;
    st.block_planes_per_key = 7.0;
    const auto r = bm::evaluate(bm::presets::bitstopper, tiny_decode(st));
    CHECK(r.act.dram_k_bytes == doctest::Approx(64 * 7 * 8));
    CHECK(r.act.dram_v_bytes == doctest::Approx(32 * 96));
    CHECK(r.dram_bytes == doctest::Approx(64 * 7 * 8 + 32 * 96 + 96 + 128));
    CHECK(r.act.scoreboard_rmw == doctest::Approx(64 * 7));
    CHECK(r.act.total_and_tree_ops() == doctest::Approx(64 * 7 * 64 * 0.5));
  }

  TEST_CASE("model/traffic: without pruning BitStopper is never cheaper than dense in DRAM bytes") {
    for (const auto& name : {"opt1.3b-wikitext2", "llama2-7b-dolly", "llama2-7b-serve-decode"}) {
      auto w = *bm::find_workload(name);
      w.stats = bm::dense_stats(12);
      CAPTURE(name);
      const auto dense = bm::evaluate(bm::presets::baseline(bm::presets::bitstopper, bm::accelerator_kind::dense), w);
      const auto bs = bm::evaluate(bm::presets::bitstopper, w);
      CHECK(bs.dram_bytes >= dense.dram_bytes * (1.0 - 1e-12));
      CHECK(bs.kept_fraction == 1.0);
    }
  }

  TEST_CASE("model/energy: energy is the sum of its breakdown and DRAM energy is bytes x price") {
    for (const auto* host : {&bm::presets::bitstopper, &bm::presets::pade}) {
      for (const auto& c : all_designs(*host)) {
        for (const auto& name : {"opt1.3b-dolly", "llama2-7b-pg19-decode"}) {
          const auto r = bm::evaluate(c, *bm::find_workload(name));
          CAPTURE(bm::accelerator_name(c.kind));
          CAPTURE(name);
          CHECK(r.energy_j == doctest::Approx(r.energy.dram_j + r.energy.sram_j + r.energy.compute_j + r.energy.static_j)
                                  .epsilon(1e-12));
          CHECK(r.energy.dram_j == doctest::Approx(r.dram_bytes * 8.0 * c.energy.dram_pj_per_bit * 1e-12));
          CHECK(r.energy.static_j == doctest::Approx(c.energy.static_power_w * r.latency_s));
          CHECK(r.latency_s == doctest::Approx(r.cycles / c.clock_hz()));
          CHECK(r.energy.dram_j > 0.0);
          CHECK(r.cycles >= r.dram_cycles * (1.0 - 1e-12));
          CHECK(r.utilization > 0.0);
          CHECK(r.utilization <= 1.0 + 1e-9);
        }
      }
    }
  }

  TEST_CASE("model/monotonic: more bandwidth is never slower") {
    for (const auto* host : {&bm::presets::bitstopper, &bm::presets::pade}) {
      for (const auto& c : all_designs(*host)) {
        for (const auto& name : {"opt1.3b-wikitext2", "llama2-7b-pg19-decode"}) {
          const auto w = *bm::find_workload(name);
          double previous = 0.0;
          for (double scale = 0.125; scale <= 8.0; scale *= 2.0) {
            const auto r = bm::evaluate(c.with_bandwidth(c.mem.dram_gb_per_s * scale), w);
            CAPTURE(bm::accelerator_name(c.kind));
            CAPTURE(name);
            CAPTURE(scale);
            if (previous > 0.0) CHECK(r.latency_s <= previous * (1.0 + 1e-9));
            previous = r.latency_s;
          }
        }
      }
    }
  }

  TEST_CASE("model/monotonic: longer sequences cost more time and energy") {
    for (const auto* host : {&bm::presets::bitstopper, &bm::presets::pade}) {
      for (const auto& c : all_designs(*host)) {
        for (const auto ph : {bm::phase::prefill, bm::phase::decode}) {
          auto w = *bm::find_workload("llama2-7b-wikitext2");
          w.shape.ph = ph;
          w.shape.decode_steps = 8;
          double prev_t = 0.0;
          double prev_e = 0.0;
          for (std::int64_t n = 128; n <= 16384; n *= 2) {  // crosses the KV-buffer residency limit
            w.shape.seq_len = n;
            const auto r = bm::evaluate(c, w);
            CAPTURE(bm::accelerator_name(c.kind));
            CAPTURE(n);
            CHECK(r.latency_s > prev_t);
            CHECK(r.energy_j > prev_e);
            prev_t = r.latency_s;
            prev_e = r.energy_j;
          }
        }
      }
    }
  }

  TEST_CASE("model/monotonic: fewer surviving keys never cost the bit-serial designs more") {
    for (const auto* c : {&bm::presets::bitstopper, &bm::presets::pade}) {
      auto w = *bm::find_workload("llama2-7b-wikitext2");
      double prev_e = 1e300;
      double prev_b = 1e300;
      for (const double kept : {0.8, 0.4, 0.2, 0.1, 0.05}) {
        w.stats = bm::synthetic_stats(kept, 4.5);
        const auto r = bm::evaluate(*c, w);
        CAPTURE(kept);
        CHECK(r.energy_j < prev_e);
        CHECK(r.dram_bytes < prev_b);
        prev_e = r.energy_j;
        prev_b = r.dram_bytes;
      }
    }
  }

  TEST_CASE("model/scheduler: uniform one-plane keys with free DRAM keep every lane busy") {
    bm::scheduler_params p;
    p.lanes = 8;
    p.entries = 4;
    p.latency_cycles = 0;
    p.bytes_per_task = 0.0;
    p.stop_histogram.fill(0.0);
    p.stop_histogram[1] = 1.0;
    p.keys = 8 * 64;
    for (const auto k : {bm::scheduler_kind::lockstep, bm::scheduler_kind::out_of_order}) {
      p.kind = k;
      const auto r = bm::simulate_scheduler(p);
      CHECK(r.tasks == 8 * 64);
      CHECK(r.utilization == doctest::Approx(1.0));
    }
  }

  TEST_CASE("model/scheduler: lock-step rounds expose latency and stragglers that out-of-order lanes hide") {
    bm::scheduler_params p;
    p.lanes = 32;
    p.entries = 32;
    p.latency_cycles = 16;
    p.dram_bytes_per_cycle = 1e9;
    p.bytes_per_task = 8.0;
    p.stop_histogram = bm::synthetic_stats(0.15, 4.5).stop_histogram;
    p.kind = bm::scheduler_kind::lockstep;
    const auto lock = bm::simulate_scheduler(p);
    p.kind = bm::scheduler_kind::out_of_order;
    const auto ooo = bm::simulate_scheduler(p);
    CHECK(lock.tasks == ooo.tasks);
    CHECK(lock.utilization < 0.8);
    CHECK(ooo.utilization > 0.95);
    // without latency the lock-step loss is the stragglers alone: still below out-of-order
    p.latency_cycles = 0;
    p.kind = bm::scheduler_kind::lockstep;
    const auto lock0 = bm::simulate_scheduler(p);
    CHECK(lock0.utilization > lock.utilization);
    CHECK(lock0.utilization < 0.99);
    // deterministic
    CHECK(bm::simulate_scheduler(p).utilization == lock0.utilization);
  }

  TEST_CASE("model/scheduler: out-of-order lanes need scoreboard entries to hide DRAM latency") {
    bm::scheduler_params p;
    p.kind = bm::scheduler_kind::out_of_order;
    p.lanes = 16;
    p.latency_cycles = 64;
    p.stop_histogram = bm::synthetic_stats(0.15, 4.5).stop_histogram;
    double prev = 0.0;
    for (const int e : {1, 4, 16, 64}) {
      p.entries = e;
      const double u = bm::simulate_scheduler(p).utilization;
      CAPTURE(e);
      CHECK(u > prev);
      prev = u;
    }
    // one entry: each plane waits the full latency, so utilisation is about 1 / (latency + 1)
    p.entries = 1;
    CHECK(bm::simulate_scheduler(p).utilization == doctest::Approx(1.0 / 65.0).epsilon(0.05));
  }

  TEST_CASE("model/scheduler: a saturated DRAM channel bounds the lanes") {
    bm::scheduler_params p;
    p.kind = bm::scheduler_kind::out_of_order;
    p.lanes = 32;
    p.entries = 32;
    p.latency_cycles = 8;
    p.bytes_per_task = 8.0;
    p.dram_bytes_per_cycle = 128.0;  // 16 tasks per cycle for 32 lanes
    p.stop_histogram = bm::synthetic_stats(0.15, 4.5).stop_histogram;
    CHECK(bm::simulate_scheduler(p).utilization == doctest::Approx(0.5).epsilon(0.03));
    CHECK_THROWS_AS((void)bm::simulate_scheduler(bm::scheduler_params{.lanes = 0}), bitsieve::invalid_argument);
  }

  TEST_CASE("model/accuracy: predictor error widens what a design must keep") {
    CHECK(bm::normal_tail(0.0) == doctest::Approx(0.5));
    for (const double p : {0.01, 0.15, 0.5, 0.9}) CHECK(bm::normal_tail(bm::normal_tail_inverse(p)) == doctest::Approx(p));
    CHECK(bm::iso_accuracy_kept(0.2, 0.0) == doctest::Approx(0.2));
    CHECK(bm::iso_accuracy_kept(0.2, 0.1) > 0.2);
    CHECK(bm::iso_accuracy_kept(0.2, 0.3) > bm::iso_accuracy_kept(0.2, 0.1));
    CHECK(bm::iso_accuracy_kept(0.0, 0.3) == 0.0);
    CHECK(bm::iso_accuracy_kept(1.0, 0.3) == 1.0);
    // symmetric quantisation, 4-bit q and k, clip 4 sigma: sqrt(2/12) * 4/7
    CHECK(bm::quantization_error(4, 4, 4.0) == doctest::Approx(std::sqrt(2.0 / 12.0) * 4.0 / 7.0));
    CHECK(bm::quantization_error(8, 8) < bm::quantization_error(4, 4));
    CHECK(bm::log_domain_error() == doctest::Approx(0.2846).epsilon(1e-3));
    CHECK(bm::fixed_topk_kept(0.1, 0.0, 0.9) == doctest::Approx(0.1));
    CHECK(bm::fixed_topk_kept(0.1, 0.5, 0.9) > 0.1);
  }

  TEST_CASE("model/stats: from attention_stats") {
    bitsieve::attention_stats a;
    a.queries = 2;
    a.keys = 100;
    a.survivors = 10;
    a.key_bits = 12;
    a.stop_histogram[3] = 60;
    a.stop_histogram[5] = 30;
    a.stop_histogram[12] = 10;
    a.planes_read = 60 * 3 + 30 * 5 + 10 * 12;
    a.block_token_planes_read = 600;
    a.value_rows_read = 10;
    a.active_bits = static_cast<std::uint64_t>(a.planes_read) * 20;
    const auto s = bm::from_attention_stats(a, 64);
    CHECK(s.kept_fraction == doctest::Approx(0.1));
    CHECK(s.mean_planes_per_key == doctest::Approx(4.5));
    CHECK(s.block_planes_per_key == doctest::Approx(6.0));
    CHECK(s.stop_histogram[5] == doctest::Approx(0.3));
    CHECK(s.has_histogram);
    CHECK(s.active_bit_fraction == doctest::Approx(20.0 / 64.0));
    bitsieve::attention_stats empty;
    CHECK_THROWS_AS((void)bm::from_attention_stats(empty), bitsieve::invalid_argument);
  }

  TEST_CASE("model/stats: rescaling to another key width keeps fractions") {
    const auto s12 = bm::synthetic_stats(0.1, 4.5);
    const auto s8 = s12.at_bits(8);
    CHECK(s8.key_bits == 8);
    CHECK(s8.kept_fraction == s12.kept_fraction);
    CHECK(s8.stop_histogram[8] == doctest::Approx(0.1));
    CHECK(s8.mean_planes_per_key / 8.0 == doctest::Approx(s12.mean_planes_per_key / 12.0).epsilon(0.08));
    double sum = 0.0;
    for (const double h : s8.stop_histogram) sum += h;
    CHECK(sum == doctest::Approx(1.0));
  }

  TEST_CASE("model/stats: bitsieve-eval JSON with and without a histogram") {
    const auto j = bitsieve::io::parse_json(R"({"queries": 16, "keys": 1000, "head_dim": 64, "kept_fraction": 0.1,
      "mean_planes_per_key": 4.5, "k_bits_fetched_fraction": 0.375, "v_rows_fetched_fraction": 0.1,
      "block_planes_per_key": 6.0, "key_bits": 12,
      "stop_histogram": [0, 0, 0, 600, 0, 300, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 0]})");
    const auto s = bm::stats_from_json(j, "inline");
    CHECK(s.key_bits == 12);
    CHECK(s.has_histogram);
    CHECK(s.stop_histogram[3] == doctest::Approx(0.6));
    CHECK(s.block_planes_per_key == 6.0);
    // no key_bits, no histogram: the width comes from planes / fraction, the histogram is synthesised
    const auto j2 = bitsieve::io::parse_json(R"({"kept_fraction": 0.2, "mean_planes_per_key": 4.0,
      "k_bits_fetched_fraction": 0.5, "v_rows_fetched_fraction": 0.2, "block_planes_per_key": 5.0})");
    const auto s2 = bm::stats_from_json(j2, "inline2");
    CHECK(s2.key_bits == 8);
    CHECK(s2.has_histogram);
    CHECK(s2.mean_planes_per_key == doctest::Approx(4.0));
    CHECK(s2.stop_histogram[8] == doctest::Approx(0.2));
    // a missing field and an inconsistent one are errors
    CHECK_THROWS_AS((void)bm::stats_from_json(bitsieve::io::parse_json(R"({"kept_fraction": 0.2})"), "x"),
                    bitsieve::io_error);
    const auto bad = bitsieve::io::parse_json(R"({"kept_fraction": 0.2, "mean_planes_per_key": 4.0,
      "k_bits_fetched_fraction": 0.9, "v_rows_fetched_fraction": 0.2, "block_planes_per_key": 5.0, "key_bits": 12})");
    CHECK_THROWS_AS((void)bm::stats_from_json(bad, "y"), bitsieve::invalid_argument);
  }

  TEST_CASE("model/workload: shapes count pairs and units and rows") {
    bm::workload_shape s{.layers = 2, .heads = 8, .kv_heads = 2, .head_dim = 64, .seq_len = 10, .batch = 3};
    CHECK(s.units() == 2 * 2 * 3);
    CHECK(s.pairs() == 2.0 * 8 * 3 * 55);  // causal prefill: 10 * 11 / 2 per head
    s.ph = bm::phase::decode;
    s.decode_steps = 4;
    CHECK(s.pairs() == 2.0 * 8 * 3 * (10 + 11 + 12 + 13));
    s.kv_heads = 3;
    CHECK_THROWS_AS(s.validate("test"), bitsieve::invalid_argument);
    for (const auto& w : bm::workload_presets()) {
      CAPTURE(w.name);
      CHECK_NOTHROW(w.shape.validate("test"));
      CHECK_NOTHROW(w.stats.validate("test"));
    }
  }
}
