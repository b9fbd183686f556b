// SPDX-License-Identifier: Apache-2.0
/// \file tests/support/golden_model.hpp
/// A plain scalar model of the decision rules, written for the tests straight from DESIGN.md §2-3
/// and the scheduler / tile contracts in schedule/concept.hpp and tile/concept.hpp. It shares no
/// code with the kernel: partial sums are built element by element from the format's `bit()`, the
/// interval of the unseen planes is derived per element (each remaining bit of element i adds
/// between 0 and 2^p times q_i, or q_i with the key's sign for sign-magnitude), and the rules are
/// evaluated in double exactly as written in DESIGN.md ("drop iff c (U - M) < -alpha radius").
///
/// It models the rules whose decisions are pure functions of integers and one double comparison
/// (dense, lats, fixed, top_k) under the lock-step and the out-of-order scheduler, with tiles.
/// It returns every key's stop plane and keep/drop decision.
#pragma once

#include <bitsieve/core/interval.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace bitsieve_test {

using bitsieve::score_t;

// ------------------------------------------------------------------------------------------------
// Tile orders, from tile/concept.hpp (independent of the library's implementations)
// ------------------------------------------------------------------------------------------------

enum class tile_kind { sequential, interleaved, head_tail };

/// `i` written with `bits` binary digits, read backwards.
inline std::size_t reverse_digits(std::size_t i, std::size_t bits) {
  std::string digits;
  for (std::size_t b = 0; b < bits; ++b) digits.push_back(((i >> b) & 1U) != 0U ? '1' : '0');  // LSB first
  std::size_t r = 0;
  for (const char ch : digits) r = r * 2 + (ch == '1' ? 1U : 0U);  // read LSB-first digits as MSB-first
  return r;
}

/// The visit order of n tiles of `tile_tokens` tokens each (the size the kernel really uses,
/// i.e. rounded up to 32-token blocks):
/// - sequential: 0, 1, .., n-1;
/// - interleaved: the bit-reversal permutation of 0 .. 2^b - 1 (2^b the smallest power of two
///   >= n), keeping the entries < n;
/// - head_tail: the tiles that hold any of the first `sink` tokens, in index order, then the
///   others from the newest (n-1) back to the oldest.
inline std::vector<std::size_t> model_tile_order(tile_kind kind, std::size_t n, std::size_t tile_tokens,
                                                 std::size_t sink) {
  std::vector<std::size_t> o;
  switch (kind) {
    case tile_kind::sequential:
      for (std::size_t i = 0; i < n; ++i) o.push_back(i);
      break;
    case tile_kind::interleaved: {
      std::size_t bits = 0;
      std::size_t pow2 = 1;
      while (pow2 < n) {
        pow2 *= 2;
        ++bits;
      }
      for (std::size_t i = 0; i < pow2; ++i) {
        const std::size_t r = reverse_digits(i, bits);
        if (r < n) o.push_back(r);
      }
      break;
    }
    case tile_kind::head_tail: {
      std::vector<char> is_head(n, 0);
      for (std::size_t t = 0; t < n; ++t) is_head[t] = t * tile_tokens < sink ? 1 : 0;  // first token of tile t
      for (std::size_t t = 0; t < n; ++t) {
        if (is_head[t] != 0) o.push_back(t);
      }
      for (std::size_t t = n; t-- > 0;) {
        if (is_head[t] == 0) o.push_back(t);
      }
      break;
    }
  }
  return o;
}

// ------------------------------------------------------------------------------------------------
// The scalar model
// ------------------------------------------------------------------------------------------------

enum class rule_kind { dense, lats, fixed, top_k };

struct model_rule {
  rule_kind kind = rule_kind::lats;
  double alpha = 0.6;
  double radius = 5.0;
  double tau = 0.0;
  std::size_t k = 1;
};

