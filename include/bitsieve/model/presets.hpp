// SPDX-License-Identifier: Apache-2.0
/// \file model/presets.hpp
/// Accelerator presets with provenance: BitStopper and PADE as published, the baselines
/// normalised the way PADE normalised them (same node, clock, PE-array area, SRAM and HBM2
/// bandwidth as the design they are compared with), and the H100 roofline.
///
/// Sources (see /work/shared/REFERENCE.md): [KR] = Korean related-work survey quoting the papers,
/// [CN] = machine-generated BitStopper summary (unverified), [PR] = PADE review notes (Table III),
/// [seed] = BitStopper summary text. Everything not published is in model/calibration.hpp.
#pragma once

#include <cmath>
#include <cstdint>

#include "bitsieve/model/calibration.hpp"
#include "bitsieve/model/config.hpp"

namespace bitsieve::model::presets {

/// The 28 nm energy table shared by every normalised design (model/calibration.hpp).
inline constexpr energy_table energy_28nm{
    .cell_pj = calibration::cell_pj,
    .log_add_cells = calibration::log_add_cells,
    .sram_read_pj_per_bit = calibration::sram_pj_per_bit,
    .sram_write_pj_per_bit = calibration::sram_pj_per_bit,
    .dram_pj_per_bit = calibration::hbm2_pj_per_bit,  // HBM2 (REFERENCE §4)
    .exp_pj = calibration::exp_pj,
    .scoreboard_rmw_pj = calibration::scoreboard_rmw_pj,
    .compare_pj = calibration::compare_pj,
    .static_power_w = calibration::static_power_w,
    .board_power_w = 0.0,
};

/// DRAM latency in cycles at a clock (the latency in ns is the calibrated constant).
[[nodiscard]] constexpr std::int32_t latency_cycles(double clock_mhz) noexcept {
  return static_cast<std::int32_t>(calibration::dram_latency_ns * clock_mhz / 1000.0 + 0.5);
}

/// BitStopper (arXiv 2512.06457), TSMC 28 nm, 1 GHz [KR][CN]: 32 bit-serial lanes [seed], each a
/// 64-dim x 12-bit AND tree (BRAT) [CN], INT12 Q/K/V [KR][CN], 64-way INT12 V-PU [CN], 320 KB K/V
/// + 8 KB Q SRAM [CN], HBM2 8 ch x 128 b x 2 Gb/s = 256 GB/s [CN], BAP out-of-order lanes [seed].
inline constexpr accel_config bitstopper{
    .kind = accelerator_kind::bitstopper,
    .clock_mhz = 1000.0,  // [KR][CN] 1 GHz
    .node_nm = 28,        // [KR][CN] TSMC 28 nm
    .pe = {
        .lanes = 32,                     // [seed] 32 bit-level PE lanes
        .lane_dims = 64,                 // [CN] 64-dim x 12-bit Q against a 1-bit K plane per lane
        .scoreboard_entries = 32,        // REFERENCE §6.1: borrowed from PADE (32 x 45 b) [PR]
        .scheduler = scheduler_kind::out_of_order,  // [seed] BAP
        .bidirectional = false,
        .head_tail = false,
        .q_bits = 12,                    // [KR][CN] INT12 PTQ
        .k_bits = 12,                    // 12 bit-planes
        .v_bits = 12,
        .v_macs = 64,                    // [CN] 64-way INT12 MAC V-PU
        .exp_units = 4,                  // LUT softmax; assumed 4 per cycle (never the bottleneck)
        .area_cells = 0.0,
        .predictor_area_fraction = 0.0,
        .predictor_bits = 4,
        .load_balance = 1.0,
        .query_rows = calibration::bitstopper_query_rows,  // not published; derived in calibration.hpp
        .key_tile = 64,
        .peak_tflops = 0.0,
        .compute_efficiency = 1.0,
    },
    .mem = {
        .kv_sram_kib = 320,              // [CN] 320 KB K/V SRAM
        .q_sram_kib = 8,                 // [CN] 8 KB Q buffer
        .misc_sram_kib = 24,             // REFERENCE §6.1: ~24 KB misc (352 KB total, as PADE)
        .dram_gb_per_s = 256.0,          // [CN] HBM2 8 x 128 b x 2 Gb/s
        .dram_efficiency_stream = 0.8,    // REFERENCE §6.1 / PADE Fig. 23b: dense 70-80%+
        .dram_efficiency_gather = 0.58,  // PADE Fig. 23b: bit-plane-first layout 58%
        .dram_latency_cycles = latency_cycles(1000.0),
        .burst_bytes = 32,               // HBM2 BL4 x 64 b pseudo-channel
        .block_tokens = 32,              // DESIGN.md §3 storage blocks
        .query_tile = calibration::bitstopper_query_rows,  // no query tiling: planes fetched per row group
    },
    .energy = energy_28nm,
};

/// BitStopper without BAP: the same hardware with lock-step rounds (its ablation, 48% utilisation).
inline constexpr accel_config bitstopper_lockstep = bitstopper.with_scheduler(scheduler_kind::lockstep);

/// PADE (arXiv 2512.14322, HPCA'26), Table III [PR]: TSMC 28 nm, 800 MHz, 128 lanes (8 rows x 16),
/// GSAT lanes (8 groups x 8 dims, bidirectional sparsity), 32-entry scoreboards, QK:V throughput
/// 8:1, INT8, 352 KB SRAM with a 320 KB KV buffer, HBM2 256 GB/s.
inline constexpr accel_config pade{
    .kind = accelerator_kind::pade,
    .clock_mhz = 800.0,   // [PR] 800 MHz
    .node_nm = 28,        // [PR] TSMC 28 nm
    .pe = {
        .lanes = 128,                    // [PR] 128 bit-wise PE lanes (8 rows x 16 lanes)
        .lane_dims = 64,                 // [PR] GSAT: 8 sub-groups x 8 dims
        .scoreboard_entries = 32,        // [PR] 32 entries x 45 b per lane
        .scheduler = scheduler_kind::out_of_order,  // [PR] BS-OOE
        .bidirectional = true,           // [PR] bidirectional sparsity, <= 50% active bits
        .head_tail = true,               // [PR] ISTA head-tail interleaving
        .q_bits = 8,                     // [KR][PR] INT8
        .k_bits = 8,                     // 8 bit-planes
        .v_bits = 8,
        .v_macs = 128,                   // [PR] QK:V = 8:1; 128 lanes / 8 planes = 16 keys/cycle, V 2 keys x 64 dims
        .exp_units = 4,                  // assumed, as BitStopper
        .area_cells = 0.0,
        .predictor_area_fraction = 0.0,
        .predictor_bits = 4,
        .load_balance = 1.0,
        .query_rows = 8,                 // [PR] 8 rows of lanes share the K plane stream
        .key_tile = 64,                  // ISTA Bc not published; REFERENCE §6.2 suggests 64-256
        .peak_tflops = 0.0,
        .compute_efficiency = 1.0,
    },
    .mem = {
        .kv_sram_kib = 320,              // [PR] 320 KB KV buffer
        .q_sram_kib = 8,
        .misc_sram_kib = 24,             // [PR] 352 KB in total
        .dram_gb_per_s = 256.0,          // [PR] HBM2 256 GB/s
        .dram_efficiency_stream = 0.8,    // [PR] Fig. 23b dense 70-80%+
        .dram_efficiency_gather = 0.58,  // [PR] Fig. 23b bit-plane layout ~58%
        .dram_latency_cycles = latency_cycles(800.0),
        .burst_bytes = 32,               // [PR] burst length 4 x 64 b
        .block_tokens = 32,
        .query_tile = 0,                 // [PR] ISTA: FlashAttention-style tiles; rows = Q buffer capacity
    },
    .energy = energy_28nm,
};

/// NVIDIA H100 SXM5 as a roofline: 989.4 TFLOPS dense FP16 tensor peak and 3.35 TB/s HBM3
/// (NVIDIA datasheet), derated (calibration.hpp). FlashAttention-3 tiles of 128 query rows.
inline constexpr accel_config h100{
    .kind = accelerator_kind::gpu_roofline,
    .clock_mhz = 1980.0,  // boost clock (datasheet); only converts cycles to seconds
    .node_nm = 4,         // TSMC 4N
    .pe = {
        .lanes = 0, .lane_dims = 64, .scoreboard_entries = 0,
        .scheduler = scheduler_kind::lockstep, .bidirectional = false, .head_tail = false,
        .q_bits = 16, .k_bits = 16, .v_bits = 16,  // FP16
        .v_macs = 0, .exp_units = 1,
        .area_cells = 0.0, .predictor_area_fraction = 0.0, .predictor_bits = 4, .load_balance = 1.0,
        .query_rows = 128,               // FA3 query tile (prefill); decode shares only within GQA groups
        .key_tile = 128,
        .peak_tflops = 989.4,            // datasheet, dense FP16/BF16 tensor
        .compute_efficiency = calibration::h100_compute_efficiency,
    },
    .mem = {
        .kv_sram_kib = 51200, .q_sram_kib = 0, .misc_sram_kib = 0,  // 50 MB L2 keeps a head's K/V for its query tiles
        .dram_gb_per_s = 3350.0,         // datasheet HBM3
        .dram_efficiency_stream = calibration::h100_bandwidth_efficiency,
        .dram_efficiency_gather = calibration::h100_bandwidth_efficiency,
        .dram_latency_cycles = 0,
        .burst_bytes = 32,
        .block_tokens = 32,
        .query_tile = 128,               // FA3 query tile
    },
    .energy = {
        .cell_pj = 0.0, .log_add_cells = 0.0, .sram_read_pj_per_bit = 0.0, .sram_write_pj_per_bit = 0.0,
        .dram_pj_per_bit = calibration::hbm3_pj_per_bit,
        .exp_pj = 0.0, .scoreboard_rmw_pj = 0.0, .compare_pj = 0.0,
        .static_power_w = calibration::h100_idle_power_w,
        .board_power_w = calibration::h100_board_power_w,
    },
};

/// A baseline normalised to `host` the way PADE normalised its baselines [PR]: same node, clock,
/// PE-array area (in cells), SRAM, DRAM, energy table and dataflow (query rows sharing a K/V
/// stream); operands at the host's precision; the baseline's own mechanism (model/accelerators.hpp).
/// For `kind == host.kind` the host itself is returned; for a bit-serial kind the host's lanes are
/// kept with that design's features.
[[nodiscard]] constexpr accel_config baseline(const accel_config& host, accelerator_kind kind) noexcept {
  if (kind == host.kind) return host;
  accel_config c = host;
  c.kind = kind;
  if (is_mac_array(kind)) {
    c.pe.area_cells = pe_area_cells(host);
    c.pe.q_bits = host.pe.v_bits;
    c.pe.k_bits = host.pe.v_bits;
    c.pe.v_bits = host.pe.v_bits;
    c.pe.predictor_area_fraction = 0.0;  // ideal split of the area (an upper bound on speed)
    c.pe.predictor_bits = kind == accelerator_kind::energon ? 2 : 4;
    c.pe.load_balance = (kind == accelerator_kind::sofa || kind == accelerator_kind::spatten)
                            ? calibration::topk_load_balance
                            : (kind == accelerator_kind::dense ? 1.0 : calibration::irregular_load_balance);
    c.pe.lanes = 0;
    c.pe.bidirectional = false;
    c.pe.head_tail = false;
  } else if (kind == accelerator_kind::gpu_roofline) {
    return h100;
  }
  return c;
}

/// The configuration of `kind` in a comparison hosted by `host`: the host itself, another
/// bit-serial design's own preset, a MAC-array baseline normalised to the host, or the H100.
[[nodiscard]] constexpr accel_config for_comparison(accelerator_kind kind, const accel_config& host) noexcept {
  if (kind == host.kind) return host;
  if (kind == accelerator_kind::bitstopper) return bitstopper;
  if (kind == accelerator_kind::pade) return pade;
  return baseline(host, kind);
}

/// A design scaled by `factor`: lanes, V-PU, area, SRAM, bandwidth and static power times factor.
[[nodiscard]] constexpr accel_config scaled(const accel_config& c, int factor) noexcept {
  accel_config s = c;
  s.pe.lanes *= factor;
  s.pe.v_macs *= factor;
  s.pe.exp_units *= factor;
  s.pe.area_cells *= factor;
  s.mem.kv_sram_kib *= factor;
  s.mem.q_sram_kib *= factor;
  s.mem.misc_sram_kib *= factor;
  s.mem.dram_gb_per_s *= factor;
  s.energy.static_power_w *= factor;
  return s;
}

/// PADE scaled to the H100's memory bandwidth for the GPU comparison (calibration.hpp).
inline constexpr accel_config pade_h100_scale = [] {
  accel_config s = scaled(pade, calibration::pade_h100_scale);
  s.mem.dram_gb_per_s = 3350.0;  // exactly the H100's bandwidth
  return s;
}();

}  // namespace bitsieve::model::presets
