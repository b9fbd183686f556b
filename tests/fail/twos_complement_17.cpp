// SPDX-License-Identifier: Apache-2.0
// Must NOT compile: format::twos_complement<17> is outside 2..16 bits; the static_assert in
// format/twos_complement.hpp has to stop it with its message (tests/fail/CMakeLists.txt checks the text).
#include <bitsieve/format/twos_complement.hpp>

int main() {
  const bitsieve::format::twos_complement<17> f{};
  return f.bits;
}
