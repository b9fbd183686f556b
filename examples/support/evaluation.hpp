// SPDX-License-Identifier: Apache-2.0
// Shared by the command-line tools (bitsieve-eval, bitsieve-demo): data sets (.npy, traces,
// synthetic), the kernel-vs-exact-attention evaluation with its metrics (DESIGN.md §5), and their
// table / CSV / JSON output. Not part of the library's API.
#pragma once

#include <bitsieve/bitsieve.hpp>
#include <bitsieve/io/json.hpp>
#include <bitsieve/io/npy.hpp>
#include <bitsieve/io/trace.hpp>
#include <bitsieve/kernel/reference.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace bitsieve_tools {

struct dataset {
  std::string name;
  std::size_t n_q = 0, n_k = 0, d = 0, dv = 0;
  std::vector<float> q, k, v;
  double scale = 0.0;  // 0: 1/sqrt(d)
};

bitsieve::io::npy_float_array load_matrix(const std::string& path, const char* what) {
  auto a = bitsieve::io::load_npy_as_float(path, 2);
  if (a.shape[0] == 0 || a.shape[1] == 0) throw bitsieve::invalid_argument(std::string(what) + " '" + path + "' is empty");
  return a;
}

dataset make_dataset(std::string name, const bitsieve::io::npy_float_array& q, const bitsieve::io::npy_float_array& k,
                     const bitsieve::io::npy_float_array& v, double scale) {
  if (q.shape[1] != k.shape[1]) {
    throw bitsieve::invalid_argument(name + ": Q has head_dim " + std::to_string(q.shape[1]) + " but K has " +
                                     std::to_string(k.shape[1]));
  }
  if (k.shape[0] != v.shape[0]) {
    throw bitsieve::invalid_argument(name + ": K has " + std::to_string(k.shape[0]) + " rows but V has " +
                                     std::to_string(v.shape[0]));
  }
  dataset d;
  d.name = std::move(name);
  d.n_q = q.shape[0];
  d.n_k = k.shape[0];
  d.d = q.shape[1];
  d.dv = v.shape[1];
  d.q = q.values;
  d.k = k.values;
  d.v = v.values;
  d.scale = scale;
  return d;
}

std::vector<dataset> load_trace(const std::string& dir, double scale_override) {
  const auto entries = bitsieve::io::read_trace_manifest(dir);
  if (entries.empty()) throw bitsieve::invalid_argument(dir + "/manifest.json has no entries");
  std::vector<dataset> out;
  for (const auto& e : entries) {
    const std::string name = e.sample + "/layer" + std::to_string(e.layer) + "/head" + std::to_string(e.head);
    const auto t = bitsieve::io::load_trace_entry(e);
    out.push_back(make_dataset(name, t.q, t.k, t.v, scale_override > 0.0 ? scale_override : e.softmax_scale));
  }
  return out;
}

// Synthetic: keys N(0,1) in d = 64, and for each of 32 queries a few keys planted near the query
// direction, so attention is peaked (a handful of keys hold most of the mass) as in LLM decode.
dataset synthetic(std::size_t n) {
  const std::size_t d = 64, n_q = 32;
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0F, 1.0F);
  dataset ds;
  ds.name = "synthetic/" + std::to_string(n);
  ds.n_q = n_q;
  ds.n_k = n;
  ds.d = d;
  ds.dv = d;
  ds.k.resize(n * d);
  ds.v.resize(n * d);
  ds.q.resize(n_q * d);
  for (auto& x : ds.k) x = nd(rng);
  for (auto& x : ds.v) x = nd(rng);
  for (auto& x : ds.q) x = 1.6F * nd(rng);  // bulk logits ~ N(0, 1.6^2), planted keys ~ +16
  std::uniform_int_distribution<std::size_t> pick(0, n - 1);
  for (std::size_t i = 0; i < n_q; ++i) {
    for (int j = 0; j < 4; ++j) {
      const std::size_t t = pick(rng);
      for (std::size_t x = 0; x < d; ++x) ds.k[t * d + x] = 0.6F * ds.q[i * d + x] + 0.5F * nd(rng);
    }
  }
  ds.scale = 0.0;
  return ds;
}

struct metrics {
  std::size_t rows = 0;
  double kept = 0, planes = 0, kbits = 0, vrows = 0, recall = 0, min_recall = 1.0, out_err = 0, top1 = 0,
         qerr = 0, bound = 0;
  bitsieve::attention_stats stats;

  void add(const metrics& o) {
    kept += o.kept;
    planes += o.planes;
    kbits += o.kbits;
    vrows += o.vrows;
    recall += o.recall;
    min_recall = std::min(min_recall, o.min_recall);
    out_err += o.out_err;
    top1 += o.top1;
    qerr += o.qerr;
    bound += o.bound;
    rows += o.rows;
    stats += o.stats;
  }
  [[nodiscard]] double mean(double x) const { return rows == 0 ? 0.0 : x / static_cast<double>(rows); }
};

