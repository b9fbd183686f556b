// SPDX-License-Identifier: Apache-2.0
/// \file model/activity.hpp
/// The Timeloop/Accelergy split (STYLE.md §7.4): an accelerator model only *counts* actions into an
/// `activity` record; `price(activity, energy_table, seconds)` turns the counts into energy with a
/// per-component breakdown. `report` is what one evaluation returns.
#pragma once

#include <array>
#include <cstdint>

#include "bitsieve/model/config.hpp"

namespace bitsieve::model {

/// Action counts of one evaluation (all layers, heads, batch elements).
struct activity {
  // --- memory ---
  double dram_bytes = 0.0;        ///< bytes moved to/from DRAM, at burst granularity
  double dram_k_bytes = 0.0;      ///< of which K (planes or rows)
  double dram_v_bytes = 0.0;      ///< of which V rows
  double dram_gather_bytes = 0.0; ///< of which fine-grained (plane blocks, gathered rows); the rest streams
  double sram_read_bits = 0.0;    ///< on-chip buffer reads
  double sram_write_bits = 0.0;   ///< on-chip buffer writes (DRAM fills, scores, outputs)
  // --- compute ---
  /// AND-tree inputs accumulated (one active key bit times a q_bits-wide query element), by q_bits.
  std::array<double, 17> and_tree_ops{};
  /// Multiply-accumulates, by operand widths: macs[a][b] = a-bit x b-bit MACs.
  std::array<std::array<double, 17>, 17> macs{};
  double log_adds = 0.0;          ///< log-domain (leading-zero) terms
  double exps = 0.0;              ///< exponentials (softmax, online rescale)
  double scoreboard_rmw = 0.0;    ///< scoreboard read-modify-writes
  double comparisons = 0.0;       ///< comparisons and keep/drop decisions (incl. sorting)
  double flops = 0.0;             ///< gpu_roofline: floating-point operations

