// SPDX-License-Identifier: Apache-2.0
/// \file model/workload.hpp
/// What the performance model evaluates: a model shape (`workload_shape`) and the pruning
/// statistics of the bit-serial kernel on it (`pruning_stats`), either documented defaults or
/// measured (`from_attention_stats`, or bitsieve-eval's --json via model/stats_json.hpp).
///
/// Counting conventions (used by every accelerator model):
/// - a *pair* is one (query row, key) the attention considers; prefill is causal, so query i of a
///   sequence of n sees i + 1 keys (n(n+1)/2 pairs per head); decode step s sees seq_len + s keys;
/// - a *unit* is one (layer, KV head, batch element): the K/V one head streams from DRAM;
/// - rows of the same unit that are processed together share one stream of K/V
///   (`pe_array::query_rows`, or all of them when the unit's K and V fit in the KV buffer).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "bitsieve/core/error.hpp"
#include "bitsieve/kernel/stats.hpp"

namespace bitsieve::model {

/// Prefill (all prompt rows, causal) or decode (one new row per step per sequence).
enum class phase : std::uint8_t { prefill, decode };

[[nodiscard]] constexpr std::string_view phase_name(phase p) noexcept {
  return p == phase::prefill ? "prefill" : "decode";
}

/// The attention shape of one model run.
struct workload_shape {
  std::int32_t layers = 1;
  std::int32_t heads = 1;         ///< query heads per layer
  std::int32_t kv_heads = 1;      ///< key/value heads per layer (GQA: heads / kv_heads share one)
  std::int32_t head_dim = 64;
  std::int64_t seq_len = 1024;    ///< prompt length (prefill) or context length before decoding
  std::int32_t batch = 1;         ///< independent sequences
  phase ph = phase::prefill;
  std::int64_t decode_steps = 1;  ///< decode: tokens generated (step s attends seq_len + s keys)

  /// Throws bitsieve::invalid_argument naming the field when the shape is unusable.
  void validate(const char* who) const {
    auto bad = [&](const char* field, long long v) {
      throw invalid_argument(std::string(who) + ": workload " + field + " = " + std::to_string(v) +
                             " is out of range");
    };
    if (layers < 1) bad("layers", layers);
    if (heads < 1) bad("heads", heads);
    if (kv_heads < 1 || kv_heads > heads || heads % kv_heads != 0) bad("kv_heads", kv_heads);
    if (head_dim < 1 || head_dim > 4096) bad("head_dim", head_dim);
    if (seq_len < 1 || seq_len > (std::int64_t{1} << 26)) bad("seq_len", seq_len);
    if (batch < 1) bad("batch", batch);
    if (decode_steps < 1 || decode_steps > (std::int64_t{1} << 26)) bad("decode_steps", decode_steps);
  }
  /// Query heads per KV head.
  [[nodiscard]] constexpr std::int32_t group() const noexcept { return heads / kv_heads; }
  /// (layer, KV head, batch) units.
  [[nodiscard]] constexpr double units() const noexcept {
    return static_cast<double>(layers) * kv_heads * batch;
  }
  /// Query rows per unit.
  [[nodiscard]] constexpr double rows_per_unit() const noexcept {
    const double per_head = ph == phase::prefill ? static_cast<double>(seq_len) : static_cast<double>(decode_steps);
    return per_head * group();
  }
  /// Distinct keys per unit (the longest row's view).
  [[nodiscard]] constexpr double keys_per_unit() const noexcept {
    return ph == phase::prefill ? static_cast<double>(seq_len)
                                : static_cast<double>(seq_len) + static_cast<double>(decode_steps) - 1.0;
  }
  /// (query, key) pairs per unit.
  [[nodiscard]] constexpr double pairs_per_unit() const noexcept {
    const double n = static_cast<double>(seq_len);
    const double s = static_cast<double>(decode_steps);
    const double per_head = ph == phase::prefill ? n * (n + 1.0) / 2.0 : s * n + s * (s - 1.0) / 2.0;
    return per_head * group();
  }
  [[nodiscard]] constexpr double pairs() const noexcept { return units() * pairs_per_unit(); }
  [[nodiscard]] constexpr double queries() const noexcept { return units() * rows_per_unit(); }
};

/// The highest key width the statistics can describe (DESIGN.md §3: 2..16 bits).
inline constexpr int max_key_bits = 16;

/// Pruning statistics of the bit-serial kernel on a workload: what fraction of the work it did.
/// All figures are per (query, key) pair, averaged over the workload.
struct pruning_stats {
  double kept_fraction = 1.0;            ///< pairs read to the last plane (survivors)
  double mean_planes_per_key = 12.0;     ///< planes read per pair, at `key_bits`
  double block_planes_per_key = 12.0;    ///< planes per pair at block granularity (>= mean)
  double v_rows_fetched_fraction = 1.0;  ///< value rows read per pair (== kept for our kernel)
  int key_bits = 12;                     ///< the key width the figures refer to
  /// stop_histogram[p] = fraction of pairs whose key stopped after exactly p planes
  /// (p = 0 .. key_bits; survivors at p = key_bits). Sums to 1 when `has_histogram`.
  std::array<double, max_key_bits + 1> stop_histogram{};
  bool has_histogram = false;
  /// Fraction of a plane's bits the lane tree accumulates; < 0: derive (0.5 for 1-bits of
  /// symmetric data; E[min(ones, zeros)] / d for bidirectional lanes).
  double active_bit_fraction = -1.0;
  /// How alike the keep decisions of rows sharing a K/V stream are (0: independent, 1: equal).
  double row_correlation = 0.75;
  /// Where the numbers come from (a preset's citation, a file name, "attention_stats").
  std::string source = "dense (no pruning)";

