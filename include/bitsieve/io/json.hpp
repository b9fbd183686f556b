// SPDX-License-Identifier: Apache-2.0
/// \file io/json.hpp
/// A small, strict JSON value (`json_value`), its parser (`parse_json`, `read_json_file`) and its
/// writer (`to_json`).
///
/// Strict means RFC 8259 and nothing more: no comments, no trailing commas, no NaN/Infinity, no
/// leading zeros, no unescaped control characters, valid UTF-8 only, no lone surrogates, nothing
/// after the top-level value but whitespace. Objects keep their members in insertion order; a
/// duplicate key in parsed input is an error (so `at` is never ambiguous). Numbers are doubles.
/// Every failure throws `bitsieve::io_error`; parse errors carry "line L, column C" (1-based,
/// columns count bytes).
#pragma once

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "bitsieve/core/error.hpp"

namespace bitsieve::io {

/// The deepest nesting of arrays/objects `parse_json` accepts (a guard against stack exhaustion).
inline constexpr int json_max_depth = 256;

/// One JSON value: null, bool, number (double), string (UTF-8), array, or object (members in
/// insertion order). A regular value type: copyable, comparable with ==.
class json_value {
 public:
  /// The six JSON types.
  enum class kind { null, boolean, number, string, array, object };
  using array_type = std::vector<json_value>;
  using member_type = std::pair<std::string, json_value>;
  using object_type = std::vector<member_type>;

  /// null.
  json_value() = default;
  json_value(std::nullptr_t) {}                          // NOLINT(google-explicit-constructor)
  json_value(bool b) : v_(b) {}                          // NOLINT(google-explicit-constructor)
  json_value(double x) : v_(x) {}                        // NOLINT(google-explicit-constructor)
  /// Any integer type, stored as a double (exact for |n| <= 2^53).
  template <class Int>
    requires(std::is_integral_v<Int> && !std::is_same_v<Int, bool>)
  json_value(Int n) : v_(static_cast<double>(n)) {}      // NOLINT(google-explicit-constructor)
  json_value(std::string s) : v_(std::move(s)) {}        // NOLINT(google-explicit-constructor)
  json_value(std::string_view s) : v_(std::string(s)) {}  // NOLINT(google-explicit-constructor)
  json_value(const char* s) : v_(std::string(s)) {}      // NOLINT(google-explicit-constructor)
  json_value(array_type a) : v_(std::move(a)) {}         // NOLINT(google-explicit-constructor)
  json_value(object_type o) : v_(std::move(o)) {}        // NOLINT(google-explicit-constructor)

  /// An empty array / an empty object.
  [[nodiscard]] static json_value array() { return {array_type{}}; }
  [[nodiscard]] static json_value object() { return {object_type{}}; }

  [[nodiscard]] kind type() const noexcept { return static_cast<kind>(v_.index()); }
  [[nodiscard]] bool is_null() const noexcept { return type() == kind::null; }
  [[nodiscard]] bool is_bool() const noexcept { return type() == kind::boolean; }
  [[nodiscard]] bool is_number() const noexcept { return type() == kind::number; }
  [[nodiscard]] bool is_string() const noexcept { return type() == kind::string; }
  [[nodiscard]] bool is_array() const noexcept { return type() == kind::array; }
  [[nodiscard]] bool is_object() const noexcept { return type() == kind::object; }

  /// The name of a kind ("null", "bool", "number", "string", "array", "object").
  [[nodiscard]] static const char* kind_name(kind k) noexcept {
    switch (k) {
      case kind::null: return "null";
      case kind::boolean: return "bool";
      case kind::number: return "number";
      case kind::string: return "string";
      case kind::array: return "array";
      case kind::object: return "object";
    }
    return "?";
  }

  /// The value as the given type; io_error naming the expected and actual type otherwise.
  [[nodiscard]] bool as_bool() const { return get<bool>(kind::boolean); }
  [[nodiscard]] double as_number() const { return get<double>(kind::number); }
  [[nodiscard]] const std::string& as_string() const { return get<std::string>(kind::string); }
  [[nodiscard]] const array_type& as_array() const { return get<array_type>(kind::array); }
  [[nodiscard]] array_type& as_array() { return get<array_type>(kind::array); }
  [[nodiscard]] const object_type& as_object() const { return get<object_type>(kind::object); }
  [[nodiscard]] object_type& as_object() { return get<object_type>(kind::object); }

