// SPDX-License-Identifier: Apache-2.0
/// \file kernel/detail/engine.hpp
/// The kernel engine behind sparse_attention and dynamic_attention (internal; may change without
/// notice). It runs the decision rules of DESIGN.md §2 on a format-erased kv_view, for one query
/// or a group of queries sharing the KV head, with the lock-step or the out-of-order scheduler.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <queue>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "bitsieve/detail/fast_exp.hpp"
#include "bitsieve/kernel/detail/views.hpp"
#include "bitsieve/simd/block_ops.hpp"
#include "bitsieve/kernel/stats.hpp"
#include "bitsieve/margin/exact.hpp"
#include "bitsieve/simd/dispatch.hpp"
#include "bitsieve/threshold/concept.hpp"

namespace bitsieve::detail {

/// Run-time description of the scheduler and tiles.
struct engine_config {
  int lanes = 0;               ///< 0: lock-step; else out-of-order lanes
  bool bidirectional = false;  ///< count active bits as min(ones, zeros)
  std::size_t tile_size = 0;   ///< tokens per tile, rounded up to 32; 0: one tile
  std::function<std::vector<std::size_t>(std::size_t)> tile_order;  ///< n tiles -> visit order
  bool fast_path = true;       ///< allow the int32 block-vectorised lock-step path (tests turn it off)
  bool count_active_bits = true;  ///< count attention_stats::active_bits (a popcount per key plane)
};

/// One query's state: tables, running maximum, mass sums, online softmax, stats.
struct query_state {
  plane_scorer scorer;
  query_sums sums;
  double c = 1.0;             ///< logit scale
  std::size_t visible = 0;    ///< keys this query attends: tokens 0 .. visible-1
  /// This state covers the key blocks of chunks first_block, first_block + block_stride, .., each
  /// chunk `block_chunk` consecutive blocks (a thread's share: every block_stride-th chunk); the
  /// j-th block it covers is (first_block + (j / block_chunk) * block_stride) * block_chunk +
  /// j % block_chunk. Defaults: every block from 0.
  std::size_t first_block = 0;
  std::size_t block_stride = 1;
  std::size_t block_chunk = 1;
  std::size_t n_keys = 0;       ///< n: all keys the query attends (for mass_budget's shares)
  score_t m = score_min;      ///< M, the largest lower bound seen
  double zl = 0.0;            ///< sum over finished keys of e^(c (L - M)) (a lower bound of Z e^-cM)
  double du = 0.0;            ///< sum over dropped keys of e^(c (U - M)) (an upper bound)
  bool du_overflow = false;
  double sm_max = -std::numeric_limits<double>::infinity();
  double sm_sum = 0.0;
  std::vector<double> acc;    ///< (value_dim) un-normalised output
  std::priority_queue<score_t, std::vector<score_t>, std::greater<>> best;  ///< k largest finished lower bounds
  std::size_t k = 0;
  attention_stats st;
  /// Optional per-key decisions (visible entries): planes read, | 0x80 when kept (see key_trace).
  std::uint8_t* trace = nullptr;

  static constexpr double tiny = -80.0;  // e^-80: terms below are left out of lower-bound sums
  /// The per-round sum of the live keys' lower bounds (mass_budget's Z_L) leaves out terms below
  /// e^-20 of the maximum: each key's term is then < 2.1e-9 Z_L (Z_L >= the maximum's own term
  /// e^0), so Z_L loses at most n * 2.1e-9 of itself and stays a lower bound; in exchange the
  /// fast path skips whole blocks whose best key lies below the window.
  static constexpr double live_window = -20.0;

  // Certified sums use fast_exp rounded the safe way: lower-bound terms scaled down, upper-bound
  // terms scaled up by its relative error bound (and the rescale factors likewise).
  static constexpr double down = 1.0 - 4 * fast_exp_rel_error;
  static constexpr double up = 1.0 + 4 * fast_exp_rel_error;

  void raise_max(score_t l) {
    if (l <= m) return;
    if (m != score_min) {
      const double f = fast_exp(-c * static_cast<double>(l - m));
      zl *= f * down;
      du *= f * up;
    }
    m = l;
  }
  [[nodiscard]] double rel(score_t s) const noexcept { return c * static_cast<double>(s - m); }
  void add_lower(score_t l) {
    const double e = rel(l);
    if (e > tiny) zl += fast_exp(e) * down;  // leaving tiny terms out keeps zl a lower bound
  }
  void add_upper(score_t u) {
    const double e = rel(u);
    if (e > 700.0) {
      du_overflow = true;
    } else {
      du += (e > tiny ? fast_exp(e) : fast_exp(tiny)) * up;  // rounding tiny terms up keeps du an upper bound
    }
  }
  /// Like add_upper, but each term rounded up to the next quarter power of two (<= 19% above
  /// e^x): a few instructions instead of an exponential per dropped key.
  void add_upper_coarse(score_t u) {
    const double e = rel(u);
    if (e > 700.0) {
      du_overflow = true;
      return;
    }
    static constexpr double quarter[4] = {1.0, 1.189207115002721, 1.4142135623730951, 1.681792830507429};
    const double t = (e > tiny ? e : tiny) * 1.4426950408889634 * 4.0 * up;  // log2(e^x) in quarters, rounded up
    const auto qn = static_cast<std::int64_t>(std::ceil(t + 1e-9));
    const std::int64_t n = qn >> 2;  // floor division (arithmetic shift)
    du += quarter[qn & 3] * std::bit_cast<double>(static_cast<std::uint64_t>(n + 1023) << 52);
  }

  /// Records the keys of `drop` (bits t of the 32-key block whose first token is `base`) as
  /// dropped after `planes` planes. xl[t] = c (L_t - M) and xu[t] = c (U_t - M) as floats (the same
  /// in every path, so every path makes the same sums); lowers[t] = L_t (read only for top-k).
  /// `with_lower`: add the lower bounds to zl (mass_budget's Z_L). The upper terms go to du rounded
  /// up, so the reported bound stays an upper bound.
  void drop_block(std::uint32_t drop, std::size_t base, int planes, const float* xl, const float* xu,
                  const score_t* lowers, bool with_lower) {
    const auto n = static_cast<std::uint64_t>(std::popcount(drop));
    st.planes_read += n * static_cast<std::uint64_t>(planes);
    st.stop_histogram[static_cast<std::size_t>(planes)] += n;
    if (trace != nullptr || k != 0) {
      for (std::uint32_t d = drop; d != 0U; d &= d - 1U) {
        const auto t = static_cast<std::size_t>(std::countr_zero(d));
        if (trace != nullptr) trace[base + t] = static_cast<std::uint8_t>(planes);
        if (k != 0) push_best(lowers[t]);
      }
    }
    const auto ft = static_cast<float>(tiny);
    if (with_lower) zl += block_exp_sum(xl, drop, ft) * (1.0 - block_exp_rel_error);
    if ((block_greater(xu, 80.0F) & drop) != 0U) du_overflow = true;  // beyond float exp: bound = 1
    if (!du_overflow) du += block_exp_sum(xu, drop, ft, true) * (1.0 + block_exp_rel_error);
  }

