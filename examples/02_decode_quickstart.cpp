// SPDX-License-Identifier: Apache-2.0
// 02: include bitsieve, fill a KV cache, and decode one query with the papers' rule and with the
// certified mass budget; then override one policy of a preset bundle (head-tail tile order) and
// run a causal prefill and a GQA group.
#include <bitsieve/bitsieve.hpp>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace {
struct my_policies : bitsieve::bitstopper_policies {  // 12-bit, lats, out_of_order<32>
  using tile_policy = bitsieve::tile::head_tail<64>;  // ... but sinks and recent tokens first
};

struct certified : bitsieve::default_policies {  // 12-bit, lock-step
  using threshold_policy = bitsieve::threshold::mass_budget;
};

void show(const char* what, const bitsieve::attention_stats& st) {
  std::printf("%-34s kept %6.2f%%  planes/key %5.2f  block planes/key %5.2f  V rows %6.2f%%  mass bound %.2e\n", what,
              100.0 * st.kept_fraction(), st.mean_planes_per_key(), st.block_planes_per_key(),
              100.0 * st.v_rows_fetched_fraction(), st.dropped_mass_bound_sum / static_cast<double>(st.queries));
}
}  // namespace

int main() {
  const std::size_t n = 4096, d = 64, dv = 64;
  std::mt19937 rng(42);
  std::normal_distribution<float> nd;
  std::vector<float> keys(n * d), values(n * dv), query(d), out(dv);
  for (auto& x : keys) x = nd(rng);
  for (auto& x : values) x = nd(rng);
  for (auto& x : query) x = 2.0F * nd(rng);
  for (std::size_t t = 0; t < 8; ++t) {  // a few keys that the query really attends to
    for (std::size_t i = 0; i < d; ++i) keys[(t * 509) * d + i] = 0.8F * query[i] + 0.3F * nd(rng);
  }

  bitsieve::key_value_cache<bitsieve::format::twos_complement<12>> cache(d, dv);
  cache.append(keys, values);  // floats in: 12-bit planes and the per-tensor scale inside

  bitsieve::sparse_attention<> papers{bitsieve::threshold::lats{.alpha = 0.6, .radius = 5}};
  show("lats (papers' defaults), lock-step", papers.decode(query, cache, out));

  bitsieve::sparse_attention<certified> safe{bitsieve::threshold::mass_budget{.delta = 0.01}};
  const auto st = safe.decode(query, cache, out);
  show("mass_budget delta 1%, lock-step", st);
  if (st.dropped_mass_bound_sum > 0.01) return 1;  // the certificate

  bitsieve::sparse_attention<my_policies> ooo{bitsieve::threshold::lats{}, {}, bitsieve::tile::head_tail<64>{256}};
  show("lats, out_of_order<32>, head_tail", ooo.decode(query, cache, out));

  // Causal prefill of the last 16 positions, and a GQA group of 4 query heads on this KV head.
  std::vector<float> queries(16 * d), outs(16 * dv);
  for (auto& x : queries) x = 2.0F * nd(rng);
  show("mass_budget, causal prefill x16", safe.prefill(queries, cache, outs, bitsieve::causal));
  show("mass_budget, decode_group x4",
       safe.decode_group(std::span<const float>(queries).first(4 * d), cache, std::span<float>(outs).first(4 * dv)));
  return 0;
}
