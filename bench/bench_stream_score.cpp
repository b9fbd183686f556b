// SPDX-License-Identifier: Apache-2.0
/// \file bench/bench_stream_score.cpp
/// stream/read: the machine's single-thread read bandwidth (counter GBps) on a 256 MiB buffer,
/// far larger than the last-level cache; the yardstick of the decode benchmarks' effective GB/s.
/// stream/read/threads:2: the same buffer read by two threads, one half each.
///
/// score/<impl>/d:<D>: one bit-plane of 4096 keys (128 blocks of 32 tokens, plane_store layout,
/// 64 KiB at d = 128, so it sits in L2) scored against one 12-bit query; counter
/// ns_per_token_plane. Implementations:
///   scalar      bitsieve::detail::nibble_tables::score_block (the portable table-lookup reference)
///   dispatch    bitsieve::detail::plane_scorer (the path the kernel uses: AVX2 when available)
///   andpopcount the textbook bit-serial dot product: the query split into its 12 two's
///               complement bit-planes, each key plane held token-major as d/64 words, and
///               q . k = sum_j w_j popcount(q_j & k) (12 * d/64 AND+popcount per token-plane)
/// All three are checked against each other on the data before timing (SkipWithError if not).
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bitsieve/simd/dispatch.hpp"
#include "bitsieve/simd/scalar.hpp"
#include "common.hpp"
#include "dense.hpp"
#include "registry.hpp"

namespace bitsieve_bench {
namespace {

// ------------------------------------------------------------------------------------------------
// stream/read

constexpr std::size_t stream_bytes = std::size_t{256} << 20U;

struct stream_fixture : fixture_base {
  aligned_buffer<std::uint64_t> buf{stream_bytes / sizeof(std::uint64_t)};
  stream_fixture() {
    for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = i * 0x9E3779B97F4A7C15ULL;  // touch every page
  }
};

/// Sum of the buffer as 64-bit lanes with four independent AVX2 accumulators (loads only).
std::uint64_t read_all(const std::uint64_t* p, std::size_t words) noexcept {
  __m256i a0 = _mm256_setzero_si256();
  __m256i a1 = a0;
  __m256i a2 = a0;
  __m256i a3 = a0;
  for (std::size_t i = 0; i + 16 <= words; i += 16) {
    a0 = _mm256_add_epi64(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_add_epi64(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 4)));
    a2 = _mm256_add_epi64(a2, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 8)));
    a3 = _mm256_add_epi64(a3, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 12)));
  }
  const __m256i s = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
  alignas(32) std::uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), s);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

