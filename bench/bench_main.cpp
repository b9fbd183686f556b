// SPDX-License-Identifier: Apache-2.0
/// \file bench/bench_main.cpp
/// bitsieve-bench: registers every family (bench/registry.hpp), records the machine facts the
/// report needs in the JSON context, and runs Google Benchmark. OpenBLAS runs on one thread
/// unless a benchmark's name says otherwise (threads:<T>).
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <string>

#include "bitsieve/config.hpp"
#include "bitsieve/version.hpp"
#include "common.hpp"
#include "registry.hpp"

int main(int argc, char** argv) {
  openblas_set_num_threads(1);
  bitsieve_bench::register_stream();
  bitsieve_bench::register_score();
  bitsieve_bench::register_decode();
  bitsieve_bench::register_prefill();
  benchmark::AddCustomContext("llc_bytes", std::to_string(bitsieve_bench::llc_bytes()));
  benchmark::AddCustomContext("bitsieve_has_avx2", std::to_string(BITSIEVE_HAS_AVX2));
  benchmark::AddCustomContext("openblas_config", openblas_get_config());
#if defined(__clang__)
  benchmark::AddCustomContext("compiler", std::string("clang ") + __clang_version__);
#elif defined(__GNUC__)
  benchmark::AddCustomContext("compiler", std::string("gcc ") + __VERSION__);
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
