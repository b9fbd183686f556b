// SPDX-License-Identifier: Apache-2.0
/// \file bench/bench_decode.cpp
/// decode/<impl>/<data>/<N>/<hot|cold>/threads:<T>: one query against a KV cache of N tokens.
///
/// Impls: the dense baselines dense_fp32_blas, dense_fp16, dense_int8; bitsieve_dense,
/// bitsieve_lats (sequential tiles of lats_tile_size keys) and bitsieve_mass (one tile) with
/// float32 values; bitsieve_lats_v16 / bitsieve_mass_v16 and
/// bitsieve_lats_v8 / bitsieve_mass_v8: the same kernels on a cache storing its values as float16,
/// or as int8 with a scale per row (cache_options::values).
///
/// Every iteration decodes one query (cycling through the data set's 64 queries). `hot` decodes
/// against the same cache every time; `cold` cycles through enough identical copies of the
/// cache that the bytes touched between two visits of a copy exceed 4x the last-level cache, so
/// the data streams from DRAM. Setup (data, quantization, copies, reference attention, recall)
/// runs outside the timed loop, once per (impl, data, N).
///
/// Counters: ns_per_token (wall time per decode / N), bytes_per_token (K and V bytes read per key:
/// the kernel's own k_bytes_read + v_bytes_read for bitsieve, the stored bytes of K and V for the
/// dense baselines), kept_fraction, planes_per_key and block_planes_per_key (bitsieve; the second
/// counts planes at 32-key block granularity, what its scorer runs), recall (probability mass of the
/// kept keys under the exact double-precision attention of the float q and K), recall_q (the same
/// under the exact softmax of the 12-bit quantized scores the kernel itself computes),
/// mass_bound (bitsieve's certified bound on the dropped mass, mean per query), out_err (relative
/// L2 error of the output against the double-precision reference, mean over the queries), copies
/// and cold_llc_multiple (touched bytes between two visits of a copy / LLC size).
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "bitsieve/kernel/dynamic_attention.hpp"
#include "bitsieve/kernel/key_value_cache.hpp"
#include "bitsieve/kernel/policies.hpp"
#include "bitsieve/kernel/sparse_attention.hpp"
#include "common.hpp"
#include "dense.hpp"
#include "registry.hpp"

namespace bitsieve_bench {
namespace {

using cache12 = bitsieve::key_value_cache<bitsieve::format::twos_complement<12>>;

/// True once attention_options has a thread count (`threads`): the threads:2 variants of the
/// bitsieve decode benchmarks are registered only then.
template <class O>
concept has_threads_option = requires(O o) { o.threads = 2; };
constexpr bool kernel_has_threads = has_threads_option<bitsieve::attention_options>;

template <class O>
void set_threads(O& o, int t) {
  if constexpr (has_threads_option<O>) o.threads = static_cast<decltype(o.threads)>(t);
  (void)o;
  (void)t;
}

/// Largest total size of the cold copies of one benchmark ($BITSIEVE_BENCH_MAX_COLD_BYTES).
std::size_t max_cold_bytes() {
  if (const char* env = std::getenv("BITSIEVE_BENCH_MAX_COLD_BYTES"); env != nullptr && *env != '\0') {
    return static_cast<std::size_t>(std::strtoull(env, nullptr, 10));
  }
  return std::size_t{3} << 30U;
}

/// What the counters report for one thread count, measured once at setup over all queries.
struct measured {
  double bytes_per_token = 0.0;
  double touched_bytes = 0.0;  ///< bytes one decode reads (mean over the queries)
  double kept_fraction = 1.0;
  double planes_per_key = 0.0;
  double block_planes_per_key = 0.0;  ///< planes read at 32-key block granularity (what the scorer runs)
  double recall = 1.0;
  double recall_q = 1.0;
  double mass_bound = 0.0;
  double out_err = 0.0;
};

/// What every decode fixture provides.
struct decode_fixture : fixture_base {
  std::size_t n = 0;
  std::size_t n_queries = 0;
  std::vector<float> queries;
  std::vector<float> out;
  bool is_bitsieve = false;

