// SPDX-License-Identifier: Apache-2.0
// Must NOT compile: plane_store<F> requires F to model the format concept, and `almost_format`
// does not (it opts in with the tag but has no compose()). The compiler must name the concept.
#include <bitsieve/format/plane_store.hpp>

#include <array>
#include <cstdint>

struct almost_format {
  using policy_category = bitsieve::format_policy_tag;
  static constexpr int bits = 4;
  static constexpr int planes = 4;
  static constexpr bool is_sign_magnitude = false;
  static constexpr std::int32_t min_value = -8;
  static constexpr std::int32_t max_value = 7;
  static constexpr std::uint32_t bit(std::int32_t, int) noexcept { return 0; }
  static constexpr std::array<std::uint8_t, 4> decompose(std::int32_t) noexcept { return {}; }
};

int main() {
  bitsieve::plane_store<almost_format> store(8);
  return static_cast<int>(store.size());
}