/// threads = 1: the calling thread reads the whole buffer; 2: two threads read one half each.
void bm_stream_read(benchmark::State& state, int threads) {
  auto& f = cached_fixture<stream_fixture>("stream/read", [] { return std::make_unique<stream_fixture>(); });
  const std::size_t half = f.buf.size() / 2;
  const wall_clock clock;
  for (auto _ : state) {
    if (threads == 1) {
      std::uint64_t s = read_all(f.buf.data(), f.buf.size());
      benchmark::DoNotOptimize(s);
    } else {
      std::uint64_t s1 = 0;
      std::thread helper([&] { s1 = read_all(f.buf.data() + half, f.buf.size() - half); });
      std::uint64_t s0 = read_all(f.buf.data(), half);
      helper.join();
      benchmark::DoNotOptimize(s0);
      benchmark::DoNotOptimize(s1);
    }
  }
  const double secs = clock.seconds();
  const double bytes = static_cast<double>(stream_bytes) * static_cast<double>(state.iterations());
  state.counters["GBps"] = bytes / secs * 1e-9;
  state.counters["buffer_MiB"] = static_cast<double>(stream_bytes >> 20U);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

// ------------------------------------------------------------------------------------------------
// score

constexpr std::size_t score_tokens = 4096;
constexpr int score_query_bits = 12;

struct score_data {
  std::size_t d = 0;
  std::size_t groups = 0;
  std::size_t blocks = score_tokens / bitsieve::detail::block_tokens;
  std::vector<std::int32_t> q;                   // d values in -2047..2047
  aligned_buffer<std::uint8_t> planes;           // (blocks, groups, 32): one plane of every block
  std::vector<std::uint64_t> qbits;              // (12, words): bit j of every q element
  std::vector<std::uint64_t> kbits;              // (tokens, words): the plane, token-major
  std::size_t words = 0;

  explicit score_data(std::size_t dim) : d(dim), groups((dim + 7) / 8), words((dim + 63) / 64) {
    splitmix64 rng(0xC0FFEEULL + dim);
    q.resize(d);
    const std::int32_t qmax = (1 << (score_query_bits - 1)) - 1;
    for (auto& v : q) v = static_cast<std::int32_t>(rng.range(0, 2 * static_cast<std::size_t>(qmax))) - qmax;
    planes.resize(blocks * groups * bitsieve::detail::block_tokens);
    for (std::size_t i = 0; i < planes.size(); ++i) planes[i] = static_cast<std::uint8_t>(rng.next());
    qbits.assign(static_cast<std::size_t>(score_query_bits) * words, 0);
    for (std::size_t e = 0; e < d; ++e) {
      const auto u = static_cast<std::uint32_t>(q[e]);  // two's complement bits
      for (int j = 0; j < score_query_bits; ++j) {
        if (((u >> static_cast<unsigned>(j)) & 1U) != 0U) qbits[static_cast<std::size_t>(j) * words + e / 64] |= 1ULL << (e % 64);
      }
    }
    kbits.assign(score_tokens * words, 0);
    for (std::size_t b = 0; b < blocks; ++b) {
      for (std::size_t g = 0; g < groups; ++g) {
        for (std::size_t t = 0; t < bitsieve::detail::block_tokens; ++t) {
          const std::uint64_t byte = planes[(b * groups + g) * bitsieve::detail::block_tokens + t];
          const std::size_t token = b * bitsieve::detail::block_tokens + t;
          kbits[token * words + (8 * g) / 64] |= byte << ((8 * g) % 64);
        }
      }
    }
  }

  [[nodiscard]] const std::uint8_t* plane(std::size_t b) const { return planes.data() + b * groups * bitsieve::detail::block_tokens; }
};

/// q . k for the 32 tokens of block b by AND + popcount over the query's bit-planes; W = d / 64
/// words per plane (a compile-time constant so the loops unroll fully).
template <std::size_t W>
void score_block_andpopcount_w(const score_data& s, std::size_t b, std::int32_t* dot) noexcept {
  const std::uint64_t* q = s.qbits.data();
  for (std::size_t t = 0; t < bitsieve::detail::block_tokens; ++t) {
    const std::uint64_t* k = s.kbits.data() + (b * bitsieve::detail::block_tokens + t) * W;
    std::int32_t acc = 0;
    for (int j = 0; j < score_query_bits; ++j) {
      std::int32_t c = 0;
      for (std::size_t w = 0; w < W; ++w) c += std::popcount(q[static_cast<std::size_t>(j) * W + w] & k[w]);
      acc += (j == score_query_bits - 1 ? -(1 << j) : (1 << j)) * c;
    }
    dot[t] = acc;
  }
}

void score_block_andpopcount(const score_data& s, std::size_t b, std::int32_t* dot) noexcept {
  if (s.words == 1) {
    score_block_andpopcount_w<1>(s, b, dot);
  } else {
    score_block_andpopcount_w<2>(s, b, dot);
  }
}

enum class score_impl { scalar, andpopcount, dispatch };

void bm_score(benchmark::State& state, score_impl impl, std::size_t d) {
  const score_data s(d);
  bitsieve::detail::nibble_tables tables;
  tables.build(s.q, s.groups);
  bitsieve::detail::plane_scorer scorer;
  scorer.build(s.q, s.groups);
  // All three must agree before anything is timed.
  for (std::size_t b = 0; b < s.blocks; ++b) {
    alignas(64) std::int32_t a[32];
    alignas(64) std::int32_t p[32];
    alignas(64) std::int32_t x[32];
    tables.score_block(s.plane(b), a);
    scorer.score_block(s.plane(b), x);
    score_block_andpopcount(s, b, p);
    for (std::size_t t = 0; t < 32; ++t) {
      if (a[t] != p[t] || a[t] != x[t]) {
        state.SkipWithError(("score implementations disagree at block " + std::to_string(b) + " token " +
                             std::to_string(t)).c_str());
        return;
      }
    }
  }
  alignas(64) std::int32_t dot[32];
  const wall_clock clock;
  for (auto _ : state) {
    for (std::size_t b = 0; b < s.blocks; ++b) {
      switch (impl) {
        case score_impl::scalar: tables.score_block(s.plane(b), dot); break;
        case score_impl::dispatch: scorer.score_block(s.plane(b), dot); break;
        case score_impl::andpopcount: score_block_andpopcount(s, b, dot); break;
      }
      benchmark::DoNotOptimize(dot);
    }
  }
  const double secs = clock.seconds();
  state.counters["ns_per_token_plane"] =
      secs * 1e9 / (static_cast<double>(state.iterations()) * static_cast<double>(score_tokens));
  state.counters["tokens"] = static_cast<double>(score_tokens);
}

}  // namespace

void register_stream() {
  benchmark::RegisterBenchmark("stream/read", [](benchmark::State& s) { bm_stream_read(s, 1); })
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("stream/read/threads:2", [](benchmark::State& s) { bm_stream_read(s, 2); })
      ->Unit(benchmark::kMillisecond);
}

void register_score() {
  const std::pair<const char*, score_impl> impls[] = {
      {"scalar", score_impl::scalar}, {"andpopcount", score_impl::andpopcount}, {"dispatch", score_impl::dispatch}};
  for (const std::size_t d : {std::size_t{64}, std::size_t{128}}) {
    for (const auto& [name, impl] : impls) {
      const std::string full = std::string("score/") + name + "/d:" + std::to_string(d);
      benchmark::RegisterBenchmark(full.c_str(), [impl = impl, d](benchmark::State& s) { bm_score(s, impl, d); })
          ->Unit(benchmark::kMicrosecond);
    }
  }
}

}  // namespace bitsieve_bench
