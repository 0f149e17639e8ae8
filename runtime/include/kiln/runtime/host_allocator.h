// The caching host allocator behind runtime::Buffer. Touching a fresh page costs about 11 us on
// these machines, and a program run allocates its outputs and temporaries anew each time, so
// freed blocks are kept and handed out again instead of going back to the C library.
//
// Sizes round up to a size class: multiples of 64 B up to 4 KiB, then four classes per power of
// two (2^k * 5/4, 6/4, 7/4, 8/4), so a block wastes under 25% (and its untouched tail costs no
// physical memory). A freed block goes to its class's bin; an allocation takes the most recently
// freed block of its exact class, or a new one from aligned_alloc. The bins hold at most
// $KILN_HOST_CACHE_BYTES (default 1 GiB; 0 caches nothing): past that, cached blocks are released
// largest class first, oldest first within a class. Every block is 64-byte aligned.
// Thread-safe (one mutex; allocations are per buffer, not per element).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace kiln::runtime {

struct HostAllocatorStats {
  int64_t bytes_in_use = 0;       ///< size-class bytes of live blocks
  int64_t bytes_cached = 0;       ///< bytes of freed blocks kept for reuse
  int64_t peak_bytes_in_use = 0;  ///< highest bytes_in_use since start or reset_peak()
  int64_t allocations = 0;        ///< allocate() calls
  int64_t cache_hits = 0;         ///< allocations served from the cache
  int64_t blocks_released = 0;    ///< cached blocks given back to the C library
};

class HostAllocator {
 public:
  static constexpr size_t kAlignment = 64;
  static constexpr size_t kDefaultCacheBytes = size_t{1} << 30;

  /// An allocator keeping at most `cache_limit` bytes of freed blocks.
  explicit HostAllocator(size_t cache_limit = kDefaultCacheBytes);
  /// Releases the cached blocks (live blocks stay the caller's to free).
  ~HostAllocator();
  HostAllocator(const HostAllocator&) = delete;
  HostAllocator& operator=(const HostAllocator&) = delete;

  /// The process-wide allocator; its bound comes from $KILN_HOST_CACHE_BYTES. Never destroyed,
  /// so buffers freed during static destruction are safe.
  static HostAllocator& instance();

  /// The size class `bytes` rounds up to (64 for 0): multiples of 64 up to 4 KiB, then four
  /// classes per doubling, and from 4 MiB on whole 2 MiB pages (such blocks use huge pages).
  static size_t size_class(size_t bytes);

  /// A 64-byte aligned block of at least `bytes` (2 MiB aligned from 4 MiB on), or nullptr when
  /// the host is out of memory (after releasing the cache and trying again).
  void* allocate(size_t bytes);
  /// Returns a block from allocate(bytes) with the same `bytes`. Null is ignored.
  void deallocate(void* p, size_t bytes);

  /// Gives every cached block back to the C library.
  void empty_cache();
  HostAllocatorStats stats() const;
  /// Sets peak_bytes_in_use to bytes_in_use.
  void reset_peak();
  size_t cache_limit() const;
  /// Changes the bound, releasing blocks beyond it now.
  void set_cache_limit(size_t bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The process-wide allocator's statistics.
HostAllocatorStats host_allocator_stats();
/// Empties the process-wide allocator's cache.
void empty_host_cache();

}  // namespace kiln::runtime
