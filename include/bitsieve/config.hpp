// SPDX-License-Identifier: Apache-2.0
/// \file config.hpp
/// The one place for bitsieve's feature macros and the internal-invariant assert.
///
/// BITSIEVE_ASSERT(cond, msg) checks an internal invariant (never user input: user input is
/// always checked and reported with an exception, independent of NDEBUG). It is on unless NDEBUG
/// is defined; define BITSIEVE_ASSERT yourself before including bitsieve to route it elsewhere.
#pragma once

#include <cstdio>
#include <cstdlib>

#include "bitsieve/version.hpp"

#ifndef BITSIEVE_ASSERT
#ifdef NDEBUG
#define BITSIEVE_ASSERT(cond, msg) static_cast<void>(0)
#else
#define BITSIEVE_ASSERT(cond, msg)                                                          \
  ((cond) ? static_cast<void>(0)                                                            \
          : (std::fprintf(stderr, "bitsieve: internal invariant failed: %s (%s:%d): %s\n", \
                          #cond, __FILE__, __LINE__, msg),                                  \
             std::abort()))
#endif
#endif

/// BITSIEVE_HAS_AVX2 is 1 when the translation unit is compiled with AVX2 enabled (-mavx2 or
/// -march=native on an AVX2 machine); the kernel then uses its AVX2 plane scorer. Define it to 0
/// to force the portable scalar path.
#ifndef BITSIEVE_HAS_AVX2
#if defined(__AVX2__)
#define BITSIEVE_HAS_AVX2 1
#else
#define BITSIEVE_HAS_AVX2 0
#endif
#endif

namespace bitsieve::detail {
/// For static_assert in a primary template that must never be instantiated (GCC 12 and Clang 14
/// reject a bare static_assert(false) there).
template <class...>
inline constexpr bool always_false = false;
}  // namespace bitsieve::detail
