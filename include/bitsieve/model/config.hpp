// SPDX-License-Identifier: Apache-2.0
/// \file model/config.hpp
/// `bitsieve::model::accel_config`: the numbers that describe one accelerator, as a literal
/// aggregate of nested aggregates (`pe_array`, `memory_config`, `energy_table`). The same type is
/// a class-type template argument (`fixed_model<C>`, checked by static_assert) and a run-time
/// value (`dynamic_model`, sweeps without recompiling) — STYLE.md §7.4.
///
/// Units: clock in MHz, bandwidth in GB/s (10^9 B/s), SRAM in KiB, latency in clock cycles,
/// energies in pJ (per action) or W (static power). "Cells" are 1-bit x 1-bit multiply-accumulate
/// cells (an AND gate plus a full adder): the common unit of compute area and compute energy.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace bitsieve::model {

/// The accelerator designs the model knows. Each is a mechanism (model/accelerators.hpp).
enum class accelerator_kind : std::uint8_t {
  dense,         ///< dense attention on a MAC array of the same area (all K and V, every key)
  sanger,        ///< MICRO'21: 4-bit predictor over all keys, probability threshold, sparse executor
  dota,          ///< ASPLOS'22: low-rank INT4 detector, then full precision on the retained keys
  sofa,          ///< MICRO'24: log-domain (leading-zero) predictor, top-k per tile, SU-FA executor
  spatten,       ///< HPCA'21: MSB-first K fetch, LSB refetch when softmax is flat, top-k engine
  energon,       ///< TCAD'22: multi-round low-bit filtering (INT2, INT4), then full precision
  bitstopper,    ///< stage fusion (BESF), LATS threshold, bit-level asynchronous lanes (BAP)
  pade,          ///< BUI-GF, BS-OOE with bidirectional sparsity, ISTA head-tail tiles
  gpu_roofline,  ///< H100 roofline (HBM3 bandwidth, tensor-core peak), derated; sanity ratios only
};

inline constexpr std::array<accelerator_kind, 9> all_accelerators{
    accelerator_kind::dense,   accelerator_kind::sanger,     accelerator_kind::dota,
    accelerator_kind::sofa,    accelerator_kind::spatten,    accelerator_kind::energon,
    accelerator_kind::bitstopper, accelerator_kind::pade,    accelerator_kind::gpu_roofline};

/// The command-line / JSON name of a design ("dense", "sanger", ..., "gpu_roofline").
[[nodiscard]] constexpr std::string_view accelerator_name(accelerator_kind k) noexcept {
  switch (k) {
    case accelerator_kind::dense: return "dense";
    case accelerator_kind::sanger: return "sanger";
    case accelerator_kind::dota: return "dota";
    case accelerator_kind::sofa: return "sofa";
    case accelerator_kind::spatten: return "spatten";
    case accelerator_kind::energon: return "energon";
    case accelerator_kind::bitstopper: return "bitstopper";
    case accelerator_kind::pade: return "pade";
    case accelerator_kind::gpu_roofline: return "gpu_roofline";
  }
  return "unknown";
}

/// The design with that name, or nullopt.
[[nodiscard]] constexpr std::optional<accelerator_kind> accelerator_from_name(std::string_view s) noexcept {
  for (const auto k : all_accelerators) {
    if (accelerator_name(k) == s) return k;
  }
  return std::nullopt;
}

/// True for the bit-serial, early-terminating designs (bitstopper, pade).
[[nodiscard]] constexpr bool is_bit_serial(accelerator_kind k) noexcept {
  return k == accelerator_kind::bitstopper || k == accelerator_kind::pade;
}

/// True for the designs built from a MAC array sized by area (dense and the stage-split baselines).
[[nodiscard]] constexpr bool is_mac_array(accelerator_kind k) noexcept {
  return !is_bit_serial(k) && k != accelerator_kind::gpu_roofline;
}

/// How the bit-serial lanes order their (key, plane) work.
enum class scheduler_kind : std::uint8_t {
  lockstep,      ///< round r reads plane r of every live key of a tile; a barrier after each round
  out_of_order,  ///< BitStopper BAP / PADE BS-OOE: each lane works on whichever key has its plane
};

