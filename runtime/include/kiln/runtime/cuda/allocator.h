// The caching device allocator behind CUDA buffers. cuMemAlloc and cuMemFree synchronise the
// device and cost tens of microseconds, and every program run allocates its outputs and
// temporaries, so freed blocks are kept in size-class bins and handed out again.
//
// Size classes: multiples of 512 B up to 1 MiB, then multiples of 2 MiB. A block is reused only
// for its exact class. Reuse is stream-ordered: kiln queues all work of a device on its one
// compute stream, so a block freed after queuing its last use may be handed to work queued later
// without waiting. When cuMemAlloc runs out of memory, the allocator waits for the device,
// frees every cached block and tries once more; then it throws OutOfMemoryError, and the process
// stays usable.
//
// A bin hands out its lowest-addressed block. Steps that allocate and free the same sizes in the
// same order then get the same addresses from one step to the next (or alternate between two
// sets, when a step's outputs are freed only after the next step allocated its own), which is
// what lets a compiled program replay its captured CUDA graph; a last-in-first-out bin would
// rotate same-sized buffers through new address sets and never replay.
//
// The copy stream (copy_stream.h) writes blocks that the compute stream then reads, so its blocks
// are a pool of their own (Stream::Copy): one freed is fenced by an event recorded on the compute
// stream at the time (after every use of it queued so far, the buffer's release included) and
// handed to the copy stream again only once that event has completed; until then a copy gets a
// block that is free or a fresh one. Compute blocks never go to the copy stream, nor copy blocks
// to the compute stream, so stream-ordered reuse stays exact within each pool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

namespace kiln::runtime::cuda {

class Event;

/// The stream that first writes a block: the device's compute stream or its copy stream.
enum class Stream { Compute, Copy };

struct AllocatorStats {
  int64_t bytes_in_use = 0;        ///< size-class bytes of live blocks
  int64_t bytes_cached = 0;        ///< bytes of freed blocks kept for reuse
  int64_t peak_bytes_in_use = 0;   ///< highest bytes_in_use since start or reset_peak()
  int64_t allocations = 0;         ///< allocate() calls
  int64_t cache_hits = 0;          ///< allocations served from the cache
  int64_t device_allocations = 0;  ///< cuMemAlloc calls
};

class DeviceAllocator {
 public:
  /// The allocator of `device` (created on first use, never destroyed).
  static DeviceAllocator& instance(int device);
  static size_t size_class(size_t bytes);

  /// A block of at least `bytes` (256-byte aligned) for work on `stream`, or throws
  /// OutOfMemoryError.
  void* allocate(size_t bytes, Stream stream = Stream::Compute);
  /// Returns a block from allocate(bytes, stream) with the same `bytes` and `stream`, once the
  /// work that uses it is queued (on the compute stream: a copy block's readers wait for its
  /// copy first). Never throws.
  void deallocate(void* p, size_t bytes, Stream stream = Stream::Compute);
  /// Waits for the device and frees every cached block.
  void empty_cache();
  AllocatorStats stats() const;
  void reset_peak();

 private:
  explicit DeviceAllocator(int device) : device_(device) {}
  void release_cached_locked();

  /// A freed copy-stream block and the compute-stream event that frees it for reuse.
  struct Fenced {
    size_t size_class;
    void* block;
    std::shared_ptr<Event> freed;
  };
  /// A cached copy-stream block of class `cls` whose fence has completed, or nullptr.
  void* take_copy_block_locked(size_t cls);

  int device_;
  mutable std::mutex mu_;
  std::map<size_t, std::set<void*>> bins_;  ///< free compute blocks by class
  std::vector<Fenced> copy_bins_;
  AllocatorStats stats_;
};

/// Frees the cached blocks of every device (kiln::cuda::empty_cache()).
void empty_cache();

}  // namespace kiln::runtime::cuda
