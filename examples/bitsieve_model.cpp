// SPDX-License-Identifier: Apache-2.0
// bitsieve-model: the accelerator performance model from the command line (DESIGN.md §5).
//
//   bitsieve-model --list
//   bitsieve-model --workload llama2-7b-wikitext2 [--accelerators dense,sanger,bitstopper] [--json|--csv]
//   bitsieve-model --seq-len 4096 --head-dim 128 --heads 32 --layers 32 --phase decode --stats eval.json
//   bitsieve-model --workload opt1.3b-dolly --accelerators bitstopper --sweep bandwidth=64:512:64
//   bitsieve-model --reproduce [--json]
//   bitsieve-model --calibration
#include <bitsieve/io/json.hpp>
#include <bitsieve/model/model.hpp>
#include <bitsieve/model/presets.hpp>
#include <bitsieve/model/reproduce.hpp>
#include <bitsieve/model/stats_json.hpp>
#include <bitsieve/model/sweep.hpp>
#include <bitsieve/model/workload_presets.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace bm = bitsieve::model;
using bitsieve::io::json_value;

/// A command-line mistake: printed with the usage hint, exit status 2.
struct usage_error {
  std::string message;
};

constexpr const char* usage_text =
    "usage: bitsieve-model [options]\n"
    "  --list                      list workload presets, accelerators and sweep fields\n"
    "  --workload NAME             a workload preset (default llama2-7b-wikitext2)\n"
    "  --seq-len N --head-dim D --heads H --kv-heads H --layers L --batch B\n"
    "  --phase prefill|decode --decode-steps S\n"
    "                              a custom shape (overrides the preset's fields)\n"
    "  --stats FILE                pruning statistics from bitsieve-eval --json\n"
    "  --accelerators a,b,..       designs to evaluate (default: all)\n"
    "  --baseline NAME             speedup / energy efficiency relative to it (default dense)\n"
    "  --host bitstopper|pade      the design the baselines are normalised to (default bitstopper)\n"
    "  --scheduler lockstep|ooo    override the bit-serial designs' scheduler\n"
    "  --sweep FIELD=start:stop:step   one row per value of a configuration field\n"
    "  --reproduce                 the model against the papers' headline numbers\n"
    "  --calibration               the calibrated constants and their sources\n"
    "  --json | --csv              output format (default: a table)\n";

struct options {
  std::string workload = "llama2-7b-wikitext2";
  bool workload_given = false;
  std::optional<std::int64_t> seq_len, decode_steps;
  std::optional<std::int32_t> head_dim, heads, kv_heads, layers, batch;
  std::optional<bm::phase> ph;
  std::string stats_file;
  std::vector<bm::accelerator_kind> accelerators;
  bm::accelerator_kind baseline = bm::accelerator_kind::dense;
  bool baseline_given = false;
  bm::accelerator_kind host = bm::accelerator_kind::bitstopper;
  std::optional<bm::scheduler_kind> scheduler;
  std::string sweep_field;
  std::vector<double> sweep;
  bool list = false, reproduce = false, calibration = false, json = false, csv = false;
};

template <class T>
T parse_int(std::string_view flag, std::string_view text, T lo, T hi) {
  T v{};
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || ptr != text.data() + text.size() || v < lo || v > hi) {
    throw usage_error{std::string(flag) + ": expected an integer in " + std::to_string(lo) + ".." +
                      std::to_string(hi) + ", got \"" + std::string(text) + "\""};
  }
  return v;
}

double parse_double(std::string_view flag, std::string_view text) {
  const std::string s(text);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v)) {
    throw usage_error{std::string(flag) + ": expected a number, got \"" + s + "\""};
  }
  return v;
}

bm::accelerator_kind parse_accelerator(std::string_view flag, std::string_view name) {
  if (const auto k = bm::accelerator_from_name(name)) return *k;
  std::string known;
  for (const auto k : bm::all_accelerators) known += (known.empty() ? "" : ",") + std::string(bm::accelerator_name(k));
  throw usage_error{std::string(flag) + ": unknown accelerator \"" + std::string(name) + "\" (known: " + known + ")"};
}

