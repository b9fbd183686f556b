// SPDX-License-Identifier: Apache-2.0
// 01: quantize a query and a key, split the key into bit-planes, and watch the exact interval of
// the score shrink plane by plane (MSB first) until it is the exact integer score.
#include <bitsieve/bitsieve.hpp>

#include <cstdio>
#include <vector>

int main() {
  using F = bitsieve::format::twos_complement<12>;
  const std::vector<float> qf{0.9F, -0.3F, 0.25F, -1.1F, 0.6F, 0.05F, -0.7F, 0.4F};
  const std::vector<float> kf{0.5F, 0.2F, -0.8F, -0.9F, 0.1F, 0.3F, -0.2F, 0.7F};
  const auto q = bitsieve::quantize(std::span<const float>(qf), 12, "query");
  const auto k = bitsieve::quantize(std::span<const float>(kf), F::bits, "key");
  const auto exact = bitsieve::partial_score<F>(q.values, k.values, F::planes);
  std::printf("12-bit query . key = %lld (logit %.6f)\n", static_cast<long long>(exact),
              static_cast<double>(exact) * q.scale * k.scale);
  for (int r = 0; r <= F::planes; ++r) {
    const auto iv = bitsieve::score_bounds<F>(q.values, k.values, r);
    std::printf("after %2d planes: [%9lld, %9lld]  width %lld\n", r, static_cast<long long>(iv.lo),
                static_cast<long long>(iv.hi), static_cast<long long>(iv.width()));
    if (!iv.contains(exact)) return 1;
  }
  return 0;
}
