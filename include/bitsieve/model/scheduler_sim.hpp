// SPDX-License-Identifier: Apache-2.0
/// \file model/scheduler_sim.hpp
/// A small deterministic discrete-event model of the bit-serial QK lanes: how busy the lanes are
/// when every (key, plane) task needs its plane from DRAM first. The out-of-order scheduler is
/// simulated, not assumed (DESIGN.md §4).
///
/// What is modelled:
/// - `lanes` lanes; a task (one plane of one key) occupies a lane for `cycles_per_task` cycles;
/// - every plane comes from DRAM: a shared FIFO channel of `dram_bytes_per_cycle`, each task costing
///   `bytes_per_task`, plus `latency_cycles` from request to data;
/// - per-key plane counts are drawn from the stop histogram (stratified, then shuffled with a fixed
///   seed, so results repeat exactly);
/// - **lockstep**: keys are dealt to lanes in tiles of lanes x entries (the scoreboard capacity);
///   round r fetches plane r of every live key of the tile, only after round r - 1's decisions
///   (the latency is exposed every round), and ends when the most loaded lane (the straggler) and
///   the transfer are done;
/// - **out_of_order** (BAP / BS-OOE): each lane holds `entries` keys in its scoreboard; when a key's
///   plane is processed the next plane is requested at once, and the lane takes any key whose plane
///   has arrived (oldest first); a finished key's entry takes the next key of the shared stream.
/// Utilisation = busy lane-cycles / (lanes x cycles), measured in steady state (the middle 3/4 of
/// the key stream) for out_of_order, over whole tiles for lockstep.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <queue>
#include <utility>
#include <string>
#include <vector>

#include "bitsieve/core/error.hpp"
#include "bitsieve/model/config.hpp"

namespace bitsieve::model {

/// Inputs of the lane simulation.
struct scheduler_params {
  scheduler_kind kind = scheduler_kind::out_of_order;
  int lanes = 32;
  int entries = 32;                  ///< scoreboard entries per lane
  int latency_cycles = 32;           ///< DRAM request to data
  int cycles_per_task = 1;           ///< lane cycles per (key, plane): ceil(head_dim / lane_dims)
  double dram_bytes_per_cycle = 1e9; ///< bandwidth available to plane fetches (achieved, not peak)
  double bytes_per_task = 0.0;       ///< DRAM bytes per task (block granularity, shared by rows)
  /// stop_histogram[p] = fraction of keys that read exactly p planes (p = 0 .. 16).
  std::array<double, 17> stop_histogram{};
  int keys = 0;                      ///< keys to simulate; 0: 8 x lanes x entries (at most 2^19)
};

/// Outputs of the lane simulation.
struct scheduler_result {
  double utilization = 1.0;  ///< busy lane-cycles / (lanes x cycles)
  double cycles = 0.0;       ///< cycles to finish all simulated keys
  double tasks = 0.0;        ///< (key, plane) tasks simulated
  int keys = 0;
};

namespace detail {
/// splitmix64: a fixed, portable generator (the simulation must repeat bit for bit everywhere).
struct splitmix64 {
  std::uint64_t state;
  std::uint64_t next() noexcept {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31U);
  }
};

/// Plane counts of n keys: the histogram's quantiles (stratified), shuffled with a fixed seed.
inline std::vector<int> sample_planes(const std::array<double, 17>& hist, int n) {
  double total = 0.0;
  for (const double h : hist) total += h;
  std::vector<int> planes(static_cast<std::size_t>(n), 0);
  for (int i = 0; i < n; ++i) {
    const double u = (i + 0.5) / n * total;
    double acc = 0.0;
    int p = 0;
    for (; p < 16; ++p) {
      acc += hist[static_cast<std::size_t>(p)];
      if (u < acc) break;
    }
    planes[static_cast<std::size_t>(i)] = p;
  }
  splitmix64 rng{0x5EED5EEDULL};
  for (std::size_t i = planes.size(); i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(rng.next() % i);
    std::swap(planes[i - 1], planes[j]);
  }
  return planes;
}
}  // namespace detail