/// What to evaluate: the key format and width, rows, mask, and the kernel configuration (its
/// softmax scale is set per data set).
struct eval_setup {
  int key_bits = 12;
  bool signmag = false;
  std::size_t rows = 0;  ///< the last `rows` query rows (0: all)
  bool causal = false;
  bitsieve::value_format values = bitsieve::value_format::f32;  ///< the cache's value storage
  bitsieve::dynamic_config kernel;
};

double rel_l2(const std::vector<double>& a, const std::vector<double>& ref) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    num += (a[i] - ref[i]) * (a[i] - ref[i]);
    den += ref[i] * ref[i];
  }
  return den == 0.0 ? std::sqrt(num) : std::sqrt(num / den);
}

template <class F>
metrics evaluate_format(const dataset& ds, const eval_setup& o) {
  bitsieve::key_value_cache<F> cache(ds.d, ds.dv, bitsieve::cache_options{.values = o.values});
  cache.append(std::span<const float>(ds.k), std::span<const float>(ds.v));
  const std::vector<float> vq = cache.values_float();  // the values the kernel reads (== ds.v for f32)
  const auto kq = bitsieve::quantize(std::span<const float>(ds.k), F::bits, "K");  // == the cache's keys
  const double s = ds.scale > 0.0 ? ds.scale : 1.0 / std::sqrt(static_cast<double>(ds.d));
  bitsieve::dynamic_config kc = o.kernel;
  kc.options.softmax_scale = s;
  bitsieve::dynamic_attention attn(kc);

  const std::size_t n_rows = o.rows > 0 ? std::min(o.rows, ds.n_q) : ds.n_q;
  const std::size_t first = ds.n_q - n_rows;
  if (o.causal && ds.n_q > ds.n_k) throw bitsieve::invalid_argument(ds.name + ": causal needs n_q <= n_k");
  std::vector<std::size_t> visible(n_rows, ds.n_k);
  if (o.causal) {
    for (std::size_t i = 0; i < n_rows; ++i) visible[i] = ds.n_k - ds.n_q + first + i + 1;
  }
  const std::span<const float> queries = std::span<const float>(ds.q).subspan(first * ds.d, n_rows * ds.d);
  std::vector<float> out(n_rows * ds.dv);
  std::vector<std::uint8_t> trace(n_rows * ds.n_k);
  metrics m;
  m.stats = attn.run(queries, cache, out, visible, trace);
  m.rows = n_rows;

  std::vector<double> qd(ds.dv), got(ds.dv);
  std::vector<bitsieve::score_t> iscore(ds.n_k);
  for (std::size_t i = 0; i < n_rows; ++i) {
    const float* q = ds.q.data() + (first + i) * ds.d;
    const std::size_t n = visible[i];
    // Reference: exact attention in double on the unquantized inputs.
    const auto rr = bitsieve::dense_attention_reference_row(std::span<const float>(ds.q), std::span<const float>(ds.k),
                                                            std::span<const float>(ds.v), ds.n_q, ds.n_k, ds.d, ds.dv,
                                                            s, o.causal, first + i);
    const std::vector<double>& p = rr.probabilities;
    const std::vector<double>& ref = rr.out;
    // Dense attention on the quantized inputs (integer scores and the stored values), for the
    // quantization error.
    const auto qq = bitsieve::quantize(std::span<const float>(q, ds.d), o.kernel.options.query_bits, "query");
    const double c = qq.scale * kq.scale * s;
    bitsieve::score_t best = std::numeric_limits<bitsieve::score_t>::min();
    for (std::size_t j = 0; j < n; ++j) {
      bitsieve::score_t acc = 0;
      for (std::size_t x = 0; x < ds.d; ++x) acc += static_cast<bitsieve::score_t>(qq.values[x]) * kq.values[j * ds.d + x];
      iscore[j] = acc;
      best = std::max(best, acc);
    }
    double zq = 0;
    std::fill(qd.begin(), qd.end(), 0.0);
    for (std::size_t j = 0; j < n; ++j) {
      const double w = std::exp(c * static_cast<double>(iscore[j] - best));
      zq += w;
      for (std::size_t x = 0; x < ds.dv; ++x) qd[x] += w * vq[j * ds.dv + x];
    }
    for (double& x : qd) x /= zq;
    // The kernel's decisions.
    const std::uint8_t* tr = trace.data() + i * ds.n_k;
    double recall = 0, planes = 0;
    std::size_t kept = 0, ker_top = n;
    const std::size_t ref_top = rr.top1;
    for (std::size_t j = 0; j < n; ++j) {
      planes += tr[j] & 0x7F;
      if ((tr[j] & bitsieve::key_kept_flag) != 0) {
        ++kept;
        recall += p[j];
        if (ker_top == n || iscore[j] > iscore[ker_top]) ker_top = j;
      }
    }
    for (std::size_t x = 0; x < ds.dv; ++x) got[x] = out[i * ds.dv + x];
    const double nd = static_cast<double>(n);
    m.kept += static_cast<double>(kept) / nd;
    m.planes += planes / nd;
    m.kbits += planes / nd / F::planes;
    m.vrows += static_cast<double>(kept) / nd;
    m.recall += recall;
    m.min_recall = std::min(m.min_recall, recall);
    m.out_err += rel_l2(got, ref);
    m.qerr += rel_l2(qd, ref);
    m.top1 += ker_top == ref_top ? 1.0 : 0.0;
  }
  m.bound = m.stats.dropped_mass_bound_sum;
  return m;
}