  void push_best(score_t l) {
    if (k == 0) return;
    if (best.size() < k) {
      best.push(l);
    } else if (l > best.top()) {
      best.pop();
      best.push(l);
    }
  }
  /// k-th largest lower bound over finished keys plus `live` (distinct keys), or score_min.
  [[nodiscard]] score_t kth_lower(std::vector<score_t>& live) const {
    if (k == 0) return score_min;
    auto copy = best;
    while (!copy.empty()) {
      live.push_back(copy.top());
      copy.pop();
    }
    if (live.size() < k) return score_min;
    std::nth_element(live.begin(), live.begin() + static_cast<std::ptrdiff_t>(k - 1), live.end(), std::greater<>());
    return live[k - 1];
  }
  /// Raises the online softmax's running maximum to `logit` if it is larger (rescales the sum
  /// and the accumulators once).
  void raise_softmax_max(double logit) {
    if (!(logit > sm_max)) return;
    if (sm_sum > 0.0) {
      const double f = fast_exp(sm_max - logit);
      sm_sum *= f;
      for (double& a : acc) a *= f;
    }
    sm_max = logit;
  }
  /// The survivors of a lock-step tile at once: `n` keys of `planes` planes and a value row of
  /// `row_bytes` each (the counts survivor_weight makes one key at a time).
  void count_survivors(std::uint64_t n, std::size_t row_bytes, int planes) {
    st.survivors += n;
    st.planes_read += n * static_cast<std::uint64_t>(planes);
    st.stop_histogram[static_cast<std::size_t>(planes)] += n;
    st.value_rows_read += n;
    st.v_bytes_read += n * row_bytes;
  }
  /// A survivor's trace entry (planes | 0x80) and its place among the k best (top-k).
  void record_survivor(std::size_t token, score_t s, int planes) {
    if (trace != nullptr) trace[token] = static_cast<std::uint8_t>(planes | 0x80);
    if (k != 0) push_best(s);
  }
  /// A survivor's softmax weight e^(c s - sm_max), added to sm_sum (raise_softmax_max first).
  double softmax_weight(score_t s) {
    const double w = fast_exp(c * static_cast<double>(s) - sm_max);
    sm_sum += w;
    return w;
  }
  /// Records survivor `token` (exact score s after `planes` planes, a value row of `row_bytes`)
  /// and returns its softmax weight e^(c s - sm_max), added to sm_sum; the caller adds weight x
  /// value row to acc. Needs raise_softmax_max(c s) first.
  double survivor_weight(std::size_t token, score_t s, std::size_t row_bytes, int planes) {
    record_survivor(token, s, planes);
    add_lower(s);
    count_survivors(1, row_bytes, planes);
    return softmax_weight(s);
  }
  /// Adds to zl the survivors' lower-bound terms e^(c (s - M)) from the sum `w` of their softmax
  /// weights e^(c s - sm_max): w e^(sm_max - c M), rounded down for both exponentials (one
  /// exponential per tile instead of one per survivor; M >= every survivor's exact score here,
  /// so the factor is at most 1).
  void add_lower_weights(double w) {
    if (w > 0.0 && m != score_min) zl += w * fast_exp(sm_max - c * static_cast<double>(m)) * down * down;
  }
  /// One survivor: its weight and its value row (stored in any value_format) folded into the output.
  void finish_survivor(std::size_t token, score_t s, const value_view& v, std::size_t dv, int planes) {
    raise_softmax_max(c * static_cast<double>(s));
    const double w = survivor_weight(token, s, v.row_bytes(dv), planes);
    v.accumulate(acc.data(), 1.0, w, token, dv);
  }
  /// `with_lower`: add the key's lower bound to zl and its upper bound exactly (mass_budget needs
  /// both: Z_L for its cutoff, and a tight bound so the reported bound stays <= delta); otherwise
  /// the bound's denominator uses the survivors only (still a lower bound of Z) and the upper term
  /// is rounded up to a quarter power of two (cheaper; the bound stays an upper bound).
  void finish_dropped(std::size_t token, score_t l, score_t u, int planes, bool with_lower) {
    if (trace != nullptr) trace[token] = static_cast<std::uint8_t>(planes);
    if (with_lower) {
      // mass_budget: exact terms, so the reported bound stays <= delta
      add_lower(l);
      add_upper(u);
    } else {
      add_upper_coarse(u);
    }
    if (k != 0) push_best(l);
    st.planes_read += static_cast<std::uint64_t>(planes);
    st.stop_histogram[static_cast<std::size_t>(planes)] += 1;
  }
};

/// Folds `b` (the same query over another key range) into `a`: running maxima, certified sums
/// (rounded the safe way), online-softmax state and stats.
inline void merge_into(query_state& a, const query_state& b) {
  if (b.m != score_min) {
    if (b.m > a.m) {
      const double f = a.m == score_min ? 0.0 : fast_exp(-a.c * static_cast<double>(b.m - a.m));
      a.zl = a.zl * f * query_state::down + b.zl;
      a.du = a.du * f * query_state::up + b.du;
      a.m = b.m;
    } else {
      const double f = fast_exp(-a.c * static_cast<double>(a.m - b.m));
      a.zl += b.zl * f * query_state::down;
      a.du += b.du * f * query_state::up;
    }
  }
  a.du_overflow = a.du_overflow || b.du_overflow;
  if (b.sm_sum > 0.0) {
    if (b.sm_max > a.sm_max) {
      const double f = fast_exp(a.sm_max - b.sm_max);
      a.sm_sum = a.sm_sum * f + b.sm_sum;
      for (std::size_t i = 0; i < a.acc.size(); ++i) a.acc[i] = a.acc[i] * f + b.acc[i];
      a.sm_max = b.sm_max;
    } else {
      const double f = fast_exp(b.sm_max - a.sm_max);
      a.sm_sum += b.sm_sum * f;
      for (std::size_t i = 0; i < a.acc.size(); ++i) a.acc[i] += b.acc[i] * f;
    }
  }
  a.st += b.st;
}

/// The engine's working buffers (tile scores, live masks, lists); the engine derives from it, so
/// its loops index them as plain members.
struct engine_buffers {
  struct active_block {
    std::size_t index;  // in the tile
    std::size_t block;  // in the cache
  };
  struct survivor {
    std::size_t token;
    score_t score;
  };
  struct exact_key {
    score_t score;
    std::size_t slot;  // i * 32 + t in the tile
    float x;           // c (score - M), as block_logits computes it
  };
  std::vector<std::uint32_t> live_;   // (G, blocks of tile) live masks
  std::vector<score_t> s_;            // (G, tile tokens) partial scores
  std::vector<std::int32_t> s32_;     // (G, tile tokens) partial scores, fast path
  std::vector<score_t> sigma_;        // (G, tile tokens) q . sign plane (sign-magnitude)
  std::vector<score_t> kth_buf_;
  std::vector<std::uint32_t> plane_masks_;
  std::vector<std::int32_t> bmax_;    // (tile blocks) best live partial score per block, this round
  std::vector<active_block> act_;     // tile blocks with a live key, this round
  std::vector<survivor> surv_;        // one query's survivors of a tile
  std::vector<exact_key> exact_;      // drop_smallest_exact's candidates
  std::vector<std::uint32_t> drop_masks_;
};

/// A thread's engine_buffers between calls. Each thread keeps one set whose capacity survives, so
/// a decode does not allocate its tile buffers anew (a tile of 65536 keys needs 256 KB of scores;
/// allocated per call, glibc gives it fresh pages from mmap each time, and their page faults cost
/// more than the decode itself on a virtual machine: 26 against 9.8 ns per key on llm_like 65536
/// with one tile, docs/bench.md). The memory is held until the thread exits: about 4 bytes per key
/// of the largest tile a thread has run, plus lists.
struct engine_scratch {
  engine_buffers buffers;
  bool busy = false;  // an engine of this thread is using it
};

/// The calling thread's engine_scratch while it is free; otherwise (an engine already alive on
/// this thread) a set of its own, so nested use stays correct.
class scratch_lease {
 public:
  scratch_lease() {
    engine_scratch& mine = thread_scratch();
    if (!mine.busy) {
      mine.busy = true;
      s_ = &mine;
    } else {
      own_ = std::make_unique<engine_scratch>();
      s_ = own_.get();
    }
  }
  scratch_lease(const scratch_lease&) = delete;
  scratch_lease& operator=(const scratch_lease&) = delete;
  ~scratch_lease() {
    if (!own_) s_->busy = false;
  }
  [[nodiscard]] engine_scratch& get() const noexcept { return *s_; }

