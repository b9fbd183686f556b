// SPDX-License-Identifier: Apache-2.0
/// \file bench/common.hpp
/// Shared pieces of the bitsieve-bench suite: the data sets (`real`, `llm_like`), the exact
/// reference attention used for the `recall` counters, the last-level-cache size, the single-slot
/// fixture cache (one benchmark's big buffers alive at a time) and the wall-clock timer behind the
/// `ns_per_*` counters.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bitsieve/core/quantize.hpp"
#include "bitsieve/io/npy.hpp"
#include "bitsieve/kernel/policies.hpp"
#include "bitsieve/threshold/dense.hpp"
#include "bitsieve/threshold/mass_budget.hpp"
#include "llm_like.hpp"

#ifndef BITSIEVE_SOURCE_DIR
#define BITSIEVE_SOURCE_DIR "."
#endif

namespace bitsieve_bench {

/// One attention head's trace: keys (n x d), values (n x dv), queries (q x d), row-major.
struct dataset {
  std::string name;  ///< "real" or "llm_like"
  std::size_t n = 0;
  std::size_t head_dim = 0;
  std::size_t value_dim = 0;
  std::size_t n_queries = 0;
  double softmax_scale = 0.0;
  std::vector<float> keys;
  std::vector<float> values;
  std::vector<float> queries;

  [[nodiscard]] std::span<const float> query(std::size_t i) const {
    return std::span<const float>(queries).subspan(i * head_dim, head_dim);
  }
};

/// Queries the decode benchmarks cycle through.
inline constexpr std::size_t decode_queries = 64;
/// Keys of the `real` trace used (its first 8192 tokens).
inline constexpr std::size_t real_tokens = 8192;
/// bitsieve_lats (decode and prefill) visits the keys in sequential tiles of this many tokens: the
/// survivors of a tile finish with exact scores, so the next tile starts with the running maximum
/// they set and drops keys from its first planes (llm_like 65536: 4.19 -> 3.51 planes and 4.62 ->
/// 4.01 block planes per key, the same kept fraction, higher recall; about 20% faster). Tiles do
/// not help mass_budget (its pooled budget grows with the keys seen), which keeps one tile.
inline constexpr std::size_t lats_tile_size = 4096;

/// The policy bundles of bitsieve_dense and bitsieve_mass (default_policies with another rule).
struct dense_threshold_policies : bitsieve::default_policies {
  using threshold_policy = bitsieve::threshold::dense;
};
struct mass_policies : bitsieve::default_policies {
  using threshold_policy = bitsieve::threshold::mass_budget;
};

/// Directories searched for the `real` trace, in order: $BITSIEVE_BENCH_REAL_DIR, the bundled
/// examples/data copy, the shared data set.
inline std::vector<std::string> real_trace_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("BITSIEVE_BENCH_REAL_DIR"); env != nullptr && *env != '\0') dirs.emplace_back(env);
  dirs.emplace_back(std::string(BITSIEVE_SOURCE_DIR) + "/examples/data/real-attention-mini/qkv/gpl3_full");
  dirs.emplace_back("/work/shared/data/real-attention/qkv/gpl3_full");
  return dirs;
}

