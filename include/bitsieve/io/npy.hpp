// SPDX-License-Identifier: Apache-2.0
/// \file io/npy.hpp
/// Reading and writing NumPy `.npy` files: `npy_array`, `read_npy` / `parse_npy`,
/// `load_npy_as_float`, `write_npy` / `serialize_npy`, and IEEE half <-> float conversion.
///
/// Supported on read: format versions 1.0, 2.0 and 3.0; dtypes f2 f4 f8, i1 i2 i4 i8, u1 u2 u4 u8
/// and b1; little-, big- ('>') and native-endian ('='); C order and Fortran order (transposed
/// into C order on load). The result is always C order in the host's byte order.
/// Rejected with `bitsieve::io_error`: bad magic or version, truncated prefix or header, a header
/// length past the end of the file, a header that is not a Python dict literal, missing or
/// unexpected keys, unsupported dtypes (complex, object, strings, datetimes, structured), a
/// shape that is not a tuple of non-negative integers, and a shape whose byte size (computed
/// with overflow checks) differs from the bytes actually present. All of these checks run before
/// the data buffer is allocated, so a lying header cannot cause a large allocation.
/// Written: version 1.0 (2.0 only if the header does not fit in 65535 bytes), little-endian,
/// C order, header padded so the data starts at a multiple of 64 bytes.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "bitsieve/config.hpp"
#include "bitsieve/core/error.hpp"

namespace bitsieve::io {

/// Element types an `npy_array` can hold.
enum class npy_dtype { f16, f32, f64, i8, i16, i32, i64, u8, u16, u32, u64, boolean };

/// Bytes per element of `t`.
[[nodiscard]] constexpr std::size_t npy_dtype_size(npy_dtype t) noexcept {
  switch (t) {
    case npy_dtype::i8:
    case npy_dtype::u8:
    case npy_dtype::boolean: return 1;
    case npy_dtype::f16:
    case npy_dtype::i16:
    case npy_dtype::u16: return 2;
    case npy_dtype::f32:
    case npy_dtype::i32:
    case npy_dtype::u32: return 4;
    case npy_dtype::f64:
    case npy_dtype::i64:
    case npy_dtype::u64: return 8;
  }
  return 0;
}

/// The NumPy type code without byte order: "f4", "i8", "b1", ...
[[nodiscard]] constexpr const char* npy_dtype_code(npy_dtype t) noexcept {
  switch (t) {
    case npy_dtype::f16: return "f2";
    case npy_dtype::f32: return "f4";
    case npy_dtype::f64: return "f8";
    case npy_dtype::i8: return "i1";
    case npy_dtype::i16: return "i2";
    case npy_dtype::i32: return "i4";
    case npy_dtype::i64: return "i8";
    case npy_dtype::u8: return "u1";
    case npy_dtype::u16: return "u2";
    case npy_dtype::u32: return "u4";
    case npy_dtype::u64: return "u8";
    case npy_dtype::boolean: return "b1";
  }
  return "?";
}

/// The dtype of a C++ element type (float -> f32, std::int32_t -> i32, bool -> boolean, ...).
/// There is no C++ type for f16: use `npy_array` with raw data and `float_to_half`.
template <class T>
inline constexpr npy_dtype npy_dtype_of = [] {
  if constexpr (std::is_same_v<T, float>) {
    return npy_dtype::f32;
  } else if constexpr (std::is_same_v<T, double>) {
    return npy_dtype::f64;
  } else if constexpr (std::is_same_v<T, bool>) {
    return npy_dtype::boolean;
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T> && sizeof(T) == 1) {
    return npy_dtype::i8;
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T> && sizeof(T) == 2) {
    return npy_dtype::i16;
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T> && sizeof(T) == 4) {
    return npy_dtype::i32;
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T> && sizeof(T) == 8) {
    return npy_dtype::i64;
  } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T> && sizeof(T) == 1) {
    return npy_dtype::u8;
  } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T> && sizeof(T) == 2) {
    return npy_dtype::u16;
  } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T> && sizeof(T) == 4) {
    return npy_dtype::u32;
  } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T> && sizeof(T) == 8) {
    return npy_dtype::u64;
  } else {
    static_assert(::bitsieve::detail::always_false<T>,
                  "bitsieve: no .npy dtype for this type; use float, double, bool or a fixed-width integer");
    return npy_dtype::f32;
  }
}();

