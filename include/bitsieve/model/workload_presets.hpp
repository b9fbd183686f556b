// SPDX-License-Identifier: Apache-2.0
/// \file model/workload_presets.hpp
/// Workload presets for the papers' evaluations, with documented default pruning statistics.
///
/// Shapes are the public model configurations (layers, heads, KV heads, head dim). Sequence lengths:
/// BitStopper evaluates OPT-1.3B and Llama2-7B on Wikitext-2 and Dolly at about 1k-4k tokens
/// (REFERENCE.md §1.6); PADE lists Wikitext-2 2k, Dolly 15k, MMLU 0.5k, PG-19 100k (§2.6).
///
/// Default statistics (LATS alpha 0.6, radius 5, the papers' default) are *assumed*, not measured.
/// Method: each paper's hardware is provisioned for a survivor fraction at which its QK lanes and
/// its V-PU take equal time, kappa* = planes x ceil(d/64) x v_macs / (lanes x d):
/// - BitStopper (32 lanes, 64 V MACs, ~5.6 of 12 planes): kappa* ~ 0.175; its workloads get
///   0.15-0.20 (geometric mean 0.17);
/// - PADE (128 lanes, 128 V MACs, ~3.6 of 8 planes): kappa* ~ 0.056; its workloads get 0.02-0.12
///   (geometric mean 0.055), sparser for longer contexts (Dolly 15k, PG-19 100k) and denser for
///   short MMLU prompts.
/// Dropped keys stop after 3.2-4.5 of 12 planes (DESIGN.md §8 measured ~5 for a sharp 12-bit head
/// at the papers' default). Both agree with the papers' 40-90% sparsity range (PADE Fig. 16b).
/// Replace them with measured ones: bitsieve-model --stats FILE (bitsieve-eval --json output).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bitsieve/model/calibration.hpp"
#include "bitsieve/model/workload.hpp"