  /// Adds `count` a x b MACs (widths clamped to 1..16).
  void add_macs(int a, int b, double count) noexcept {
    auto idx = [](int x) { return static_cast<std::size_t>(x < 1 ? 1 : (x > 16 ? 16 : x)); };
    macs[idx(a)][idx(b)] += count;
  }
  void add_and_tree(int q_bits, double count) noexcept {
    and_tree_ops[static_cast<std::size_t>(q_bits < 1 ? 1 : (q_bits > 16 ? 16 : q_bits))] += count;
  }
  /// Total MACs of any width.
  [[nodiscard]] double total_macs() const noexcept {
    double s = 0.0;
    for (const auto& row : macs) {
      for (const double x : row) s += x;
    }
    return s;
  }
  [[nodiscard]] double total_and_tree_ops() const noexcept {
    double s = 0.0;
    for (const double x : and_tree_ops) s += x;
    return s;
  }
  /// Compute cells switched (the unit `energy_table::cell_pj` prices).
  [[nodiscard]] double compute_cells(double log_add_cells) const noexcept {
    double cells = 0.0;
    for (std::size_t q = 0; q < and_tree_ops.size(); ++q) {
      cells += and_tree_ops[q] * and_tree_input_cells(static_cast<std::int32_t>(q));
    }
    for (std::size_t a = 0; a < macs.size(); ++a) {
      for (std::size_t b = 0; b < macs[a].size(); ++b) {
        cells += macs[a][b] * mac_cells(static_cast<std::int32_t>(a), static_cast<std::int32_t>(b));
      }
    }
    return cells + log_adds * log_add_cells;
  }
  /// Adds another record's counts.
  activity& operator+=(const activity& o) noexcept {
    dram_bytes += o.dram_bytes;
    dram_k_bytes += o.dram_k_bytes;
    dram_v_bytes += o.dram_v_bytes;
    dram_gather_bytes += o.dram_gather_bytes;
    sram_read_bits += o.sram_read_bits;
    sram_write_bits += o.sram_write_bits;
    for (std::size_t i = 0; i < and_tree_ops.size(); ++i) and_tree_ops[i] += o.and_tree_ops[i];
    for (std::size_t i = 0; i < macs.size(); ++i) {
      for (std::size_t j = 0; j < macs[i].size(); ++j) macs[i][j] += o.macs[i][j];
    }
    log_adds += o.log_adds;
    exps += o.exps;
    scoreboard_rmw += o.scoreboard_rmw;
    comparisons += o.comparisons;
    flops += o.flops;
    return *this;
  }
  friend bool operator==(const activity&, const activity&) = default;
};

/// Energy by component, in joules.
struct energy_breakdown {
  double dram_j = 0.0;
  double sram_j = 0.0;
  double compute_j = 0.0;  ///< AND trees, MACs, log adds, exps, scoreboard, comparisons
  double static_j = 0.0;   ///< static power x latency
  [[nodiscard]] double total() const noexcept { return dram_j + sram_j + compute_j + static_j; }
  /// Energy of the chip alone (what a logic + SRAM flow such as Synopsys DC + CACTI measures).
  [[nodiscard]] double on_chip() const noexcept { return sram_j + compute_j + static_j; }
  friend bool operator==(const energy_breakdown&, const energy_breakdown&) = default;
};

/// Prices an activity record with an energy table (Accelergy's ERT step). `seconds` is the
/// latency, for static energy. For gpu_roofline (board_power_w > 0) the board power x time is the
/// total: DRAM is priced per bit, static is the idle power, compute is the rest.
[[nodiscard]] inline energy_breakdown price(const activity& a, const energy_table& e, double seconds) noexcept {
  constexpr double pj = 1e-12;
  energy_breakdown out;
  out.dram_j = a.dram_bytes * 8.0 * e.dram_pj_per_bit * pj;
  if (e.board_power_w > 0.0) {
    const double board = e.board_power_w * seconds;
    out.static_j = e.static_power_w * seconds;
    out.compute_j = board - out.static_j - out.dram_j;
    if (out.compute_j < 0.0) out.compute_j = 0.0;
    return out;
  }
  out.sram_j = (a.sram_read_bits * e.sram_read_pj_per_bit + a.sram_write_bits * e.sram_write_pj_per_bit) * pj;
  out.compute_j = (a.compute_cells(e.log_add_cells) * e.cell_pj + a.exps * e.exp_pj +
                   a.scoreboard_rmw * e.scoreboard_rmw_pj + a.comparisons * e.compare_pj) *
                  pj;
  out.static_j = e.static_power_w * seconds;
  return out;
}

/// The result of evaluating one accelerator on one workload.
struct report {
  accelerator_kind kind = accelerator_kind::dense;
  double cycles = 0.0;         ///< clock cycles end to end
  double latency_s = 0.0;      ///< cycles / clock
  double dram_bytes = 0.0;     ///< == act.dram_bytes
  double energy_j = 0.0;       ///< == energy.total()
  energy_breakdown energy{};
  /// Utilisation of the design's main compute: bit-serial lanes (busy lane-cycles over
  /// lanes x cycles), the MAC array (useful MAC-cycles over MACs x cycles), or the GPU's
  /// achieved fraction of its tensor peak.
  double utilization = 0.0;
  // --- where the cycles come from ---
  double compute_cycles = 0.0;     ///< pipelined compute (QK/predictor and V/executor overlapped)
  double qk_cycles = 0.0;          ///< QK stage (bit-serial lanes, or predictor)
  double v_cycles = 0.0;           ///< V stage (V-PU, or executor)
  double dram_cycles = 0.0;        ///< DRAM transfer time at the achieved efficiency
  double scheduler_utilization = 0.0;  ///< bit-serial: lane utilisation inside the QK stage (simulated)
  double kept_fraction = 0.0;      ///< pairs whose value row the design reads
  double k_fetch_fraction = 0.0;   ///< K bytes fetched / K bytes of a dense pass at the design's width
  /// Dynamic energy of the prediction / filtering stage of a stage-split design (0 for the
  /// bit-serial designs, whose prediction is the first part of the execution).
  double predictor_energy_j = 0.0;
  activity act{};
  friend bool operator==(const report&, const report&) = default;
};

}  // namespace bitsieve::model
