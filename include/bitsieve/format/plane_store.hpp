// SPDX-License-Identifier: Apache-2.0
/// \file format/plane_store.hpp
/// `plane_store<F>`: quantized keys kept plane-major in blocks of `block_tokens` = 32 tokens, so
/// that one plane of one block is contiguous and a block's later planes are never touched once
/// every key in it is dropped (DESIGN.md §3, "Storage and granularity").
///
/// Layout. Keys are grouped in blocks of 32 tokens (the last block is zero-padded). Dimensions
/// are grouped in `dim_groups` = ceil(head_dim / 8) groups of 8 (the last group zero-padded).
/// Block b, plane r (r-th read, MSB first), dimension group g occupies 32 consecutive bytes:
///
///     byte t (token t of the block) = nibble(dims 8g .. 8g+3) | nibble(dims 8g+4 .. 8g+7) << 4
///
/// where bit i of a nibble is plane r's bit of that token's element at dimension (first dim + i).
/// So a plane of a block is `plane_bytes` = 32 * dim_groups contiguous bytes (d = 64: 256 bytes,
/// 4 cache lines). Planes are the outer dimension: plane r of every block lies in one contiguous
/// run, blocks in token order, so a lock-step round that reads plane r of the live blocks walks
/// memory forward (the hardware prefetcher follows it) and skips the dropped blocks' bytes:
///
///     offset(b, r, g) = (r * capacity_blocks + b) * plane_bytes + g * 32     // (planes, blocks, groups, 32)
///
/// `capacity_blocks` grows geometrically (x2, like std::vector; `reserve` fixes it up front), and
/// growing moves each plane's run to its new place, so appends cost amortised O(1) per key.
///
/// This is the token-interleaved layout of T-MAC-style table-lookup scoring: per 4-dimension
/// group a 16-entry table of partial sums of q is indexed by the nibble, 32 tokens per AVX2
/// register. Padding elements are 0 in every format, so they contribute nothing.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "bitsieve/core/error.hpp"
#include "bitsieve/detail/aligned_allocator.hpp"
#include "bitsieve/format/concept.hpp"
#include "bitsieve/margin/exact.hpp"

namespace bitsieve {

template <BitPlaneFormat F>
class plane_store {
 public:
  using format_type = F;
  static constexpr std::size_t block_tokens = 32;
  static constexpr int planes = F::planes;

  /// An empty store for keys of `head_dim` elements. Throws invalid_argument when head_dim is 0
  /// or above max_head_dim.
  explicit plane_store(std::size_t head_dim) : head_dim_(head_dim), dim_groups_((head_dim + 7) / 8) {
    if (head_dim == 0 || head_dim > max_head_dim) {
      throw invalid_argument("bitsieve::plane_store: head_dim must be in 1.." + std::to_string(max_head_dim) +
                             ", got " + std::to_string(head_dim));
    }
  }

  [[nodiscard]] std::size_t head_dim() const noexcept { return head_dim_; }
  [[nodiscard]] std::size_t dim_groups() const noexcept { return dim_groups_; }
  [[nodiscard]] std::size_t size() const noexcept { return tokens_; }
  [[nodiscard]] bool empty() const noexcept { return tokens_ == 0; }
  [[nodiscard]] std::size_t blocks() const noexcept { return (tokens_ + block_tokens - 1) / block_tokens; }
  /// Bytes of one plane of one block (32 * dim_groups).
  [[nodiscard]] std::size_t plane_bytes() const noexcept { return block_tokens * dim_groups_; }
  /// Tokens actually present in block `b` (32 except possibly the last).
  [[nodiscard]] std::size_t tokens_in_block(std::size_t b) const noexcept {
    return std::min(block_tokens, tokens_ - b * block_tokens);
  }

  /// The contiguous bytes of plane r of block b (see the layout in the file comment).
  [[nodiscard]] const std::uint8_t* plane_data(std::size_t b, int r) const noexcept {
    return data_.data() + (static_cast<std::size_t>(r) * cap_blocks_ + b) * plane_bytes();
  }
  /// Bytes from plane r of a block to plane r + 1 of the same block (capacity_blocks * plane_bytes).
  [[nodiscard]] std::size_t plane_stride() const noexcept { return cap_blocks_ * plane_bytes(); }
  /// Blocks the storage holds before it must grow.
  [[nodiscard]] std::size_t capacity_blocks() const noexcept { return cap_blocks_; }