/// IEEE 754 binary16 -> binary32, exact for every input: zeros, subnormals (scaled into normal
/// floats), normals, infinities, and NaNs (sign and payload kept, made quiet).
[[nodiscard]] constexpr float half_to_float(std::uint16_t h) noexcept {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000U) << 16U;
  const std::uint32_t exp = (h >> 10U) & 0x1FU;
  std::uint32_t mant = h & 0x3FFU;
  std::uint32_t bits = 0;
  if (exp == 0x1FU) {  // inf or NaN
    bits = sign | 0x7F800000U | (mant << 13U) | (mant != 0 ? 0x00400000U : 0U);
  } else if (exp != 0) {  // normal: rebias 15 -> 127
    bits = sign | ((exp + 112U) << 23U) | (mant << 13U);
  } else if (mant == 0) {  // signed zero
    bits = sign;
  } else {  // subnormal: value = mant * 2^-24; normalise so the leading 1 is at bit 10
    std::uint32_t e = 113;  // exponent field of 2^-14
    while ((mant & 0x400U) == 0) {
      mant <<= 1U;
      --e;
    }
    bits = sign | (e << 23U) | ((mant & 0x3FFU) << 13U);
  }
  return std::bit_cast<float>(bits);
}

/// IEEE 754 binary32 -> binary16 with round-to-nearest-even; overflow gives +-inf, tiny values
/// become subnormals or signed zero, NaN stays NaN (quiet, top payload bits kept).
[[nodiscard]] constexpr std::uint16_t float_to_half(float f) noexcept {
  const auto x = std::bit_cast<std::uint32_t>(f);
  const auto sign = static_cast<std::uint16_t>((x >> 16U) & 0x8000U);
  const std::uint32_t exp = (x >> 23U) & 0xFFU;
  const std::uint32_t mant = x & 0x7FFFFFU;
  if (exp == 0xFFU) {
    if (mant == 0) return static_cast<std::uint16_t>(sign | 0x7C00U);
    return static_cast<std::uint16_t>(sign | 0x7E00U | (mant >> 13U));
  }
  const int e = static_cast<int>(exp) - 127;  // unbiased exponent (float subnormals: tiny anyway)
  if (e > 15) return static_cast<std::uint16_t>(sign | 0x7C00U);
  // Significand with the implicit 1 (24 bits), or the raw mantissa for float subnormals.
  const std::uint32_t sig = exp == 0 ? mant : (mant | 0x800000U);
  // Number of low bits of sig to drop: 13 for a half normal, more for a half subnormal.
  int shift = 13;
  std::uint32_t half_exp = 0;
  if (e >= -14) {
    half_exp = static_cast<std::uint32_t>(e + 15);
  } else {
    shift = 13 + (-14 - e);
    if (shift > 25) return sign;  // below half the smallest subnormal: rounds to zero
  }
  std::uint32_t kept = sig >> static_cast<unsigned>(shift);
  const std::uint32_t rem = sig & ((1U << static_cast<unsigned>(shift)) - 1U);
  const std::uint32_t halfway = 1U << static_cast<unsigned>(shift - 1);
  if (rem > halfway || (rem == halfway && (kept & 1U) != 0)) ++kept;
  if (half_exp == 0) {
    // Subnormal (kept < 0x400) or rounded up into the smallest normal (kept == 0x400): the
    // encoding of both is just `kept`.
    return static_cast<std::uint16_t>(sign | kept);
  }
  // Normal: kept holds the implicit bit at 0x400; a carry to 0x800 bumps the exponent.
  std::uint32_t out = (half_exp << 10U) + (kept - 0x400U);
  if (kept == 0x800U) out = (half_exp + 1U) << 10U;
  if (out >= 0x7C00U) return static_cast<std::uint16_t>(sign | 0x7C00U);
  return static_cast<std::uint16_t>(sign | out);
}

/// An n-dimensional array read from or written to `.npy`: C order, host byte order.
struct npy_array {
  std::vector<std::size_t> shape;
  npy_dtype dtype = npy_dtype::f32;
  /// The elements, C order, host byte order; size() == element_count() * npy_dtype_size(dtype).
  std::vector<std::byte> data;

  /// Product of the shape (1 for a 0-d array).
  [[nodiscard]] std::size_t element_count() const noexcept {
    std::size_t n = 1;
    for (const std::size_t s : shape) n *= s;
    return n;
  }

  /// The elements as T, which must be exactly the stored type (io_error otherwise).
  template <class T>
  [[nodiscard]] std::vector<T> values() const {
    if (npy_dtype_of<T> != dtype) {
      throw io_error(std::string("bitsieve::io::npy_array::values: the array holds ") + npy_dtype_code(dtype) +
                     ", not " + npy_dtype_code(npy_dtype_of<T>));
    }
    std::vector<T> out(data.size() / sizeof(T));
    if (!out.empty()) std::memcpy(out.data(), data.data(), out.size() * sizeof(T));
    return out;
  }

