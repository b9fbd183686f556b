// SPDX-License-Identifier: Apache-2.0
/// \file model/stats_json.hpp
/// Pruning statistics from `bitsieve-eval --json` output (DESIGN.md §5): the fields
/// kept_fraction, mean_planes_per_key, k_bits_fetched_fraction, v_rows_fetched_fraction,
/// block_planes_per_key, and, when present, stop_histogram (index p = keys that stopped after p
/// planes, p = 0..16, counts or fractions) and key_bits.
///
/// The top-level fractions of bitsieve-eval are averages over query rows; the model needs averages
/// over (query, key) pairs, as the histogram counts them. When the object also carries the exact
/// totals (a "stats" member with pairs, survivors, planes_read, block_token_planes_read,
/// value_rows_read and optionally active_bits), those are used instead.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

#include "bitsieve/core/error.hpp"
#include "bitsieve/io/json.hpp"
#include "bitsieve/model/calibration.hpp"
#include "bitsieve/model/workload.hpp"

namespace bitsieve::model {

/// Statistics from a parsed bitsieve-eval JSON object. `source` names where it came from (for
/// messages and the report). Throws bitsieve::io_error for a missing or mistyped field and
/// bitsieve::invalid_argument for values out of range.
[[nodiscard]] inline pruning_stats stats_from_json(const io::json_value& j, const std::string& source) {
  const std::string who = "bitsieve::model::stats_from_json(" + source + ")";
  if (!j.is_object()) throw io_error(who + ": expected a JSON object, got " + io::json_value::kind_name(j.type()));
  const auto number = [&](const char* key) {
    const io::json_value* v = j.find(key);
    if (v == nullptr) throw io_error(who + ": missing field \"" + key + "\"");
    if (!v->is_number()) throw io_error(who + ": field \"" + key + "\" is not a number");
    return v->as_number();
  };
  pruning_stats s;
  s.kept_fraction = number("kept_fraction");
  s.mean_planes_per_key = number("mean_planes_per_key");
  const double k_frac = number("k_bits_fetched_fraction");
  s.v_rows_fetched_fraction = number("v_rows_fetched_fraction");
  s.block_planes_per_key = number("block_planes_per_key");
  if (const io::json_value* kb = j.find("key_bits")) {
    const double b = kb->as_number();
    if (b != std::floor(b) || b < 2 || b > max_key_bits) {
      throw invalid_argument(who + ": key_bits = " + std::to_string(b) + " is not an integer in 2..16");
    }
    s.key_bits = static_cast<int>(b);
  } else {
    if (!(k_frac > 0.0)) {
      throw invalid_argument(who + ": no key_bits and k_bits_fetched_fraction = " + std::to_string(k_frac) +
                             " cannot give the key width");
    }
    s.key_bits = static_cast<int>(std::lround(s.mean_planes_per_key / k_frac));
  }
  if (std::abs(k_frac * s.key_bits - s.mean_planes_per_key) > 1e-3 * s.key_bits) {
    throw invalid_argument(who + ": k_bits_fetched_fraction = " + std::to_string(k_frac) +
                           " disagrees with mean_planes_per_key / key_bits = " +
                           std::to_string(s.mean_planes_per_key / s.key_bits));
  }
  if (const io::json_value* h = j.find("stop_histogram")) {
    if (!h->is_array()) throw io_error(who + ": field \"stop_histogram\" is not an array");
    const auto& arr = h->as_array();
    if (arr.size() > static_cast<std::size_t>(max_key_bits) + 1) {
      throw invalid_argument(who + ": stop_histogram has " + std::to_string(arr.size()) + " entries (at most 17)");
    }
    double total = 0.0;
    for (std::size_t p = 0; p < arr.size(); ++p) {
      if (!arr[p].is_number()) throw io_error(who + ": stop_histogram[" + std::to_string(p) + "] is not a number");
      const double x = arr[p].as_number();
      if (!(x >= 0.0)) throw invalid_argument(who + ": stop_histogram[" + std::to_string(p) + "] is negative");
      s.stop_histogram[p] = x;
      total += x;
    }
    if (!(total > 0.0)) throw invalid_argument(who + ": stop_histogram is all zero");
    for (auto& x : s.stop_histogram) x /= total;  // counts or fractions: normalise
    s.has_histogram = true;
  }
  if (const io::json_value* t = j.find("stats"); t != nullptr && t->is_object() && t->find("pairs") != nullptr) {
    const auto total = [&](const char* key) {
      const io::json_value* v = t->find(key);
      if (v == nullptr || !v->is_number()) throw io_error(who + ": stats." + key + " is missing or not a number");
      return v->as_number();
    };
    const double pairs = total("pairs");
    if (!(pairs > 0.0)) throw invalid_argument(who + ": stats.pairs = " + std::to_string(pairs) + " is not positive");
    s.kept_fraction = total("survivors") / pairs;
    s.mean_planes_per_key = total("planes_read") / pairs;
    s.block_planes_per_key = total("block_token_planes_read") / pairs;
    s.v_rows_fetched_fraction = total("value_rows_read") / pairs;
    const io::json_value* d = j.find("head_dim");
    const io::json_value* bits = t->find("active_bits");
    if (d != nullptr && d->is_number() && bits != nullptr && bits->is_number() && total("planes_read") > 0.0) {
      s.active_bit_fraction = std::min(1.0, bits->as_number() / (total("planes_read") * d->as_number()));
    }
  }
  s.block_planes_per_key = std::max(s.block_planes_per_key, s.mean_planes_per_key);
  s.row_correlation = calibration::row_correlation;
  s.source = source;
  s.validate(who.c_str());
  return with_histogram(std::move(s));
}

/// Reads `path` (bitsieve-eval --json output) and returns its statistics.
[[nodiscard]] inline pruning_stats read_stats_json(const std::string& path) {
  return stats_from_json(io::read_json_file(path), path);
}

}  // namespace bitsieve::model
