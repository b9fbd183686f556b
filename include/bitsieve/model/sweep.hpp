// SPDX-License-Identifier: Apache-2.0
/// \file model/sweep.hpp
/// Named configuration fields for run-time sweeps (bitsieve-model --sweep FIELD=start:stop:step):
/// `sweep_fields()` lists them, `set_config_field` changes one, `sweep_values` expands a range.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bitsieve/core/error.hpp"
#include "bitsieve/model/config.hpp"

namespace bitsieve::model {

/// One sweepable field: its name and what it is.
struct sweep_field {
  std::string_view name;
  std::string_view meaning;
};

/// The fields --sweep accepts.
[[nodiscard]] constexpr auto sweep_fields() noexcept {
  return std::array<sweep_field, 13>{{
      {"lanes", "bit-serial QK lanes (bit-serial designs)"},
      {"bandwidth", "peak DRAM bandwidth, GB/s"},
      {"clock", "clock, MHz"},
      {"dram_latency", "DRAM latency, cycles"},
      {"scoreboard", "scoreboard entries per lane"},
      {"query_rows", "query rows processed in step (share an SRAM read)"},
      {"query_tile", "query rows sharing a DRAM fetch (0: Q-buffer capacity)"},
      {"kv_sram", "K/V buffer, KiB"},
      {"v_macs", "V-PU MACs per cycle (bit-serial designs)"},
      {"area_scale", "MAC-array area relative to the preset (MAC-array designs)"},
      {"bits", "Q/K/V width (all designs but gpu_roofline)"},
      {"dram_efficiency_gather", "achieved/peak DRAM bandwidth of fine-grained fetches"},
      {"key_tile", "keys per tile"},
  }};
}

namespace detail {
inline std::int32_t checked_int(std::string_view field, double v) {
  if (!(v >= 0.0) || v > 2147483647.0 || v != std::floor(v)) {
    throw invalid_argument("bitsieve::model::set_config_field: " + std::string(field) + " = " + std::to_string(v) +
                           " is not a non-negative integer");
  }
  return static_cast<std::int32_t>(v);
}
}  // namespace detail

/// Sets `field` (a name from sweep_fields()) to `value` in `c`, where it applies to c's design
/// (e.g. lanes only to bit-serial designs). Returns false when the field does not apply; throws
/// bitsieve::invalid_argument for an unknown field or a value that is not an allowed integer.
/// The result is not validated: check_config / dynamic_model do that.
inline bool set_config_field(accel_config& c, std::string_view field, double value) {
  using detail::checked_int;
  const bool bit_serial = is_bit_serial(c.kind);
  const bool gpu = c.kind == accelerator_kind::gpu_roofline;
  if (field == "lanes") {
    if (!bit_serial) return false;
    c.pe.lanes = checked_int(field, value);
  } else if (field == "bandwidth") {
    c.mem.dram_gb_per_s = value;
  } else if (field == "clock") {
    c.clock_mhz = value;
  } else if (field == "dram_latency") {
    c.mem.dram_latency_cycles = checked_int(field, value);
  } else if (field == "scoreboard") {
    if (!bit_serial) return false;
    c.pe.scoreboard_entries = checked_int(field, value);
  } else if (field == "query_rows") {
    c.pe.query_rows = checked_int(field, value);
  } else if (field == "query_tile") {
    c.mem.query_tile = checked_int(field, value);
  } else if (field == "kv_sram") {
    c.mem.kv_sram_kib = checked_int(field, value);
  } else if (field == "v_macs") {
    if (!bit_serial) return false;
    c.pe.v_macs = checked_int(field, value);
  } else if (field == "area_scale") {
    if (!is_mac_array(c.kind)) return false;
    c.pe.area_cells *= value;
  } else if (field == "bits") {
    if (gpu) return false;
    const std::int32_t b = checked_int(field, value);
    c.pe.q_bits = b;
    c.pe.k_bits = b;
    c.pe.v_bits = b;
  } else if (field == "dram_efficiency_gather") {
    c.mem.dram_efficiency_gather = value;
  } else if (field == "key_tile") {
    c.pe.key_tile = checked_int(field, value);
  } else {
    std::string known;
    for (const auto& f : sweep_fields()) known += (known.empty() ? "" : ", ") + std::string(f.name);
    throw invalid_argument("bitsieve::model::set_config_field: unknown field \"" + std::string(field) +
                           "\" (known: " + known + ")");
  }
  return true;
}

/// start, start + step, ... up to stop (inclusive, with a tolerance of 1e-9 steps). Throws
/// bitsieve::invalid_argument unless step > 0, start <= stop and there are at most 10000 values.
[[nodiscard]] inline std::vector<double> sweep_values(double start, double stop, double step) {
  if (!std::isfinite(start) || !std::isfinite(stop) || !std::isfinite(step) || !(step > 0.0) || start > stop) {
    throw invalid_argument("bitsieve::model::sweep_values: need finite start <= stop and step > 0, got " +
                           std::to_string(start) + ":" + std::to_string(stop) + ":" + std::to_string(step));
  }
  const double n = std::floor((stop - start) / step + 1e-9) + 1.0;
  if (n > 10000.0) throw invalid_argument("bitsieve::model::sweep_values: more than 10000 values");
  std::vector<double> v;
  for (int i = 0; i < static_cast<int>(n); ++i) v.push_back(start + i * step);
  return v;
}

}  // namespace bitsieve::model