  /// Element i converted to double (exact for every dtype but i64/u64 beyond 2^53).
  [[nodiscard]] double element_as_double(std::size_t i) const {
    const std::byte* p = data.data() + i * npy_dtype_size(dtype);
    switch (dtype) {
      case npy_dtype::f16: return half_to_float(load<std::uint16_t>(p));
      case npy_dtype::f32: return load<float>(p);
      case npy_dtype::f64: return load<double>(p);
      case npy_dtype::i8: return load<std::int8_t>(p);
      case npy_dtype::i16: return load<std::int16_t>(p);
      case npy_dtype::i32: return load<std::int32_t>(p);
      case npy_dtype::i64: return static_cast<double>(load<std::int64_t>(p));
      case npy_dtype::u8: return load<std::uint8_t>(p);
      case npy_dtype::u16: return load<std::uint16_t>(p);
      case npy_dtype::u32: return load<std::uint32_t>(p);
      case npy_dtype::u64: return static_cast<double>(load<std::uint64_t>(p));
      case npy_dtype::boolean: return load<std::uint8_t>(p) != 0 ? 1.0 : 0.0;
    }
    return 0.0;
  }

  /// All elements converted to double.
  [[nodiscard]] std::vector<double> to_double() const {
    std::vector<double> out(element_count());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = element_as_double(i);
    return out;
  }

  /// All elements converted to float: f16 exactly, integers rounded to nearest, f64 rounded to
  /// nearest (NaN and +-inf kept). io_error for a finite f64 beyond the float range.
  [[nodiscard]] std::vector<float> to_float() const {
    std::vector<float> out(element_count());
    for (std::size_t i = 0; i < out.size(); ++i) {
      const std::byte* p = data.data() + i * npy_dtype_size(dtype);
      switch (dtype) {
        case npy_dtype::f16: out[i] = half_to_float(load<std::uint16_t>(p)); break;
        case npy_dtype::f32: out[i] = load<float>(p); break;
        case npy_dtype::f64: {
          const auto x = load<double>(p);
          if (std::isfinite(x) && std::fabs(x) > static_cast<double>(std::numeric_limits<float>::max())) {
            throw io_error("bitsieve::io::npy_array::to_float: f8 element " + std::to_string(i) + " (" +
                           std::to_string(x) + ") is outside the float range");
          }
          out[i] = static_cast<float>(x);
          break;
        }
        case npy_dtype::i64: out[i] = static_cast<float>(load<std::int64_t>(p)); break;
        case npy_dtype::u64: out[i] = static_cast<float>(load<std::uint64_t>(p)); break;
        case npy_dtype::i32: out[i] = static_cast<float>(load<std::int32_t>(p)); break;
        case npy_dtype::u32: out[i] = static_cast<float>(load<std::uint32_t>(p)); break;
        default: out[i] = static_cast<float>(element_as_double(i)); break;  // exact for 8/16-bit ints
      }
    }
    return out;
  }

 private:
  template <class T>
  static T load(const std::byte* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
};

/// A float matrix/tensor: the result of `load_npy_as_float`.
struct npy_float_array {
  std::vector<std::size_t> shape;
  std::vector<float> values;  // C order
};

/// The parsed, validated header of a `.npy` file.
struct npy_header {
  int major_version = 1;
  int minor_version = 0;
  npy_dtype dtype = npy_dtype::f32;
  bool big_endian = false;  // the file's byte order (false for 1-byte types)
  bool fortran_order = false;
  std::vector<std::size_t> shape;
  std::size_t data_offset = 0;  // bytes before the data
  std::size_t data_bytes = 0;   // element_count * itemsize, overflow-checked
};

namespace detail {

/// A Python literal as it appears in a .npy header.
struct py_literal {
  enum class kind { string, integer, boolean, none, tuple, list, dict };
  kind type = kind::none;
  std::string str;
  bool negative = false;
  std::uint64_t magnitude = 0;
  bool flag = false;
  std::vector<py_literal> items;  // tuple / list elements; dict values
  std::vector<py_literal> keys;   // dict keys (keys[i] maps to items[i])
};

/// Parses the subset of Python literal syntax NumPy writes in headers (dict, tuple, list,
/// str, int with optional L suffix, True, False, None). Errors are io_errors prefixed by `who`.
class py_literal_parser {
 public:
  py_literal_parser(std::string_view text, std::string who) : s_(text), who_(std::move(who)) {}

  py_literal parse_all() {
    skip_ws();
    py_literal v = parse_value(0);
    skip_ws();
    if (pos_ != s_.size()) fail("unexpected text after the dict");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw io_error(who_ + ": header is not a valid Python dict literal: " + what + " at offset " +
                   std::to_string(pos_) + " in \"" + printable(s_) + "\"");
  }

