#include "kiln/runtime/cuda/allocator.h"

#include <algorithm>
#include <memory>
#include <string>

#include "kiln/runtime/cuda/copy_stream.h"
#include "kiln/runtime/cuda/driver.h"
#include "kiln/runtime/error.h"

namespace kiln::runtime::cuda {

DeviceAllocator& DeviceAllocator::instance(int device) {
  static std::mutex mu;
  static std::vector<DeviceAllocator*> all;  // never destroyed: buffers may outlive statics
  std::lock_guard<std::mutex> lock(mu);
  if (device < 0 || device >= device_count()) {
    throw DeviceError("[cuda] device cuda:" + std::to_string(device) + " is not available");
  }
  if (all.empty()) all.resize(static_cast<size_t>(device_count()), nullptr);
  DeviceAllocator*& a = all[static_cast<size_t>(device)];
  if (a == nullptr) a = new DeviceAllocator(device);
  return *a;
}

size_t DeviceAllocator::size_class(size_t bytes) {
  constexpr size_t kSmall = 512, kLarge = size_t{2} << 20, kSmallLimit = size_t{1} << 20;
  if (bytes == 0) return kSmall;
  if (bytes <= kSmallLimit) return (bytes + kSmall - 1) / kSmall * kSmall;
  return (bytes + kLarge - 1) / kLarge * kLarge;
}

void* DeviceAllocator::take_copy_block_locked(size_t cls) {
  for (auto it = copy_bins_.begin(); it != copy_bins_.end(); ++it) {
    if (it->size_class == cls && it->freed->done()) {
      void* p = it->block;
      copy_bins_.erase(it);
      return p;
    }
  }
  return nullptr;
}

void* DeviceAllocator::allocate(size_t bytes, Stream stream) {
  size_t cls = size_class(bytes);
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.allocations;
  void* p = nullptr;
  if (stream == Stream::Copy) {
    p = take_copy_block_locked(cls);
  } else if (auto it = bins_.find(cls); it != bins_.end() && !it->second.empty()) {
    p = *it->second.begin();  // the lowest address (see allocator.h)
    it->second.erase(it->second.begin());
  }
  if (p != nullptr) {
    stats_.bytes_cached -= static_cast<int64_t>(cls);
    ++stats_.cache_hits;
  } else {
    p = raw_malloc(cls, device_);
    if (p == nullptr) {
      release_cached_locked();
      p = raw_malloc(cls, device_);
    }
    if (p == nullptr) {
      int64_t free_bytes = 0, total = 0;
      memory_info(device_, &free_bytes, &total);
      throw OutOfMemoryError("[cuda] out of memory on cuda:" + std::to_string(device_) +
                             " allocating " + std::to_string(bytes) + " bytes (" +
                             std::to_string(free_bytes) + " of " + std::to_string(total) +
                             " bytes free, " + std::to_string(stats_.bytes_in_use) +
                             " in use by kiln)");
    }
    ++stats_.device_allocations;
  }
  stats_.bytes_in_use += static_cast<int64_t>(cls);
  stats_.peak_bytes_in_use = std::max(stats_.peak_bytes_in_use, stats_.bytes_in_use);
  return p;
}

void DeviceAllocator::deallocate(void* p, size_t bytes, Stream stream) {
  if (p == nullptr) return;
  size_t cls = size_class(bytes);
  std::lock_guard<std::mutex> lock(mu_);
  stats_.bytes_in_use -= static_cast<int64_t>(cls);
  if (stream == Stream::Compute) {
    bool fresh = bins_[cls].insert(p).second;
    KILN_CHECK(fresh, "DeviceAllocator: a block freed twice");
  } else {
    try {
      auto freed = std::make_shared<Event>(device_);
      freed->record(cuda::stream(device_));
      copy_bins_.push_back({cls, p, std::move(freed)});
    } catch (...) {
      return;  // a failing driver (at exit): the block is dropped, never reused
    }
  }
  stats_.bytes_cached += static_cast<int64_t>(cls);
}

void DeviceAllocator::release_cached_locked() {
  // Queued kernels may still use blocks freed after they were queued: wait for them. The copy
  // blocks' fences are on the compute stream too, so they have completed after this.
  synchronize(device_);
  for (auto& [cls, blocks] : bins_) {
    for (void* b : blocks) raw_free(b, device_);
    stats_.bytes_cached -= static_cast<int64_t>(cls * blocks.size());
    blocks.clear();
  }
  bins_.clear();
  for (const Fenced& f : copy_bins_) {
    raw_free(f.block, device_);
    stats_.bytes_cached -= static_cast<int64_t>(f.size_class);
  }
  copy_bins_.clear();
}

void DeviceAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mu_);
  release_cached_locked();
}

AllocatorStats DeviceAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void DeviceAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.peak_bytes_in_use = stats_.bytes_in_use;
}

void empty_cache() {
  for (int d = 0; d < device_count(); ++d) DeviceAllocator::instance(d).empty_cache();
}

}  // namespace kiln::runtime::cuda
