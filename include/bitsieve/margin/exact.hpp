// SPDX-License-Identifier: Apache-2.0
/// \file margin/exact.hpp
/// `margin::exact`: the exact (tight) interval of a key's final score after any number of planes
/// (DESIGN.md §2; BitStopper §III-B, PADE Eq. 3). With P = sum of positive q_i, N = sum of
/// negative q_i and b = planes not yet read:
/// - two's complement, >= 1 plane read: final in [S + (2^b - 1) N, S + (2^b - 1) P];
/// - sign-magnitude, >= 1 plane read (the sign plane): with sigma = q . sign_plane of the key,
///   final in [S + (2^b - 1)(N - sigma), S + (2^b - 1)(P - sigma)];
/// - 0 planes read: the range of q . k over every representable key.
/// Both ends are reached by some key, so no tighter interval is valid. Cost: two sums per query,
/// one shift per round, one add per key (plus sigma per key for sign-magnitude).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "bitsieve/format/concept.hpp"
#include "bitsieve/format/format_desc.hpp"
#include "bitsieve/margin/concept.hpp"

namespace bitsieve {

/// Largest head dimension the kernel accepts; with it the integer score cannot overflow.
inline constexpr std::size_t max_head_dim = std::size_t{1} << 16;

// 16-bit q times 16-bit k summed over max_head_dim dimensions, times the 2^b factor, in score_t.
static_assert((std::int64_t{1} << 15) * (std::int64_t{1} << 15) * static_cast<std::int64_t>(max_head_dim) * 2 <
                  (std::int64_t{1} << 62),
              "bitsieve: score_t is too narrow for 16-bit x 16-bit products over max_head_dim");

namespace margin {

struct exact {
  using policy_category = margin_policy_tag;

  /// P(q) and N(q) of an integer query.
  [[nodiscard]] static constexpr query_sums prepare(std::span<const std::int32_t> q) noexcept {
    query_sums s;
    for (const std::int32_t v : q) (v > 0 ? s.pos : s.neg) += v;
    return s;
  }

  /// Interval of the contribution of the unseen planes after `planes_done` planes (0..planes).
  /// `sign_dot` is q . (sign plane of the key): used by sign-magnitude only, once it is read.
  template <BitPlaneFormat F>
  [[nodiscard]] static constexpr interval unseen(const query_sums& s, int planes_done,
                                                 score_t sign_dot = 0) noexcept {
    constexpr score_t top = score_t{1} << (F::bits - 1);
    if (planes_done <= 0) {
      if constexpr (F::is_sign_magnitude) {
        return {(top - 1) * (s.neg - s.pos), (top - 1) * (s.pos - s.neg)};
      } else {
        return {-top * s.pos + (top - 1) * s.neg, (top - 1) * s.pos - top * s.neg};
      }
    }
    const score_t f = (score_t{1} << (F::planes - planes_done)) - 1;
    if constexpr (F::is_sign_magnitude) {
      return {f * (s.neg - sign_dot), f * (s.pos - sign_dot)};
    } else {
      return {f * s.neg, f * s.pos};
    }
  }

  /// The same interval for a format described at run time (the kernel engine's form).
  [[nodiscard]] static constexpr interval unseen_desc(const detail::format_desc& fmt, const query_sums& s,
                                                      int planes_done, score_t sign_dot = 0) noexcept {
    const score_t top = score_t{1} << (fmt.bits - 1);
    if (planes_done <= 0) {
      if (fmt.sign_magnitude) return {(top - 1) * (s.neg - s.pos), (top - 1) * (s.pos - s.neg)};
      return {-top * s.pos + (top - 1) * s.neg, (top - 1) * s.pos - top * s.neg};
    }
    const score_t f = (score_t{1} << (fmt.planes - planes_done)) - 1;
    if (fmt.sign_magnitude) return {f * (s.neg - sign_dot), f * (s.pos - sign_dot)};
    return {f * s.neg, f * s.pos};
  }
};

}  // namespace margin

/// Golden partial score after `planes_done` planes of key `k` against query `q` (plain loops over
/// the planes of each element; for tests and reference models, not for speed).
/// For sign-magnitude the sign plane contributes nothing by itself.
template <BitPlaneFormat F>
[[nodiscard]] constexpr score_t partial_score(std::span<const std::int32_t> q, std::span<const std::int32_t> k,
                                              int planes_done) noexcept {
  score_t s = 0;
  for (std::size_t i = 0; i < q.size() && i < k.size(); ++i) {
    score_t e = 0;
    for (int r = 0; r < planes_done; ++r) e += F::plane_weight(r) * static_cast<score_t>(F::bit(k[i], r));
    if constexpr (F::is_sign_magnitude) {
      if (F::bit(k[i], 0) != 0U) e = -e;
    }
    s += static_cast<score_t>(q[i]) * e;
  }
  return s;
}

/// q . sign_plane(k) for sign-magnitude keys (0 for two's complement).
template <BitPlaneFormat F>
[[nodiscard]] constexpr score_t sign_dot(std::span<const std::int32_t> q, std::span<const std::int32_t> k) noexcept {
  score_t s = 0;
  if constexpr (F::is_sign_magnitude) {
    for (std::size_t i = 0; i < q.size() && i < k.size(); ++i) s += F::bit(k[i], 0) != 0U ? q[i] : 0;
  }
  return s;
}

/// The interval of the final score of `k` after `planes_done` planes (golden; see margin::exact).
template <BitPlaneFormat F>
[[nodiscard]] constexpr interval score_bounds(std::span<const std::int32_t> q, std::span<const std::int32_t> k,
                                              int planes_done) noexcept {
  const query_sums s = margin::exact::prepare(q);
  const score_t sd = planes_done > 0 ? sign_dot<F>(q, k) : 0;
  const interval u = margin::exact::unseen<F>(s, planes_done, sd);
  const score_t p = partial_score<F>(q, k, planes_done);
  return {p + u.lo, p + u.hi};
}

}  // namespace bitsieve
