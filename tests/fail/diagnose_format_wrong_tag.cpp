// SPDX-License-Identifier: Apache-2.0
// Must NOT compile: the readable format diagnosis reports a type tagged for another policy family.
#include <bitsieve/format/concept.hpp>
#include <bitsieve/margin/concept.hpp>

struct margin_tagged {
  using policy_category = bitsieve::margin_policy_tag;
};

static_assert(bitsieve::detail::diagnose_format<margin_tagged>());

int main() { return 0; }