  static std::string printable(std::string_view s) {
    std::string out;
    for (const char c : s.substr(0, 200)) {
      const auto u = static_cast<unsigned char>(c);
      out.push_back(u >= 0x20 && u < 0x7F ? c : '?');
    }
    if (s.size() > 200) out += "...";
    return out;
  }

  [[nodiscard]] char peek() const noexcept { return pos_ < s_.size() ? s_[pos_] : '\0'; }

  void skip_ws() noexcept {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }

  py_literal parse_value(int depth) {  // NOLINT(misc-no-recursion): depth <= 8
    if (depth > 8) fail("nesting too deep");
    const char c = peek();
    if (c == '{') return parse_container(depth, '}', py_literal::kind::dict);
    if (c == '(') return parse_container(depth, ')', py_literal::kind::tuple);
    if (c == '[') return parse_container(depth, ']', py_literal::kind::list);
    if (c == '\'' || c == '"') return parse_string();
    if (c == '-' || c == '+' || (c >= '0' && c <= '9')) return parse_int();
    for (const std::string_view word : {std::string_view("True"), std::string_view("False"), std::string_view("None")}) {
      if (s_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        py_literal v;
        if (word == "None") {
          v.type = py_literal::kind::none;
        } else {
          v.type = py_literal::kind::boolean;
          v.flag = word == "True";
        }
        return v;
      }
    }
    if (pos_ >= s_.size()) fail("unexpected end");
    fail("unexpected character");
  }

  // NOLINTNEXTLINE(misc-no-recursion): depth <= 8
  py_literal parse_container(int depth, char close, py_literal::kind k) {
    ++pos_;
    py_literal v;
    v.type = k;
    bool had_comma = false;  // a 1-tuple needs its trailing comma: (5,) vs (5)
    for (;;) {
      skip_ws();
      if (peek() == close) {
        ++pos_;
        break;
      }
      if (pos_ >= s_.size()) fail("unterminated container");
      if (k == py_literal::kind::dict) {
        py_literal key = parse_value(depth + 1);
        skip_ws();
        if (peek() != ':') fail("expected ':' after a dict key");
        ++pos_;
        skip_ws();
        v.keys.push_back(std::move(key));
        v.items.push_back(parse_value(depth + 1));
      } else {
        v.items.push_back(parse_value(depth + 1));
      }
      skip_ws();
      had_comma = false;
      if (peek() == ',') {
        ++pos_;
        had_comma = true;
      } else if (peek() != close) {
        fail("expected ',' or '" + std::string(1, close) + "'");
      }
    }
    if (k == py_literal::kind::tuple && v.items.size() == 1 && !had_comma) {
      // "(5)" is just a parenthesised integer in Python, not a tuple.
      py_literal inner = std::move(v.items.front());
      return inner;
    }
    return v;
  }

  py_literal parse_string() {
    const char quote = s_[pos_++];
    py_literal v;
    v.type = py_literal::kind::string;
    for (;;) {
      if (pos_ >= s_.size()) fail("unterminated string");
      const char c = s_[pos_++];
      if (c == quote) return v;
      if (c == '\n') fail("newline in a string");
      if (c == '\\') {
        if (pos_ >= s_.size()) fail("unterminated string");
        const char e = s_[pos_++];
        switch (e) {
          case '\\': v.str.push_back('\\'); break;
          case '\'': v.str.push_back('\''); break;
          case '"': v.str.push_back('"'); break;
          case 'n': v.str.push_back('\n'); break;
          case 't': v.str.push_back('\t'); break;
          default: fail("unsupported escape in a string");
        }
      } else {
        v.str.push_back(c);
      }
    }
  }

  py_literal parse_int() {
    py_literal v;
    v.type = py_literal::kind::integer;
    if (peek() == '-' || peek() == '+') {
      v.negative = peek() == '-';
      ++pos_;
    }
    if (!(peek() >= '0' && peek() <= '9')) fail("expected a digit");
    while (peek() >= '0' && peek() <= '9') {
      const auto d = static_cast<std::uint64_t>(peek() - '0');
      if (v.magnitude > (std::numeric_limits<std::uint64_t>::max() - d) / 10U) fail("integer too large");
      v.magnitude = v.magnitude * 10U + d;
      ++pos_;
    }
    if (peek() == 'L' || peek() == 'l') ++pos_;  // Python 2 long suffix, written by old NumPy
    if (peek() == '.' || peek() == 'e' || peek() == 'E' || peek() == 'j' || peek() == 'x') fail("not an integer");
    if (v.negative && v.magnitude == 0) v.negative = false;
    return v;
  }

