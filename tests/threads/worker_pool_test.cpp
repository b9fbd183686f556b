// SPDX-License-Identifier: Apache-2.0
// detail::worker_pool: every part of every call runs exactly once, on the caller (part 0) and on
// pool threads; a call made while the pool is busy is refused, not queued or deadlocked.
#include <bitsieve/detail/worker_pool.hpp>

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

TEST_SUITE("threads") {
  TEST_CASE("threads/worker_pool: each part of each call runs once and part 0 on the caller") {
    bitsieve::detail::worker_pool pool;
    const auto caller = std::this_thread::get_id();
    for (int call = 0; call < 300; ++call) {
      const std::size_t parts = 1 + static_cast<std::size_t>(call % 5);
      std::vector<std::atomic<int>> runs(parts);
      std::atomic<bool> zero_on_caller{false};
      const std::function<void(std::size_t)> job = [&](std::size_t i) {
        runs[i].fetch_add(1);
        if (i == 0) zero_on_caller = std::this_thread::get_id() == caller;
      };
      REQUIRE(pool.try_run(parts, job));
      for (std::size_t i = 0; i < parts; ++i) REQUIRE(runs[i].load() == 1);
      CHECK(zero_on_caller.load());
    }
  }

  TEST_CASE("threads/worker_pool: a call while the pool is busy is refused") {
    bitsieve::detail::worker_pool pool;
    std::atomic<int> nested_refused{0};
    std::atomic<int> ran{0};
    const std::function<void(std::size_t)> inner = [&](std::size_t) { ran.fetch_add(100); };
    const std::function<void(std::size_t)> outer = [&](std::size_t) {
      ran.fetch_add(1);
      if (!pool.try_run(2, inner)) nested_refused.fetch_add(1);
    };
    REQUIRE(pool.try_run(3, outer));
    CHECK(ran.load() == 3);
    CHECK(nested_refused.load() == 3);
    // the pool is free again afterwards
    CHECK(pool.try_run(2, inner));
    CHECK(ran.load() == 203);
  }

  TEST_CASE("threads/worker_pool: concurrent callers each get their parts run") {
    bitsieve::detail::worker_pool pool;
    std::atomic<int> total{0};
    const auto caller = [&] {
      for (int call = 0; call < 200; ++call) {
        std::atomic<int> mine{0};
        const std::function<void(std::size_t)> job = [&](std::size_t) { mine.fetch_add(1); };
        if (!pool.try_run(2, job)) {  // busy: the caller runs its parts itself
          job(0);
          job(1);
        }
        CHECK(mine.load() == 2);
        total.fetch_add(mine.load());
      }
    };
    std::thread a(caller);
    std::thread b(caller);
    a.join();
    b.join();
    CHECK(total.load() == 800);
  }
}