/// Runs the lane simulation. Throws bitsieve::invalid_argument for unusable parameters.
[[nodiscard]] inline scheduler_result simulate_scheduler(const scheduler_params& p) {
  const auto bad = [](const char* what, double v) {
    throw invalid_argument(std::string("bitsieve::model::simulate_scheduler: ") + what + " = " +
                           std::to_string(v) + " is out of range");
  };
  if (p.lanes < 1 || p.lanes > (1 << 16)) bad("lanes", p.lanes);
  if (p.entries < 1 || p.entries > 4096) bad("entries", p.entries);
  if (p.latency_cycles < 0) bad("latency_cycles", p.latency_cycles);
  if (p.cycles_per_task < 1) bad("cycles_per_task", p.cycles_per_task);
  if (!(p.dram_bytes_per_cycle > 0.0)) bad("dram_bytes_per_cycle", p.dram_bytes_per_cycle);
  if (!(p.bytes_per_task >= 0.0)) bad("bytes_per_task", p.bytes_per_task);
  double hist_total = 0.0;
  for (const double h : p.stop_histogram) {
    if (!(h >= 0.0)) bad("stop_histogram entry", h);
    hist_total += h;
  }
  if (!(hist_total > 0.0)) bad("stop_histogram sum", hist_total);

  const int lanes = p.lanes;
  const int entries = p.entries;
  const long long auto_keys = std::min<long long>(8LL * lanes * entries, 1LL << 19);
  const int n_keys = p.keys > 0 ? p.keys : static_cast<int>(std::max<long long>(auto_keys, 256));
  std::vector<int> planes = detail::sample_planes(p.stop_histogram, n_keys);
  // keys that read no plane never occupy a lane
  planes.erase(std::remove(planes.begin(), planes.end(), 0), planes.end());
  scheduler_result r;
  r.keys = n_keys;
  for (const int x : planes) r.tasks += x;
  if (planes.empty()) return r;

  const double c = p.cycles_per_task;
  const double lat = p.latency_cycles;
  const double transfer = p.bytes_per_task / p.dram_bytes_per_cycle;  // channel cycles per task
  const auto nk = static_cast<int>(planes.size());

  if (p.kind == scheduler_kind::lockstep) {
    const int tile = lanes * entries;
    double total = 0.0;
    std::vector<int> load(static_cast<std::size_t>(lanes));
    for (int t0 = 0; t0 < nk; t0 += tile) {
      const int t1 = std::min(nk, t0 + tile);
      for (int round = 0;; ++round) {
        std::fill(load.begin(), load.end(), 0);
        int alive = 0;
        for (int k = t0; k < t1; ++k) {
          if (planes[static_cast<std::size_t>(k)] > round) {
            ++load[static_cast<std::size_t>((k - t0) % lanes)];
            ++alive;
          }
        }
        if (alive == 0) break;
        const int straggler = *std::max_element(load.begin(), load.end());
        // the round's planes stream in after the latency; lanes finish when both the transfer and
        // the most loaded lane are done
        total += lat + std::max(alive * transfer, straggler * c);
      }
    }
    r.cycles = total;
    r.utilization = total > 0.0 ? r.tasks * c / (lanes * total) : 1.0;
    return r;
  }

  // --- out of order: event driven; lanes wake in (time, lane) order, so results repeat ---
  using item = std::pair<double, int>;  // (ready cycle of a key's next plane, key slot) / (wake, lane)
  using min_heap = std::priority_queue<item, std::vector<item>, std::greater<>>;
  const auto n_lanes = static_cast<std::size_t>(lanes);
  std::vector<min_heap> ready(n_lanes);       // per lane: keys in its scoreboard by plane arrival
  std::vector<int> slot_key(n_lanes * static_cast<std::size_t>(entries), -1);
  std::vector<int> slot_plane(slot_key.size(), 0);
  double channel_free = 0.0;
  const auto fetch = [&](double when) {
    const double start = std::max(when, channel_free);
    channel_free = start + transfer;
    return channel_free + lat;
  };
  int next_key = 0;
  // fill entry 0 of every lane, then entry 1, ... so that the first requests are spread over lanes
  for (int e = 0; e < entries && next_key < nk; ++e) {
    for (int l = 0; l < lanes && next_key < nk; ++l) {
      const int slot = l * entries + e;
      slot_key[static_cast<std::size_t>(slot)] = next_key++;
      ready[static_cast<std::size_t>(l)].push({fetch(0.0), slot});
    }
  }
  min_heap wake;  // lanes with work, by the cycle they can start it
  for (int l = 0; l < lanes; ++l) {
    if (!ready[static_cast<std::size_t>(l)].empty()) wake.push({ready[static_cast<std::size_t>(l)].top().first, l});
  }
  const int mark_a = nk / 8;
  const int mark_b = nk - nk / 8;
  double busy = 0.0;
  double busy_a = 0.0;
  double time_a = -1.0;
  double busy_b = 0.0;
  double time_b = -1.0;
  double end = 0.0;
  std::vector<double> lane_free(n_lanes, 0.0);
  while (!wake.empty()) {
    const auto [t_wake, lane] = wake.top();
    wake.pop();
    const auto li = static_cast<std::size_t>(lane);
    min_heap& q = ready[li];
    const double t = std::max({t_wake, lane_free[li], q.top().first});
    if (t > t_wake) {  // not startable yet (lane busy or data in flight): re-queue at the right time
      wake.push({t, lane});
      continue;
    }
    const int slot = q.top().second;  // the oldest arrived plane of this lane
    q.pop();
    lane_free[li] = t + c;
    busy += c;
    end = std::max(end, t + c);
    const auto si = static_cast<std::size_t>(slot);
    ++slot_plane[si];
    if (slot_plane[si] >= planes[static_cast<std::size_t>(slot_key[si])]) {
      if (next_key < nk) {
        if (next_key == mark_a) {
          busy_a = busy;
          time_a = t;
        }
        if (next_key == mark_b) {
          busy_b = busy;
          time_b = t;
        }
        slot_key[si] = next_key++;
        slot_plane[si] = 0;
        q.push({fetch(t + c), slot});
      } else {
        slot_key[si] = -1;
      }
    } else {
      q.push({fetch(t + c), slot});
    }
    if (!q.empty()) wake.push({std::max(lane_free[li], q.top().first), lane});
  }
  r.cycles = end;
  if (time_a >= 0.0 && time_b > time_a) {
    r.utilization = (busy_b - busy_a) / (lanes * (time_b - time_a));
  } else {
    r.utilization = end > 0.0 ? busy / (lanes * end) : 1.0;
  }
  r.utilization = std::min(1.0, r.utilization);
  return r;
}

}  // namespace bitsieve::model
