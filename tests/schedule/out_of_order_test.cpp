// SPDX-License-Identifier: Apache-2.0
// Schedulers: the SchedulerPolicy concept; the out-of-order event order of schedule/concept.hpp
// (key i -> lane i % Lanes, lanes in turn, one plane per step, every event seeing the state the
// previous ones left) for any lane count, checked key by key against the scalar model; and
// `bidirectional` changing nothing but the active-bit count.
#include <bitsieve/format/twos_complement.hpp>
#include <bitsieve/kernel/dynamic_attention.hpp>
#include <bitsieve/kernel/policies.hpp>
#include <bitsieve/kernel/sparse_attention.hpp>
#include <bitsieve/schedule/concept.hpp>
#include <bitsieve/schedule/lockstep.hpp>
#include <bitsieve/schedule/out_of_order.hpp>

#include <cstring>
#include <variant>
#include <vector>

#include <doctest/doctest.h>

#include "support/bundles.hpp"
#include "support/golden_compare.hpp"
#include "support/testbed.hpp"

namespace concept_checks {

using bitsieve::SchedulerPolicy;
namespace sch = bitsieve::schedule;

static_assert(SchedulerPolicy<sch::lockstep>);
static_assert(SchedulerPolicy<sch::out_of_order<1>>);
static_assert(SchedulerPolicy<sch::out_of_order<32>>);
static_assert(SchedulerPolicy<sch::out_of_order<128, true>>);
static_assert(SchedulerPolicy<sch::out_of_order<4096>>);
static_assert(sch::lockstep::lanes == 0 && !sch::lockstep::bidirectional);
static_assert(sch::out_of_order<8>::lanes == 8 && !sch::out_of_order<8>::bidirectional);
static_assert(sch::out_of_order<8, true>::bidirectional);

struct user_scheduler {
  using policy_category = bitsieve::schedule_policy_tag;
  static constexpr int lanes = 3;
  static constexpr bool bidirectional = false;
};
static_assert(SchedulerPolicy<user_scheduler>);

// Look-alikes: the members without the tag, or with another family's tag.
struct no_tag {
  static constexpr int lanes = 3;
  static constexpr bool bidirectional = false;
};
static_assert(!SchedulerPolicy<no_tag>);
struct void_tag : no_tag {
  using policy_category = void;
};
static_assert(!SchedulerPolicy<void_tag>);
struct tile_tagged : no_tag {
  using policy_category = bitsieve::tile_policy_tag;
};
static_assert(!SchedulerPolicy<tile_tagged>);
struct no_lanes {
  using policy_category = bitsieve::schedule_policy_tag;
  static constexpr bool bidirectional = false;
};
static_assert(!SchedulerPolicy<no_lanes>);
struct no_bidirectional {
  using policy_category = bitsieve::schedule_policy_tag;
  static constexpr int lanes = 3;
};
static_assert(!SchedulerPolicy<no_bidirectional>);
static_assert(!SchedulerPolicy<int>);

}  // namespace concept_checks

namespace {

using namespace bitsieve_test;
namespace fmt = bitsieve::format;
namespace thr = bitsieve::threshold;
namespace sch = bitsieve::schedule;
using F12 = fmt::twos_complement<12>;

struct user_lanes : bitsieve::default_policies {
  using schedule_policy = concept_checks::user_scheduler;
};

bitsieve::tile_order_kind dynamic_kind(tile_kind k) {
  switch (k) {
    case tile_kind::sequential: return bitsieve::tile_order_kind::sequential;
    case tile_kind::interleaved: return bitsieve::tile_order_kind::interleaved;
    case tile_kind::head_tail: return bitsieve::tile_order_kind::head_tail;
  }
  return bitsieve::tile_order_kind::sequential;
}

}  // namespace

