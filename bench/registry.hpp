// SPDX-License-Identifier: Apache-2.0
/// \file bench/registry.hpp
/// Registration entry points of the bitsieve-bench families (names are a contract: bench/run and
/// docs/bench.md parse them).
///
///     stream/read, stream/read/threads:2
///     score/<scalar|andpopcount|dispatch>/d:<64|128>
///     decode/<impl>/<real|llm_like>/<N>/<hot|cold>/threads:<T>
///     prefill/<dense_fp32_blas|bitsieve_lats>/llm_like/<N>
#pragma once

namespace bitsieve_bench {

void register_stream();
void register_score();
void register_decode();
void register_prefill();

}  // namespace bitsieve_bench