  std::string_view s_;
  std::string who_;
  std::size_t pos_ = 0;
};

inline std::uint32_t npy_read_le(const unsigned char* p, std::size_t n) noexcept {
  std::uint32_t v = 0;
  for (std::size_t i = n; i-- > 0;) v = (v << 8U) | p[i];
  return v;
}

/// The dtype of a descr string such as "<f4"; sets big_endian. io_error for anything else.
inline npy_dtype npy_parse_descr(const std::string& descr, bool& big_endian, const std::string& who) {
  auto unsupported = [&](const std::string& why) {
    return io_error{who + ": unsupported dtype '" + descr + "' (" + why +
                    "; supported: f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1)"};
  };
  if (descr.size() < 2) throw unsupported("too short");
  std::size_t at = 0;
  char order = '=';
  if (descr[0] == '<' || descr[0] == '>' || descr[0] == '|' || descr[0] == '=') {
    order = descr[0];
    at = 1;
  }
  const std::string code = descr.substr(at);
  constexpr std::array all = {npy_dtype::f16, npy_dtype::f32, npy_dtype::f64, npy_dtype::i8,
                               npy_dtype::i16, npy_dtype::i32, npy_dtype::i64, npy_dtype::u8,
                               npy_dtype::u16, npy_dtype::u32, npy_dtype::u64, npy_dtype::boolean};
  for (const npy_dtype t : all) {
    if (code == npy_dtype_code(t)) {
      if (npy_dtype_size(t) == 1) {
        big_endian = false;
      } else if (order == '|') {
        throw unsupported("'|' (not applicable) byte order on a multi-byte type");
      } else if (order == '=') {
        big_endian = std::endian::native == std::endian::big;
      } else {
        big_endian = order == '>';
      }
      return t;
    }
  }
  if (!code.empty() && code[0] == 'c') throw unsupported("complex numbers");
  if (!code.empty() && code[0] == 'O') throw unsupported("Python objects");
  if (!code.empty() && (code[0] == 'U' || code[0] == 'S' || code[0] == 'a')) throw unsupported("strings");
  if (!code.empty() && (code[0] == 'M' || code[0] == 'm')) throw unsupported("dates and times");
  if (!code.empty() && code[0] == 'V') throw unsupported("raw void records");
  throw unsupported("unknown type code");
}

/// Parses and validates the prefix and header of a .npy image. `prefix` holds at least the first
/// min(total_size, 12) bytes; `header_text` is filled lazily by `read_header` (a callback that
/// returns the `n` header bytes at offset `off`), so the header is fetched only after its length
/// has been checked against `total_size`.
template <class ReadHeader>
npy_header npy_parse_header(std::span<const unsigned char> prefix, std::uint64_t total_size, ReadHeader&& read_header,
                            const std::string& who) {
  static constexpr std::array<unsigned char, 6> magic = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (total_size < 8 || prefix.size() < 8) {
    throw io_error(who + ": truncated: " + std::to_string(total_size) + " bytes is too short for a .npy prefix");
  }
  if (!std::equal(magic.begin(), magic.end(), prefix.begin())) {
    throw io_error(who + ": bad magic (not a .npy file: expected \\x93NUMPY)");
  }
  npy_header h;
  h.major_version = prefix[6];
  h.minor_version = prefix[7];
  std::size_t len_bytes = 0;
  if (h.major_version == 1 && h.minor_version == 0) {
    len_bytes = 2;
  } else if ((h.major_version == 2 || h.major_version == 3) && h.minor_version == 0) {
    len_bytes = 4;
  } else {
    throw io_error(who + ": unsupported .npy format version " + std::to_string(h.major_version) + "." +
                   std::to_string(h.minor_version) + " (supported: 1.0, 2.0, 3.0)");
  }
  if (total_size < 8 + len_bytes || prefix.size() < 8 + len_bytes) {
    throw io_error(who + ": truncated: the file ends inside the header length field");
  }
  const std::uint64_t header_len = npy_read_le(prefix.data() + 8, len_bytes);
  const std::uint64_t header_start = 8 + len_bytes;
  if (header_len > total_size - header_start) {
    throw io_error(who + ": header length " + std::to_string(header_len) + " runs past the end of the file (" +
                   std::to_string(total_size - header_start) + " bytes after the length field)");
  }
  const std::string text = read_header(static_cast<std::size_t>(header_start), static_cast<std::size_t>(header_len));
  h.data_offset = static_cast<std::size_t>(header_start + header_len);

  const py_literal d = py_literal_parser(text, who).parse_all();
  if (d.type != py_literal::kind::dict) {
    throw io_error(who + ": header is not a valid Python dict literal (found another kind of value)");
  }
  const py_literal* descr = nullptr;
  const py_literal* fortran = nullptr;
  const py_literal* shape = nullptr;
  for (std::size_t i = 0; i < d.keys.size(); ++i) {
    const py_literal& k = d.keys[i];
    const py_literal& v = d.items[i];
    if (k.type != py_literal::kind::string) throw io_error(who + ": header dict has a non-string key");
    const py_literal** slot = k.str == "descr" ? &descr : k.str == "fortran_order" ? &fortran
                              : k.str == "shape"                                   ? &shape
                                                                                   : nullptr;
    if (slot == nullptr) throw io_error(who + ": header has an unexpected key '" + k.str + "'");
    if (*slot != nullptr) throw io_error(who + ": header repeats the key '" + k.str + "'");
    *slot = &v;
  }
  if (descr == nullptr) throw io_error(who + ": header is missing the key 'descr'");
  if (fortran == nullptr) throw io_error(who + ": header is missing the key 'fortran_order'");
  if (shape == nullptr) throw io_error(who + ": header is missing the key 'shape'");

  if (descr->type == py_literal::kind::list) {
    throw io_error(who + ": unsupported dtype (structured array with fields; supported: f2 f4 f8 i1 i2 i4 i8 u1 "
                         "u2 u4 u8 b1)");
  }
  if (descr->type != py_literal::kind::string) throw io_error(who + ": header 'descr' is not a string");
  h.dtype = npy_parse_descr(descr->str, h.big_endian, who);

  if (fortran->type != py_literal::kind::boolean) throw io_error(who + ": header 'fortran_order' is not True/False");
  h.fortran_order = fortran->flag;

  if (shape->type != py_literal::kind::tuple) throw io_error(who + ": header 'shape' is not a tuple");
  std::uint64_t count = 1;
  bool overflow = false;
  for (const py_literal& s : shape->items) {
    if (s.type != py_literal::kind::integer) throw io_error(who + ": header 'shape' holds a non-integer");
    if (s.negative) throw io_error(who + ": header 'shape' holds a negative dimension -" + std::to_string(s.magnitude));
    if constexpr (sizeof(std::size_t) < sizeof(std::uint64_t)) {
      if (s.magnitude > std::numeric_limits<std::size_t>::max()) overflow = true;
    }
    h.shape.push_back(static_cast<std::size_t>(s.magnitude));
    if (s.magnitude != 0 && count > std::numeric_limits<std::uint64_t>::max() / s.magnitude) {
      overflow = true;
    }
    count *= s.magnitude;  // unsigned: wraps harmlessly; only used when !overflow
  }
  const std::uint64_t item = npy_dtype_size(h.dtype);
  bool has_zero = false;
  for (const std::size_t s : h.shape) has_zero = has_zero || s == 0;
  if (has_zero) {
    count = 0;
    overflow = false;
  }
  if (overflow || count > std::numeric_limits<std::uint64_t>::max() / item) {
    throw io_error(who + ": header 'shape' element count overflows (a lying or corrupt header)");
  }
  const std::uint64_t want = count * item;
  const std::uint64_t have = total_size - h.data_offset;
  if (want != have) {
    throw io_error(who + ": shape needs " + std::to_string(want) + " data bytes (" + std::to_string(count) +
                   " elements of " + std::to_string(item) + " bytes) but the file has " + std::to_string(have) +
                   " after the header");
  }
  h.data_bytes = static_cast<std::size_t>(want);
  return h;
}

/// Byte-swaps, if needed, and reorders Fortran data into a C-order, host-order npy_array.
inline npy_array npy_finish(const npy_header& h, std::vector<std::byte> raw) {
  npy_array a;
  a.shape = h.shape;
  a.dtype = h.dtype;
  const std::size_t item = npy_dtype_size(h.dtype);
  const bool swap = item > 1 && h.big_endian != (std::endian::native == std::endian::big);
  if (swap) {
    for (std::size_t off = 0; off + item <= raw.size(); off += item) std::reverse(raw.begin() + static_cast<std::ptrdiff_t>(off), raw.begin() + static_cast<std::ptrdiff_t>(off + item));
  }
  if (!h.fortran_order || h.shape.size() < 2 || raw.empty()) {
    a.data = std::move(raw);
    return a;
  }
  // Fortran: element (i0..i_{n-1}) is at sum_k i_k * prod_{j<k} shape_j. Walk C order (last index
  // fastest), keeping the Fortran offset up to date.
  const std::size_t rank = h.shape.size();
  std::vector<std::size_t> fstride(rank);
  std::size_t s = 1;
  for (std::size_t k = 0; k < rank; ++k) {
    fstride[k] = s;
    s *= h.shape[k];
  }
  a.data.resize(raw.size());
  std::vector<std::size_t> idx(rank, 0);
  std::size_t foff = 0;
  const std::size_t n = raw.size() / item;
  for (std::size_t c = 0; c < n; ++c) {
    std::memcpy(a.data.data() + c * item, raw.data() + foff * item, item);
    for (std::size_t k = rank; k-- > 0;) {
      if (++idx[k] < h.shape[k]) {
        foff += fstride[k];
        break;
      }
      foff -= (h.shape[k] - 1) * fstride[k];
      idx[k] = 0;
    }
  }
  return a;
}

inline std::string npy_shape_text(const std::vector<std::size_t>& shape) {
  std::string t = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i != 0) t += ", ";
    t += std::to_string(shape[i]);
  }
  if (shape.size() == 1) t += ",";
  return t + ")";
}

}  // namespace detail