  /// The number as an exact integer; io_error if it is not a number, has a fractional part, or
  /// lies outside [-2^63, 2^63).
  [[nodiscard]] std::int64_t as_int() const {
    const double x = as_number();
    if (x != std::floor(x)) {
      throw io_error("bitsieve::io::json_value::as_int: number " + format_number(x) +
                     " is not an integer");
    }
    // -2^63 is exactly representable; 2^63 is the first double past the int64 range.
    if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0)) {
      throw io_error("bitsieve::io::json_value::as_int: number " + format_number(x) +
                     " is outside the 64-bit integer range");
    }
    return static_cast<std::int64_t>(x);
  }

  /// The member named `key` of an object, or nullptr if there is none. io_error if not an object.
  [[nodiscard]] const json_value* find(std::string_view key) const {
    for (const auto& m : as_object()) {
      if (m.first == key) return &m.second;
    }
    return nullptr;
  }
  [[nodiscard]] json_value* find(std::string_view key) {
    for (auto& m : as_object()) {
      if (m.first == key) return &m.second;
    }
    return nullptr;
  }

  /// The member named `key` of an object; io_error naming the key if it is missing.
  [[nodiscard]] const json_value& at(std::string_view key) const {
    const json_value* p = find(key);
    if (p == nullptr) {
      throw io_error("bitsieve::io::json_value::at: missing key \"" + std::string(key) + "\"");
    }
    return *p;
  }

  /// Element `index` of an array; io_error if out of range or not an array.
  [[nodiscard]] const json_value& at(std::size_t index) const {
    const auto& a = as_array();
    if (index >= a.size()) {
      throw io_error("bitsieve::io::json_value::at: index " + std::to_string(index) +
                     " out of range for an array of size " + std::to_string(a.size()));
    }
    return a[index];
  }

  /// Number of elements (array) or members (object); io_error for other kinds.
  [[nodiscard]] std::size_t size() const {
    if (is_array()) return as_array().size();
    if (is_object()) return as_object().size();
    throw io_error(std::string("bitsieve::io::json_value::size: expected an array or object, got ") +
                   kind_name(type()));
  }

  /// Object: set member `key` (replacing an existing one in place, else appending). Returns *this.
  json_value& set(std::string key, json_value value) {
    if (json_value* p = find(key)) {
      *p = std::move(value);
    } else {
      as_object().emplace_back(std::move(key), std::move(value));
    }
    return *this;
  }

  /// Array: append an element. Returns *this.
  json_value& push_back(json_value value) {
    as_array().push_back(std::move(value));
    return *this;
  }

  friend bool operator==(const json_value&, const json_value&) = default;

  /// Shortest decimal text that reads back as exactly `x` (finite x only).
  [[nodiscard]] static std::string format_number(double x) {
    std::array<char, 64> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), x);
    return {buf.data(), r.ptr};
  }

 private:
  template <class T>
  [[nodiscard]] const T& get(kind want) const {
    if (type() != want) throw io_error(type_error(want));
    return std::get<T>(v_);
  }
  template <class T>
  [[nodiscard]] T& get(kind want) {
    if (type() != want) throw io_error(type_error(want));
    return std::get<T>(v_);
  }
  [[nodiscard]] std::string type_error(kind want) const {
    return std::string("bitsieve::io::json_value: expected ") + kind_name(want) + ", got " + kind_name(type());
  }

  std::variant<std::nullptr_t, bool, double, std::string, array_type, object_type> v_{nullptr};
};

namespace detail {

/// Recursive-descent parser over a byte string with line/column tracking.
class json_parser {
 public:
  explicit json_parser(std::string_view text) : s_(text) {}

  json_value parse_document() {
    skip_ws();
    json_value v = parse_value(0);
    skip_ws();
    if (pos_ != s_.size()) fail("unexpected data after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { fail_at(pos_, what); }

  [[noreturn]] void fail_at(std::size_t at, const std::string& what) const {
    std::size_t line = 1;
    std::size_t col = 1;
    for (std::size_t i = 0; i < at && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw io_error("bitsieve::io::parse_json: " + what + " at line " + std::to_string(line) +
                   ", column " + std::to_string(col));
  }

  [[nodiscard]] bool at_end() const noexcept { return pos_ >= s_.size(); }
  [[nodiscard]] char peek() const noexcept { return at_end() ? '\0' : s_[pos_]; }

  void skip_ws() noexcept {
    while (!at_end()) {
      const char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos_;
      } else {
        break;
      }
    }
  }

  static std::string describe(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) return std::string("'") + c + "'";
    static constexpr std::string_view hex = "0123456789abcdef";
    return std::string("byte 0x") + hex[u >> 4U] + hex[u & 15U];
  }

  void expect_literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) fail("invalid literal (expected '" + std::string(word) + "')");
    pos_ += word.size();
  }

