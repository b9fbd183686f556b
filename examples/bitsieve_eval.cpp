// SPDX-License-Identifier: Apache-2.0
// bitsieve-eval: run the sparse-attention kernel on Q/K/V and compare it with exact dense attention
// (DESIGN.md §5). Inputs: --q/--k/--v .npy files, a --trace folder with manifest.json, or
// --synthetic N. Output: a table (default), --json (one object) or --csv; --sweep varies one
// threshold parameter and prints a row per value.
#include <bitsieve/bitsieve.hpp>
#include <bitsieve/io/json.hpp>
#include <bitsieve/io/npy.hpp>
#include <bitsieve/io/trace.hpp>
#include <bitsieve/kernel/reference.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr const char* usage_text = R"(usage: bitsieve-eval (--q Q.npy --k K.npy --v V.npy | --trace DIR | --synthetic N) [options]

inputs
  --q/--k/--v FILE     float32/float16 .npy: Q [n_q, d], K [n_k, d], V [n_k, d_v]
  --trace DIR          a folder with manifest.json (evaluates every entry, each with its softmax_scale)
  --synthetic N        N synthetic keys (d 64, 32 queries, a peaked distribution; seed 1)
  --causal             row i of n_q attends keys 0 .. n_k - n_q + i
  --rows N             evaluate the last N query rows only
  --scale S            softmax scale (default 1/sqrt(d); a trace uses its entries' scales)
kernel
  --key-bits B --query-bits B        2..16 (default 12, 12)
  --format twos|signmag              key bit-plane format (default twos)
  --threshold lats|mass|topk|fixed|dense   (default lats)
  --alpha A --radius R               lats (default 0.6, 5)
  --delta D                          mass budget (default 0.01)
  --k K                              top-k (default 32; a value of digits only, else --k is the key file)
  --tau T                            fixed logit threshold (default 0)
  --scheduler lockstep|ooo  --lanes L  --bidirectional   (default lockstep; ooo lanes 32)
  --tiles sequential|interleaved|head-tail  --tile-size T  --sink S   (default sequential, one tile)
  --threads T          kernel threads (default 1; with one row the keys are split, else the rows)
output
  --json | --csv       (default: a table)
  --sweep P=a:b:s      P in alpha, radius, delta, k, tau: one row per value
  --help
)";

[[noreturn]] void fail(const std::string& msg) {
  std::cerr << "bitsieve-eval: " << msg << "\n(see bitsieve-eval --help)\n";
  std::exit(2);
}

double to_double(const std::string& flag, const std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v)) fail(flag + " needs a number, got '" + s + "'");
  return v;
}

long to_int(const std::string& flag, const std::string& s) {
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || end != s.c_str() + s.size()) fail(flag + " needs an integer, got '" + s + "'");
  return v;
}

