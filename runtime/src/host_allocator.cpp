#include "kiln/runtime/host_allocator.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace kiln::runtime {

struct HostAllocator::Impl {
  mutable std::mutex mu;
  size_t limit;
  // Freed blocks by size class: newest at the back (reused first), oldest at the front.
  std::map<size_t, std::deque<void*>> bins;
  HostAllocatorStats stats;

  /// Releases cached blocks, largest class first and oldest first, until at most `keep` bytes
  /// stay cached. Holds mu.
  void trim(size_t keep) {
    while (static_cast<size_t>(stats.bytes_cached) > keep && !bins.empty()) {
      auto it = std::prev(bins.end());
      std::free(it->second.front());
      it->second.pop_front();
      stats.bytes_cached -= static_cast<int64_t>(it->first);
      ++stats.blocks_released;
      if (it->second.empty()) bins.erase(it);
    }
  }
};

HostAllocator::HostAllocator(size_t cache_limit) : impl_(std::make_unique<Impl>()) {
  impl_->limit = cache_limit;
}

HostAllocator::~HostAllocator() { empty_cache(); }

HostAllocator& HostAllocator::instance() {
  static HostAllocator* a = [] {
    size_t limit = kDefaultCacheBytes;
    if (const char* v = std::getenv("KILN_HOST_CACHE_BYTES"); v != nullptr && *v != '\0') {
      char* end = nullptr;
      errno = 0;
      unsigned long long n = std::strtoull(v, &end, 10);
      if (errno == 0 && end != v && *end == '\0') limit = static_cast<size_t>(n);
    }
    return new HostAllocator(limit);
  }();
  return *a;
}

namespace {

// Blocks from 4 MiB on are placed on 2 MiB boundaries and offered to transparent huge pages:
// a streaming kernel then crosses a TLB entry every 2 MiB instead of every 4 KiB, and a fresh
// block faults once per 2 MiB (zeroing it) instead of once per 4 KiB page (about 11 us each
// here). kiln-bench, 4 interleaved rounds: copy 5.91 / 5.69 / 5.87 / 5.85 -> 5.50 / 5.48 /
// 5.57 / 5.62 ms, elementwise_chain 8.64 / 8.49 / 8.45 / 8.29 -> 8.06 / 8.04 / 8.27 / 8.04 ms.
constexpr size_t kHugeFrom = size_t{4} << 20, kHugePage = size_t{2} << 20;

void* allocate_block(size_t cls) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (cls >= kHugeFrom) {
    void* p = std::aligned_alloc(kHugePage, cls);        // cls: whole huge pages (size_class)
    if (p != nullptr) ::madvise(p, cls, MADV_HUGEPAGE);  // advice only: failure changes nothing
    return p;
  }
#endif
  return std::aligned_alloc(HostAllocator::kAlignment, cls);
}

}  // namespace

size_t HostAllocator::size_class(size_t bytes) {
  if (bytes <= 4096) return bytes == 0 ? 64 : (bytes + 63) / 64 * 64;
  if (bytes > (SIZE_MAX >> 2)) return (bytes + 63) / 64 * 64;
  // 2^k < bytes <= 2^(k+1); four classes per doubling, steps of 2^k / 4 (>= 1 KiB).
  size_t pow = size_t{1} << (63 - __builtin_clzll(static_cast<unsigned long long>(bytes - 1)));
  size_t step = pow / 4;
  size_t cls = (bytes + step - 1) / step * step;
  // A huge-page block (allocate_block) is whole 2 MiB pages: its class is its real size.
  if (cls >= kHugeFrom) cls = (cls + kHugePage - 1) / kHugePage * kHugePage;
  return cls;
}

void* HostAllocator::allocate(size_t bytes) {
  if (bytes > (SIZE_MAX >> 2)) return nullptr;  // no such block (and its class would wrap)
  size_t cls = size_class(bytes);
  Impl& s = *impl_;
  {
    std::lock_guard<std::mutex> lk(s.mu);
    ++s.stats.allocations;
    auto it = s.bins.find(cls);
    if (it != s.bins.end()) {
      void* p = it->second.back();
      it->second.pop_back();
      if (it->second.empty()) s.bins.erase(it);
      ++s.stats.cache_hits;
      s.stats.bytes_cached -= static_cast<int64_t>(cls);
      s.stats.bytes_in_use += static_cast<int64_t>(cls);
      s.stats.peak_bytes_in_use = std::max(s.stats.peak_bytes_in_use, s.stats.bytes_in_use);
      return p;
    }
  }
  void* p = allocate_block(cls);
  if (p == nullptr) {
    empty_cache();
    p = allocate_block(cls);
    if (p == nullptr) return nullptr;
  }
  std::lock_guard<std::mutex> lk(s.mu);
  s.stats.bytes_in_use += static_cast<int64_t>(cls);
  s.stats.peak_bytes_in_use = std::max(s.stats.peak_bytes_in_use, s.stats.bytes_in_use);
  return p;
}

void HostAllocator::deallocate(void* p, size_t bytes) {
  if (p == nullptr) return;
  size_t cls = size_class(bytes);
  Impl& s = *impl_;
  std::lock_guard<std::mutex> lk(s.mu);
  s.stats.bytes_in_use -= static_cast<int64_t>(cls);
  if (cls > s.limit) {
    std::free(p);
    ++s.stats.blocks_released;
    return;
  }
  s.bins[cls].push_back(p);
  s.stats.bytes_cached += static_cast<int64_t>(cls);
  s.trim(s.limit);
}

void HostAllocator::empty_cache() {
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->trim(0);
}

HostAllocatorStats HostAllocator::stats() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->stats;
}

void HostAllocator::reset_peak() {
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->stats.peak_bytes_in_use = impl_->stats.bytes_in_use;
}

size_t HostAllocator::cache_limit() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->limit;
}

void HostAllocator::set_cache_limit(size_t bytes) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  impl_->limit = bytes;
  impl_->trim(bytes);
}

HostAllocatorStats host_allocator_stats() { return HostAllocator::instance().stats(); }

void empty_host_cache() { HostAllocator::instance().empty_cache(); }

}  // namespace kiln::runtime