options parse_args(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) throw usage_error{std::string(a) + ": missing value"};
      return argv[++i];
    };
    if (a == "--list") {
      o.list = true;
    } else if (a == "--workload") {
      o.workload = std::string(value());
      o.workload_given = true;
    } else if (a == "--seq-len") {
      o.seq_len = parse_int<std::int64_t>(a, value(), 1, std::int64_t{1} << 26);
    } else if (a == "--head-dim") {
      o.head_dim = parse_int<std::int32_t>(a, value(), 1, 4096);
    } else if (a == "--heads") {
      o.heads = parse_int<std::int32_t>(a, value(), 1, 4096);
    } else if (a == "--kv-heads") {
      o.kv_heads = parse_int<std::int32_t>(a, value(), 1, 4096);
    } else if (a == "--layers") {
      o.layers = parse_int<std::int32_t>(a, value(), 1, 4096);
    } else if (a == "--batch") {
      o.batch = parse_int<std::int32_t>(a, value(), 1, 1 << 20);
    } else if (a == "--decode-steps") {
      o.decode_steps = parse_int<std::int64_t>(a, value(), 1, std::int64_t{1} << 26);
    } else if (a == "--phase") {
      const auto v = value();
      if (v == "prefill") {
        o.ph = bm::phase::prefill;
      } else if (v == "decode") {
        o.ph = bm::phase::decode;
      } else {
        throw usage_error{"--phase: expected prefill or decode, got \"" + std::string(v) + "\""};
      }
    } else if (a == "--stats") {
      o.stats_file = std::string(value());
    } else if (a == "--accelerators") {
      const std::string_view list = value();
      std::size_t start = 0;
      while (start <= list.size()) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        const auto name = list.substr(start, comma - start);
        if (name.empty()) throw usage_error{"--accelerators: empty name in \"" + std::string(list) + "\""};
        o.accelerators.push_back(parse_accelerator(a, name));
        start = comma + 1;
      }
    } else if (a == "--baseline") {
      o.baseline = parse_accelerator(a, value());
      o.baseline_given = true;
    } else if (a == "--host") {
      o.host = parse_accelerator(a, value());
      if (!bm::is_bit_serial(o.host)) throw usage_error{"--host: expected bitstopper or pade"};
    } else if (a == "--scheduler") {
      const auto v = value();
      if (v == "lockstep") {
        o.scheduler = bm::scheduler_kind::lockstep;
      } else if (v == "ooo" || v == "out_of_order") {
        o.scheduler = bm::scheduler_kind::out_of_order;
      } else {
        throw usage_error{"--scheduler: expected lockstep or ooo, got \"" + std::string(v) + "\""};
      }
    } else if (a == "--sweep") {
      const std::string_view spec = value();
      const auto eq = spec.find('=');
      const auto c1 = spec.find(':', eq == std::string_view::npos ? 0 : eq);
      const auto c2 = c1 == std::string_view::npos ? c1 : spec.find(':', c1 + 1);
      if (eq == std::string_view::npos || c1 == std::string_view::npos || c2 == std::string_view::npos) {
        throw usage_error{"--sweep: expected FIELD=start:stop:step, got \"" + std::string(spec) + "\""};
      }
      o.sweep_field = std::string(spec.substr(0, eq));
      bool known = false;
      for (const auto& f : bm::sweep_fields()) known = known || f.name == o.sweep_field;
      if (!known) throw usage_error{"--sweep: unknown field \"" + o.sweep_field + "\" (see --list)"};
      const double start = parse_double(a, spec.substr(eq + 1, c1 - eq - 1));
      const double stop = parse_double(a, spec.substr(c1 + 1, c2 - c1 - 1));
      const double step = parse_double(a, spec.substr(c2 + 1));
      try {
        o.sweep = bm::sweep_values(start, stop, step);
      } catch (const bitsieve::invalid_argument& e) {
        throw usage_error{std::string("--sweep: ") + e.what()};
      }
    } else if (a == "--reproduce") {
      o.reproduce = true;
    } else if (a == "--calibration") {
      o.calibration = true;
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--csv") {
      o.csv = true;
    } else if (a == "--help" || a == "-h") {
      std::fputs(usage_text, stdout);
      std::exit(0);
    } else {
      throw usage_error{"unknown option \"" + std::string(a) + "\""};
    }
  }
  if (o.json && o.csv) throw usage_error{"--json and --csv are exclusive"};
  if (o.reproduce && o.csv) throw usage_error{"--reproduce prints a table or --json, not --csv"};
  if (o.accelerators.empty()) {
    for (const auto k : bm::all_accelerators) o.accelerators.push_back(k);
  }
  return o;
}

