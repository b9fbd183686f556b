# The public headers of bitsieve, listed explicitly (no GLOB). Paths relative to include/.
# Add one line per new header; the header self-containment test compiles each on its own.
set(BITSIEVE_HEADERS
  bitsieve/bitsieve.hpp
  bitsieve/config.hpp
  bitsieve/version.hpp
  bitsieve/core/error.hpp
  bitsieve/core/interval.hpp
  bitsieve/core/quantize.hpp
  bitsieve/format/concept.hpp
  bitsieve/format/twos_complement.hpp
  bitsieve/format/sign_magnitude.hpp
  bitsieve/format/plane_store.hpp
  bitsieve/margin/concept.hpp
  bitsieve/margin/exact.hpp
  bitsieve/kernel/stats.hpp
  bitsieve/io/json.hpp
)