/// Compute resources. Bit-serial designs use the lane fields; MAC-array designs the area budget.
struct pe_array {
  // --- bit-serial QK processing unit (bitstopper, pade) ---
  std::int32_t lanes = 0;               ///< bit-serial lanes; one (key, plane) task per lane at a time
  std::int32_t lane_dims = 64;          ///< head dims one lane's AND tree covers per cycle
  std::int32_t scoreboard_entries = 0;  ///< keys in flight per lane (partial sums held)
  scheduler_kind scheduler = scheduler_kind::out_of_order;
  bool bidirectional = false;           ///< accumulate over the rarer of 1-bits / 0-bits (PADE)
  bool head_tail = false;               ///< ISTA: sink and recent tiles first (fewer max updates)
  // --- precision ---
  std::int32_t q_bits = 12;             ///< query operand width
  std::int32_t k_bits = 12;             ///< key width = number of bit-planes
  std::int32_t v_bits = 12;             ///< value / executor width
  // --- V processing unit and softmax (all accelerators) ---
  std::int32_t v_macs = 64;             ///< bit-serial designs: V-PU MACs per cycle
  std::int32_t exp_units = 8;           ///< exponentials per cycle (softmax)
  // --- MAC-array designs: the equal-area budget ---
  double area_cells = 0.0;              ///< PE area in cells (0: not a MAC-array design)
  double predictor_area_fraction = 0.0; ///< share of the cells given to the predictor / filter
  std::int32_t predictor_bits = 4;      ///< predictor operand width
  double load_balance = 1.0;            ///< executor efficiency on irregular sparsity (0, 1]
  // --- dataflow ---
  std::int32_t query_rows = 1;          ///< query rows processed in step on the same key (share one SRAM read)
  std::int32_t key_tile = 64;           ///< keys per tile (pipeline granularity, Bc)
  // --- gpu_roofline ---
  double peak_tflops = 0.0;             ///< dense tensor-core peak (FP16), 10^12 FLOP/s
  double compute_efficiency = 1.0;      ///< fraction of the peak an attention kernel reaches
};

/// On-chip SRAM and off-chip DRAM.
struct memory_config {
  std::int32_t kv_sram_kib = 320;           ///< K/V buffer
  std::int32_t q_sram_kib = 8;              ///< query buffer
  std::int32_t misc_sram_kib = 24;          ///< everything else (scoreboards, output, LUTs)
  double dram_gb_per_s = 256.0;             ///< peak DRAM bandwidth, 10^9 B/s
  double dram_efficiency_stream = 0.8;      ///< achieved / peak for long sequential streams
  double dram_efficiency_gather = 0.58;     ///< achieved / peak for fine-grained fetches (plane blocks, gathered rows)
  std::int32_t dram_latency_cycles = 32;    ///< request to first data, clock cycles
  std::int32_t burst_bytes = 32;            ///< DRAM access granule (HBM2 BL4 x 64 b)
  std::int32_t block_tokens = 32;           ///< tokens per bit-plane storage block
  /// Query rows that share one DRAM fetch of a K/V tile (FlashAttention-style query tile).
  /// 0: as many rows as the Q buffer holds; never fewer than pe.query_rows.
  std::int32_t query_tile = 0;
};

/// Accelergy-style energy reference table: a price per named action. The model only counts
/// actions (model/activity.hpp); `price` multiplies (model/energy.hpp).
struct energy_table {
  double cell_pj = 0.0;               ///< one 1b x 1b multiply-accumulate cell (AND + full adder)
  double log_add_cells = 4.0;         ///< cells of one log-domain (leading-zero count + add) term
  double sram_read_pj_per_bit = 0.0;  ///< on-chip buffer read
  double sram_write_pj_per_bit = 0.0; ///< on-chip buffer write (fills from DRAM, outputs)
  double dram_pj_per_bit = 0.0;       ///< off-chip access, per bit moved
  double exp_pj = 0.0;                ///< one exponential (LUT-based softmax)
  double scoreboard_rmw_pj = 0.0;     ///< one scoreboard read-modify-write (partial sum update)
  double compare_pj = 0.0;            ///< one comparison / decision
  double static_power_w = 0.0;        ///< leakage and clock tree, whole PE array + SRAM
  double board_power_w = 0.0;         ///< gpu_roofline only: average board power while running
};

