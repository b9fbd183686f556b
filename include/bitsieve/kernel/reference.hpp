// SPDX-License-Identifier: Apache-2.0
/// \file kernel/reference.hpp
/// Exact dense attention in double precision: the yardstick for tests and for bitsieve-eval
/// (DESIGN.md §5: "the reference is exact attention in double on the unquantized inputs").
///
/// - `dense_attention_reference`: all rows at once; output (n_q x d_v) and, on request, the
///   probability matrix (n_q x n_k).
/// - `dense_attention_reference_row`: one row's probabilities, output, top-1 key and max logit,
///   for callers that look at a few rows or need per-row recall (mass on kept keys).
/// - `reference_visible_keys`: how many keys row i sees (all n_k, or n_k - n_q + i + 1 causal).
///
/// Logits are scale * sum_t q[i,t] * k[j,t] accumulated in double from the given values; softmax
/// subtracts the row maximum before exponentiating, so it neither overflows nor underflows as a
/// whole whatever the logit range. Complexity O(n_q * n_k * (d + d_v)) time, O(n_k) extra space
/// per row (plus n_q * n_k if probabilities are kept). No quantization, no pruning.
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "bitsieve/core/error.hpp"

namespace bitsieve {

/// The result of `dense_attention_reference`.
struct dense_reference_result {
  std::size_t n_q = 0;
  std::size_t n_k = 0;
  std::size_t d_v = 0;
  /// (n_q, d_v): softmax(scale * q k^T) v, row-major.
  std::vector<double> out;
  /// (n_q, n_k) softmax probabilities, row-major, 0 for masked keys; empty unless requested.
  std::vector<double> probabilities;
};

/// One row of exact attention (`dense_attention_reference_row`).
struct dense_reference_row {
  /// Keys this row sees (keys visible .. n_k-1 are masked).
  std::size_t visible = 0;
  /// (n_k) softmax probabilities; 0 for masked keys. Sums to 1 over the visible keys.
  std::vector<double> probabilities;
  /// (d_v) the attention output of this row.
  std::vector<double> out;
  /// Index of the most probable key (the lowest index among exact ties).
  std::size_t top1 = 0;
  /// The largest scaled logit of the row (scale * q.k over visible keys).
  double max_logit = 0.0;
};

namespace detail {

template <class T>
void reference_check_finite(std::span<const T> x, const char* name, const char* who, std::size_t offset) {
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) {
      throw domain_error(std::string(who) + ": " + name + "[" + std::to_string(offset + i) + "] is " +
                         (std::isnan(x[i]) ? "NaN" : "infinite") + "; inputs must be finite");
    }
  }
}

inline void reference_check_size(std::size_t got, std::size_t rows, std::size_t cols, const char* name,
                                 const char* dims, const char* who) {
  if (cols != 0 && rows > std::numeric_limits<std::size_t>::max() / cols) {
    throw invalid_argument(std::string(who) + ": " + dims + " overflows size_t");
  }
  if (got != rows * cols) {
    throw invalid_argument(std::string(who) + ": " + name + " has " + std::to_string(got) + " elements, expected " +
                           dims + " = " + std::to_string(rows) + " * " + std::to_string(cols) + " = " +
                           std::to_string(rows * cols));
  }
}