  [[nodiscard]] const float* query(std::size_t i) const { return queries.data() + i * (queries.size() / n_queries); }
  /// Prepares (outside the timed loop) what decode(..., threads) needs and returns its counters.
  virtual const measured& prepare_threads(int threads) = 0;
  virtual void decode(std::size_t copy, std::size_t qi, int threads) = 0;
  [[nodiscard]] virtual std::size_t copies() const = 0;
  [[nodiscard]] virtual std::size_t copy_bytes() const = 0;
  virtual void make_copies(std::size_t count) = 0;

  void common_setup(const dataset& ds) {
    n = ds.n;
    n_queries = ds.n_queries;
    queries = ds.queries;
    out.assign(ds.value_dim, 0.0F);
  }
};

template <class Dense>
struct dense_fixture final : decode_fixture {
  std::vector<Dense> kv;
  measured m;

  explicit dense_fixture(const dataset& ds) {
    common_setup(ds);
    kv.reserve(1);
    kv.emplace_back(ds.keys, ds.values, ds.head_dim, ds.value_dim, ds.softmax_scale);
    m.bytes_per_token = kv[0].bytes_per_token();
    m.touched_bytes = static_cast<double>(kv[0].bytes());
    const reference& ref = cached_reference(ds);
    double err = 0.0;
    for (std::size_t i = 0; i < n_queries; ++i) {
      kv[0].decode(query(i), out.data());
      err += relative_error(out, ref.out[i]);
    }
    m.out_err = err / static_cast<double>(n_queries);
    if (!(m.out_err < 0.1)) {
      throw std::runtime_error("dense baseline output error " + std::to_string(m.out_err) + " is implausible (bug?)");
    }
  }
  const measured& prepare_threads(int /*threads: OpenBLAS's own setting*/) override { return m; }
  void decode(std::size_t copy, std::size_t qi, int /*threads*/) override { kv[copy].decode(query(qi), out.data()); }
  [[nodiscard]] std::size_t copies() const override { return kv.size(); }
  [[nodiscard]] std::size_t copy_bytes() const override { return kv[0].bytes(); }
  void make_copies(std::size_t count) override {
    kv.reserve(count);
    while (kv.size() < count) kv.push_back(kv[0]);
  }
};

template <class Policies>
struct bitsieve_fixture final : decode_fixture {
  using threshold_type = typename Policies::threshold_policy;
  using attention_type = bitsieve::sparse_attention<Policies>;
  const dataset* ds = nullptr;
  threshold_type thr;
  std::vector<cache12> caches;
  std::vector<std::unique_ptr<attention_type>> attn;  // [t]: configured for t threads
  std::vector<std::unique_ptr<measured>> stats;       // [t]

  std::size_t tile_size = 0;  // sequential key tiles of this many tokens (0: one tile)

  bitsieve_fixture(const dataset& data, threshold_type threshold,
                   bitsieve::value_format values = bitsieve::value_format::f32, std::size_t tiles = 0)
      : ds(&data), thr(threshold), tile_size(tiles) {
    common_setup(data);
    is_bitsieve = true;
    caches.reserve(1);
    caches.emplace_back(data.head_dim, data.value_dim, bitsieve::cache_options{.values = values});
    caches[0].append(data.keys, data.values);
    prepare_threads(1);
  }