/// One accelerator: its design, clock, compute, memory and energy table.
struct accel_config {
  accelerator_kind kind = accelerator_kind::dense;
  double clock_mhz = 1000.0;
  std::int32_t node_nm = 28;
  pe_array pe{};
  memory_config mem{};
  energy_table energy{};

  [[nodiscard]] constexpr double clock_hz() const noexcept { return clock_mhz * 1e6; }
  /// Peak DRAM bytes per clock cycle.
  [[nodiscard]] constexpr double dram_bytes_per_cycle() const noexcept {
    return mem.dram_gb_per_s * 1e9 / clock_hz();
  }
  [[nodiscard]] constexpr double sram_total_kib() const noexcept {
    return static_cast<double>(mem.kv_sram_kib) + mem.q_sram_kib + mem.misc_sram_kib;
  }
  [[nodiscard]] constexpr accel_config with_lanes(std::int32_t lanes) const noexcept {
    accel_config c = *this;
    c.pe.lanes = lanes;
    return c;
  }
  [[nodiscard]] constexpr accel_config with_bandwidth(double gb_per_s) const noexcept {
    accel_config c = *this;
    c.mem.dram_gb_per_s = gb_per_s;
    return c;
  }
  [[nodiscard]] constexpr accel_config with_scheduler(scheduler_kind s) const noexcept {
    accel_config c = *this;
    c.pe.scheduler = s;
    return c;
  }
  [[nodiscard]] constexpr accel_config with_kind(accelerator_kind k) const noexcept {
    accel_config c = *this;
    c.kind = k;
    return c;
  }
};

/// The first problem found in a configuration: the field and what is wrong. `ok()` when none.
/// Plain `const char*` members so the check runs at compile time (fixed_model) and run time.
struct config_issue {
  const char* field = nullptr;
  const char* problem = nullptr;
  [[nodiscard]] constexpr bool ok() const noexcept { return field == nullptr; }
};

namespace detail {
[[nodiscard]] constexpr bool bits_ok(std::int32_t b) noexcept { return b >= 2 && b <= 16; }
[[nodiscard]] constexpr bool fraction_ok(double f) noexcept { return f > 0.0 && f <= 1.0; }
}  // namespace detail

