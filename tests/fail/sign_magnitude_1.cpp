// SPDX-License-Identifier: Apache-2.0
// Must NOT compile: format::sign_magnitude<1> is outside 2..16 bits; the static_assert in
// format/sign_magnitude.hpp has to stop it with its message (tests/fail/CMakeLists.txt checks the text).
#include <bitsieve/format/sign_magnitude.hpp>

int main() {
  const bitsieve::format::sign_magnitude<1> f{};
  return f.bits;
}