  /// Makes room for `tokens` keys in all, so appends up to that size do not move the planes.
  void reserve(std::size_t tokens) { grow_to((tokens + block_tokens - 1) / block_tokens); }

  /// Appends `n` keys given as integers, row-major (n, head_dim). Throws invalid_argument when
  /// the size is not a multiple of head_dim or a value lies outside [F::min_value, F::max_value].
  void append(std::span<const std::int32_t> keys) {
    if (keys.size() % head_dim_ != 0) {
      throw invalid_argument("bitsieve::plane_store::append: " + std::to_string(keys.size()) +
                             " integers is not a whole number of keys of head_dim " + std::to_string(head_dim_));
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] < F::min_value || keys[i] > F::max_value) {
        throw invalid_argument("bitsieve::plane_store::append: keys[" + std::to_string(i) + "] = " +
                               std::to_string(keys[i]) + " does not fit " + std::to_string(F::bits) + " bits");
      }
    }
    const std::size_t n = keys.size() / head_dim_;
    const std::size_t need = (tokens_ + n + block_tokens - 1) / block_tokens;
    if (need > cap_blocks_) grow_to(std::max(need, 2 * cap_blocks_));
    for (std::size_t j = 0; j < n; ++j) set_key(tokens_ + j, keys.subspan(j * head_dim_, head_dim_));
    tokens_ += n;
  }

  /// The integer key `token` (composed back from its planes).
  [[nodiscard]] std::vector<std::int32_t> key(std::size_t token) const {
    if (token >= tokens_) {
      throw invalid_argument("bitsieve::plane_store::key: token " + std::to_string(token) + " >= size " +
                             std::to_string(tokens_));
    }
    std::vector<std::int32_t> k(head_dim_);
    for (std::size_t i = 0; i < head_dim_; ++i) {
      std::array<std::uint8_t, F::planes> bits{};
      for (int r = 0; r < planes; ++r) bits[static_cast<std::size_t>(r)] = static_cast<std::uint8_t>(bit(token, r, i));
      k[i] = F::compose(bits);
    }
    return k;
  }

  /// Bit of plane r of element `dim` of key `token`.
  [[nodiscard]] std::uint32_t bit(std::size_t token, int r, std::size_t dim) const noexcept {
    const std::uint8_t byte = plane_data(token / block_tokens, r)[(dim / 8) * block_tokens + token % block_tokens];
    return (byte >> (dim % 8)) & 1U;
  }

  /// Bytes held (all planes of the capacity's blocks, padding included).
  [[nodiscard]] std::size_t bytes() const noexcept { return data_.size(); }

 private:
  void set_key(std::size_t token, std::span<const std::int32_t> k) {
    const std::size_t b = token / block_tokens;
    const std::size_t t = token % block_tokens;
    for (int r = 0; r < planes; ++r) {
      std::uint8_t* plane = data_.data() + (static_cast<std::size_t>(r) * cap_blocks_ + b) * plane_bytes();
      for (std::size_t i = 0; i < head_dim_; ++i) {
        const auto v = static_cast<std::uint8_t>(F::bit(k[i], r) << (i % 8));
        plane[(i / 8) * block_tokens + t] |= v;
      }
    }
  }

  /// Moves the planes to storage for `blocks` blocks (no-op when that is not more).
  void grow_to(std::size_t blocks) {
    if (blocks <= cap_blocks_) return;
    std::vector<std::uint8_t, detail::aligned_allocator<std::uint8_t>> next(blocks * planes * plane_bytes(), 0);
    const std::size_t used = ((tokens_ + block_tokens - 1) / block_tokens) * plane_bytes();
    for (int r = 0; r < planes; ++r) {
      const auto ru = static_cast<std::size_t>(r);
      std::copy_n(data_.data() + ru * cap_blocks_ * plane_bytes(), used, next.data() + ru * blocks * plane_bytes());
    }
    data_ = std::move(next);
    cap_blocks_ = blocks;
  }

  std::size_t head_dim_;
  std::size_t dim_groups_;
  std::size_t tokens_ = 0;
  std::size_t cap_blocks_ = 0;
  std::vector<std::uint8_t, detail::aligned_allocator<std::uint8_t>> data_;  // 64-byte aligned (planes, capacity blocks, dim_groups, 32)
};

}  // namespace bitsieve