/// Validates a configuration; the checks `fixed_model<C>` static_asserts one by one.
[[nodiscard]] constexpr config_issue check_config(const accel_config& c) noexcept {
  using detail::bits_ok;
  using detail::fraction_ok;
  if (!(c.clock_mhz > 0.0)) return {"clock_mhz", "must be > 0"};
  if (!bits_ok(c.pe.q_bits)) return {"pe.q_bits", "must be in 2..16"};
  if (!bits_ok(c.pe.k_bits)) return {"pe.k_bits", "must be in 2..16"};
  if (!bits_ok(c.pe.v_bits)) return {"pe.v_bits", "must be in 2..16"};
  if (!(c.mem.dram_gb_per_s > 0.0)) return {"mem.dram_gb_per_s", "must be > 0"};
  if (!fraction_ok(c.mem.dram_efficiency_stream)) return {"mem.dram_efficiency_stream", "must be in (0, 1]"};
  if (!fraction_ok(c.mem.dram_efficiency_gather)) return {"mem.dram_efficiency_gather", "must be in (0, 1]"};
  if (c.mem.dram_latency_cycles < 0) return {"mem.dram_latency_cycles", "must be >= 0"};
  if (c.mem.burst_bytes <= 0) return {"mem.burst_bytes", "must be > 0"};
  if (c.mem.block_tokens <= 0) return {"mem.block_tokens", "must be > 0"};
  if (c.mem.query_tile < 0) return {"mem.query_tile", "must be >= 0 (0: derive from the Q buffer)"};
  if (c.mem.kv_sram_kib < 0 || c.mem.q_sram_kib < 0 || c.mem.misc_sram_kib < 0) return {"mem.*_sram_kib", "must be >= 0"};
  if (c.pe.query_rows <= 0) return {"pe.query_rows", "must be > 0"};
  if (c.pe.key_tile <= 0) return {"pe.key_tile", "must be > 0"};
  if (c.pe.exp_units <= 0) return {"pe.exp_units", "must be > 0"};
  const energy_table& e = c.energy;
  if (e.cell_pj < 0 || e.log_add_cells < 0 || e.sram_read_pj_per_bit < 0 || e.sram_write_pj_per_bit < 0 ||
      e.dram_pj_per_bit < 0 || e.exp_pj < 0 || e.scoreboard_rmw_pj < 0 || e.compare_pj < 0 ||
      e.static_power_w < 0 || e.board_power_w < 0) {
    return {"energy.*", "every price must be >= 0"};
  }
  if (is_bit_serial(c.kind)) {
    if (c.pe.lanes <= 0) return {"pe.lanes", "must be > 0 for a bit-serial design"};
    if (c.pe.lane_dims <= 0) return {"pe.lane_dims", "must be > 0 for a bit-serial design"};
    if (c.pe.scoreboard_entries <= 0) return {"pe.scoreboard_entries", "must be > 0 for a bit-serial design"};
    if (c.pe.v_macs <= 0) return {"pe.v_macs", "must be > 0 for a bit-serial design"};
  } else if (is_mac_array(c.kind)) {
    if (!(c.pe.area_cells > 0.0)) return {"pe.area_cells", "must be > 0 for a MAC-array design"};
    if (!(c.pe.predictor_area_fraction >= 0.0 && c.pe.predictor_area_fraction < 1.0)) {
      return {"pe.predictor_area_fraction", "must be in [0, 1)"};
    }
    if (!bits_ok(c.pe.predictor_bits)) return {"pe.predictor_bits", "must be in 2..16"};
    if (!fraction_ok(c.pe.load_balance)) return {"pe.load_balance", "must be in (0, 1]"};
  } else {
    if (!(c.pe.peak_tflops > 0.0)) return {"pe.peak_tflops", "must be > 0 for gpu_roofline"};
    if (!fraction_ok(c.pe.compute_efficiency)) return {"pe.compute_efficiency", "must be in (0, 1]"};
    if (!(e.board_power_w > 0.0)) return {"energy.board_power_w", "must be > 0 for gpu_roofline"};
  }
  return {};
}

/// Cells of one b1 x b2 multiply-accumulate: b1*b2 partial products plus the accumulating adder.
[[nodiscard]] constexpr double mac_cells(std::int32_t b1, std::int32_t b2) noexcept {
  return static_cast<double>(b1) * b2 + b1 + b2;
}

/// Cells of one input of a bit-serial AND tree: q_bits AND gates feeding one adder-tree node.
[[nodiscard]] constexpr double and_tree_input_cells(std::int32_t q_bits) noexcept {
  return static_cast<double>(q_bits) + 1.0;
}

/// PE-array area of a bit-serial design in cells: the lanes' AND trees plus the V-PU MACs.
/// Bidirectional lanes only need a tree for the rarer half of the bits (PADE's GSAT: 8 groups of
/// 8 dims with 5-to-1 muxes, i.e. 5 of every 8 inputs wired).
[[nodiscard]] constexpr double pe_area_cells(const accel_config& c) noexcept {
  if (!is_bit_serial(c.kind)) return c.pe.area_cells;
  const double wired = c.pe.bidirectional ? 5.0 / 8.0 : 1.0;
  const double qk = static_cast<double>(c.pe.lanes) * c.pe.lane_dims * wired * and_tree_input_cells(c.pe.q_bits);
  const double v = static_cast<double>(c.pe.v_macs) * mac_cells(c.pe.v_bits, c.pe.v_bits);
  return qk + v;
}

}  // namespace bitsieve::model