template <template <int> class Fmt, int B>
metrics evaluate_bits(const dataset& ds, const eval_setup& o) {
  if constexpr (B > 16) {
    throw bitsieve::invalid_argument("key bits out of range 2..16");
  } else {
    if (o.key_bits == B) return evaluate_format<Fmt<B>>(ds, o);
    return evaluate_bits<Fmt, B + 1>(ds, o);
  }
}

metrics evaluate(const dataset& ds, const eval_setup& o) {
  if (o.signmag) return evaluate_bits<bitsieve::format::sign_magnitude, 2>(ds, o);
  return evaluate_bits<bitsieve::format::twos_complement, 2>(ds, o);
}

bitsieve::io::json_value to_json(const metrics& m, const dataset* ds) {
  using bitsieve::io::json_value;
  json_value::object_type obj;
  auto put = [&](const char* k, json_value v) { obj.emplace_back(k, std::move(v)); };
  put("queries", m.rows);
  put("keys", m.rows == 0 ? 0.0 : static_cast<double>(m.stats.keys) / static_cast<double>(m.rows));
  if (ds != nullptr) put("head_dim", ds->d);
  put("kept_fraction", m.mean(m.kept));
  put("mean_planes_per_key", m.mean(m.planes));
  put("k_bits_fetched_fraction", m.mean(m.kbits));
  put("v_rows_fetched_fraction", m.mean(m.vrows));
  put("attention_mass_recall", m.mean(m.recall));
  put("min_attention_mass_recall", m.min_recall);
  put("output_rel_l2_error", m.mean(m.out_err));
  put("top1_agreement", m.mean(m.top1));
  put("quantization_rel_l2_error", m.mean(m.qerr));
  put("certified_dropped_mass_bound", m.mean(m.bound));
  put("block_planes_per_key", m.stats.block_planes_per_key());
  put("key_bits", m.stats.key_bits);
  json_value::array_type hist;
  for (const auto h : m.stats.stop_histogram) hist.emplace_back(h);
  put("stop_histogram", json_value(std::move(hist)));
  json_value::object_type st;
  st.emplace_back("pairs", m.stats.keys);
  st.emplace_back("survivors", m.stats.survivors);
  st.emplace_back("planes_read", m.stats.planes_read);
  st.emplace_back("block_planes_read", m.stats.block_planes_read);
  st.emplace_back("group_block_planes_read", m.stats.group_block_planes_read);
  st.emplace_back("block_token_planes_read", m.stats.block_token_planes_read);
  st.emplace_back("value_rows_read", m.stats.value_rows_read);
  st.emplace_back("k_bytes_read", m.stats.k_bytes_read);
  st.emplace_back("v_bytes_read", m.stats.v_bytes_read);
  st.emplace_back("active_bits", m.stats.active_bits);
  st.emplace_back("rounds", m.stats.rounds);
  put("stats", json_value(std::move(st)));
  return json_value(std::move(obj));
}

const char* const header_fmt = "%-34s %6s %8s %7s %7s %8s %8s %9s %9s %6s %9s\n";
const char* const row_fmt = "%-34s %6zu %7.2f%% %7.2f %7.2f %8.4f %8.4f %8.3f%% %8.3f%% %6.3f %9.2e\n";

void print_header(bool csv, const char* first) {
  if (csv) {
    std::printf("%s,queries,kept_fraction,mean_planes_per_key,block_planes_per_key,attention_mass_recall,"
                "min_attention_mass_recall,output_rel_l2_error,quantization_rel_l2_error,top1_agreement,"
                "certified_dropped_mass_bound\n", first);
  } else {
    std::printf(header_fmt, first, "rows", "kept", "planes", "blk_pl", "recall", "min_rec", "out_err", "quant_err",
                "top1", "mass_bnd");
  }
}

void print_row(bool csv, const std::string& name, const metrics& m) {
  if (csv) {
    std::printf("%s,%zu,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n", name.c_str(), m.rows, m.mean(m.kept),
                m.mean(m.planes), m.stats.block_planes_per_key(), m.mean(m.recall), m.min_recall, m.mean(m.out_err),
                m.mean(m.qerr), m.mean(m.top1), m.mean(m.bound));
  } else {
    std::printf(row_fmt, name.c_str(), m.rows, 100.0 * m.mean(m.kept), m.mean(m.planes), m.stats.block_planes_per_key(),
                m.mean(m.recall), m.min_recall, 100.0 * m.mean(m.out_err), 100.0 * m.mean(m.qerr), m.mean(m.top1),
                m.mean(m.bound));
  }
}

}  // namespace bitsieve_tools