bm::workload make_workload(const options& o) {
  const auto preset = bm::find_workload(o.workload);
  if (!preset) {
    throw usage_error{"--workload: unknown workload \"" + o.workload + "\" (see --list)"};
  }
  bm::workload w = *preset;
  const bool custom = o.seq_len || o.head_dim || o.heads || o.kv_heads || o.layers || o.batch || o.ph || o.decode_steps;
  if (custom) {
    if (!o.workload_given) {
      w.name = "custom";
      w.description = "custom shape";
    } else {
      w.name += " (modified)";
    }
    if (o.seq_len) w.shape.seq_len = *o.seq_len;
    if (o.head_dim) w.shape.head_dim = *o.head_dim;
    if (o.heads) {
      w.shape.heads = *o.heads;
      if (!o.kv_heads) w.shape.kv_heads = *o.heads;
    }
    if (o.kv_heads) w.shape.kv_heads = *o.kv_heads;
    if (o.layers) w.shape.layers = *o.layers;
    if (o.batch) w.shape.batch = *o.batch;
    if (o.ph) w.shape.ph = *o.ph;
    if (o.decode_steps) w.shape.decode_steps = *o.decode_steps;
  }
  if (!o.stats_file.empty()) w.stats = bm::read_stats_json(o.stats_file);
  w.shape.validate("bitsieve-model");
  return w;
}

bm::accel_config config_for(bm::accelerator_kind k, const options& o) {
  const bm::accel_config& host = o.host == bm::accelerator_kind::pade ? bm::presets::pade : bm::presets::bitstopper;
  bm::accel_config c = bm::presets::for_comparison(k, host);
  if (o.scheduler && bm::is_bit_serial(k)) c.pe.scheduler = *o.scheduler;
  return c;
}

json_value workload_json(const bm::workload& w) {
  json_value j = json_value::object();
  j.set("name", w.name);
  j.set("description", w.description);
  j.set("layers", w.shape.layers);
  j.set("heads", w.shape.heads);
  j.set("kv_heads", w.shape.kv_heads);
  j.set("head_dim", w.shape.head_dim);
  j.set("seq_len", static_cast<double>(w.shape.seq_len));
  j.set("batch", w.shape.batch);
  j.set("phase", std::string(bm::phase_name(w.shape.ph)));
  j.set("decode_steps", static_cast<double>(w.shape.decode_steps));
  j.set("pairs", w.shape.pairs());
  json_value st = json_value::object();
  st.set("kept_fraction", w.stats.kept_fraction);
  st.set("mean_planes_per_key", w.stats.mean_planes_per_key);
  st.set("block_planes_per_key", w.stats.block_planes_per_key);
  st.set("v_rows_fetched_fraction", w.stats.v_rows_fetched_fraction);
  st.set("key_bits", w.stats.key_bits);
  st.set("source", w.stats.source);
  j.set("stats", std::move(st));
  return j;
}

struct row {
  bm::accelerator_kind kind;
  bm::report r;
  double speedup;
  double efficiency;
};

json_value result_json(const row& x) {
  json_value j = json_value::object();
  j.set("accelerator", std::string(bm::accelerator_name(x.kind)));
  j.set("cycles", x.r.cycles);
  j.set("latency_s", x.r.latency_s);
  j.set("dram_bytes", x.r.dram_bytes);
  j.set("energy_j", x.r.energy_j);
  json_value e = json_value::object();
  e.set("dram", x.r.energy.dram_j);
  e.set("sram", x.r.energy.sram_j);
  e.set("compute", x.r.energy.compute_j);
  e.set("static", x.r.energy.static_j);
  j.set("energy_breakdown_j", std::move(e));
  j.set("utilization", x.r.utilization);
  j.set("speedup", x.speedup);
  j.set("energy_efficiency", x.efficiency);
  j.set("on_chip_energy_j", x.r.energy.on_chip());
  j.set("kept_fraction", x.r.kept_fraction);
  j.set("k_fetch_fraction", x.r.k_fetch_fraction);
  return j;
}

