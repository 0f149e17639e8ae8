// One epoch of a DataLoader: the example order, the worker threads and the bounded, in-order
// hand-over of prepared batches to the reading thread (see dataloader.h for the contract).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "data/collate.h"
#include "kiln/frontend/data/dataloader.h"
#include "kiln/runtime/cuda/copy_stream.h"

namespace kiln::data::detail {

class Epoch {
 public:
  Epoch(std::shared_ptr<const Dataset> dataset, const DataLoaderOptions& options, uint64_t epoch);
  /// Stops the workers (they finish the example in hand) and joins them.
  ~Epoch();
  Epoch(const Epoch&) = delete;
  Epoch& operator=(const Epoch&) = delete;

  static size_t batches(size_t examples, const DataLoaderOptions& options);

  bool done() const { return current_ >= batches_; }
  Example& batch() { return batch_; }
  /// Receives the next batch (the first on the first call); rethrows its preparation's error.
  void advance();

 private:
  struct Slot {
    HostBatch batch;
    std::exception_ptr error;
  };
  Slot prepare(size_t k) const;
  void work();
  Example deliver(HostBatch host);

  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
  uint64_t epoch_;
  std::vector<size_t> order_;
  size_t batches_;
  size_t current_ = SIZE_MAX;  ///< batch held in batch_; SIZE_MAX before the first
  Example batch_;
  /// Pinned host memory that a copy on the copy stream reads, kept until the copy's event.
  struct Staged {
    runtime::BufferPtr host;
    std::shared_ptr<runtime::cuda::Event> copied;
  };
  /// Copies `host` to the device on its copy stream (runtime::copy_to_async), keeping it staged.
  runtime::BufferPtr to_device(runtime::BufferPtr host);
  std::deque<Staged> staging_;

  std::mutex mu_;
  std::condition_variable produced_, space_;
  std::atomic<bool> stop_{false};
  size_t claimed_ = 0;  ///< batches claimed by workers
  size_t taken_ = 0;    ///< batches taken by the reader
  size_t capacity_;     ///< batches allowed ahead of the reader
  std::map<size_t, Slot> ready_;
  std::vector<std::thread> workers_;
};

}  // namespace kiln::data::detail
