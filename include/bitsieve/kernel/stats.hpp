// SPDX-License-Identifier: Apache-2.0
/// \file kernel/stats.hpp
/// `attention_stats`: exact counts of the work one kernel call did. They are what the accelerator
/// performance model consumes (DESIGN.md §3 "Stats"), so they are counts, never estimates.
/// "Pairs" are (query, key) pairs the kernel considered; a key that a causal mask hides is not a pair.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace bitsieve {

struct attention_stats {
  /// Query rows processed.
  std::uint64_t queries = 0;
  /// (query, key) pairs considered.
  std::uint64_t keys = 0;
  /// Pairs kept: read to the last plane and used in softmax and the value sum.
  std::uint64_t survivors = 0;
  /// Key planes read, per key: sum over pairs of the planes read for that key.
  std::uint64_t planes_read = 0;
  /// stop_histogram[p] = pairs whose key stopped after exactly p planes (p = 1 .. key bits).
  /// Sums to `keys`. Bucket p = key bits holds the survivors and the keys dropped after their last
  /// plane (dropped there they still save their value row), so survivors <= stop_histogram[bits].
  std::array<std::uint64_t, 17> stop_histogram{};
  /// (block, plane) reads at the storage granularity: a plane of a block is read when any key in
  /// it is still live for that query. Counted per query.
  std::uint64_t block_planes_read = 0;
  /// (block, plane) reads counted once per group of query rows processed together (decode_group
  /// with lock-step reads a block plane once for every query head of the group); equals
  /// block_planes_read when each query runs on its own.
  std::uint64_t group_block_planes_read = 0;
  /// Token-planes read at block granularity: sum over block-plane reads of the valid tokens in the
  /// block. block_token_planes_read / keys is DESIGN.md's "planes per key at block granularity".
  std::uint64_t block_token_planes_read = 0;
  /// Value rows read (== survivors).
  std::uint64_t value_rows_read = 0;
  /// Bytes of K planes read (block granularity) and of V rows read.
  std::uint64_t k_bytes_read = 0;
  std::uint64_t v_bytes_read = 0;
  /// Bidirectional scheduling: bits actually accumulated (min(ones, zeros) per key-plane);
  /// otherwise the count of 1-bits accumulated.
  std::uint64_t active_bits = 0;
  /// Threshold rounds (one per plane per tile, lockstep; per plane per lane batch, out-of-order).
  std::uint64_t rounds = 0;
  /// Key width the counts refer to.
  int key_bits = 0;
  /// Tokens per storage block.
  int block_tokens = 32;
  /// Certified upper bound of the probability mass of the dropped keys, summed over queries
  /// (divide by `queries` for the mean per query).
  double dropped_mass_bound_sum = 0.0;

  [[nodiscard]] double kept_fraction() const noexcept { return ratio(survivors, keys); }
  [[nodiscard]] double mean_planes_per_key() const noexcept { return ratio(planes_read, keys); }
  [[nodiscard]] double block_planes_per_key() const noexcept { return ratio(block_token_planes_read, keys); }
  [[nodiscard]] double k_bits_fetched_fraction() const noexcept {
    return key_bits == 0 ? 0.0 : ratio(planes_read, keys) / key_bits;
  }
  [[nodiscard]] double v_rows_fetched_fraction() const noexcept { return ratio(value_rows_read, keys); }

  /// Adds another call's counts (same key width and block size).
  attention_stats& operator+=(const attention_stats& o) noexcept {
    queries += o.queries;
    keys += o.keys;
    survivors += o.survivors;
    planes_read += o.planes_read;
    for (std::size_t i = 0; i < stop_histogram.size(); ++i) stop_histogram[i] += o.stop_histogram[i];
    block_planes_read += o.block_planes_read;
    group_block_planes_read += o.group_block_planes_read;
    block_token_planes_read += o.block_token_planes_read;
    value_rows_read += o.value_rows_read;
    k_bytes_read += o.k_bytes_read;
    v_bytes_read += o.v_bytes_read;
    active_bits += o.active_bits;
    rounds += o.rounds;
    if (key_bits == 0) key_bits = o.key_bits;
    block_tokens = o.block_tokens;
    dropped_mass_bound_sum += o.dropped_mass_bound_sum;
    return *this;
  }

 private:
  static double ratio(std::uint64_t a, std::uint64_t b) noexcept {
    return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
  }
};

}  // namespace bitsieve
