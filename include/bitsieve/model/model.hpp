// SPDX-License-Identifier: Apache-2.0
/// \file model/model.hpp
/// The two binding times of one accelerator model (STYLE.md §7.4):
/// - `fixed_model<C>`: the configuration is a template argument, checked by static_assert (one
///   message per broken rule); use it for the variants a program is built around;
/// - `dynamic_model`: the configuration is a run-time value, checked by its constructor
///   (bitsieve::invalid_argument naming the field); use it for sweeps, the CLI and JSON.
/// Both forward to the same `evaluate(config, workload)`, so they give identical reports.
#pragma once

#include <string>
#include <utility>

#include "bitsieve/core/error.hpp"
#include "bitsieve/model/accelerators.hpp"
#include "bitsieve/model/config.hpp"
#include "bitsieve/model/workload.hpp"

namespace bitsieve::model {

/// An accelerator model configured at compile time.
template <accel_config C>
class fixed_model {
  static_assert(C.clock_mhz > 0.0, "bitsieve: accel_config.clock_mhz must be > 0; set the clock in MHz");
  static_assert(detail::bits_ok(C.pe.q_bits) && detail::bits_ok(C.pe.k_bits) && detail::bits_ok(C.pe.v_bits),
                "bitsieve: accel_config.pe.{q,k,v}_bits must be in 2..16");
  static_assert(C.mem.dram_gb_per_s > 0.0, "bitsieve: accel_config.mem.dram_gb_per_s must be > 0");
  static_assert(detail::fraction_ok(C.mem.dram_efficiency_stream) && detail::fraction_ok(C.mem.dram_efficiency_gather),
                "bitsieve: accel_config.mem.dram_efficiency_* must be in (0, 1]");
  static_assert(C.mem.burst_bytes > 0 && C.mem.block_tokens > 0 && C.mem.dram_latency_cycles >= 0,
                "bitsieve: accel_config.mem burst_bytes and block_tokens must be > 0, dram_latency_cycles >= 0");
  static_assert(C.pe.query_rows > 0 && C.pe.key_tile > 0 && C.pe.exp_units > 0,
                "bitsieve: accel_config.pe query_rows, key_tile and exp_units must be > 0");
  static_assert(!is_bit_serial(C.kind) || C.pe.lanes > 0,
                "bitsieve: a bit-serial accel_config needs pe.lanes > 0");
  static_assert(!is_bit_serial(C.kind) || (C.pe.lane_dims > 0 && C.pe.scoreboard_entries > 0 && C.pe.v_macs > 0),
                "bitsieve: a bit-serial accel_config needs pe.lane_dims, pe.scoreboard_entries and pe.v_macs > 0");
  static_assert(!is_mac_array(C.kind) || C.pe.area_cells > 0.0,
                "bitsieve: a MAC-array accel_config needs pe.area_cells > 0 (use presets::baseline(host, kind))");
  static_assert(!is_mac_array(C.kind) || (C.pe.predictor_area_fraction >= 0.0 && C.pe.predictor_area_fraction < 1.0 &&
                                          detail::fraction_ok(C.pe.load_balance)),
                "bitsieve: accel_config.pe.predictor_area_fraction must be in [0, 1), load_balance in (0, 1]");
  static_assert(C.kind != accelerator_kind::gpu_roofline ||
                    (C.pe.peak_tflops > 0.0 && C.energy.board_power_w > 0.0 && detail::fraction_ok(C.pe.compute_efficiency)),
                "bitsieve: a gpu_roofline accel_config needs peak_tflops > 0, board_power_w > 0, compute_efficiency in (0, 1]");
  static_assert(check_config(C).ok(), "bitsieve: accel_config is invalid; see check_config(C) for the field");

 public:
  static constexpr accel_config config = C;
  /// Evaluates the workload. Throws bitsieve::invalid_argument for an invalid workload.
  [[nodiscard]] static report evaluate(const workload& w) { return model::evaluate(C, w); }
};

/// An accelerator model configured at run time.
class dynamic_model {
 public:
  /// Throws bitsieve::invalid_argument naming the first invalid field.
  explicit dynamic_model(const accel_config& c) : c_(c) {
    const config_issue issue = check_config(c);
    if (!issue.ok()) {
      throw invalid_argument(std::string("bitsieve::model::dynamic_model: accel_config.") + issue.field + " " +
                             issue.problem);
    }
  }
  [[nodiscard]] const accel_config& config() const noexcept { return c_; }
  /// Evaluates the workload. Throws bitsieve::invalid_argument for an invalid workload.
  [[nodiscard]] report evaluate(const workload& w) const { return model::evaluate(c_, w); }

 private:
  accel_config c_;
};

}  // namespace bitsieve::model