struct model_schedule {
  int lanes = 0;               ///< 0 = lock-step, else out-of-order lanes
  std::size_t tile_size = 0;   ///< tokens (0 = one tile); rounded up to 32-token blocks
  tile_kind tiles = tile_kind::sequential;
  std::size_t sink = 64;       ///< head_tail
};

struct model_result {
  std::vector<int> stop_plane;  ///< planes read per key (1 .. B)
  std::vector<char> kept;       ///< survivor (read to the last plane and used in softmax)
  std::array<std::uint64_t, 17> hist{};
  std::uint64_t survivors = 0;
  std::uint64_t planes = 0;
  std::uint64_t last_plane_drops = 0;  ///< keys that read every plane and were then dropped
  std::uint64_t rounds = 0;            ///< lock-step: rounds with live keys; out-of-order: steps
  std::uint64_t block_planes = 0;      ///< (32-token block, plane) pairs read by any key
  std::uint64_t block_token_planes = 0;  ///< the same, weighted by the tokens present in the block
};

/// The model for keys of format F and one integer query q. `keys` are the integer keys; `c` the
/// logit scale (scale_q * scale_k * softmax_scale).
template <class F>
class golden_model {
 public:
  golden_model(const std::vector<std::int32_t>& q, const std::vector<std::vector<std::int32_t>>& keys, double c)
      : c_(c), n_(keys.size()), d_(q.size()), partial_(keys.size()), ones_(keys.size()), hi_coef_(keys.size()),
        lo_coef_(keys.size()) {
    constexpr int B = F::bits;
    for (std::size_t j = 0; j < n_; ++j) {
      auto& s = partial_[j];
      s.assign(B + 1, 0);
      score_t hi = 0;
      score_t lo = 0;
      for (std::size_t i = 0; i < q.size(); ++i) {
        const std::int32_t v = keys[j][i];
        // The sign each magnitude bit of this element is added with (sign-magnitude only).
        const score_t sign = F::is_sign_magnitude && F::bit(v, 0) != 0U ? -1 : 1;
        const score_t qi = static_cast<score_t>(q[i]) * sign;
        hi += std::max<score_t>(qi, 0);
        lo += std::min<score_t>(qi, 0);
      }
      hi_coef_[j] = hi;
      lo_coef_[j] = lo;
      ones_[j].assign(B, 0);
      for (int r = 0; r < B; ++r) {
        score_t plane_sum = 0;
        for (std::size_t i = 0; i < q.size(); ++i) {
          const std::int32_t v = keys[j][i];
          const score_t b = F::bit(v, r);
          ones_[j][static_cast<std::size_t>(r)] += static_cast<int>(b);
          score_t contrib = 0;
          if constexpr (F::is_sign_magnitude) {
            if (r > 0) contrib = (F::bit(v, 0) != 0U ? -1 : 1) * b * (score_t{1} << (B - 1 - r));
          } else {
            contrib = r == 0 ? -b * (score_t{1} << (B - 1)) : b * (score_t{1} << (B - 1 - r));
          }
          plane_sum += static_cast<score_t>(q[i]) * contrib;
        }
        s[static_cast<std::size_t>(r) + 1] = s[static_cast<std::size_t>(r)] + plane_sum;
      }
      score_t exact = 0;
      for (std::size_t i = 0; i < q.size(); ++i) exact += static_cast<score_t>(q[i]) * keys[j][i];
      if (s[B] != exact) throw std::logic_error("golden_model: the planes do not add up to q . k");
    }
  }

  /// Exact interval of key j's score after r >= 1 planes.
  [[nodiscard]] bitsieve::interval bounds(std::size_t j, int r) const {
    const score_t rem = (score_t{1} << (F::bits - r)) - 1;  // unseen planes: weights 2^0 .. 2^(B-r-1)
    const score_t s = partial_[j][static_cast<std::size_t>(r)];
    return {s + rem * lo_coef_[j], s + rem * hi_coef_[j]};
  }
  [[nodiscard]] score_t exact(std::size_t j) const { return partial_[j][F::bits]; }

