// SPDX-License-Identifier: Apache-2.0
/// \file bitsieve.hpp
/// Umbrella header: every public part of bitsieve.
#pragma once

#include "bitsieve/config.hpp"
#include "bitsieve/version.hpp"
#include "bitsieve/core/error.hpp"
#include "bitsieve/core/interval.hpp"
#include "bitsieve/core/quantize.hpp"
#include "bitsieve/format/concept.hpp"
#include "bitsieve/format/twos_complement.hpp"
#include "bitsieve/format/sign_magnitude.hpp"
#include "bitsieve/format/plane_store.hpp"
#include "bitsieve/margin/concept.hpp"
#include "bitsieve/margin/exact.hpp"
#include "bitsieve/kernel/stats.hpp"
#include "bitsieve/io/json.hpp"
