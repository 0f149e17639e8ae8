// DataLoader: batches of a dataset, prepared ahead by worker threads.
//
// Epoch e visits the examples in a permutation drawn from (seed, e) (or in order without
// shuffle), cut into batches of batch_size (the last one shorter unless drop_last). Batch k is
// assembled in one host buffer (pinned when pin_memory and the device is CUDA) by whichever
// worker claims it; at most prefetch * max(1, num_workers) batches are ahead of the reader, and
// the reader receives them in order. Random transforms draw from (seed, epoch, example index),
// so the batches are the same for any num_workers. An exception thrown while preparing batch k
// is rethrown where the loop reads batch k.
//
// Each begin() starts an independent pass (the next epoch, with its own workers), as each
// iter(loader) does in PyTorch: a loop nested in another over the same loader, or an iterator
// kept from an earlier begin(), goes on unaffected. An epoch lives as long as an iterator of it
// (copies share it, as input iterators do); when the last one is destroyed its workers are
// stopped and joined, even mid-epoch, and even after the loader itself is gone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <utility>

#include "kiln/frontend/data/dataset.h"
#include "kiln/runtime/device.h"

namespace kiln::data {

/// Options in libtorch's style: `DataLoaderOptions().batch_size(128).shuffle(true)`.
class DataLoaderOptions {
 public:
  DataLoaderOptions() = default;
  /// libtorch's shorthand: `DataLoaderOptions(64)` is `DataLoaderOptions().batch_size(64)`.
  DataLoaderOptions(size_t batch_size) : batch_size_(batch_size) {}  // NOLINT: implicit as libtorch
#define KILN_LOADER_OPTION(type, name, initial) \
 public:                                        \
  DataLoaderOptions& name(type value) {         \
    name##_ = value;                            \
    return *this;                               \
  }                                             \
  type name() const { return name##_; }         \
                                                \
 private:                                       \
  type name##_ = initial;

  KILN_LOADER_OPTION(size_t, batch_size, 1)
  KILN_LOADER_OPTION(bool, shuffle, false)
  KILN_LOADER_OPTION(bool, drop_last, false)
  /// Worker threads; 0 prepares each batch in the reading thread when it is needed.
  KILN_LOADER_OPTION(size_t, num_workers, 0)
  /// Stage batches in page-locked memory (used when the device is CUDA).
  KILN_LOADER_OPTION(bool, pin_memory, false)
  /// Batches prepared ahead per worker.
  KILN_LOADER_OPTION(size_t, prefetch, 2)
  KILN_LOADER_OPTION(uint64_t, seed, 0)
  /// Where batches are delivered. Copies to a GPU from pinned staging run on the device's copy
  /// stream (runtime/cuda/copy_stream.h), overlapping queued compute; the first program that
  /// reads a batch waits for its copy on the GPU, not on the host.
  KILN_LOADER_OPTION(Device, device, Device(kCPU))
#undef KILN_LOADER_OPTION
};

namespace detail {
class Epoch;
}

class DataLoader {
 public:
  /// Throws ValueError for batch_size 0 or prefetch 0.
  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options = {});
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  /// Batches per epoch.
  size_t size() const;
  const DataLoaderOptions& options() const { return options_; }
  /// Epochs started so far (each begin() starts the next).
  uint64_t epoch() const { return epoch_; }

  /// An input iterator over one epoch's batches (std::input_iterator; its sentinel is
  /// std::default_sentinel, and a default-constructed Iterator is also at the end, as
  /// std::istream_iterator's is). Reading or advancing an iterator at the end throws IndexError.
  class Iterator {
   public:
    using iterator_concept = std::input_iterator_tag;
    using iterator_category = std::input_iterator_tag;
    using value_type = Example;
    using difference_type = std::ptrdiff_t;
    using pointer = Example*;
    using reference = Example&;

    /// What postfix ++ returns: the batch the iterator was at, so that `*it++` reads it.
    class Previous {
     public:
      explicit Previous(Example batch) : batch_(std::move(batch)) {}
      Example& operator*() { return batch_; }
      Example* operator->() { return &batch_; }

     private:
      Example batch_;
    };

    /// An iterator at the end.
    Iterator() = default;

    /// The current batch; stays valid until the iterator (or a copy) is advanced.
    Example& operator*() const;
    Example* operator->() const { return &**this; }
    /// Moves to the next batch (waiting for it); rethrows an exception from its preparation.
    Iterator& operator++();
    Previous operator++(int);
    bool operator==(std::default_sentinel_t) const;
    /// Equal when both are at the end or both read the same epoch (copies of one begin()).
    bool operator==(const Iterator& other) const;

   private:
    friend class DataLoader;
    explicit Iterator(std::shared_ptr<detail::Epoch> epoch) : epoch_(std::move(epoch)) {}
    std::shared_ptr<detail::Epoch> epoch_;
  };

  /// Starts the next epoch and returns an iterator at its first batch. Iterators of earlier
  /// epochs are not affected.
  Iterator begin();
  std::default_sentinel_t end() const { return {}; }

 private:
  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
  uint64_t epoch_ = 0;
};

}  // namespace kiln::data
