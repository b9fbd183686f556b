// SPDX-License-Identifier: Apache-2.0
/// \file bench/bench_prefill.cpp
/// prefill/<impl>/llm_like/<N>: causal self-attention of N query rows over the N keys of the
/// llm_like trace (row i sees keys 0..i), one head, one thread.
///   dense_fp32_blas  blocks of 256 query rows: S = Q K^T and O = P V by cblas_sgemm, with the
///                    vectorised masked softmax of bench/dense.hpp
///   bitsieve_lats    sparse_attention<default_policies>::prefill(queries, cache, outs, causal)
/// Counters: ns_per_token (wall time / N query rows), ns_per_pair (wall time / visible
/// (query, key) pairs, N (N + 1) / 2), and for both impls out_err and for bitsieve kept_fraction,
/// planes_per_key and recall, measured on 16 query rows spread over the sequence (recall as in
/// decode: reference mass of the keys the kernel kept).
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bitsieve/kernel/dynamic_attention.hpp"
#include "bitsieve/kernel/key_value_cache.hpp"
#include "bitsieve/kernel/sparse_attention.hpp"
#include "common.hpp"
#include "dense.hpp"
#include "registry.hpp"

namespace bitsieve_bench {
namespace {

constexpr std::size_t prefill_sample_rows = 16;

struct prefill_fixture : fixture_base {
  dataset ds;
  std::vector<float> outs;
  std::vector<std::size_t> sample_rows;
  reference ref;  // of the sampled rows
  double kept_fraction = 1.0;
  double planes_per_key = 0.0;
  double recall = 1.0;
  double out_err = 0.0;
  bool is_bitsieve = false;
  virtual void run() = 0;

  explicit prefill_fixture(std::size_t n) {
    llm_like_trace tr = make_llm_like(n, n);
    ds.name = "llm_like";
    ds.n = n;
    ds.head_dim = tr.head_dim;
    ds.value_dim = tr.value_dim;
    ds.n_queries = n;
    ds.softmax_scale = 1.0 / std::sqrt(static_cast<double>(tr.head_dim));
    ds.keys = std::move(tr.keys);
    ds.values = std::move(tr.values);
    ds.queries = std::move(tr.queries);
    outs.assign(n * ds.value_dim, 0.0F);
    std::vector<float> q;
    std::vector<std::size_t> visible;
    for (std::size_t k = 0; k < prefill_sample_rows; ++k) {
      const std::size_t row = (k + 1) * n / prefill_sample_rows - 1;
      sample_rows.push_back(row);
      visible.push_back(row + 1);
      q.insert(q.end(), ds.queries.begin() + static_cast<std::ptrdiff_t>(row * ds.head_dim),
               ds.queries.begin() + static_cast<std::ptrdiff_t>((row + 1) * ds.head_dim));
    }
    ref = make_reference(ds, q, visible);
  }