/// Loads gpl3_full layer 0 head 1: the first `n` keys and values, and `n_queries` query rows
/// spread evenly over those n positions. Throws bitsieve::io_error naming every path tried when
/// the files are missing (the benchmark turns that into SkipWithError, never a silent skip).
inline dataset load_real(std::size_t n, std::size_t n_queries) {
  std::string dir;
  std::string tried;
  for (const std::string& d : real_trace_dirs()) {
    const std::string k = d + "/layer0_head1_k.npy";
    tried += (tried.empty() ? "" : ", ") + k;
    if (std::filesystem::exists(k)) {
      dir = d;
      break;
    }
  }
  if (dir.empty()) throw bitsieve::io_error("bitsieve-bench: the real trace is missing; tried " + tried);
  const auto q = bitsieve::io::load_npy_as_float(dir + "/layer0_head1_q.npy", 2);
  const auto k = bitsieve::io::load_npy_as_float(dir + "/layer0_head1_k.npy", 2);
  const auto v = bitsieve::io::load_npy_as_float(dir + "/layer0_head1_v.npy", 2);
  if (k.shape[0] < n || q.shape[0] < n || v.shape[0] < n || q.shape[1] != k.shape[1]) {
    throw bitsieve::io_error("bitsieve-bench: the real trace in " + dir + " has fewer than " + std::to_string(n) +
                             " rows or mismatched shapes");
  }
  dataset ds;
  ds.name = "real";
  ds.n = n;
  ds.head_dim = k.shape[1];
  ds.value_dim = v.shape[1];
  ds.n_queries = n_queries;
  ds.softmax_scale = 0.125;  // manifest.json: layer 0, head_dim 64
  ds.keys.assign(k.values.begin(), k.values.begin() + static_cast<std::ptrdiff_t>(n * ds.head_dim));
  ds.values.assign(v.values.begin(), v.values.begin() + static_cast<std::ptrdiff_t>(n * ds.value_dim));
  ds.queries.resize(n_queries * ds.head_dim);
  for (std::size_t i = 0; i < n_queries; ++i) {
    const std::size_t row = (i * n) / n_queries + (n / n_queries) / 2;
    std::copy_n(q.values.begin() + static_cast<std::ptrdiff_t>(row * ds.head_dim), ds.head_dim,
                ds.queries.begin() + static_cast<std::ptrdiff_t>(i * ds.head_dim));
  }
  return ds;
}

/// The synthetic `llm_like` trace (bench/llm_like.hpp defaults: head_dim 128).
inline dataset load_llm_like(std::size_t n, std::size_t n_queries) {
  const llm_like_params p;
  llm_like_trace tr = make_llm_like(n, n_queries, p);
  dataset ds;
  ds.name = "llm_like";
  ds.n = n;
  ds.head_dim = tr.head_dim;
  ds.value_dim = tr.value_dim;
  ds.n_queries = n_queries;
  ds.softmax_scale = 1.0 / std::sqrt(static_cast<double>(tr.head_dim));
  ds.keys = std::move(tr.keys);
  ds.values = std::move(tr.values);
  ds.queries = std::move(tr.queries);
  return ds;
}

/// Exact reference attention of every query over keys 0 .. visible-1, in double:
/// `p` from the float inputs (the model's attention) and `p_quant` from the 12-bit quantized
/// query and keys bitsieve scores exactly (the kernel's own scores), and the output o = p V.
struct reference {
  std::vector<std::vector<double>> p;        ///< per query, visible entries
  std::vector<std::vector<double>> p_quant;  ///< per query, visible entries
  std::vector<std::vector<double>> out;      ///< per query, value_dim
};

inline void softmax_double(std::vector<double>& l) {
  const double m = *std::max_element(l.begin(), l.end());
  double z = 0.0;
  for (double& x : l) {
    x = std::exp(x - m);
    z += x;
  }
  for (double& x : l) x /= z;
}

/// `visible[i]` keys for query i (n_q entries; decode: all n).
inline reference make_reference(const dataset& ds, std::span<const float> queries, std::span<const std::size_t> visible,
                                int key_bits = 12, int query_bits = 12) {
  const std::size_t d = ds.head_dim;
  const std::size_t dv = ds.value_dim;
  const bitsieve::quantized kq = bitsieve::quantize(std::span<const float>(ds.keys), key_bits, "keys");
  reference r;
  for (std::size_t i = 0; i < visible.size(); ++i) {
    const std::span<const float> q = queries.subspan(i * d, d);
    const bitsieve::quantized qq = bitsieve::quantize(q, query_bits, "query");
    const double c = qq.scale * kq.scale * ds.softmax_scale;
    const std::size_t n = visible[i];
    std::vector<double> l(n);
    std::vector<double> lq(n);
    for (std::size_t j = 0; j < n; ++j) {
      double s = 0.0;
      std::int64_t si = 0;
      for (std::size_t e = 0; e < d; ++e) {
        s += static_cast<double>(q[e]) * static_cast<double>(ds.keys[j * d + e]);
        si += static_cast<std::int64_t>(qq.values[e]) * kq.values[j * d + e];
      }
      l[j] = s * ds.softmax_scale;
      lq[j] = c * static_cast<double>(si);
    }
    softmax_double(l);
    softmax_double(lq);
    std::vector<double> o(dv, 0.0);
    for (std::size_t j = 0; j < n; ++j) {
      for (std::size_t e = 0; e < dv; ++e) o[e] += l[j] * static_cast<double>(ds.values[j * dv + e]);
    }
    r.p.push_back(std::move(l));
    r.p_quant.push_back(std::move(lq));
    r.out.push_back(std::move(o));
  }
  return r;
}