/// Checks sizes, scale and mask; then finiteness of all of q, k, v, or with `row` < n_q only of
/// the values that row reads (q row `row`, and the k and v rows it sees).
template <class T>
void reference_validate(std::span<const T> q, std::span<const T> k, std::span<const T> v, std::size_t n_q,
                        std::size_t n_k, std::size_t d, std::size_t d_v, double scale, bool causal, const char* who,
                        std::size_t row = std::numeric_limits<std::size_t>::max()) {
  if (n_q == 0 || n_k == 0 || d == 0 || d_v == 0) {
    throw invalid_argument(std::string(who) + ": empty input: n_q " + std::to_string(n_q) + ", n_k " +
                           std::to_string(n_k) + ", d " + std::to_string(d) + ", d_v " + std::to_string(d_v) +
                           " must all be positive");
  }
  if (!(std::isfinite(scale) && scale > 0.0)) {
    throw invalid_argument(std::string(who) + ": scale must be finite and positive, got " + std::to_string(scale));
  }
  if (causal && n_q > n_k) {
    throw invalid_argument(std::string(who) + ": causal attention needs n_q <= n_k, got n_q " + std::to_string(n_q) +
                           " and n_k " + std::to_string(n_k));
  }
  reference_check_size(q.size(), n_q, d, "q", "n_q * d", who);
  reference_check_size(k.size(), n_k, d, "k", "n_k * d", who);
  reference_check_size(v.size(), n_k, d_v, "v", "n_k * d_v", who);
  if (row == std::numeric_limits<std::size_t>::max()) {
    reference_check_finite(q, "q", who, 0);
    reference_check_finite(k, "k", who, 0);
    reference_check_finite(v, "v", who, 0);
    return;
  }
  if (row >= n_q) {
    throw invalid_argument(std::string(who) + ": row " + std::to_string(row) + " is not below n_q " +
                           std::to_string(n_q));
  }
  const std::size_t visible = causal ? n_k - n_q + row + 1 : n_k;
  reference_check_finite(q.subspan(row * d, d), "q", who, row * d);
  reference_check_finite(k.first(visible * d), "k", who, 0);
  reference_check_finite(v.first(visible * d_v), "v", who, 0);
}

/// Row `i` of exact attention on validated input; writes n_k probabilities and d_v outputs.
template <class T>
void reference_row_unchecked(std::span<const T> q, std::span<const T> k, std::span<const T> v, std::size_t n_k,
                             std::size_t d, std::size_t d_v, double scale, std::size_t visible, std::size_t i,
                             double* prob, double* out, std::size_t& top1, double& max_logit) {
  const T* qi = q.data() + i * d;
  max_logit = -std::numeric_limits<double>::infinity();
  top1 = 0;
  for (std::size_t j = 0; j < visible; ++j) {
    const T* kj = k.data() + j * d;
    double dot = 0.0;
    // explicit fused multiply-adds: the same result whatever the compiler's contraction choices
    for (std::size_t t = 0; t < d; ++t) dot = std::fma(static_cast<double>(qi[t]), static_cast<double>(kj[t]), dot);
    prob[j] = scale * dot;
    if (prob[j] > max_logit) {
      max_logit = prob[j];
      top1 = j;
    }
  }
  double sum = 0.0;
  for (std::size_t j = 0; j < visible; ++j) {
    prob[j] = std::exp(prob[j] - max_logit);  // <= 1, and exactly 1 at the maximum
    sum += prob[j];
  }
  for (std::size_t j = 0; j < visible; ++j) prob[j] /= sum;
  for (std::size_t j = visible; j < n_k; ++j) prob[j] = 0.0;
  for (std::size_t c = 0; c < d_v; ++c) out[c] = 0.0;
  for (std::size_t j = 0; j < visible; ++j) {
    const T* vj = v.data() + j * d_v;
    const double p = prob[j];
    for (std::size_t c = 0; c < d_v; ++c) out[c] = std::fma(p, static_cast<double>(vj[c]), out[c]);
  }
}

}  // namespace detail

/// Keys visible to row `row` of `n_q` query rows against `n_k` keys: n_k, or with `causal`
/// n_k - n_q + row + 1 (row i attends keys 0 .. n_k - n_q + i; DESIGN.md §5).
/// invalid_argument if row >= n_q, or causal with n_q > n_k.
[[nodiscard]] inline std::size_t reference_visible_keys(std::size_t n_q, std::size_t n_k, bool causal,
                                                        std::size_t row) {
  if (row >= n_q) {
    throw invalid_argument("bitsieve::reference_visible_keys: row " + std::to_string(row) + " is not below n_q " +
                           std::to_string(n_q));
  }
  if (!causal) return n_k;
  if (n_q > n_k) {
    throw invalid_argument("bitsieve::reference_visible_keys: causal attention needs n_q <= n_k, got n_q " +
                           std::to_string(n_q) + " and n_k " + std::to_string(n_k));
  }
  return n_k - n_q + row + 1;
}