  /// Bits an AND tree accumulates for the planes a run read: per key and plane read, the 1-bits
  /// of the plane, or min(ones, zeros) when bidirectional.
  [[nodiscard]] std::uint64_t active_bits(const model_result& res, bool bidirectional) const {
    std::uint64_t total = 0;
    for (std::size_t j = 0; j < n_; ++j) {
      for (int r = 0; r < res.stop_plane[j]; ++r) {
        const auto ones = static_cast<std::uint64_t>(ones_[j][static_cast<std::size_t>(r)]);
        total += bidirectional ? std::min<std::uint64_t>(ones, d_ - ones) : ones;
      }
    }
    return total;
  }

  [[nodiscard]] model_result run(const model_rule& rule, const model_schedule& sch) const {
    constexpr int B = F::bits;
    model_result res;
    res.stop_plane.assign(n_, 0);
    res.kept.assign(n_, 0);
    std::optional<score_t> m;            // M: the largest lower bound seen
    std::vector<score_t> finished_top;    // the k largest final lower bounds of finished keys (top_k)

    const auto raise = [&](score_t l) {
      if (!m || l > *m) m = l;
    };
    // k-th largest over finished keys and `live` lower bounds; nullopt while fewer than k keys.
    // (Only the k largest finished ones can be among the k largest of the union.)
    const auto kth = [&](const std::vector<score_t>& live) -> std::optional<score_t> {
      std::vector<score_t> all = finished_top;
      all.insert(all.end(), live.begin(), live.end());
      if (all.size() < rule.k) return std::nullopt;
      std::nth_element(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(rule.k - 1), all.end(), std::greater<>());
      return all[rule.k - 1];
    };
    const auto drops = [&](score_t u, const std::optional<score_t>& kth_value) {
      switch (rule.kind) {
        case rule_kind::dense: return false;
        case rule_kind::lats: return c_ * static_cast<double>(u - *m) < -(rule.alpha * rule.radius);
        case rule_kind::fixed: return c_ * static_cast<double>(u) < rule.tau;
        case rule_kind::top_k: return kth_value.has_value() && u < *kth_value;
      }
      return false;
    };
    const auto finish = [&](std::size_t j, int planes, bool kept, score_t lower) {
      res.stop_plane[j] = planes;
      res.kept[j] = kept ? 1 : 0;
      res.hist[static_cast<std::size_t>(planes)] += 1;
      res.planes += static_cast<std::uint64_t>(planes);
      res.survivors += kept ? 1U : 0U;
      if (!kept && planes == B) res.last_plane_drops += 1;
      if (rule.kind == rule_kind::top_k) {
        finished_top.insert(std::upper_bound(finished_top.begin(), finished_top.end(), lower, std::greater<>()), lower);
        if (finished_top.size() > rule.k) finished_top.pop_back();
      }
    };

    const std::size_t tile_blocks = sch.tile_size == 0 ? 0 : (sch.tile_size + 31) / 32;
    const std::size_t n_blocks = (n_ + 31) / 32;
    const std::size_t tile_tokens = tile_blocks == 0 ? n_blocks * 32 : tile_blocks * 32;
    const std::size_t n_tiles = tile_blocks == 0 ? (n_ > 0 ? 1 : 0) : (n_blocks + tile_blocks - 1) / tile_blocks;
    for (const std::size_t tile : model_tile_order(sch.tiles, n_tiles, tile_tokens, sch.sink)) {
      const std::size_t t0 = tile * tile_tokens;
      const std::size_t t1 = std::min(n_, t0 + tile_tokens);
      if (sch.lanes == 0) {
        // Lock-step: round r reads plane r of every live key, then applies the rule to all.
        std::vector<std::size_t> live;
        for (std::size_t j = t0; j < t1; ++j) live.push_back(j);
        for (int r = 1; r <= B && !live.empty(); ++r) {
          res.rounds += 1;
          std::vector<char> block_live((t1 - t0 + 31) / 32, 0);
          for (const std::size_t j : live) block_live[(j - t0) / 32] = 1;
          for (std::size_t b = 0; b < block_live.size(); ++b) {
            if (block_live[b] == 0) continue;
            res.block_planes += 1;
            res.block_token_planes += std::min<std::size_t>(32, t1 - (t0 + 32 * b));
          }
          std::vector<score_t> lows;
          for (const std::size_t j : live) {
            lows.push_back(bounds(j, r).lo);
            raise(lows.back());
          }
          const std::optional<score_t> kv = rule.kind == rule_kind::top_k ? kth(lows) : std::nullopt;
          std::vector<std::size_t> next;
          for (const std::size_t j : live) {
            const bitsieve::interval iv = bounds(j, r);
            if (drops(iv.hi, kv)) {
              finish(j, r, false, iv.lo);
            } else {
              next.push_back(j);
            }
          }
          live = std::move(next);
        }
        for (const std::size_t j : live) finish(j, B, true, exact(j));
      } else {
        // Out-of-order: key i of the tile goes to lane i % lanes; a lane takes its keys one after
        // another, one plane per step; lanes 0 .. lanes-1 act in turn, each seeing the state the
        // previous events left.
        const std::size_t m_keys = t1 - t0;
        const auto L = static_cast<std::size_t>(sch.lanes);
        struct lane_state {
          std::optional<std::size_t> key;
          std::size_t taken = 0;
          int r = 0;
          score_t lower = 0;
        };
        std::vector<lane_state> lanes(std::min(L, m_keys));
        for (std::size_t l = 0; l < lanes.size(); ++l) lanes[l].key = t0 + l;
        std::vector<std::vector<char>> plane_read((m_keys + 31) / 32, std::vector<char>(B, 0));
        bool any = !lanes.empty();
        while (any) {
          any = false;
          res.rounds += 1;
          for (std::size_t l = 0; l < lanes.size(); ++l) {
            lane_state& ln = lanes[l];
            if (!ln.key) continue;
            const std::size_t j = *ln.key;
            plane_read[(j - t0) / 32][static_cast<std::size_t>(ln.r)] = 1;
            ln.r += 1;
            const bitsieve::interval iv = bounds(j, ln.r);
            ln.lower = iv.lo;
            raise(iv.lo);
            std::optional<score_t> kv;
            if (rule.kind == rule_kind::top_k) {
              std::vector<score_t> live;
              for (const lane_state& o : lanes) {
                if (o.key && o.r >= 1) live.push_back(o.lower);
              }
              kv = kth(live);
            }
            bool done = false;
            if (drops(iv.hi, kv)) {
              finish(j, ln.r, false, iv.lo);
              done = true;
            } else if (ln.r == B) {
              finish(j, B, true, exact(j));
              done = true;
            }
            if (done) {
              ln.taken += 1;
              const std::size_t idx = l + ln.taken * L;
              ln.key = idx < m_keys ? std::optional<std::size_t>(t0 + idx) : std::nullopt;
              ln.r = 0;
            }
          }
          for (const lane_state& ln : lanes) any = any || ln.key.has_value();
        }
        for (std::size_t b = 0; b < plane_read.size(); ++b) {
          const auto planes = static_cast<std::uint64_t>(std::count(plane_read[b].begin(), plane_read[b].end(), 1));
          res.block_planes += planes;
          res.block_token_planes += planes * std::min<std::size_t>(32, t1 - (t0 + 32 * b));
        }
      }
    }
    return res;
  }

 private:
  double c_;
  std::size_t n_;
  std::size_t d_;
  std::vector<std::vector<score_t>> partial_;  // (n, B + 1): partial sums after 0 .. B planes
  std::vector<std::vector<int>> ones_;         // (n, B): 1-bits of each plane of each key
  std::vector<score_t> hi_coef_;              // per key: sum_i max(0, q_i sign_i)
  std::vector<score_t> lo_coef_;              // per key: sum_i min(0, q_i sign_i)
};

}  // namespace bitsieve_test
