// SPDX-License-Identifier: Apache-2.0
/// \file detail/aligned_allocator.hpp
/// `detail::aligned_allocator<T>`: the allocator of the key planes and value rows (internal; may
/// change without notice).
///
/// - Every block starts at a 64-byte boundary, so a block plane or a value row of whole cache lines
///   is fetched as exactly those lines.
/// - A block of at least `huge_page_min_bytes` (4 MiB) starts at a 2 MiB boundary and, on Linux, is
///   marked for transparent huge pages (madvise MADV_HUGEPAGE; a hint the kernel may ignore, e.g.
///   with THP set to "never"; it changes no result). The kernel reads a few lines of many 4 KB pages
///   per decode (a surviving key's value row, a live block's later planes): on 4 KB pages every
///   one of them is a TLB miss and a page walk. Huge pages made lats decode on llm_like 65536 about
///   25% faster on a Zen 5 virtual machine (docs/bench.md, 2026-12-03).
#pragma once

#include <cstddef>
#include <limits>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace bitsieve::detail {

/// Blocks of at least this many bytes are 2 MiB aligned and offered huge pages.
inline constexpr std::size_t huge_page_min_bytes = std::size_t{4} << 20;
/// Alignment of those blocks (the x86-64 huge page).
inline constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;

template <class T>
struct aligned_allocator {
  static constexpr std::size_t line = 64;
  static_assert(alignof(T) <= line, "bitsieve::detail::aligned_allocator: alignof(T) above 64 is not supported");
  using value_type = T;

  aligned_allocator() noexcept = default;
  template <class U>
  explicit aligned_allocator(const aligned_allocator<U>& /*other*/) noexcept {}

  /// The alignment of a block of n elements (also what deallocate must pass back).
  [[nodiscard]] static constexpr std::size_t alignment_for(std::size_t n) noexcept {
    return n * sizeof(T) >= huge_page_min_bytes ? huge_page_bytes : line;
  }

  [[nodiscard]] T* allocate(std::size_t n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_array_new_length();
    const std::size_t bytes = n * sizeof(T);
    void* p = ::operator new(bytes, std::align_val_t{alignment_for(n)});
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (bytes >= huge_page_min_bytes) (void)::madvise(p, bytes, MADV_HUGEPAGE);  // a hint: failure is harmless
#endif
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept { ::operator delete(p, std::align_val_t{alignment_for(n)}); }

  template <class U>
  friend bool operator==(const aligned_allocator& /*a*/, const aligned_allocator<U>& /*b*/) noexcept {
    return true;
  }
};

}  // namespace bitsieve::detail
