// SPDX-License-Identifier: Apache-2.0
/// \file tests/support/real_data.hpp
/// Loads one (sample, layer, head) of the shared real-attention traces (data/real-attention:
/// README.md, manifest.json) for the tests: q, k, v as row-major floats and the softmax scale
/// from the manifest. The directory comes from BITSIEVE_SHARED_DATA_DIR (tests/CMakeLists.txt);
/// a missing directory or file is an error (the test fails and says where it looked).
#pragma once

#include <bitsieve/io/json.hpp>
#include <bitsieve/io/npy.hpp>

#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace bitsieve_test {

struct head_trace {
  std::string sample;
  int layer = 0;
  int head = 0;
  std::size_t n = 0;  ///< tokens (queries = keys = values)
  std::size_t d = 0;  ///< head_dim (= value_dim)
  double softmax_scale = 0.0;
  std::vector<float> q, k, v;  ///< (n, d) each

  [[nodiscard]] std::string name() const {
    return sample + "/layer" + std::to_string(layer) + "_head" + std::to_string(head);
  }
};

inline std::string real_data_dir() { return BITSIEVE_SHARED_DATA_DIR; }

inline void require_real_data() {
  const std::string dir = real_data_dir();
  if (!std::filesystem::exists(dir + "/manifest.json")) {
    throw std::runtime_error("the shared real-attention data is missing at " + dir +
                             " (BITSIEVE_SHARED_DATA_DIR, set by tests/CMakeLists.txt)");
  }
}

/// The manifest entry of (sample, layer, head) and its three arrays.
inline head_trace load_head(const std::string& sample, int layer, int head) {
  require_real_data();
  const std::string dir = real_data_dir();
  const bitsieve::io::json_value manifest = bitsieve::io::read_json_file(dir + "/manifest.json");
  for (const auto& e : manifest.at("entries").as_array()) {
    if (e.at("sample").as_string() != sample || e.at("layer").as_int() != layer || e.at("head").as_int() != head) {
      continue;
    }
    head_trace t;
    t.sample = sample;
    t.layer = layer;
    t.head = head;
    t.softmax_scale = e.at("softmax_scale").as_number();
    const auto load = [&](const char* which, std::vector<float>& out) {
      const bitsieve::io::npy_float_array a = bitsieve::io::load_npy_as_float(dir + "/" + e.at(which).as_string(), 2);
      if (t.n == 0) {
        t.n = a.shape[0];
        t.d = a.shape[1];
      } else if (a.shape[0] != t.n || a.shape[1] != t.d) {
        throw std::runtime_error(t.name() + ": q, k and v shapes differ");
      }
      out = a.values;
    };
    load("q", t.q);
    load("k", t.k);
    load("v", t.v);
    return t;
  }
  throw std::runtime_error("no manifest entry for " + sample + " layer " + std::to_string(layer) + " head " +
                           std::to_string(head));
}

/// Every (sample, layer, head) the manifest lists with the given sequence length.
struct trace_id {
  std::string sample;
  int layer = 0;
  int head = 0;
};
inline std::vector<trace_id> traces_of_length(std::size_t seq_len) {
  require_real_data();
  const bitsieve::io::json_value manifest = bitsieve::io::read_json_file(real_data_dir() + "/manifest.json");
  std::vector<trace_id> ids;
  for (const auto& e : manifest.at("entries").as_array()) {
    if (static_cast<std::size_t>(e.at("seq_len").as_int()) == seq_len) {
      ids.push_back({e.at("sample").as_string(), static_cast<int>(e.at("layer").as_int()),
                     static_cast<int>(e.at("head").as_int())});
    }
  }
  return ids;
}

}  // namespace bitsieve_test