std::vector<row> evaluate_all(const options& o, const bm::workload& w, const std::string& sweep_field,
                              double sweep_value, bool sweeping) {
  std::vector<bm::accelerator_kind> kinds = o.accelerators;
  bool has_baseline = false;
  for (const auto k : kinds) has_baseline = has_baseline || k == o.baseline;
  if (!has_baseline) kinds.push_back(o.baseline);
  std::vector<row> rows;
  for (const auto k : kinds) {
    bm::accel_config c = config_for(k, o);
    if (sweeping) bm::set_config_field(c, sweep_field, sweep_value);
    const bm::config_issue issue = bm::check_config(c);
    if (!issue.ok()) {
      throw usage_error{std::string("configuration of ") + std::string(bm::accelerator_name(k)) + ": " + issue.field +
                        " " + issue.problem};
    }
    rows.push_back({k, bm::dynamic_model(c).evaluate(w), 0.0, 0.0});
  }
  const row* base = nullptr;
  for (const auto& x : rows) {
    if (x.kind == o.baseline) base = &x;
  }
  for (auto& x : rows) {
    x.speedup = base->r.latency_s / x.r.latency_s;
    x.efficiency = base->r.energy_j / x.r.energy_j;
  }
  if (!has_baseline) rows.pop_back();
  return rows;
}

void print_table_header() {
  std::printf("%-13s %12s %11s %11s %11s %7s %8s %8s %6s\n", "accelerator", "cycles", "latency_s", "dram_bytes",
              "energy_j", "util", "speedup", "en.eff", "kept");
}

void print_table_row(const row& x) {
  std::printf("%-13s %12.4e %11.4e %11.4e %11.4e %7.3f %8.3f %8.3f %6.3f\n",
              std::string(bm::accelerator_name(x.kind)).c_str(), x.r.cycles, x.r.latency_s, x.r.dram_bytes,
              x.r.energy_j, x.r.utilization, x.speedup, x.efficiency, x.r.kept_fraction);
}

constexpr const char* csv_header =
    "accelerator,cycles,latency_s,dram_bytes,energy_j,energy_dram_j,energy_sram_j,energy_compute_j,"
    "energy_static_j,utilization,speedup,energy_efficiency,kept_fraction";

void print_csv_row(const row& x, const std::string& prefix) {
  std::printf("%s%s,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g\n", prefix.c_str(),
              std::string(bm::accelerator_name(x.kind)).c_str(), x.r.cycles, x.r.latency_s, x.r.dram_bytes,
              x.r.energy_j, x.r.energy.dram_j, x.r.energy.sram_j, x.r.energy.compute_j, x.r.energy.static_j,
              x.r.utilization, x.speedup, x.efficiency, x.r.kept_fraction);
}

int run_list() {
  std::printf("workloads (--workload):\n");
  for (const auto& w : bm::workload_presets()) {
    std::printf("  %-24s %s; L=%d H=%d KV=%d d=%d n=%lld batch=%d %s; default kept %.3f, %.2f planes/key of %d\n",
                w.name.c_str(), w.description.c_str(), w.shape.layers, w.shape.heads, w.shape.kv_heads,
                w.shape.head_dim, static_cast<long long>(w.shape.seq_len), w.shape.batch,
                std::string(bm::phase_name(w.shape.ph)).c_str(), w.stats.kept_fraction, w.stats.mean_planes_per_key,
                w.stats.key_bits);
  }
  std::printf("accelerators (--accelerators, --baseline):\n ");
  for (const auto k : bm::all_accelerators) std::printf(" %s", std::string(bm::accelerator_name(k)).c_str());
  std::printf("\nsweep fields (--sweep FIELD=start:stop:step):\n");
  for (const auto& f : bm::sweep_fields()) {
    std::printf("  %-24s %s\n", std::string(f.name).c_str(), std::string(f.meaning).c_str());
  }
  return 0;
}

int run_calibration(bool json) {
  const auto table = bm::calibration::calibration_table();
  if (json) {
    json_value arr = json_value::array();
    for (const auto& e : table) {
      json_value j = json_value::object();
      j.set("name", std::string(e.name));
      j.set("value", e.value);
      j.set("kind", std::string(e.kind));
      j.set("source", std::string(e.source));
      arr.push_back(std::move(j));
    }
    json_value top = json_value::object();
    top.set("calibration", std::move(arr));
    std::printf("%s\n", bitsieve::io::to_json(top, 2).c_str());
    return 0;
  }
  std::printf("%-28s %12s %-9s %s\n", "constant", "value", "kind", "source / fitted to");
  for (const auto& e : table) {
    std::printf("%-28s %12.6g %-9s %s\n", std::string(e.name).c_str(), e.value, std::string(e.kind).c_str(),
                std::string(e.source).c_str());
  }
  return 0;
}

