// SPDX-License-Identifier: Apache-2.0
/// \file model/calibration.hpp
/// Every constant of the performance model that is not a published parameter of a design: each
/// one either assumed (with the reason), derived (with the formula), or fitted (with the target it
/// was fitted to). `calibration_table()` lists them; bitsieve-model --calibration prints it and
/// docs/model.md reproduces it. There is no per-comparison factor: every constant below acts on a
/// mechanism that all designs share, or on one design's own mechanism.
#pragma once

#include <array>
#include <string_view>

namespace bitsieve::model::calibration {

/// One row of the calibration table.
struct entry {
  std::string_view name;
  double value;
  std::string_view kind;    ///< "published", "derived", "assumed" or "fitted"
  std::string_view source;  ///< where the value comes from / what it was fitted to
};

// --- Energy (28 nm) ---------------------------------------------------------------------------
/// pJ per 1b x 1b multiply-accumulate cell: Horowitz ISSCC'14 (45 nm) 8b mult 0.2 pJ + 8b add
/// 0.03 pJ = 0.23 pJ over 80 cells, times 0.5 for 45 nm -> 28 nm (REFERENCE.md §4, §6.4).
/// Gives INT8 MAC 0.115 pJ, INT12 MAC 0.24 pJ, a 12-bit AND-tree input 0.019 pJ (§6.4 ranges).
inline constexpr double cell_pj = 0.23 / 80.0 * 0.5;
/// Cells of one log-domain (leading-zero) term: 0.15 of an INT4 MAC (24 cells), the middle of
/// REFERENCE.md §6.3 "roughly 0.1-0.2 of the prediction energy of a 4-bit multiply predictor".
inline constexpr double log_add_cells = 0.15 * 24.0;
/// SRAM pJ/bit (read and write), CACTI-class 32-320 KB macro at 28 nm: REFERENCE.md §6.4 gives
/// 0.08-0.15; 0.1 is its middle.
inline constexpr double sram_pj_per_bit = 0.10;
/// HBM2 pJ/bit (O'Connor et al. MICRO'17, REFERENCE.md §4).
inline constexpr double hbm2_pj_per_bit = 3.9;
/// One LUT-based exponential (REFERENCE.md §6.4: 1-2 pJ).
inline constexpr double exp_pj = 1.5;
/// One scoreboard read-modify-write, 45-bit register file entry (REFERENCE.md §6.4: 0.1-0.2 pJ).
inline constexpr double scoreboard_rmw_pj = 0.15;
/// One comparison / keep-drop decision (REFERENCE.md §6.4).
inline constexpr double compare_pj = 0.03;
/// Static power: 12% of BitStopper's 703 mW (REFERENCE.md §6.4 assumes 10-15%), given to every
/// design normalised to the same area and SRAM.
inline constexpr double static_power_w = 0.12 * 0.703;

// --- DRAM and dataflow -------------------------------------------------------------------------
/// DRAM request-to-data latency in cycles at 1 GHz. PADE says "tens of cycles" per plane fetch
/// (REFERENCE.md §2.3); fitted within that range to BitStopper's 48% / 83% lane utilisation
/// without / with BAP. Designs at another clock use the same latency in nanoseconds.
inline constexpr double dram_latency_ns = 16.0;
/// BitStopper's query rows per shared K stream. Not published: 32 lanes x 64 b per cycle is
/// exactly 256 GB/s at 1 GHz, so with plane fetches at 58% efficiency (and ~15% more bytes at
/// block granularity) the lanes can only run at its reported 83% if each fetched plane serves
/// 32 x 8 B x 0.83 x 1.15 / (256 B x 0.58) = 1.65 rows; rows sharing a stream fetch the union of
/// their planes (row_correlation), so 2 rows give only 1.6 and 3 rows 2.0: derived, 3.
/// (PADE publishes 8 rows x 16 lanes.)
inline constexpr int bitstopper_query_rows = 3;
/// Correlation of the keep decisions of the rows that share a K stream (0 = independent,
/// 1 = identical): rows fetch the union of their planes. Assumed (no data): neighbouring query
/// rows attend to much the same keys.
inline constexpr double row_correlation = 0.75;
/// Effective independent keys per 32-token storage block when synthesising block-granularity
/// statistics: fitted to DESIGN.md §8's row for the papers' default threshold (lats 0.6 / 5:
/// 5.2 planes per key, 6.1 at 32-key blocks); the synthetic histogram then gives 6.0.
inline constexpr double block_effective_keys = 2.0;

// --- Iso-accuracy: how much more a predictor-based design must keep ----------------------------
/// A design that estimates scores with relative error sigma (std of the score error over the std
/// of the logits) keeps every key whose estimate lies within z * sigma of the exact design's cut,
/// so that it keeps the keys the exact bound keeps (iso-accuracy). Fitted (one value for every
/// design) to the seven BitStopper and PADE accelerator comparisons jointly (it balances the
/// largest over- and under-estimates).
inline constexpr double iso_accuracy_z = 2.7;
/// Per-tensor max over standard deviation of q and k (sets the step of symmetric b-bit
/// quantisation). Assumed: LLM queries and keys have outlier channels (LLM.int8(), KVQuant), so a
/// per-tensor max of about 8 sigma; this is what makes per-tensor 4-bit predictors coarse.
inline constexpr double clip_sigmas = 8.0;
/// Fixed top-k (SOFA per tile, SpAtten per row) cannot follow how many keys each row needs: the
/// adaptive keep fraction varies across the rows and tiles of a head, assumed log-normal with this
/// log-std (DESIGN.md §8 saw a 21x spread between two heads of one layer; within a head, across
/// rows and tiles, we assume far less).
inline constexpr double topk_spread = 0.5;
/// Fraction of rows/tiles a fixed k must serve completely (assumed).
inline constexpr double topk_coverage = 0.9;
/// DOTA: fraction of the score variance its trained rank-d/4 detector does not capture. Assumed:
/// a random rank-d/4 projection keeps a quarter of the variance; the trained one is assumed to
/// keep three quarters (without retraining on the LLM, as in PADE's comparison).
inline constexpr double dota_low_rank_residual = 0.25;
/// SpAtten: fraction of rows whose softmax is flat enough to refetch the K LSBs. Assumed.
inline constexpr double spatten_requant_fraction = 0.3;
/// SpAtten: K MSBs fetched first (REFERENCE.md §6.3: 4-bit MSB fetch).
inline constexpr int spatten_msb_bits = 4;
/// Energon: first filter round keeps the keys above the row mean of its INT2 estimate (about half).
inline constexpr double energon_round1_keep = 0.5;

// --- Executors and baselines ---------------------------------------------------------------------
/// Executor efficiency on irregular sparsity (Sanger pack & split: 0.7-0.9, REFERENCE.md §6.3);
/// also used for DOTA and Energon, whose kept keys are as irregular.
inline constexpr double irregular_load_balance = 0.8;
/// Executor efficiency with top-k per tile (SOFA, SpAtten: every tile keeps the same count).
inline constexpr double topk_load_balance = 0.95;
/// Online-softmax max updates with ISTA head-tail order, relative to sequential order
/// (PADE Fig. 10a: 20-40% fewer, REFERENCE.md §2.4).
inline constexpr double head_tail_max_update_factor = 0.7;

// --- GPU (H100 SXM5) -----------------------------------------------------------------------------
/// FlashAttention-3 reaches about 75% of the FP16 dense tensor peak in prefill (740 of 989 TFLOPS).
inline constexpr double h100_compute_efficiency = 0.75;
/// HBM3 bandwidth fraction reached by attention decode kernels (derated). Assumed.
inline constexpr double h100_bandwidth_efficiency = 0.6;
/// Average board power while running attention (nvidia-smi). Assumed: about 40% of the 700 W TDP
/// for memory-bound decode at batch 16 (compute-bound prefill draws more, but is a small share of
/// the serving time).
inline constexpr double h100_board_power_w = 300.0;
/// Idle board power, counted as static. Assumed.
inline constexpr double h100_idle_power_w = 70.0;
/// HBM3 pJ/bit (REFERENCE.md §4: 3-3.9).
inline constexpr double hbm3_pj_per_bit = 3.5;
/// PADE scaled to the H100's 3.35 TB/s for the GPU comparison (lanes, V-PU, SRAM, static power
/// and bandwidth times this): the 7.43x / 31.1x comparison is only consistent with a PADE of the
/// GPU's memory bandwidth. Derived: 3350 / 256, rounded.
inline constexpr int pade_h100_scale = 13;

/// The table: every constant above with its kind and source.
[[nodiscard]] inline constexpr auto calibration_table() {
  return std::array<entry, 29>{{
      {"cell_pj", cell_pj, "derived", "Horowitz ISSCC'14 8b mult+add 0.23 pJ / 80 cells x 0.5 (45->28 nm)"},
      {"log_add_cells", log_add_cells, "assumed", "0.15 x INT4 MAC (REFERENCE 6.3: 0.1-0.2 of a 4-bit multiply)"},
      {"sram_pj_per_bit", sram_pj_per_bit, "assumed", "REFERENCE 6.4 CACTI-class 0.08-0.15 pJ/bit, middle"},
      {"hbm2_pj_per_bit", hbm2_pj_per_bit, "published", "O'Connor et al. MICRO'17 (REFERENCE 4)"},
      {"exp_pj", exp_pj, "assumed", "REFERENCE 6.4: LUT exp 1-2 pJ"},
      {"scoreboard_rmw_pj", scoreboard_rmw_pj, "assumed", "REFERENCE 6.4: 45-bit RF RMW 0.1-0.2 pJ"},
      {"compare_pj", compare_pj, "assumed", "REFERENCE 6.4"},
      {"static_power_w", static_power_w, "assumed", "12% of BitStopper's 703 mW (REFERENCE 6.4: 10-15%)"},
      {"dram_latency_ns", dram_latency_ns, "fitted", "BitStopper utilisation 48%/83% without/with BAP (PADE: 'tens of cycles')"},
      {"bitstopper_query_rows", bitstopper_query_rows, "derived", "fewest rows per plane fetch that feed 32 lanes at 83% from 58%-efficient HBM2"},
      {"row_correlation", row_correlation, "assumed", "rows sharing a K stream keep mostly the same keys"},
      {"block_effective_keys", block_effective_keys, "fitted", "DESIGN 8, lats 0.6/5 row: 5.2 -> 6.1 planes/key at 32-key blocks"},
      {"iso_accuracy_z", iso_accuracy_z, "fitted", "the 7 accelerator comparisons jointly (one value for all designs)"},
      {"clip_sigmas", clip_sigmas, "assumed", "LLM q/k outlier channels: per-tensor max ~ 8 std"},
      {"topk_spread", topk_spread, "assumed", "log-std of the needed keep fraction across rows/tiles of a head"},
      {"topk_coverage", topk_coverage, "assumed", "a fixed k serves 90% of rows/tiles completely"},
      {"dota_low_rank_residual", dota_low_rank_residual, "assumed", "trained rank-d/4 detector keeps 3/4 of the score variance (random: 1/4)"},
      {"spatten_requant_fraction", spatten_requant_fraction, "assumed", "rows refetching K LSBs"},
      {"spatten_msb_bits", spatten_msb_bits, "published", "REFERENCE 3.4/6.3: 4-bit MSB fetch"},
      {"energon_round1_keep", energon_round1_keep, "assumed", "mean-based threshold keeps about half (REFERENCE 3.5)"},
      {"irregular_load_balance", irregular_load_balance, "published", "Sanger pack & split 0.7-0.9 (REFERENCE 3.1)"},
      {"topk_load_balance", topk_load_balance, "assumed", "top-k per tile: equal counts per tile"},
      {"head_tail_max_update_factor", head_tail_max_update_factor, "published", "PADE Fig. 10a: 20-40% fewer max updates"},
      {"h100_compute_efficiency", h100_compute_efficiency, "published", "FlashAttention-3: ~740 of 989 TFLOPS FP16"},
      {"h100_bandwidth_efficiency", h100_bandwidth_efficiency, "assumed", "derated HBM3 use of decode attention"},
      {"h100_board_power_w", h100_board_power_w, "assumed", "~40% of 700 W TDP in memory-bound decode"},
      {"h100_idle_power_w", h100_idle_power_w, "assumed", "idle board power, reported as static"},
      {"hbm3_pj_per_bit", hbm3_pj_per_bit, "assumed", "REFERENCE 4: HBM3 3-3.9 pJ/bit"},
      {"pade_h100_scale", pade_h100_scale, "derived", "3350 GB/s / 256 GB/s, rounded"},
  }};
}

}  // namespace bitsieve::model::calibration