/// Parses a whole `.npy` image held in memory. Throws io_error "bitsieve::io::parse_npy: ..." for
/// every malformed input listed in the file comment.
[[nodiscard]] inline npy_array parse_npy(std::span<const std::byte> bytes) {
  const std::string who = "bitsieve::io::parse_npy";
  const auto* u = reinterpret_cast<const unsigned char*>(bytes.data());  // NOLINT: byte view
  const std::span<const unsigned char> prefix(u, std::min<std::size_t>(bytes.size(), 12));
  const npy_header h = detail::npy_parse_header(
      prefix, bytes.size(),
      [&](std::size_t off, std::size_t n) { return std::string(reinterpret_cast<const char*>(u) + off, n); },  // NOLINT: byte view
      who);
  std::vector<std::byte> raw(bytes.begin() + static_cast<std::ptrdiff_t>(h.data_offset), bytes.end());
  return detail::npy_finish(h, std::move(raw));
}

/// Convenience: parses a `.npy` image held in a string.
[[nodiscard]] inline npy_array parse_npy(std::string_view bytes) {
  return parse_npy(std::as_bytes(std::span<const char>(bytes.data(), bytes.size())));
}

/// Reads a `.npy` file. The header is validated against the file size before the data buffer is
/// allocated. Throws io_error "bitsieve::io::read_npy: \"<path>\": ..." if the file cannot be
/// opened or read, or is malformed (see the file comment).
[[nodiscard]] inline npy_array read_npy(const std::string& path) {
  const std::string who = "bitsieve::io::read_npy: \"" + path + "\"";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error(who + ": cannot open the file");
  in.seekg(0, std::ios::end);
  const std::streamoff end = in.tellg();
  if (end < 0) throw io_error(who + ": cannot determine the file size");
  in.seekg(0, std::ios::beg);
  const auto total = static_cast<std::uint64_t>(end);
  std::array<unsigned char, 12> prefix_buf{};
  const std::size_t prefix_len = static_cast<std::size_t>(std::min<std::uint64_t>(total, 12));
  in.read(reinterpret_cast<char*>(prefix_buf.data()), static_cast<std::streamsize>(prefix_len));  // NOLINT: byte view
  if (!in) throw io_error(who + ": read error in the prefix");
  auto read_header = [&](std::size_t off, std::size_t n) {
    std::string text(n, '\0');
    in.clear();
    in.seekg(static_cast<std::streamoff>(off), std::ios::beg);
    in.read(text.data(), static_cast<std::streamsize>(n));
    if (!in) throw io_error(who + ": read error in the header");
    return text;
  };
  const npy_header h =
      detail::npy_parse_header(std::span<const unsigned char>(prefix_buf.data(), prefix_len), total, read_header, who);
  std::vector<std::byte> raw(h.data_bytes);
  in.seekg(static_cast<std::streamoff>(h.data_offset), std::ios::beg);
  in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size()));  // NOLINT: byte view
  if (!in) throw io_error(who + ": read error in the data (file changed while reading?)");
  return detail::npy_finish(h, std::move(raw));
}

