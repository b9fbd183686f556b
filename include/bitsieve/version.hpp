// SPDX-License-Identifier: Apache-2.0
/// \file version.hpp
/// The library version; a test checks it against CMake's project(VERSION).
#pragma once

#define BITSIEVE_VERSION_MAJOR 0
#define BITSIEVE_VERSION_MINOR 1
#define BITSIEVE_VERSION_PATCH 0

namespace bitsieve {
inline constexpr int version_major = BITSIEVE_VERSION_MAJOR;
inline constexpr int version_minor = BITSIEVE_VERSION_MINOR;
inline constexpr int version_patch = BITSIEVE_VERSION_PATCH;
}  // namespace bitsieve