  /// Throws bitsieve::invalid_argument naming the field for an inconsistent set.
  void validate(const char* who) const {
    auto bad = [&](const char* field, double v) {
      throw invalid_argument(std::string(who) + ": pruning statistic " + field + " = " + std::to_string(v) +
                             " is out of range");
    };
    if (key_bits < 2 || key_bits > max_key_bits) bad("key_bits", key_bits);
    const double b = key_bits;
    if (!(kept_fraction >= 0.0 && kept_fraction <= 1.0)) bad("kept_fraction", kept_fraction);
    if (!(mean_planes_per_key >= 0.0 && mean_planes_per_key <= b)) bad("mean_planes_per_key", mean_planes_per_key);
    if (!(block_planes_per_key >= 0.0 && block_planes_per_key <= b + 1e-9)) bad("block_planes_per_key", block_planes_per_key);
    if (!(v_rows_fetched_fraction >= 0.0 && v_rows_fetched_fraction <= 1.0)) {
      bad("v_rows_fetched_fraction", v_rows_fetched_fraction);
    }
    if (mean_planes_per_key + 1e-9 < kept_fraction * b) bad("mean_planes_per_key (below kept_fraction * key_bits)", mean_planes_per_key);
    if (!(row_correlation >= 0.0 && row_correlation <= 1.0)) bad("row_correlation", row_correlation);
    if (active_bit_fraction > 1.0) bad("active_bit_fraction", active_bit_fraction);
    if (has_histogram) {
      double sum = 0.0;
      for (int p = 0; p <= max_key_bits; ++p) {
        const double h = stop_histogram[static_cast<std::size_t>(p)];
        if (!(h >= 0.0) || (p > key_bits && h > 0.0)) bad("stop_histogram entry", h);
        sum += h;
      }
      if (std::abs(sum - 1.0) > 1e-6) bad("stop_histogram sum", sum);
    }
  }

  /// P(a pair reads plane index p), p = 0 .. key_bits - 1 (plane 0 is the first, MSB, plane).
  [[nodiscard]] std::array<double, max_key_bits> survival() const {
    std::array<double, max_key_bits> s{};
    double stopped = 0.0;
    for (int p = 0; p < key_bits; ++p) {
      stopped += stop_histogram[static_cast<std::size_t>(p)];
      s[static_cast<std::size_t>(p)] = std::clamp(1.0 - stopped, 0.0, 1.0);
    }
    return s;
  }