/// Reads a `.npy` file of any supported dtype as float (see `npy_array::to_float`).
/// `expected_rank` >= 0 requires that many dimensions (io_error naming the file and both ranks);
/// -1 accepts any rank.
[[nodiscard]] inline npy_float_array load_npy_as_float(const std::string& path, int expected_rank = -1) {
  npy_array a = read_npy(path);
  if (expected_rank >= 0 && a.shape.size() != static_cast<std::size_t>(expected_rank)) {
    throw io_error("bitsieve::io::load_npy_as_float: \"" + path + "\": expected rank " +
                   std::to_string(expected_rank) + ", the file has shape " + detail::npy_shape_text(a.shape));
  }
  try {
    return {a.shape, a.to_float()};
  } catch (const io_error& e) {
    throw io_error("bitsieve::io::load_npy_as_float: \"" + path + "\": " + e.what());
  }
}

/// The bytes of a `.npy` file (v1.0, or v2.0 if the header needs it; little-endian; C order)
/// holding `a`. invalid_argument if a.data does not hold exactly element_count() elements.
[[nodiscard]] inline std::string serialize_npy(const npy_array& a) {
  const std::size_t item = npy_dtype_size(a.dtype);
  std::size_t count = 1;
  for (const std::size_t s : a.shape) {
    if (s != 0 && count > std::numeric_limits<std::size_t>::max() / s) {
      throw invalid_argument("bitsieve::io::serialize_npy: shape " + detail::npy_shape_text(a.shape) + " overflows");
    }
    count *= s;
  }
  if (count > std::numeric_limits<std::size_t>::max() / item || a.data.size() != count * item) {
    throw invalid_argument("bitsieve::io::serialize_npy: data holds " + std::to_string(a.data.size()) +
                           " bytes, shape " + detail::npy_shape_text(a.shape) + " of " + npy_dtype_code(a.dtype) +
                           " needs " + std::to_string(count * item));
  }
  const char order = item == 1 ? '|' : '<';
  std::string dict = std::string("{'descr': '") + order + npy_dtype_code(a.dtype) +
                     "', 'fortran_order': False, 'shape': " + detail::npy_shape_text(a.shape) + ", }";
  // Pad with spaces and a final newline so the data starts at a multiple of 64.
  auto padded = [&](std::size_t prefix_len) {
    std::string h = dict;
    const std::size_t unpadded = prefix_len + h.size() + 1;
    h.append((64 - unpadded % 64) % 64, ' ');
    h.push_back('\n');
    return h;
  };
  std::string header = padded(10);
  std::string out("\x93NUMPY", 6);
  if (header.size() <= 0xFFFFU) {
    out.push_back('\x01');
    out.push_back('\x00');
    out.push_back(static_cast<char>(header.size() & 0xFFU));
    out.push_back(static_cast<char>(header.size() >> 8U));
  } else {
    header = padded(12);
    out.push_back('\x02');
    out.push_back('\x00');
    for (unsigned i = 0; i < 4; ++i) out.push_back(static_cast<char>((header.size() >> (8U * i)) & 0xFFU));
  }
  out += header;
  out.append(reinterpret_cast<const char*>(a.data.data()), a.data.size());  // NOLINT: byte view
  if constexpr (std::endian::native == std::endian::big) {
    if (item > 1) {
      for (std::size_t off = out.size() - a.data.size(); off < out.size(); off += item) {
        std::reverse(out.begin() + static_cast<std::ptrdiff_t>(off), out.begin() + static_cast<std::ptrdiff_t>(off + item));
      }
    }
  }
  return out;
}

