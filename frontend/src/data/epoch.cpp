// One DataLoader epoch: order, workers, in-order hand-over (see epoch.h).
#include "data/epoch.h"

#include <numeric>

#include "host_data.h"
#include "kiln/frontend/data/transforms.h"

namespace kiln::data::detail {

namespace {
/// Index of the stream that draws an epoch's permutation (examples use their own index).
constexpr uint64_t kPermutationStream = ~uint64_t{0};
}  // namespace

size_t Epoch::batches(size_t examples, const DataLoaderOptions& options) {
  size_t b = options.batch_size();
  return options.drop_last() ? examples / b : (examples + b - 1) / b;
}

Epoch::Epoch(std::shared_ptr<const Dataset> dataset, const DataLoaderOptions& options,
             uint64_t epoch)
    : dataset_(std::move(dataset)),
      options_(options),
      epoch_(epoch),
      order_(dataset_->size()),
      batches_(batches(order_.size(), options)),
      capacity_(options.prefetch() * std::max<size_t>(1, options.num_workers())) {
  std::iota(order_.begin(), order_.end(), size_t{0});
  if (options_.shuffle()) {
    SampleRng rng(options_.seed(), epoch_, kPermutationStream);
    for (size_t i = order_.size(); i > 1; --i) {
      auto j = static_cast<size_t>(rng.integer(0, static_cast<int64_t>(i) - 1));
      std::swap(order_[i - 1], order_[j]);
    }
  }
  for (size_t w = 0; w < options_.num_workers() && w < batches_; ++w) {
    workers_.emplace_back([this] { work(); });
  }
}

Epoch::~Epoch() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  space_.notify_all();
  for (std::thread& t : workers_) t.join();
  for (const Staged& s : staging_) {
    try {
      s.copied->synchronize();  // the copy reads the pinned memory freed with staging_
    } catch (...) {             // a failing driver: nothing is in flight any more
    }
  }
}

Epoch::Slot Epoch::prepare(size_t k) const {
  Slot slot;
  try {
    size_t begin = k * options_.batch_size();
    size_t end = std::min(order_.size(), begin + options_.batch_size());
    bool pinned = options_.pin_memory() && options_.device().is_cuda();
    slot.batch = collate(*dataset_, std::span(order_).subspan(begin, end - begin), options_.seed(),
                         epoch_, pinned, stop_);
  } catch (...) {
    slot.error = std::current_exception();
  }
  return slot;
}

void Epoch::work() {
  while (true) {
    size_t k;
    {
      std::unique_lock<std::mutex> lock(mu_);
      space_.wait(lock,
                  [&] { return stop_ || claimed_ >= batches_ || claimed_ < taken_ + capacity_; });
      if (stop_ || claimed_ >= batches_) return;
      k = claimed_++;
    }
    Slot slot = prepare(k);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ready_.emplace(k, std::move(slot));
    }
    produced_.notify_all();
  }
}

runtime::BufferPtr Epoch::to_device(runtime::BufferPtr host) {
  std::shared_ptr<runtime::cuda::Event> copied;
  runtime::BufferPtr out = runtime::copy_to_async(*host, options_.device(), &copied);
  if (copied == nullptr) return out;  // pageable memory: copied already
  // Copies end in order, so finished ones are at the front; past a few batches, wait.
  while (!staging_.empty() &&
         (staging_.size() >= 2 * (capacity_ + 2) || staging_.front().copied->done())) {
    staging_.front().copied->synchronize();
    staging_.pop_front();
  }
  staging_.push_back({std::move(host), std::move(copied)});
  return out;
}

Example Epoch::deliver(HostBatch host) {
  Device device = options_.device();
  if (device.is_cpu()) {
    return {kiln::detail::tensor_from_buffer(std::move(host.data), host.data_shape),
            kiln::detail::tensor_from_buffer(std::move(host.target), host.target_shape)};
  }
  // From pinned memory both copies run on the device's copy stream, overlapping the compute
  // stream's work; the first program that reads the batch waits for them (cuda/copy_stream.h).
  return {kiln::detail::tensor_from_buffer(to_device(std::move(host.data)), host.data_shape),
          kiln::detail::tensor_from_buffer(to_device(std::move(host.target)), host.target_shape)};
}

void Epoch::advance() {
  current_ = current_ == SIZE_MAX ? 0 : current_ + 1;
  batch_ = {};
  if (done()) return;
  Slot slot;
  if (workers_.empty()) {
    slot = prepare(current_);
  } else {
    {
      std::unique_lock<std::mutex> lock(mu_);
      produced_.wait(lock, [&] { return ready_.count(current_) != 0; });
      auto it = ready_.find(current_);
      slot = std::move(it->second);
      ready_.erase(it);
      taken_ = current_ + 1;
    }
    space_.notify_all();
  }
  if (slot.error) std::rethrow_exception(slot.error);
  batch_ = deliver(std::move(slot.batch));
}

}  // namespace kiln::data::detail
