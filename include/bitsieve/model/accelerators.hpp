// SPDX-License-Identifier: Apache-2.0
/// \file model/accelerators.hpp
/// The accelerator mechanisms. Each `evaluate_<design>` counts what the design reads, computes
/// (at what width) and decides, derives its cycles from throughput, DRAM bandwidth and latency,
/// utilisation and pipeline overlap, and prices the counts with the configuration's energy table.
///
/// Shared dataflow (all designs, so that comparisons are like for like):
/// - K/V of a unit (layer, KV head, batch element) stream from DRAM once per group of
///   `pe.query_rows` rows (or once per unit when K and V fit in the KV buffer);
/// - a pipeline of key tiles (`pe.key_tile`) overlaps the first stage (QK lanes / predictor) with
///   the second (V-PU / executor); one tile of the shorter stage is exposed per pass;
/// - cycles = max(pipelined compute, DRAM transfer at the achieved efficiency);
/// - energy = price(activity) with static power over the latency.
///
/// Per design (details in each function's comment and in docs/model.md):
/// - dense: every pair, QK and SV on the MAC array, K and V read in full;
/// - sanger: 4-bit predictor over all pairs (K quantised on chip from the full K it reads), softmax
///   of the predicted scores and a probability threshold, then the executor re-reads the kept K
///   rows and V rows at full width;
/// - dota: a rank d/4 INT4 detector whose low-rank projections act on the hidden state, then the
///   executor on the kept rows;
/// - sofa: log-domain (leading-zero) predictor over all pairs, top-k sort per tile, SU-FA executor
///   on the kept keys with the K tile still on chip (cross-stage tiling: no K re-read);
/// - spatten: QK of every pair with the 4 K MSBs, LSB refetch and recompute for flat rows, top-k
///   engine (16 comparators), SV on the kept keys;
/// - energon: INT2 filter round over all pairs, INT4 round over its survivors, full precision on
///   the final survivors, K bits fetched progressively;
/// - bitstopper / pade: stage fusion: each live key's planes MSB first on bit-serial lanes whose
///   utilisation comes from the scheduler simulation (model/scheduler_sim.hpp), block-granular plane
///   fetches, V rows of survivors only; PADE adds bidirectional lanes and ISTA head-tail tiles;
/// - gpu_roofline: FP16 FlashAttention-style roofline, board power x time.
/// The predictor-based designs keep more keys than the exact bound at the same accuracy
/// (model/iso_accuracy.hpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

#include "bitsieve/core/error.hpp"
#include "bitsieve/model/activity.hpp"
#include "bitsieve/model/calibration.hpp"
#include "bitsieve/model/config.hpp"
#include "bitsieve/model/iso_accuracy.hpp"
#include "bitsieve/model/scheduler_sim.hpp"
#include "bitsieve/model/workload.hpp"