/// An npy_array holding a copy of `data` (element_count(shape) elements of T, C order).
template <class T>
[[nodiscard]] npy_array make_npy_array(std::vector<std::size_t> shape, const T* data) {
  npy_array a;
  a.shape = std::move(shape);
  a.dtype = npy_dtype_of<T>;
  std::size_t count = 1;
  for (const std::size_t s : a.shape) {
    if (s != 0 && count > std::numeric_limits<std::size_t>::max() / s / sizeof(T)) {
      throw invalid_argument("bitsieve::io::make_npy_array: shape " + detail::npy_shape_text(a.shape) +
                             " overflows");
    }
    count *= s;
  }
  if (count != 0 && data == nullptr) throw invalid_argument("bitsieve::io::make_npy_array: data is null");
  a.data.resize(count * sizeof(T));
  if (count != 0) std::memcpy(a.data.data(), data, a.data.size());
  return a;
}

/// Writes `a` to `path` (see serialize_npy). io_error if the file cannot be written.
inline void write_npy(const std::string& path, const npy_array& a) {
  const std::string bytes = serialize_npy(a);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw io_error("bitsieve::io::write_npy: cannot create \"" + path + "\"");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw io_error("bitsieve::io::write_npy: error writing \"" + path + "\"");
}

/// Writes element_count(shape) elements of T from `data` (C order) as a v1.0 little-endian .npy.
/// T: float, double, bool or a fixed-width integer.
template <class T>
void write_npy(const std::string& path, const std::vector<std::size_t>& shape, const T* data) {
  write_npy(path, make_npy_array(shape, data));
}

}  // namespace bitsieve::io
