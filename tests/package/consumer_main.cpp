// SPDX-License-Identifier: Apache-2.0
// The program both package consumers build (find_package and add_subdirectory): it uses the
// umbrella header as a user would and returns non-zero on any wrong result.
#include <bitsieve/bitsieve.hpp>

#include <cstdint>
#include <cstdio>
#include <span>
#include <vector>

namespace {
int failures = 0;

void expect(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "consumer: FAILED: %s\n", what);
    ++failures;
  }
}
}  // namespace

int main() {
  // The package's version (from CMake) must be the version the headers report.
  expect(bitsieve::version_major == BITSIEVE_CONSUMER_EXPECTED_MAJOR, "version_major matches the package");
  expect(bitsieve::version_minor == BITSIEVE_CONSUMER_EXPECTED_MINOR, "version_minor matches the package");
  expect(bitsieve::version_patch == BITSIEVE_CONSUMER_EXPECTED_PATCH, "version_patch matches the package");

  // 8 bits: qmax 127, scale = 1 / 127. 0.5 * 127 = 63.5 -> 64 and -63.5 -> -64 (ties to even).
  const std::vector<float> q{1.0F, -0.5F, 0.25F, 0.0F};
  const std::vector<float> k{-1.0F, 0.5F, 0.75F, -0.25F};
  const bitsieve::quantized qq = bitsieve::quantize(std::span<const float>(q), 8, "q");
  const bitsieve::quantized kq = bitsieve::quantize(std::span<const float>(k), 8, "k");
  expect(qq.values == std::vector<std::int32_t>{127, -64, 32, 0}, "quantize(q) at 8 bits");
  expect(kq.values == std::vector<std::int32_t>{-127, 64, 95, -32}, "quantize(k) at 8 bits");

  // score_bounds encloses the exact integer dot product after every plane and is exact at the end.
  using format = bitsieve::format::twos_complement<8>;
  std::int64_t dot = 0;
  for (std::size_t i = 0; i < qq.values.size(); ++i) dot += std::int64_t{qq.values[i]} * kq.values[i];
  expect(dot == -127 * 127 - 64 * 64 + 32 * 95, "integer dot product");
  std::int64_t previous_width = -1;
  for (int done = 0; done <= format::planes; ++done) {
    const bitsieve::interval iv = bitsieve::score_bounds<format>(qq.values, kq.values, done);
    expect(iv.contains(dot), "score_bounds encloses q . k");
    expect(previous_width < 0 || iv.width() <= previous_width, "score_bounds never widens");
    previous_width = iv.width();
  }
  expect(bitsieve::score_bounds<format>(qq.values, kq.values, format::planes) == bitsieve::interval{dot, dot},
         "score_bounds is exact once every plane is read");

  // A bad argument is an exception of bitsieve's own type, not undefined behaviour.
  bool threw = false;
  try {
    (void)bitsieve::quantize(std::span<const float>(q), 1, "q");
  } catch (const bitsieve::invalid_argument&) {
    threw = true;
  }
  expect(threw, "quantize rejects 1 bit with bitsieve::invalid_argument");

  if (failures == 0) std::printf("consumer: bitsieve %d.%d.%d works\n", bitsieve::version_major,
                                 bitsieve::version_minor, bitsieve::version_patch);
  return failures == 0 ? 0 : 1;
}
