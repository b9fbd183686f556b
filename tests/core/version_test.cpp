// SPDX-License-Identifier: Apache-2.0
// BITSIEVE_VERSION_* (version.hpp) must equal project(VERSION) in CMakeLists.txt. The build passes
// CMake's numbers in as BITSIEVE_CMAKE_VERSION_{MAJOR,MINOR,PATCH} and BITSIEVE_CMAKE_VERSION.
#include <bitsieve/version.hpp>

#include <string>

#include <doctest/doctest.h>

#if !defined(BITSIEVE_CMAKE_VERSION_MAJOR) || !defined(BITSIEVE_CMAKE_VERSION_MINOR) || \
    !defined(BITSIEVE_CMAKE_VERSION_PATCH) || !defined(BITSIEVE_CMAKE_VERSION)
#error "tests/CMakeLists.txt must pass BITSIEVE_CMAKE_VERSION_{MAJOR,MINOR,PATCH} and BITSIEVE_CMAKE_VERSION"
#endif

TEST_SUITE("core") {
  TEST_CASE("core/version: BITSIEVE_VERSION_* equal CMake's project(VERSION)") {
    CHECK(BITSIEVE_VERSION_MAJOR == BITSIEVE_CMAKE_VERSION_MAJOR);
    CHECK(BITSIEVE_VERSION_MINOR == BITSIEVE_CMAKE_VERSION_MINOR);
    CHECK(BITSIEVE_VERSION_PATCH == BITSIEVE_CMAKE_VERSION_PATCH);
    // The full string, so a version with a 4th component or a typo in CMake is caught as well.
    const std::string from_header = std::to_string(BITSIEVE_VERSION_MAJOR) + "." +
                                    std::to_string(BITSIEVE_VERSION_MINOR) + "." +
                                    std::to_string(BITSIEVE_VERSION_PATCH);
    CHECK(from_header == std::string(BITSIEVE_CMAKE_VERSION));
  }

  TEST_CASE("core/version: the constexpr ints mirror the macros") {
    static_assert(bitsieve::version_major == BITSIEVE_VERSION_MAJOR);
    static_assert(bitsieve::version_minor == BITSIEVE_VERSION_MINOR);
    static_assert(bitsieve::version_patch == BITSIEVE_VERSION_PATCH);
    CHECK(bitsieve::version_major == BITSIEVE_CMAKE_VERSION_MAJOR);
    CHECK(bitsieve::version_minor == BITSIEVE_CMAKE_VERSION_MINOR);
    CHECK(bitsieve::version_patch == BITSIEVE_CMAKE_VERSION_PATCH);
  }
}