/// ||out - ref|| / ||ref|| (L2).
inline double relative_error(std::span<const float> out, const std::vector<double>& ref) {
  double num = 0.0;
  double den = 0.0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double e = static_cast<double>(out[i]) - ref[i];
    num += e * e;
    den += ref[i] * ref[i];
  }
  return den > 0.0 ? std::sqrt(num / den) : std::sqrt(num);
}

/// Size in bytes of the largest cache (sysfs), or $BITSIEVE_BENCH_LLC_BYTES, or 32 MiB.
inline std::size_t llc_bytes() {
  if (const char* env = std::getenv("BITSIEVE_BENCH_LLC_BYTES"); env != nullptr && *env != '\0') {
    return static_cast<std::size_t>(std::strtoull(env, nullptr, 10));
  }
  std::size_t best = 0;
  int best_level = 0;
  for (int i = 0; i < 8; ++i) {
    const std::string base = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    std::ifstream lv(base + "level");
    std::ifstream sz(base + "size");
    int level = 0;
    std::string size;
    if (!(lv >> level) || !(sz >> size) || size.empty()) continue;
    std::size_t bytes = std::strtoull(size.c_str(), nullptr, 10);
    if (size.back() == 'K') bytes <<= 10U;
    if (size.back() == 'M') bytes <<= 20U;
    if (level > best_level || (level == best_level && bytes > best)) {
      best_level = level;
      best = bytes;
    }
  }
  return best > 0 ? best : std::size_t{32} << 20U;
}

/// Number of cache copies a `cold` benchmark cycles through: enough that the bytes one decode
/// touches, summed over the copies visited before a copy comes round again, exceed 4x the LLC.
inline std::size_t cold_copies(double touched_bytes_per_decode) {
  const double need = 4.0 * static_cast<double>(llc_bytes());
  const double c = std::ceil(need / std::max(touched_bytes_per_decode, 1.0)) + 1.0;
  return static_cast<std::size_t>(std::max(2.0, c));
}

/// A fixture held across the several calls Google Benchmark makes of one benchmark function
/// (so setup runs once), and freed as soon as another benchmark needs the slot (so only one
/// benchmark's big buffers are alive at a time).
struct fixture_base {
  virtual ~fixture_base() = default;
};

inline std::unique_ptr<fixture_base>& fixture_slot() {
  static std::unique_ptr<fixture_base> slot;
  return slot;
}
inline std::string& fixture_key() {
  static std::string key;
  return key;
}

template <class T>
T& cached_fixture(const std::string& key, const std::function<std::unique_ptr<T>()>& make) {
  if (fixture_key() != key || !fixture_slot()) {
    fixture_slot().reset();  // free the previous fixture before building the next
    fixture_key().clear();
    fixture_slot() = make();
    fixture_key() = key;
  }
  return static_cast<T&>(*fixture_slot());
}

/// The data sets, cached separately (several fixtures are built from one data set in a row).
inline const dataset& cached_dataset(const std::string& name, std::size_t n) {
  static std::unique_ptr<dataset> ds;
  if (!ds || ds->name != name || ds->n != n) {
    ds.reset();
    ds = std::make_unique<dataset>(name == "real" ? load_real(n, decode_queries) : load_llm_like(n, decode_queries));
  }
  return *ds;
}

/// The reference attention of the cached data set's decode queries (computed once per data set).
inline const reference& cached_reference(const dataset& ds) {
  static std::unique_ptr<reference> ref;
  static std::string key;
  const std::string k = ds.name + "/" + std::to_string(ds.n);
  if (!ref || key != k) {
    ref.reset();
    const std::vector<std::size_t> visible(ds.n_queries, ds.n);
    ref = std::make_unique<reference>(make_reference(ds, ds.queries, visible));
    key = k;
  }
  return *ref;
}

/// Wall-clock seconds since construction (the `ns_per_*` counters are wall time, so they stay
/// right when a kernel runs threads of its own).
class wall_clock {
 public:
  wall_clock() : t0_(std::chrono::steady_clock::now()) {}
  [[nodiscard]] double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

 private:
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace bitsieve_bench
