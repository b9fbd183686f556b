// SPDX-License-Identifier: Apache-2.0
// Must NOT compile: the readable format diagnosis reports a type that never opted in.
#include <bitsieve/format/concept.hpp>

struct no_category {
  static constexpr int bits = 8;
};

static_assert(bitsieve::detail::diagnose_format<no_category>());

int main() { return 0; }