 private:
  static engine_scratch& thread_scratch() {
    thread_local engine_scratch s;
    return s;
  }
  engine_scratch* s_ = nullptr;
  std::unique_ptr<engine_scratch> own_;
};

template <ThresholdPolicy Threshold>
class engine : private engine_buffers {
 public:
  engine(const Threshold& t, const engine_config& cfg, const kv_view& kv) : thr_(t), cfg_(cfg), kv_(kv) {
    // borrow the thread's buffers (their capacity) for this engine's life
    std::swap(static_cast<engine_buffers&>(*this), scratch_.get().buffers);
  }
  ~engine() { std::swap(static_cast<engine_buffers&>(*this), scratch_.get().buffers); }
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;
  engine(engine&&) = delete;
  engine& operator=(engine&&) = delete;

  /// Runs the queries of `group` (already quantized and prepared) to completion and writes their
  /// outputs (value_dim floats each).
  void run(std::span<query_state> group, std::span<float> outs) {
    process(group);
    for (std::size_t g = 0; g < group.size(); ++g) finish(group[g], outs.subspan(g * kv_.value_dim, kv_.value_dim));
  }

  /// Runs every query of `group` over its key blocks [first_block, ceil(visible / 32)), tile by
  /// tile in the tile policy's order; the outputs are not normalised yet (see finish).
  void process(std::span<query_state> group) {
    bool fast = cfg_.fast_path && !kv_.format.sign_magnitude;
    for (const auto& q : group) fast = fast && int32_safe(q);
    const auto tile = [&](std::span<query_state> qs, std::size_t b0, std::size_t nb) {
      if (fast) {
        lockstep_tile_fast(qs, b0, nb);
      } else {
        lockstep_tile(qs, b0, nb);
      }
    };
    // a query's blocks j = 0 .. n-1 (see query_state::first_block), cut into tiles of tile_blocks
    const auto tiles_of = [&](const query_state& q, const auto& visit) {
      const std::size_t qb = (q.visible + block_tokens - 1) / block_tokens;
      const std::size_t ck = q.block_chunk;
      const std::size_t n_chunks = (qb + ck - 1) / ck;
      std::size_t n = 0;
      if (n_chunks > q.first_block) {
        const std::size_t mine = (n_chunks - q.first_block + q.block_stride - 1) / q.block_stride;
        const std::size_t last = q.first_block + (mine - 1) * q.block_stride;  // this part's last chunk
        n = mine * ck - (last + 1 == n_chunks ? n_chunks * ck - qb : 0);
      }
      const std::size_t tile_blocks =
          cfg_.tile_size == 0 ? std::max<std::size_t>(n, 1) : (cfg_.tile_size + block_tokens - 1) / block_tokens;
      const std::size_t n_tiles = (n + tile_blocks - 1) / tile_blocks;
      for (const std::size_t t : cfg_.tile_order(n_tiles)) {
        const std::size_t j0 = t * tile_blocks;
        visit(j0, std::min(tile_blocks, n - j0));
      }
    };
    const auto use_map = [&](const query_state& q) {
      first_ = q.first_block;
      stride_ = q.block_stride;
      chunk_ = q.block_chunk;
    };
    if (cfg_.lanes == 0 && group.size() > 1 && all_same_range(group)) {
      use_map(group[0]);
      tiles_of(group[0], [&](std::size_t j0, std::size_t nb) { tile(group, j0, nb); });
      return;
    }
    for (auto& q : group) {
      use_map(q);
      tiles_of(q, [&](std::size_t j0, std::size_t nb) {
        if (cfg_.lanes == 0) {
          tile(std::span<query_state>(&q, 1), j0, nb);
        } else {
          BITSIEVE_ASSERT(q.block_stride == 1, "out-of-order parts are contiguous");
          ooo_tile(q, block_of(j0, 0), block_of(j0, 0) + nb);
        }
      });
    }
  }