  json_value parse_value(int depth) {  // NOLINT(misc-no-recursion): depth <= json_max_depth
    if (at_end()) fail("unexpected end of input (expected a value)");
    switch (peek()) {
      case '{': return parse_object(depth + 1);
      case '[': return parse_array(depth + 1);
      case '"': return {parse_string()};
      case 't': expect_literal("true"); return {true};
      case 'f': expect_literal("false"); return {false};
      case 'n': expect_literal("null"); return {nullptr};
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return {parse_number()};
        fail("unexpected " + describe(peek()) + " (expected a value)");
    }
  }

  void check_depth(int depth) const {
    if (depth > json_max_depth) {
      fail("nesting deeper than " + std::to_string(json_max_depth) + " levels");
    }
  }

  json_value parse_array(int depth) {  // NOLINT(misc-no-recursion): depth <= json_max_depth
    check_depth(depth);
    ++pos_;  // '['
    json_value::array_type items;
    skip_ws();
    if (peek() == ']') {
      ++pos_;
      return {std::move(items)};
    }
    for (;;) {
      skip_ws();
      items.push_back(parse_value(depth));
      skip_ws();
      if (at_end()) fail("unexpected end of input in an array (expected ',' or ']')");
      const char c = s_[pos_];
      if (c == ',') {
        ++pos_;
        skip_ws();
        if (peek() == ']') fail("trailing comma in an array");
        continue;
      }
      if (c == ']') {
        ++pos_;
        return {std::move(items)};
      }
      fail("unexpected " + describe(c) + " in an array (expected ',' or ']')");
    }
  }

  json_value parse_object(int depth) {  // NOLINT(misc-no-recursion): depth <= json_max_depth
    check_depth(depth);
    ++pos_;  // '{'
    json_value::object_type members;
    skip_ws();
    if (peek() == '}') {
      ++pos_;
      return {std::move(members)};
    }
    for (;;) {
      skip_ws();
      if (at_end()) fail("unexpected end of input in an object (expected a key)");
      if (peek() != '"') fail("unexpected " + describe(peek()) + " in an object (expected a string key)");
      const std::size_t key_pos = pos_;
      std::string key = parse_string();
      for (const auto& m : members) {
        if (m.first == key) fail_at(key_pos, "duplicate key \"" + key + "\"");
      }
      skip_ws();
      if (peek() != ':') {
        if (at_end()) fail("unexpected end of input in an object (expected ':')");
        fail("unexpected " + describe(peek()) + " after an object key (expected ':')");
      }
      ++pos_;
      skip_ws();
      json_value v = parse_value(depth);
      members.emplace_back(std::move(key), std::move(v));
      skip_ws();
      if (at_end()) fail("unexpected end of input in an object (expected ',' or '}')");
      const char c = s_[pos_];
      if (c == ',') {
        ++pos_;
        skip_ws();
        if (peek() == '}') fail("trailing comma in an object");
        continue;
      }
      if (c == '}') {
        ++pos_;
        return {std::move(members)};
      }
      fail("unexpected " + describe(c) + " in an object (expected ',' or '}')");
    }
  }

