// SPDX-License-Identifier: Apache-2.0
/// \file core/error.hpp
/// bitsieve's error types, the noexcept `status` and the value-or-error `result<T>`.
///
/// Every public entry point validates its run-time input, always (independent of NDEBUG), and
/// throws one of these with a message that names the function, the argument and the bad value:
/// - `bitsieve::invalid_argument` (a std::invalid_argument): shape mismatch, empty input, a
///   parameter out of range;
/// - `bitsieve::domain_error` (a std::domain_error): NaN or Inf in an input tensor;
/// - `bitsieve::io_error` (a std::runtime_error): a file that cannot be read, a malformed .npy.
/// The `check(...)` functions beside the throwing ones return a `status` instead.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace bitsieve {

/// Bad shape, empty input, or a parameter out of its range.
class invalid_argument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// A non-finite value (NaN, +-Inf) where a finite number is required.
class domain_error : public std::domain_error {
 public:
  using std::domain_error::domain_error;
};

/// A file that cannot be opened or parsed (missing, truncated, malformed or lying header).
class io_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The outcome of a validation: ok, or the reason it failed. Never throws.
struct status {
  bool passed = true;    ///< true: valid
  std::string message;  ///< why not (empty when passed)

  [[nodiscard]] bool ok() const noexcept { return passed; }
  explicit operator bool() const noexcept { return passed; }
  [[nodiscard]] static status success() { return {}; }
  [[nodiscard]] static status failure(std::string why) { return {false, std::move(why)}; }
};

/// A value or the reason there is none; shaped like std::expected (C++23) so it can become an
/// alias later. `value()` throws bitsieve::invalid_argument carrying the reason when empty.
template <class T>
class result {
 public:
  result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  result(status failed) : v_(std::move(failed)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  [[nodiscard]] const T& value() const& {
    if (!has_value()) throw invalid_argument(std::get<1>(v_).message);
    return std::get<0>(v_);
  }
  [[nodiscard]] T&& value() && {
    if (!has_value()) throw invalid_argument(std::get<1>(v_).message);
    return std::get<0>(std::move(v_));
  }
  [[nodiscard]] const std::string& error() const {
    static const std::string none;
    return has_value() ? none : std::get<1>(v_).message;
  }

 private:
  std::variant<T, status> v_;
};

}  // namespace bitsieve
