// SPDX-License-Identifier: Apache-2.0
/// \file io/trace.hpp
/// Real attention traces: a folder with a `manifest.json` listing per-head Q/K/V `.npy` files
/// (the layout of data/real-attention and examples/data/real-attention-mini; docs/io.md).
///
/// `read_trace_manifest(dir)` parses and validates the manifest into `trace_entry`s with absolute
/// paths; `load_trace_entry(entry)` loads Q, K and V as float matrices, checks their shapes
/// against the entry and, on request, their SHA-256 against the manifest; `find_trace_entry`
/// picks one (sample, layer, head).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "bitsieve/core/error.hpp"
#include "bitsieve/io/json.hpp"
#include "bitsieve/io/npy.hpp"
#include "bitsieve/io/sha256.hpp"

namespace bitsieve::io {

/// One (sample, layer, head) of a trace manifest.
struct trace_entry {
  std::string sample;           ///< e.g. "gpl3_tok0000-0128"
  int layer = 0;
  int head = 0;
  std::size_t seq_len = 0;      ///< rows of Q, K and V
  std::size_t head_dim = 0;     ///< columns of Q and K
  std::size_t value_dim = 0;    ///< columns of V ("value_dim" in the manifest; default head_dim)
  double softmax_scale = 0.0;   ///< logits = (q . k) * softmax_scale; Q is stored unscaled
  std::string kind;             ///< "native", "extended", "long" (free text; "" if absent)
  std::string text;             ///< source text name ("" if absent)
  std::int64_t token_start = 0; ///< first token of the sample in the text (0 if absent)
  std::string q_path;           ///< absolute paths of the .npy files
  std::string k_path;
  std::string v_path;
  std::string q_sha256;         ///< lowercase hex digests from the manifest ("" if absent)
  std::string k_sha256;
  std::string v_sha256;
};

/// Q, K and V of one trace entry as float matrices (C order, row = token).
struct trace_data {
  npy_float_array q;  // (seq_len, head_dim)
  npy_float_array k;  // (seq_len, head_dim)
  npy_float_array v;  // (seq_len, value_dim)
};

namespace detail {

inline std::string trace_abs_path(const std::filesystem::path& dir, const std::string& rel) {
  std::filesystem::path p(rel);
  if (p.is_relative()) p = dir / p;
  return std::filesystem::absolute(p).lexically_normal().string();
}

inline bool is_sha256_hex(const std::string& s) {
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace detail

/// Reads `<dir>/manifest.json`: an object with an "entries" array; each entry has sample, layer,
/// head, seq_len, head_dim, softmax_scale, q, k, v (paths relative to dir, or absolute) and
/// optionally value_dim, kind, text, token_start and sha256 {q, k, v} (64 lowercase hex digits).
/// Throws io_error naming the manifest, the entry index and the field for a missing or invalid
/// field (non-integer or non-positive sizes, non-finite or non-positive scale, bad digest), for
/// an empty entry list, or for a repeated (sample, layer, head).
[[nodiscard]] inline std::vector<trace_entry> read_trace_manifest(const std::string& dir) {
  const std::filesystem::path base(dir);
  const std::string manifest = (base / "manifest.json").string();
  const json_value root = read_json_file(manifest);
  const std::string who = "bitsieve::io::read_trace_manifest: \"" + manifest + "\"";
  if (!root.is_object()) throw io_error(who + ": the top level is not an object");
  const json_value* entries = root.find("entries");
  if (entries == nullptr) throw io_error(who + ": missing key \"entries\"");
  if (!entries->is_array()) throw io_error(who + ": \"entries\" is not an array");
  if (entries->as_array().empty()) throw io_error(who + ": \"entries\" is empty");

  std::vector<trace_entry> out;
  for (std::size_t i = 0; i < entries->as_array().size(); ++i) {
    const json_value& e = entries->as_array()[i];
    const std::string where = who + ": entry " + std::to_string(i);
    try {
      if (!e.is_object()) throw io_error("not an object");
      auto positive_size = [&](const char* key) -> std::size_t {
        const std::int64_t n = e.at(key).as_int();
        if (n <= 0) throw io_error(std::string("\"") + key + "\" must be positive, got " + std::to_string(n));
        return static_cast<std::size_t>(n);
      };
      auto non_negative_int = [&](const char* key) -> int {
        const std::int64_t n = e.at(key).as_int();
        if (n < 0 || n > 1000000) throw io_error(std::string("\"") + key + "\" out of range: " + std::to_string(n));
        return static_cast<int>(n);
      };
      auto string_field = [&](const char* key) -> std::string {
        const json_value& s = e.at(key);
        if (!s.is_string() || s.as_string().empty()) throw io_error(std::string("\"") + key + "\" must be a non-empty string");
        return s.as_string();
      };
      trace_entry t;
      t.sample = string_field("sample");
      t.layer = non_negative_int("layer");
      t.head = non_negative_int("head");
      t.seq_len = positive_size("seq_len");
      t.head_dim = positive_size("head_dim");
      t.value_dim = e.find("value_dim") != nullptr ? positive_size("value_dim") : t.head_dim;
      t.softmax_scale = e.at("softmax_scale").as_number();
      if (!(std::isfinite(t.softmax_scale) && t.softmax_scale > 0.0)) {
        throw io_error("\"softmax_scale\" must be finite and positive, got " + std::to_string(t.softmax_scale));
      }
      if (const json_value* k = e.find("kind")) t.kind = k->as_string();
      if (const json_value* x = e.find("text")) t.text = x->as_string();
      if (const json_value* s = e.find("token_start")) t.token_start = s->as_int();
      t.q_path = detail::trace_abs_path(base, string_field("q"));
      t.k_path = detail::trace_abs_path(base, string_field("k"));
      t.v_path = detail::trace_abs_path(base, string_field("v"));
      if (const json_value* h = e.find("sha256")) {
        if (!h->is_object()) throw io_error("\"sha256\" is not an object");
        const std::array<std::string*, 3> dst = {&t.q_sha256, &t.k_sha256, &t.v_sha256};
        const std::array<const char*, 3> names = {"q", "k", "v"};
        for (std::size_t j = 0; j < 3; ++j) {
          const std::string digest = h->at(names[j]).as_string();
          if (!detail::is_sha256_hex(digest)) {
            throw io_error(std::string(R"("sha256".")") + names[j] + R"(" is not 64 lowercase hex digits: ")" + digest +
                           "\"");
          }
          *dst[j] = digest;
        }
      }
      for (const trace_entry& prev : out) {
        if (prev.sample == t.sample && prev.layer == t.layer && prev.head == t.head) {
          throw io_error("repeats sample \"" + t.sample + "\" layer " + std::to_string(t.layer) + " head " +
                         std::to_string(t.head));
        }
      }
      out.push_back(std::move(t));
    } catch (const io_error& err) {
      throw io_error(where + ": " + err.what());
    }
  }
  return out;
}

/// The entry for (sample, layer, head); io_error listing what was asked for if there is none.
[[nodiscard]] inline const trace_entry& find_trace_entry(const std::vector<trace_entry>& entries,
                                                         const std::string& sample, int layer, int head) {
  for (const trace_entry& e : entries) {
    if (e.sample == sample && e.layer == layer && e.head == head) return e;
  }
  throw io_error("bitsieve::io::find_trace_entry: no entry for sample \"" + sample + "\" layer " +
                 std::to_string(layer) + " head " + std::to_string(head) + " among " +
                 std::to_string(entries.size()) + " entries");
}

namespace detail {

inline std::string read_whole_file(const std::string& path, const std::string& who) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error(who + ": cannot open \"" + path + "\"");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw io_error(who + ": error reading \"" + path + "\"");
  return bytes;
}

inline npy_float_array load_trace_matrix(const std::string& path, const std::string& expected_sha256,
                                         bool verify_sha256, std::size_t rows, std::size_t cols,
                                         const char* role) {
  const std::string who = "bitsieve::io::load_trace_entry";
  const std::string bytes = read_whole_file(path, who);
  if (verify_sha256) {
    if (expected_sha256.empty()) {
      throw io_error(who + ": \"" + path + "\": the manifest has no sha256 for " + role + " to verify against");
    }
    const std::string got = sha256_hex(bytes);
    if (got != expected_sha256) {
      throw io_error(who + ": \"" + path + "\": sha256 mismatch (manifest " + expected_sha256 + ", file " + got + ")");
    }
  }
  npy_array a;
  try {
    a = parse_npy(bytes);
  } catch (const io_error& e) {
    throw io_error(who + ": \"" + path + "\": " + e.what());
  }
  if (a.shape.size() != 2 || a.shape[0] != rows || a.shape[1] != cols) {
    throw io_error(who + ": \"" + path + "\": " + role + " has shape " + npy_shape_text(a.shape) + ", the manifest says (" +
                   std::to_string(rows) + ", " + std::to_string(cols) + ")");
  }
  try {
    return {a.shape, a.to_float()};
  } catch (const io_error& e) {
    throw io_error(who + ": \"" + path + "\": " + e.what());
  }
}

}  // namespace detail

/// Loads Q (seq_len, head_dim), K (seq_len, head_dim) and V (seq_len, value_dim) of `entry` as
/// floats (any dtype read_npy supports). Throws io_error naming the file if it cannot be read,
/// is not a valid .npy, or its shape differs from the manifest; with `verify_sha256`, also if the
/// manifest has no digest for it or the file's SHA-256 differs.
[[nodiscard]] inline trace_data load_trace_entry(const trace_entry& entry, bool verify_sha256 = false) {
  trace_data d;
  d.q = detail::load_trace_matrix(entry.q_path, entry.q_sha256, verify_sha256, entry.seq_len, entry.head_dim, "q");
  d.k = detail::load_trace_matrix(entry.k_path, entry.k_sha256, verify_sha256, entry.seq_len, entry.head_dim, "k");
  d.v = detail::load_trace_matrix(entry.v_path, entry.v_sha256, verify_sha256, entry.seq_len, entry.value_dim, "v");
  return d;
}

/// Checks the three files of `entry` against the manifest digests without parsing them.
/// Returns a failure status naming the first mismatching or unreadable file; never throws.
[[nodiscard]] inline status verify_trace_entry(const trace_entry& entry) noexcept {
  try {
    const std::array<const std::string*, 3> paths = {&entry.q_path, &entry.k_path, &entry.v_path};
    const std::array<const std::string*, 3> digests = {&entry.q_sha256, &entry.k_sha256, &entry.v_sha256};
    for (std::size_t j = 0; j < 3; ++j) {
      if (digests[j]->empty()) return status::failure("no sha256 in the manifest for \"" + *paths[j] + "\"");
      const std::string got = sha256_file_hex(*paths[j]);
      if (got != *digests[j]) {
        return status::failure("sha256 mismatch for \"" + *paths[j] + "\" (manifest " + *digests[j] + ", file " + got + ")");
      }
    }
    return status::success();
  } catch (const std::exception& e) {
    return status::failure(e.what());
  }
}

}  // namespace bitsieve::io
