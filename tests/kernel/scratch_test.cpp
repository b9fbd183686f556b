// SPDX-License-Identifier: Apache-2.0
// The kernel's storage and working memory: key planes and value rows start at cache-line (and, when
// large, huge-page) boundaries; the engine's per-thread scratch, reused between calls, changes no
// output or count whatever ran on the thread before, and nested engines get scratch of their own.
#include <bitsieve/bitsieve.hpp>
#include <bitsieve/detail/aligned_allocator.hpp>

#include <cstdint>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "support/testbed.hpp"

namespace {

using F = bitsieve::format::twos_complement<12>;

std::uintptr_t address(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

struct data {
  std::size_t n, d, dv;
  std::vector<float> k, v, q;
  data(std::size_t n_, std::size_t d_, std::size_t dv_, unsigned seed) : n(n_), d(d_), dv(dv_) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd;
    k.resize(n * d);
    v.resize(n * dv);
    q.resize(d);
    for (auto& x : k) x = nd(rng);
    for (auto& x : v) x = nd(rng);
    for (auto& x : q) x = 3.0F * nd(rng);
  }
};

struct result {
  std::vector<float> out;
  bitsieve::attention_stats st;
};

template <class P>
result decode(const typename P::threshold_policy& t, std::size_t tile, const data& x) {
  bitsieve::key_value_cache<F> cache(x.d, x.dv);
  cache.append(x.k, x.v);
  const bitsieve::sparse_attention<P> attn(t, bitsieve::attention_options{}, bitsieve::tile::sequential{tile});
  result r;
  r.out.resize(x.dv);
  r.st = attn.decode(x.q, cache, r.out);
  return r;
}

struct mass_bundle : bitsieve::default_policies {
  using threshold_policy = bitsieve::threshold::mass_budget;
};
struct top_k_bundle : bitsieve::default_policies {
  using threshold_policy = bitsieve::threshold::top_k;
};

/// The same decode on a fresh thread (fresh scratch) and on this thread after other decodes that
/// leave larger and differently filled buffers behind: the outputs and counts must not differ.
template <class P>
void check_scratch_is_stateless(const typename P::threshold_policy& t) {
  const data small(700, 64, 24, 11);
  const data big(5000, 64, 24, 12);
  for (const std::size_t tile : {std::size_t{0}, std::size_t{256}}) {
    CAPTURE(tile);
    result fresh;
    std::thread([&] { fresh = decode<P>(t, tile, small); }).join();
    (void)decode<P>(t, 0, big);     // one big tile: the buffers grow and hold big's scores
    (void)decode<P>(t, 1024, big);  // other tiles, other live lists
    const result again = decode<P>(t, tile, small);
    CHECK(std::memcmp(fresh.out.data(), again.out.data(), fresh.out.size() * sizeof(float)) == 0);
    bitsieve_test::check_same_stats(fresh.st, again.st);
  }
}

}  // namespace

TEST_SUITE("kernel") {
  TEST_CASE("kernel/storage: aligned_allocator gives line-aligned blocks, huge-page-aligned large ones") {
    using A = bitsieve::detail::aligned_allocator<std::uint8_t>;
    A a;
    for (const std::size_t n : {std::size_t{1}, std::size_t{100}, std::size_t{4096}, std::size_t{1} << 20}) {
      std::uint8_t* p = a.allocate(n);
      CHECK(address(p) % 64 == 0);
      std::memset(p, 0xAB, n);  // the whole block is usable
      a.deallocate(p, n);
    }
    const std::size_t big = bitsieve::detail::huge_page_min_bytes;
    std::uint8_t* p = a.allocate(big);
    CHECK(address(p) % bitsieve::detail::huge_page_bytes == 0);
    p[0] = 1;
    p[big - 1] = 2;
    a.deallocate(p, big);
    CHECK(A::alignment_for(big - 1) == 64);
    CHECK(A::alignment_for(big) == bitsieve::detail::huge_page_bytes);
    bitsieve::detail::aligned_allocator<float> f;
    CHECK_THROWS_AS((void)f.allocate(static_cast<std::size_t>(-1) / 2), std::bad_array_new_length);
    // a vector with it copies and grows like any other
    std::vector<float, bitsieve::detail::aligned_allocator<float>> v(10, 1.5F);
    for (int i = 0; i < 1000; ++i) v.push_back(static_cast<float>(i));
    const auto w = v;
    CHECK(w == v);
    CHECK(address(w.data()) % 64 == 0);
  }

  TEST_CASE("kernel/storage: key planes and value rows of every format start at cache-line boundaries") {
    const data x(1000, 64, 16, 3);
    for (const auto vf : {bitsieve::value_format::f32, bitsieve::value_format::f16, bitsieve::value_format::i8}) {
      bitsieve::key_value_cache<F> cache(x.d, x.dv, bitsieve::cache_options{.values = vf});
      cache.append(x.k, x.v);
      cache.append(x.k, x.v);  // grown storage too
      const auto view = cache.view();
      CHECK(address(view.keys) % 64 == 0);
      CHECK(view.plane_stride % 64 == 0);
      CHECK(address(view.values.row(0)) % 64 == 0);
    }
  }

  TEST_CASE("kernel/scratch: reused per-thread buffers change no output or count (lats, mass_budget, top-k, dense)") {
    SUBCASE("lats") { check_scratch_is_stateless<bitsieve::default_policies>({.alpha = 0.6, .radius = 5.0}); }
    SUBCASE("mass_budget") { check_scratch_is_stateless<mass_bundle>({.delta = 0.01}); }
    SUBCASE("top_k") { check_scratch_is_stateless<top_k_bundle>({.k = 20}); }
  }

  TEST_CASE("kernel/scratch: a second engine alive on the same thread gets buffers of its own") {
    using bitsieve::detail::scratch_lease;
    const bitsieve::detail::engine_scratch* first = nullptr;
    {
      const scratch_lease a;
      const scratch_lease b;  // nested: must not share a's buffers
      CHECK(&a.get() != &b.get());
      first = &a.get();
    }
    const scratch_lease c;  // a and b released: the thread's own buffers again
    CHECK(&c.get() == first);
    const bitsieve::detail::engine_scratch* other = nullptr;
    std::thread([&] {
      const scratch_lease d;
      other = &d.get();
    }).join();
    CHECK(other != first);  // another thread has its own
  }
}