  /// Normalises the output of `q`, records its certified dropped-mass bound and counts it.
  void finish(query_state& q, std::span<float> out) const {
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i] = q.sm_sum > 0.0 ? static_cast<float>(q.acc[i] / q.sm_sum) : 0.0F;
    }
    double bound = 0.0;
    if (q.du_overflow || q.st.survivors == 0) {
      bound = 1.0;
    } else if (q.du > 0.0) {
      // Z >= zl: survivors' exact terms (+ dropped keys' lower bounds where kept in the sum).
      bound = std::min(1.0, q.du / q.zl);
    }
    q.st.dropped_mass_bound_sum += bound;
    q.st.queries += 1;
    q.st.key_bits = kv_.format.bits;
    q.st.block_tokens = static_cast<int>(block_tokens);
  }

 private:
  /// Live masks of a tile's blocks: the tokens each query sees (and counts them as its pairs).
  void init_live(std::span<query_state> group, std::size_t b0, std::size_t nb) {
    live_.assign(group.size() * nb, 0U);
    for (std::size_t g = 0; g < group.size(); ++g) {
      for (std::size_t i = 0; i < nb; ++i) {
        live_[g * nb + i] = valid_mask(group[g], block_of(b0, i));
        group[g].st.keys += static_cast<std::uint64_t>(std::popcount(live_[g * nb + i]));
      }
    }
  }

  /// After a tile's last plane: every key still live is a survivor with its exact score
  /// scores[(g * nb + i) * 32 + t]; online softmax with its value row. The softmax maximum is
  /// raised once per tile (to the tile's best survivor), and the value rows are folded in batches
  /// of up to 8 with the accumulators in registers.
  template <class Score>
  void finish_survivors(std::span<query_state> group, std::size_t nb, std::size_t b0, const Score* scores) {
    const int planes = kv_.format.planes;
    constexpr std::size_t batch = 8;
    double w[batch];
    const float* rows[batch];
    for (std::size_t g = 0; g < group.size(); ++g) {
      query_state& q = group[g];
      const std::uint32_t* live = live_.data() + g * nb;
      const Score* S = scores + g * nb * block_tokens;
      // the tile's survivors and their best score, in one pass
      surv_.clear();
      score_t top = score_min;
      for (std::size_t i = 0; i < nb; ++i) {
        for (std::uint32_t lv = live[i]; lv != 0U; lv &= lv - 1U) {
          const auto t = static_cast<std::size_t>(std::countr_zero(lv));
          const auto s = static_cast<score_t>(S[i * block_tokens + t]);
          top = std::max(top, s);
          surv_.push_back({block_of(b0, i) * block_tokens + t, s});
        }
      }
      if (surv_.empty()) continue;
      q.raise_softmax_max(q.c * static_cast<double>(top));
      // value rows are fetched a few survivors ahead (they are scattered: a DRAM latency each)
      const value_view& vv = kv_.values;
      const std::size_t dv = kv_.value_dim;
      const std::size_t row_bytes = vv.row_bytes(dv);
      const std::size_t ahead = std::min<std::size_t>(surv_.size(), 2 * batch);
      for (std::size_t j = 0; j < ahead; ++j) prefetch_bytes(vv.row(surv_[j].token), row_bytes);
      q.count_survivors(surv_.size(), row_bytes, planes);
      if (q.trace != nullptr || q.k != 0) {
        for (const survivor& sv : surv_) q.record_survivor(sv.token, sv.score, planes);
      }
      // Z_L's survivor terms: each key's own exponential where the rule reads Z_L in its
      // decisions (mass_budget); otherwise (the reported bound's denominator only) one per tile
      // from the softmax weights
      double tile_w = 0.0;
      std::size_t m = 0;
      for (std::size_t j = 0; j < surv_.size(); ++j) {
        if (j + ahead < surv_.size()) prefetch_bytes(vv.row(surv_[j + ahead].token), row_bytes);
        if (Threshold::needs_z_lower) q.add_lower(surv_[j].score);
        const double wj = q.softmax_weight(surv_[j].score);
        tile_w += wj;
        if (vv.format != value_format::f32) {  // f16 / int8 rows: one dequantising axpy each
          vv.accumulate(q.acc.data(), 1.0, wj, surv_[j].token, dv);
          continue;
        }
        w[m] = wj;
        rows[m] = reinterpret_cast<const float*>(vv.row(surv_[j].token));
        if (++m == batch) {
          axpy_rows(q.acc.data(), w, rows, m, dv);
          m = 0;
        }
      }
      if (m != 0) axpy_rows(q.acc.data(), w, rows, m, dv);
      if (!Threshold::needs_z_lower) q.add_lower_weights(tile_w);
    }
  }

  /// Block index of the i-th block of a tile starting at block b0 (stride: a thread's share).
  /// (j0: the tile's first block in the query's own numbering, see query_state::first_block.)
  [[nodiscard]] std::size_t block_of(std::size_t j0, std::size_t i) const noexcept {
    const std::size_t j = j0 + i;
    if (chunk_ == 1) return first_ + j * stride_;  // one thread: no division
    return (first_ + (j / chunk_) * stride_) * chunk_ + j % chunk_;
  }

  /// Two's complement partial scores and bounds fit int32 with room: 2^(B-1) sum|q| <= 2^30.
  [[nodiscard]] bool int32_safe(const query_state& q) const noexcept {
    const score_t abs_sum = q.sums.pos - q.sums.neg;
    return abs_sum <= (score_t{1} << (31 - kv_.format.bits));
  }

  /// Lock-step rounds, fast path (two's complement, int32 scores): whole-block updates and
  /// threshold masks; the same decisions as lockstep_tile (tested).
  void lockstep_tile_fast(std::span<query_state> group, std::size_t b0, std::size_t nb) {
    const std::size_t G = group.size();
    const int planes = kv_.format.planes;
    s32_.assign(G * nb * block_tokens, 0);
    init_live(group, b0, nb);
    alignas(64) std::int32_t dot[block_tokens];
    alignas(64) std::int32_t cnt[block_tokens];
    const auto d = static_cast<std::int32_t>(kv_.head_dim);
    // Plane r of the blocks still live is read in block order; it is prefetched `ahead` live
    // blocks (about 4 KB) in advance, since dropped blocks leave gaps the hardware prefetcher
    // does not cross.
    const std::size_t ahead = std::max<std::size_t>(2, 4096 / kv_.plane_bytes());
    // The blocks with a live key, in tile order: built once, then compacted after each round's
    // decisions, so rounds late in a tile (most blocks dead) touch only the live ones.
    act_.clear();
    for (std::size_t i = 0; i < nb; ++i) {
      if (any_live(G, nb, i)) act_.push_back({i, block_of(b0, i)});
    }
    for (int r = 0; r < planes && !act_.empty(); ++r) {
      const auto w = static_cast<std::int32_t>(kv_.format.weight[static_cast<std::size_t>(r)]);
      for (std::size_t j = 0; j < std::min(ahead, act_.size()); ++j) {
        prefetch_bytes(kv_.plane(act_[j].block, r), kv_.plane_bytes());
      }
      for (std::size_t j = 0; j < act_.size(); ++j) {
        if (j + ahead < act_.size()) prefetch_bytes(kv_.plane(act_[j + ahead].block, r), kv_.plane_bytes());
        const std::size_t i = act_[j].index;
        const std::size_t b = act_[j].block;
        group[0].st.group_block_planes_read += 1;
        const std::uint8_t* plane = kv_.plane(b, r);
        if (cfg_.count_active_bits) block_popcounts(plane, kv_.dim_groups, cnt);
        for (std::size_t g = 0; g < G; ++g) {
          std::uint32_t lv = live_[g * nb + i];
          if (lv == 0) continue;
          query_state& q = group[g];
          q.scorer.score_block(plane, dot);
          block_accumulate(s32_.data() + (g * nb + i) * block_tokens, dot, w);
          q.st.block_planes_read += 1;
          q.st.block_token_planes_read += static_cast<std::uint64_t>(std::popcount(valid_mask(q, b)));
          q.st.k_bytes_read += kv_.plane_bytes();
          if (cfg_.count_active_bits) q.st.active_bits += block_active(cnt, lv, d, cfg_.bidirectional);
        }
      }
      for (std::size_t g = 0; g < G; ++g) decide_round_fast(group[g], g, nb, r + 1);
      keep_live_blocks(G, nb);
    }
    for (std::size_t g = 0; g < G; ++g) drop_smallest_exact(group[g], g, nb, b0, s32_.data());
    finish_survivors(group, nb, b0, s32_.data());
  }

  /// True when some query of the group has a live key in tile block i.
  [[nodiscard]] bool any_live(std::size_t G, std::size_t nb, std::size_t i) const noexcept {
    std::uint32_t any = 0;
    for (std::size_t g = 0; g < G; ++g) any |= live_[g * nb + i];
    return any != 0;
  }
  /// Keeps in act_ (order unchanged) the blocks where some query of the group has a live key.
  void keep_live_blocks(std::size_t G, std::size_t nb) {
    std::size_t n = 0;
    for (const active_block& a : act_) {
      if (any_live(G, nb, a.index)) act_[n++] = a;
    }
    act_.resize(n);
  }

  /// One round's decisions for query g over the blocks of act_ (those with a live key for some
  /// query of the group; a block dead for this query is skipped), in tile order.
  void decide_round_fast(query_state& q, std::size_t g, std::size_t nb, int done) {
    const interval u = margin::exact::unseen_desc(kv_.format, q.sums, done, 0);
    std::uint32_t* live = live_.data() + g * nb;
    const std::int32_t* S = s32_.data() + g * nb * block_tokens;
    std::int32_t best = std::numeric_limits<std::int32_t>::min();
    bool any = false;
    std::size_t n_live = 0;
    if (Threshold::needs_z_lower) bmax_.resize(nb);
    for (const active_block& a : act_) {
      const std::size_t i = a.index;
      if (live[i] == 0U) continue;
      any = true;
      n_live += static_cast<std::size_t>(std::popcount(live[i]));
      const std::int32_t bm = block_max(S + i * block_tokens, live[i]);
      if (Threshold::needs_z_lower) bmax_[i] = bm;
      best = std::max(best, bm);
    }
    if (!any) return;
    q.st.rounds += 1;
    q.raise_max(best + u.lo);
    round_state rs = state_of(q);
    rs.live_keys = n_live;
    if (Threshold::needs_z_lower) {
      // Z_L: finished keys plus every live key's current lower bound (terms below e^live_window
      // left out). A block whose best key is below the window by more than float rounding
      // (1e-3 >> 2^-18 * 87) has every lane left out by block_exp_sum too: skipping it changes
      // nothing (the generic path, which does not skip, gets the same sum).
      alignas(32) float x[block_tokens];
      const auto ref = static_cast<double>(q.m - u.lo);  // c (S + u.lo - M) = c (S - ref)
      const auto lw = static_cast<float>(query_state::live_window);
      double z = 0.0;
      for (const active_block& a : act_) {
        const std::size_t i = a.index;
        if (live[i] == 0U) continue;
        if (q.c * (static_cast<double>(bmax_[i]) - ref) < query_state::live_window - 1e-3) continue;
        block_logits(S + i * block_tokens, ref, q.c, x);
        z += block_exp_sum(x, live[i], lw);
      }
      rs.z_lower = q.zl + z * (1.0 - block_exp_rel_error);
    }
    if (thr_.kth() > 0) {
      kth_buf_.clear();
      for (const active_block& a : act_) {
        const std::size_t i = a.index;
        std::uint32_t lv = live[i];
        while (lv != 0U) {
          const auto t = static_cast<std::size_t>(std::countr_zero(lv));
          lv &= lv - 1U;
          kth_buf_.push_back(S[i * block_tokens + t] + u.lo);
        }
      }
      rs.kth_lower = q.kth_lower(kth_buf_);
    }
    const score_t cut = thr_.cutoff(rs);
    if (cut == score_min) return;
    const score_t x = cut - u.hi;  // drop iff S + u.hi < cut  <=>  S < cut - u.hi
    const std::int32_t x32 = x <= std::numeric_limits<std::int32_t>::min() ? std::numeric_limits<std::int32_t>::min()
                             : x >= std::numeric_limits<std::int32_t>::max() ? std::numeric_limits<std::int32_t>::max()
                                                                              : static_cast<std::int32_t>(x);
    alignas(32) float xl[block_tokens];
    alignas(32) float xu[block_tokens];
    score_t lowers[block_tokens];
    for (const active_block& a : act_) {
      const std::size_t i = a.index;
      if (live[i] == 0U) continue;
      const std::int32_t* Si = S + i * block_tokens;
      const std::uint32_t drop = live[i] & block_less(Si, x32);
      if (drop == 0U) continue;
      live[i] &= ~drop;
      if (Threshold::needs_z_lower) block_logits(Si, static_cast<double>(q.m - u.lo), q.c, xl);  // c (S + u.lo - M)
      block_logits(Si, static_cast<double>(q.m - u.hi), q.c, xu);  // c (S + u.hi - M)
      if (q.k != 0) {
        for (std::size_t t = 0; t < block_tokens; ++t) lowers[t] = Si[t] + u.lo;
      }
      q.drop_block(drop, a.block * block_tokens, done, Threshold::needs_z_lower ? xl : nullptr, xu, lowers, Threshold::needs_z_lower);
    }
  }

  /// After a tile's last plane (lock-step), for rules that grant a budget for it
  /// (`exact_drop_budget`, mass_budget's pooled budget): drops live keys smallest exact score first
  /// (ties: lower token first) while their weights, rounded up, fit what is left; the tile keeps
  /// at least one key. Scores[(g * nb + i) * 32 + t] are exact here; both lock-step paths run this
  /// same code on the same integers, so they make the same drops.
  template <class Score>
  void drop_smallest_exact([[maybe_unused]] query_state& q, [[maybe_unused]] std::size_t g,
                           [[maybe_unused]] std::size_t nb, [[maybe_unused]] std::size_t b0,
                           [[maybe_unused]] const Score* scores) {
    if constexpr (requires(const Threshold& t, const round_state& r) {
                    { t.exact_drop_budget(r) } -> std::convertible_to<double>;
                  }) {
      if (q.m == score_min || q.du_overflow) return;
      std::uint32_t* live = live_.data() + g * nb;
      const Score* S = scores + g * nb * block_tokens;
      alignas(32) float x[block_tokens];
      const auto tiny = static_cast<float>(query_state::tiny);
      // Z_L with the live keys' exact terms (as the last round's decision computed it, without
      // the window)
      double z = 0.0;
      std::size_t n_live = 0;
      for (std::size_t i = 0; i < nb; ++i) {
        if (live[i] == 0U) continue;
        n_live += static_cast<std::size_t>(std::popcount(live[i]));
        if (Threshold::needs_z_lower) {
          exact_logits(S + i * block_tokens, q, x);
          z += block_exp_sum(x, live[i], tiny);
        }
      }
      if (n_live < 2) return;
      round_state rs = state_of(q);
      rs.z_lower = q.zl + z * (1.0 - block_exp_rel_error);
      rs.live_keys = n_live;
      double left = thr_.exact_drop_budget(rs);
      if (!(left > 0.0)) return;
      // The candidates: keys whose weight alone fits what is left (a superset: the slack covers
      // the float logit).
      const auto cap = static_cast<float>(std::log(left) + 1e-3);
      exact_.clear();
      for (std::size_t i = 0; i < nb; ++i) {
        if (live[i] == 0U) continue;
        exact_logits(S + i * block_tokens, q, x);
        for (std::uint32_t m = live[i]; m != 0U; m &= m - 1U) {
          const auto t = static_cast<std::size_t>(std::countr_zero(m));
          if (x[t] <= cap) exact_.push_back({static_cast<score_t>(S[i * block_tokens + t]), i * block_tokens + t, x[t]});
        }
      }
      const auto smaller = [](const exact_key& a, const exact_key& b) {
        return a.score != b.score ? a.score < b.score : a.slot < b.slot;
      };
      // Greedy in increasing order, sorted a chunk of the smallest at a time (the same drops as
      // one full sort; most tiles stop within the first chunk). Each term is charged above what
      // drop_block adds to du (a float exponential within block_exp_rel_error of a float logit,
      // terms below e^tiny counted as e^tiny).
      std::size_t k = 0;
      bool done = false;
      for (auto first = exact_.begin(); !done && first != exact_.end();) {
        auto last = exact_.end();
        if (last - first > static_cast<std::ptrdiff_t>(exact_chunk)) {
          last = first + static_cast<std::ptrdiff_t>(exact_chunk);
          std::nth_element(first, last, exact_.end(), smaller);
        }
        std::sort(first, last, smaller);
        for (; first != last; ++first) {
          const double term = fast_exp(static_cast<double>(std::max(first->x, tiny))) * (1.0 + 1e-4);
          if (k + 1 >= n_live || term > left) {
            done = true;
            break;
          }
          left -= term;
          ++k;
        }
      }
      if (k == 0) return;
      drop_masks_.assign(nb, 0U);
      for (std::size_t j = 0; j < k; ++j) drop_masks_[exact_[j].slot / block_tokens] |= 1U << (exact_[j].slot % block_tokens);
      score_t lowers[block_tokens];
      for (std::size_t i = 0; i < nb; ++i) {
        if (drop_masks_[i] == 0U) continue;
        live[i] &= ~drop_masks_[i];
        exact_logits(S + i * block_tokens, q, x);
        for (std::size_t t = 0; t < block_tokens; ++t) lowers[t] = static_cast<score_t>(S[i * block_tokens + t]);
        q.drop_block(drop_masks_[i], block_of(b0, i) * block_tokens, kv_.format.planes, x, x, lowers,
                     Threshold::needs_z_lower);
      }
    }
  }

  /// x[t] = float(c (s[t] - M)) for a block of exact scores, as block_logits computes it.
  template <class Score>
  static void exact_logits(const Score* s, const query_state& q, float* x) noexcept {
    if constexpr (std::is_same_v<Score, std::int32_t>) {
      block_logits(s, static_cast<double>(q.m), q.c, x);
    } else {
      for (std::size_t t = 0; t < block_tokens; ++t) x[t] = static_cast<float>(q.c * static_cast<double>(s[t] - q.m));
    }
  }

  static bool all_same_range(std::span<query_state> group) {
    for (const auto& q : group) {
      if (q.visible != group[0].visible || q.first_block != group[0].first_block ||
          q.block_stride != group[0].block_stride || q.block_chunk != group[0].block_chunk) {
        return false;
      }
    }
    return true;
  }

  [[nodiscard]] std::uint32_t valid_mask(const query_state& q, std::size_t b) const noexcept {
    const std::size_t first = b * block_tokens;
    if (q.visible <= first) return 0;
    const std::size_t n = std::min(block_tokens, q.visible - first);
    return n == 32 ? 0xFFFFFFFFU : ((1U << n) - 1U);
  }

  [[nodiscard]] round_state state_of(const query_state& q) const noexcept {
    round_state s;
    s.max_lower = q.m;
    s.logit_scale = q.c;
    s.z_lower = q.zl;
    s.n_keys = q.n_keys;
    s.seen_keys = static_cast<std::size_t>(q.st.keys);
    s.spent = q.du;
    s.spent_overflow = q.du_overflow;
    return s;
  }

  // Active AND-tree inputs of one key plane: ones, or min(ones, zeros) when bidirectional.
  [[nodiscard]] std::uint64_t active(const std::uint8_t* plane, std::size_t t) const noexcept {
    const auto ones = static_cast<std::uint64_t>(popcount_token(plane, kv_.dim_groups, t));
    return cfg_.bidirectional ? std::min<std::uint64_t>(ones, kv_.head_dim - ones) : ones;
  }

  /// Lock-step rounds over blocks [b0, b1) for a group of queries with their own live sets.
  void lockstep_tile(std::span<query_state> group, std::size_t b0, std::size_t nb) {
    const std::size_t G = group.size();
    const int planes = kv_.format.planes;
    const bool sm = kv_.format.sign_magnitude;
    s_.assign(G * nb * block_tokens, 0);
    if (sm) sigma_.assign(G * nb * block_tokens, 0);
    init_live(group, b0, nb);
    alignas(64) std::int32_t dot[block_tokens];
    alignas(64) std::int32_t dot2[block_tokens];
    alignas(64) std::uint8_t anded[block_tokens * 64];
    std::vector<std::uint8_t> anded_big;
    for (int r = 0; r < planes; ++r) {
      const score_t w = kv_.format.weight[static_cast<std::size_t>(r)];
      for (std::size_t i = 0; i < nb; ++i) {
        if (!any_live(G, nb, i)) continue;
        group[0].st.group_block_planes_read += 1;
        const std::size_t b = block_of(b0, i);
        const std::uint8_t* plane = kv_.plane(b, r);
        const std::uint8_t* andp = nullptr;
        if (sm && r > 0) {  // magnitude bits of negative elements: q . (m_r & s) is subtracted twice
          std::uint8_t* buf = anded;
          if (kv_.plane_bytes() > sizeof(anded)) {
            anded_big.resize(kv_.plane_bytes());
            buf = anded_big.data();
          }
          const std::uint8_t* sign = kv_.plane(b, 0);
          for (std::size_t x = 0; x < kv_.plane_bytes(); ++x) buf[x] = static_cast<std::uint8_t>(plane[x] & sign[x]);
          andp = buf;
        }
        for (std::size_t g = 0; g < G; ++g) {
          std::uint32_t lv = live_[g * nb + i];
          if (lv == 0) continue;
          query_state& q = group[g];
          q.scorer.score_block(plane, dot);
          if (andp != nullptr) q.scorer.score_block(andp, dot2);
          score_t* S = s_.data() + (g * nb + i) * block_tokens;
          const std::uint32_t valid = valid_mask(q, b);
          q.st.block_planes_read += 1;
          q.st.block_token_planes_read += static_cast<std::uint64_t>(std::popcount(valid));
          q.st.k_bytes_read += kv_.plane_bytes();
          while (lv != 0U) {
            const auto t = static_cast<std::size_t>(std::countr_zero(lv));
            lv &= lv - 1U;
            if (sm && r == 0) {
              sigma_[(g * nb + i) * block_tokens + t] = dot[t];
            } else if (sm) {
              S[t] += w * (static_cast<score_t>(dot[t]) - 2 * static_cast<score_t>(dot2[t]));
            } else {
              S[t] += w * static_cast<score_t>(dot[t]);
            }
            if (cfg_.count_active_bits) q.st.active_bits += active(plane, t);
          }
        }
      }
      for (std::size_t g = 0; g < G; ++g) decide_round(group[g], g, nb, b0, r + 1);
    }
    for (std::size_t g = 0; g < G; ++g) drop_smallest_exact(group[g], g, nb, b0, s_.data());
    finish_survivors(group, nb, b0, s_.data());
  }

  /// After `done` planes of the tile: bounds of every live key, M, the cutoff, the drops.
  void decide_round(query_state& q, std::size_t g, std::size_t nb, std::size_t b0, int done) {
    const bool sm = kv_.format.sign_magnitude;
    const interval u = margin::exact::unseen_desc(kv_.format, q.sums, done, 0);
    std::uint32_t* live = live_.data() + g * nb;
    const score_t* S = s_.data() + g * nb * block_tokens;
    bool any = false;
    score_t best = score_min;
    std::size_t n_live = 0;
    for (std::size_t i = 0; i < nb; ++i) {
      std::uint32_t lv = live[i];
      any = any || lv != 0U;
      n_live += static_cast<std::size_t>(std::popcount(lv));
      while (lv != 0U) {
        const auto t = static_cast<std::size_t>(std::countr_zero(lv));
        lv &= lv - 1U;
        const std::size_t x = i * block_tokens + t;
        const score_t lo = sm ? margin::exact::unseen_desc(kv_.format, q.sums, done, sigma_[g * nb * block_tokens + x]).lo : u.lo;
        best = std::max(best, S[x] + lo);
      }
    }
    if (!any) return;
    q.st.rounds += 1;
    q.raise_max(best);
    round_state rs = state_of(q);
    rs.live_keys = n_live;
    if (Threshold::needs_z_lower || thr_.kth() > 0) {
      kth_buf_.clear();
      alignas(32) float xs[block_tokens] = {};
      double z = 0.0;
      for (std::size_t i = 0; i < nb; ++i) {
        std::uint32_t lv = live[i];
        if (lv == 0U) continue;
        while (lv != 0U) {
          const auto t = static_cast<std::size_t>(std::countr_zero(lv));
          lv &= lv - 1U;
          const std::size_t x = i * block_tokens + t;
          const score_t lo = sm ? margin::exact::unseen_desc(kv_.format, q.sums, done, sigma_[g * nb * block_tokens + x]).lo : u.lo;
          const score_t l = S[x] + lo;
          xs[t] = static_cast<float>(q.c * static_cast<double>(l - q.m));  // as block_logits computes it
          if (thr_.kth() > 0) kth_buf_.push_back(l);
        }
        if (Threshold::needs_z_lower) z += block_exp_sum(xs, live[i], static_cast<float>(query_state::live_window));
      }
      rs.z_lower = q.zl + z * (1.0 - block_exp_rel_error);
      rs.kth_lower = q.kth_lower(kth_buf_);
    }
    const score_t cut = thr_.cutoff(rs);
    if (cut == score_min) return;
    alignas(32) float xl[block_tokens] = {};
    alignas(32) float xu[block_tokens] = {};
    score_t lowers[block_tokens] = {};
    for (std::size_t i = 0; i < nb; ++i) {
      std::uint32_t drop = 0;
      for (std::uint32_t lv = live[i]; lv != 0U; lv &= lv - 1U) {
        const auto t = static_cast<std::size_t>(std::countr_zero(lv));
        const std::size_t x = i * block_tokens + t;
        const interval iv = sm ? margin::exact::unseen_desc(kv_.format, q.sums, done, sigma_[g * nb * block_tokens + x]) : u;
        if (S[x] + iv.hi < cut) {
          drop |= 1U << t;
          lowers[t] = S[x] + iv.lo;
          xl[t] = static_cast<float>(q.c * static_cast<double>(S[x] + iv.lo - q.m));  // as block_logits
          xu[t] = static_cast<float>(q.c * static_cast<double>(S[x] + iv.hi - q.m));
        }
      }
      if (drop == 0U) continue;
      live[i] &= ~drop;
      q.drop_block(drop, block_of(b0, i) * block_tokens, done, xl, xu, lowers, Threshold::needs_z_lower);
    }
  }

  struct lane {
    std::size_t next = 0;  // index into the lane's key list
    std::size_t token = 0;
    bool busy = false;
    int plane = 0;
    score_t s = 0;
    score_t sigma = 0;
    score_t lower = score_min;
  };

  /// Out-of-order lanes over blocks [b0, b1) for one query (see schedule/concept.hpp).
  void ooo_tile(query_state& q, std::size_t b0, std::size_t b1) {
    const std::size_t t0 = b0 * block_tokens;
    const std::size_t t1 = std::min(q.visible, b1 * block_tokens);
    if (t1 <= t0) return;
    const std::size_t n = t1 - t0;
    q.st.keys += n;
    const auto L = static_cast<std::size_t>(cfg_.lanes);
    const int planes = kv_.format.planes;
    const bool sm = kv_.format.sign_magnitude;
    std::vector<lane> lanes(std::min(L, n));
    plane_masks_.assign(b1 - b0, 0U);
    auto load = [&](lane& ln, std::size_t l) {
      const std::size_t idx = l + ln.next * L;
      ln.busy = idx < n;
      if (ln.busy) {
        ln.token = t0 + idx;
        ln.plane = 0;
        ln.s = 0;
        ln.sigma = 0;
        ln.lower = score_min;
      }
    };
    for (std::size_t l = 0; l < lanes.size(); ++l) load(lanes[l], l);
    std::size_t busy = lanes.size();
    std::size_t undecided = n;  // keys of this tile not finished yet (live, in a lane or waiting)
    while (busy > 0) {
      q.st.rounds += 1;
      for (std::size_t l = 0; l < lanes.size(); ++l) {
        lane& ln = lanes[l];
        if (!ln.busy) continue;
        const std::size_t b = ln.token / block_tokens;
        const std::size_t t = ln.token % block_tokens;
        const int r = ln.plane;
        const std::uint8_t* plane = kv_.plane(b, r);
        plane_masks_[b - b0] |= 1U << r;
        const std::int32_t d = q.scorer.score_token(plane, t);
        if (sm && r == 0) {
          ln.sigma = d;
        } else if (sm) {
          std::int32_t neg = 0;
          const std::uint8_t* sign = kv_.plane(b, 0);
          for (std::size_t gi = 0; gi < kv_.dim_groups; ++gi) {
            const unsigned byte = plane[gi * block_tokens + t] & sign[gi * block_tokens + t];
            neg += q.scorer.lookup(gi, byte);
          }
          ln.s += kv_.format.weight[static_cast<std::size_t>(r)] * (static_cast<score_t>(d) - 2 * static_cast<score_t>(neg));
        } else {
          ln.s += kv_.format.weight[static_cast<std::size_t>(r)] * static_cast<score_t>(d);
        }
        if (cfg_.count_active_bits) q.st.active_bits += active(plane, t);
        const int done = r + 1;
        const interval iv = margin::exact::unseen_desc(kv_.format, q.sums, done, ln.sigma);
        ln.lower = ln.s + iv.lo;
        q.raise_max(ln.lower);
        round_state rs = state_of(q);
        rs.live_keys = undecided;
        if (Threshold::needs_z_lower) {
          const double e = q.rel(ln.lower);
          rs.z_lower = q.zl + (e > query_state::tiny ? fast_exp(e) * query_state::down : 0.0);
        }
        if (thr_.kth() > 0) {
          kth_buf_.clear();
          for (const lane& o : lanes) {
            if (o.busy && o.lower != score_min) kth_buf_.push_back(o.lower);
          }
          rs.kth_lower = q.kth_lower(kth_buf_);
        }
        const score_t cut = thr_.cutoff(rs);
        bool finished = false;
        if (ln.s + iv.hi < cut) {
          q.finish_dropped(ln.token, ln.s + iv.lo, ln.s + iv.hi, done, Threshold::needs_z_lower);
          finished = true;
        } else if (done == planes) {
          q.finish_survivor(ln.token, ln.s, kv_.values, kv_.value_dim, planes);
          finished = true;
        } else {
          ln.plane = done;
        }
        if (finished) {
          undecided -= 1;
          ln.next += 1;
          load(ln, l);
          if (!ln.busy) --busy;
        }
      }
    }
    for (std::size_t i = 0; i < plane_masks_.size(); ++i) {
      const auto pc = static_cast<std::uint64_t>(std::popcount(plane_masks_[i]));
      const std::uint32_t valid = valid_mask(q, b0 + i);
      q.st.block_planes_read += pc;
      q.st.group_block_planes_read += pc;
      q.st.block_token_planes_read += pc * static_cast<std::uint64_t>(std::popcount(valid));
      q.st.k_bytes_read += pc * kv_.plane_bytes();
    }
  }

  /// drop_smallest_exact sorts its candidates this many at a time (the smallest first).
  static constexpr std::size_t exact_chunk = 256;

  Threshold thr_;
  const engine_config& cfg_;
  const kv_view& kv_;
  // engine_buffers (the base) holds the tile buffers; the constructor swaps them with the thread's
  // engine_scratch and the destructor swaps them back, so their capacity survives between calls.
  scratch_lease scratch_;
  std::size_t first_ = 0;             // block map of the query being processed (query_state::first_block)
  std::size_t stride_ = 1;
  std::size_t chunk_ = 1;
};

}  // namespace bitsieve::detail