struct options {
  std::string q, k, v, trace;
  long synthetic = 0;
  bool causal = false;
  long rows = 0;
  double scale = 0.0;
  int key_bits = 12, query_bits = 12;
  bool signmag = false;
  std::string threshold = "lats";
  double alpha = 0.6, radius = 5.0, delta = 0.01, tau = 0.0;
  long topk = 32;
  bool ooo = false, bidirectional = false;
  long lanes = 32;
  std::string tiles = "sequential";
  long tile_size = 0, sink = 64;
  long threads = 1;
  bool json = false, csv = false;
  std::string sweep;
};

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) fail(a + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::cout << usage_text;
      std::exit(0);
    } else if (a == "--q") o.q = val();
    else if (a == "--k") {
      // DESIGN.md names two flags --k: the key file (--k K.npy) and top-k's k (--k 32). A value of
      // digits only is top-k's k; anything else is the key file.
      const std::string x = val();
      if (!x.empty() && x.find_first_not_of("0123456789") == std::string::npos) {
        o.topk = to_int(a, x);
      } else {
        o.k = x;
      }
    }
    else if (a == "--v") o.v = val();
    else if (a == "--trace") o.trace = val();
    else if (a == "--synthetic") o.synthetic = to_int(a, val());
    else if (a == "--causal") o.causal = true;
    else if (a == "--rows") o.rows = to_int(a, val());
    else if (a == "--scale") o.scale = to_double(a, val());
    else if (a == "--key-bits") o.key_bits = static_cast<int>(to_int(a, val()));
    else if (a == "--query-bits") o.query_bits = static_cast<int>(to_int(a, val()));
    else if (a == "--format") {
      const std::string f = val();
      if (f != "twos" && f != "signmag") fail("--format must be twos or signmag, got '" + f + "'");
      o.signmag = f == "signmag";
    } else if (a == "--threshold") o.threshold = val();
    else if (a == "--alpha") o.alpha = to_double(a, val());
    else if (a == "--radius") o.radius = to_double(a, val());
    else if (a == "--delta") o.delta = to_double(a, val());
    else if (a == "--tau") o.tau = to_double(a, val());
    else if (a == "--scheduler") {
      const std::string s = val();
      if (s != "lockstep" && s != "ooo") fail("--scheduler must be lockstep or ooo, got '" + s + "'");
      o.ooo = s == "ooo";
    } else if (a == "--lanes") o.lanes = to_int(a, val());
    else if (a == "--bidirectional") o.bidirectional = true;
    else if (a == "--tiles") o.tiles = val();
    else if (a == "--tile-size") o.tile_size = to_int(a, val());
    else if (a == "--sink") o.sink = to_int(a, val());
    else if (a == "--threads") o.threads = to_int(a, val());
    else if (a == "--json") o.json = true;
    else if (a == "--csv") o.csv = true;
    else if (a == "--sweep") o.sweep = val();
    else fail("unknown argument '" + a + "'");
  }
  const int sources = (o.q.empty() ? 0 : 1) + (o.trace.empty() ? 0 : 1) + (o.synthetic > 0 ? 1 : 0);
  if (sources != 1) fail("give exactly one input: --q/--k/--v, --trace DIR or --synthetic N");
  if (!o.q.empty() && (o.k.empty() || o.v.empty())) fail("--q needs --k and --v");
  if (o.key_bits < 2 || o.key_bits > 16) fail("--key-bits must be in 2..16, got " + std::to_string(o.key_bits));
  if (o.query_bits < 2 || o.query_bits > 16) fail("--query-bits must be in 2..16, got " + std::to_string(o.query_bits));
  if (o.threshold != "lats" && o.threshold != "mass" && o.threshold != "topk" && o.threshold != "fixed" &&
      o.threshold != "dense") {
    fail("--threshold must be lats, mass, topk, fixed or dense, got '" + o.threshold + "'");
  }
  if (o.tiles != "sequential" && o.tiles != "interleaved" && o.tiles != "head-tail") {
    fail("--tiles must be sequential, interleaved or head-tail, got '" + o.tiles + "'");
  }
  if (o.lanes < 1 || o.lanes > 4096) fail("--lanes must be in 1..4096");
  if (o.threads < 1 || o.threads > 256) fail("--threads must be in 1..256");
  if (o.tile_size < 0 || o.sink < 0 || o.rows < 0) fail("--tile-size, --sink and --rows must be >= 0");
  if (o.scale < 0.0) fail("--scale must be > 0");
  if (o.json && o.csv) fail("--json and --csv exclude each other");
  if (o.synthetic < 0) fail("--synthetic needs N >= 1");
  return o;
}

struct dataset {
  std::string name;
  std::size_t n_q = 0, n_k = 0, d = 0, dv = 0;
  std::vector<float> q, k, v;
  double scale = 0.0;  // 0: 1/sqrt(d)
};

bitsieve::io::npy_float_array load_matrix(const std::string& path, const char* what) {
  auto a = bitsieve::io::load_npy_as_float(path, 2);
  if (a.shape[0] == 0 || a.shape[1] == 0) fail(std::string(what) + " '" + path + "' is empty");
  return a;
}