int run_reproduce(bool json) {
  const auto targets = bm::reproduction_targets();
  if (json) {
    json_value arr = json_value::array();
    for (const auto& t : targets) {
      json_value j = json_value::object();
      j.set("name", t.name);
      j.set("paper", t.paper);
      j.set("model", t.model);
      arr.push_back(std::move(j));
    }
    json_value top = json_value::object();
    top.set("targets", std::move(arr));
    std::printf("%s\n", bitsieve::io::to_json(top, 2).c_str());
    return 0;
  }
  std::printf("%-40s %8s %8s %12s  %s\n", "target", "paper", "model", "model/paper", "how");
  for (const auto& t : targets) {
    std::printf("%-40s %8.3f %8.3f %12.3f  %s\n", t.name.c_str(), t.paper, t.model, t.ratio(), t.what.c_str());
  }
  return 0;
}

int run(const options& o) {
  if (o.list) return run_list();
  if (o.calibration) return run_calibration(o.json);
  if (o.reproduce) return run_reproduce(o.json);
  const bm::workload w = make_workload(o);
  const std::string base_name(bm::accelerator_name(o.baseline));
  if (!o.sweep.empty()) {
    // evaluate every value first, so that an invalid one stops the run before any output
    std::vector<std::pair<double, std::vector<row>>> sweep;
    for (const double v : o.sweep) sweep.emplace_back(v, evaluate_all(o, w, o.sweep_field, v, true));
    if (o.json) {
      json_value rows = json_value::array();
      for (const auto& [v, rs] : sweep) {
        for (const auto& x : rs) {
          json_value j = result_json(x);
          j.set("value", v);
          rows.push_back(std::move(j));
        }
      }
      json_value top = json_value::object();
      top.set("workload", workload_json(w));
      top.set("baseline", base_name);
      top.set("sweep", o.sweep_field);
      top.set("results", std::move(rows));
      std::printf("%s\n", bitsieve::io::to_json(top, 2).c_str());
    } else if (o.csv) {
      std::printf("%s,%s\n", o.sweep_field.c_str(), csv_header);
      for (const auto& [v, rs] : sweep) {
        char prefix[64];
        std::snprintf(prefix, sizeof prefix, "%.9g,", v);
        for (const auto& x : rs) print_csv_row(x, prefix);
      }
    } else {
      std::printf("workload %s, sweep %s, baseline %s\n", w.name.c_str(), o.sweep_field.c_str(), base_name.c_str());
      std::printf("%12s ", o.sweep_field.c_str());
      print_table_header();
      for (const auto& [v, rs] : sweep) {
        for (const auto& x : rs) {
          std::printf("%12.6g ", v);
          print_table_row(x);
        }
      }
    }
    return 0;
  }
  const auto rows = evaluate_all(o, w, "", 0.0, false);
  if (o.json) {
    json_value results = json_value::array();
    for (const auto& x : rows) results.push_back(result_json(x));
    json_value top = json_value::object();
    top.set("workload", workload_json(w));
    top.set("baseline", base_name);
    top.set("results", std::move(results));
    std::printf("%s\n", bitsieve::io::to_json(top, 2).c_str());
  } else if (o.csv) {
    std::printf("%s\n", csv_header);
    for (const auto& x : rows) print_csv_row(x, "");
  } else {
    std::printf("workload %s: %s\n  L=%d H=%d KV=%d d=%d n=%lld batch=%d %s, %.4g pairs\n", w.name.c_str(),
                w.description.c_str(), w.shape.layers, w.shape.heads, w.shape.kv_heads, w.shape.head_dim,
                static_cast<long long>(w.shape.seq_len), w.shape.batch, std::string(bm::phase_name(w.shape.ph)).c_str(),
                w.shape.pairs());
    std::printf("  stats: kept %.4f, %.3f planes/key (%.3f at block granularity) of %d; %s\n", w.stats.kept_fraction,
                w.stats.mean_planes_per_key, w.stats.block_planes_per_key, w.stats.key_bits, w.stats.source.c_str());
    std::printf("  baselines normalised to %s; speedup and energy efficiency relative to %s\n\n",
                std::string(bm::accelerator_name(o.host)).c_str(), base_name.c_str());
    print_table_header();
    for (const auto& x : rows) print_table_row(x);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_args(argc, argv));
  } catch (const usage_error& e) {
    std::fprintf(stderr, "bitsieve-model: %s\n%s", e.message.c_str(), usage_text);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bitsieve-model: %s\n", e.what());
    return 1;
  }
}