  unsigned read_hex4() {
    if (s_.size() - pos_ < 4) fail("truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_];
      unsigned d = 0;
      if (c >= '0' && c <= '9') {
        d = static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<unsigned>(c - 'A' + 10);
      } else {
        fail("invalid hex digit " + describe(c) + " in a \\u escape");
      }
      v = v * 16U + d;
      ++pos_;
    }
    return v;
  }

  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80U) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800U) {
      out.push_back(static_cast<char>(0xC0U | (cp >> 6U)));
      out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    } else if (cp < 0x10000U) {
      out.push_back(static_cast<char>(0xE0U | (cp >> 12U)));
      out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU)));
      out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    } else {
      out.push_back(static_cast<char>(0xF0U | (cp >> 18U)));
      out.push_back(static_cast<char>(0x80U | ((cp >> 12U) & 0x3FU)));
      out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU)));
      out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    }
  }

  /// Copies one UTF-8 encoded character (lead byte at pos_) to out, validating it (no overlong
  /// forms, no surrogates, nothing above U+10FFFF).
  void copy_utf8(std::string& out) {
    const auto b0 = static_cast<unsigned char>(s_[pos_]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
    if (b0 >= 0xC2U && b0 <= 0xDFU) {
      len = 2;
      cp = b0 & 0x1FU;
      min = 0x80U;
    } else if (b0 >= 0xE0U && b0 <= 0xEFU) {
      len = 3;
      cp = b0 & 0x0FU;
      min = 0x800U;
    } else if (b0 >= 0xF0U && b0 <= 0xF4U) {
      len = 4;
      cp = b0 & 0x07U;
      min = 0x10000U;
    } else {
      fail("invalid UTF-8 lead " + describe(static_cast<char>(b0)) + " in a string");
    }
    if (s_.size() - pos_ < len) fail("truncated UTF-8 sequence in a string");
    for (std::size_t i = 1; i < len; ++i) {
      const auto b = static_cast<unsigned char>(s_[pos_ + i]);
      if ((b & 0xC0U) != 0x80U) fail("invalid UTF-8 continuation byte in a string");
      cp = (cp << 6U) | (b & 0x3FU);
    }
    if (cp < min || cp > 0x10FFFFU || (cp >= 0xD800U && cp <= 0xDFFFU)) {
      fail("invalid UTF-8 sequence in a string");
    }
    out.append(s_.substr(pos_, len));
    pos_ += len;
  }

  std::string parse_string() {
    ++pos_;  // opening quote
    std::string out;
    for (;;) {
      if (at_end()) fail("unterminated string");
      const char c = s_[pos_];
      const auto u = static_cast<unsigned char>(c);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (u < 0x20U) fail("unescaped control character " + describe(c) + " in a string");
      if (u >= 0x80U) {
        copy_utf8(out);
        continue;
      }
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      ++pos_;  // backslash
      if (at_end()) fail("unterminated escape in a string");
      const char e = s_[pos_];
      ++pos_;
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          const std::size_t esc_pos = pos_ - 2;
          std::uint32_t cp = read_hex4();
          if (cp >= 0xDC00U && cp <= 0xDFFFU) fail_at(esc_pos, "lone low surrogate in a \\u escape");
          if (cp >= 0xD800U && cp <= 0xDBFFU) {
            if (s_.substr(pos_, 2) != "\\u") fail_at(esc_pos, "high surrogate not followed by a low surrogate");
            pos_ += 2;
            const std::uint32_t lo = read_hex4();
            if (lo < 0xDC00U || lo > 0xDFFFU) fail_at(esc_pos, "high surrogate not followed by a low surrogate");
            cp = 0x10000U + ((cp - 0xD800U) << 10U) + (lo - 0xDC00U);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          pos_ -= 1;
          fail("invalid escape \\" + std::string(1, e) + " in a string");
      }
    }
  }

  static bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

  double parse_number() {
    const std::size_t start = pos_;
    if (peek() == '-') ++pos_;
    if (!is_digit(peek())) fail("invalid number (expected a digit)");
    if (peek() == '0') {
      ++pos_;
      if (is_digit(peek())) fail_at(start, "invalid number (leading zero)");
    } else {
      while (is_digit(peek())) ++pos_;
    }
    if (peek() == '.') {
      ++pos_;
      if (!is_digit(peek())) fail("invalid number (expected a digit after '.')");
      while (is_digit(peek())) ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!is_digit(peek())) fail("invalid number (expected a digit in the exponent)");
      while (is_digit(peek())) ++pos_;
    }
    const std::string_view lexeme = s_.substr(start, pos_ - start);
    double x = 0.0;
    const auto r = std::from_chars(lexeme.data(), lexeme.data() + lexeme.size(), x);
    if (r.ec == std::errc::result_out_of_range) {
      if (decimal_magnitude(lexeme) > 0) fail_at(start, "number " + std::string(lexeme) + " is out of the double range");
      return lexeme.front() == '-' ? -0.0 : 0.0;  // underflow: the nearest double is zero
    }
    if (r.ec != std::errc{} || r.ptr != lexeme.data() + lexeme.size()) {
      fail_at(start, "invalid number " + std::string(lexeme));
    }
    return x;
  }

  /// floor(log10|x|) + 1 of a valid JSON number lexeme (clamped), used only to tell overflow
  /// (> 0) from underflow (<= 0) when from_chars reports out-of-range.
  static long long decimal_magnitude(std::string_view t) {
    std::size_t i = 0;
    if (t[i] == '-') ++i;
    long long mag = 0;
    bool seen_nonzero = false;
    while (i < t.size() && is_digit(t[i])) {
      if (t[i] != '0') seen_nonzero = true;
      if (seen_nonzero) ++mag;
      ++i;
    }
    if (i < t.size() && t[i] == '.') {
      ++i;
      while (i < t.size() && is_digit(t[i])) {
        if (!seen_nonzero) {
          if (t[i] != '0') {
            seen_nonzero = true;
          } else {
            --mag;
          }
        }
        ++i;
      }
    }
    long long exp = 0;
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
      ++i;
      bool neg = false;
      if (t[i] == '+' || t[i] == '-') {
        neg = t[i] == '-';
        ++i;
      }
      while (i < t.size()) {
        if (exp < 1000000000LL) exp = exp * 10 + (t[i] - '0');
        ++i;
      }
      if (neg) exp = -exp;
    }
    return mag + exp;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

