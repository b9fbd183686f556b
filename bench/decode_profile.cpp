// SPDX-License-Identifier: Apache-2.0
/// \file bench/decode_profile.cpp
/// bitsieve-decode-profile: runs D decodes of one configuration of the benchmarks' kernels on
/// their data sets and prints the counts, for instruction-count A/B comparisons of kernel changes
/// on a machine too noisy for wall-clock ones:
///
///     valgrind --tool=callgrind --callgrind-out-file=/dev/null bitsieve-decode-profile real 8192 0 mass
///     valgrind --tool=callgrind --callgrind-out-file=/dev/null bitsieve-decode-profile real 8192 64 mass
///
/// (the difference of the two "I refs" totals over 64 x 8192 is the kernel's instructions per key).
///
/// usage: bitsieve-decode-profile DATA N DECODES RULE [TILE_SIZE] [THREADS]
///   DATA      real | llm_like (bench/common.hpp: the first N keys, the data set's queries in turn)
///   RULE      lats (alpha 0.6, radius 5) | mass (delta 0.01, pooled) | mass-uniform | dense
///   TILE_SIZE sequential key tiles of this many tokens (default 0: one tile)
///   THREADS   attention_options::threads (default 1)
/// 12-bit keys and queries, float32 values, count_active_bits off, as in bitsieve-bench.
#include <chrono>
#include <cstdio>
#include <exception>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "bitsieve/bitsieve.hpp"
#include "common.hpp"

namespace {

using bitsieve_bench::dense_threshold_policies;
using bitsieve_bench::mass_policies;

template <class P>
int run(const bitsieve_bench::dataset& ds, const typename P::threshold_policy& thr, std::size_t decodes,
        std::size_t tile, unsigned threads) {
  bitsieve::key_value_cache<bitsieve::format::twos_complement<12>> cache(ds.head_dim, ds.value_dim);
  cache.append(ds.keys, ds.values);
  bitsieve::attention_options o;
  o.softmax_scale = ds.softmax_scale;
  o.query_bits = 12;
  o.count_active_bits = false;
  o.threads = threads;
  const bitsieve::sparse_attention<P> attn(thr, o, bitsieve::tile::sequential{tile});
  std::vector<float> out(ds.value_dim);
  bitsieve::attention_stats total;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t r = 0; r < decodes; ++r) total += attn.decode(ds.query(r % ds.n_queries), cache, out);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double keys = static_cast<double>(total.keys);
  std::printf("%s n=%zu decodes=%zu tile=%zu threads=%u: kept %.4f planes/key %.3f block planes/key %.3f "
              "rounds/decode %.1f mass_bound %.3g (%.1f ns/key wall-clock)\n",
              ds.name.c_str(), ds.n, decodes, tile, threads, total.kept_fraction(), total.mean_planes_per_key(),
              keys > 0 ? static_cast<double>(total.block_token_planes_read) / keys : 0.0,
              decodes > 0 ? static_cast<double>(total.rounds) / static_cast<double>(decodes) : 0.0,
              decodes > 0 ? total.dropped_mass_bound_sum / static_cast<double>(decodes) : 0.0,
              keys > 0 ? s * 1e9 / keys : 0.0);
  // where the keys stopped: the fraction of keys dropped (or, last entry, kept) after p planes
  std::printf("stops (fraction of keys by planes read):");
  for (std::size_t p = 1; p < total.stop_histogram.size(); ++p) {
    if (keys > 0 && total.stop_histogram[p] != 0) {
      std::printf(" %zu:%.4f", p, static_cast<double>(total.stop_histogram[p]) / keys);
    }
  }
  std::printf("\n");
  return 0;
}

/// A non-negative integer argument, or an error naming it.
std::size_t count_arg(const char* text, const char* what) {
  const std::string t(text);
  if (t.empty() || t.find_first_not_of("0123456789") != std::string::npos) {
    throw std::invalid_argument(std::string(what) + " must be a non-negative integer, got '" + t + "'");
  }
  return std::stoul(t);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s DATA N DECODES RULE [TILE_SIZE] [THREADS]  (see bench/decode_profile.cpp)\n", argv[0]);
    return 2;
  }
  try {
    const std::string data = argv[1];
    const std::size_t n = count_arg(argv[2], "N");
    const std::size_t decodes = count_arg(argv[3], "DECODES");
    const std::string rule = argv[4];
    const std::size_t tile = argc > 5 ? count_arg(argv[5], "TILE_SIZE") : 0;
    const auto threads = static_cast<unsigned>(argc > 6 ? count_arg(argv[6], "THREADS") : 1);
    const bitsieve_bench::dataset& ds = bitsieve_bench::cached_dataset(data, n);
    if (rule == "lats") return run<bitsieve::default_policies>(ds, {.alpha = 0.6, .radius = 5.0}, decodes, tile, threads);
    if (rule == "mass") return run<mass_policies>(ds, {.delta = 0.01}, decodes, tile, threads);
    if (rule == "mass-uniform") return run<mass_policies>(ds, {.delta = 0.01, .pooled = false}, decodes, tile, threads);
    if (rule == "dense") return run<dense_threshold_policies>(ds, {}, decodes, tile, threads);
    std::fprintf(stderr, "bitsieve-decode-profile: unknown rule %s (lats, mass, mass-uniform, dense)\n", rule.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bitsieve-decode-profile: %s\n", e.what());
    return 1;
  }
}