dataset make_dataset(std::string name, const bitsieve::io::npy_float_array& q, const bitsieve::io::npy_float_array& k,
                     const bitsieve::io::npy_float_array& v, double scale) {
  if (q.shape[1] != k.shape[1]) {
    fail(name + ": Q has head_dim " + std::to_string(q.shape[1]) + " but K has " + std::to_string(k.shape[1]));
  }
  if (k.shape[0] != v.shape[0]) {
    fail(name + ": K has " + std::to_string(k.shape[0]) + " rows but V has " + std::to_string(v.shape[0]));
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
  if (entries.empty()) fail(dir + "/manifest.json has no entries");
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

bitsieve::dynamic_config kernel_config(const options& o, double scale) {
  bitsieve::dynamic_config c;
  if (o.threshold == "lats") c.threshold = bitsieve::threshold::lats{o.alpha, o.radius};
  if (o.threshold == "mass") c.threshold = bitsieve::threshold::mass_budget{o.delta};
  if (o.threshold == "topk") c.threshold = bitsieve::threshold::top_k{static_cast<std::size_t>(std::max(0L, o.topk))};
  if (o.threshold == "fixed") c.threshold = bitsieve::threshold::fixed{o.tau};
  if (o.threshold == "dense") c.threshold = bitsieve::threshold::dense{};
  c.lanes = o.ooo ? static_cast<int>(o.lanes) : 0;
  c.bidirectional = o.bidirectional;
  c.tiles = o.tiles == "interleaved" ? bitsieve::tile_order_kind::interleaved
            : o.tiles == "head-tail" ? bitsieve::tile_order_kind::head_tail
                                     : bitsieve::tile_order_kind::sequential;
  c.tile_size = static_cast<std::size_t>(o.tile_size);
  c.sink = static_cast<std::size_t>(o.sink);
  c.options.softmax_scale = scale;
  c.options.query_bits = o.query_bits;
  c.options.threads = static_cast<unsigned>(o.threads);
  return c;
}

double rel_l2(const std::vector<double>& a, const std::vector<double>& ref) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    num += (a[i] - ref[i]) * (a[i] - ref[i]);
    den += ref[i] * ref[i];
  }
  return den == 0.0 ? std::sqrt(num) : std::sqrt(num / den);
}