  /// Mean relative error of the sampled rows of `outs` (after run()).
  [[nodiscard]] double sampled_error() const {
    double e = 0.0;
    for (std::size_t k = 0; k < sample_rows.size(); ++k) {
      e += relative_error(std::span<const float>(outs).subspan(sample_rows[k] * ds.value_dim, ds.value_dim), ref.out[k]);
    }
    return e / static_cast<double>(sample_rows.size());
  }
};

struct dense_prefill_fixture final : prefill_fixture {
  dense_prefill_fp32 kernel;
  explicit dense_prefill_fixture(std::size_t n)
      : prefill_fixture(n), kernel(ds.keys, ds.values, ds.head_dim, ds.value_dim, ds.softmax_scale) {
    run();
    out_err = sampled_error();
    if (!(out_err < 0.1)) throw std::runtime_error("dense prefill output error " + std::to_string(out_err) + " (bug?)");
  }
  void run() override { kernel.prefill(ds.queries.data(), outs.data()); }
};

struct bitsieve_prefill_fixture final : prefill_fixture {
  bitsieve::key_value_cache<bitsieve::format::twos_complement<12>> cache;
  bitsieve::sparse_attention<bitsieve::default_policies> attn;
  explicit bitsieve_prefill_fixture(std::size_t n)
      : prefill_fixture(n), cache(ds.head_dim, ds.value_dim),
        attn(bitsieve::threshold::lats{.alpha = 0.6, .radius = 5.0},
             bitsieve::attention_options{.softmax_scale = ds.softmax_scale, .query_bits = 12, .count_active_bits = false},
             bitsieve::tile::sequential{bitsieve_bench::lats_tile_size}) {
    is_bitsieve = true;
    cache.append(ds.keys, ds.values);
    run();
    out_err = sampled_error();
    bitsieve::dynamic_config cfg;
    cfg.threshold = attn.threshold();
    cfg.options = attn.options();
    cfg.tiles = bitsieve::tile_order_kind::sequential;
    cfg.tile_size = attn.tiles().tile_size;
    const bitsieve::dynamic_attention traced(cfg);
    std::vector<float> q;
    std::vector<std::size_t> visible;
    for (const std::size_t row : sample_rows) {
      visible.push_back(row + 1);
      q.insert(q.end(), ds.queries.begin() + static_cast<std::ptrdiff_t>(row * ds.head_dim),
               ds.queries.begin() + static_cast<std::ptrdiff_t>((row + 1) * ds.head_dim));
    }
    std::vector<std::uint8_t> trace(sample_rows.size() * n);
    std::vector<float> o(sample_rows.size() * ds.value_dim);
    const bitsieve::attention_stats st = traced.run(q, cache, o, visible, trace);
    double rec = 0.0;
    for (std::size_t k = 0; k < sample_rows.size(); ++k) {
      for (std::size_t j = 0; j < visible[k]; ++j) {
        if ((trace[k * n + j] & bitsieve::key_kept_flag) != 0) rec += ref.p[k][j];
      }
    }
    recall = rec / static_cast<double>(sample_rows.size());
    kept_fraction = st.kept_fraction();
    planes_per_key = st.mean_planes_per_key();
  }
  void run() override {
    const bitsieve::attention_stats st = attn.prefill(ds.queries, cache, outs, bitsieve::causal);
    benchmark::DoNotOptimize(st);
  }
};

void bm_prefill(benchmark::State& state, const std::string& impl, std::size_t n) {
  prefill_fixture* f = nullptr;
  try {
    f = &cached_fixture<prefill_fixture>("prefill/" + impl + "/" + std::to_string(n), [&]() -> std::unique_ptr<prefill_fixture> {
      if (impl == "dense_fp32_blas") return std::make_unique<dense_prefill_fixture>(n);
      return std::make_unique<bitsieve_prefill_fixture>(n);
    });
  } catch (const std::exception& e) {
    fixture_slot().reset();
    fixture_key().clear();
    state.SkipWithError(e.what());
    return;
  }
  const wall_clock clock;
  for (auto _ : state) {
    f->run();
    benchmark::DoNotOptimize(f->outs.data());
    benchmark::ClobberMemory();
  }
  const double secs = clock.seconds();
  const auto iters = static_cast<double>(state.iterations());
  const auto nd = static_cast<double>(n);
  state.counters["ns_per_token"] = secs * 1e9 / (iters * nd);
  state.counters["ns_per_pair"] = secs * 1e9 / (iters * nd * (nd + 1.0) / 2.0);
  state.counters["out_err"] = f->out_err;
  state.counters["kept_fraction"] = f->kept_fraction;
  state.counters["recall"] = f->recall;
  if (f->is_bitsieve) state.counters["planes_per_key"] = f->planes_per_key;
}

}  // namespace

void register_prefill() {
  for (const std::size_t n : {std::size_t{1024}, std::size_t{4096}}) {
    for (const char* impl : {"dense_fp32_blas", "bitsieve_lats"}) {
      const std::string name = std::string("prefill/") + impl + "/llm_like/" + std::to_string(n);
      benchmark::RegisterBenchmark(name.c_str(), [impl = std::string(impl), n](benchmark::State& s) { bm_prefill(s, impl, n); })
          ->Unit(benchmark::kMillisecond);
    }
  }
}

}  // namespace bitsieve_bench
