// SPDX-License-Identifier: Apache-2.0
/// \file margin/concept.hpp
/// The MarginPolicy concept: the interval of the contribution of the planes not yet read.
///
/// Models: `margin::exact` (the tight interval of DESIGN.md §2). A margin policy is a stateless
/// type with `prepare(q)` (per-query sums, once per query) and `unseen<Format>(sums, planes_done,
/// sign_dot)` (the interval to add to the partial score after `planes_done` planes).
#pragma once

#include <concepts>
#include <cstdint>
#include <span>

#include "bitsieve/core/interval.hpp"
#include "bitsieve/format/twos_complement.hpp"

namespace bitsieve {

/// Opt-in tag: a margin policy declares `using policy_category = margin_policy_tag;`.
struct margin_policy_tag {};

/// Per-query sums a margin needs: P(q) = sum of positive q_i, N(q) = sum of negative q_i.
struct query_sums {
  score_t pos = 0;
  score_t neg = 0;
};

template <class M>
concept MarginPolicy = std::derived_from<typename M::policy_category, margin_policy_tag> &&
                       requires(std::span<const std::int32_t> q, const query_sums& s, int r, score_t sd) {
                         { M::prepare(q) } -> std::same_as<query_sums>;
                         { M::template unseen<format::twos_complement<8>>(s, r, sd) } -> std::same_as<interval>;
                       };

}  // namespace bitsieve