  /// Builds the kernel for `threads` and measures its counters: every query once through
  /// sparse_attention and once through dynamic_attention::run with the same configuration, which
  /// runs the same engine and records each key's decision (the kept set behind `recall`).
  const measured& prepare_threads(int threads) override {
    const auto t = static_cast<std::size_t>(threads);
    if (attn.size() <= t) {
      attn.resize(t + 1);
      stats.resize(t + 1);
    }
    if (stats[t]) return *stats[t];
    bitsieve::attention_options o;
    o.softmax_scale = ds->softmax_scale;
    o.query_bits = 12;
    o.count_active_bits = false;  // an inference engine does not price the AND tree (docs/bench.md)
    set_threads(o, threads);
    attn[t] = std::make_unique<attention_type>(thr, o, bitsieve::tile::sequential{tile_size});
    bitsieve::dynamic_config cfg;
    cfg.threshold = thr;
    cfg.options = o;
    cfg.tiles = bitsieve::tile_order_kind::sequential;
    cfg.tile_size = tile_size;
    const bitsieve::dynamic_attention traced(cfg);
    const reference& ref = cached_reference(*ds);
    std::vector<std::uint8_t> trace(n);
    std::vector<float> out2(ds->value_dim);
    bitsieve::attention_stats total;
    double err = 0.0;
    double rec = 0.0;
    double rec_q = 0.0;
    for (std::size_t i = 0; i < n_queries; ++i) {
      const std::span<const float> q(query(i), ds->head_dim);
      const bitsieve::attention_stats st = attn[t]->decode(q, caches[0], out);
      const std::size_t vis[1] = {n};
      const bitsieve::attention_stats st2 = traced.run(q, caches[0], out2, vis, trace);
      if (st2.survivors != st.survivors || st2.planes_read != st.planes_read) {
        throw std::runtime_error("dynamic_attention and sparse_attention disagree on query " + std::to_string(i));
      }
      total += st;
      err += relative_error(out, ref.out[i]);
      for (std::size_t j = 0; j < n; ++j) {
        if ((trace[j] & bitsieve::key_kept_flag) != 0) {
          rec += ref.p[i][j];
          rec_q += ref.p_quant[i][j];
        }
      }
    }
    const auto nq = static_cast<double>(n_queries);
    auto m = std::make_unique<measured>();
    m->bytes_per_token = static_cast<double>(total.k_bytes_read + total.v_bytes_read) / static_cast<double>(total.keys);
    m->touched_bytes = m->bytes_per_token * static_cast<double>(n);
    m->kept_fraction = total.kept_fraction();
    m->planes_per_key = total.mean_planes_per_key();
    m->block_planes_per_key = total.block_planes_per_key();
    m->mass_bound = total.dropped_mass_bound_sum / nq;
    m->out_err = err / nq;
    m->recall = rec / nq;
    m->recall_q = rec_q / nq;
    stats[t] = std::move(m);
    return *stats[t];
  }
  void decode(std::size_t copy, std::size_t qi, int threads) override {
    const bitsieve::attention_stats st = attn[static_cast<std::size_t>(threads)]->decode(
        std::span<const float>(query(qi), caches[0].head_dim()), caches[copy], out);
    benchmark::DoNotOptimize(st);
  }
  [[nodiscard]] std::size_t copies() const override { return caches.size(); }
  [[nodiscard]] std::size_t copy_bytes() const override {
    return caches[0].bytes();
  }
  void make_copies(std::size_t count) override {
    caches.reserve(count);
    while (caches.size() < count) caches.push_back(caches[0]);
  }
};

struct decode_case {
  std::string impl;
  std::string data;
  std::size_t n = 0;
  bool cold = false;
  int threads = 1;
};

std::unique_ptr<decode_fixture> make_fixture(const decode_case& c) {
  const dataset& ds = cached_dataset(c.data, c.n);
  if (c.impl == "dense_fp32_blas") return std::make_unique<dense_fixture<dense_fp32_blas>>(ds);
  if (c.impl == "dense_fp16") return std::make_unique<dense_fixture<dense_fp16>>(ds);
  if (c.impl == "dense_int8") return std::make_unique<dense_fixture<dense_int8>>(ds);
  if (c.impl == "bitsieve_dense") {
    return std::make_unique<bitsieve_fixture<dense_threshold_policies>>(ds, bitsieve::threshold::dense{});
  }
  // <impl>_v16 / <impl>_v8: the same kernel on float16 / int8 values
  std::string base = c.impl;
  auto values = bitsieve::value_format::f32;
  for (const auto& [suffix, vf] : {std::pair{std::string("_v16"), bitsieve::value_format::f16},
                                   std::pair{std::string("_v8"), bitsieve::value_format::i8}}) {
    if (base.size() > suffix.size() && base.ends_with(suffix)) {
      base.resize(base.size() - suffix.size());
      values = vf;
    }
  }
  if (base == "bitsieve_lats") {
    return std::make_unique<bitsieve_fixture<bitsieve::default_policies>>(
        ds, bitsieve::threshold::lats{.alpha = 0.6, .radius = 5.0}, values, bitsieve_bench::lats_tile_size);
  }
  if (base == "bitsieve_mass") {
    return std::make_unique<bitsieve_fixture<mass_policies>>(ds, bitsieve::threshold::mass_budget{.delta = 0.01}, values);
  }
  throw std::invalid_argument("unknown decode impl " + c.impl);
}

void bm_decode(benchmark::State& state, const decode_case& c) {
  decode_fixture* f = nullptr;
  const measured* m = nullptr;
  std::size_t copies = 1;
  try {
    f = &cached_fixture<decode_fixture>("decode/" + c.impl + "/" + c.data + "/" + std::to_string(c.n),
                                        [&] { return make_fixture(c); });
    m = &f->prepare_threads(c.threads);
    if (c.cold) {
      copies = cold_copies(m->touched_bytes);
      copies = std::max<std::size_t>(2, std::min(copies, max_cold_bytes() / std::max<std::size_t>(1, f->copy_bytes())));
      f->make_copies(copies);
    }
  } catch (const std::exception& e) {
    fixture_slot().reset();
    fixture_key().clear();
    state.SkipWithError(e.what());
    return;
  }
  openblas_set_num_threads(c.threads);
  std::size_t i = 0;
  const wall_clock clock;
  for (auto _ : state) {
    f->decode(c.cold ? i % copies : 0, i % f->n_queries, c.threads);
    benchmark::DoNotOptimize(f->out.data());
    benchmark::ClobberMemory();
    ++i;
  }
  const double secs = clock.seconds();
  openblas_set_num_threads(1);
  const auto iters = static_cast<double>(state.iterations());
  state.counters["ns_per_token"] = secs * 1e9 / (iters * static_cast<double>(f->n));
  state.counters["bytes_per_token"] = m->bytes_per_token;
  state.counters["kept_fraction"] = m->kept_fraction;
  state.counters["recall"] = m->recall;
  state.counters["recall_q"] = m->recall_q;
  state.counters["out_err"] = m->out_err;
  if (f->is_bitsieve) {
    state.counters["planes_per_key"] = m->planes_per_key;
    state.counters["block_planes_per_key"] = m->block_planes_per_key;
    state.counters["mass_bound"] = m->mass_bound;
  }
  state.counters["copies"] = static_cast<double>(copies);
  state.counters["cold_llc_multiple"] =
      c.cold ? static_cast<double>(copies - 1) * m->touched_bytes / static_cast<double>(llc_bytes()) : 0.0;
}

}  // namespace

void register_decode() {
  const std::vector<std::string> impls = {"dense_fp32_blas",   "dense_fp16",        "dense_int8",
                                          "bitsieve_dense",    "bitsieve_lats",     "bitsieve_mass",
                                          "bitsieve_lats_v16", "bitsieve_mass_v16", "bitsieve_lats_v8",
                                          "bitsieve_mass_v8"};
  struct data_size {
    std::string data;
    std::size_t n;
  };
  const std::vector<data_size> sizes = {{"real", real_tokens}, {"llm_like", 4096}, {"llm_like", 16384}, {"llm_like", 65536}};
  // threads:2 needs a thread count in attention_options (see kernel_has_threads); the dense
  // baselines then run it too where the threads are not ours to add: OpenBLAS's. dense_fp16 and
  // dense_int8 are single-threaded kernels and have threads:1 only.
  for (const auto& [data, n] : sizes) {
    for (const std::string& impl : impls) {
      const bool two = kernel_has_threads && (impl.rfind("bitsieve_", 0) == 0 || impl == "dense_fp32_blas");
      const std::vector<int> thread_counts = two ? std::vector<int>{1, 2} : std::vector<int>{1};
      for (const bool cold : {false, true}) {
        for (const int t : thread_counts) {
          const decode_case c{impl, data, n, cold, t};
          const std::string name = "decode/" + impl + "/" + data + "/" + std::to_string(n) + "/" +
                                   (cold ? "cold" : "hot") + "/threads:" + std::to_string(t);
          benchmark::RegisterBenchmark(name.c_str(), [c](benchmark::State& s) { bm_decode(s, c); })
              ->Unit(benchmark::kMicrosecond);
        }
      }
    }
  }
}

}  // namespace bitsieve_bench