namespace bitsieve::model {

namespace detail {
inline workload make_workload(std::string name, std::string description, workload_shape shape, double kept,
                              double dropped_mean_planes, std::string source) {
  pruning_stats st = synthetic_stats(kept, dropped_mean_planes, 12, 1.5, calibration::block_effective_keys, std::move(source));
  st.row_correlation = calibration::row_correlation;
  return workload{std::move(name), std::move(description), shape, std::move(st)};
}

/// Public model shapes (Hugging Face configs).
inline constexpr workload_shape opt_1_3b{.layers = 24, .heads = 32, .kv_heads = 32, .head_dim = 64};
inline constexpr workload_shape llama2_7b{.layers = 32, .heads = 32, .kv_heads = 32, .head_dim = 128};
inline constexpr workload_shape llama3_8b{.layers = 32, .heads = 32, .kv_heads = 8, .head_dim = 128};
inline constexpr workload_shape bloom_1_7b{.layers = 24, .heads = 16, .kv_heads = 16, .head_dim = 128};
inline constexpr workload_shape qwen_7b{.layers = 32, .heads = 32, .kv_heads = 32, .head_dim = 128};

inline workload_shape with(workload_shape s, std::int64_t seq_len, phase ph, std::int32_t batch = 1,
                           std::int64_t steps = 1) {
  s.seq_len = seq_len;
  s.ph = ph;
  s.batch = batch;
  s.decode_steps = steps;
  return s;
}
}  // namespace detail

/// Every workload preset, in the order --list prints them.
[[nodiscard]] inline const std::vector<workload>& workload_presets() {
  using detail::make_workload;
  using detail::with;
  static const std::vector<workload> presets = [] {
    std::vector<workload> v;
    const char* assumed = "assumed default (LATS alpha 0.6, radius 5; model/workload_presets.hpp)";
    // BitStopper's evaluation (REFERENCE.md §1.6): OPT-1.3B and Llama2-7B, Wikitext-2 and Dolly
    v.push_back(make_workload("opt1.3b-wikitext2", "BitStopper: OPT-1.3B, Wikitext-2, 2k prefill",
                              with(detail::opt_1_3b, 2048, phase::prefill), 0.20, 4.5, assumed));
    v.push_back(make_workload("opt1.3b-dolly", "BitStopper: OPT-1.3B, Dolly, 2k prefill (OPT's context)",
                              with(detail::opt_1_3b, 2048, phase::prefill), 0.15, 4.3, assumed));
    v.push_back(make_workload("llama2-7b-wikitext2", "BitStopper/PADE: Llama2-7B, Wikitext-2, 2k prefill",
                              with(detail::llama2_7b, 2048, phase::prefill), 0.20, 4.5, assumed));
    v.push_back(make_workload("llama2-7b-dolly", "BitStopper: Llama2-7B, Dolly, 4k prefill",
                              with(detail::llama2_7b, 4096, phase::prefill), 0.15, 4.2, assumed));
    // PADE's benchmarks (REFERENCE.md §2.6), a representative subset (see the file comment for
    // the default statistics).
    const char* pade_default = "assumed default (PADE standard mode, ISTA; model/workload_presets.hpp)";
    v.push_back(make_workload("llama3-8b-mmlu", "PADE: Llama3-8B (GQA 4), MMLU, 0.5k prefill",
                              with(detail::llama3_8b, 512, phase::prefill), 0.12, 3.8, pade_default));
    v.push_back(make_workload("llama3-8b-wikitext2", "PADE: Llama3-8B (GQA 4), Wikitext-2, 2k prefill",
                              with(detail::llama3_8b, 2048, phase::prefill), 0.07, 3.6, pade_default));
    v.push_back(make_workload("bloom1.7b-wikitext2", "PADE: Bloom-1.7B, Wikitext-2, 2k prefill",
                              with(detail::bloom_1_7b, 2048, phase::prefill), 0.07, 3.6, pade_default));
    v.push_back(make_workload("qwen-7b-dolly", "PADE: Qwen-7B, Dolly, 15k prefill",
                              with(detail::qwen_7b, 15360, phase::prefill), 0.04, 3.4, pade_default));
    v.push_back(make_workload("llama2-7b-pg19-decode", "PADE: Llama2-7B, PG-19, 100k context, 64 decode steps",
                              with(detail::llama2_7b, 100000, phase::decode, 1, 64), 0.02, 3.2, pade_default));
    // The GPU comparison: serving (prefill then decode) at batch 16 (PADE used batch 8-128)
    v.push_back(make_workload("llama2-7b-serve-prefill", "H100 study: Llama2-7B, batch 16, 2k prompt prefill",
                              with(detail::llama2_7b, 2048, phase::prefill, 16), 0.06, 3.6, pade_default));
    v.push_back(make_workload("llama2-7b-serve-decode", "H100 study: Llama2-7B, batch 16, 2k context, 512 decode steps",
                              with(detail::llama2_7b, 2048, phase::decode, 16, 512), 0.06, 3.6, pade_default));
    return v;
  }();
  return presets;
}

/// The preset with that name, or nullopt.
[[nodiscard]] inline std::optional<workload> find_workload(std::string_view name) {
  for (const auto& w : workload_presets()) {
    if (w.name == name) return w;
  }
  return std::nullopt;
}

/// The workloads each published comparison averages over (geometric mean).
inline constexpr std::string_view bitstopper_suite[] = {"opt1.3b-wikitext2", "opt1.3b-dolly", "llama2-7b-wikitext2",
                                                        "llama2-7b-dolly"};
inline constexpr std::string_view pade_suite[] = {"llama3-8b-mmlu", "llama3-8b-wikitext2", "bloom1.7b-wikitext2",
                                                  "qwen-7b-dolly", "llama2-7b-pg19-decode"};
inline constexpr std::string_view h100_suite[] = {"llama2-7b-serve-prefill", "llama2-7b-serve-decode"};

}  // namespace bitsieve::model