namespace bitsieve::model {

namespace detail {

/// Where the pairs come from and how often K/V stream from DRAM.
struct geometry {
  double pairs = 0.0;
  double queries = 0.0;
  double units = 0.0;
  double keys_per_unit = 0.0;
  double rows_per_unit = 0.0;
  bool kv_resident = false;     ///< K and V stay in the KV buffer: fetched once per unit
  double dram_rows = 1.0;       ///< rows sharing one DRAM fetch of a key (query tile)
  double hw_rows = 1.0;         ///< rows sharing one SRAM read of a key in a dense stage
  double key_visits = 0.0;      ///< key fetches from DRAM = pairs / dram_rows (>= one per key)
  double sram_key_reads = 0.0;  ///< key reads from SRAM in a dense stage = pairs / hw_rows
  double tiles_per_query = 1.0; ///< key tiles one row visits on average
  double tiles_per_pass = 1.0;  ///< key tiles per pass of a query tile over its keys
};

/// The dataflow shared by every design (see the file comment). K/V stay resident when they fit
/// in the KV buffer for as long as they are reused: one unit's K/V for a prefill (its rows run
/// back to back), the whole KV cache for decode (every unit runs before the next step).
[[nodiscard]] inline geometry make_geometry(const accel_config& c, const workload_shape& w, int k_bits,
                                            int v_bits) {
  geometry g;
  g.pairs = w.pairs();
  g.queries = w.queries();
  g.units = w.units();
  g.keys_per_unit = w.keys_per_unit();
  g.rows_per_unit = w.rows_per_unit();
  const double unit_kv_bytes = g.keys_per_unit * w.head_dim * (k_bits + v_bits) / 8.0;
  const double reused_kv_bytes = w.ph == phase::prefill ? unit_kv_bytes : unit_kv_bytes * g.units;
  g.kv_resident = reused_kv_bytes <= static_cast<double>(c.mem.kv_sram_kib) * 1024.0;
  // prefill rows of a unit can be grouped freely; decode rows of different steps are sequential,
  // only the query heads of a GQA group run together
  const double shareable = w.ph == phase::prefill ? g.rows_per_unit : static_cast<double>(w.group());
  g.hw_rows = std::max(1.0, std::min<double>(c.pe.query_rows, shareable));
  const double q_row_bytes = w.head_dim * static_cast<double>(c.pe.q_bits) / 8.0;
  const double tile = c.mem.query_tile > 0 ? static_cast<double>(c.mem.query_tile)
                                           : std::floor(c.mem.q_sram_kib * 1024.0 / q_row_bytes);
  const double tile_rows = std::max(g.hw_rows, std::min(tile, shareable));
  g.dram_rows = g.kv_resident ? g.rows_per_unit : tile_rows;
  g.key_visits = std::max(g.units * g.keys_per_unit, g.pairs / g.dram_rows);
  g.sram_key_reads = g.pairs / g.hw_rows;
  const double keys_per_query = g.pairs / g.queries;
  g.tiles_per_query = std::max(1.0, std::ceil(keys_per_query / c.pe.key_tile));
  g.tiles_per_pass = std::max(1.0, std::ceil(g.keys_per_unit / c.pe.key_tile));
  return g;
}

/// Bytes of one row of d elements at `bits`, fetched alone (rounded up to bursts).
[[nodiscard]] inline double row_bytes(int d, int bits, int burst) {
  const double raw = std::ceil(d * static_cast<double>(bits) / 8.0);
  return std::ceil(raw / burst) * burst;
}

/// Bytes of one row of d elements at `bits` inside a contiguous stream (no rounding).
[[nodiscard]] inline double stream_bytes(int d, int bits) { return d * static_cast<double>(bits) / 8.0; }

/// Probability that at least one of `rows` rows (correlation rho) needs an item each needs with
/// probability p: 1 - (1 - p)^(1 + (rows - 1)(1 - rho)).
[[nodiscard]] inline double union_of_rows(double p, double rows, double rho) {
  if (p <= 0.0) return 0.0;
  if (p >= 1.0) return 1.0;
  const double g = 1.0 + (rows - 1.0) * (1.0 - rho);
  return 1.0 - std::pow(1.0 - p, g);
}

/// Expected record highs of a random sequence of t tiles (harmonic number): online-softmax max
/// updates per row.
[[nodiscard]] inline double max_updates(double tiles) {
  if (tiles <= 1.0) return 1.0;
  if (tiles < 64.0) {
    double h = 0.0;
    for (int i = 1; i <= static_cast<int>(tiles); ++i) h += 1.0 / i;
    return h;
  }
  return std::log(tiles) + 0.5772156649015329 + 1.0 / (2.0 * tiles);
}

/// E[min(ones, zeros)] / d for a plane of d random bits (bidirectional lanes' active fraction).
[[nodiscard]] inline double bidirectional_active_fraction(int d) {
  double e = 0.0;
  for (int k = 0; k <= d; ++k) {
    const double logp = std::lgamma(d + 1.0) - std::lgamma(k + 1.0) - std::lgamma(d - k + 1.0) - d * std::log(2.0);
    e += std::exp(logp) * std::min(k, d - k);
  }
  return e / d;
}

/// DRAM cycles: streamed bytes at the streaming efficiency, fine-grained ones at the gather one.
[[nodiscard]] inline double dram_cycles(const accel_config& c, const activity& a) {
  const double per_cycle = c.dram_bytes_per_cycle();
  return (a.dram_bytes - a.dram_gather_bytes) / (per_cycle * c.mem.dram_efficiency_stream) +
         a.dram_gather_bytes / (per_cycle * c.mem.dram_efficiency_gather);
}

/// Fills the common report fields from the activity and cycles.
inline void finish(report& r, const accel_config& c) {
  r.latency_s = r.cycles / c.clock_hz();
  r.dram_bytes = r.act.dram_bytes;
  r.energy = price(r.act, c.energy, r.latency_s);
  r.energy_j = r.energy.total();
}

/// Adds a DRAM read that lands in the on-chip buffer.
inline void add_dram_read(activity& a, double bytes, bool gathered, bool is_k) {
  a.dram_bytes += bytes;
  (is_k ? a.dram_k_bytes : a.dram_v_bytes) += bytes;
  if (gathered) a.dram_gather_bytes += bytes;
  a.sram_write_bits += 8.0 * bytes;
}

/// Q reads and output writes, shared by every design.
inline void add_query_and_output(activity& a, const accel_config& c, const geometry& g, int d) {
  const double q = g.queries * stream_bytes(d, c.pe.q_bits);
  const double o = g.queries * stream_bytes(d, 16);
  a.dram_bytes += q + o;
  a.sram_write_bits += 8.0 * q + 8.0 * o;  // Q fill, output buffer
  a.sram_read_bits += 8.0 * q + 8.0 * o;   // Q to the PEs, output drain
}

/// Work of a MAC-array design, in cells, for its compute time.
struct mac_time {
  double predictor_cells = 0.0;  ///< first stage (predictor / filter / low-precision QK), all pairs
  double executor_cells = 0.0;   ///< second stage on the kept pairs, before load-balance losses
  double exps = 0.0;
  double sort_comparisons = 0.0; ///< on a dedicated engine of `comparators` per cycle
  double comparators = 0.0;
};

/// Compute cycles of a MAC-array design: the predictor and executor share the area (ideal split
/// when predictor_area_fraction == 0, an upper bound on the baseline's speed; else a fixed split
/// pipelined over key tiles).
inline void mac_array_cycles(report& r, const accel_config& c, const geometry& g, const mac_time& t) {
  const double area = c.pe.area_cells;
  const double exec = t.executor_cells / c.pe.load_balance;
  double busy = 0.0;
  if (c.pe.predictor_area_fraction > 0.0) {
    const double f = c.pe.predictor_area_fraction;
    r.qk_cycles = t.predictor_cells / (f * area);
    r.v_cycles = exec / ((1.0 - f) * area);
    busy = std::max(r.qk_cycles, r.v_cycles) + std::min(r.qk_cycles, r.v_cycles) / g.tiles_per_pass;
  } else {
    r.qk_cycles = t.predictor_cells / area;
    r.v_cycles = exec / area;
    busy = r.qk_cycles + r.v_cycles;  // one shared array: no stage waits for the other
  }
  const double exp_cycles = t.exps / c.pe.exp_units;
  const double sort_cycles = t.comparators > 0.0 ? t.sort_comparisons / t.comparators : 0.0;
  r.compute_cycles = std::max({busy, exp_cycles, sort_cycles});
  r.dram_cycles = dram_cycles(c, r.act);
  r.cycles = std::max(r.compute_cycles, r.dram_cycles);
  r.utilization = r.cycles > 0.0 ? (t.predictor_cells + t.executor_cells) / (area * r.cycles) : 0.0;
}

/// The executor on `kept` of the pairs at width b: QK (when `qk`) and SV MACs, the kept K and V
/// rows read from SRAM once per group of rows processed together that kept them (the union over
/// `hw_rows`, correlation rho), the softmax and the online rescales.
inline void add_executor(activity& a, mac_time& t, const geometry& g, int d, int b, double kept, bool qk,
                         double rho) {
  const double pairs = g.pairs * kept;
  const double macs = pairs * d * (qk ? 2.0 : 1.0);
  a.add_macs(b, b, macs);
  t.executor_cells += macs * mac_cells(b, b);
  const double row_reads = g.sram_key_reads * union_of_rows(kept, g.hw_rows, rho);
  a.sram_read_bits += row_reads * d * static_cast<double>(b) * (qk ? 2.0 : 1.0);
  const double updates = g.queries * max_updates(g.tiles_per_query);
  a.add_macs(b, b, updates * d);  // rescale the output accumulator
  t.executor_cells += updates * d * mac_cells(b, b);
  a.exps += pairs + updates;
  t.exps += pairs + updates;
  a.comparisons += pairs;  // running max
}

/// Adds the prediction stage's actions to the total and records their dynamic energy.
inline void merge_predictor(report& r, const activity& pr, const accel_config& c) {
  r.act += pr;
  r.predictor_energy_j = price(pr, c.energy, 0.0).total();
}

/// Kept rows fetched from DRAM for a query tile: the union of the tile's rows' kept sets.
inline double kept_union(double kept, const geometry& g, double rho) {
  return union_of_rows(kept, g.dram_rows, rho);
}

}  // namespace detail

/// Dense attention on a MAC array of the configured area: every pair's QK and SV at full width,
/// K and V streamed in full once per query tile, operands shared by the array's rows.
[[nodiscard]] inline report evaluate_dense(const accel_config& c, const workload& w) {
  const auto& s = w.shape;
  const int d = s.head_dim;
  const int b = c.pe.v_bits;
  const auto g = detail::make_geometry(c, s, b, b);
  report r;
  r.kind = c.kind;
  activity& a = r.act;
  detail::add_dram_read(a, g.key_visits * detail::stream_bytes(d, b), false, true);
  detail::add_dram_read(a, g.key_visits * detail::stream_bytes(d, b), false, false);
  detail::add_query_and_output(a, c, g, d);
  detail::mac_time t;
  detail::add_executor(a, t, g, d, b, 1.0, true, 1.0);
  detail::mac_array_cycles(r, c, g, t);
  r.kept_fraction = 1.0;
  r.k_fetch_fraction = 1.0;
  detail::finish(r, c);
  return r;
}

/// Sanger: the 4-bit predictor computes every pair's score from K quantised on chip (it reads the
/// full K), a softmax of the predicted scores and a probability threshold make the mask, and the
/// executor re-reads the kept K rows and V rows at full width (stage split: the predictor pass
/// over all keys ends before the mask is known).
[[nodiscard]] inline report evaluate_sanger(const accel_config& c, const workload& w) {
  const auto& s = w.shape;
  const int d = s.head_dim;
  const int b = c.pe.v_bits;
  const int pb = c.pe.predictor_bits;
  const auto g = detail::make_geometry(c, s, b, b);
  const pruning_stats st = with_histogram(w.stats);
  const double kept = iso_accuracy_kept(st.kept_fraction, quantization_error(pb, pb));
  const double kept_dram = detail::kept_union(kept, g, st.row_correlation);
  const double row = detail::row_bytes(d, b, c.mem.burst_bytes);
  report r;
  r.kind = c.kind;
  activity& a = r.act;
  detail::add_dram_read(a, g.key_visits * detail::stream_bytes(d, b), false, true);  // predictor pass
  detail::add_dram_read(a, g.key_visits * kept_dram * row, true, true);              // kept K rows again
  detail::add_dram_read(a, g.key_visits * kept_dram * row, true, false);             // kept V rows
  detail::add_query_and_output(a, c, g, d);
  detail::mac_time t;
  activity pr;  // the prediction / filtering stage, priced separately too
  pr.sram_read_bits += g.sram_key_reads * d * static_cast<double>(b);  // K to the predictor array
  pr.comparisons += g.key_visits * d;                                  // on-chip quantisation to pb bits
  pr.add_macs(pb, pb, g.pairs * d);                                    // predicted scores
  t.predictor_cells += g.pairs * d * mac_cells(pb, pb);
  pr.sram_write_bits += g.pairs * 8.0;                                 // predicted scores, then re-read
  pr.sram_read_bits += g.pairs * 8.0;
  pr.exps += g.pairs;                                                  // softmax of the predicted scores
  t.exps += g.pairs;
  pr.comparisons += g.pairs;                                           // probability threshold
  detail::merge_predictor(r, pr, c);
  detail::add_executor(a, t, g, d, b, kept, true, st.row_correlation);
  detail::mac_array_cycles(r, c, g, t);
  r.kept_fraction = kept;
  r.k_fetch_fraction = a.dram_k_bytes / (g.key_visits * detail::stream_bytes(d, b));
  detail::finish(r, c);
  return r;
}

/// DOTA: a trained rank-d/4 detector at INT4 whose projections act on the hidden state X
/// (Q~ = X W~q, K~ = X W~k, with W~ of d_model x d/4 per head): every token's K~ and every row's Q~
/// cost d_model x d/4 MACs per head. In prefill X is on chip (the QKV projection reads it anyway)
/// and K~ stays on chip; in decode the past tokens' K~ is stored beside the KV cache and read per
/// fetch. Every pair is scored in the rank-d/4 space, a threshold keeps the rest, and the executor
/// fetches the kept K and V rows.
[[nodiscard]] inline report evaluate_dota(const accel_config& c, const workload& w) {
  const auto& s = w.shape;
  const int d = s.head_dim;
  const int b = c.pe.v_bits;
  const int pb = c.pe.predictor_bits;
  const int rank = std::max(1, d / 4);
  const double d_model = static_cast<double>(s.heads) * d;
  const auto g = detail::make_geometry(c, s, b, b);
  const pruning_stats st = with_histogram(w.stats);
  const double qerr = quantization_error(pb, pb);
  const double kept = iso_accuracy_kept(st.kept_fraction, std::sqrt(qerr * qerr + calibration::dota_low_rank_residual));
  const double kept_dram = detail::kept_union(kept, g, st.row_correlation);
  const double row = detail::row_bytes(d, b, c.mem.burst_bytes);
  const double keys = g.units * g.keys_per_unit;
  report r;
  r.kind = c.kind;
  activity& a = r.act;
  if (s.ph == phase::decode) detail::add_dram_read(a, g.key_visits * detail::stream_bytes(rank, pb), false, true);
  detail::add_dram_read(a, g.key_visits * kept_dram * row, true, true);
  detail::add_dram_read(a, g.key_visits * kept_dram * row, true, false);
  detail::add_query_and_output(a, c, g, d);
  detail::mac_time t;
  activity pr;  // the prediction / filtering stage, priced separately too
  // K~ of every token (prefill; in decode only the new rows' tokens) and Q~ of every row
  const double projected = (s.ph == phase::prefill ? keys : 0.0) + g.queries;
  const double projections = projected * d_model * rank;
  pr.sram_read_bits += projected * d_model * static_cast<double>(b);  // X rows to the detector
  pr.add_macs(b, pb, projections);
  t.predictor_cells += projections * mac_cells(b, pb);
  pr.sram_read_bits += g.sram_key_reads * rank * static_cast<double>(pb);
  pr.add_macs(pb, pb, g.pairs * rank);
  t.predictor_cells += g.pairs * rank * mac_cells(pb, pb);
  pr.comparisons += g.pairs;  // threshold
  detail::merge_predictor(r, pr, c);
  detail::add_executor(a, t, g, d, b, kept, true, st.row_correlation);
  detail::mac_array_cycles(r, c, g, t);
  r.kept_fraction = kept;
  r.k_fetch_fraction = a.dram_k_bytes / (g.key_visits * detail::stream_bytes(d, b));
  detail::finish(r, c);
  return r;
}

/// SOFA: leading-zero encodings of q and k, a log-domain add-only estimate of every pair (DLZS),
/// top-k per tile by distributed sorting (SADS), and the SU-FA executor on the kept keys while
/// the K tile is still on chip (cross-stage tiling), so only the kept V rows are fetched again.
[[nodiscard]] inline report evaluate_sofa(const accel_config& c, const workload& w) {
  const auto& s = w.shape;
  const int d = s.head_dim;
  const int b = c.pe.v_bits;
  const auto g = detail::make_geometry(c, s, b, b);
  const pruning_stats st = with_histogram(w.stats);
  const double kept = fixed_topk_kept(iso_accuracy_kept(st.kept_fraction, log_domain_error()));
  const double kept_dram = detail::kept_union(kept, g, st.row_correlation);
  report r;
  r.kind = c.kind;
  activity& a = r.act;
  detail::add_dram_read(a, g.key_visits * detail::stream_bytes(d, b), false, true);
  detail::add_dram_read(a, g.key_visits * kept_dram * detail::row_bytes(d, b, c.mem.burst_bytes), true, false);
  detail::add_query_and_output(a, c, g, d);
  detail::mac_time t;
  activity pr;  // the prediction / filtering stage, priced separately too
  pr.sram_read_bits += g.sram_key_reads * d * static_cast<double>(b);  // K to the leading-zero encoders
  pr.comparisons += (g.key_visits + g.queries) * d;                     // leading-zero encoders
  pr.log_adds += g.pairs * d;
  t.predictor_cells += g.pairs * d * c.energy.log_add_cells;
  const double sort_depth = std::ceil(std::log2(std::max(2.0, kept * c.pe.key_tile)));
  pr.comparisons += g.pairs * sort_depth;                               // top-k per tile
  t.predictor_cells += g.pairs * sort_depth * static_cast<double>(b);  // comparators in the array
  detail::merge_predictor(r, pr, c);
  detail::add_executor(a, t, g, d, b, kept, true, st.row_correlation);
  detail::mac_array_cycles(r, c, g, t);
  r.kept_fraction = kept;
  r.k_fetch_fraction = a.dram_k_bytes / (g.key_visits * detail::stream_bytes(d, b));
  detail::finish(r, c);
  return r;
}

/// SpAtten: K MSBs first; QK of every pair with them on the multiplier array (operands shared by
/// its rows), softmax of every row; rows whose softmax is flat refetch the K LSBs and recompute; a
/// top-k engine (16 comparators) keeps the top keys; SV on the kept keys.
[[nodiscard]] inline report evaluate_spatten(const accel_config& c, const workload& w) {
  const auto& s = w.shape;
  const int d = s.head_dim;
  const int b = c.pe.v_bits;
  const int msb = std::min(b, calibration::spatten_msb_bits);
  const double requant = calibration::spatten_requant_fraction;
  const auto g = detail::make_geometry(c, s, b, b);
  const pruning_stats st = with_histogram(w.stats);
  const double kept_msb = iso_accuracy_kept(st.kept_fraction, quantization_error(0, msb));
  const double kept = fixed_topk_kept(requant * st.kept_fraction + (1.0 - requant) * kept_msb);
  const double kept_dram = detail::kept_union(kept, g, st.row_correlation);
  const double requant_dram = detail::kept_union(requant, g, st.row_correlation);
  report r;
  r.kind = c.kind;
  activity& a = r.act;
  detail::add_dram_read(a, g.key_visits * detail::stream_bytes(d, msb), false, true);
  detail::add_dram_read(a, g.key_visits * requant_dram * detail::stream_bytes(d, b - msb), false, true);
  detail::add_dram_read(a, g.key_visits * kept_dram * detail::row_bytes(d, b, c.mem.burst_bytes), true, false);
  detail::add_query_and_output(a, c, g, d);
  detail::mac_time t;
  activity pr;  // the prediction / filtering stage, priced separately too
  pr.sram_read_bits += g.sram_key_reads * d * (msb + requant * (b - msb));
  pr.add_macs(b, msb, g.pairs * d);
  t.predictor_cells += g.pairs * d * mac_cells(b, msb);
  pr.add_macs(b, b, requant * g.pairs * d);  // recompute with the LSBs
  t.predictor_cells += requant * g.pairs * d * mac_cells(b, b);
  pr.sram_write_bits += g.pairs * 16.0;      // scores for the top-k engine
  pr.sram_read_bits += g.pairs * 16.0;
  pr.exps += g.pairs * (1.0 + requant);      // softmax of every row (again after requantisation)
  t.exps += g.pairs * (1.0 + requant);
  const double quickselect = 3.0;           // expected comparisons per element of QuickSelect
  pr.comparisons += g.pairs * quickselect;
  t.sort_comparisons += g.pairs * quickselect;
  t.comparators = 16.0;                     // mit-han-lab/spatten: topk_parallelism = 16
  detail::merge_predictor(r, pr, c);
  detail::add_executor(a, t, g, d, b, kept, false, st.row_correlation);  // SV only: QK was done above
  detail::mac_array_cycles(r, c, g, t);
  r.kept_fraction = kept;
  r.k_fetch_fraction = a.dram_k_bytes / (g.key_visits * detail::stream_bytes(d, b));
  detail::finish(r, c);
  return r;
}

/// Energon: mixed-precision multi-round filtering. Round 1 scores every pair at INT2 (the 2 K MSBs)
/// and keeps those above the row mean; round 2 scores those at INT4 (2 more bits fetched) and keeps
/// what the INT4 error allows at iso-accuracy; the attention unit recomputes the final survivors at
/// full width with their remaining bits and V rows.
[[nodiscard]] inline report evaluate_energon(const accel_config& c, const workload& w) {
  const auto& s = w.shape;
  const int d = s.head_dim;
  const int b = c.pe.v_bits;
  const int b1 = std::min(b, c.pe.predictor_bits);  // INT2
  const int b2 = std::min(b, 2 * b1);               // INT4
  const auto g = detail::make_geometry(c, s, b, b);
  const pruning_stats st = with_histogram(w.stats);
  // round 1 keeps the keys above the row mean (Energon's mean-based threshold); the final set is
  // what the INT4 estimate must keep at iso-accuracy, never fewer than the exact design keeps
  const double keep1 = std::max(calibration::energon_round1_keep, st.kept_fraction);
  const double kept =
      std::max(st.kept_fraction, std::min(keep1, iso_accuracy_kept(st.kept_fraction, quantization_error(b2, b2))));
  const double rho = st.row_correlation;
  const double k1_dram = detail::kept_union(keep1, g, rho);
  const double kept_dram = detail::kept_union(kept, g, rho);
  const int burst = c.mem.burst_bytes;
  report r;
  r.kind = c.kind;
  activity& a = r.act;
  detail::add_dram_read(a, g.key_visits * detail::stream_bytes(d, b1), false, true);
  detail::add_dram_read(a, g.key_visits * k1_dram * detail::row_bytes(d, b2 - b1, burst), true, true);
  detail::add_dram_read(a, g.key_visits * kept_dram * detail::row_bytes(d, b - b2, burst), true, true);
  detail::add_dram_read(a, g.key_visits * kept_dram * detail::row_bytes(d, b, burst), true, false);
  detail::add_query_and_output(a, c, g, d);
  detail::mac_time t;
  activity pr;  // the prediction / filtering stage, priced separately too
  pr.sram_read_bits += g.sram_key_reads * d * static_cast<double>(b1) + g.pairs * keep1 * d * (b2 - b1);
  pr.add_macs(b1, b1, g.pairs * d);
  t.predictor_cells += g.pairs * d * mac_cells(b1, b1);
  pr.add_macs(b2, b2, keep1 * g.pairs * d);
  t.predictor_cells += keep1 * g.pairs * d * mac_cells(b2, b2);
  pr.comparisons += g.pairs * 2.0 + keep1 * g.pairs * 2.0;  // row means and thresholds, two rounds
  detail::merge_predictor(r, pr, c);
  detail::add_executor(a, t, g, d, b, kept, true, st.row_correlation);
  detail::mac_array_cycles(r, c, g, t);
  r.kept_fraction = kept;
  r.k_fetch_fraction = a.dram_k_bytes / (g.key_visits * detail::stream_bytes(d, b));
  detail::finish(r, c);
  return r;
}

/// BitStopper and PADE: stage fusion on bit-serial lanes (see the file comment).
/// - every pair reads `mean_planes_per_key` planes (the statistics at the design's key width); a
///   plane is one lane task of ceil(d / lane_dims) cycles: AND tree over the active bits (1-bits,
///   or the rarer of 1s and 0s with bidirectional lanes), a scoreboard update, a keep/drop decision;
/// - the lane rows (pe.query_rows) work on the same key in step: one SRAM read of a plane feeds
///   every row that still needs it;
/// - K planes come from DRAM per storage block (a block's plane is fetched while any of its keys,
///   for any row of the query tile, is live) at the gather efficiency; V rows of survivors;
/// - the lanes' utilisation comes from simulate_scheduler (lockstep or out-of-order) fed with the
///   stop histogram, the DRAM latency and the bandwidth share of the K stream;
/// - the V-PU (v_macs per cycle) runs the survivors' softmax x V, pipelined with the lanes.
[[nodiscard]] inline report evaluate_bit_serial(const accel_config& c, const workload& w) {
  const auto& s = w.shape;
  const int d = s.head_dim;
  const int bits = c.pe.k_bits;
  const int vb = c.pe.v_bits;
  const auto g = detail::make_geometry(c, s, bits, vb);
  const pruning_stats st = with_histogram(w.stats).at_bits(bits);
  const auto surv = st.survival();
  const double k_eff = effective_block_keys(st, c.mem.block_tokens);
  const double rho = st.row_correlation;
  double planes_dram = 0.0;  // block-plane fetches per key visit
  double planes_hw = 0.0;    // plane reads from SRAM per shared read
  for (int p = 0; p < bits; ++p) {
    const double sp = surv[static_cast<std::size_t>(p)];
    const double block_live = 1.0 - std::pow(1.0 - sp, k_eff);
    planes_dram += detail::union_of_rows(block_live, g.dram_rows, rho);
    planes_hw += detail::union_of_rows(sp, g.hw_rows, rho);
  }
  const double vfrac = st.v_rows_fetched_fraction;
  const int burst = c.mem.burst_bytes;
  const int bt = c.mem.block_tokens;
  const double block_plane_bytes = std::ceil(std::ceil(bt * static_cast<double>(d) / 8.0) / burst) * burst;
  const double plane_bytes_per_key = block_plane_bytes / bt;

  report r;
  r.kind = c.kind;
  activity& a = r.act;
  detail::add_dram_read(a, g.key_visits * planes_dram * plane_bytes_per_key, true, true);
  detail::add_dram_read(a, g.key_visits * detail::kept_union(vfrac, g, rho) * detail::row_bytes(d, vb, burst), true,
                        false);
  detail::add_query_and_output(a, c, g, d);
  a.sram_read_bits += g.sram_key_reads * planes_hw * d;  // planes to the lane rows

  const double tasks = g.pairs * st.mean_planes_per_key;
  const double cpt = std::ceil(static_cast<double>(d) / c.pe.lane_dims);
  const double active = st.active_bit_fraction >= 0.0
                            ? st.active_bit_fraction
                            : (c.pe.bidirectional ? detail::bidirectional_active_fraction(d) : 0.5);
  a.add_and_tree(c.pe.q_bits, tasks * d * active);
  a.scoreboard_rmw += tasks;
  a.comparisons += tasks + g.queries * g.tiles_per_query * bits;  // decisions + per-round bounds/threshold
  const double kept_pairs = g.pairs * vfrac;
  const double updates = g.queries * detail::max_updates(g.tiles_per_query) *
                         (c.pe.head_tail ? calibration::head_tail_max_update_factor : 1.0);
  a.add_macs(vb, vb, (kept_pairs + updates) * d);
  // survivors' V rows to the V-PU, once per group of lane rows that kept them
  a.sram_read_bits += g.sram_key_reads * detail::union_of_rows(vfrac, g.hw_rows, rho) * d * static_cast<double>(vb);
  a.exps += kept_pairs + updates;
  a.comparisons += kept_pairs;

  // DRAM time, and the K stream's share of it for the lane simulation
  r.dram_cycles = detail::dram_cycles(c, a);
  const double t_k = a.dram_k_bytes / (c.dram_bytes_per_cycle() * c.mem.dram_efficiency_gather);
  double util = 1.0;
  if (tasks > 0.0) {
    scheduler_params sp;
    sp.kind = c.pe.scheduler;
    sp.lanes = c.pe.lanes;
    sp.entries = c.pe.scoreboard_entries;
    sp.latency_cycles = c.mem.dram_latency_cycles;
    sp.cycles_per_task = static_cast<int>(cpt);
    const double share = r.dram_cycles > 0.0 ? t_k / r.dram_cycles : 1.0;
    sp.dram_bytes_per_cycle = c.dram_bytes_per_cycle() * c.mem.dram_efficiency_gather * std::max(share, 1e-9);
    sp.bytes_per_task = a.dram_k_bytes / tasks;
    for (int p = 0; p <= bits; ++p) {
      sp.stop_histogram[static_cast<std::size_t>(p)] = st.stop_histogram[static_cast<std::size_t>(p)];
    }
    util = simulate_scheduler(sp).utilization;
  }
  r.scheduler_utilization = util;
  r.qk_cycles = tasks * cpt / (c.pe.lanes * util);
  r.v_cycles = (kept_pairs + updates) * d / c.pe.v_macs;
  const double exp_cycles = a.exps / c.pe.exp_units;
  const double fill = std::min(r.qk_cycles, r.v_cycles) / g.tiles_per_pass;
  r.compute_cycles = std::max({r.qk_cycles, r.v_cycles, exp_cycles}) + fill;
  r.cycles = std::max(r.compute_cycles, r.dram_cycles);
  r.utilization = r.cycles > 0.0 ? tasks * cpt / (c.pe.lanes * r.cycles) : 0.0;
  r.kept_fraction = vfrac;
  r.k_fetch_fraction = a.dram_k_bytes / (g.key_visits * detail::stream_bytes(d, bits));
  detail::finish(r, c);
  return r;
}

/// H100 roofline: FP16 QK and SV on the tensor cores at the derated peak, K and V in FP16 once per
/// FlashAttention query tile (prefill) or per GQA group (decode); energy = board power x time.
[[nodiscard]] inline report evaluate_gpu_roofline(const accel_config& c, const workload& w) {
  const auto& s = w.shape;
  const int d = s.head_dim;
  const auto g = detail::make_geometry(c, s, 16, 16);
  report r;
  r.kind = c.kind;
  activity& a = r.act;
  detail::add_dram_read(a, g.key_visits * detail::stream_bytes(d, 16), false, true);
  detail::add_dram_read(a, g.key_visits * detail::stream_bytes(d, 16), false, false);
  a.dram_bytes += g.queries * 2.0 * detail::stream_bytes(d, 16);
  a.flops = g.pairs * 4.0 * d;
  a.exps = g.pairs;
  const double peak = c.pe.peak_tflops * 1e12;
  const double t_compute = a.flops / (peak * c.pe.compute_efficiency);
  const double t_dram = a.dram_bytes / (c.mem.dram_gb_per_s * 1e9 * c.mem.dram_efficiency_stream);
  const double seconds = std::max(t_compute, t_dram);
  r.compute_cycles = t_compute * c.clock_hz();
  r.qk_cycles = r.compute_cycles / 2.0;
  r.v_cycles = r.compute_cycles / 2.0;
  r.dram_cycles = t_dram * c.clock_hz();
  r.cycles = seconds * c.clock_hz();
  r.utilization = seconds > 0.0 ? a.flops / (seconds * peak) : 0.0;
  r.kept_fraction = 1.0;
  r.k_fetch_fraction = 1.0;
  detail::finish(r, c);
  return r;
}

/// Evaluates `c` on `w` with the mechanism of c.kind. Throws bitsieve::invalid_argument for an
/// invalid configuration (naming the field), workload shape or statistics.
[[nodiscard]] inline report evaluate(const accel_config& c, const workload& w) {
  const config_issue issue = check_config(c);
  if (!issue.ok()) {
    throw invalid_argument(std::string("bitsieve::model::evaluate: accel_config.") + issue.field + " " +
                           issue.problem + " (accelerator " + std::string(accelerator_name(c.kind)) + ")");
  }
  w.shape.validate("bitsieve::model::evaluate");
  w.stats.validate("bitsieve::model::evaluate");
  switch (c.kind) {
    case accelerator_kind::dense: return evaluate_dense(c, w);
    case accelerator_kind::sanger: return evaluate_sanger(c, w);
    case accelerator_kind::dota: return evaluate_dota(c, w);
    case accelerator_kind::sofa: return evaluate_sofa(c, w);
    case accelerator_kind::spatten: return evaluate_spatten(c, w);
    case accelerator_kind::energon: return evaluate_energon(c, w);
    case accelerator_kind::bitstopper:
    case accelerator_kind::pade: return evaluate_bit_serial(c, w);
    case accelerator_kind::gpu_roofline: return evaluate_gpu_roofline(c, w);
  }
  throw invalid_argument("bitsieve::model::evaluate: unknown accelerator kind");
}

}  // namespace bitsieve::model