  /// The same statistics for keys of `bits` planes: fractions of the key width are kept
  /// (planes scale by bits / key_bits; the histogram's mass moves to the proportional plane).
  [[nodiscard]] pruning_stats at_bits(int bits) const {
    if (bits < 2 || bits > max_key_bits) {
      throw invalid_argument("bitsieve::model::pruning_stats::at_bits: bits = " + std::to_string(bits) +
                             " is not in 2..16");
    }
    if (bits == key_bits) return *this;
    pruning_stats r = *this;
    const double f = static_cast<double>(bits) / key_bits;
    r.key_bits = bits;
    r.stop_histogram.fill(0.0);
    double mean = 0.0;
    for (int p = 0; p <= key_bits; ++p) {
      const double h = stop_histogram[static_cast<std::size_t>(p)];
      if (h == 0.0) continue;
      // survivors stay survivors; a dropped key stops at the proportional plane, at least 1 and
      // before the last plane
      int q = p == key_bits ? bits : static_cast<int>(std::lround(p * f));
      if (p != key_bits) q = std::clamp(q, std::min(p, 1), bits - 1);
      r.stop_histogram[static_cast<std::size_t>(q)] += h;
      mean += h * q;
    }
    r.mean_planes_per_key = mean;
    r.block_planes_per_key = std::clamp(block_planes_per_key * f, mean, static_cast<double>(bits));
    return r;
  }
};

/// Statistics with no pruning at all: every key read to its last plane, every value row read.
[[nodiscard]] inline pruning_stats dense_stats(int key_bits = 12) {
  pruning_stats s;
  s.key_bits = key_bits;
  s.kept_fraction = 1.0;
  s.mean_planes_per_key = key_bits;
  s.block_planes_per_key = key_bits;
  s.v_rows_fetched_fraction = 1.0;
  s.stop_histogram.fill(0.0);
  s.stop_histogram[static_cast<std::size_t>(key_bits)] = 1.0;
  s.has_histogram = true;
  s.source = "dense (no pruning)";
  return s;
}

namespace detail {
/// Truncated discrete Gaussian over planes 1 .. bits-1 centred at c.
inline std::array<double, max_key_bits + 1> dropped_shape(double c, double spread, int bits) {
  std::array<double, max_key_bits + 1> w{};
  double sum = 0.0;
  for (int p = 1; p < bits; ++p) {
    const double z = (p - c) / spread;
    w[static_cast<std::size_t>(p)] = std::exp(-0.5 * z * z);
    sum += w[static_cast<std::size_t>(p)];
  }
  for (auto& x : w) x /= sum;
  return w;
}
inline double shape_mean(const std::array<double, max_key_bits + 1>& w) {
  double m = 0.0;
  for (std::size_t p = 0; p < w.size(); ++p) m += static_cast<double>(p) * w[p];
  return m;
}
/// Expected planes per key at block granularity when a block of keys is live at plane p with
/// probability 1 - (1 - s_p)^k (k "effective independent keys" per block).
inline double block_planes_for(const std::array<double, max_key_bits>& s, int bits, double k) {
  double sum = 0.0;
  for (int p = 0; p < bits; ++p) sum += 1.0 - std::pow(1.0 - s[static_cast<std::size_t>(p)], k);
  return sum;
}
}  // namespace detail

/// Effective independent keys per storage block that reproduce the block-granularity figure:
/// solves block_planes_for(survival, k) == block_planes_per_key for k in [1, block_tokens].
[[nodiscard]] inline double effective_block_keys(const pruning_stats& st, int block_tokens) {
  const auto s = st.survival();
  const double target = st.block_planes_per_key;
  double lo = 1.0;
  double hi = std::max(1.0, static_cast<double>(block_tokens));
  if (detail::block_planes_for(s, st.key_bits, lo) >= target) return lo;
  if (detail::block_planes_for(s, st.key_bits, hi) <= target) return hi;
  for (int it = 0; it < 60; ++it) {
    const double mid = 0.5 * (lo + hi);
    (detail::block_planes_for(s, st.key_bits, mid) < target ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

/// Documented synthetic statistics: `kept` of the pairs survive (all planes); the dropped ones stop
/// after a plane drawn from a discrete Gaussian (spread `spread` planes) whose mean is
/// `dropped_mean_planes`; the block-granularity figure uses `block_keys` effective independent
/// keys per block (calibration table: fitted to DESIGN.md §8).
[[nodiscard]] inline pruning_stats synthetic_stats(double kept, double dropped_mean_planes, int bits = 12,
                                                   double spread = 1.5, double block_keys = 1.6,
                                                   std::string source = "synthetic") {
  if (!(kept >= 0.0 && kept <= 1.0) || !(dropped_mean_planes >= 1.0 && dropped_mean_planes <= bits - 1) ||
      bits < 2 || bits > max_key_bits || !(spread > 0.0) || !(block_keys >= 1.0)) {
    throw invalid_argument("bitsieve::model::synthetic_stats: kept = " + std::to_string(kept) +
                           ", dropped_mean_planes = " + std::to_string(dropped_mean_planes) + ", bits = " +
                           std::to_string(bits) + " are out of range");
  }
  // centre the truncated Gaussian so that its mean is dropped_mean_planes (bisection)
  double lo = -static_cast<double>(bits);
  double hi = 2.0 * bits;
  for (int it = 0; it < 80; ++it) {
    const double mid = 0.5 * (lo + hi);
    (detail::shape_mean(detail::dropped_shape(mid, spread, bits)) < dropped_mean_planes ? lo : hi) = mid;
  }
  const auto w = detail::dropped_shape(0.5 * (lo + hi), spread, bits);
  pruning_stats s;
  s.key_bits = bits;
  s.kept_fraction = kept;
  s.v_rows_fetched_fraction = kept;
  s.stop_histogram.fill(0.0);
  double mean = 0.0;
  for (int p = 1; p < bits; ++p) {
    s.stop_histogram[static_cast<std::size_t>(p)] = (1.0 - kept) * w[static_cast<std::size_t>(p)];
    mean += p * s.stop_histogram[static_cast<std::size_t>(p)];
  }
  s.stop_histogram[static_cast<std::size_t>(bits)] = kept;
  mean += kept * bits;
  s.has_histogram = true;
  s.mean_planes_per_key = mean;
  s.block_planes_per_key = std::min<double>(bits, detail::block_planes_for(s.survival(), bits, block_keys));
  s.source = std::move(source);
  return s;
}

/// Completes statistics that came without a histogram (e.g. a bitsieve-eval JSON without
/// stop_histogram): survivors at the last plane, the dropped pairs spread around the mean that the
/// totals imply. Statistics that already have one are returned unchanged.
[[nodiscard]] inline pruning_stats with_histogram(pruning_stats s) {
  if (s.has_histogram) return s;
  const int b = s.key_bits;
  const double kept = s.kept_fraction;
  double dropped_mean = kept < 1.0 ? (s.mean_planes_per_key - kept * b) / (1.0 - kept) : b - 1.0;
  dropped_mean = std::clamp(dropped_mean, 1.0, b - 1.0);
  pruning_stats h = synthetic_stats(kept, dropped_mean, b);
  h.mean_planes_per_key = s.mean_planes_per_key;  // keep the measured totals
  h.block_planes_per_key = std::max(s.block_planes_per_key, s.mean_planes_per_key);
  h.v_rows_fetched_fraction = s.v_rows_fetched_fraction;
  h.active_bit_fraction = s.active_bit_fraction;
  h.row_correlation = s.row_correlation;
  h.source = s.source + " (histogram synthesised from the totals)";
  return h;
}

/// The model's statistics from the kernel's exact counts. `head_dim` (optional, > 0) turns
/// active_bits into a fraction of the plane bits accumulated (0 active bits: not counted, see
/// attention_options::count_active_bits; the model's default fraction stays).
[[nodiscard]] inline pruning_stats from_attention_stats(const attention_stats& st, int head_dim = 0) {
  if (st.keys == 0) throw invalid_argument("bitsieve::model::from_attention_stats: stats count no (query, key) pairs");
  if (st.key_bits < 2 || st.key_bits > max_key_bits) {
    throw invalid_argument("bitsieve::model::from_attention_stats: key_bits = " + std::to_string(st.key_bits) +
                           " is not in 2..16");
  }
  pruning_stats s;
  s.key_bits = st.key_bits;
  s.kept_fraction = st.kept_fraction();
  s.mean_planes_per_key = st.mean_planes_per_key();
  s.block_planes_per_key = std::max(st.block_planes_per_key(), s.mean_planes_per_key);
  s.v_rows_fetched_fraction = st.v_rows_fetched_fraction();
  std::uint64_t total = 0;
  for (const auto h : st.stop_histogram) total += h;
  if (total == st.keys) {
    for (std::size_t p = 0; p < s.stop_histogram.size(); ++p) {
      s.stop_histogram[p] = static_cast<double>(st.stop_histogram[p]) / static_cast<double>(st.keys);
    }
    s.has_histogram = true;
  }
  if (head_dim > 0 && st.planes_read > 0 && st.active_bits > 0) {
    s.active_bit_fraction = std::min(
        1.0, static_cast<double>(st.active_bits) / (static_cast<double>(st.planes_read) * head_dim));
  }
  s.source = "attention_stats (" + std::to_string(st.queries) + " queries, " + std::to_string(st.keys) + " pairs)";
  s.validate("bitsieve::model::from_attention_stats");
  return with_histogram(std::move(s));
}

/// A named workload: shape plus default statistics, with the provenance of both.
struct workload {
  std::string name;
  std::string description;
  workload_shape shape;
  pruning_stats stats;
};

}  // namespace bitsieve::model
