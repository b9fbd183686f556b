// SPDX-License-Identifier: Apache-2.0
// bitsieve-eval: run the sparse-attention kernel on Q/K/V and compare it with exact dense attention
// (DESIGN.md §5). Inputs: --q/--k/--v .npy files, a --trace folder with manifest.json, or
// --synthetic N. Output: a table (default), --json (one object) or --csv; --sweep varies one
// threshold parameter and prints a row per value.
#include "support/evaluation.hpp"

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

using namespace bitsieve_tools;  // NOLINT(google-build-using-namespace): a tool, not a header

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
  --shares pooled|uniform            mass budget: unspent budget shared by the live keys, or one
                                     equal share per key (DESIGN.md §2's first rule; default pooled)
  --k K                              top-k (default 32; a value of digits only, else --k is the key file)
  --tau T                            fixed logit threshold (default 0)
  --scheduler lockstep|ooo  --lanes L  --bidirectional   (default lockstep; ooo lanes 32)
  --tiles sequential|interleaved|head-tail  --tile-size T  --sink S   (default sequential, one tile)
  --threads T          kernel threads (default 1; with one row the keys are split, else the rows)
  --values f32|f16|i8  how the cache stores V: float32, float16, or int8 with a scale per row (default f32)
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
  bool pooled = true;
  long topk = 32;
  bool ooo = false, bidirectional = false;
  long lanes = 32;
  std::string tiles = "sequential";
  long tile_size = 0, sink = 64;
  long threads = 1;
  bitsieve::value_format values = bitsieve::value_format::f32;
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
    else if (a == "--shares") {
      const std::string v = val();
      if (v != "pooled" && v != "uniform") fail("--shares must be pooled or uniform, got '" + v + "'");
      o.pooled = v == "pooled";
    }
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
    else if (a == "--values") {
      const std::string v = val();
      const auto f = bitsieve::parse_value_format(v);
      if (!f) fail("--values must be f32, f16 or i8, got '" + v + "'");
      o.values = f.value();
    }
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

bitsieve::dynamic_config kernel_config(const options& o, double scale) {
  bitsieve::dynamic_config c;
  if (o.threshold == "lats") c.threshold = bitsieve::threshold::lats{o.alpha, o.radius};
  if (o.threshold == "mass") c.threshold = bitsieve::threshold::mass_budget{.delta = o.delta, .pooled = o.pooled};
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

eval_setup make_setup(const options& o) {
  eval_setup e;
  e.key_bits = o.key_bits;
  e.signmag = o.signmag;
  e.rows = static_cast<std::size_t>(o.rows);
  e.causal = o.causal;
  e.values = o.values;
  e.kernel = kernel_config(o, 0.0);
  return e;
}

std::string describe(const options& o) {
  std::string s = o.threshold;
  if (o.threshold == "lats") s += " alpha " + std::to_string(o.alpha).substr(0, 4) + " radius " + std::to_string(o.radius).substr(0, 4);
  if (o.threshold == "mass") s += " delta " + std::to_string(o.delta) + (o.pooled ? "" : " uniform shares");
  if (o.threshold == "topk") s += " k " + std::to_string(o.topk);
  if (o.threshold == "fixed") s += " tau " + std::to_string(o.tau);
  s += ", " + std::string(o.ooo ? "ooo<" + std::to_string(o.lanes) + (o.bidirectional ? ",bidir>" : ">") : "lockstep");
  s += ", " + o.tiles + (o.tile_size == 0 ? " (one tile)" : " tile " + std::to_string(o.tile_size));
  if (o.threads > 1) s += ", " + std::to_string(o.threads) + " threads";
  s += ", K" + std::to_string(o.key_bits) + (o.signmag ? " signmag" : "") + " Q" + std::to_string(o.query_bits);
  if (o.values != bitsieve::value_format::f32) s += " V " + std::string(bitsieve::to_string(o.values));
  return s;
}

bitsieve::io::json_value values_json(const options& o) {
  return bitsieve::io::json_value(std::string(bitsieve::to_string(o.values)));
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
        for (const auto& ds : data) all.add(evaluate(ds, make_setup(o)));
        char label[64];
        std::snprintf(label, sizeof label, "%g", x);
        if (o.json) {
          auto j = to_json(all, data.size() == 1 ? &data[0] : nullptr);
          j.as_object().insert(j.as_object().begin(), {"values", values_json(o)});
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
      per.emplace_back(ds.name, evaluate(ds, make_setup(o)));
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
      j.as_object().insert(j.as_object().begin(), {"values", values_json(o)});
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
