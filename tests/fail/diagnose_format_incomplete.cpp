// SPDX-License-Identifier: Apache-2.0
// Must NOT compile: the readable format diagnosis reports an opted-in type with members missing.
#include <bitsieve/format/concept.hpp>

struct tag_only {
  using policy_category = bitsieve::format_policy_tag;
  static constexpr int bits = 8;
};

static_assert(bitsieve::detail::diagnose_format<tag_only>());

int main() { return 0; }
