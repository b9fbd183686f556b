// SPDX-License-Identifier: Apache-2.0
// Must NOT compile: a policy bundle whose format_policy does not model the format concept (here a
// margin policy in the format's place), used with the kernel. The bundle check at the kernel's
// entry must stop it with one readable message naming the member and the concept.
#include <bitsieve/kernel/sparse_attention.hpp>

struct wrong_format_bundle : bitsieve::default_policies {
  using format_policy = bitsieve::margin::exact;
};

int main() {
  const bitsieve::sparse_attention<wrong_format_bundle> kernel{};
  return sizeof(kernel) > 0 ? 0 : 1;
}