TEST_SUITE("schedule") {
  TEST_CASE("schedule/out_of_order: every lane count follows the documented event order (scalar model key by key)") {
    tally tl;
    for (const case_input& in : {synthetic_case(300, 48, 2, 2.0, 61), real_case("gpl3_tok0000-0128", 0, 2, 2)}) {
      CAPTURE(in.name);
      const auto cache = one_hot_cache<F12>(in.keys, in.d);
      const auto ints = integer_keys(cache);
      for (std::size_t qi = 0; qi < in.queries.size(); ++qi) {
        CAPTURE(qi);
        const query_setup<F12> qs = setup_query(in, cache, ints, qi);
        bitsieve::score_t best = qs.scores.front();
        for (const auto s : qs.scores) best = std::max(best, s);
        using rule_variant = std::variant<thr::lats, thr::top_k, thr::fixed>;
        for (const rule_variant& rule :
             {rule_variant{thr::lats{}}, rule_variant{thr::top_k{.k = 8}},
              rule_variant{thr::fixed{.tau = qs.c * static_cast<double>(best) - 3.0}}}) {
          for (const int lanes : {0, 1, 2, 3, 7, 31, 32, 33, 64, 100, 127, 128, 129, 1000}) {
            for (const auto& tiling : {std::pair{std::size_t{0}, tile_kind::sequential},
                                       std::pair{std::size_t{100}, tile_kind::sequential},
                                       std::pair{std::size_t{64}, tile_kind::interleaved},
                                       std::pair{std::size_t{40}, tile_kind::head_tail}}) {
              const std::size_t ts = tiling.first;
              const tile_kind kind = tiling.second;
              CAPTURE(lanes);
              CAPTURE(ts);
              CAPTURE(static_cast<int>(kind));
              const bool bidirectional = lanes % 2 == 1;
              bitsieve::dynamic_config cfg;
              std::visit([&](const auto& r) { cfg.threshold = r; }, rule);
              cfg.lanes = lanes;
              cfg.bidirectional = bidirectional;
              cfg.tiles = dynamic_kind(kind);
              cfg.tile_size = ts;
              cfg.sink = 64;
              cfg.options = {.softmax_scale = in.softmax_scale, .query_bits = 12};
              const bitsieve::dynamic_attention dyn{cfg};
              std::vector<float> out(in.n);
              const auto st = dyn.decode(qs.query, cache, out);
              const model_rule mrule = std::visit([](const auto& r) { return model_rule_of(r); }, rule);
              check_against_model(in, qs, mrule, model_schedule{lanes, ts, kind, 64}, bidirectional && lanes > 0, out,
                                  st, tl);
            }
          }
        }
      }
    }
    report("out-of-order lane counts", tl);
  }

  TEST_CASE("schedule/out_of_order: a user scheduler type runs the documented event order") {
    tally tl;
    const case_input in = synthetic_case(150, 24, 2, 2.0, 62);
    const auto cache = one_hot_cache<F12>(in.keys, in.d);
    const auto ints = integer_keys(cache);
    for (std::size_t qi = 0; qi < in.queries.size(); ++qi) {
      const query_setup<F12> qs = setup_query(in, cache, ints, qi);
      const bitsieve::sparse_attention<user_lanes> attn{thr::lats{}};
      std::vector<float> out(in.n);
      const auto st = attn.decode(qs.query, cache, out);
      check_against_model(in, qs, model_rule_of(thr::lats{}), model_schedule{3, 0, tile_kind::sequential, 64}, false,
                          out, st, tl);
    }
    CHECK(tl.runs == 2);
  }

  TEST_CASE("schedule/out_of_order: bidirectional changes only the active-bit count") {
    const head_trace t = load_head("gpl3_tok0000-0128", 1, 2);
    bitsieve::key_value_cache<F12> cache(t.d, t.d);
    cache.append(t.k, t.v);
    std::size_t compared = 0;
    for_each_type(all_thresholds{}, [&]<class Thr>() {
      for_each_type(type_list<sch::out_of_order<1>, sch::out_of_order<32>, sch::out_of_order<128>>{}, [&]<class S>() {
        using one_way = bundle<F12, Thr, S, bitsieve::tile::sequential>;
        using two_way = bundle<F12, Thr, sch::out_of_order<S::lanes, true>, bitsieve::tile::sequential>;
        const bitsieve::sparse_attention<one_way> a{test_threshold<Thr>(), {.softmax_scale = t.softmax_scale}};
        const bitsieve::sparse_attention<two_way> b{test_threshold<Thr>(), {.softmax_scale = t.softmax_scale}};
        const std::span<const float> rows = std::span<const float>(t.q).first(32 * t.d);  // 32 of the 128 queries
        std::vector<float> oa(32 * t.d), ob(oa.size());
        const auto sa = a.prefill(rows, cache, oa);
        auto sb = b.prefill(rows, cache, ob);
        CHECK(std::memcmp(oa.data(), ob.data(), oa.size() * sizeof(float)) == 0);
        CHECK(sb.active_bits <= sa.active_bits);
        CHECK(sb.active_bits * 2 <= sb.planes_read * t.d);  // min(ones, zeros) <= d / 2 per key plane
        sb.active_bits = sa.active_bits;
        check_same_stats(sa, sb);
        ++compared;
      });
    });
    CHECK(compared == 15);
  }
}