inline void write_json_string(std::string& out, std::string_view s) {
  static constexpr std::string_view hex = "0123456789abcdef";
  out.push_back('"');
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20U) {
          out += "\\u00";
          out.push_back(hex[u >> 4U]);
          out.push_back(hex[u & 15U]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

inline void newline_indent(std::string& out, int indent, int level) {
  if (indent < 0) return;
  out.push_back('\n');
  out.append(static_cast<std::size_t>(indent) * static_cast<std::size_t>(level), ' ');
}

// NOLINTNEXTLINE(misc-no-recursion): depth of a value built by parse_json or by hand
inline void write_json(std::string& out, const json_value& v, int indent, int level) {
  switch (v.type()) {
    case json_value::kind::null: out += "null"; return;
    case json_value::kind::boolean: out += v.as_bool() ? "true" : "false"; return;
    case json_value::kind::number: {
      const double x = v.as_number();
      if (!std::isfinite(x)) {
        throw io_error("bitsieve::io::to_json: non-finite number " + std::to_string(x) +
                       " cannot be written as JSON");
      }
      out += json_value::format_number(x);
      return;
    }
    case json_value::kind::string: write_json_string(out, v.as_string()); return;
    case json_value::kind::array: {
      const auto& a = v.as_array();
      out.push_back('[');
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (i != 0) out.push_back(',');
        newline_indent(out, indent, level + 1);
        write_json(out, a[i], indent, level + 1);
      }
      if (!a.empty()) newline_indent(out, indent, level);
      out.push_back(']');
      return;
    }
    case json_value::kind::object: {
      const auto& o = v.as_object();
      out.push_back('{');
      for (std::size_t i = 0; i < o.size(); ++i) {
        if (i != 0) out.push_back(',');
        newline_indent(out, indent, level + 1);
        write_json_string(out, o[i].first);
        out += indent < 0 ? ":" : ": ";
        write_json(out, o[i].second, indent, level + 1);
      }
      if (!o.empty()) newline_indent(out, indent, level);
      out.push_back('}');
      return;
    }
  }
}

}  // namespace detail

/// Parses one JSON document (RFC 8259, strict; see the file comment).
/// Throws io_error "bitsieve::io::parse_json: <what> at line L, column C" on malformed input or
/// nesting deeper than `json_max_depth`.
[[nodiscard]] inline json_value parse_json(std::string_view text) {
  return detail::json_parser(text).parse_document();
}

/// Reads and parses a JSON file. io_error (naming the path) if it cannot be read or parsed.
[[nodiscard]] inline json_value read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error("bitsieve::io::read_json_file: cannot open \"" + path + "\"");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw io_error("bitsieve::io::read_json_file: error reading \"" + path + "\"");
  try {
    return parse_json(text);
  } catch (const io_error& e) {
    throw io_error("bitsieve::io::read_json_file: \"" + path + "\": " + e.what());
  }
}

/// Writes `v` as JSON text. indent < 0: compact, no whitespace. indent >= 0: one element or member
/// per line, nested levels indented by `indent` spaces. Numbers are written with the shortest
/// digits that read back as the same double; strings are escaped (control characters as \u00XX,
/// other UTF-8 passed through). Throws io_error for a NaN or infinite number.
[[nodiscard]] inline std::string to_json(const json_value& v, int indent = -1) {
  std::string out;
  detail::write_json(out, v, indent, 0);
  return out;
}

}  // namespace bitsieve::io