/// Exact dense attention, computed in double on the given values.
/// q: (n_q, d), k: (n_k, d), v: (n_k, d_v), all row-major; logit = scale * q_i . k_j.
/// With `causal`, row i sees keys 0 .. n_k - n_q + i. With `keep_probabilities`, the result also
/// holds the (n_q, n_k) probability matrix.
/// Throws invalid_argument for a size that does not match its dimensions, a zero dimension, a
/// scale that is not finite and positive, or causal with n_q > n_k; domain_error for NaN or Inf
/// in q, k or v (naming the tensor and the element).
template <std::floating_point T>
[[nodiscard]] dense_reference_result dense_attention_reference(std::span<const T> q, std::span<const T> k,
                                                               std::span<const T> v, std::size_t n_q,
                                                               std::size_t n_k, std::size_t d, std::size_t d_v,
                                                               double scale, bool causal,
                                                               bool keep_probabilities = false) {
  constexpr const char* who = "bitsieve::dense_attention_reference";
  detail::reference_validate(q, k, v, n_q, n_k, d, d_v, scale, causal, who);
  dense_reference_result r;
  r.n_q = n_q;
  r.n_k = n_k;
  r.d_v = d_v;
  r.out.assign(n_q * d_v, 0.0);
  if (keep_probabilities) {
    if (n_k > std::numeric_limits<std::size_t>::max() / n_q) {
      throw invalid_argument(std::string(who) + ": n_q * n_k probabilities overflow size_t");
    }
    r.probabilities.assign(n_q * n_k, 0.0);
  }
  std::vector<double> scratch(keep_probabilities ? 0 : n_k);
  for (std::size_t i = 0; i < n_q; ++i) {
    double* prob = keep_probabilities ? r.probabilities.data() + i * n_k : scratch.data();
    std::size_t top1 = 0;
    double max_logit = 0.0;
    detail::reference_row_unchecked(q, k, v, n_k, d, d_v, scale, reference_visible_keys(n_q, n_k, causal, i), i, prob,
                                    r.out.data() + i * d_v, top1, max_logit);
  }
  return r;
}

/// Convenience overload for std::vector / arrays of float or double.
template <std::floating_point T>
[[nodiscard]] dense_reference_result dense_attention_reference(const std::vector<T>& q, const std::vector<T>& k,
                                                               const std::vector<T>& v, std::size_t n_q,
                                                               std::size_t n_k, std::size_t d, std::size_t d_v,
                                                               double scale, bool causal,
                                                               bool keep_probabilities = false) {
  return dense_attention_reference(std::span<const T>(q), std::span<const T>(k), std::span<const T>(v), n_q, n_k, d,
                                   d_v, scale, causal, keep_probabilities);
}

/// Row `row` of `dense_attention_reference` (same arguments, same numbers), plus its top-1 key and
/// max logit. Same size, scale and mask checks; the NaN/Inf check covers only the values this row
/// reads (q row `row`, the visible k and v rows), so a call costs O(visible * (d + d_v)) and
/// looping it over rows costs no more than the full form. invalid_argument also if row >= n_q.
template <std::floating_point T>
[[nodiscard]] dense_reference_row dense_attention_reference_row(std::span<const T> q, std::span<const T> k,
                                                                std::span<const T> v, std::size_t n_q,
                                                                std::size_t n_k, std::size_t d, std::size_t d_v,
                                                                double scale, bool causal, std::size_t row) {
  constexpr const char* who = "bitsieve::dense_attention_reference_row";
  detail::reference_validate(q, k, v, n_q, n_k, d, d_v, scale, causal, who, row);
  dense_reference_row r;
  r.visible = reference_visible_keys(n_q, n_k, causal, row);
  r.probabilities.assign(n_k, 0.0);
  r.out.assign(d_v, 0.0);
  detail::reference_row_unchecked(q, k, v, n_k, d, d_v, scale, r.visible, row, r.probabilities.data(), r.out.data(),
                                  r.top1, r.max_logit);
  return r;
}

/// Convenience overload for std::vector of float or double.
template <std::floating_point T>
[[nodiscard]] dense_reference_row dense_attention_reference_row(const std::vector<T>& q, const std::vector<T>& k,
                                                                const std::vector<T>& v, std::size_t n_q,
                                                                std::size_t n_k, std::size_t d, std::size_t d_v,
                                                                double scale, bool causal, std::size_t row) {
  return dense_attention_reference_row(std::span<const T>(q), std::span<const T>(k), std::span<const T>(v), n_q, n_k,
                                       d, d_v, scale, causal, row);
}

}  // namespace bitsieve
