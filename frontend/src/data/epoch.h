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
  /// Pinned staging of recent batches: kept until their asynchronous copies have long ended.
  std::deque<runtime::BufferPtr> staging_;

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
