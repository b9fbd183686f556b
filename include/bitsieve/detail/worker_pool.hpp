// SPDX-License-Identifier: Apache-2.0
/// \file detail/worker_pool.hpp
/// A process-wide pool of worker threads for the kernel's parallel parts (internal; may change
/// without notice). Starting and joining a std::thread costs 40-50 us on a typical Linux machine,
/// as much as a whole 4096-key decode; the pool starts its threads once and wakes them per call.
///
/// One call at a time uses the pool: `try_run` returns false at once when another call holds it
/// (a concurrent or nested caller), and the caller then runs its parts some other way. Workers are
/// started on demand (never more than a call asked for) and joined when the program exits.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace bitsieve::detail {

class worker_pool {
 public:
  worker_pool() = default;
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;
  worker_pool(worker_pool&&) = delete;
  worker_pool& operator=(worker_pool&&) = delete;

  ~worker_pool() {
    {
      const std::lock_guard<std::mutex> lock(m_);
      stop_.store(true);
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }

  /// The pool shared by every kernel call of the process.
  static worker_pool& shared() {
    static worker_pool pool;
    return pool;
  }

  /// Runs job(0) on the calling thread and job(1) .. job(parts - 1) on pool threads, and returns
  /// when all have finished. `job` must not throw. Returns false without running anything when
  /// the pool is in use by another call.
  bool try_run(std::size_t parts, const std::function<void(std::size_t)>& job) {
    if (parts > max_parts) return false;
    const std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    while (threads_.size() + 1 < parts) {
      const std::size_t part = threads_.size() + 1;
      threads_.emplace_back([this, part, s = state_.load()] { work_loop(part, s >> 16); });
    }
    job_ = &job;
    pending_.store(parts - 1, std::memory_order_relaxed);
    // one atomic word publishes the call: its generation and its part count, so a worker never
    // mixes one call's count with another's
    const std::uint64_t next = ((state_.load(std::memory_order_relaxed) >> 16) + 1) << 16;
    state_.store(next | parts, std::memory_order_release);
    {
      const std::lock_guard<std::mutex> lock(m_);  // orders the wake-up after a sleeper's check
    }
    wake_.notify_all();
    job(0);
    for (unsigned spins = 0; pending_.load(std::memory_order_acquire) != 0; ++spins) pause(spins);
    job_ = nullptr;
    return true;
  }

 private:
  /// Busy-wait step: a CPU pause for a while, then yields (the pool's waits are short: a part of
  /// one call, or the gap between two decode calls).
  static void pause(unsigned spins) noexcept {
    if (spins < 4096) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    } else {
      std::this_thread::yield();
    }
  }

  void work_loop(std::size_t part, std::uint64_t seen) {
    for (;;) {
      // spin a little for the next call (waking a sleeping thread costs tens of microseconds in
      // a virtual machine), then sleep
      std::uint64_t s = state_.load(std::memory_order_acquire);
      for (unsigned spins = 0; (s >> 16) == seen && spins < spin_limit && !stop_.load(std::memory_order_relaxed);
           ++spins) {
        pause(spins);
        s = state_.load(std::memory_order_acquire);
      }
      if ((s >> 16) == seen) {
        std::unique_lock<std::mutex> lock(m_);
        wake_.wait(lock, [&] { return stop_.load() || (state_.load() >> 16) != seen; });
        s = state_.load(std::memory_order_acquire);
      }
      if (stop_.load()) return;
      seen = s >> 16;
      if (part >= (s & 0xFFFFU)) continue;  // this call needs fewer parts
      // job_ stays valid until every part of this call has finished, this one included
      (*job_)(part);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  static constexpr unsigned spin_limit = 4096;  // CPU pauses (tens of microseconds) before a worker sleeps
  static constexpr std::size_t max_parts = 0xFFFF;  // the part count shares state_ with the generation

  std::mutex busy_;  // held by the call using the pool
  std::mutex m_;     // pairs sleeping workers with wake-ups
  std::condition_variable wake_;
  std::vector<std::thread> threads_;  // threads_[i] runs part i + 1 (touched by the busy_ holder only)
  const std::function<void(std::size_t)>* job_ = nullptr;  // published by state_
  std::atomic<std::size_t> pending_{0};
  std::atomic<std::uint64_t> state_{0};  // generation << 16 | parts of the current call
  std::atomic<bool> stop_{false};
};

}  // namespace bitsieve::detail