template <class F>
metrics evaluate_format(const dataset& ds, const options& o) {
  bitsieve::key_value_cache<F> cache(ds.d, ds.dv);
  cache.append(std::span<const float>(ds.k), std::span<const float>(ds.v));
  const auto kq = bitsieve::quantize(std::span<const float>(ds.k), F::bits, "K");  // == the cache's keys
  const double s = ds.scale > 0.0 ? ds.scale : 1.0 / std::sqrt(static_cast<double>(ds.d));
  bitsieve::dynamic_attention attn(kernel_config(o, s));

  const std::size_t n_rows = o.rows > 0 ? std::min<std::size_t>(static_cast<std::size_t>(o.rows), ds.n_q) : ds.n_q;
  const std::size_t first = ds.n_q - n_rows;
  if (o.causal && ds.n_q > ds.n_k) fail(ds.name + ": --causal needs n_q <= n_k");
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
    // Dense attention on the quantized inputs (integer scores), for the quantization error.
    const auto qq = bitsieve::quantize(std::span<const float>(q, ds.d), o.query_bits, "query");
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
      for (std::size_t x = 0; x < ds.dv; ++x) qd[x] += w * ds.v[j * ds.dv + x];
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
metrics evaluate_bits(const dataset& ds, const options& o) {
  if constexpr (B > 16) {
    fail("--key-bits out of range");
  } else {
    if (o.key_bits == B) return evaluate_format<Fmt<B>>(ds, o);
    return evaluate_bits<Fmt, B + 1>(ds, o);
  }
}

metrics evaluate(const dataset& ds, const options& o) {
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

std::string describe(const options& o) {
  std::string s = o.threshold;
  if (o.threshold == "lats") s += " alpha " + std::to_string(o.alpha).substr(0, 4) + " radius " + std::to_string(o.radius).substr(0, 4);
  if (o.threshold == "mass") s += " delta " + std::to_string(o.delta);
  if (o.threshold == "topk") s += " k " + std::to_string(o.topk);
  if (o.threshold == "fixed") s += " tau " + std::to_string(o.tau);
  s += ", " + std::string(o.ooo ? "ooo<" + std::to_string(o.lanes) + (o.bidirectional ? ",bidir>" : ">") : "lockstep");
  s += ", " + o.tiles + (o.tile_size == 0 ? " (one tile)" : " tile " + std::to_string(o.tile_size));
  if (o.threads > 1) s += ", " + std::to_string(o.threads) + " threads";
  s += ", K" + std::to_string(o.key_bits) + (o.signmag ? " signmag" : "") + " Q" + std::to_string(o.query_bits);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    options o = parse(argc, argv);
    std::vector<dataset> data;
    if (!o.trace.empty()) {
      data = load_trace(o.trace, o.scale);
    } else if (o.synthetic > 0) {
      data.push_back(synthetic(static_cast<std::size_t>(o.synthetic)));
    } else {
      data.push_back(make_dataset(std::filesystem::path(o.q).stem().string(), load_matrix(o.q, "Q"),
                                  load_matrix(o.k, "K"), load_matrix(o.v, "V"), o.scale));
    }

    if (!o.sweep.empty()) {
      const auto eq = o.sweep.find('=');
      const auto c1 = o.sweep.find(':', eq == std::string::npos ? 0 : eq);
      const auto c2 = c1 == std::string::npos ? std::string::npos : o.sweep.find(':', c1 + 1);
      if (eq == std::string::npos || c1 == std::string::npos || c2 == std::string::npos) {
        fail("--sweep needs P=start:stop:step, got '" + o.sweep + "'");
      }
      const std::string param = o.sweep.substr(0, eq);
      const double a = to_double("--sweep", o.sweep.substr(eq + 1, c1 - eq - 1));
      const double b = to_double("--sweep", o.sweep.substr(c1 + 1, c2 - c1 - 1));
      const double st = to_double("--sweep", o.sweep.substr(c2 + 1));
      if (!(st > 0.0) || b < a) fail("--sweep needs start <= stop and step > 0");
      if (param != "alpha" && param != "radius" && param != "delta" && param != "k" && param != "tau") {
        fail("--sweep parameter must be alpha, radius, delta, k or tau, got '" + param + "'");
      }
      bitsieve::io::json_value::array_type rows;
      if (!o.json) print_header(o.csv, param.c_str());
      for (int i = 0;; ++i) {
        const double x = a + st * i;
        if (x > b + st * 1e-9) break;
        if (param == "alpha") o.alpha = x;
        if (param == "radius") o.radius = x;
        if (param == "delta") o.delta = x;
        if (param == "k") o.topk = std::lround(x);
        if (param == "tau") o.tau = x;
        metrics all;
        for (const auto& ds : data) all.add(evaluate(ds, o));
        char label[64];
        std::snprintf(label, sizeof label, "%g", x);
        if (o.json) {
          auto j = to_json(all, data.size() == 1 ? &data[0] : nullptr);
          j.as_object().insert(j.as_object().begin(), {param, bitsieve::io::json_value(x)});
          rows.push_back(std::move(j));
        } else {
          print_row(o.csv, label, all);
        }
      }
      if (o.json) std::cout << bitsieve::io::to_json(bitsieve::io::json_value(std::move(rows)), 1) << "\n";
      return 0;
    }

    metrics all;
    std::vector<std::pair<std::string, metrics>> per;
    for (const auto& ds : data) {
      per.emplace_back(ds.name, evaluate(ds, o));
      all.add(per.back().second);
    }
    if (o.json) {
      auto j = to_json(all, data.size() == 1 ? &data[0] : nullptr);
      if (data.size() > 1) {
        bitsieve::io::json_value::array_type entries;
        for (std::size_t i = 0; i < per.size(); ++i) {
          auto e = to_json(per[i].second, &data[i]);
          e.as_object().insert(e.as_object().begin(), {"name", bitsieve::io::json_value(per[i].first)});
          entries.push_back(std::move(e));
        }
        j.as_object().emplace_back("entries", bitsieve::io::json_value(std::move(entries)));
      }
      j.as_object().insert(j.as_object().begin(), {"config", bitsieve::io::json_value(describe(o))});
      std::cout << bitsieve::io::to_json(j, 1) << "\n";
      return 0;
    }
    if (!o.csv) std::printf("bitsieve-eval: %s\n", describe(o).c_str());
    print_header(o.csv, "input");
    for (const auto& [name, m] : per) print_row(o.csv, name, m);
    if (per.size() > 1) print_row(o.csv, "all (mean over rows)", all);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bitsieve-eval: " << e.what() << "\n";
    return 1;
  }
}
